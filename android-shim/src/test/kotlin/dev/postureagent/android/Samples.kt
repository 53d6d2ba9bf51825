package dev.postureagent.android

import dev.postureagent.PlatformProbe
import dev.postureagent.PlatformReadings
import dev.postureagent.core.AndroidReader
import dev.postureagent.core.AndroidReadings
import dev.postureagent.core.Platform
import dev.postureagent.core.Reading

fun read(value: String): Reading = Reading.Read(value)

/** What a patched, locked Pixel on Android 14 gives, as AndroidPlatformProbe.read() would. */
fun pixelReadings(): AndroidReadings = AndroidReadings(
    reader = AndroidReader.APP,
    release = read("14"),
    sdk = read("34"),
    buildId = read("UP1A.231005.007"),
    buildType = read("user"),
    buildTags = read("release-keys"),
    securityPatch = read("2026-10-05"),
    debuggable = read("0"),
    cryptoState = Reading.NotRead,
    cryptoType = Reading.NotRead,
    verifiedBootState = Reading.NotRead,
    flashLocked = Reading.NotRead,
    encryptionStatus = read("5"),
    deviceSecure = read("true"),
    lockScreenDisabled = Reading.NotRead,
    screenOffTimeout = read("60000"),
    lockAfterTimeout = read("5000"),
    adbEnabled = read("0"),
    developmentSettingsEnabled = read("0"),
    suPathsFound = read(""),
    strongBox = read("true"),
    hardwareKeystore = read("true"),
)

/** A probe that hands over fixed readings, for tests that need a probe but no device. */
class FixedProbe(private val readings: AndroidReadings = pixelReadings()) : PlatformProbe {
    override fun platform(): Platform = Platform.ANDROID

    override fun collect(): PlatformReadings = PlatformReadings.Android(readings, emptyList())
}
