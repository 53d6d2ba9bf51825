//! Decodes the KeyDescription extension value from strict DER, bounded.

use crate::der::{self, Reader, Tlv};
use crate::description::{
    AttestationApplicationId, AuthorizationList, KeyDescription, Origin, PackageInfo, PatchLevel,
    RootOfTrust, SecurityLevel, UnknownTag, VerifiedBootState,
};
use crate::error::ExtensionError;

/// Largest extension value accepted, in bytes.
pub const MAX_EXTENSION_BYTES: usize = 16 * 1024;
/// Most packages accepted in an attestationApplicationId.
pub const MAX_PACKAGES: usize = 32;
/// Most signing-certificate digests accepted in an attestationApplicationId.
pub const MAX_DIGESTS: usize = 32;
/// Most values accepted in a SET OF INTEGER (purposes, digests, ...).
const MAX_SET_VALUES: usize = 32;
/// Most tags accepted in one authorization list.
const MAX_TAGS: usize = 128;

impl KeyDescription {
    /// Decodes the extension's value (the contents of its OCTET STRING).
    pub fn from_der(bytes: &[u8]) -> Result<KeyDescription, ExtensionError> {
        if bytes.len() > MAX_EXTENSION_BYTES {
            return Err(ExtensionError::TooLarge {
                bytes: bytes.len(),
                max: MAX_EXTENSION_BYTES,
            });
        }
        let top = der::single(bytes, "KeyDescription")?;
        let mut seq = der::sequence(&top, "KeyDescription")?;
        let attestation_version =
            der::integer(&seq.next("attestationVersion")?, "attestationVersion")?;
        let attestation_security_level = security_level(
            &seq.next("attestationSecurityLevel")?,
            "attestationSecurityLevel",
        )?;
        let key_mint_version = der::integer(&seq.next("keyMintVersion")?, "keyMintVersion")?;
        let key_mint_security_level =
            security_level(&seq.next("keyMintSecurityLevel")?, "keyMintSecurityLevel")?;
        let attestation_challenge =
            der::octets(&seq.next("attestationChallenge")?, "attestationChallenge")?.to_vec();
        let unique_id = der::octets(&seq.next("uniqueId")?, "uniqueId")?.to_vec();
        let software_enforced =
            authorization_list(&seq.next("softwareEnforced")?, "softwareEnforced")?;
        let hardware_enforced =
            authorization_list(&seq.next("hardwareEnforced")?, "hardwareEnforced")?;
        seq.finish()?;
        Ok(KeyDescription {
            attestation_version,
            attestation_security_level,
            key_mint_version,
            key_mint_security_level,
            attestation_challenge,
            unique_id,
            software_enforced,
            hardware_enforced,
        })
    }
}

fn security_level(tlv: &Tlv<'_>, field: &'static str) -> Result<SecurityLevel, ExtensionError> {
    match der::enumerated(tlv, field)? {
        0 => Ok(SecurityLevel::Software),
        1 => Ok(SecurityLevel::TrustedEnvironment),
        2 => Ok(SecurityLevel::StrongBox),
        value => Err(ExtensionError::UnknownValue { field, value }),
    }
}

fn int_set(tlv: &Tlv<'_>, field: &'static str) -> Result<Vec<i64>, ExtensionError> {
    let mut set = der::set(tlv, field)?;
    let mut out = Vec::new();
    while let Some(item) = set.next_opt(field)? {
        if out.len() == MAX_SET_VALUES {
            return Err(ExtensionError::TooMany {
                field,
                max: MAX_SET_VALUES,
            });
        }
        out.push(der::integer(&item, field)?);
    }
    Ok(out)
}

fn utf8(bytes: &[u8], field: &'static str) -> Result<String, ExtensionError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| ExtensionError::NotUtf8 { field })
}

fn root_of_trust(tlv: &Tlv<'_>) -> Result<RootOfTrust, ExtensionError> {
    const F: &str = "rootOfTrust";
    let mut seq = der::sequence(tlv, F)?;
    let verified_boot_key = der::octets(&seq.next("verifiedBootKey")?, "verifiedBootKey")?.to_vec();
    let device_locked = der::boolean(&seq.next("deviceLocked")?, "deviceLocked")?;
    let verified_boot_state =
        match der::enumerated(&seq.next("verifiedBootState")?, "verifiedBootState")? {
            0 => VerifiedBootState::Verified,
            1 => VerifiedBootState::SelfSigned,
            2 => VerifiedBootState::Unverified,
            3 => VerifiedBootState::Failed,
            value => {
                return Err(ExtensionError::UnknownValue {
                    field: "verifiedBootState",
                    value,
                });
            }
        };
    let verified_boot_hash = match seq.next_opt("verifiedBootHash")? {
        Some(t) => Some(der::octets(&t, "verifiedBootHash")?.to_vec()),
        None => None,
    };
    seq.finish()?;
    Ok(RootOfTrust {
        verified_boot_key,
        device_locked,
        verified_boot_state,
        verified_boot_hash,
    })
}

