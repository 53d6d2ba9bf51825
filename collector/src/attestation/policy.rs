//! The collector's attestation policy (docs/attestation-policy.md): what a
//! verified Android chain must also show to be accepted. Server-side only;
//! the device's posture policy is another thing.
//!
//! Each rule that fails names itself, so an operator can tell which one
//! refused a device and why.

use std::fmt;
use std::path::Path;

use agent_core::Platform;
use posture_attestation::description::{
    AttestationApplicationId, AuthorizationList, RootOfTrust, VerifiedBootState,
};
use posture_attestation::{Assurance, SecurityLevel, Verified};
use ring::digest::{SHA256, digest};
use serde::{Deserialize, Serialize};

use crate::config::AttestationConfig;
use crate::error::CollectorError;

/// Largest policy file read, in bytes.
const MAX_POLICY_FILE_BYTES: u64 = 256 * 1024;
/// Most apps and boot keys a policy may list (each).
const MAX_LIST_ENTRIES: usize = 1024;

/// The lowest place an attested key may live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MinSecurityLevel {
    /// A trusted execution environment, or better.
    Tee,
    /// A discrete secure element (StrongBox).
    Strongbox,
}

impl MinSecurityLevel {
    fn as_str(self) -> &'static str {
        match self {
            MinSecurityLevel::Tee => "tee",
            MinSecurityLevel::Strongbox => "strongbox",
        }
    }

    fn admits(self, level: SecurityLevel) -> bool {
        match self {
            MinSecurityLevel::Tee => level.is_hardware(),
            MinSecurityLevel::Strongbox => level == SecurityLevel::StrongBox,
        }
    }
}

/// An app allowed to hold enrolled keys: its package name and the SHA-256
/// digests of its signing certificates, as `attestationApplicationId` has them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowedApp {
    /// The package name (`org.example.posture`).
    pub package: String,
    /// Lowercase hex SHA-256 of each accepted signing certificate.
    pub signing_cert_sha256: Vec<String>,
}

/// A verified-boot key accepted for a locked bootloader that boots a
/// self-signed OS (GrapheneOS and the like).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootKey {
    /// The attested `verifiedBootKey`, lowercase hex (64 digits).
    pub sha256: String,
    /// What it is, for people reading the file (`GrapheneOS: Pixel 8`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The attestation policy file: the same members as the rule fields of
/// [`AttestationConfig`]. Unknown members are an error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttestationPolicy {
    /// Platforms whose enrolments must carry a valid chain.
    #[serde(default)]
    pub required_for: Vec<Platform>,
    /// The lowest security level accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_security_level: Option<MinSecurityLevel>,
    /// Require a locked bootloader that verified the OS.
    #[serde(default)]
    pub require_locked_bootloader: bool,
    /// When not empty, only these apps' keys are accepted.
    #[serde(default)]
    pub allowed_apps: Vec<AllowedApp>,
    /// Boot keys accepted for a self-signed OS.
    #[serde(default)]
    pub verified_boot_keys: Vec<BootKey>,
}

impl AttestationPolicy {
    /// Parses a policy file's JSON; the values are checked too.
    pub fn from_json(bytes: &[u8]) -> Result<AttestationPolicy, String> {
        let p: AttestationPolicy = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        p.rules().validate()?;
        Ok(p)
    }

    /// Reads a policy file (bounded, a regular file).
    pub fn from_file(path: &Path) -> Result<AttestationPolicy, CollectorError> {
        let bad = |e: String| {
            CollectorError::Config(format!(
                "the attestation policy file {}: {e}",
                path.display()
            ))
        };
        let bytes = super::read_regular(path, MAX_POLICY_FILE_BYTES).map_err(bad)?;
        AttestationPolicy::from_json(&bytes).map_err(bad)
    }

    /// Sets the rule fields of `config` from this policy; platforms
    /// required elsewhere (a command-line flag) stay required.
    pub fn apply_to(self, config: &mut AttestationConfig) {
        for p in self.required_for {
            if !config.required_for.contains(&p) {
                config.required_for.push(p);
            }
        }
        config.min_security_level = self.min_security_level;
        config.require_locked_bootloader = self.require_locked_bootloader;
        config.allowed_apps = self.allowed_apps;
        config.verified_boot_keys = self.verified_boot_keys;
    }

