package dev.postureagent.android

import dev.postureagent.PostureAgentException
import dev.postureagent.core.PublicJwk
import java.math.BigInteger
import java.security.PrivateKey
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.util.Base64

/**
 * ES256 (ECDSA P-256, SHA-256) between `java.security` and JOSE: Android
 * Keystore, like every JCA provider, returns DER signatures and X.509 keys,
 * while JOSE and the Rust core want the 64-byte `r ‖ s` form and a JWK.
 */
object Es256 {
    /** Bytes of one P-256 coordinate or signature half. */
    const val FIELD_BYTES = 32

    /** Signs [message] with [key] (SHA256withECDSA) and returns the JOSE form. */
    fun sign(key: PrivateKey, message: ByteArray): ByteArray {
        val der = Signature.getInstance("SHA256withECDSA").run {
            initSign(key)
            update(message)
            sign()
        }
        return derToJose(der)
    }

    /**
     * Converts a DER `ECDSA-Sig-Value` (SEQUENCE of two INTEGERs) to `r ‖ s`,
     * each left-padded to 32 bytes. DER integers are signed, so a value with
     * its top bit set carries a leading 0x00, and a small value is shorter
     * than 32 bytes: both are normalised here. Anything that is not exactly
     * such a sequence is rejected rather than guessed at.
     */
    fun derToJose(der: ByteArray): ByteArray {
        val reader = DerReader(der)
        reader.expect(0x30, "SEQUENCE")
        val seqLength = reader.length()
        if (seqLength != der.size - reader.position) malformed("the SEQUENCE length does not match the signature")
        val r = reader.integer()
        val s = reader.integer()
        if (reader.position != der.size) malformed("bytes follow the two INTEGERs")
        return r + s
    }

    /** The public key as a JWK: base64url x and y, each exactly 32 bytes. */
    fun publicJwk(key: ECPublicKey): PublicJwk {
        require(key.params.curve.field.fieldSize == 256) { "the device key is not on a 256-bit curve" }
        val encoder = Base64.getUrlEncoder().withoutPadding()
        val x = encoder.encodeToString(fixed(key.w.affineX))
        val y = encoder.encodeToString(fixed(key.w.affineY))
        return PublicJwk(kty = "EC", crv = "P-256", x = x, y = y)
    }

    /** A non-negative integer below 2^256 as exactly 32 big-endian bytes. */
    private fun fixed(n: BigInteger): ByteArray {
        val bytes = n.toByteArray() // may carry a leading sign byte, or be short
        val magnitude = if (bytes.size > 1 && bytes[0] == 0.toByte()) bytes.copyOfRange(1, bytes.size) else bytes
        require(n.signum() >= 0 && magnitude.size <= FIELD_BYTES) { "the coordinate does not fit in 32 bytes" }
        return ByteArray(FIELD_BYTES - magnitude.size) + magnitude
    }

    private fun malformed(why: String): Nothing =
        throw PostureAgentException.Key("the keystore returned a malformed ECDSA signature: $why")

    /** Just enough DER for an ECDSA-Sig-Value, strict about minimal encodings. */
    private class DerReader(private val der: ByteArray) {
        var position = 0
            private set

        private fun next(): Int {
            if (position >= der.size) malformed("it ends early")
            return der[position++].toInt() and 0xff
        }

        fun expect(tag: Int, name: String) {
            if (next() != tag) malformed("expected a DER $name")
        }

        fun length(): Int {
            val first = next()
            if (first < 0x80) return first
            // A P-256 signature is at most 72 bytes, so only the one-byte
            // long form (0x81, for 128..255) is legal DER here.
            if (first != 0x81) malformed("a length of ${first and 0x7f} bytes")
            val length = next()
            if (length < 0x80) malformed("a non-minimal length")
            return length
        }

        /** One positive INTEGER of at most 32 significant bytes, returned as 32 bytes. */
        fun integer(): ByteArray {
            expect(0x02, "INTEGER")
            val length = length()
            if (length == 0 || position + length > der.size) malformed("an INTEGER of $length bytes")
            val value = der.copyOfRange(position, position + length)
            position += length
            if (value[0] < 0) malformed("a negative INTEGER")
            if (length > 1 && value[0] == 0.toByte() && value[1] >= 0) malformed("a non-minimal INTEGER")
            val magnitude = if (value[0] == 0.toByte() && length > 1) value.copyOfRange(1, length) else value
            if (magnitude.size > FIELD_BYTES) malformed("an INTEGER longer than 32 bytes")
            return ByteArray(FIELD_BYTES - magnitude.size) + magnitude
        }
    }
}
