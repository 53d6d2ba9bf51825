import CryptoKit
import Foundation
import PostureAgent
import Security

/// The foreign `DeviceSigner` for iOS: an ECDSA P-256 key in the Secure
/// Enclave (CryptoKit), so the private key never leaves the hardware.
///
/// The key's `dataRepresentation` is an opaque blob that only this device's
/// Secure Enclave can use; it is kept in the Keychain with
/// `kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly`, so background
/// check-ins work while the phone is locked (after the first unlock) and the
/// key never moves to a backup or another device. On the simulator, which
/// has no Secure Enclave, a software P-256 key stands in (for tests only).
///
/// With `appAttest` (the default), enrolment also carries Apple App Attest
/// evidence and each report an assertion (`AppAttestKey`), where the device
/// supports App Attest; the simulator does not, and sends none.
public final class SecureEnclaveSigner: DeviceSigner, @unchecked Sendable {
    private let service: String
    private let account: String
    private let lock = NSLock()
    private var cached: SigningKey?
    private let appAttestKey: AppAttestKey?

    /// A signer whose key is kept under `service`/`account` in the Keychain;
    /// the key is made on first use. Its App Attest key id, when
    /// `appAttest`, is kept under `service`/`account.app-attest-key-id`.
    public init(service: String = "dev.postureagent", account: String = "device-key", appAttest: Bool = true) {
        self.service = service
        self.account = account
        appAttestKey = appAttest ? AppAttestKey(service: service, account: account + ".app-attest-key-id") : nil
    }

    public func publicJwk() throws -> PublicJwk {
        // x ‖ y, 32 bytes each: what a JWK's x and y encode.
        let raw = try key().publicKeyRaw
        return PublicJwk(kty: "EC", crv: "P-256",
                         x: base64url(raw.prefix(32)), y: base64url(raw.suffix(32)))
    }

    /// ECDSA P-256 over SHA-256; the 64-byte r ‖ s form JOSE uses, not DER.
    public func sign(message: Data) throws -> Data {
        let key = try key()
        do {
            return try key.sign(message)
        } catch {
            throw PostureAgentError.Key(reason: "the Secure Enclave did not sign: \(error.localizedDescription)")
        }
    }

    /// No attestation chain: the Secure Enclave offers none for a signing key
    /// through public APIs (App Attest attests the app, not this key: its
    /// evidence comes through `appAttest`).
    public func keyAttestation() throws -> [String] {
        []
    }

    /// No fresh key attestation either (protocol §5.3.3 is Android's): the
    /// collector keeps judging an iOS device by App Attest.
    public func freshKeyAttestation(challenge: Data) throws -> [String] {
        []
    }

    /// App Attest evidence for an enrolment: a new App Attest key attested
    /// over the core's `clientDataHash`; nil where App Attest is unsupported.
    public func appAttest(clientDataHash: Data) throws -> AppAttestation? {
        try appAttestKey?.attest(clientDataHash: clientDataHash)
    }

    /// An App Attest assertion for a report; nil without an App Attest key.
    public func appAttestAssertion(clientDataHash: Data) throws -> Data? {
        try appAttestKey?.assertion(clientDataHash: clientDataHash)
    }

    /// Deletes the key (on unenrol): the Keychain item goes, and with it the
    /// only way to use the Secure Enclave key; the App Attest key id too.
    public func delete() throws {
        lock.lock()
        defer { lock.unlock() }
        cached = nil
        let status = SecItemDelete(query() as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else {
            throw PostureAgentError.Key(reason: "could not delete the device key from the Keychain (OSStatus \(status))")
        }
        try appAttestKey?.delete()
    }

    private func key() throws -> SigningKey {
        lock.lock()
        defer { lock.unlock() }
        if let cached { return cached }
        let key = try load() ?? create()
        cached = key
        return key
    }

    private func load() throws -> SigningKey? {
        var q = query()
        q[kSecReturnData as String] = true
        var item: CFTypeRef?
        let status = SecItemCopyMatching(q as CFDictionary, &item)
        if status == errSecItemNotFound { return nil }
        guard status == errSecSuccess, let data = item as? Data else {
            throw PostureAgentError.Key(reason: keychainReason("read", status))
        }
        do {
            return try SigningKey(dataRepresentation: data)
        } catch {
            throw PostureAgentError.Key(
                reason: "the stored device key is unusable (restored from another device?); unenrol and enrol again")
        }
    }

    private func create() throws -> SigningKey {
        let key: SigningKey
        do {
            key = try SigningKey.generate()
        } catch {
            throw PostureAgentError.Key(reason: "could not create a Secure Enclave key: \(error.localizedDescription)")
        }
        var q = query()
        q[kSecValueData as String] = key.dataRepresentation
        q[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        let status = SecItemAdd(q as CFDictionary, nil)
        guard status == errSecSuccess else { throw PostureAgentError.Key(reason: keychainReason("store", status)) }
        return key
    }

    private func query() -> [String: Any] {
        [kSecClass as String: kSecClassGenericPassword,
         kSecAttrService as String: service,
         kSecAttrAccount as String: account]
    }

    private func keychainReason(_ action: String, _ status: OSStatus) -> String {
        if status == errSecInteractionNotAllowed {
            return "could not \(action) the device key: the phone has not been unlocked since it started"
        }
        return "could not \(action) the device key in the Keychain (OSStatus \(status))"
    }
}

/// The Secure Enclave key on a device; a software key on the simulator.
private struct SigningKey {
    #if targetEnvironment(simulator)
    typealias Key = P256.Signing.PrivateKey
    #else
    typealias Key = SecureEnclave.P256.Signing.PrivateKey
    #endif
    let key: Key

    static func generate() throws -> SigningKey {
        #if targetEnvironment(simulator)
        return SigningKey(key: Key())
        #else
        // A device without a Secure Enclave fails here on purpose: a silent
        // fall back to a software key would break the hardware-key promise.
        return SigningKey(key: try Key())
        #endif
    }

    init(key: Key) { self.key = key }

    init(dataRepresentation data: Data) throws {
        #if targetEnvironment(simulator)
        key = try Key(rawRepresentation: data)
        #else
        key = try Key(dataRepresentation: data)
        #endif
    }

    var dataRepresentation: Data {
        #if targetEnvironment(simulator)
        return key.rawRepresentation
        #else
        return key.dataRepresentation
        #endif
    }

    var publicKeyRaw: Data { key.publicKey.rawRepresentation }

    func sign(_ message: Data) throws -> Data { try key.signature(for: message).rawRepresentation }
}

/// Base64url without padding (RFC 7515), as JWK coordinates are written.
func base64url<D: DataProtocol>(_ bytes: D) -> String {
    Data(bytes).base64EncodedString()
        .replacingOccurrences(of: "+", with: "-")
        .replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}
