//! The KeyDescription a KeyMint (or Keymaster) implementation puts in the
//! leaf of an attestation chain, as typed values.
//!
//! Field names follow Android's schema
//! (source.android.com/docs/security/features/keystore/attestation#schema);
//! `decode` reads it and `json` writes it the way Google's verifier does.

use std::fmt;

/// Who enforces a key's properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecurityLevel {
    /// Android's software keystore: no hardware protects the key.
    Software,
    /// A trusted execution environment (TEE).
    TrustedEnvironment,
    /// A discrete secure element (StrongBox).
    StrongBox,
}

impl SecurityLevel {
    /// The name Google's verifier prints.
    pub fn as_str(self) -> &'static str {
        match self {
            SecurityLevel::Software => "SOFTWARE",
            SecurityLevel::TrustedEnvironment => "TRUSTED_ENVIRONMENT",
            SecurityLevel::StrongBox => "STRONG_BOX",
        }
    }

    /// True for TEE and StrongBox.
    pub fn is_hardware(self) -> bool {
        self != SecurityLevel::Software
    }
}

impl fmt::Display for SecurityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The decoded attestation extension (OID 1.3.6.1.4.1.11129.2.1.17).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyDescription {
    /// Attestation format version (1, 2, 3, 4, 100, 200, 300, 400, ...).
    pub attestation_version: i64,
    /// Who produced the attestation.
    pub attestation_security_level: SecurityLevel,
    /// KeyMint (formerly Keymaster) version.
    pub key_mint_version: i64,
    /// Who holds the key.
    pub key_mint_security_level: SecurityLevel,
    /// The challenge the app passed when it generated the key.
    pub attestation_challenge: Vec<u8>,
    /// A privacy-sensitive per-app identifier; empty unless requested.
    pub unique_id: Vec<u8>,
    /// Properties enforced by Android, outside the secure environment.
    pub software_enforced: AuthorizationList,
    /// Properties enforced by the TEE or StrongBox.
    pub hardware_enforced: AuthorizationList,
}

impl KeyDescription {
    /// The lower of the attestation and KeyMint security levels: what the
    /// key can be trusted to, as Google's verifier reports it.
    pub fn security_level(&self) -> SecurityLevel {
        self.attestation_security_level
            .min(self.key_mint_security_level)
    }
}

/// How the key came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Generated inside KeyMint.
    Generated,
    /// Derived inside KeyMint.
    Derived,
    /// Imported in the clear.
    Imported,
    /// Reserved by the schema.
    Reserved,
    /// Imported wrapped, never in the clear outside KeyMint.
    SecurelyImported,
    /// A value the schema does not name yet.
    Other(i64),
}

impl Origin {
    pub(crate) fn from_value(v: i64) -> Origin {
        match v {
            0 => Origin::Generated,
            1 => Origin::Derived,
            2 => Origin::Imported,
            3 => Origin::Reserved,
            4 => Origin::SecurelyImported,
            other => Origin::Other(other),
        }
    }

    /// The name Google's verifier prints (the number for an unnamed value).
    pub fn name(self) -> String {
        match self {
            Origin::Generated => "GENERATED".into(),
            Origin::Derived => "DERIVED".into(),
            Origin::Imported => "IMPORTED".into(),
            Origin::Reserved => "RESERVED".into(),
            Origin::SecurelyImported => "SECURELY_IMPORTED".into(),
            Origin::Other(v) => v.to_string(),
        }
    }
}

/// The verified-boot state the bootloader reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifiedBootState {
    /// Locked, booted an OS signed by the device's embedded key.
    Verified,
    /// Locked, booted an OS signed by a user-set key (e.g. GrapheneOS).
    SelfSigned,
    /// Unlocked: any OS may have booted.
    Unverified,
    /// Verification failed.
    Failed,
}

