package dev.postureagent.android

import java.security.MessageDigest

/**
 * The key attestation challenge for an enrolment.
 *
 * Android puts the challenge into the attestation certificate, so a server
 * can tell the key was made for this enrolment and not replayed from
 * another. The protocol's nonce is issued only in the enrolment *response*
 * (docs/protocol.md §5.1), after the key and its attestation were sent, so
 * it cannot be the challenge. The one value both sides know beforehand is
 * the one-time code: the challenge is SHA-256 of the code normalised the
 * way the reference collector stores it (case, `-` and spaces ignored, the
 * Crockford look-alikes O → 0 and I, L → 1 folded). A collector that keeps
 * only that hash can compare it with the certificate's challenge directly.
 *
 * It binds the key to the code, not to a moment: the code is single use,
 * which is what stops replay.
 */
object AttestationChallenge {
    /** SHA-256 of the normalised [code]: 32 bytes, within Keystore's 128-byte limit. */
    fun forEnrolmentCode(code: String): ByteArray {
        val normal = buildString {
            for (c in code.trim()) {
                if (c == '-' || c == ' ') continue
                append(
                    // ASCII upper-casing only, exactly as the collector's.
                    when (val upper = if (c in 'a'..'z') c - ('a' - 'A') else c) {
                        'O' -> '0'
                        'I', 'L' -> '1'
                        else -> upper
                    },
                )
            }
        }
        return MessageDigest.getInstance("SHA-256").digest(normal.toByteArray(Charsets.UTF_8))
    }
}