    fn rules(&self) -> Rules {
        Rules {
            min_security_level: self.min_security_level,
            require_locked_bootloader: self.require_locked_bootloader,
            allowed_apps: self.allowed_apps.clone(),
            verified_boot_keys: self.verified_boot_keys.clone(),
        }
    }
}

/// A rule a chain broke: which, and what the chain showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    /// The policy member that refused it.
    pub rule: &'static str,
    /// What was seen, never an ID-attestation value.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "attestation policy rule {}: {}", self.rule, self.detail)
    }
}

/// The checkable rules, normalised (lowercase hex).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Rules {
    pub min_security_level: Option<MinSecurityLevel>,
    pub require_locked_bootloader: bool,
    pub allowed_apps: Vec<AllowedApp>,
    pub verified_boot_keys: Vec<BootKey>,
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Rules {
    /// The rules of a configuration, checked and normalised.
    pub fn from_config(config: &AttestationConfig) -> Result<Rules, CollectorError> {
        let rules = Rules {
            min_security_level: config.min_security_level,
            require_locked_bootloader: config.require_locked_bootloader,
            allowed_apps: config
                .allowed_apps
                .iter()
                .map(|a| AllowedApp {
                    package: a.package.clone(),
                    signing_cert_sha256: a
                        .signing_cert_sha256
                        .iter()
                        .map(|d| d.to_ascii_lowercase())
                        .collect(),
                })
                .collect(),
            verified_boot_keys: config
                .verified_boot_keys
                .iter()
                .map(|k| BootKey {
                    sha256: k.sha256.to_ascii_lowercase(),
                    name: k.name.clone(),
                })
                .collect(),
        };
        rules
            .validate()
            .map_err(|e| CollectorError::Config(format!("the attestation policy: {e}")))?;
        Ok(rules)
    }

    fn validate(&self) -> Result<(), String> {
        if self.allowed_apps.len() > MAX_LIST_ENTRIES
            || self.verified_boot_keys.len() > MAX_LIST_ENTRIES
        {
            return Err(format!(
                "allowed_apps and verified_boot_keys may list at most {MAX_LIST_ENTRIES} entries each"
            ));
        }
        for app in &self.allowed_apps {
            if app.package.is_empty() || app.package.len() > 255 {
                return Err("allowed_apps: a package name is 1 to 255 characters".into());
            }
            if app.signing_cert_sha256.is_empty() {
                return Err(format!(
                    "allowed_apps: {} lists no signing_cert_sha256; give the SHA-256 of its signing certificate",
                    app.package
                ));
            }
            if let Some(bad) = app.signing_cert_sha256.iter().find(|d| !is_sha256_hex(d)) {
                return Err(format!(
                    "allowed_apps: {}: {bad:?} is not a SHA-256 in hex (64 digits)",
                    app.package
                ));
            }
        }
        if let Some(bad) = self
            .verified_boot_keys
            .iter()
            .find(|k| !is_sha256_hex(&k.sha256))
        {
            return Err(format!(
                "verified_boot_keys: {:?} is not a SHA-256 in hex (64 digits)",
                bad.sha256
            ));
        }
        if !self.verified_boot_keys.is_empty() && !self.require_locked_bootloader {
            return Err(
                "verified_boot_keys is consulted only by require_locked_bootloader; set \"require_locked_bootloader\": true or remove the keys"
                    .into(),
            );
        }
        Ok(())
    }

    /// Checks a verified chain against every rule; the first broken one
    /// is returned.
    pub fn check(&self, v: &Verified) -> Result<(), Violation> {
        if let Some(min) = self.min_security_level
            && !min.admits(v.security_level)
        {
            return Err(Violation {
                rule: "min_security_level",
                detail: format!(
                    "the key's security level is {} and this collector requires {} or higher",
                    v.security_level,
                    min.as_str()
                ),
            });
        }
        if self.require_locked_bootloader {
            self.check_boot(root_of_trust(v))?;
        }
        if !self.allowed_apps.is_empty() {
            self.check_app(v)?;
        }
        Ok(())
    }

    fn check_boot(&self, root: Option<&RootOfTrust>) -> Result<(), Violation> {
        let rule = "require_locked_bootloader";
        let Some(root) = root else {
            return Err(Violation {
                rule,
                detail: "the chain attests no root of trust (verified-boot state)".into(),
            });
        };
        if !root.device_locked {
            return Err(Violation {
                rule,
                detail: "the bootloader is unlocked".into(),
            });
        }
        match root.verified_boot_state {
            VerifiedBootState::Verified => Ok(()),
            VerifiedBootState::SelfSigned => {
                let key = hex(&root.verified_boot_key);
                if self.verified_boot_keys.iter().any(|k| k.sha256 == key) {
                    Ok(())
                } else {
                    Err(Violation {
                        rule: "verified_boot_keys",
                        detail: format!(
                            "the OS is self-signed and its verified-boot key {key} is not in the allowlist"
                        ),
                    })
                }
            }
            other => Err(Violation {
                rule,
                detail: format!(
                    "the verified-boot state is {} (VERIFIED, or SELF_SIGNED with an allowed key, is required)",
                    other.as_str()
                ),
            }),
        }
    }

    fn check_app(&self, v: &Verified) -> Result<(), Violation> {
        let rule = "allowed_apps";
        let Some(app) = application_id(v) else {
            return Err(Violation {
                rule,
                detail: "the chain attests no attestationApplicationId".into(),
            });
        };
        let digests: Vec<String> = app.signature_digests.iter().map(|d| hex(d)).collect();
        let names: Vec<&str> = app.packages.iter().map(|p| p.name.as_str()).collect();
        let Some(allowed) = self
            .allowed_apps
            .iter()
            .find(|a| names.contains(&a.package.as_str()))
        else {
            return Err(Violation {
                rule,
                detail: format!(
                    "the key belongs to {} and no allowed app has that package name",
                    names.join(", ")
                ),
            });
        };
        // Every signer the device attests must be one the policy names: an
        // app re-signed by anyone else is not the app.
        if digests.is_empty()
            || !digests
                .iter()
                .all(|d| allowed.signing_cert_sha256.contains(d))
        {
            return Err(Violation {
                rule,
                detail: format!(
                    "{} is signed by a certificate (SHA-256 {}) that the policy does not list",
                    allowed.package,
                    digests.join(", ")
                ),
            });
        }
        Ok(())
    }
}

