package dev.postureagent.android

import android.content.Context
import dev.postureagent.IntegrityIndicator
import dev.postureagent.Posture
import dev.postureagent.PostureAgent
import dev.postureagent.Transport
import java.io.File

// One shared default, so two default Options are equal (lambdas compare by identity).
private val NO_ATTESTATION: () -> List<IntegrityIndicator> = { emptyList() }

/**
 * The posture agent as an Android app uses it: the Rust core with this
 * shim's probe and Keystore signer, its state in app-private storage that
 * is never backed up. One per process ([create]); the check-in job uses
 * the same one.
 *
 * The agent operations (enrol, checkIn, status, previewReport, unenrol) and
 * the check-in schedule are in `AgentOps.kt`.
 */
class PostureAgentAndroid internal constructor(
    context: Context,
    /** The ffi agent, for what this facade does not wrap. */
    val agent: PostureAgent,
    /** The device key. */
    val signer: KeystoreSigner,
    /** Where the agent keeps its state. */
    val stateDir: File,
) {
    /** The application context (never an Activity, which the agent would outlive). */
    val context: Context = context.applicationContext ?: context

    /** What the agent can be built with; the defaults suit most apps. */
    data class Options(
        /** The app's own HTTP stack (OkHttp, say), so its proxy and pinning apply; null: the built-in HTTPS client. */
        val transport: Transport? = null,
        /** Platform attestation indicators the app obtains itself (Play Integrity); see [AndroidPlatformProbe]. */
        val attestation: () -> List<IntegrityIndicator> = NO_ATTESTATION,
        /** The Keystore alias of the device key. */
        val keyAlias: String = KeystoreSigner.DEFAULT_ALIAS,
    )

    /** The device's posture now, read off the caller's thread: exactly what a check-in would report. */
    suspend fun collect(): Posture = agent.collectAsync()

    companion object {
        /** The state directory's name inside `noBackupFilesDir`. */
        const val STATE_DIR_NAME = "posture-agent"

        @Volatile
        private var instance: Pair<Options, PostureAgentAndroid>? = null

        /**
         * The process's agent, made on the first call. Call it with your
         * options in `Application.onCreate`, so the check-in job, which may
         * start the process, finds it made the same way.
         */
        @JvmStatic
        @JvmOverloads
        fun create(context: Context, options: Options = Options()): PostureAgentAndroid = synchronized(this) {
            instance?.let { (made, agent) ->
                check(made == options) { "PostureAgentAndroid was already created with other options; create it once, in Application.onCreate" }
                return agent
            }
            val app = context.applicationContext ?: context
            val dir = stateDir(app).apply { mkdirs() }
            val signer = KeystoreSigner(app, options.keyAlias)
            val probe = AndroidPlatformProbe(app, options.attestation)
            val agent = PostureAgent(dir.absolutePath, probe = probe, signer = signer, transport = options.transport)
            PostureAgentAndroid(app, agent, signer, dir).also { instance = options to it }
        }

        /**
         * The process's agent as already created, else one with the default
         * options: for code that runs without the app's set-up in hand (the
         * check-in job).
         */
        @JvmStatic
        fun get(context: Context): PostureAgentAndroid = synchronized(this) { instance?.second ?: create(context) }

        /**
         * The state directory: in `noBackupFilesDir`, which Auto Backup never
         * copies, so a device id and outbox are never restored onto another
         * phone (the device key, in Keystore, could not follow them anyway).
         */
        @JvmStatic
        fun stateDir(context: Context): File = File(context.noBackupFilesDir, STATE_DIR_NAME)
    }
}
