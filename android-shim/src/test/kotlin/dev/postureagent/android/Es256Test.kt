// The DER → JOSE conversion: unit cases for the encodings DER allows (a
// leading sign byte, short integers) and rejects, then the real proof: many
// software P-256 keys sign through KeystoreSigner's code path, and the Rust
// verifier (through the generated bindings) accepts every token, including
// signatures whose r or s has leading zero bytes.
package dev.postureagent.android

import dev.postureagent.PostureAgent
import dev.postureagent.PostureAgentException
import dev.postureagent.defaultPolicy
import dev.postureagent.verifyReport
import java.math.BigInteger
import java.nio.file.Files
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.PrivateKey
import java.security.SecureRandom
import java.security.Signature
import java.security.cert.Certificate
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import java.util.Base64
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

private fun newKeyPair(): KeyPair =
    KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }.generateKeyPair()

/** A software key standing in for Android Keystore, which the JVM does not have. */
internal class SoftwareKeyHolder : KeyHolder {
    var pair: KeyPair? = null
    val challenges = mutableListOf<ByteArray?>()

    override fun keys(): Pair<PrivateKey, ECPublicKey>? = pair?.let { it.private to (it.public as ECPublicKey) }

    override fun create(challenge: ByteArray?) {
        challenges.add(challenge)
        pair = newKeyPair()
    }

    override fun chain(): List<Certificate> = emptyList()

    override fun delete() {
        pair = null
    }

    /** The challenges fresh attestations were asked for; each answers [freshChain]. */
    val freshChallenges = mutableListOf<ByteArray>()
    var freshChain: List<Certificate> = emptyList()

    override fun freshAttestation(challenge: ByteArray): List<Certificate> {
        freshChallenges.add(challenge.copyOf())
        return freshChain
    }
}

/** DER for SEQUENCE { INTEGER r, INTEGER s } built by hand, minimal encoding. */
private fun der(r: BigInteger, s: BigInteger): ByteArray {
    fun integer(n: BigInteger): ByteArray {
        val bytes = n.toByteArray()
        return byteArrayOf(0x02, bytes.size.toByte()) + bytes
    }
    val body = integer(r) + integer(s)
    return byteArrayOf(0x30, body.size.toByte()) + body
}

private fun halves(jose: ByteArray): Pair<BigInteger, BigInteger> =
    BigInteger(1, jose.copyOfRange(0, 32)) to BigInteger(1, jose.copyOfRange(32, 64))

class Es256Test {
    @Test
    fun `DER integers with a sign byte, full length and short become 32 bytes each`() {
        val big = BigInteger.ONE.shiftLeft(255).add(BigInteger.valueOf(12345)) // top bit set: 33 DER bytes
        val full = BigInteger.ONE.shiftLeft(250).add(BigInteger.TEN) // 32 DER bytes
        val short = BigInteger.valueOf(0x7f) // 1 DER byte: 31 zero bytes of padding
        for ((r, s) in listOf(big to full, full to big, short to big, big to short, short to short)) {
            val jose = Es256.derToJose(der(r, s))
            assertEquals(64, jose.size)
            assertEquals(r to s, halves(jose))
        }
        val r248 = BigInteger.ONE.shiftLeft(247) // below 2^248: a leading zero byte in r ‖ s
        assertEquals(0.toByte(), Es256.derToJose(der(r248, big))[0])
    }

    @Test
    fun `what java security signs converts to the r and s it encodes`() {
        val pair = newKeyPair()
        repeat(200) { i ->
            val message = "message $i".toByteArray()
            val der = Signature.getInstance("SHA256withECDSA").run {
                initSign(pair.private)
                update(message)
                sign()
            }
            val jose = Es256.derToJose(der)
            // Back to DER by hand and verified by java.security: the halves are right.
            val (r, s) = halves(jose)
            val ok = Signature.getInstance("SHA256withECDSA").run {
                initVerify(pair.public)
                update(message)
                verify(der(r, s))
            }
            assertTrue(ok)
        }
    }

