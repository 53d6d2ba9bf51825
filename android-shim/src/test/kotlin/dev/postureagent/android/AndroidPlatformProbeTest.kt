// The probe under Robolectric: its shadows of Build, KeyguardManager,
// DevicePolicyManager, Settings.Global and PackageManager stand in for a
// device, and read() must return what they hold, raw, one reading per value.
// (getprop reads the host, so only its shape is checked; the su paths are
// files made here.) JUnit 4, run by the vintage engine.
package dev.postureagent.android

import android.app.Application
import android.app.KeyguardManager
import android.app.admin.DevicePolicyManager
import android.content.pm.PackageManager
import android.os.Build
import android.provider.Settings
import dev.postureagent.core.AndroidReader
import dev.postureagent.core.Reading
import java.io.File

import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import org.robolectric.shadows.ShadowBuild

@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34], manifest = Config.NONE)
class AndroidPlatformProbeTest {
    private val app: Application = RuntimeEnvironment.getApplication()

    @Test
    fun readsEachFactFromItsFrameworkApi() {
        ShadowBuild.setVersionRelease("14")
        ShadowBuild.setVersionSecurityPatch("2026-10-05")
        ShadowBuild.setId("UP1A.231005.007")
        ShadowBuild.setType("user")
        ShadowBuild.setTags("release-keys")
        shadowOf(app.getSystemService(KeyguardManager::class.java)).setIsDeviceSecure(true)
        shadowOf(app.getSystemService(DevicePolicyManager::class.java))
            .setStorageEncryptionStatus(DevicePolicyManager.ENCRYPTION_STATUS_ACTIVE_PER_USER)
        Settings.Global.putInt(app.contentResolver, Settings.Global.ADB_ENABLED, 1)
        Settings.Global.putInt(app.contentResolver, Settings.Global.DEVELOPMENT_SETTINGS_ENABLED, 0)
        shadowOf(app.packageManager).setSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE, true)
        Settings.System.putInt(app.contentResolver, Settings.System.SCREEN_OFF_TIMEOUT, 30000)
        Settings.Secure.putString(app.contentResolver, "lock_screen_lock_after_timeout", "5000")
        shadowOf(app.packageManager).setSystemFeature(PackageManager.FEATURE_HARDWARE_KEYSTORE, true)

        val su = File.createTempFile("su-path", null).apply { deleteOnExit() }
        val missing = File(su.parentFile, "${su.name}-missing")
        val readings = AndroidPlatformProbe(app, suPaths = { listOf(missing.path, su.path) }).read()

        assertEquals(AndroidReader.APP, readings.reader)
        assertEquals(read("14"), readings.release)
        assertEquals(read("34"), readings.sdk)
        assertEquals(read("2026-10-05"), readings.securityPatch)
        assertEquals(read("UP1A.231005.007"), readings.buildId)
        assertEquals(read("user"), readings.buildType)
        assertEquals(read("release-keys"), readings.buildTags)
        assertEquals(read("true"), readings.deviceSecure)
        assertEquals(read("${DevicePolicyManager.ENCRYPTION_STATUS_ACTIVE_PER_USER}"), readings.encryptionStatus)
        assertEquals(read("1"), readings.adbEnabled)
        assertEquals(read("0"), readings.developmentSettingsEnabled)
        assertEquals(read("true"), readings.strongBox)
        assertEquals(read("true"), readings.hardwareKeystore)
        assertEquals(read(su.path), readings.suPathsFound)
        assertEquals(read("30000"), readings.screenOffTimeout)
        assertEquals(read("5000"), readings.lockAfterTimeout)
        assertTrue(readings.debuggable is Reading.Read || readings.debuggable is Reading.Failed)
        // What only adb reads, an app does not take.
        for (notTaken in listOf(readings.cryptoState, readings.verifiedBootState, readings.flashLocked, readings.lockScreenDisabled)) {
            assertEquals(Reading.NotRead, notTaken)
        }
    }

    @Test
    fun aSettingNeverWrittenIsNullAndAMissingFeatureFalse() {
        shadowOf(app.getSystemService(KeyguardManager::class.java)).setIsDeviceSecure(false)
        shadowOf(app.getSystemService(DevicePolicyManager::class.java))
            .setStorageEncryptionStatus(DevicePolicyManager.ENCRYPTION_STATUS_INACTIVE)
        Settings.Global.putString(app.contentResolver, Settings.Global.DEVELOPMENT_SETTINGS_ENABLED, null)

        val readings = AndroidPlatformProbe(app, suPaths = { emptyList() }).read()

        assertEquals(read("false"), readings.deviceSecure)
        assertEquals(read("${DevicePolicyManager.ENCRYPTION_STATUS_INACTIVE}"), readings.encryptionStatus)
        assertEquals(Reading.NotSet, readings.developmentSettingsEnabled)
        assertEquals(read("false"), readings.strongBox)
        assertEquals(read("${Build.VERSION.SDK_INT}"), readings.sdk)
        assertEquals(read(""), readings.suPathsFound)
    }

    @Test
    fun aFailingCallIsAFailedReadingAndBlankTextNotSet() {
        assertEquals(Reading.Failed("keyguard gone"), reading { throw SecurityException("keyguard gone") })
        assertEquals(Reading.Failed("IllegalStateException"), reading { throw IllegalStateException() })
        assertEquals(Reading.NotSet, reading { null })
        assertEquals(Reading.NotSet, text(" "))
        assertEquals(Reading.NotSet, text(null))
        assertEquals(read("14"), text(" 14\n"))
    }
}
