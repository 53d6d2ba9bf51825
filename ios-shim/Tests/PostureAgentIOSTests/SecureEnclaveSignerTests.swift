import CryptoKit
import DeviceCheck
import PostureAgent
@testable import PostureAgentIOS
import XCTest

/// The signer on the simulator (a software P-256 key in the Keychain) and
/// the core verifying what it signed, as the collector would.
final class SecureEnclaveSignerTests: XCTestCase {
    private let service = "dev.postureagent.tests"
    private var account = ""
    private var signer: SecureEnclaveSigner!

    override func setUpWithError() throws {
        account = UUID().uuidString
        signer = SecureEnclaveSigner(service: service, account: account)
    }

    override func tearDownWithError() throws {
        try signer.delete()
    }

    func testSignaturesAreRaw64BytesAndVerifyWithThePublicJwk() throws {
        let jwk = try signer.publicJwk()
        XCTAssertEqual(jwk.kty, "EC")
        XCTAssertEqual(jwk.crv, "P-256")
        let message = Data("posture".utf8)
        let signature = try signer.sign(message: message)
        XCTAssertEqual(signature.count, 64, "r ‖ s, not DER")

        let raw = try XCTUnwrap(Data(base64url: jwk.x)) + XCTUnwrap(Data(base64url: jwk.y))
        let key = try P256.Signing.PublicKey(rawRepresentation: raw)
        let ecdsa = try P256.Signing.ECDSASignature(rawRepresentation: signature)
        XCTAssertTrue(key.isValidSignature(ecdsa, for: message))
    }

    func testTheKeyPersistsInTheKeychainAndDeleteRemovesIt() throws {
        let first = try signer.publicJwk()
        let again = SecureEnclaveSigner(service: service, account: account)
        XCTAssertEqual(try again.publicJwk(), first, "a second signer loads the stored key")
        try again.delete()
        let fresh = SecureEnclaveSigner(service: service, account: account)
        XCTAssertNotEqual(try fresh.publicJwk(), first, "after delete a new key is made")
        try fresh.delete()
    }

    /// The simulator has no App Attest (DCAppAttestService.isSupported is
    /// false there): no evidence and no assertion, rather than a failure.
    func testAppAttestIsNoneWhereUnsupported() throws {
        try XCTSkipIf(DCAppAttestService.shared.isSupported, "App Attest is supported here")
        let hash = Data(repeating: 7, count: 32)
        XCTAssertNil(try signer.appAttest(clientDataHash: hash))
        XCTAssertNil(try signer.appAttestAssertion(clientDataHash: hash))
    }

    func testTheCoreVerifiesAReportSignedByThisSigner() throws {
        let agent = try PostureAgent(storageDir: NSTemporaryDirectory(), probe: IOSPlatformProbe(), signer: signer)
        let posture = try agent.collect()
        let verdict = agent.evaluate(posture: posture, policy: defaultPolicy())
        let token = try agent.signReport(nonce: "n-0123456789abcdef", deviceId: "dev-1", posture: posture, verdict: verdict)
        let verified = try verifyReport(token: token, jwk: signer.publicJwk(), nonce: "n-0123456789abcdef")
        XCTAssertFalse(verified.jti.isEmpty)
    }
}

private extension Data {
    init?(base64url: String) {
        var s = base64url.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        s += String(repeating: "=", count: (4 - s.count % 4) % 4)
        self.init(base64Encoded: s)
    }
}