/// The root of trust that counts: the hardware-enforced one, or with
/// software assurance the software list's.
pub(crate) fn root_of_trust(v: &Verified) -> Option<&RootOfTrust> {
    let d = &v.description;
    d.hardware_enforced
        .root_of_trust
        .as_ref()
        .or(if v.assurance == Assurance::Hardware {
            None
        } else {
            d.software_enforced.root_of_trust.as_ref()
        })
}

fn application_id(v: &Verified) -> Option<&AttestationApplicationId> {
    // Android's keystore adds it, so it sits in the software-enforced list;
    // KeyMint signs it all the same.
    fn pick(l: &AuthorizationList) -> Option<&AttestationApplicationId> {
        l.attestation_application_id.as_ref()
    }
    pick(&v.description.software_enforced).or_else(|| pick(&v.description.hardware_enforced))
}

/// A digest of the app a key belongs to (package names and signers,
/// versions left out so an update is the same app): lowercase hex.
pub(crate) fn app_identity(v: &Verified) -> Option<String> {
    let app = application_id(v)?;
    let mut names: Vec<&str> = app.packages.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut signers: Vec<String> = app.signature_digests.iter().map(|d| hex(d)).collect();
    signers.sort_unstable();
    signers.dedup();
    let text = format!(
        "packages={}\nsigners={}\n",
        names.join(","),
        signers.join(",")
    );
    Some(hex(digest(&SHA256, text.as_bytes()).as_ref()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
