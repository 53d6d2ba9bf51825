import Foundation
import PostureAgent

/// What the iOS probe read, before any interpretation: plain values, so the
/// mapping below is a pure function that XCTest can drive without a device.
public struct IOSRawFacts: Equatable, Sendable {
    /// Whether a device passcode is set, as LocalAuthentication answered.
    public enum Passcode: Equatable, Sendable {
        case set
        case notSet
        /// LAContext failed for another reason (the error's text).
        case unreadable(String)
    }

    /// One jailbreak heuristic: what was checked, and whether it tripped
    /// (nil when it could not be checked, with the reason).
    public struct JailbreakCheck: Equatable, Sendable {
        public var name: String
        public var source: String
        public var tripped: Bool?
        public var reason: String?

        public init(name: String, source: String, tripped: Bool?, reason: String? = nil) {
            self.name = name
            self.source = source
            self.tripped = tripped
            self.reason = reason
        }
    }

    /// `UIDevice.current.systemName` ("iOS", "iPadOS").
    public var systemName: String
    /// `UIDevice.current.systemVersion` ("17.6.1").
    public var systemVersion: String
    /// `sysctl kern.osversion` ("21G93"), nil when it could not be read.
    public var build: String?
    /// `uname().release` (the Darwin kernel release), nil when unreadable.
    public var kernel: String?
    public var passcode: Passcode
    /// `SecureEnclave.isAvailable` (CryptoKit).
    public var secureEnclaveAvailable: Bool
    /// Built for the simulator: a process on a Mac, not a phone.
    public var isSimulator: Bool
    public var jailbreakChecks: [JailbreakCheck]
    public var collectedAt: Date

    public init(
        systemName: String, systemVersion: String, build: String?, kernel: String?,
        passcode: Passcode, secureEnclaveAvailable: Bool, isSimulator: Bool,
        jailbreakChecks: [JailbreakCheck], collectedAt: Date
    ) {
        self.systemName = systemName
        self.systemVersion = systemVersion
        self.build = build
        self.kernel = kernel
        self.passcode = passcode
        self.secureEnclaveAvailable = secureEnclaveAvailable
        self.isSimulator = isSimulator
        self.jailbreakChecks = jailbreakChecks
        self.collectedAt = collectedAt
    }
}

/// Raw iOS facts to the core's `Posture`. Every fact is observed with its
/// source or unknown with a reason: never guessed. The sentences match the
/// core's simulator mapping (agent-core `probe::simulator`) where they overlap.
public enum IOSPostureMapping {
    static let passcodeSource = "LAContext.canEvaluatePolicy(.deviceOwnerAuthentication)"
    static let notOnSimulator = "an iOS simulator cannot report this: it runs as a process on a Mac"

    public static func posture(
        from raw: IOSRawFacts,
        schemaVersion schema: UInt32 = postureSchemaVersion(),
        agentVersion agent: String = agentVersion()
    ) -> Posture {
        let os = OsFacts(
            id: .observed(value: "ios", source: "the platform this library was built for"),
            name: .observed(value: raw.systemName, source: "UIDevice.current.systemName"),
            version: .observed(value: raw.systemVersion, source: "UIDevice.current.systemVersion"),
            build: raw.build.map { .observed(value: $0, source: "sysctl kern.osversion") }
                ?? .unknown(reason: "sysctl kern.osversion could not be read"),
            kernel: raw.kernel.map { .observed(value: $0, source: "uname release") }
                ?? .unknown(reason: "uname could not be read")
        )
        return Posture(
            schemaVersion: schema,
            platform: .ios,
            os: os,
            securityPatch: .unknown(reason: "iOS has no Android-style security patch level: the OS version carries it"),
            storageEncryption: storageEncryption(raw),
            screenLock: screenLock(raw),
            autoLock: .unknown(reason: "not readable by a third-party app: iOS gives apps no API to read the Auto-Lock setting"),
            developerMode: .unknown(reason: "iOS gives apps no API to read Developer Mode"),
            usbDebugging: .unknown(reason: "iOS has no USB debugging setting"),
            integrity: integrity(raw),
            hardwareKeyStore: raw.isSimulator
                ? .unknown(reason: "a simulator has no Secure Enclave to report")
                : .observed(
                    value: raw.secureEnclaveAvailable ? HardwareKeyStore.secureEnclave : HardwareKeyStore.none,
                    source: "CryptoKit SecureEnclave.isAvailable"),
            secureBoot: .unknown(reason: "UEFI Secure Boot is a desktop fact"),
            tpm: .unknown(reason: "phones have no TPM"),
            agentVersion: agent,
            collectedAt: raw.collectedAt
        )
    }

    static func screenLock(_ raw: IOSRawFacts) -> FactScreenLock {
        if raw.isSimulator { return .unknown(reason: "a simulator has no passcode to report") }
        switch raw.passcode {
        case .set: return .observed(value: .set, source: passcodeSource)
        case .notSet: return .observed(value: .notSet, source: passcodeSource + ": LAError.passcodeNotSet")
        case .unreadable(let why): return .unknown(reason: "\(passcodeSource) failed: \(why)")
        }
    }

    // iOS turns Data Protection on whenever a passcode is set and offers no
    // API to read it directly, so the passcode answer is the evidence, and the
    // source says so.
    static func storageEncryption(_ raw: IOSRawFacts) -> FactStorageEncryption {
        if raw.isSimulator {
            return .unknown(reason: "a simulator has no data protection of its own: its storage is a folder on the Mac")
        }
        let source = "Data Protection, which iOS enables whenever a passcode is set (\(passcodeSource))"
        switch raw.passcode {
        case .set: return .observed(value: .encrypted(method: "Data Protection"), source: source)
        case .notSet: return .observed(value: .notEncrypted, source: source + ": no passcode")
        case .unreadable(let why): return .unknown(reason: "the passcode state decides Data Protection and could not be read: \(why)")
        }
    }

    // Heuristics only: a jailbreak can hide every one of them, so a clean
    // result proves nothing; a tripped one is a strong hint, not proof.
    static func integrity(_ raw: IOSRawFacts) -> [IntegrityIndicator] {
        if raw.isSimulator {
            return [IntegrityIndicator(
                name: "jailbreak", kind: .heuristic,
                tripped: .unknown(reason: "jailbreak checks need the device itself, not a simulator"))]
        }
        return raw.jailbreakChecks.map { check in
            let tripped: FactBool = check.tripped.map { .observed(value: $0, source: check.source) }
                ?? .unknown(reason: check.reason ?? "\(check.source): could not be checked")
            return IntegrityIndicator(name: check.name, kind: .heuristic, tripped: tripped)
        }
    }
}
