// The probe's mapping from framework values to the posture, value by value,
// including every failure a framework call can have; then the mapped posture
// crosses into Rust and the default policy judges it.
package dev.postureagent.android

import android.app.admin.DevicePolicyManager
import dev.postureagent.FactBool
import dev.postureagent.FactHardwareKeyStore
import dev.postureagent.FactScreenLock
import dev.postureagent.FactSecurityPatch
import dev.postureagent.FactStorageEncryption
import dev.postureagent.FactText
import dev.postureagent.IntegrityIndicator
import dev.postureagent.PostureAgent
import dev.postureagent.core.Compliance
import dev.postureagent.core.HardwareKeyStore
import dev.postureagent.core.IndicatorKind
import dev.postureagent.core.Outcome
import dev.postureagent.core.Platform
import dev.postureagent.core.RuleId
import dev.postureagent.core.ScreenLock
import dev.postureagent.core.StorageEncryption
import dev.postureagent.defaultPolicy
import java.nio.file.Files
import java.time.LocalDate
import java.time.ZoneOffset
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

private fun map(facts: AndroidFacts) = postureOf(facts, "0.0.0-test", COLLECTED_AT)

private fun failure(message: String): Result<Nothing> = Result.failure(SecurityException(message))

private fun unknownReason(fact: Any): String = when (fact) {
    is FactText.Unknown -> fact.reason
    is FactBool.Unknown -> fact.reason
    is FactSecurityPatch.Unknown -> fact.reason
    is FactStorageEncryption.Unknown -> fact.reason
    is FactScreenLock.Unknown -> fact.reason
    is FactHardwareKeyStore.Unknown -> fact.reason
    else -> throw AssertionError("expected an Unknown fact, got $fact")
}

private fun List<IntegrityIndicator>.named(name: String): IntegrityIndicator = single { it.name == name }

class PostureMappingTest {
    @Test
    fun `a patched locked phone maps fact by fact with its sources`() {
        val p = map(pixelFacts())
        assertEquals(Platform.ANDROID, p.platform)
        assertEquals(FactText.Observed("14", "Build.VERSION.RELEASE (SDK_INT 34)"), p.os.version)
        assertEquals(FactText.Observed("UP1A.231005.007", "Build.ID"), p.os.build)
        assertEquals(FactSecurityPatch.Observed("2026-10-05", "Build.VERSION.SECURITY_PATCH"), p.securityPatch)
        assertEquals(FactScreenLock.Observed(ScreenLock.SET, "KeyguardManager.isDeviceSecure"), p.screenLock)
        assertEquals(FactBool.Observed(false, "Settings.Global.DEVELOPMENT_SETTINGS_ENABLED"), p.developerMode)
        assertEquals(FactBool.Observed(false, "Settings.Global.ADB_ENABLED"), p.usbDebugging)
        assertEquals(FactHardwareKeyStore.Observed(HardwareKeyStore.STRONG_BOX, "PackageManager.FEATURE_STRONGBOX_KEYSTORE"), p.hardwareKeyStore)
        assertEquals(listOf("test_keys_build", "su_binary", "ro_debuggable"), p.integrity.map { it.name })
        assertTrue(p.integrity.all { it.kind == IndicatorKind.HEURISTIC && (it.tripped as FactBool.Observed).value == false })
        assertEquals(COLLECTED_AT, p.collectedAt)
    }

