//! A KeyDescription as JSON with the field names and value shapes of
//! Google's verifier (github.com/android/keyattestation): numbers as decimal
//! strings, bytes as padded base64, enums by name, NULL flags as `true`,
//! absent tags left out. Output can be diffed against that tool's.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use crate::description::{AuthorizationList, KeyDescription, PatchLevel};

/// Whether ID-attestation fields (IMEI, serial, ...) are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ids {
    /// Write them as Google's verifier does.
    Include,
    /// Replace each present value by `"<redacted>"`.
    Redact,
}

fn b64(bytes: &[u8]) -> Value {
    Value::String(STANDARD.encode(bytes))
}

fn num(n: i64) -> Value {
    Value::String(n.to_string())
}

fn nums(v: &[i64]) -> Value {
    Value::Array(v.iter().map(|&n| num(n)).collect())
}

fn patch(p: PatchLevel) -> Value {
    num(p.0)
}

impl KeyDescription {
    /// Google-style JSON of the whole description.
    pub fn to_google_json(&self, ids: Ids) -> Value {
        json!({
            "attestationVersion": num(self.attestation_version),
            "attestationSecurityLevel": self.attestation_security_level.as_str(),
            "keyMintVersion": num(self.key_mint_version),
            "keyMintSecurityLevel": self.key_mint_security_level.as_str(),
            "attestationChallenge": b64(&self.attestation_challenge),
            "uniqueId": b64(&self.unique_id),
            "softwareEnforced": self.software_enforced.to_google_json(ids),
            "hardwareEnforced": self.hardware_enforced.to_google_json(ids),
        })
    }
}

impl AuthorizationList {
    /// Google-style JSON of one authorization list.
    pub fn to_google_json(&self, ids: Ids) -> Value {
        let mut m = Map::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.to_owned(), v);
            }
        };
        let flag = |b: bool| b.then_some(Value::Bool(true));
        put("purposes", self.purposes.as_deref().map(nums));
        put("algorithms", self.algorithm.map(num));
        put("keySize", self.key_size.map(num));
        put("blockModes", self.block_modes.as_deref().map(nums));
        put("digests", self.digests.as_deref().map(nums));
        put("paddings", self.paddings.as_deref().map(nums));
        put("callerNonce", flag(self.caller_nonce));
        put("minMacLength", self.min_mac_length.map(num));
        put("ecCurve", self.ec_curve.map(num));
        put("rsaPublicExponent", self.rsa_public_exponent.map(num));
        put("rsaOaepMgfDigests", self.mgf_digests.as_deref().map(nums));
        put("rollbackResistance", flag(self.rollback_resistance));
        put("earlyBootOnly", flag(self.early_boot_only));
        put("activeDateTime", self.active_date_time.map(num));
        put(
            "originationExpireDateTime",
            self.origination_expire_date_time.map(num),
        );
        put("usageExpireDateTime", self.usage_expire_date_time.map(num));
        put("usageCountLimit", self.usage_count_limit.map(num));
        put("noAuthRequired", flag(self.no_auth_required));
        put("userAuthType", self.user_auth_type.map(num));
        put("authTimeout", self.auth_timeout.map(num));
        put("allowWhileOnBody", flag(self.allow_while_on_body));
        put(
            "trustedUserPresenceRequired",
            flag(self.trusted_user_presence_required),
        );
        put(
            "trustedConfirmationRequired",
            flag(self.trusted_confirmation_required),
        );
        put(
            "unlockedDeviceRequired",
            flag(self.unlocked_device_required),
        );
        put("allApplications", flag(self.all_applications));
        put("creationDateTime", self.creation_date_time.map(num));
        put("origin", self.origin.map(|o| Value::String(o.name())));
        put("rollbackResistant", flag(self.rollback_resistant));
        put(
            "rootOfTrust",
            self.root_of_trust.as_ref().map(|r| {
                let mut rot = json!({
                    "verifiedBootKey": b64(&r.verified_boot_key),
                    "deviceLocked": r.device_locked,
                    "verifiedBootState": r.verified_boot_state.as_str(),
                });
                if let (Some(h), Some(o)) = (&r.verified_boot_hash, rot.as_object_mut()) {
                    o.insert("verifiedBootHash".into(), b64(h));
                }
                rot
            }),
        );
        put("osVersion", self.os_version.map(num));
        put("osPatchLevel", self.os_patch_level.map(patch));
        put(
            "attestationApplicationId",
            self.attestation_application_id.as_ref().map(|a| {
                json!({
                    "packages": a.packages.iter()
                        .map(|p| json!({"name": p.name, "version": num(p.version)}))
                        .collect::<Vec<_>>(),
                    "signatures": a.signature_digests.iter().map(|d| b64(d)).collect::<Vec<_>>(),
                })
            }),
        );
        for (name, v) in self.ids.fields() {
            put(
                name,
                v.map(|s| match ids {
                    Ids::Include => Value::String(s.to_owned()),
                    Ids::Redact => Value::String("<redacted>".into()),
                }),
            );
        }
        put("vendorPatchLevel", self.vendor_patch_level.map(patch));
        put("bootPatchLevel", self.boot_patch_level.map(patch));
        put(
            "deviceUniqueAttestation",
            flag(self.device_unique_attestation),
        );
        put("identityCredentialKey", flag(self.identity_credential_key));
        put("moduleHash", self.module_hash.as_deref().map(b64));
        put("areTagsOrdered", Some(Value::Bool(self.tags_ordered)));
        if !self.unknown.is_empty() {
            put(
                "unknownTags",
                Some(Value::Array(
                    self.unknown
                        .iter()
                        .map(|u| Value::String(u.tag.to_string()))
                        .collect(),
                )),
            );
        }
        Value::Object(m)
    }
}
