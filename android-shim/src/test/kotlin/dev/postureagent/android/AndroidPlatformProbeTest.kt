// The framework-calling half of the probe under Robolectric: its shadows of
// Build, KeyguardManager, DevicePolicyManager, Settings.Global and
// PackageManager stand in for a device, and read() must return what they
// hold, one value per fact. (getprop and the su paths read the host, so
// only their shape is checked.) JUnit 4, run by the vintage engine.
package dev.postureagent.android

import android.app.Application
import android.app.KeyguardManager
import android.app.admin.DevicePolicyManager
import android.content.pm.PackageManager
import android.os.Build
import android.provider.Settings

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
        shadowOf(app.packageManager).setSystemFeature(PackageManager.FEATURE_HARDWARE_KEYSTORE, true)

        val facts = AndroidPlatformProbe(app).read()

        assertEquals("14", facts.release)
        assertEquals(34, facts.sdkInt)
        assertEquals("2026-10-05", facts.securityPatch)
        assertEquals("UP1A.231005.007", facts.buildId)
        assertEquals("user", facts.buildType)
        assertEquals("release-keys", facts.buildTags)
        assertEquals(Result.success(true), facts.deviceSecure)
        assertEquals(Result.success(DevicePolicyManager.ENCRYPTION_STATUS_ACTIVE_PER_USER), facts.storageEncryptionStatus)
        assertEquals(Result.success(1), facts.adbEnabled)
        assertEquals(Result.success(0), facts.developmentSettingsEnabled)
        assertEquals(Result.success(true), facts.strongBox)
        assertEquals(Result.success(true), facts.hardwareKeystore)
        assertTrue(facts.suBinaries.isSuccess)
    }

    @Test
    fun aSettingNeverWrittenIsNullAndAMissingFeatureFalse() {
        shadowOf(app.getSystemService(KeyguardManager::class.java)).setIsDeviceSecure(false)
        shadowOf(app.getSystemService(DevicePolicyManager::class.java))
            .setStorageEncryptionStatus(DevicePolicyManager.ENCRYPTION_STATUS_INACTIVE)
        Settings.Global.putString(app.contentResolver, Settings.Global.DEVELOPMENT_SETTINGS_ENABLED, null)

        val facts = AndroidPlatformProbe(app).read()

        assertEquals(Result.success(false), facts.deviceSecure)
        assertEquals(Result.success(DevicePolicyManager.ENCRYPTION_STATUS_INACTIVE), facts.storageEncryptionStatus)
        assertEquals(Result.success(null), facts.developmentSettingsEnabled)
        assertEquals(Result.success(false), facts.strongBox)
        assertEquals(Build.VERSION.SDK_INT, facts.sdkInt)
    }
}
