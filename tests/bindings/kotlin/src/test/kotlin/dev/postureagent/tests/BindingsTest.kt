// The generated Kotlin bindings on the JVM, driven as an Android app would
// drive them: a probe (raw readings in, the core's posture out) and a
// device signer implemented here in Kotlin are handed to the Rust agent, which signs a report through the Kotlin key and
// verifies it; errors arrive as typed exceptions; the suspend API runs under
// kotlinx.coroutines; two threads call at once. The agent operations run
// against the reference collector, a real process (see CollectorServer.kt).
package dev.postureagent.tests

import dev.postureagent.AppAttestation
import dev.postureagent.ComplianceToken
import dev.postureagent.DeviceSigner
import dev.postureagent.FactAutoLock
import dev.postureagent.FactBool
import dev.postureagent.FactSecurityPatch
import dev.postureagent.FactText
import dev.postureagent.IntegrityIndicator
import dev.postureagent.PlatformProbe
import dev.postureagent.PlatformReadings
import dev.postureagent.Posture
import dev.postureagent.PostureAgent
import dev.postureagent.PostureAgentException
import dev.postureagent.Status
import dev.postureagent.StatusListener
import dev.postureagent.androidPosture
import dev.postureagent.core.AgentState
import dev.postureagent.core.AndroidReader
import dev.postureagent.core.AndroidReadings
import dev.postureagent.core.AutoLock
import dev.postureagent.core.Compliance
import dev.postureagent.core.Freshness
import dev.postureagent.core.NotifyReason
import dev.postureagent.core.Strategy
import dev.postureagent.core.IndicatorKind
import dev.postureagent.core.Outcome
import dev.postureagent.core.Platform
import dev.postureagent.core.PublicJwk
import dev.postureagent.core.Reading
import dev.postureagent.core.DataCategory
import dev.postureagent.core.Locale
import dev.postureagent.core.Payload
import dev.postureagent.core.RuleId
import dev.postureagent.defaultPolicy
import dev.postureagent.verifyReport
import java.math.BigInteger
import java.nio.file.Files
import java.security.KeyPairGenerator
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import java.time.Instant
import java.util.Base64
import java.util.Collections
import java.util.concurrent.CyclicBarrier
import java.util.concurrent.atomic.AtomicInteger
import kotlin.concurrent.thread
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.extension.ExtendWith

private const val NONCE = "nonce-for-the-bindings-test-0001"

private fun b64url(bytes: ByteArray): String = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes)

/** A big-endian integer as exactly 32 bytes: sign byte dropped, zero-padded on the left. */
private fun fixed32(n: BigInteger): ByteArray {
    val bytes = n.toByteArray()
    val out = ByteArray(32)
    val len = minOf(bytes.size, 32)
    System.arraycopy(bytes, bytes.size - len, out, 32 - len, len)
    return out
}

/** Reads the two INTEGERs of a DER ECDSA-Sig-Value (what Java's SHA256withECDSA returns). */
private fun derToRaw(der: ByteArray): ByteArray {
    var i = 0
    fun length(): Int {
        val first = der[i++].toInt() and 0xff
        if (first < 0x80) return first
        var len = 0
        repeat(first and 0x7f) { len = (len shl 8) or (der[i++].toInt() and 0xff) }
        return len
    }
    require(der[i++] == 0x30.toByte()) { "not a DER SEQUENCE" }
    length()
    fun integer(): BigInteger {
        require(der[i++] == 0x02.toByte()) { "not a DER INTEGER" }
        val len = length()
        val value = BigInteger(1, der.copyOfRange(i, i + len))
        i += len
        return value
    }
    val r = integer()
    val s = integer()
    return fixed32(r) + fixed32(s)
}

/** A software P-256 key in java.security, standing in for Android Keystore. */
class KotlinSigner : DeviceSigner {
    private val pair = KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }.generateKeyPair()
    val signatures: MutableList<ByteArray> = Collections.synchronizedList(mutableListOf())

    override fun publicJwk(): PublicJwk {
        val point = (pair.public as ECPublicKey).w
        return PublicJwk("EC", "P-256", b64url(fixed32(point.affineX)), b64url(fixed32(point.affineY)))
    }

    override fun sign(message: ByteArray): ByteArray {
        val der = Signature.getInstance("SHA256withECDSA").run {
            initSign(pair.private)
            update(message)
            sign()
        }
        return derToRaw(der).also { signatures.add(it) }
    }

    @Volatile var deleted = false

    override fun keyAttestation(): List<String> = emptyList()

    val freshChallenges: MutableList<ByteArray> = Collections.synchronizedList(mutableListOf())

    override fun freshKeyAttestation(challenge: ByteArray): List<String> {
        freshChallenges.add(challenge)
        return emptyList()
    }

    override fun appAttest(clientDataHash: ByteArray): AppAttestation? = null

    override fun appAttestAssertion(clientDataHash: ByteArray): ByteArray? = null

    override fun delete() {
        deleted = true
    }
}

