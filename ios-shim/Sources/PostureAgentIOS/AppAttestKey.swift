import DeviceCheck
import Foundation
import PostureAgent
import Security

/// Apple App Attest through `DCAppAttestService`: a key made and attested
/// once per enrolment, then an assertion for every report. The core decides
/// what is signed (the client data hashes of protocol §5.1 and §4.1); this
/// type only calls the platform.
///
/// The key id `generateKey` returns is kept in the Keychain
/// (`kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly`, like the device
/// key), so assertions work in background check-ins and the id never moves
/// to another device, where the key would not work. Where App Attest is
/// unsupported (the simulator, some older devices, app extensions), there is
/// no evidence: `attest` and `assertion` return nil.
///
/// Written against Apple's documented API and syntax-checked only: it has
/// not been compiled or run here (see the package README).
public final class AppAttestKey: @unchecked Sendable {
    private let service: String
    private let account: String
    private let lock = NSLock()

    /// The key id is kept under `service`/`account` in the Keychain.
    public init(service: String = "dev.postureagent", account: String = "app-attest-key-id") {
        self.service = service
        self.account = account
    }

    /// Makes a new App Attest key and attests it over `clientDataHash`;
    /// nil where App Attest is unsupported. Replaces any earlier key id.
    func attest(clientDataHash: Data) throws -> AppAttestation? {
        let service = DCAppAttestService.shared
        guard service.isSupported else { return nil }
        lock.lock()
        defer { lock.unlock() }
        let keyId: String = try wait("make an App Attest key") { done in
            service.generateKey(completionHandler: done)
        }
        let object: Data = try wait("attest the App Attest key") { done in
            service.attestKey(keyId, clientDataHash: clientDataHash, completionHandler: done)
        }
        try storeKeyId(keyId)
        return AppAttestation(keyId: keyId, attestationObject: object)
    }

    /// An assertion over `clientDataHash` with the enrolment's key; nil
    /// when there is none (App Attest unsupported, or an enrolment without it).
    func assertion(clientDataHash: Data) throws -> Data? {
        let service = DCAppAttestService.shared
        guard service.isSupported else { return nil }
        lock.lock()
        defer { lock.unlock() }
        guard let keyId = try loadKeyId() else { return nil }
        return try wait("make an App Attest assertion") { done in
            service.generateAssertion(keyId, clientDataHash: clientDataHash, completionHandler: done)
        }
    }

    /// Forgets the key id (at unenrolment); App Attest keys cannot be
    /// deleted, only abandoned.
    func delete() throws {
        lock.lock()
        defer { lock.unlock() }
        let status = SecItemDelete(query() as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else {
            throw PostureAgentError.Key(reason: "could not delete the App Attest key id from the Keychain (OSStatus \(status))")
        }
    }

    /// Blocks until `call`'s completion handler runs: the core calls the
    /// signer from a worker thread, never from the main thread.
    private func wait<T>(_ what: String, _ call: (@escaping (T?, Error?) -> Void) -> Void) throws -> T {
        let done = DispatchSemaphore(value: 0)
        var result: Result<T, Error> = .failure(PostureAgentError.Key(reason: "could not \(what): no answer"))
        call { value, error in
            defer { done.signal() }
            if let value {
                result = .success(value)
            } else {
                result = .failure(PostureAgentError.Key(reason: Self.reason(what, error)))
            }
        }
        done.wait()
        return try result.get()
    }

    private static func reason(_ what: String, _ error: Error?) -> String {
        guard let error = error as? DCError else {
            return "could not \(what): \(error?.localizedDescription ?? "no result")"
        }
        switch error.code {
        case .invalidKey:
            return "could not \(what): the App Attest key is no longer valid (the app was reinstalled or restored); unenrol and enrol again"
        case .serverUnavailable:
            return "could not \(what): Apple's App Attest service is unavailable; try again later"
        case .featureUnsupported:
            return "could not \(what): App Attest is not supported here"
        default:
            return "could not \(what): \(error.localizedDescription)"
        }
    }

    private func storeKeyId(_ keyId: String) throws {
        SecItemDelete(query() as CFDictionary)
        var q = query()
        q[kSecValueData as String] = Data(keyId.utf8)
        q[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        let status = SecItemAdd(q as CFDictionary, nil)
        guard status == errSecSuccess else {
            throw PostureAgentError.Key(reason: "could not store the App Attest key id in the Keychain (OSStatus \(status))")
        }
    }

    private func loadKeyId() throws -> String? {
        var q = query()
        q[kSecReturnData as String] = true
        var item: CFTypeRef?
        let status = SecItemCopyMatching(q as CFDictionary, &item)
        if status == errSecItemNotFound { return nil }
        guard status == errSecSuccess, let data = item as? Data, let keyId = String(data: data, encoding: .utf8) else {
            throw PostureAgentError.Key(reason: "could not read the App Attest key id from the Keychain (OSStatus \(status))")
        }
        return keyId
    }

    private func query() -> [String: Any] {
        [kSecClass as String: kSecClassGenericPassword,
         kSecAttrService as String: service,
         kSecAttrAccount as String: account]
    }
}
