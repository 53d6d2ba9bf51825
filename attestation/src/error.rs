//! Why a KeyDescription could not be decoded, or a chain was rejected.

use crate::SecurityLevel;
use crate::revocation::Status;

/// The KeyDescription extension is not a well-formed, strict-DER value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExtensionError {
    /// Larger than the bound on the extension.
    #[error("the attestation extension is {bytes} bytes, more than the {max} accepted")]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The bound.
        max: usize,
    },
    /// Not DER at all, or BER where DER is required.
    #[error("{field}: not strict DER ({problem})")]
    Der {
        /// The field being read.
        field: &'static str,
        /// What the decoder said.
        problem: String,
    },
    /// An element of the wrong ASN.1 type.
    #[error("{field}: expected {expected}, found {found}")]
    WrongType {
        /// The field being read.
        field: &'static str,
        /// The type the schema requires.
        expected: &'static str,
        /// What the encoding holds.
        found: String,
    },
    /// A BOOLEAN encoded as something other than 0x00 or 0xFF.
    #[error(
        "{field}: BOOLEAN encoded as 0x{byte:02x}; DER allows only 0x00 (false) or 0xff (true), so the extension is malformed"
    )]
    NotDerBoolean {
        /// The field being read.
        field: &'static str,
        /// The contents octet.
        byte: u8,
    },
    /// An INTEGER too large for this decoder.
    #[error("{field}: the integer does not fit in 64 bits")]
    OutOfRange {
        /// The field being read.
        field: &'static str,
    },
    /// A required element is absent.
    #[error("{field}: {what} is missing")]
    Missing {
        /// The structure being read.
        field: &'static str,
        /// The element that was expected next.
        what: &'static str,
    },
    /// Bytes after the last element the schema allows.
    #[error("{field}: {bytes} unexpected bytes after the last element")]
    Trailing {
        /// The structure being read.
        field: &'static str,
        /// How many bytes remain.
        bytes: usize,
    },
    /// An authorization list names a tag twice.
    #[error("{list}: tag {tag} appears twice")]
    DuplicateTag {
        /// `softwareEnforced` or `hardwareEnforced`.
        list: &'static str,
        /// The KeyMint tag number.
        tag: u32,
    },
    /// More entries than this decoder accepts.
    #[error("{field}: more than {max} entries")]
    TooMany {
        /// The list.
        field: &'static str,
        /// The bound.
        max: usize,
    },
    /// An enumerated value the schema does not define.
    #[error("{field}: unknown value {value}")]
    UnknownValue {
        /// The field being read.
        field: &'static str,
        /// The value found.
        value: i64,
    },
    /// Text that is not UTF-8.
    #[error("{field}: not UTF-8 text")]
    NotUtf8 {
        /// The field being read.
        field: &'static str,
    },
}