class FailingSigner : DeviceSigner {
    override fun publicJwk(): PublicJwk = throw PostureAgentException.Key("the keystore is locked")
    override fun sign(message: ByteArray): ByteArray = throw PostureAgentException.Key("the keystore is locked")
    override fun keyAttestation(): List<String> = throw PostureAgentException.Key("the keystore is locked")
    override fun freshKeyAttestation(challenge: ByteArray): List<String> = throw PostureAgentException.Key("the keystore is locked")
    override fun appAttest(clientDataHash: ByteArray): AppAttestation? = throw PostureAgentException.Key("the keystore is locked")
    override fun appAttestAssertion(clientDataHash: ByteArray): ByteArray? = throw PostureAgentException.Key("the keystore is locked")
    override fun delete(): Unit = throw PostureAgentException.Key("the keystore is locked")
}

private fun read(value: String): Reading = Reading.Read(value)

/** What a patched, locked Pixel on Android 14 gives an app, value by value. */
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

val PLAY = IntegrityIndicator(
    "play_integrity_device",
    IndicatorKind.PLATFORM_ATTESTATION,
    FactBool.Observed(false, "Play Integrity (verified by the app's server)"),
)

/** The posture without its collection time, which the core stamps. */
fun Posture.untimed(): Posture = copy(collectedAt = Instant.EPOCH)

/** An Android app's probe: raw readings only, as the shim takes them. */
open class KotlinProbe : PlatformProbe {
    val calls = AtomicInteger()

    override fun platform(): Platform = Platform.ANDROID

    override fun collect(): PlatformReadings {
        calls.incrementAndGet()
        return PlatformReadings.Android(pixelReadings(), listOf(PLAY))
    }

    /** The posture the core maps these readings to (time aside). */
    fun posture(): Posture = androidPosture(pixelReadings(), listOf(PLAY)).untimed()
}

class ThrowingProbe : KotlinProbe() {
    override fun collect(): PlatformReadings = throw PostureAgentException.Platform("the settings provider is gone")
}

private fun newDir(): String = Files.createTempDirectory("posture-agent-kotlin").toString()

/** Every status a listener was told of, from whichever thread told it. */
class Recorder : StatusListener {
    val seen: MutableList<Status> = Collections.synchronizedList(mutableListOf())

    override fun onStatus(status: Status) {
        seen.add(status)
    }
}

@ExtendWith(CollectorExtension::class)
class BindingsTest {
    private val dir = newDir()
    private val probe = KotlinProbe()
    private val signer = KotlinSigner()
    private val agent = PostureAgent(dir, probe = probe, signer = signer)

    @Test
    fun `a Kotlin probe's readings become the core's posture`() {
        val before = Instant.now().minusSeconds(1)
        val posture = agent.collect()
        val after = Instant.now().plusSeconds(1)
        assertEquals(1, probe.calls.get())
        assertEquals(probe.posture(), posture.untimed())
        assertEquals(FactSecurityPatch.Observed("2026-10-05", "Build.VERSION.SECURITY_PATCH"), posture.securityPatch)
        assertEquals(FactText.Observed("14", "Build.VERSION.RELEASE (SDK_INT 34)"), posture.os.version)
        assertEquals(PLAY, posture.integrity.last())
        assertEquals(AutoLock.After(65u), (posture.autoLock as FactAutoLock.Observed).value)
        assertTrue(!posture.collectedAt.isBefore(before) && !posture.collectedAt.isAfter(after), "${posture.collectedAt}")
    }

