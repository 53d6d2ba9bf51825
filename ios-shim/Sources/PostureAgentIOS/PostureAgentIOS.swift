import BackgroundTasks
import Foundation
import PostureAgent

/// What an iOS app holds: the core's `PostureAgent` wired to the iOS probe,
/// the Secure Enclave signer and URLSession, with async methods that map
/// one-to-one onto the core's. All logic (enrolment, signing, the outbox,
/// retries, policy) is in the Rust core; this only connects the parts.
public final class PostureAgentIOS: @unchecked Sendable {
    /// The core agent, for anything this facade does not wrap.
    public let agent: PostureAgent
    public let signer: SecureEnclaveSigner

    /// An agent keeping its state in Application Support/PostureAgent.
    public convenience init() throws {
        try self.init(storageDirectory: Self.defaultStorageDirectory())
    }

    public init(
        storageDirectory: URL,
        signer: SecureEnclaveSigner = SecureEnclaveSigner(),
        transport: Transport = URLSessionTransport()
    ) throws {
        self.signer = signer
        agent = try PostureAgent(
            storageDir: storageDirectory.path,
            probe: IOSPlatformProbe(),
            signer: signer,
            transport: transport
        )
    }

    /// Enrols with the collector at `serverUrl` using the one-time `code`.
    public func enrol(serverUrl: String, code: String) async throws -> Status {
        try await agent.enrol(serverUrl: serverUrl, code: code)
    }

    /// Collects, evaluates, signs and sends a report now.
    public func checkIn() async throws -> CheckInOutcome {
        try await agent.checkIn()
    }

    /// Whether the app may prompt the person now (quiet hours: not outside
    /// the working hours they set), with the reason and the next time it
    /// may. The shim posts no notification itself; an app that does asks
    /// this first (a check-in's outcome carries the same answer).
    public func shouldNotify() async throws -> NotifyDecision {
        try await agent.shouldNotify()
    }

    /// Sets the person's working hours ("HH:MM", an IANA time zone such as
    /// `TimeZone.current.identifier`), within the policy's bounds.
    public func setWorkingHours(start: String, end: String, timeZone: String) async throws {
        try await agent.setWorkingHours(start: start, end: end, timeZone: timeZone)
    }

    /// Clears the working hours: no quiet hours.
    public func clearWorkingHours() async throws {
        try await agent.clearWorkingHours()
    }

    /// Sends the reports waiting in the outbox now.
    public func flush() async throws -> FlushOutcome {
        try await agent.flush()
    }

    /// Enrolment, last check-in, verdict and queue, for the app's screen.
    public func status() async throws -> Status {
        try await agent.status()
    }

    /// The exact report a check-in would send now, for the person to read.
    public func previewReport() async throws -> ReportPreview {
        try await agent.previewReport()
    }

    /// The posture now, without signing or sending anything.
    public func collect() async throws -> Posture {
        try await agent.collectAsync()
    }

    /// Unenrols: the core tells the collector and deletes its state; then the
    /// Secure Enclave key goes too (deleting it twice is harmless).
    public func unenrol() async throws -> UnenrolOutcome {
        let outcome = try await agent.unenrol()
        try signer.delete()
        return outcome
    }

    /// Calls `listener` on every status change until the handle is released.
    public func registerListener(_ listener: StatusListener) -> ListenerHandle {
        agent.registerListener(listener: listener)
    }

    /// Application Support/PostureAgent, made if missing. Left out of
    /// backups: the state belongs with a key that cannot leave this device.
    /// Readable after the first unlock, so background check-ins work.
    public static func defaultStorageDirectory() throws -> URL {
        var dir = try FileManager.default.url(
            for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true
        ).appendingPathComponent("PostureAgent", isDirectory: true)
        try FileManager.default.createDirectory(
            at: dir, withIntermediateDirectories: true,
            attributes: [.protectionKey: FileProtectionType.completeUntilFirstUserAuthentication])
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try dir.setResourceValues(values)
        return dir
    }
}

// MARK: - Background check-ins

extension PostureAgentIOS {
    /// Registers the handler for periodic check-ins under `identifier`, which
    /// must be in the app's Info.plist `BGTaskSchedulerPermittedIdentifiers`
    /// (with `fetch` in `UIBackgroundModes`). Call it before the app finishes
    /// launching, as BGTaskScheduler requires, then `scheduleCheckIn`.
    /// iOS decides when the task really runs; `interval` is the earliest.
    @discardableResult
    public static func registerBackgroundCheckIn(
        identifier: String,
        every interval: TimeInterval = 4 * 60 * 60,
        agent: @escaping @Sendable () -> PostureAgentIOS?
    ) -> Bool {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: identifier, using: nil) { task in
            // Ask for the next run first, so one failure does not end the series.
            // The task shows nothing, so it keeps its cadence in quiet hours.
            try? scheduleCheckIn(identifier: identifier, after: interval)
            guard let agent = agent() else {
                task.setTaskCompleted(success: false)
                return
            }
            let work = Task {
                do {
                    _ = try await agent.checkIn()
                    task.setTaskCompleted(success: true)
                } catch {
                    task.setTaskCompleted(success: false)
                }
            }
            // A report is in the durable outbox before it is sent, so an
            // expiry loses nothing: the next check-in or flush delivers it.
            task.expirationHandler = { work.cancel() }
        }
    }

    /// Asks iOS to run the background check-in no earlier than `after` seconds from now.
    public static func scheduleCheckIn(identifier: String, after interval: TimeInterval = 4 * 60 * 60) throws {
        let request = BGAppRefreshTaskRequest(identifier: identifier)
        request.earliestBeginDate = Date(timeIntervalSinceNow: interval)
        try BGTaskScheduler.shared.submit(request)
    }
}
