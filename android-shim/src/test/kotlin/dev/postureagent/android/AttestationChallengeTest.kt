package dev.postureagent.android

import java.security.MessageDigest
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Test

class AttestationChallengeTest {
    private fun sha256(text: String) = MessageDigest.getInstance("SHA-256").digest(text.toByteArray())

    @Test
    fun `the challenge is the hash of the code as the collector normalises it`() {
        val expected = sha256("K7PM3QXD9WTR")
        for (typed in listOf("K7PM-3QXD-9WTR", "k7pm-3qxd-9wtr", " K7PM 3QXD 9WTR ", "K7PM3QXD9WTR")) {
            assertArrayEquals(expected, AttestationChallenge.forEnrolmentCode(typed), typed)
        }
        // Crockford look-alikes fold as the collector folds them.
        assertArrayEquals(sha256("011"), AttestationChallenge.forEnrolmentCode("oIl"))
        assertEquals(32, AttestationChallenge.forEnrolmentCode("H2VC-8NBL-4ZJF").size)
        assertFalse(expected.contentEquals(AttestationChallenge.forEnrolmentCode("H2VC-8NBL-4ZJF")))
    }

    @Test
    fun `an armed enrolment makes a fresh attested key at first use, and a retry keeps it`() {
        val holder = SoftwareKeyHolder()
        val signer = KeystoreSigner(holder)
        val enrolled = signer.publicJwk()
        val challenge = AttestationChallenge.forEnrolmentCode("K7PM-3QXD-9WTR")

        // Refused before the key is used (already enrolled, say): the key stays.
        signer.prepareEnrolment(challenge)
        signer.finishEnrolment()
        assertEquals(enrolled, signer.publicJwk())

        signer.prepareEnrolment(challenge)
        val fresh = signer.publicJwk()
        signer.finishEnrolment()
        assertFalse(enrolled == fresh)
        assertArrayEquals(challenge, holder.challenges.last())

        // A retry with the same code (a lost response) keeps the key the server may have enrolled.
        signer.prepareEnrolment(challenge)
        assertEquals(fresh, signer.publicJwk())
        signer.finishEnrolment()
        assertEquals(2, holder.challenges.size)
    }
}