    @Test
    fun `the default policy evaluates a posture from Kotlin`() {
        val posture = agent.collect()
        posture.developerMode = FactBool.Observed(true, "Settings.Global")
        val verdict = agent.evaluate(posture, defaultPolicy())
        val outcomes = verdict.findings.associate { it.rule to it.outcome }
        assertEquals(Outcome.PASS, outcomes[RuleId.STORAGE_ENCRYPTION])
        assertTrue(outcomes[RuleId.DEVELOPER_MODE] in setOf(Outcome.FAIL, Outcome.WARN))
        assertNotEquals(Compliance.COMPLIANT, verdict.compliance)
    }

    @Test
    fun `the privacy inventory and a Welsh remediation come through the bindings`() {
        val welsh = PostureAgent(newDir(), probe = probe, locale = "cy-GB")
        assertEquals(Locale.CY, welsh.locale())
        val inventory = welsh.privacyInventory()
        assertEquals(Locale.CY, inventory.locale)
        val jwk = inventory.fields.single { it.payload == Payload.ENROL && it.path == "jwk" }
        assertEquals(DataCategory.PUBLIC_KEY, jwk.category)
        assertTrue("lleoliad" in inventory.neverCollected, "${inventory.neverCollected}")
        val posture = welsh.collect()
        posture.developerMode = FactBool.Observed(true, "Settings.Global")
        val finding = welsh.evaluate(posture, defaultPolicy()).findings.single { it.rule == RuleId.DEVELOPER_MODE }
        val fix = finding.remediation ?: ""
        assertTrue(fix.startsWith("Trowch yr opsiynau datblygwr i ffwrdd"), fix)
        assertEquals("modd datblygwr", welsh.ruleName(RuleId.DEVELOPER_MODE))
        // A reason for Unknown: English in the posture (as the wire carries
        // it), Welsh on screen.
        val kernel = posture.os.kernel as FactText.Unknown
        assertEquals("not collected on Android: no policy rule uses it", kernel.reason)
        assertEquals(
            "heb ei gasglu ar Android: nid oes rheol polisi yn ei ddefnyddio",
            welsh.reasonText(kernel.reason),
        )
        assertEquals(
            "Settings.Global.ADB_ENABLED: heb ei osod",
            welsh.reasonText("Settings.Global.ADB_ENABLED is not set"),
        )
        // The same fields in English, from an agent without a locale.
        val english = agent.privacyInventory()
        assertEquals(Locale.EN, english.locale)
        assertEquals(inventory.fields.map { it.path }, english.fields.map { it.path })
    }

    @Test
    fun `Rust signs with the Kotlin key and verifies r and s with leading zero bytes`() {
        val posture = agent.collect()
        val verdict = agent.evaluate(posture, defaultPolicy())
        val jwk = signer.publicJwk()
        assertEquals(jwk, agent.publicJwk())
        var leadingZero = 0
        for (i in 0 until 3000) {
            val token = agent.signReport(NONCE, "device-123", posture, verdict)
            val raw = signer.signatures.last()
            val report = verifyReport(token, jwk, NONCE)
            assertEquals("device-123", report.deviceId)
            if (raw[0] == 0.toByte() || raw[32] == 0.toByte()) {
                leadingZero++
                assertEquals(posture, report.posture)
                assertEquals(verdict, report.verdict)
                if (leadingZero >= 2) break
            }
        }
        assertTrue(leadingZero >= 2, "no r or s with a leading zero byte in 3000 signatures")
    }

    @Test
    fun `a bad argument arrives as a typed exception`() {
        val e = assertThrows<PostureAgentException.InvalidInput> { PostureAgent("relative/dir", probe = probe) }
        assertTrue(e.reason.contains("absolute"))
        val posture = agent.collect()
        val token = agent.signReport(NONCE, "device-123", posture, agent.evaluate(posture, defaultPolicy()))
        val wrong = assertThrows<PostureAgentException.InvalidInput> { verifyReport(token, signer.publicJwk(), "another-nonce-entirely") }
        assertTrue(wrong.reason.contains("nonce"))
    }

    @Test
    fun `a Kotlin signer's exception arrives as a key error`() {
        val failing = PostureAgent(newDir(), probe = probe, signer = FailingSigner())
        val posture = failing.collect()
        val e = assertThrows<PostureAgentException.Key> {
            failing.signReport(NONCE, "device-123", posture, failing.evaluate(posture, defaultPolicy()))
        }
        assertTrue(e.reason.contains("keystore is locked"))
    }

