package dev.postureagent.android

import android.app.KeyguardManager
import android.app.admin.DevicePolicyManager
import android.content.Context
import android.content.pm.PackageManager
import android.os.Build
import android.provider.Settings
import dev.postureagent.IntegrityIndicator
import dev.postureagent.PlatformProbe
import dev.postureagent.Posture
import dev.postureagent.agentVersion
import dev.postureagent.core.Platform
import java.io.File
import java.time.Instant
import java.util.concurrent.TimeUnit

/**
 * Reads the device's posture from public framework APIs only: no
 * permission beyond what every app has, no androidx, no Google Play
 * services. [read] makes one framework call per fact; [postureOf] turns
 * them into the posture, so the logic is tested without a device.
 *
 * [attestation] is the optional hook for a platform attestation verdict the
 * host app obtains itself (Play Integrity, checked by its own server); its
 * indicators are added as they are, with kind `PLATFORM_ATTESTATION`.
 */
class AndroidPlatformProbe(
    context: Context,
    private val attestation: () -> List<IntegrityIndicator> = { emptyList() },
) : PlatformProbe {
    // The application context: a probe kept by a long-lived agent must not
    // hold an Activity.
    private val context: Context = context.applicationContext ?: context

    override fun platform(): Platform = Platform.ANDROID

    override fun collect(): Posture = postureOf(read(), agentVersion(), Instant.now(), attestation())

    /** The raw framework values, one call each. */
    fun read(): AndroidFacts = AndroidFacts(
        release = Build.VERSION.RELEASE,
        sdkInt = Build.VERSION.SDK_INT,
        buildId = Build.ID,
        buildType = Build.TYPE,
        buildTags = Build.TAGS,
        securityPatch = Build.VERSION.SECURITY_PATCH,
        deviceSecure = runCatching { service<KeyguardManager>().isDeviceSecure },
        storageEncryptionStatus = runCatching { service<DevicePolicyManager>().storageEncryptionStatus },
        adbEnabled = runCatching { globalInt(Settings.Global.ADB_ENABLED) },
        developmentSettingsEnabled = runCatching { globalInt(Settings.Global.DEVELOPMENT_SETTINGS_ENABLED) },
        roDebuggable = runCatching { getprop("ro.debuggable") },
        suBinaries = runCatching { SU_PATHS.filter { File(it).exists() } },
        strongBox = runCatching { if (Build.VERSION.SDK_INT >= 28) hasFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE) else null },
        hardwareKeystore = runCatching { if (Build.VERSION.SDK_INT >= 31) hasFeature(PackageManager.FEATURE_HARDWARE_KEYSTORE) else null },
    )

    private inline fun <reified T : Any> service(): T =
        checkNotNull(context.getSystemService(T::class.java)) { "${T::class.java.simpleName} is not available" }

    /** A global setting, or null when it was never written (the framework then throws). */
    private fun globalInt(name: String): Int? = try {
        Settings.Global.getInt(context.contentResolver, name)
    } catch (e: Settings.SettingNotFoundException) {
        null
    }

    private fun hasFeature(feature: String): Boolean = context.packageManager.hasSystemFeature(feature)

    /**
     * `android.os.SystemProperties` is hidden API; `getprop` is the public
     * way an app reads a property. It prints "" for an unset one.
     */
    private fun getprop(name: String): String {
        val process = ProcessBuilder("getprop", name).redirectErrorStream(true).start()
        try {
            val output = process.inputStream.bufferedReader().use { it.readText() }
            check(process.waitFor(2, TimeUnit.SECONDS)) { "getprop did not finish" }
            check(process.exitValue() == 0) { "getprop exited with ${process.exitValue()}" }
            return output.trim()
        } finally {
            process.destroy()
        }
    }
}