/// A certificate chain that is not a valid Android key attestation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// PEM text larger than the bound.
    #[error("the PEM input is {bytes} bytes, more than the {max} accepted for a chain")]
    InputTooLarge {
        /// Its size.
        bytes: usize,
        /// The bound.
        max: usize,
    },
    /// A trusted-roots file that cannot be used.
    #[error("trusted roots: {0}")]
    Roots(String),
    /// No PEM certificate in the input.
    #[error("no certificate found: expected PEM blocks `-----BEGIN CERTIFICATE-----`, leaf first")]
    NoCertificates,
    /// A PEM block that does not decode.
    #[error("PEM block {index} is not valid base64: {problem}")]
    Pem {
        /// Position in the input, from 0.
        index: usize,
        /// What went wrong.
        problem: String,
    },
    /// Too few or too many certificates.
    #[error(
        "the chain has {count} certificates; an attestation chain has {min} to {max} (leaf, intermediates, root)"
    )]
    ChainLength {
        /// Certificates given.
        count: usize,
        /// Fewest accepted.
        min: usize,
        /// Most accepted.
        max: usize,
    },
    /// A certificate larger than the bound.
    #[error("certificate {index} is {bytes} bytes, more than the {max} accepted")]
    CertificateTooLarge {
        /// Position in the chain, leaf = 0.
        index: usize,
        /// Its size.
        bytes: usize,
        /// The bound.
        max: usize,
    },
    /// A certificate that is not DER X.509.
    #[error("certificate {index} is not a valid X.509 certificate: {problem}")]
    Certificate {
        /// Position in the chain, leaf = 0.
        index: usize,
        /// What the parser said.
        problem: String,
    },
    /// A signature algorithm or key this verifier does not accept.
    #[error("certificate {index}: {problem}")]
    Unsupported {
        /// Position in the chain of the signed certificate, leaf = 0.
        index: usize,
        /// The algorithm or key that is not accepted.
        problem: String,
    },
    /// A signature that does not verify under the next certificate's key.
    #[error("certificate {index}'s signature does not verify under certificate {}'s key", index + 1)]
    BadSignature {
        /// Position in the chain of the signed certificate, leaf = 0.
        index: usize,
    },
    /// Issuer and subject names do not chain.
    #[error("certificate {index}'s issuer is not the subject of certificate {}: the chain is out of order or broken", index + 1)]
    NameChain {
        /// Position in the chain, leaf = 0.
        index: usize,
    },
    /// The last certificate is not self-issued.
    #[error("the last certificate is not a self-issued root: the chain is incomplete")]
    RootNotSelfIssued,
    /// The chain ends at Android's software attestation root.
    #[error(
        "the chain ends at Android's software attestation root: the key is not hardware-backed (an emulator or a device without a TEE); accepted only when software attestation is allowed"
    )]
    SoftwareRoot,
    /// The chain ends at a root that is not trusted.
    #[error(
        "the chain's root is not a trusted attestation root (its public key matches none of them)"
    )]
    UntrustedRoot,
    /// A non-leaf certificate not yet valid at the verification time.
    #[error("certificate {index} is not valid before {not_before} (verification time {at})")]
    NotYetValid {
        /// Position in the chain, leaf = 0.
        index: usize,
        /// Its notBefore, RFC 3339.
        not_before: String,
        /// The verification time, RFC 3339.
        at: String,
    },
    /// A non-leaf certificate expired at the verification time.
    #[error("certificate {index} expired at {not_after} (verification time {at})")]
    Expired {
        /// Position in the chain, leaf = 0.
        index: usize,
        /// Its notAfter, RFC 3339.
        not_after: String,
        /// The verification time, RFC 3339.
        at: String,
    },
    /// The leaf has no attestation extension.
    #[error("the leaf certificate has no key attestation extension (OID 1.3.6.1.4.1.11129.2.1.17)")]
    NoExtension,
    /// The extension appears more than once on the leaf.
    #[error("the leaf certificate carries the key attestation extension more than once")]
    DuplicateExtension,
    /// The extension appears on a certificate other than the leaf.
    #[error(
        "certificate {index} (not the leaf) carries a key attestation extension: a chain-extension attack or a broken chain"
    )]
    ExtensionOnNonLeaf {
        /// Position in the chain, leaf = 0.
        index: usize,
    },
    /// The extension does not decode.
    #[error("the key attestation extension is malformed: {0}")]
    Extension(#[from] ExtensionError),
    /// A certificate of the chain is on the attestation status list.
    #[error(
        "certificate {index} (serial {serial}) is {status} on the attestation status list: {reason}"
    )]
    Revoked {
        /// Position in the chain, leaf = 0.
        index: usize,
        /// Lowercase hex serial, no leading zeros.
        serial: String,
        /// REVOKED or SUSPENDED.
        status: Status,
        /// The reason the list gives.
        reason: String,
    },
    /// Software security level while software attestation is not allowed.
    #[error(
        "the key is attested at security level {level}: not hardware-backed; accepted only when software attestation is allowed"
    )]
    SoftwareSecurityLevel {
        /// The lower of the attestation and KeyMint security levels.
        level: SecurityLevel,
    },
    /// The attestation challenge is not the expected one.
    #[error(
        "the attestation challenge is not the expected one: the chain was made for another request (or replayed)"
    )]
    ChallengeMismatch,
    /// The expected leaf key could not be read.
    #[error("the expected public key is not usable: {0}")]
    ExpectedKey(String),
    /// The leaf's public key is not the expected key.
    #[error("the leaf certificate's public key is not the enrolled key")]
    LeafKeyMismatch,
}