    @Test
    fun `malformed DER is a Key error, never a wrong signature`() {
        val good = der(BigInteger.valueOf(5), BigInteger.valueOf(7))
        val cases = mapOf(
            "empty" to byteArrayOf(),
            "not a sequence" to byteArrayOf(0x31) + good.copyOfRange(1, good.size),
            "truncated" to good.copyOf(good.size - 1),
            "trailing byte" to byteArrayOf(0x30, (good[1] + 1).toByte()) + good.copyOfRange(2, good.size) + byteArrayOf(0),
            "bytes after the sequence" to good + byteArrayOf(0),
            "negative r" to byteArrayOf(0x30, 6, 0x02, 1, 0x80.toByte(), 0x02, 1, 7),
            "non-minimal r" to byteArrayOf(0x30, 7, 0x02, 2, 0, 5, 0x02, 1, 7),
            "r of 33 significant bytes" to der(BigInteger.ONE.shiftLeft(260), BigInteger.ONE),
            "one INTEGER" to byteArrayOf(0x30, 3, 0x02, 1, 5),
        )
        for ((name, bytes) in cases) {
            val e = assertThrows<PostureAgentException.Key>(name) { Es256.derToJose(bytes) }
            assertTrue(e.reason.contains("malformed"), name)
        }
    }

    @Test
    fun `the JWK has 32-byte coordinates even when one is small`() {
        repeat(50) {
            val public = newKeyPair().public as ECPublicKey
            val jwk = Es256.publicJwk(public)
            assertEquals("EC", jwk.kty)
            assertEquals("P-256", jwk.crv)
            val x = Base64.getUrlDecoder().decode(jwk.x)
            assertEquals(32, x.size)
            assertEquals(public.w.affineX, BigInteger(1, x))
            assertEquals(32, Base64.getUrlDecoder().decode(jwk.y).size)
        }
    }

    @Test
    fun `the Rust verifier accepts KeystoreSigner signatures over many keys and messages`() {
        val dir = Files.createTempDirectory("android-shim-es256").toString()
        val random = SecureRandom()
        var signatures = 0
        var leadingZero = 0
        var keys = 0
        // At least 100 keys and 1200 signatures, and on until three signatures
        // had r or s below 2^248 (about 1 in 128 has), so the case is always met.
        while (keys < 100 || leadingZero < 3) {
            check(keys < 1000) { "no luck in 1000 keys: the conversion never met a short r or s?" }
            val signer = KeystoreSigner(SoftwareKeyHolder())
            val agent = PostureAgent(dir, probe = FixedProbe(), signer = signer)
            val posture = agent.collect()
            val verdict = agent.evaluate(posture, defaultPolicy())
            val jwk = signer.publicJwk()
            repeat(12) { m ->
                // A random nonce and device id per token: every signing input differs.
                val nonce = Base64.getUrlEncoder().withoutPadding().encodeToString(ByteArray(16).also(random::nextBytes))
                val device = "dev_$keys-$m"
                val token = agent.signReport(nonce, device, posture, verdict)
                val report = verifyReport(token, jwk, nonce)
                assertEquals(device, report.deviceId)
                val raw = Base64.getUrlDecoder().decode(token.substringAfterLast('.'))
                assertEquals(64, raw.size)
                if (raw[0] == 0.toByte() || raw[32] == 0.toByte()) leadingZero++
                signatures++
            }
            agent.close()
            keys++
        }
        assertTrue(signatures >= 1200)
        assertTrue(leadingZero >= 3, "only $leadingZero of $signatures signatures had r or s below 2^248")
    }

    @Test
    fun `a new key per createKey, the challenge handed to the keystore, and delete`() {
        val holder = SoftwareKeyHolder()
        val signer = KeystoreSigner(holder)
        val first = signer.publicJwk() // made on first use, without attestation
        assertEquals(listOf<ByteArray?>(null), holder.challenges)
        val challenge = AttestationChallenge.forEnrolmentCode("K7PM-3QXD-9WTR")
        signer.createKey(challenge)
        assertArrayEquals(challenge, holder.challenges.last())
        assertTrue(first != signer.publicJwk())
        assertEquals(emptyList<String>(), signer.keyAttestation())
        signer.delete()
        assertEquals(null, holder.pair)
    }

    @Test
    fun `a keystore failure reaches the caller as a Key error`() {
        val broken = object : KeyHolder by SoftwareKeyHolder() {
            override fun keys(): Pair<PrivateKey, ECPublicKey>? = throw java.security.KeyStoreException("keystore is locked")
        }
        val e = assertThrows<PostureAgentException.Key> { KeystoreSigner(broken).sign(byteArrayOf(1)) }
        assertTrue(e.reason.contains("keystore is locked"))
    }
}
