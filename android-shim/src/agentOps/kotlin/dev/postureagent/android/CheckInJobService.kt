package dev.postureagent.android

import android.app.job.JobParameters
import android.app.job.JobService
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch

/**
 * Runs the scheduled check-in. JobScheduler calls it on the main thread, so
 * the check-in runs in a coroutine (the ffi's suspend calls do the blocking
 * work on Rust's own threads). A check-in that fails to deliver leaves its
 * report in the outbox, which the next run sends: the job never asks for a
 * retry itself, so a dead network costs no extra wake-ups. It shows nothing
 * to the person: the job keeps its cadence in quiet hours too, and an app
 * that notifies from a check-in asks the core first ([shouldNotify]).
 */
class CheckInJobService : JobService() {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private var running: Job? = null

    override fun onStartJob(params: JobParameters): Boolean {
        val agent = PostureAgentAndroid.get(applicationContext)
        running = scope.launch {
            try {
                agent.checkIn()
            } catch (e: Exception) {
                // The core has recorded what failed in its state (status shows
                // it); there is nobody to tell here, and the report is queued.
            } finally {
                jobFinished(params, false)
            }
        }
        return true
    }

    /** The system withdrew the job (network lost, say): stop; the next period tries again. */
    override fun onStopJob(params: JobParameters): Boolean {
        running?.cancel()
        return false
    }

    override fun onDestroy() {
        scope.cancel()
        super.onDestroy()
    }
}