    @Test
    fun `a throwing probe gives an all-unknown posture`() {
        val posture = PostureAgent(newDir(), probe = ThrowingProbe()).collect()
        assertEquals(Platform.ANDROID, posture.platform)
        val version = posture.os.version
        assertTrue(version is FactText.Unknown && version.reason.contains("settings provider is gone"))
    }

    @Test
    fun `a rule's strategy shows in the verdict`() {
        val posture = agent.collect().copy(developerMode = FactBool.Observed(true, "Settings.Global"))
        val base = defaultPolicy()
        val policy = base.copy(
            rules = base.rules.copy(developerMode = base.rules.developerMode!!.copy(strategy = Strategy.NOTIFY_ONLY)),
        )
        val verdict = agent.evaluate(posture, policy)
        val dev = verdict.findings.first { it.rule == RuleId.DEVELOPER_MODE }
        assertEquals(Strategy.NOTIFY_ONLY, dev.strategy)
        assertEquals(Outcome.WARN, dev.outcome)
        assertNull(dev.deadline)
        assertNotEquals(Compliance.COMPLIANT, verdict.compliance)
    }

    @Test
    fun `shouldNotify follows the working hours with a fixed clock`() = runBlocking {
        val none = agent.shouldNotify()
        assertTrue(none.notify)
        assertEquals(NotifyReason.NO_WORKING_HOURS, none.reason)
        // A night-shift nurse in London.
        agent.setWorkingHours("19:00", "07:30", "Europe/London")
        assertEquals("Europe/London", agent.workingHours()?.timeZone)
        val night = agent.shouldNotifyAt(Instant.parse("2026-10-25T01:30:00Z"))
        assertTrue(night.notify)
        assertEquals(NotifyReason.WITHIN_WORKING_HOURS, night.reason)
        val day = agent.shouldNotifyAt(Instant.parse("2026-07-14T12:00:00Z"))
        assertFalse(day.notify)
        assertEquals(NotifyReason.OUTSIDE_WORKING_HOURS, day.reason)
        assertEquals(Instant.parse("2026-07-14T18:00:00Z"), day.nextAllowed)
        val e = assertThrows<PostureAgentException.InvalidInput> {
            runBlocking { agent.setWorkingHours("7pm", "07:30", "Europe/London") }
        }
        assertTrue(e.reason.contains("HH:MM"), e.reason)
        agent.clearWorkingHours()
        assertNull(agent.workingHours())
    }

    @Test
    fun `the suspend collect runs under coroutines`() = runBlocking {
        val first = async { agent.collectAsync() }
        val second = async { agent.collectAsync() }
        assertEquals(probe.posture(), first.await().untimed())
        assertEquals(first.await().untimed(), second.await().untimed())
    }

    @Test
    fun `two Kotlin threads call at once`() {
        val posture = agent.collect()
        val verdict = agent.evaluate(posture, defaultPolicy())
        val tokens = Collections.synchronizedList(mutableListOf<String>())
        val errors = Collections.synchronizedList(mutableListOf<Throwable>())
        val barrier = CyclicBarrier(2)
        val workers = (1..2).map {
            thread {
                try {
                    barrier.await()
                    repeat(50) {
                        agent.collect()
                        tokens.add(agent.signReport(NONCE, "device-123", posture, verdict))
                    }
                } catch (e: Throwable) {
                    errors.add(e)
                }
            }
        }
        workers.forEach { it.join(60_000) }
        assertEquals(emptyList<Throwable>(), errors.toList())
        assertEquals(100, tokens.size)
        tokens.forEach { verifyReport(it, signer.publicJwk(), NONCE) }
    }

