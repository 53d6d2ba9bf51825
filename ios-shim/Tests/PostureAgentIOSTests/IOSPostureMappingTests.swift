import PostureAgent
@testable import PostureAgentIOS
import XCTest

/// The mapping from raw iOS facts to the posture, on plain values: runs on a
/// simulator without reading the simulator itself.
final class IOSPostureMappingTests: XCTestCase {
    private func phone(passcode: IOSRawFacts.Passcode = .set, simulator: Bool = false) -> IOSRawFacts {
        IOSRawFacts(
            systemName: "iOS", systemVersion: "17.6.1", build: "21G93", kernel: "23.6.0",
            passcode: passcode, secureEnclaveAvailable: true, isSimulator: simulator,
            jailbreakChecks: [
                .init(name: "cydia_app", source: "/Applications/Cydia.app exists", tripped: false),
                .init(name: "cydia_url_scheme", source: "UIApplication.canOpenURL(cydia://)", tripped: nil,
                      reason: "not declared"),
            ],
            collectedAt: Date(timeIntervalSince1970: 1_793_000_000))
    }

    private func map(_ raw: IOSRawFacts) -> Posture {
        IOSPostureMapping.posture(from: raw, schemaVersion: 1, agentVersion: "test")
    }

    func testAPhoneWithAPasscodeIsLockedAndEncryptedByDataProtection() {
        let p = map(phone())
        XCTAssertEqual(p.platform, .ios)
        XCTAssertEqual(p.os.version, .observed(value: "17.6.1", source: "UIDevice.current.systemVersion"))
        XCTAssertEqual(p.os.build, .observed(value: "21G93", source: "sysctl kern.osversion"))
        guard case .observed(.set, _) = p.screenLock else { return XCTFail("screen lock: \(p.screenLock)") }
        guard case .observed(.encrypted(method: "Data Protection"), let source) = p.storageEncryption else {
            return XCTFail("storage: \(p.storageEncryption)")
        }
        // The source must say the encryption is inferred from the passcode.
        XCTAssertTrue(source.contains("passcode"), source)
        guard case .observed(.secureEnclave, _) = p.hardwareKeyStore else { return XCTFail("\(p.hardwareKeyStore)") }
        // No API gives an app the Auto-Lock setting: unknown, never guessed.
        guard case .unknown(let why) = p.autoLock else { return XCTFail("auto-lock: \(p.autoLock)") }
        XCTAssertTrue(why.hasPrefix("not readable by a third-party app"), why)
        XCTAssertEqual(p.schemaVersion, 1)
        XCTAssertEqual(p.agentVersion, "test")
    }

    func testNoPasscodeMeansNoLockAndNoDataProtection() {
        let p = map(phone(passcode: .notSet))
        guard case .observed(.notSet, _) = p.screenLock else { return XCTFail("\(p.screenLock)") }
        guard case .observed(.notEncrypted, _) = p.storageEncryption else { return XCTFail("\(p.storageEncryption)") }
    }

    func testAnUnreadablePasscodeIsUnknownNotGuessed() {
        let p = map(phone(passcode: .unreadable("LAError -1000")))
        guard case .unknown(let reason) = p.screenLock else { return XCTFail("\(p.screenLock)") }
        XCTAssertTrue(reason.contains("LAError -1000"), reason)
        guard case .unknown = p.storageEncryption else { return XCTFail("\(p.storageEncryption)") }
    }

    func testEveryJailbreakIndicatorIsAHeuristicAndAnUncheckedOneIsUnknown() {
        let p = map(phone())
        XCTAssertEqual(p.integrity.map(\.name), ["cydia_app", "cydia_url_scheme"])
        XCTAssertTrue(p.integrity.allSatisfy { $0.kind == .heuristic })
        XCTAssertEqual(p.integrity[0].tripped, .observed(value: false, source: "/Applications/Cydia.app exists"))
        XCTAssertEqual(p.integrity[1].tripped, .unknown(reason: "not declared"))
    }

    func testASimulatorReportsNoPhoneFacts() {
        let p = map(phone(simulator: true))
        guard case .unknown = p.screenLock, case .unknown = p.storageEncryption,
              case .unknown = p.hardwareKeyStore else { return XCTFail("simulator facts should be unknown") }
        XCTAssertEqual(p.integrity.count, 1)
    }

    func testTheProbeGivesAPostureTheCoreCanEvaluate() throws {
        // Through the real library: the posture crosses the FFI and the core
        // evaluates it under its default policy without throwing.
        let agent = try PostureAgent(storageDir: NSTemporaryDirectory(), probe: IOSPlatformProbe())
        let posture = try agent.collect()
        XCTAssertEqual(posture.platform, .ios)
        _ = agent.evaluate(posture: posture, policy: defaultPolicy())
    }
}
