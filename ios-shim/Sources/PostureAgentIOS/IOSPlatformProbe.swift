import CryptoKit
import Foundation
import LocalAuthentication
import PostureAgent
import UIKit

/// The foreign `PlatformProbe` for iOS: reads raw values, one line each,
/// into `IosReadings`; the core's iOS mapping (`ios_posture`) gives them
/// meaning.
///
/// Reads nothing that identifies the person or the phone: no name, no
/// identifierForVendor, no model, no apps. The `cydia://` check needs
/// "cydia" in the app's `LSApplicationQueriesSchemes`; without it the core
/// reports that indicator unknown rather than clean.
public final class IOSPlatformProbe: PlatformProbe, @unchecked Sendable {
    public init() {}

    public func platform() -> Platform { .ios }

    public func collect() throws -> PlatformReadings {
        .ios(readings: read())
    }

    /// The raw values of this device now.
    public func read() -> IosReadings {
        // UIDevice and UIApplication belong to the main thread; the core calls
        // the probe from a worker thread (collectAsync, check-ins).
        let (name, version, declared, cydia) = onMain { () -> (String, String, Bool, Reading) in
            let declared = Self.cydiaSchemeDeclared()
            var cydia = Reading.notRead
            if declared, let url = URL(string: "cydia://") {
                cydia = boolReading(UIApplication.shared.canOpenURL(url))
            }
            return (UIDevice.current.systemName, UIDevice.current.systemVersion, declared, cydia)
        }
        #if targetEnvironment(simulator)
        let isSimulator = true
        #else
        let isSimulator = false
        #endif
        let (canEvaluate, error) = Self.deviceOwnerAuth()
        return IosReadings(
            systemName: textReading(name),
            systemVersion: textReading(version),
            build: textReading(sysctlString("kern.osversion")),
            kernel: textReading(unameRelease()),
            deviceOwnerAuth: boolReading(canEvaluate),
            deviceOwnerAuthError: error,
            secureEnclaveAvailable: boolReading(SecureEnclave.isAvailable),
            simulator: boolReading(isSimulator),
            jailbreakPathsFound: .read(value: iosJailbreakPaths()
                .filter { FileManager.default.fileExists(atPath: $0) }
                .joined(separator: "\n")),
            sandboxWrite: boolReading(Self.sandboxWrite()),
            cydiaSchemeDeclared: boolReading(declared),
            cydiaUrlScheme: cydia
        )
    }

    /// `canEvaluatePolicy(.deviceOwnerAuthentication)` and its error: the
    /// LAError code as a number, or another domain's error as text.
    static func deviceOwnerAuth() -> (Bool, Reading) {
        var error: NSError?
        let can = LAContext().canEvaluatePolicy(.deviceOwnerAuthentication, error: &error)
        guard let error else { return (can, .notSet) }
        if error.domain == LAError.errorDomain { return (can, .read(value: String(error.code))) }
        return (can, .failed(error: "\(error.domain) \(error.code): \(error.localizedDescription)"))
    }

    /// Whether a write outside the app's container succeeds (the file is
    /// removed again).
    static func sandboxWrite() -> Bool {
        let path = iosSandboxProbePath()
        let wrote = (try? Data().write(to: URL(fileURLWithPath: path))) != nil
        if wrote { try? FileManager.default.removeItem(atPath: path) }
        return wrote
    }

    static func cydiaSchemeDeclared() -> Bool {
        (Bundle.main.object(forInfoDictionaryKey: "LSApplicationQueriesSchemes") as? [String])?
            .contains("cydia") ?? false
    }
}

/// A boolean API's answer as a reading.
func boolReading(_ value: Bool) -> Reading { .read(value: value ? "true" : "false") }

/// A string that may be missing as a reading.
func textReading(_ value: String?) -> Reading {
    guard let value, !value.isEmpty else { return .notSet }
    return .read(value: value)
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
