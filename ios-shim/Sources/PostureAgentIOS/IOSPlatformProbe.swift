import CryptoKit
import Foundation
import LocalAuthentication
import PostureAgent
import UIKit

/// The foreign `PlatformProbe` for iOS: reads the raw facts (one line per
/// fact) and hands them to `IOSPostureMapping`, where the meaning lives.
///
/// Reads nothing that identifies the person or the phone: no name, no
/// identifierForVendor, no model, no apps. The `cydia://` check needs
/// "cydia" in the app's `LSApplicationQueriesSchemes`; without it the
/// indicator is reported unknown rather than clean.
public final class IOSPlatformProbe: PlatformProbe, @unchecked Sendable {
    public init() {}

    public func platform() -> Platform { .ios }

    public func collect() throws -> Posture {
        IOSPostureMapping.posture(from: readRawFacts())
    }

    /// The raw facts of this device now.
    public func readRawFacts() -> IOSRawFacts {
        // UIDevice and UIApplication belong to the main thread; the core calls
        // the probe from a worker thread (collectAsync, check-ins).
        let (name, version, cydiaScheme) = onMain {
            (UIDevice.current.systemName, UIDevice.current.systemVersion, Self.cydiaSchemeCheck())
        }
        var checks = Self.jailbreakFileChecks()
        checks.append(cydiaScheme)
        #if targetEnvironment(simulator)
        let isSimulator = true
        #else
        let isSimulator = false
        #endif
        return IOSRawFacts(
            systemName: name,
            systemVersion: version,
            build: sysctlString("kern.osversion"),
            kernel: unameRelease(),
            passcode: Self.passcode(),
            secureEnclaveAvailable: SecureEnclave.isAvailable,
            isSimulator: isSimulator,
            jailbreakChecks: checks,
            collectedAt: Date()
        )
    }

    static func passcode() -> IOSRawFacts.Passcode {
        var error: NSError?
        if LAContext().canEvaluatePolicy(.deviceOwnerAuthentication, error: &error) { return .set }
        if let error, error.domain == LAError.errorDomain, error.code == LAError.passcodeNotSet.rawValue {
            return .notSet
        }
        return .unreadable(error?.localizedDescription ?? "no error given")
    }

    // Paths that exist only on jailbroken devices (stock iOS ships no bash,
    // sshd or apt). Heuristics: a jailbreak can hide each of them.
    static let jailbreakPaths: [(name: String, path: String)] = [
        ("cydia_app", "/Applications/Cydia.app"),
        ("bash_binary", "/bin/bash"),
        ("sshd_binary", "/usr/sbin/sshd"),
        ("apt_directory", "/etc/apt"),
    ]

    static func jailbreakFileChecks() -> [IOSRawFacts.JailbreakCheck] {
        var checks = jailbreakPaths.map { entry in
            IOSRawFacts.JailbreakCheck(
                name: entry.name, source: "\(entry.path) exists",
                tripped: FileManager.default.fileExists(atPath: entry.path))
        }
        // The sandbox forbids writing outside the app's container; a write
        // that succeeds means the sandbox is broken. The file is removed.
        let probe = "/private/posture-agent-sandbox-check"
        let wrote = (try? Data().write(to: URL(fileURLWithPath: probe))) != nil
        if wrote { try? FileManager.default.removeItem(atPath: probe) }
        checks.append(.init(name: "write_outside_sandbox", source: "write to \(probe)", tripped: wrote))
        return checks
    }

    static func cydiaSchemeCheck() -> IOSRawFacts.JailbreakCheck {
        let source = "UIApplication.canOpenURL(cydia://)"
        let declared = (Bundle.main.object(forInfoDictionaryKey: "LSApplicationQueriesSchemes") as? [String])?
            .contains("cydia") ?? false
        guard declared, let url = URL(string: "cydia://") else {
            return .init(name: "cydia_url_scheme", source: source, tripped: nil,
                         reason: "the app does not list cydia in LSApplicationQueriesSchemes, so iOS will not answer")
        }
        return .init(name: "cydia_url_scheme", source: source, tripped: UIApplication.shared.canOpenURL(url))
    }
}

/// Runs `body` on the main thread, from any thread.
func onMain<T>(_ body: () -> T) -> T {
    Thread.isMainThread ? body() : DispatchQueue.main.sync(execute: body)
}

/// A string sysctl ("kern.osversion"), or nil.
func sysctlString(_ name: String) -> String? {
    var size = 0
    guard sysctlbyname(name, nil, &size, nil, 0) == 0, size > 0 else { return nil }
    var bytes = [CChar](repeating: 0, count: size)
    guard sysctlbyname(name, &bytes, &size, nil, 0) == 0 else { return nil }
    return String(cString: bytes)
}

/// The Darwin kernel release from uname(3), or nil.
func unameRelease() -> String? {
    var info = utsname()
    guard uname(&info) == 0 else { return nil }
    return withUnsafeBytes(of: &info.release) { raw in
        raw.bindMemory(to: CChar.self).baseAddress.map { String(cString: $0) }
    }
}