fn application_id(tlv: &Tlv<'_>) -> Result<AttestationApplicationId, ExtensionError> {
    const F: &str = "attestationApplicationId";
    // An OCTET STRING that holds the DER of the SEQUENCE.
    let inner = der::single(der::octets(tlv, F)?, F)?;
    let mut seq = der::sequence(&inner, F)?;
    let mut infos = der::set(&seq.next("packageInfos")?, "packageInfos")?;
    let mut packages = Vec::new();
    while let Some(info) = infos.next_opt("packageInfo")? {
        if packages.len() == MAX_PACKAGES {
            return Err(ExtensionError::TooMany {
                field: "packageInfos",
                max: MAX_PACKAGES,
            });
        }
        let mut p = der::sequence(&info, "packageInfo")?;
        let name = utf8(
            der::octets(&p.next("packageName")?, "packageName")?,
            "packageName",
        )?;
        let version = der::integer(&p.next("version")?, "version")?;
        p.finish()?;
        packages.push(PackageInfo { name, version });
    }
    let mut digests = der::set(&seq.next("signatureDigests")?, "signatureDigests")?;
    let mut signature_digests = Vec::new();
    while let Some(d) = digests.next_opt("signatureDigest")? {
        if signature_digests.len() == MAX_DIGESTS {
            return Err(ExtensionError::TooMany {
                field: "signatureDigests",
                max: MAX_DIGESTS,
            });
        }
        signature_digests.push(der::octets(&d, "signatureDigest")?.to_vec());
    }
    seq.finish()?;
    Ok(AttestationApplicationId {
        packages,
        signature_digests,
    })
}

/// Each known tag: its number, the field name errors use, and its type.
#[derive(Clone, Copy)]
enum Kind {
    Int,
    IntSet,
    Flag,
    Bytes,
    Text,
    PatchLevel,
    Origin,
    RootOfTrust,
    AppId,
}

fn kind(tag: u32) -> Option<(&'static str, Kind)> {
    use Kind::*;
    Some(match tag {
        1 => ("purpose", IntSet),
        2 => ("algorithm", Int),
        3 => ("keySize", Int),
        4 => ("blockMode", IntSet),
        5 => ("digest", IntSet),
        6 => ("padding", IntSet),
        7 => ("callerNonce", Flag),
        8 => ("minMacLength", Int),
        10 => ("ecCurve", Int),
        200 => ("rsaPublicExponent", Int),
        203 => ("mgfDigest", IntSet),
        303 => ("rollbackResistance", Flag),
        305 => ("earlyBootOnly", Flag),
        400 => ("activeDateTime", Int),
        401 => ("originationExpireDateTime", Int),
        402 => ("usageExpireDateTime", Int),
        405 => ("usageCountLimit", Int),
        503 => ("noAuthRequired", Flag),
        504 => ("userAuthType", Int),
        505 => ("authTimeout", Int),
        506 => ("allowWhileOnBody", Flag),
        507 => ("trustedUserPresenceRequired", Flag),
        508 => ("trustedConfirmationRequired", Flag),
        509 => ("unlockedDeviceRequired", Flag),
        600 => ("allApplications", Flag),
        701 => ("creationDateTime", Int),
        702 => ("origin", Origin),
        703 => ("rollbackResistant", Flag),
        704 => ("rootOfTrust", RootOfTrust),
        705 => ("osVersion", Int),
        706 => ("osPatchLevel", PatchLevel),
        709 => ("attestationApplicationId", AppId),
        710 => ("attestationIdBrand", Text),
        711 => ("attestationIdDevice", Text),
        712 => ("attestationIdProduct", Text),
        713 => ("attestationIdSerial", Text),
        714 => ("attestationIdImei", Text),
        715 => ("attestationIdMeid", Text),
        716 => ("attestationIdManufacturer", Text),
        717 => ("attestationIdModel", Text),
        718 => ("vendorPatchLevel", PatchLevel),
        719 => ("bootPatchLevel", PatchLevel),
        720 => ("deviceUniqueAttestation", Flag),
        721 => ("identityCredentialKey", Flag),
        723 => ("attestationIdSecondImei", Text),
        724 => ("moduleHash", Bytes),
        _ => return None,
    })
}

/// A decoded tag value before it is stored in its field.
enum Value {
    Int(i64),
    IntSet(Vec<i64>),
    Flag,
    Bytes(Vec<u8>),
    Text(String),
    Origin(Origin),
    RootOfTrust(RootOfTrust),
    AppId(AttestationApplicationId),
}

fn value(inner: &Tlv<'_>, field: &'static str, kind: Kind) -> Result<Value, ExtensionError> {
    Ok(match kind {
        Kind::Int | Kind::PatchLevel => Value::Int(der::integer(inner, field)?),
        Kind::IntSet => Value::IntSet(int_set(inner, field)?),
        Kind::Flag => {
            der::null(inner, field)?;
            Value::Flag
        }
        Kind::Bytes => Value::Bytes(der::octets(inner, field)?.to_vec()),
        Kind::Text => Value::Text(utf8(der::octets(inner, field)?, field)?),
        Kind::Origin => Value::Origin(Origin::from_value(der::integer(inner, field)?)),
        Kind::RootOfTrust => Value::RootOfTrust(root_of_trust(inner)?),
        Kind::AppId => Value::AppId(application_id(inner)?),
    })
}

