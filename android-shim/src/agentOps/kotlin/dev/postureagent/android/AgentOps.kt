// The agent operations and the check-in schedule: the only code that calls
// the ffi PostureAgent's enrol / checkIn / flush / status / previewReport /
// unenrol. Kept apart (src/agentOps) so the rest of the shim builds and is
// tested before the ffi exposes them; each is a one-line delegation whose
// result type is the ffi's own.
package dev.postureagent.android

import android.app.job.JobInfo
import android.app.job.JobScheduler
import android.content.ComponentName

/** The check-in interval when the app does not pass the collector's: six hours, the reference collector's default. */
const val DEFAULT_CHECKIN_INTERVAL_SECS: Long = 6 * 60 * 60

/** The JobScheduler id of the periodic check-in; apps with their own jobs must not reuse it. */
const val CHECKIN_JOB_ID: Int = 0x50535441 // "PSTA"

/**
 * Enrols with the collector at [serverUrl] using the one-time [code]. The
 * device key is made fresh for this enrolment and attested with the code's
 * hash as challenge ([AttestationChallenge]).
 */
suspend fun PostureAgentAndroid.enrol(serverUrl: String, code: String) = try {
    signer.prepareEnrolment(AttestationChallenge.forEnrolmentCode(code))
    agent.enrol(serverUrl, code)
} finally {
    signer.finishEnrolment()
}

/** One check-in: collect, evaluate, sign, queue, deliver; the local verdict at once, the server's when it answers. */
suspend fun PostureAgentAndroid.checkIn() = agent.checkIn()

/**
 * Whether the app may prompt the person now (quiet hours: outside the
 * working hours they set it may not), with the reason and the next time it
 * may. The shim posts no notification itself; an app that does asks this
 * first (a check-in's outcome carries the same answer in `notify`).
 */
suspend fun PostureAgentAndroid.shouldNotify() = agent.shouldNotify()

/** Sets the person's working hours ("HH:MM", IANA time zone), within the policy's bounds. */
suspend fun PostureAgentAndroid.setWorkingHours(start: String, end: String, timeZone: String) =
    agent.setWorkingHours(start, end, timeZone)

/** Clears the working hours: no quiet hours. */
suspend fun PostureAgentAndroid.clearWorkingHours() = agent.clearWorkingHours()

/** Delivers reports queued while offline. */
suspend fun PostureAgentAndroid.flush() = agent.flush()

/** Enrolment, last verdicts and queued reports, from local state. */
suspend fun PostureAgentAndroid.status() = agent.status()

/** Exactly what the next check-in would sign and send, for the user to see first. */
suspend fun PostureAgentAndroid.previewReport() = agent.previewReport()

/**
 * Unenrols: tells the collector (signed with the device key), deletes the
 * local state and then the key, and stops the scheduled check-ins.
 */
suspend fun PostureAgentAndroid.unenrol() = agent.unenrol().also {
    cancelCheckIns()
    signer.delete()
}

/**
 * Schedules a check-in every [intervalSecs] (JobScheduler raises it to its
 * 15-minute minimum) whenever a network is up. Idempotent: call it at every
 * app start. Not persisted across reboots, because that needs the
 * RECEIVE_BOOT_COMPLETED permission: after a reboot, check-ins resume when
 * the app next starts and calls this. Returns false if JobScheduler refused.
 */
fun PostureAgentAndroid.scheduleCheckIns(intervalSecs: Long = DEFAULT_CHECKIN_INTERVAL_SECS): Boolean {
    val interval = maxOf(intervalSecs * 1000, JobInfo.getMinPeriodMillis())
    val job = JobInfo.Builder(CHECKIN_JOB_ID, ComponentName(context, CheckInJobService::class.java))
        .setRequiredNetworkType(JobInfo.NETWORK_TYPE_ANY)
        // A wide flex window lets the system batch the job with others: no battery cost of its own.
        .setPeriodic(interval, maxOf(interval / 4, JobInfo.getMinFlexMillis()))
        .build()
    val scheduler = context.getSystemService(JobScheduler::class.java) ?: return false
    val current = scheduler.getPendingJob(CHECKIN_JOB_ID)
    if (current != null && current.intervalMillis == job.intervalMillis && current.service == job.service) return true
    return scheduler.schedule(job) == JobScheduler.RESULT_SUCCESS
}

/** Stops the scheduled check-ins. */
fun PostureAgentAndroid.cancelCheckIns() {
    context.getSystemService(JobScheduler::class.java)?.cancel(CHECKIN_JOB_ID)
}
