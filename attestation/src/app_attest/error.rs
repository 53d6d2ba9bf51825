//! Why an App Attest attestation object or assertion was rejected.

/// An attestation object or assertion that is not valid for this app.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AppAttestError {
    /// The App ID setting is not `TEAMID.BUNDLEID`.
    #[error(
        "the App ID {0:?} is not TEAMID.BUNDLEID (a 10-character Apple team ID, a dot, the bundle ID)"
    )]
    AppId(String),
    /// A trust anchor that cannot be used.
    #[error("App Attest trust anchor: {0}")]
    Anchor(String),
    /// No trust anchor is configured.
    #[error(
        "no App Attest trust anchor is configured: give Apple's App Attestation Root CA (or a test root)"
    )]
    NoAnchors,
    /// The input is larger than the bound.
    #[error("the {what} is {bytes} bytes, more than the {max} accepted")]
    TooLarge {
        /// Attestation object or assertion.
        what: &'static str,
        /// Its size.
        bytes: usize,
        /// The bound.
        max: usize,
    },
    /// Not well-formed CBOR, or cut short.
    #[error("the {what} is not well-formed CBOR: {problem}")]
    Cbor {
        /// Attestation object or assertion.
        what: &'static str,
        /// What the decoder found.
        problem: String,
    },
    /// An indefinite-length item (App Attest uses definite lengths only).
    #[error(
        "the {what} holds an indefinite-length CBOR item at byte {offset}; only definite lengths are accepted"
    )]
    IndefiniteLength {
        /// Attestation object or assertion.
        what: &'static str,
        /// Where the item starts.
        offset: usize,
    },
    /// A CBOR item of a kind App Attest does not use (tag, float, simple).
    #[error("the {what} holds a CBOR {kind} at byte {offset}, which App Attest does not use")]
    UnexpectedItem {
        /// Attestation object or assertion.
        what: &'static str,
        /// The kind of item.
        kind: &'static str,
        /// Where it starts.
        offset: usize,
    },
    /// Nested deeper, or with more items, than the format has.
    #[error("the {what} is nested deeper or holds more items than the format allows")]
    Shape {
        /// Attestation object or assertion.
        what: &'static str,
    },
    /// Bytes after the top-level item.
    #[error("the {what} has {bytes} bytes after its CBOR item")]
    Trailing {
        /// Attestation object or assertion.
        what: &'static str,
        /// How many.
        bytes: usize,
    },
    /// A map names the same key twice.
    #[error("the {what} names the key {key:?} twice")]
    DuplicateKey {
        /// The map.
        what: &'static str,
        /// The key.
        key: String,
    },
    /// A member that is missing or of the wrong type.
    #[error("the {what}'s {field} is missing or not {expected}")]
    Field {
        /// The map.
        what: &'static str,
        /// The member.
        field: &'static str,
        /// The type it must have.
        expected: &'static str,
    },
    /// `fmt` is not `apple-appattest`.
    #[error("the attestation format is {0:?}, not \"apple-appattest\"")]
    WrongFormat(String),
    /// x5c does not hold a leaf and an intermediate.
    #[error(
        "x5c has {0} certificates; an App Attest statement has 2 (credential certificate, intermediate)"
    )]
    ChainLength(usize),
    /// A certificate that is not DER X.509.
    #[error("certificate {index} of x5c is not a valid X.509 certificate: {problem}")]
    Certificate {
        /// Position in x5c, leaf = 0.
        index: usize,
        /// What the parser said.
        problem: String,
    },
    /// A signature algorithm or key that is not accepted.
    #[error("certificate {index}: {problem}")]
    Unsupported {
        /// Position in the chain, leaf = 0.
        index: usize,
        /// What is not accepted.
        problem: String,
    },
    /// The leaf's signature does not verify under the intermediate's key.
    #[error("the credential certificate's signature does not verify under the intermediate's key")]
    BadSignature,
    /// The leaf's issuer is not the intermediate.
    #[error("the credential certificate's issuer is not the intermediate's subject")]
    NameChain,
    /// The intermediate is not a CA certificate.
    #[error("the intermediate certificate is not a CA (basicConstraints cA is not true)")]
    IntermediateNotCa,
    /// The intermediate is not signed by any trust anchor.
    #[error(
        "the intermediate certificate is not issued by a trusted App Attest root (no anchor's name and key match)"
    )]
    UntrustedRoot,
    /// A certificate not yet valid at the verification time.
    #[error("{which} is not valid before {not_before} (verification time {at})")]
    NotYetValid {
        /// Which certificate.
        which: &'static str,
        /// Its notBefore, RFC 3339.
        not_before: String,
        /// The verification time, RFC 3339.
        at: String,
    },
    /// A certificate expired at the verification time.
    #[error("{which} expired at {not_after} (verification time {at})")]
    Expired {
        /// Which certificate.
        which: &'static str,
        /// Its notAfter, RFC 3339.
        not_after: String,
        /// The verification time, RFC 3339.
        at: String,
    },
    /// The leaf lacks the nonce extension, or has it twice.
    #[error(
        "the credential certificate must carry the App Attest nonce extension (OID 1.2.840.113635.100.8.2) exactly once"
    )]
    NonceExtensionMissing,
    /// The nonce extension does not decode.
    #[error("the App Attest nonce extension is malformed: {0}")]
    NonceExtension(String),
    /// The nonce is not SHA-256(authData ‖ clientDataHash).
    #[error(
        "the certificate's nonce is not SHA-256(authData || clientDataHash): the object was made for other client data (or authData was altered)"
    )]
    NonceMismatch,
    /// The leaf's key is not an uncompressed P-256 point.
    #[error("the credential certificate's key is not an uncompressed EC P-256 point")]
    LeafKey,
    /// The key id is not SHA-256 of the leaf's key.
    #[error("the key id is not the SHA-256 of the credential certificate's public key")]
    KeyIdMismatch,
    /// authenticatorData that does not parse.
    #[error("the authenticator data is malformed: {0}")]
    AuthData(String),
    /// rpIdHash is not SHA-256 of this App ID.
    #[error(
        "the authenticator data's rpIdHash is not SHA-256 of the App ID {0}: the object comes from another app"
    )]
    RpIdMismatch(String),
    /// An attestation whose counter is not 0.
    #[error("the attestation's sign counter is {0}; a fresh attestation has 0")]
    CounterNotZero(u32),
    /// An aaguid that is neither production nor development App Attest.
    #[error(
        "the aaguid is neither \"appattest\" followed by seven 0x00 bytes nor \"appattestdevelop\""
    )]
    UnknownAaguid,
    /// A development-environment key while only production is accepted.
    #[error(
        "the key was attested in Apple's development environment; accepted only when development attestation is allowed"
    )]
    DevelopmentNotAllowed,
    /// credentialId is not the key id.
    #[error("the authenticator data's credentialId is not the key id")]
    CredentialIdMismatch,
    /// The stored public key is not usable.
    #[error("the stored App Attest public key is not an uncompressed P-256 point")]
    StoredKey,
    /// The assertion's signature does not verify.
    #[error(
        "the assertion's signature does not verify under the attested key over SHA-256(authenticatorData || clientDataHash)"
    )]
    AssertionSignature,
    /// The assertion's counter did not increase.
    #[error(
        "the assertion's counter {counter} is not greater than the last one accepted ({stored}): a replayed or cloned assertion"
    )]
    CounterNotIncreasing {
        /// The assertion's counter.
        counter: u32,
        /// The last accepted counter.
        stored: u32,
    },
}