fn authorization_list(
    tlv: &Tlv<'_>,
    list: &'static str,
) -> Result<AuthorizationList, ExtensionError> {
    let mut seq: Reader<'_> = der::sequence(tlv, list)?;
    let mut out = AuthorizationList {
        tags_ordered: true,
        ..AuthorizationList::default()
    };
    let mut seen: Vec<u32> = Vec::new();
    while let Some(item) = seq.next_opt(list)? {
        if seen.len() == MAX_TAGS {
            return Err(ExtensionError::TooMany {
                field: list,
                max: MAX_TAGS,
            });
        }
        let Some(tag) = item.context_tag() else {
            return Err(ExtensionError::WrongType {
                field: list,
                expected: "an explicitly tagged [n] element",
                found: "another element".into(),
            });
        };
        if seen.contains(&tag) {
            return Err(ExtensionError::DuplicateTag { list, tag });
        }
        if seen.last().is_some_and(|&last| tag < last) {
            out.tags_ordered = false;
        }
        seen.push(tag);
        let Some((field, kind)) = kind(tag) else {
            out.unknown.push(UnknownTag {
                tag,
                value: item.data().to_vec(),
            });
            continue;
        };
        let inner = der::explicit_inner(&item, field)?;
        store(&mut out, tag, value(&inner, field, kind)?);
    }
    Ok(out)
}

fn store(out: &mut AuthorizationList, tag: u32, v: Value) {
    match (tag, v) {
        (1, Value::IntSet(s)) => out.purposes = Some(s),
        (2, Value::Int(n)) => out.algorithm = Some(n),
        (3, Value::Int(n)) => out.key_size = Some(n),
        (4, Value::IntSet(s)) => out.block_modes = Some(s),
        (5, Value::IntSet(s)) => out.digests = Some(s),
        (6, Value::IntSet(s)) => out.paddings = Some(s),
        (7, Value::Flag) => out.caller_nonce = true,
        (8, Value::Int(n)) => out.min_mac_length = Some(n),
        (10, Value::Int(n)) => out.ec_curve = Some(n),
        (200, Value::Int(n)) => out.rsa_public_exponent = Some(n),
        (203, Value::IntSet(s)) => out.mgf_digests = Some(s),
        (303, Value::Flag) => out.rollback_resistance = true,
        (305, Value::Flag) => out.early_boot_only = true,
        (400, Value::Int(n)) => out.active_date_time = Some(n),
        (401, Value::Int(n)) => out.origination_expire_date_time = Some(n),
        (402, Value::Int(n)) => out.usage_expire_date_time = Some(n),
        (405, Value::Int(n)) => out.usage_count_limit = Some(n),
        (503, Value::Flag) => out.no_auth_required = true,
        (504, Value::Int(n)) => out.user_auth_type = Some(n),
        (505, Value::Int(n)) => out.auth_timeout = Some(n),
        (506, Value::Flag) => out.allow_while_on_body = true,
        (507, Value::Flag) => out.trusted_user_presence_required = true,
        (508, Value::Flag) => out.trusted_confirmation_required = true,
        (509, Value::Flag) => out.unlocked_device_required = true,
        (600, Value::Flag) => out.all_applications = true,
        (701, Value::Int(n)) => out.creation_date_time = Some(n),
        (702, Value::Origin(o)) => out.origin = Some(o),
        (703, Value::Flag) => out.rollback_resistant = true,
        (704, Value::RootOfTrust(r)) => out.root_of_trust = Some(r),
        (705, Value::Int(n)) => out.os_version = Some(n),
        (706, Value::Int(n)) => out.os_patch_level = Some(PatchLevel(n)),
        (709, Value::AppId(a)) => out.attestation_application_id = Some(a),
        (710, Value::Text(s)) => out.ids.brand = Some(s),
        (711, Value::Text(s)) => out.ids.device = Some(s),
        (712, Value::Text(s)) => out.ids.product = Some(s),
        (713, Value::Text(s)) => out.ids.serial = Some(s),
        (714, Value::Text(s)) => out.ids.imei = Some(s),
        (715, Value::Text(s)) => out.ids.meid = Some(s),
        (716, Value::Text(s)) => out.ids.manufacturer = Some(s),
        (717, Value::Text(s)) => out.ids.model = Some(s),
        (718, Value::Int(n)) => out.vendor_patch_level = Some(PatchLevel(n)),
        (719, Value::Int(n)) => out.boot_patch_level = Some(PatchLevel(n)),
        (720, Value::Flag) => out.device_unique_attestation = true,
        (721, Value::Flag) => out.identity_credential_key = true,
        (723, Value::Text(s)) => out.ids.second_imei = Some(s),
        (724, Value::Bytes(b)) => out.module_hash = Some(b),
        // `kind` and this table name the same tags with the same types.
        _ => {}
    }
}
