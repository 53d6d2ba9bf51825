package dev.postureagent.android

import dev.postureagent.FactBool
import dev.postureagent.FactHardwareKeyStore
import dev.postureagent.FactScreenLock
import dev.postureagent.FactSecurityPatch
import dev.postureagent.FactStorageEncryption
import dev.postureagent.FactText
import dev.postureagent.FactTpm
import dev.postureagent.IntegrityIndicator
import dev.postureagent.OsFacts
import dev.postureagent.Posture
import dev.postureagent.core.HardwareKeyStore
import dev.postureagent.core.IndicatorKind
import dev.postureagent.core.Platform
import dev.postureagent.core.ScreenLock
import dev.postureagent.core.StorageEncryption
import java.time.Instant
import java.time.LocalDate
import java.time.format.DateTimeParseException

/** The posture schema this mapping writes (agent-core's `POSTURE_SCHEMA_VERSION`). */
const val POSTURE_SCHEMA_VERSION: UInt = 1u

private const val DPM = "DevicePolicyManager.getStorageEncryptionStatus"
private const val ADB_ENABLED = "Settings.Global.ADB_ENABLED"
private const val DEV_SETTINGS = "Settings.Global.DEVELOPMENT_SETTINGS_ENABLED"

/**
 * The posture the framework values in [facts] describe. Pure: every fact is
 * Observed with the API it came from, or Unknown with the reason. Names of
 * integrity indicators match agent-core's adb mapping, so a collector sees
 * the same names whether a device was read by this shim or over adb.
 *
 * [attested] are indicators from a platform attestation service the host
 * app ran (Play Integrity, say); the shim itself never calls one.
 */
fun postureOf(
    facts: AndroidFacts,
    agentVersion: String,
    collectedAt: Instant,
    attested: List<IntegrityIndicator> = emptyList(),
): Posture = Posture(
    schemaVersion = POSTURE_SCHEMA_VERSION,
    platform = Platform.ANDROID,
    os = OsFacts(
        id = FactText.Observed("android", "android.os.Build (the agent runs on Android)"),
        name = FactText.Observed("Android", "android.os.Build (the agent runs on Android)"),
        version = text(facts.release, "Build.VERSION.RELEASE (SDK_INT ${facts.sdkInt})"),
        build = text(facts.buildId, "Build.ID"),
        kernel = FactText.Unknown("not collected on Android: no policy rule uses it"),
    ),
    securityPatch = securityPatch(facts.securityPatch),
    storageEncryption = storageEncryption(facts.storageEncryptionStatus),
    screenLock = facts.deviceSecure.fold(
        { secure -> FactScreenLock.Observed(if (secure) ScreenLock.SET else ScreenLock.NOT_SET, "KeyguardManager.isDeviceSecure") },
        { e -> FactScreenLock.Unknown("KeyguardManager.isDeviceSecure failed: ${describe(e)}") },
    ),
    autoLock = dev.postureagent.FactAutoLock.Unknown("SCREEN_OFF_TIMEOUT and the lock-after-timeout setting are not read by this version of the Android probe"),
    developerMode = developerMode(facts.developmentSettingsEnabled, facts.buildType),
    usbDebugging = settingFlag(facts.adbEnabled, ADB_ENABLED),
    integrity = integrity(facts) + attested,
    hardwareKeyStore = hardwareKeyStore(facts.strongBox, facts.hardwareKeystore),
    secureBoot = FactBool.Unknown("UEFI Secure Boot is a desktop fact; see the integrity indicators"),
    tpm = FactTpm.Unknown("phones have no TPM; see hardware_key_store"),
    agentVersion = agentVersion,
    collectedAt = collectedAt,
)

private fun text(value: String?, source: String): FactText =
    if (value.isNullOrBlank()) FactText.Unknown("$source is empty") else FactText.Observed(value, source)

/** The core parses the level as a date; a value that is not one stays Unknown here rather than failing the whole posture there. */
private fun securityPatch(value: String?): FactSecurityPatch {
    val source = "Build.VERSION.SECURITY_PATCH"
    if (value.isNullOrBlank()) return FactSecurityPatch.Unknown("$source is empty")
    return try {
        FactSecurityPatch.Observed(LocalDate.parse(value.trim()).toString(), source)
    } catch (e: DateTimeParseException) {
        FactSecurityPatch.Unknown("$source is ${value.take(32).trim()}, not a YYYY-MM-DD date")
    }
}

/**
 * Each `ENCRYPTION_STATUS_*` as the policy sees it. Any Encrypted passes the
 * storage encryption rule; the method says how strong it is, so a backend
 * that wants to can tell file-based from a default-key full-disk device.
 */
