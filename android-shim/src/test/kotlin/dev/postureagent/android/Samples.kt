package dev.postureagent.android

import dev.postureagent.PlatformProbe
import dev.postureagent.Posture
import dev.postureagent.agentVersion
import dev.postureagent.core.Platform
import java.time.Instant

/** What a patched, locked Pixel on Android 14 returns, as AndroidPlatformProbe.read() would. */
fun pixelFacts(): AndroidFacts = AndroidFacts(
    release = "14",
    sdkInt = 34,
    buildId = "UP1A.231005.007",
    buildType = "user",
    buildTags = "release-keys",
    securityPatch = "2026-10-05",
    deviceSecure = Result.success(true),
    storageEncryptionStatus = Result.success(EncryptionStatus.ACTIVE_PER_USER),
    adbEnabled = Result.success(0),
    developmentSettingsEnabled = Result.success(0),
    roDebuggable = Result.success("0"),
    suBinaries = Result.success(emptyList()),
    strongBox = Result.success(true),
    hardwareKeystore = Result.success(true),
)

val COLLECTED_AT: Instant = Instant.parse("2026-11-02T09:30:00Z")

/** A probe that maps fixed facts, for tests that need a probe but no device. */
class FixedProbe(private val facts: AndroidFacts = pixelFacts()) : PlatformProbe {
    override fun platform(): Platform = Platform.ANDROID

    override fun collect(): Posture = postureOf(facts, agentVersion(), COLLECTED_AT)
}
