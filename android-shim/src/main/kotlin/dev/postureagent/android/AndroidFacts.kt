package dev.postureagent.android

/**
 * The raw values the probe reads from the Android framework, one per fact,
 * before any interpretation. [AndroidPlatformProbe.read] fills it on a
 * device; tests build it by hand, so [postureOf] is tested on every value
 * the framework can return without a device.
 *
 * A read that can fail (a system service missing, a SecurityException, a
 * setting never written) is a [Result], so the failure becomes that one
 * fact's Unknown reason instead of failing the whole posture.
 */
data class AndroidFacts(
    /** `Build.VERSION.RELEASE`, e.g. "14". */
    val release: String?,
    /** `Build.VERSION.SDK_INT`, e.g. 34. */
    val sdkInt: Int,
    /** `Build.ID`, e.g. "UP1A.231005.007": the build, shared by every device running it. */
    val buildId: String?,
    /** `Build.TYPE`: "user", "userdebug" or "eng". */
    val buildType: String?,
    /** `Build.TAGS`, e.g. "release-keys". */
    val buildTags: String?,
    /** `Build.VERSION.SECURITY_PATCH`, "YYYY-MM-DD". */
    val securityPatch: String?,
    /** `KeyguardManager.isDeviceSecure()`. */
    val deviceSecure: Result<Boolean>,
    /** `DevicePolicyManager.getStorageEncryptionStatus()`, an `ENCRYPTION_STATUS_*` constant. */
    val storageEncryptionStatus: Result<Int>,
    /** `Settings.Global.ADB_ENABLED`; null when the setting was never written. */
    val adbEnabled: Result<Int?>,
    /** `Settings.Global.DEVELOPMENT_SETTINGS_ENABLED`; null when never written. */
    val developmentSettingsEnabled: Result<Int?>,
    /** The `ro.debuggable` system property as `getprop` prints it ("" when unset). */
    val roDebuggable: Result<String>,
    /** Which of [SU_PATHS] exist. */
    val suBinaries: Result<List<String>>,
    /** `PackageManager.hasSystemFeature(FEATURE_STRONGBOX_KEYSTORE)`; null before Android 9. */
    val strongBox: Result<Boolean?>,
    /** `PackageManager.hasSystemFeature(FEATURE_HARDWARE_KEYSTORE)`; null before Android 12. */
    val hardwareKeystore: Result<Boolean?>,
)

/**
 * Where a `su` binary lives on a rooted device (Magisk, SuperSU and older
 * tools). Their presence is a heuristic: root can hide them, and a stock
 * device never has them.
 */
val SU_PATHS: List<String> = listOf(
    "/system/bin/su",
    "/system/xbin/su",
    "/system/sbin/su",
    "/sbin/su",
    "/su/bin/su",
    "/vendor/bin/su",
    "/data/local/su",
    "/data/local/bin/su",
    "/data/local/xbin/su",
)

/**
 * `DevicePolicyManager.ENCRYPTION_STATUS_*`, copied so the mapping can be
 * read (and tested) without the framework; a test checks them against the
 * framework's constants.
 */
object EncryptionStatus {
    const val UNSUPPORTED = 0
    const val INACTIVE = 1
    const val ACTIVATING = 2
    const val ACTIVE = 3
    const val ACTIVE_DEFAULT_KEY = 4
    const val ACTIVE_PER_USER = 5
}
