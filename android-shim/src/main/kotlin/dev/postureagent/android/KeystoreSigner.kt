package dev.postureagent.android

import android.content.Context
import android.content.pm.PackageManager
import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyInfo
import android.security.keystore.KeyProperties
import android.security.keystore.StrongBoxUnavailableException
import dev.postureagent.AppAttestation
import dev.postureagent.DeviceSigner
import dev.postureagent.PostureAgentException
import dev.postureagent.core.PublicJwk
import java.security.KeyFactory
import java.security.KeyPairGenerator
import java.security.KeyStore
import java.security.PrivateKey
import java.security.cert.Certificate
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import java.util.Base64

/**
 * The device key: EC P-256 in Android Keystore, in StrongBox when the device
 * has one, else in the TEE. The private key cannot be exported; it signs
 * inside the secure hardware. No user authentication is required to use it,
 * because scheduled check-ins sign while nobody is at the phone.
 *
 * At enrolment [createKey] makes a fresh key whose attestation certificate
 * carries the enrolment's challenge (see [AttestationChallenge]), and
 * [keyAttestation] hands its chain to the enrolment request. When the
 * collector asks for a fresh attestation, [freshKeyAttestation] makes a
 * throwaway key with the report's challenge and hands over its chain.
 */
class KeystoreSigner internal constructor(private val holder: KeyHolder) : DeviceSigner {
    /** A signer over Android Keystore, its key under [alias]. */
    constructor(context: Context, alias: String = DEFAULT_ALIAS) : this(AndroidKeystoreHolder(context, alias))

    private val lock = Any()

    // Guarded by lock. The challenge the next key use must make a key for,
    // and the one the current key was made with in this process.
    private var pendingChallenge: ByteArray? = null
    private var keyChallenge: ByteArray? = null

    /**
     * Replaces any key with a new one. With a [challenge], Keystore attests
     * the key and puts the challenge in the leaf certificate.
     */
    fun createKey(challenge: ByteArray?): Unit = keyOperation("make the device key") {
        synchronized(lock) { replaceKey(challenge) }
    }

    /**
     * Arms an enrolment: the core's next use of the key (it reads the public
     * key first) makes a fresh key attested with [challenge]. Deferred, not
     * done here, so an enrolment the core refuses before touching the key
     * (already enrolled) leaves the enrolled key alone; and a retry with the
     * same challenge (a lost response) keeps the key the server may have
     * enrolled already. [finishEnrolment] disarms it, whatever happened.
     */
    fun prepareEnrolment(challenge: ByteArray): Unit = synchronized(lock) { pendingChallenge = challenge.copyOf() }

    /** Disarms [prepareEnrolment]. */
    fun finishEnrolment(): Unit = synchronized(lock) { pendingChallenge = null }

    private fun replaceKey(challenge: ByteArray?) {
        holder.delete()
        holder.create(challenge)
        keyChallenge = challenge?.copyOf()
    }

    override fun publicJwk(): PublicJwk = keyOperation("read the device key") { Es256.publicJwk(keys().second) }

    override fun sign(message: ByteArray): ByteArray = keyOperation("sign with the device key") { Es256.sign(keys().first, message) }

    /**
     * The key attestation chain, leaf first, each certificate base64 DER
     * (standard alphabet, as the protocol's `key_attestation` wants); empty
     * when the key was made without a challenge (its one self-signed
     * certificate attests nothing).
     */
    override fun keyAttestation(): List<String> = keyOperation("read the key attestation") {
        keys() // makes the key first when an enrolment is armed
        val chain = holder.chain()
        if (chain.size < 2) emptyList() else chain.map { Base64.getEncoder().encodeToString(it.encoded) }
    }

    /**
     * A key attestation chain for a throwaway key made with [challenge] (the
     * report's 32 bytes, protocol §5.3.3) where the device key lives, leaf
     * first, base64 DER; the throwaway key is gone when this returns. Empty
     * when the keystore gives no attestation.
     */
    override fun freshKeyAttestation(challenge: ByteArray): List<String> = keyOperation("make a fresh key attestation") {
        if (challenge.size != 32) {
            throw PostureAgentException.Key("a fresh key attestation needs a 32-byte challenge, not ${challenge.size} bytes")
        }
        val chain = synchronized(lock) { holder.freshAttestation(challenge) }
        if (chain.size < 2) emptyList() else chain.map { Base64.getEncoder().encodeToString(it.encoded) }
    }

    /** Apple App Attest is iOS only: Android has none. */
    override fun appAttest(clientDataHash: ByteArray): AppAttestation? = null

    /** Apple App Attest is iOS only: Android has none. */
    override fun appAttestAssertion(clientDataHash: ByteArray): ByteArray? = null

    /** Deletes the key (at unenrolment); succeeds when there is none. */
    override fun delete(): Unit = keyOperation("delete the device key") {
        synchronized(lock) {
            holder.delete()
            keyChallenge = null
        }
    }

