//! `keys show`, `attest` and `verify`: the device key and signed reports.

use std::io::Read;

use agent_core::keys::PublicJwk;
use agent_core::token::{MemoryReplayCache, Nonce, NonceCheck, Verifier, VerifyingKey};
use time::OffsetDateTime;

use crate::agent_cmd::{Globals, open_agent, open_agent_with};
use crate::cli::{AttestArgs, VerifyArgs};
use crate::commands::{CliError, load_policy, probe};
use crate::{EXIT_NON_COMPLIANT, EXIT_OK};

use crate::files::MAX_INPUT_BYTES;

/// `keys show`: the JWK with its kid, which is JSON with or without `--json`.
pub fn keys_show(_args: &crate::cli::KeysShowArgs, g: &Globals) -> Result<u8, CliError> {
    let jwk = open_agent(g)?.public_jwk().map_err(CliError::Agent)?;
    println!("{}", jwk.to_json_with_kid());
    Ok(EXIT_OK)
}

/// `attest`: a signed report of the posture now, answering the nonce (the
/// device id is the enrolment's, or the key's thumbprint when not enrolled).
pub fn attest(args: &AttestArgs, g: &Globals) -> Result<u8, CliError> {
    let nonce = match &args.nonce {
        Some(n) => Nonce::new(n.clone()).map_err(|e| CliError::Usage(format!("--nonce: {e}")))?,
        None => Nonce::random().map_err(CliError::Key)?,
    };
    let policy = match &args.policy {
        Some(path) => Some(load_policy(path)?),
        None => None,
    };
    let agent = open_agent_with(g, probe(&args.target)?)?;
    let token = agent
        .attest(nonce, policy.as_ref())
        .map_err(CliError::Agent)?;
    tracing::info!(bytes = token.len(), "signed a posture report");
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
    let jwk_text = crate::files::read_text(&args.jwk, MAX_INPUT_BYTES, "a key file")
        .map_err(CliError::File)?;
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
