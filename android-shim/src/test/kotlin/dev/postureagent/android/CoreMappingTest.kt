// The shim's readings through the real library: the core's Android mapping
// knows the framework's constants, and a probe's readings cross into Rust,
// become the posture and are judged by the default policy. (The mapping's
// rules, value by value, are agent-core's tests.)
package dev.postureagent.android

import android.app.admin.DevicePolicyManager
import dev.postureagent.FactStorageEncryption
import dev.postureagent.PostureAgent
import dev.postureagent.androidPosture
import dev.postureagent.core.Compliance
import dev.postureagent.core.Outcome
import dev.postureagent.core.RuleId
import dev.postureagent.core.StorageEncryption
import dev.postureagent.defaultPolicy
import java.nio.file.Files
import java.time.LocalDate
import java.time.ZoneOffset
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class CoreMappingTest {
    private fun encryption(status: Int) =
        androidPosture(pixelReadings().copy(encryptionStatus = read(status.toString())), emptyList()).storageEncryption

    private fun method(status: Int): String =
        ((encryption(status) as FactStorageEncryption.Observed).value as StorageEncryption.Encrypted).method

    @Test
    @Suppress("DEPRECATION") // ACTIVATING: full-disk encryption, gone since Android 10; still returned by old devices
    fun `the framework's encryption constants mean what the core says`() {
        // Compile-time constants of android-all: inlined, so no stub runs.
        assertTrue(method(DevicePolicyManager.ENCRYPTION_STATUS_ACTIVE_PER_USER).startsWith("file-based (FBE)"))
        assertTrue(method(DevicePolicyManager.ENCRYPTION_STATUS_ACTIVE).contains("bound to the user's credential"))
        assertTrue(method(DevicePolicyManager.ENCRYPTION_STATUS_ACTIVE_DEFAULT_KEY).contains("default key"))
        for (status in listOf(DevicePolicyManager.ENCRYPTION_STATUS_INACTIVE, DevicePolicyManager.ENCRYPTION_STATUS_UNSUPPORTED)) {
            assertEquals(StorageEncryption.NotEncrypted, (encryption(status) as FactStorageEncryption.Observed).value)
        }
        val activating = encryption(DevicePolicyManager.ENCRYPTION_STATUS_ACTIVATING)
        assertTrue(activating is FactStorageEncryption.Unknown && activating.reason.contains("not complete"), "$activating")
    }

    @Test
    fun `a probe's readings cross into Rust and the default policy judges them`() {
        val today = LocalDate.now(ZoneOffset.UTC).toString()
        val readings = pixelReadings().copy(securityPatch = read(today))
        val agent = PostureAgent(Files.createTempDirectory("android-shim-map").toString(), probe = FixedProbe(readings))
        val posture = agent.collect()
        assertEquals(androidPosture(readings, emptyList()).copy(collectedAt = posture.collectedAt), posture)
        val verdict = agent.evaluate(posture, defaultPolicy())
        assertEquals(Compliance.COMPLIANT, verdict.compliance, verdict.toString())

        val risky = androidPosture(readings.copy(deviceSecure = read("false"), encryptionStatus = read("1")), emptyList())
        val outcomes = agent.evaluate(risky, defaultPolicy()).findings.associate { it.rule to it.outcome }
        assertEquals(Outcome.FAIL, outcomes[RuleId.SCREEN_LOCK])
        assertEquals(Outcome.FAIL, outcomes[RuleId.STORAGE_ENCRYPTION])
        agent.close()
    }
}
