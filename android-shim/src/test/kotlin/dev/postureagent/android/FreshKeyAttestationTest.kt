// KeystoreSigner.freshKeyAttestation on the JVM: the report's challenge
// reaches the keystore as it is, the chain comes back leaf first as base64
// DER, and bad input or a keystore failure is a Key error, never a crash.
// Android Keystore itself (the throwaway alias, StrongBox) needs a device.
package dev.postureagent.android

import dev.postureagent.PostureAgentException
import java.io.File
import java.security.cert.Certificate
import java.security.cert.CertificateFactory
import java.util.Base64
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** A real Pixel chain from the repository's test data (leaf first). */
private fun pixelChain(): List<Certificate> {
    val name = "attestation/testdata/android-key-attestation/marlin_sdk29_TEE_EC_NONE.pem"
    val file = listOf(File("..", name), File(name)).first { it.isFile }
    return file.inputStream().use { CertificateFactory.getInstance("X.509").generateCertificates(it).toList() }
}

class FreshKeyAttestationTest {
    private val challenge = ByteArray(32) { (it * 7).toByte() }

    @Test
    fun `the challenge goes to the keystore and the chain comes back as base64 DER`() {
        val holder = SoftwareKeyHolder()
        val signer = KeystoreSigner(holder)
        val device = signer.publicJwk()
        holder.freshChain = pixelChain()
        val chain = signer.freshKeyAttestation(challenge)
        assertArrayEquals(challenge, holder.freshChallenges.single())
        assertEquals(holder.freshChain.size, chain.size)
        assertTrue(chain.size >= 2)
        for ((text, cert) in chain.zip(holder.freshChain)) {
            assertArrayEquals(cert.encoded, Base64.getDecoder().decode(text))
        }
        // The device key is untouched.
        assertEquals(device, signer.publicJwk())
        assertEquals(1, holder.challenges.size)
    }

    @Test
    fun `no attestation gives an empty chain`() {
        val holder = SoftwareKeyHolder()
        assertEquals(emptyList<String>(), KeystoreSigner(holder).freshKeyAttestation(challenge))
        assertEquals(1, holder.freshChallenges.size)
    }

    @Test
    fun `a challenge of the wrong size or a failing keystore is a Key error`() {
        val holder = SoftwareKeyHolder()
        val short = assertThrows<PostureAgentException.Key> { KeystoreSigner(holder).freshKeyAttestation(ByteArray(31)) }
        assertTrue(short.reason.contains("32-byte"), short.reason)
        assertTrue(holder.freshChallenges.isEmpty())
        val busy = object : KeyHolder by SoftwareKeyHolder() {
            override fun freshAttestation(challenge: ByteArray): List<Certificate> =
                throw java.security.ProviderException("StrongBox is busy")
        }
        val e = assertThrows<PostureAgentException.Key> { KeystoreSigner(busy).freshKeyAttestation(challenge) }
        assertTrue(e.reason.contains("fresh key attestation") && e.reason.contains("busy"), e.reason)
    }
}