impl VerifiedBootState {
    /// The name Google's verifier prints.
    pub fn as_str(self) -> &'static str {
        match self {
            VerifiedBootState::Verified => "VERIFIED",
            VerifiedBootState::SelfSigned => "SELF_SIGNED",
            VerifiedBootState::Unverified => "UNVERIFIED",
            VerifiedBootState::Failed => "FAILED",
        }
    }
}

/// The device's boot state, as the bootloader told KeyMint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootOfTrust {
    /// Digest of the key that verified the boot image (zeros when unlocked).
    pub verified_boot_key: Vec<u8>,
    /// Whether the bootloader is locked.
    pub device_locked: bool,
    /// Verified-boot state.
    pub verified_boot_state: VerifiedBootState,
    /// Digest of the verified boot data (attestation version 3 and later).
    pub verified_boot_hash: Option<Vec<u8>>,
}

/// A patch level as encoded: YYYYMM (OS) or YYYYMMDD (vendor, boot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PatchLevel(pub i64);

impl PatchLevel {
    /// Year and month, when the value has the YYYYMM or YYYYMMDD shape.
    pub fn year_month(self) -> Option<(i64, u8)> {
        let v = self.0;
        let (year, month) = match v {
            100_000..=999_999 => (v / 100, v % 100),
            10_000_000..=99_999_999 => (v / 10_000, (v / 100) % 100),
            _ => return None,
        };
        let month = u8::try_from(month).ok().filter(|m| (1..=12).contains(m))?;
        Some((year, month))
    }
}

/// One package of the app that holds the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageInfo {
    /// Package name.
    pub name: String,
    /// Version code.
    pub version: i64,
}

/// The app (packages sharing a UID) that asked for the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestationApplicationId {
    /// Its packages.
    pub packages: Vec<PackageInfo>,
    /// SHA-256 digests of its signing certificates.
    pub signature_digests: Vec<Vec<u8>>,
}

/// Device identifiers from ID attestation: IMEI, serial and the like.
///
/// These identify a person's phone. A BYOD collector must never store or
/// log them, so `Debug` names only which are present, never their values;
/// read them one by one where a caller has a reason to.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AttestedIds {
    /// `attestationIdBrand` (710).
    pub brand: Option<String>,
    /// `attestationIdDevice` (711).
    pub device: Option<String>,
    /// `attestationIdProduct` (712).
    pub product: Option<String>,
    /// `attestationIdSerial` (713).
    pub serial: Option<String>,
    /// `attestationIdImei` (714).
    pub imei: Option<String>,
    /// `attestationIdMeid` (715).
    pub meid: Option<String>,
    /// `attestationIdManufacturer` (716).
    pub manufacturer: Option<String>,
    /// `attestationIdModel` (717).
    pub model: Option<String>,
    /// `attestationIdSecondImei` (723).
    pub second_imei: Option<String>,
}

impl AttestedIds {
    /// Each field as (Google's JSON name, value).
    pub fn fields(&self) -> [(&'static str, Option<&str>); 9] {
        [
            ("attestationIdBrand", self.brand.as_deref()),
            ("attestationIdDevice", self.device.as_deref()),
            ("attestationIdProduct", self.product.as_deref()),
            ("attestationIdSerial", self.serial.as_deref()),
            ("attestationIdImei", self.imei.as_deref()),
            ("attestationIdMeid", self.meid.as_deref()),
            ("attestationIdManufacturer", self.manufacturer.as_deref()),
            ("attestationIdModel", self.model.as_deref()),
            ("attestationIdSecondImei", self.second_imei.as_deref()),
        ]
    }

    /// The names of the fields present, without their values.
    pub fn present(&self) -> Vec<&'static str> {
        self.fields()
            .into_iter()
            .filter_map(|(name, v)| v.map(|_| name))
            .collect()
    }

    /// True when no identifier is present.
    pub fn is_empty(&self) -> bool {
        self.present().is_empty()
    }
}

impl fmt::Debug for AttestedIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AttestedIds")
            .field("present", &self.present())
            .field("values", &"<redacted>")
            .finish()
    }
}

