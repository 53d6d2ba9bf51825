//! `keys show`, `attest` and `verify`: the device key and signed reports.

use std::io::Read;
use std::path::{Path, PathBuf};

use agent_core::keys::store::{SecretStore, StoreChoice, open_store};
use agent_core::keys::{DeviceSigner, PublicJwk, SoftwareSigner};
use agent_core::policy::{Policy, evaluate};
use agent_core::token::{
    self, Claims, MemoryReplayCache, Nonce, NonceCheck, Verifier, VerifyingKey,
};
use time::OffsetDateTime;

use crate::cli::{AttestArgs, KeyStore, VerifyArgs};
use crate::commands::{CliError, load_policy, probe};
use crate::{EXIT_NON_COMPLIANT, EXIT_OK};

/// Largest token or key file read, in bytes.
const MAX_INPUT_BYTES: u64 = 1024 * 1024;

/// The state directory: the flag or environment, else the XDG data folder.
pub fn state_dir(flag: &Option<PathBuf>) -> Result<PathBuf, CliError> {
    if let Some(dir) = flag {
        return Ok(dir.clone());
    }
    let xdg = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let home = std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(|h| PathBuf::from(h).join(".local/share"));
    xdg.or(home)
        .map(|d| d.join("posture-agent"))
        .ok_or(CliError::NoStateDir)
}

/// The secret store the device key lives in.
pub fn secret_store(dir: &Path, choice: KeyStore) -> Result<Box<dyn SecretStore>, CliError> {
    let file = dir.join("secrets.json");
    let choice = match choice {
        KeyStore::Auto => StoreChoice::Auto { fallback: file },
        KeyStore::Keychain => StoreChoice::Keychain,
        KeyStore::File => StoreChoice::File(file),
    };
    open_store(choice).map_err(|e| CliError::Key(e.into()))
}

/// The device key's name in its store: one key per state directory, so
/// two agents (or virtual devices) never share a key in one keychain.
pub fn key_name(dir: &Path) -> String {
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
    let digest = ring::digest::digest(
        &ring::digest::SHA256,
        canonical.to_string_lossy().as_bytes(),
    );
    format!(
        "device-key-{}",
        &agent_core::b64::encode(digest.as_ref())[..16]
    )
}

fn device_signer(state: &Option<PathBuf>, choice: KeyStore) -> Result<SoftwareSigner, CliError> {
    let dir = state_dir(state)?;
    let store = secret_store(&dir, choice)?;
    SoftwareSigner::load_or_create(store.as_ref(), &key_name(&dir)).map_err(CliError::Key)
}

/// `keys show`.
pub fn keys_show(state: &Option<PathBuf>, choice: KeyStore) -> Result<u8, CliError> {
    let signer = device_signer(state, choice)?;
    let jwk = signer.public_jwk().map_err(CliError::Key)?;
    println!("{}", jwk.to_json_with_kid());
    Ok(EXIT_OK)
}

/// `attest`.
pub fn attest(
    args: &AttestArgs,
    state: &Option<PathBuf>,
    choice: KeyStore,
) -> Result<u8, CliError> {
    let nonce = match &args.nonce {
        Some(n) => Nonce::new(n.clone()).map_err(|e| CliError::Usage(format!("--nonce: {e}")))?,
        None => Nonce::random().map_err(CliError::Key)?,
    };
    let policy = match &args.policy {
        Some(path) => load_policy(path)?,
        None => Policy::default_policy(),
    };
    let signer = device_signer(state, choice)?;
    // Not enrolled: the key's thumbprint stands in for the device id.
    let device_id = signer.public_jwk().map_err(CliError::Key)?.thumbprint();
    let now = OffsetDateTime::now_utc();
    let posture = probe(&args.target)?.collect();
    let verdict = evaluate(&posture, &policy, now);
    let claims = Claims::new(nonce, &device_id, posture, verdict, now).map_err(CliError::Key)?;
    let token = token::sign(&claims, &signer).map_err(CliError::Sign)?;
    tracing::info!(jti = %claims.jti, bytes = token.len(), "signed a posture report");
    println!("{token}");
    Ok(EXIT_OK)
}

fn read_bounded(reader: impl Read, what: &str) -> Result<String, CliError> {
    let mut text = String::new();
    reader
        .take(MAX_INPUT_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| CliError::Usage(format!("cannot read {what}: {e}")))?;
    if text.len() as u64 > MAX_INPUT_BYTES {
        return Err(CliError::Usage(format!(
            "{what} is larger than {MAX_INPUT_BYTES} bytes"
        )));
    }
    Ok(text)
}

/// `verify`: exit 0 valid (claims on stdout), 1 invalid (reason on stderr), 2 error.
pub fn verify(args: &VerifyArgs) -> Result<u8, CliError> {
    let file = std::fs::File::open(&args.jwk).map_err(|e| CliError::Read(args.jwk.clone(), e))?;
    let jwk_text = read_bounded(file, &args.jwk.display().to_string())?;
    let jwk = PublicJwk::from_json(&jwk_text).map_err(|e| CliError::Jwk(args.jwk.clone(), e))?;
    let key = VerifyingKey::from_jwk(&jwk).map_err(|e| CliError::Jwk(args.jwk.clone(), e))?;
    let token = if args.token == "-" {
        read_bounded(std::io::stdin().lock(), "the token on stdin")?
    } else {
        args.token.clone()
    };
    let nonce = match &args.nonce {
        Some(n) => NonceCheck::Exact(n),
        None => NonceCheck::ByCaller,
    };
    let result = Verifier::default().verify(
        token.trim(),
        &key,
        nonce,
        &MemoryReplayCache::default(),
        OffsetDateTime::now_utc(),
    );
    match result {
        Ok(verified) => {
            let claims = serde_json::to_string_pretty(&verified.claims).unwrap_or_default();
            println!("{claims}");
            Ok(EXIT_OK)
        }
        Err(e) => {
            eprintln!("invalid: {e}");
            Ok(EXIT_NON_COMPLIANT)
        }
    }
}
