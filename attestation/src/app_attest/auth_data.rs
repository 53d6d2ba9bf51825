//! WebAuthn authenticator data as App Attest writes it: rpIdHash (32),
//! flags (1), signCount (4, big-endian), then, in an attestation, the
//! attested credential data: aaguid (16), credentialId length (2,
//! big-endian), credentialId, and the credential's COSE key (not read: the
//! key is taken from the certificate, which Apple's steps check).

use super::error::AppAttestError;

/// Flag bit: attested credential data follows the counter.
const FLAG_ATTESTED: u8 = 0x40;
/// rpIdHash, flags and counter.
const HEADER_LEN: usize = 37;

/// The fields of authenticator data that App Attest checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuthData<'a> {
    pub rp_id_hash: &'a [u8],
    pub counter: u32,
    /// In an attestation: aaguid and credentialId.
    pub credential: Option<(&'a [u8], &'a [u8])>,
}

fn bad(problem: impl Into<String>) -> AppAttestError {
    AppAttestError::AuthData(problem.into())
}

/// Parses authenticator data; `attested`: the attested credential data
/// must be present (an attestation) or absent (an assertion).
pub(crate) fn parse(bytes: &[u8], attested: bool) -> Result<AuthData<'_>, AppAttestError> {
    let (Some(rp_id_hash), Some(&flags), Some(counter)) =
        (bytes.get(..32), bytes.get(32), bytes.get(33..HEADER_LEN))
    else {
        return Err(bad(format!(
            "{} bytes; it has at least {HEADER_LEN} (rpIdHash, flags, counter)",
            bytes.len()
        )));
    };
    let counter = u32::from_be_bytes([counter[0], counter[1], counter[2], counter[3]]);
    let rest = &bytes[HEADER_LEN..];
    if !attested {
        return Ok(AuthData {
            rp_id_hash,
            counter,
            credential: None,
        });
    }
    if flags & FLAG_ATTESTED == 0 {
        return Err(bad(
            "the attested-credential flag is not set, so there is no credential data",
        ));
    }
    let (Some(aaguid), Some(len)) = (rest.get(..16), rest.get(16..18)) else {
        return Err(bad("cut short inside the attested credential data"));
    };
    let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
    let credential_id = rest
        .get(18..18 + len)
        .ok_or_else(|| bad(format!("the credentialId of {len} bytes is cut short")))?;
    Ok(AuthData {
        rp_id_hash,
        counter,
        credential: Some((aaguid, credential_id)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_inputs_are_refused_at_every_cut() {
        let mut full = vec![0u8; 32];
        full.push(FLAG_ATTESTED);
        full.extend([0, 0, 0, 0]);
        full.extend([7u8; 16]);
        full.extend([0, 32]);
        full.extend([9u8; 32]);
        let parsed = parse(&full, true).unwrap();
        assert_eq!(parsed.credential, Some((&[7u8; 16][..], &[9u8; 32][..])));
        for cut in 0..full.len() {
            assert!(parse(&full[..cut], true).is_err(), "cut at {cut}");
        }
        assert_eq!(parse(&full[..37], false).unwrap().credential, None);
    }
}