private fun storageEncryption(status: Result<Int>): FactStorageEncryption {
    fun encrypted(method: String, value: Int) =
        FactStorageEncryption.Observed(StorageEncryption.Encrypted(method), "$DPM ($value)")
    fun notEncrypted(meaning: String, value: Int) =
        FactStorageEncryption.Observed(StorageEncryption.NotEncrypted, "$DPM ($value: $meaning)")
    return status.fold(
        { value ->
            when (value) {
                // File-based encryption: each user's files are encrypted with
                // keys bound to that user's lock screen credential.
                EncryptionStatus.ACTIVE_PER_USER -> encrypted("file-based (FBE), keys per user", value)
                // Full-disk encryption with the key bound to the user's credential
                // (also what apps targeting API < 24 see on file-based devices).
                EncryptionStatus.ACTIVE -> encrypted("full-disk (FDE), key bound to the user's credential", value)
                // Full-disk encryption with the default key: the data is encrypted
                // at rest, but whoever holds the device can boot and read it.
                EncryptionStatus.ACTIVE_DEFAULT_KEY -> encrypted("full-disk (FDE), default key not bound to a credential", value)
                EncryptionStatus.INACTIVE -> notEncrypted("inactive: supported but not turned on", value)
                EncryptionStatus.UNSUPPORTED -> notEncrypted("unsupported: the device cannot encrypt", value)
                // Full-disk encryption being switched on (Android 9 and older):
                // neither state holds yet, so the fact is not known.
                EncryptionStatus.ACTIVATING -> FactStorageEncryption.Unknown("$DPM ($value): encryption is being turned on and is not complete")
                else -> FactStorageEncryption.Unknown("$DPM returned $value, not a known ENCRYPTION_STATUS_ value")
            }
        },
        { e -> FactStorageEncryption.Unknown("$DPM failed: ${describe(e)}") },
    )
}

/**
 * A setting never written reads as off in the Settings app, except on `eng`
 * builds, where developer options default to on (as agent-core's adb mapping).
 */
private fun developerMode(setting: Result<Int?>, buildType: String?): FactBool {
    if (setting.getOrNull() == null && setting.isSuccess) {
        return when (buildType) {
            "eng" -> FactBool.Unknown("$DEV_SETTINGS is not set, and eng builds default developer options on")
            null, "" -> FactBool.Unknown("$DEV_SETTINGS is not set and Build.TYPE is unknown")
            else -> FactBool.Observed(false, "$DEV_SETTINGS (not set: off by default on $buildType builds)")
        }
    }
    return settingFlag(setting, DEV_SETTINGS)
}

private fun settingFlag(setting: Result<Int?>, name: String): FactBool = setting.fold(
    { value ->
        when (value) {
            1 -> FactBool.Observed(true, name)
            0 -> FactBool.Observed(false, name)
            null -> FactBool.Unknown("$name is not set")
            else -> FactBool.Unknown("$name is $value, not 0 or 1")
        }
    },
    { e -> FactBool.Unknown("$name could not be read: ${describe(e)}") },
)

/** Local heuristics: each a strong hint, none proof, and root can hide every one. */
private fun integrity(facts: AndroidFacts): List<IntegrityIndicator> {
    fun heuristic(name: String, tripped: FactBool) = IntegrityIndicator(name, IndicatorKind.HEURISTIC, tripped)
    val testKeys = when (val tags = facts.buildTags) {
        null, "" -> FactBool.Unknown("Build.TAGS is empty")
        else -> FactBool.Observed(tags.split(',').any { it.trim() == "test-keys" }, "Build.TAGS ($tags)")
    }
    val debuggable = facts.roDebuggable.fold(
        { value ->
            when (value.trim()) {
                // Android reads a missing ro.debuggable as 0.
                "" -> FactBool.Observed(false, "getprop ro.debuggable (not set: read as 0)")
                else -> FactBool.Observed(value.trim() == "1", "getprop ro.debuggable")
            }
        },
        { e -> FactBool.Unknown("getprop ro.debuggable failed: ${describe(e)}") },
    )
    val su = facts.suBinaries.fold(
        { found ->
            if (found.isEmpty()) {
                FactBool.Observed(false, "none of ${SU_PATHS.size} known su paths exists")
            } else {
                FactBool.Observed(true, "found ${found.joinToString()}")
            }
        },
        { e -> FactBool.Unknown("the su paths could not be checked: ${describe(e)}") },
    )
    return listOf(
        heuristic("test_keys_build", testKeys),
        heuristic("su_binary", su),
        heuristic("ro_debuggable", debuggable),
    )
}

/**
 * The strongest key store the device offers. Without StrongBox, Android 12+
 * says whether the Keystore is hardware-backed (a TEE); older versions do
 * not say it as a feature, so the fact stays Unknown rather than guessed.
 */
private fun hardwareKeyStore(strongBox: Result<Boolean?>, hardwareKeystore: Result<Boolean?>): FactHardwareKeyStore {
    val strong = "PackageManager.FEATURE_STRONGBOX_KEYSTORE"
    val hardware = "PackageManager.FEATURE_HARDWARE_KEYSTORE"
    strongBox.exceptionOrNull()?.let { return FactHardwareKeyStore.Unknown("$strong could not be read: ${describe(it)}") }
    if (strongBox.getOrNull() == true) return FactHardwareKeyStore.Observed(HardwareKeyStore.STRONG_BOX, strong)
    return hardwareKeystore.fold(
        { present ->
            when (present) {
                true -> FactHardwareKeyStore.Observed(HardwareKeyStore.TEE, "$hardware (no StrongBox)")
                // The feature is declared by every device launched with Android 12+
                // that has a hardware Keystore; absence on an upgraded device
                // does not prove there is none.
                false -> FactHardwareKeyStore.Unknown("$hardware is not declared and there is no StrongBox; devices upgraded to Android 12 may not declare it")
                null -> FactHardwareKeyStore.Unknown("no StrongBox, and before Android 12 the framework does not declare a hardware Keystore")
            }
        },
        { e -> FactHardwareKeyStore.Unknown("$hardware could not be read: ${describe(e)}") },
    )
}

private fun describe(e: Throwable): String = e.message?.takeIf { it.isNotBlank() } ?: e.javaClass.simpleName