    @Test
    fun `every encryption status maps as documented`() {
        fun encryption(status: Int) = map(pixelFacts().copy(storageEncryptionStatus = Result.success(status))).storageEncryption
        fun method(status: Int) = ((encryption(status) as FactStorageEncryption.Observed).value as StorageEncryption.Encrypted).method
        assertTrue(method(EncryptionStatus.ACTIVE_PER_USER).startsWith("file-based (FBE)"))
        assertTrue(method(EncryptionStatus.ACTIVE).contains("bound to the user's credential"))
        assertTrue(method(EncryptionStatus.ACTIVE_DEFAULT_KEY).contains("default key"))
        for (status in listOf(EncryptionStatus.INACTIVE, EncryptionStatus.UNSUPPORTED)) {
            val fact = encryption(status) as FactStorageEncryption.Observed
            assertEquals(StorageEncryption.NotEncrypted, fact.value)
            assertTrue(fact.source.startsWith("DevicePolicyManager.getStorageEncryptionStatus ($status: "))
        }
        assertTrue(unknownReason(encryption(EncryptionStatus.ACTIVATING)).contains("not complete"))
        assertTrue(unknownReason(encryption(42)).contains("42"))
        val failed = map(pixelFacts().copy(storageEncryptionStatus = failure("no device policy service"))).storageEncryption
        assertTrue(unknownReason(failed).contains("no device policy service"))
    }

    @Test
    @Suppress("DEPRECATION") // ACTIVATING: full-disk encryption, gone since Android 10; still returned by old devices
    fun `the copied encryption constants are the framework's`() {
        // Compile-time constants of android-all: inlined, so no stub runs.
        assertEquals(DevicePolicyManager.ENCRYPTION_STATUS_UNSUPPORTED, EncryptionStatus.UNSUPPORTED)
        assertEquals(DevicePolicyManager.ENCRYPTION_STATUS_INACTIVE, EncryptionStatus.INACTIVE)
        assertEquals(DevicePolicyManager.ENCRYPTION_STATUS_ACTIVATING, EncryptionStatus.ACTIVATING)
        assertEquals(DevicePolicyManager.ENCRYPTION_STATUS_ACTIVE, EncryptionStatus.ACTIVE)
        assertEquals(DevicePolicyManager.ENCRYPTION_STATUS_ACTIVE_DEFAULT_KEY, EncryptionStatus.ACTIVE_DEFAULT_KEY)
        assertEquals(DevicePolicyManager.ENCRYPTION_STATUS_ACTIVE_PER_USER, EncryptionStatus.ACTIVE_PER_USER)
    }

    @Test
    fun `screen lock, settings and their failures`() {
        assertEquals(ScreenLock.NOT_SET, (map(pixelFacts().copy(deviceSecure = Result.success(false))).screenLock as FactScreenLock.Observed).value)
        assertTrue(unknownReason(map(pixelFacts().copy(deviceSecure = failure("keyguard gone"))).screenLock).contains("keyguard gone"))
        val on = map(pixelFacts().copy(adbEnabled = Result.success(1), developmentSettingsEnabled = Result.success(1)))
        assertEquals(FactBool.Observed(true, "Settings.Global.ADB_ENABLED"), on.usbDebugging)
        assertEquals(FactBool.Observed(true, "Settings.Global.DEVELOPMENT_SETTINGS_ENABLED"), on.developerMode)
        assertTrue(unknownReason(map(pixelFacts().copy(adbEnabled = Result.success(null))).usbDebugging).contains("not set"))
        assertTrue(unknownReason(map(pixelFacts().copy(adbEnabled = Result.success(2))).usbDebugging).contains("not 0 or 1"))
        assertTrue(unknownReason(map(pixelFacts().copy(adbEnabled = failure("denied"))).usbDebugging).contains("denied"))
    }

    @Test
    fun `developer options never written are off, except on eng builds`() {
        val unset = pixelFacts().copy(developmentSettingsEnabled = Result.success(null))
        val user = map(unset).developerMode as FactBool.Observed
        assertEquals(false, user.value)
        assertTrue(user.source.contains("not set: off by default on user builds"))
        assertTrue(unknownReason(map(unset.copy(buildType = "eng")).developerMode).contains("eng builds"))
        assertTrue(unknownReason(map(unset.copy(buildType = null)).developerMode).contains("Build.TYPE is unknown"))
    }

