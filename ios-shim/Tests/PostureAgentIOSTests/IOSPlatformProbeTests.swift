import PostureAgent
@testable import PostureAgentIOS
import XCTest

/// The probe on a simulator: it reads raw values only, and the core maps
/// them (the mapping's rules are agent-core's tests, `probe::ios`).
final class IOSPlatformProbeTests: XCTestCase {
    func testTheProbeReadsWhatAnAppMayRead() {
        let readings = IOSPlatformProbe().read()
        XCTAssertNotEqual(readings.systemVersion, .notRead)
        XCTAssertNotEqual(readings.deviceOwnerAuth, .notRead)
        XCTAssertNotEqual(readings.secureEnclaveAvailable, .notRead)
        XCTAssertNotEqual(readings.jailbreakPathsFound, .notRead)
        #if targetEnvironment(simulator)
        XCTAssertEqual(readings.simulator, .read(value: "true"))
        #endif
    }

    func testTheProbesReadingsBecomeAPostureTheCoreCanEvaluate() throws {
        // Through the real library: the readings cross the FFI, the core maps
        // them and evaluates the posture under its default policy.
        let agent = try PostureAgent(storageDir: NSTemporaryDirectory(), probe: IOSPlatformProbe())
        let posture = agent.collect()
        XCTAssertEqual(posture.platform, .ios)
        guard case .observed = posture.os.version else { return XCTFail("version: \(posture.os.version)") }
        _ = agent.evaluate(posture: posture, policy: defaultPolicy())
    }
}
