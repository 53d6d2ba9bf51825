package dev.postureagent.android

import android.app.KeyguardManager
import android.app.admin.DevicePolicyManager
import android.content.Context
import android.content.pm.PackageManager
import android.os.Build
import android.provider.Settings
import dev.postureagent.IntegrityIndicator
import dev.postureagent.PlatformProbe
import dev.postureagent.PlatformReadings
import dev.postureagent.androidSuPaths
import dev.postureagent.core.AndroidReader
import dev.postureagent.core.AndroidReadings
import dev.postureagent.core.Platform
import dev.postureagent.core.Reading
import java.io.File
import java.util.concurrent.TimeUnit

/**
 * Reads the device from public framework APIs only: no permission beyond
 * what every app has, no androidx, no Google Play services. [read] makes one
 * framework call per value and keeps it raw; the core's Android mapping (the
 * same the adb harness uses) decides what each value means.
 *
 * [attestation] is the optional hook for a platform attestation verdict the
 * host app obtains itself (Play Integrity, checked by its own server); its
 * indicators are added as they are, with kind `PLATFORM_ATTESTATION`.
 * [suPaths] are the paths to check for a `su` binary (the core's list).
 */
class AndroidPlatformProbe(
    context: Context,
    private val attestation: () -> List<IntegrityIndicator> = { emptyList() },
    private val suPaths: () -> List<String> = ::androidSuPaths,
) : PlatformProbe {
    // The application context: a probe kept by a long-lived agent must not
    // hold an Activity.
    private val context: Context = context.applicationContext ?: context

    override fun platform(): Platform = Platform.ANDROID

    override fun collect(): PlatformReadings = PlatformReadings.Android(read(), attestation())

    /** The raw framework values, one call each; what this reader cannot take is `NotRead`. */
    fun read(): AndroidReadings = AndroidReadings(
        reader = AndroidReader.APP,
        release = text(Build.VERSION.RELEASE),
        sdk = Reading.Read(Build.VERSION.SDK_INT.toString()),
        buildId = text(Build.ID),
        buildType = text(Build.TYPE),
        buildTags = text(Build.TAGS),
        securityPatch = text(Build.VERSION.SECURITY_PATCH),
        debuggable = reading { getprop("ro.debuggable") },
        cryptoState = Reading.NotRead,
        cryptoType = Reading.NotRead,
        verifiedBootState = Reading.NotRead,
        flashLocked = Reading.NotRead,
        encryptionStatus = reading { service<DevicePolicyManager>().storageEncryptionStatus },
        deviceSecure = reading { service<KeyguardManager>().isDeviceSecure },
        lockScreenDisabled = Reading.NotRead,
        screenOffTimeout = reading { systemInt(Settings.System.SCREEN_OFF_TIMEOUT) },
        lockAfterTimeout = reading { Settings.Secure.getString(context.contentResolver, LOCK_AFTER_TIMEOUT) },
        adbEnabled = reading { globalInt(Settings.Global.ADB_ENABLED) },
        developmentSettingsEnabled = reading { globalInt(Settings.Global.DEVELOPMENT_SETTINGS_ENABLED) },
        suPathsFound = reading { suPaths().filter { File(it).exists() }.joinToString("\n") },
        strongBox = reading { if (Build.VERSION.SDK_INT >= 28) hasFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE) else null },
        hardwareKeystore = reading { if (Build.VERSION.SDK_INT >= 31) hasFeature(PackageManager.FEATURE_HARDWARE_KEYSTORE) else null },
    )

    private inline fun <reified T : Any> service(): T =
        checkNotNull(context.getSystemService(T::class.java)) { "${T::class.java.simpleName} is not available" }

    /** A global setting, or null when it was never written (the framework then throws). */
    private fun globalInt(name: String): Int? = try {
        Settings.Global.getInt(context.contentResolver, name)
    } catch (e: Settings.SettingNotFoundException) {
        null
    }

    /** A system setting, or null when it was never written. */
    private fun systemInt(name: String): Int? = try {
        Settings.System.getInt(context.contentResolver, name)
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

/** The hidden `Settings.Secure` name of the keyguard's lock-after-timeout (readable by apps). */
private const val LOCK_AFTER_TIMEOUT = "lock_screen_lock_after_timeout"

/** A framework string as a reading: null or blank is `NotSet`. */
internal fun text(value: String?): Reading =
    if (value.isNullOrBlank()) Reading.NotSet else Reading.Read(value.trim())

/**
 * One framework call as a reading: its value as text, `NotSet` for null (a
 * setting never written, a feature this version does not declare), or
 * `Failed` with the exception's message, so one failing call costs one fact.
 */
internal inline fun reading(read: () -> Any?): Reading = try {
    read()?.let { Reading.Read(it.toString()) } ?: Reading.NotSet
} catch (e: Exception) {
    Reading.Failed(e.message?.takeIf { it.isNotBlank() } ?: e.javaClass.simpleName)
}