    /** The key pair, made without attestation when there is none yet (a preview before enrolment, say). */
    private fun keys(): Pair<PrivateKey, ECPublicKey> = synchronized(lock) {
        pendingChallenge?.let { challenge ->
            pendingChallenge = null
            if (holder.keys() == null || !challenge.contentEquals(keyChallenge)) replaceKey(challenge)
        }
        holder.keys() ?: run {
            replaceKey(null)
            holder.keys() ?: throw PostureAgentException.Key("the keystore did not keep the new device key")
        }
    }

    /** Keystore failures reach Rust as Key errors naming what failed, never as a crash. */
    private inline fun <T> keyOperation(what: String, block: () -> T): T = try {
        block()
    } catch (e: PostureAgentException) {
        throw e
    } catch (e: Exception) {
        throw PostureAgentException.Key("could not $what: ${e.message ?: e.javaClass.simpleName}")
    }

    companion object {
        /** The Keystore alias of the device key, unless the app picks another. */
        const val DEFAULT_ALIAS = "dev.postureagent.device-key"
    }
}

/** Where the key lives: Android Keystore on a device, a software key in JVM tests. */
internal interface KeyHolder {
    /** The private key and its public half, or null when there is no key. */
    fun keys(): Pair<PrivateKey, ECPublicKey>?

    /** Makes a key, attested with [challenge] when one is given. */
    fun create(challenge: ByteArray?)

    /** The key's certificate chain, leaf first; empty when there is no key. */
    fun chain(): List<Certificate>

    /** Deletes the key, if any. */
    fun delete()

    /**
     * Makes a throwaway key attested with [challenge], in the same secure
     * hardware as the device key, and returns its chain, leaf first; the
     * throwaway key is deleted whatever happens.
     */
    fun freshAttestation(challenge: ByteArray): List<Certificate>
}

private const val ANDROID_KEYSTORE = "AndroidKeyStore"

internal class AndroidKeystoreHolder(context: Context, private val alias: String) : KeyHolder {
    private val context: Context = context.applicationContext ?: context
    private val freshAlias = "$alias.fresh-attestation"
    private val keyStore: KeyStore by lazy { KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) } }

    override fun keys(): Pair<PrivateKey, ECPublicKey>? {
        val entry = keyStore.getEntry(alias, null) as? KeyStore.PrivateKeyEntry ?: return null
        return entry.privateKey to (entry.certificate.publicKey as ECPublicKey)
    }

    private fun hasStrongBox(): Boolean = Build.VERSION.SDK_INT >= 28 &&
        context.packageManager.hasSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE)

    override fun create(challenge: ByteArray?) {
        if (hasStrongBox()) {
            try {
                generate(alias, challenge, strongBox = true)
                return
            } catch (e: StrongBoxUnavailableException) {
                // Declared but busy or unable to hold this key: the TEE is
                // the next strongest place, and the probe still reports the
                // StrongBox the device offers.
            }
        }
        generate(alias, challenge, strongBox = false)
    }

    override fun freshAttestation(challenge: ByteArray): List<Certificate> = try {
        // Where the device key is: a throwaway key in the TEE would attest a
        // lower security level than a StrongBox device key, which the
        // collector takes for a downgrade. A busy StrongBox fails the
        // attestation (the report goes without one), never falls back.
        generate(freshAlias, challenge, strongBox = deviceKeyInStrongBox())
        keyStore.getCertificateChain(freshAlias)?.toList().orEmpty()
    } finally {
        if (keyStore.containsAlias(freshAlias)) keyStore.deleteEntry(freshAlias)
    }

    private fun deviceKeyInStrongBox(): Boolean {
        if (!hasStrongBox()) return false
        // Before Android 12 a key cannot say where it lives; create() puts
        // it in StrongBox whenever the device offers one.
        if (Build.VERSION.SDK_INT < 31) return true
        val key = keys()?.first ?: return true
        val info = KeyFactory.getInstance(key.algorithm, ANDROID_KEYSTORE).getKeySpec(key, KeyInfo::class.java)
        return info.securityLevel == KeyProperties.SECURITY_LEVEL_STRONGBOX
    }

    private fun generate(alias: String, challenge: ByteArray?, strongBox: Boolean) {
        val spec = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_SIGN)
            .setAlgorithmParameterSpec(ECGenParameterSpec("secp256r1"))
            .setDigests(KeyProperties.DIGEST_SHA256)
            .apply { if (challenge != null) setAttestationChallenge(challenge) }
            .apply { if (strongBox) setIsStrongBoxBacked(true) }
            .build()
        KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, ANDROID_KEYSTORE).run {
            initialize(spec)
            generateKeyPair()
        }
    }

    override fun chain(): List<Certificate> = keyStore.getCertificateChain(alias)?.toList().orEmpty()

    override fun delete() {
        if (keyStore.containsAlias(alias)) keyStore.deleteEntry(alias)
    }
}