    @Test
    fun `enrol, check in, preview and unenrol against the collector, with a listener`(collector: CollectorServer) = runBlocking {
        val recorder = Recorder()
        val handle = agent.registerListener(recorder)
        assertEquals(AgentState.UNENROLLED, agent.status().state)

        val enrolled = agent.enrol(collector.url, collector.takeCode())
        assertEquals(AgentState.ENROLLED, enrolled.state)
        assertEquals(collector.url, enrolled.serverUrl)
        val deviceId = enrolled.deviceId!!
        assertEquals(listOf(enrolled), recorder.seen.toList())

        val outcome = agent.checkIn()
        assertTrue(outcome.freshNonce)
        assertEquals(1u, outcome.delivery.delivered)
        assertNull(outcome.delivery.error)
        val server = outcome.status.verdicts.server!!
        assertEquals(Freshness.CURRENT, server.freshness)
        assertEquals(outcome.localVerdict, outcome.status.verdicts.local)
        assertEquals(2, recorder.seen.size)
        assertNotNull(recorder.seen.last().lastCheckinAt)

        val status = agent.status()
        assertEquals(AgentState.ENROLLED, status.state)
        assertEquals(deviceId, status.deviceId)
        assertEquals(0uL, status.queuedReports)

        // The collector's attestation result: its summary in the status,
        // the token only on request.
        val summary = status.attestation!!
        assertTrue(summary.expiresAt.isAfter(summary.issuedAt))
        val token = agent.complianceToken()
        assertTrue(token is ComplianceToken.Available, "no compliance token after a current check-in")
        token as ComplianceToken.Available
        assertEquals(summary, token.summary)
        val jwt = token.token.expose()
        assertEquals(3, jwt.split(".").size)
        assertFalse(status.toString().contains(jwt))
        // Printing the answer, as a careless log line would, shows no token.
        assertFalse(token.toString().contains(jwt.split(".")[1]), token.toString())

        val preview = agent.previewReport()
        assertTrue(preview.payload.startsWith("{") && preview.payload.contains("\"sub\":\"$deviceId\""), preview.payload)
        assertTrue(preview.payload.contains("\"posture\":{"), preview.payload)
        assertEquals(probe.posture(), preview.posture.untimed())

        handle.close()
        agent.flush()
        val gone = agent.unenrol()
        assertTrue(gone.serverNotified, gone.serverError)
        assertEquals(2, recorder.seen.size, "a closed listener handle was still called")
        assertEquals(AgentState.UNENROLLED, agent.status().state)
        assertTrue(signer.deleted, "unenrol did not delete the platform key")
        val exported = collector.export().filter { it.contains("\"device_id\":\"$deviceId\"") }
        assertEquals(1, exported.size)
        assertTrue(exported[0].contains("\"jti\":\"${outcome.jti}\""))
    }

    @Test
    fun `a check-in before enrolling is a typed NotEnrolled exception`() {
        val e = assertThrows<PostureAgentException.NotEnrolled> { runBlocking { agent.checkIn() } }
        assertTrue(e.reason.contains("enrol"))
    }

    @Test
    fun `a reused enrolment code is a typed Server exception`(collector: CollectorServer) = runBlocking {
        val code = collector.takeCode()
        PostureAgent(newDir(), probe = probe, signer = KotlinSigner()).enrol(collector.url, code)
        val second = PostureAgent(newDir(), probe = probe, signer = KotlinSigner())
        val e = assertThrows<PostureAgentException.Server> { runBlocking { second.enrol(collector.url, code) } }
        assertTrue(e.reason.lowercase().contains("enrolment code"), e.reason)
    }

    @Test
    fun `two threads check in at once and both reports reach the collector`(collector: CollectorServer) {
        val deviceId = runBlocking { agent.enrol(collector.url, collector.takeCode()) }.deviceId!!
        val jtis = Collections.synchronizedList(mutableListOf<String>())
        val errors = Collections.synchronizedList(mutableListOf<Throwable>())
        val barrier = CyclicBarrier(2)
        val workers = (1..2).map {
            thread {
                try {
                    barrier.await()
                    val outcome = runBlocking { agent.checkIn() }
                    assertNull(outcome.delivery.error)
                    jtis.add(outcome.jti)
                } catch (e: Throwable) {
                    errors.add(e)
                }
            }
        }
        workers.forEach { it.join(60_000) }
        assertEquals(emptyList<Throwable>(), errors.toList())
        assertEquals(2, jtis.toSet().size)
        assertEquals(0uL, runBlocking { agent.status() }.queuedReports)
        val exported = collector.export().filter { it.contains("\"device_id\":\"$deviceId\"") }
        assertEquals(jtis.toSet(), jtis.filter { jti -> exported.any { it.contains("\"jti\":\"$jti\"") } }.toSet())
        assertEquals(2, exported.size)
    }

    @Test
    fun `a listener registers and its handle unregisters on close`() {
        val recorder = Recorder()
        val handle = agent.registerListener(recorder)
        handle.use { it.unregister() }
        assertEquals(emptyList<Status>(), recorder.seen.toList())
    }
}