    @Test
    fun `security patch and version are Unknown when the build does not say`() {
        assertTrue(unknownReason(map(pixelFacts().copy(securityPatch = "")).securityPatch).contains("empty"))
        assertTrue(unknownReason(map(pixelFacts().copy(securityPatch = "2026-02-30")).securityPatch).contains("not a YYYY-MM-DD date"))
        assertTrue(unknownReason(map(pixelFacts().copy(release = null)).os.version).contains("RELEASE"))
        assertTrue(unknownReason(map(pixelFacts()).os.kernel).contains("not collected"))
    }

    @Test
    fun `integrity heuristics trip on test-keys, su and ro debuggable`() {
        val rooted = map(
            pixelFacts().copy(
                buildTags = "dev-keys,test-keys",
                suBinaries = Result.success(listOf("/system/xbin/su")),
                roDebuggable = Result.success("1"),
            ),
        ).integrity
        for (name in listOf("test_keys_build", "su_binary", "ro_debuggable")) {
            val tripped = rooted.named(name).tripped as FactBool.Observed
            assertTrue(tripped.value, name)
            assertEquals(IndicatorKind.HEURISTIC, rooted.named(name).kind)
        }
        assertEquals("found /system/xbin/su", (rooted.named("su_binary").tripped as FactBool.Observed).source)
        val unset = map(pixelFacts().copy(roDebuggable = Result.success(""))).integrity.named("ro_debuggable").tripped
        assertEquals(FactBool.Observed(false, "getprop ro.debuggable (not set: read as 0)"), unset)
        val failed = map(pixelFacts().copy(roDebuggable = failure("no getprop"), suBinaries = failure("denied"))).integrity
        assertTrue(unknownReason(failed.named("ro_debuggable").tripped).contains("no getprop"))
        assertTrue(unknownReason(failed.named("su_binary").tripped).contains("denied"))
    }

    @Test
    fun `a host's attestation indicators are added as they are`() {
        val play = IntegrityIndicator("play_integrity_device", IndicatorKind.PLATFORM_ATTESTATION, FactBool.Observed(false, "Play Integrity (verified by the app's server)"))
        val p = postureOf(pixelFacts(), "0.0.0-test", COLLECTED_AT, listOf(play))
        assertEquals(play, p.integrity.last())
        assertEquals(4, p.integrity.size)
    }

    @Test
    fun `the hardware key store is StrongBox, TEE or Unknown, never guessed`() {
        fun store(strongBox: Result<Boolean?>, hardware: Result<Boolean?>) =
            map(pixelFacts().copy(strongBox = strongBox, hardwareKeystore = hardware)).hardwareKeyStore
        assertEquals(HardwareKeyStore.TEE, (store(Result.success(false), Result.success(true)) as FactHardwareKeyStore.Observed).value)
        assertTrue(unknownReason(store(Result.success(false), Result.success(false))).contains("not declared"))
        assertTrue(unknownReason(store(Result.success(null), Result.success(null))).contains("before Android 12"))
        assertTrue(unknownReason(store(failure("pm died"), Result.success(true))).contains("pm died"))
    }

    @Test
    fun `the mapped posture crosses into Rust unchanged and the default policy judges it`() {
        val today = LocalDate.now(ZoneOffset.UTC).toString()
        val facts = pixelFacts().copy(securityPatch = today)
        val agent = PostureAgent(Files.createTempDirectory("android-shim-map").toString(), probe = FixedProbe(facts))
        val posture = agent.collect()
        assertEquals(FixedProbe(facts).collect(), posture)
        val verdict = agent.evaluate(posture, defaultPolicy())
        assertEquals(Compliance.COMPLIANT, verdict.compliance, verdict.toString())

        val risky = FixedProbe(facts.copy(deviceSecure = Result.success(false), storageEncryptionStatus = Result.success(EncryptionStatus.INACTIVE))).collect()
        val outcomes = agent.evaluate(risky, defaultPolicy()).findings.associate { it.rule to it.outcome }
        assertEquals(Outcome.FAIL, outcomes[RuleId.SCREEN_LOCK])
        assertEquals(Outcome.FAIL, outcomes[RuleId.STORAGE_ENCRYPTION])
        agent.close()
    }
}