/// A tag this decoder does not know, kept by number.
#[derive(Clone, PartialEq, Eq)]
pub struct UnknownTag {
    /// The KeyMint tag number.
    pub tag: u32,
    /// The DER of the tagged value.
    pub value: Vec<u8>,
}

impl fmt::Debug for UnknownTag {
    // An unknown tag may carry an identifier: only its size is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UnknownTag({}, {} bytes)", self.tag, self.value.len())
    }
}

/// A set of key properties (`softwareEnforced` or `hardwareEnforced`).
///
/// Optional values are `None` when the tag is absent; NULL-valued flags are
/// `true` when the tag is present.
#[allow(missing_docs)] // each field is the KeyMint tag of the same name
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorizationList {
    pub purposes: Option<Vec<i64>>,
    pub algorithm: Option<i64>,
    pub key_size: Option<i64>,
    pub block_modes: Option<Vec<i64>>,
    pub digests: Option<Vec<i64>>,
    pub paddings: Option<Vec<i64>>,
    pub caller_nonce: bool,
    pub min_mac_length: Option<i64>,
    pub ec_curve: Option<i64>,
    pub rsa_public_exponent: Option<i64>,
    pub mgf_digests: Option<Vec<i64>>,
    pub rollback_resistance: bool,
    pub early_boot_only: bool,
    pub active_date_time: Option<i64>,
    pub origination_expire_date_time: Option<i64>,
    pub usage_expire_date_time: Option<i64>,
    pub usage_count_limit: Option<i64>,
    pub no_auth_required: bool,
    pub user_auth_type: Option<i64>,
    pub auth_timeout: Option<i64>,
    pub allow_while_on_body: bool,
    pub trusted_user_presence_required: bool,
    pub trusted_confirmation_required: bool,
    pub unlocked_device_required: bool,
    pub all_applications: bool,
    pub creation_date_time: Option<i64>,
    pub origin: Option<Origin>,
    /// Tag 703, Keymaster 2 and 3's name for rollback resistance.
    pub rollback_resistant: bool,
    pub root_of_trust: Option<RootOfTrust>,
    pub os_version: Option<i64>,
    pub os_patch_level: Option<PatchLevel>,
    pub attestation_application_id: Option<AttestationApplicationId>,
    /// ID attestation: redacted in `Debug`.
    pub ids: AttestedIds,
    pub vendor_patch_level: Option<PatchLevel>,
    pub boot_patch_level: Option<PatchLevel>,
    pub device_unique_attestation: bool,
    pub identity_credential_key: bool,
    pub module_hash: Option<Vec<u8>>,
    /// Tags this decoder does not know, in encoding order.
    pub unknown: Vec<UnknownTag>,
    /// Whether the tags appeared in ascending order, as DER requires
    /// (some older devices do not; Google's verifier accepts and notes it).
    pub tags_ordered: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_names_ids_but_never_their_values() {
        let ids = AttestedIds {
            imei: Some("490154203237518".into()),
            serial: Some("SERIAL-XYZ".into()),
            ..AttestedIds::default()
        };
        let debug = format!("{ids:?} {ids:#?}");
        assert!(!debug.contains("490154203237518"), "{debug}");
        assert!(!debug.contains("SERIAL-XYZ"), "{debug}");
        assert!(debug.contains("attestationIdImei"), "{debug}");
        let unknown = UnknownTag {
            tag: 9999,
            value: b"SERIAL-XYZ".to_vec(),
        };
        let debug = format!("{unknown:?}");
        assert!(!debug.contains("83, 69, 82"), "{debug}");
        assert_eq!(debug, "UnknownTag(9999, 10 bytes)");
    }

    #[test]
    fn patch_levels_of_both_shapes_give_year_and_month() {
        assert_eq!(PatchLevel(202408).year_month(), Some((2024, 8)));
        assert_eq!(PatchLevel(20251105).year_month(), Some((2025, 11)));
        assert_eq!(PatchLevel(202413).year_month(), None);
        assert_eq!(PatchLevel(2024).year_month(), None);
    }
}
