//! The attestation result an app hands its gateway.
//!
//! Mirrored, not exported from agent-core: a uniffi record or enum becomes a
//! Kotlin data class, a Swift enum and a Python class that print every
//! field, so the token travels inside an object ([`AttestationToken`]) whose
//! printed form is the generated default and shows nothing of it.

use std::fmt;
use std::sync::Arc;

use agent_core::agent::ComplianceToken as CoreToken;
use agent_core::token::AttestationSummary;

/// The collector's signed attestation result (an EAR JWT). Read it with
/// [`AttestationToken::expose`] only to hand it to a gateway; never log it.
#[derive(uniffi::Object)]
pub struct AttestationToken(String);

#[uniffi::export]
impl AttestationToken {
    /// The JWT, exactly as the collector signed it.
    pub fn expose(&self) -> String {
        self.0.clone()
    }
}

impl fmt::Debug for AttestationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AttestationToken(<redacted>)")
    }
}

/// What `PostureAgent.compliance_token()` found.
#[derive(Debug, uniffi::Enum)]
pub enum ComplianceToken {
    /// An unexpired attestation result to present.
    Available {
        /// The token, inside an object that never prints it.
        token: Arc<AttestationToken>,
        /// What it says.
        summary: AttestationSummary,
    },
    /// None to present, and why.
    Unavailable {
        /// Why, in words, with what to do.
        reason: String,
    },
}

impl From<CoreToken> for ComplianceToken {
    fn from(t: CoreToken) -> Self {
        match t {
            CoreToken::Available { token, summary } => ComplianceToken::Available {
                token: Arc::new(AttestationToken(token)),
                summary,
            },
            CoreToken::Unavailable { reason } => ComplianceToken::Unavailable { reason },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_never_shows_in_debug() {
        let t = ComplianceToken::Available {
            token: Arc::new(AttestationToken("aaa.bbb.ccc".into())),
            summary: AttestationSummary {
                status: agent_core::token::EarStatus::Affirming,
                assurance: None,
                policy_id: None,
                issued_at: time::OffsetDateTime::UNIX_EPOCH,
                expires_at: time::OffsetDateTime::UNIX_EPOCH,
            },
        };
        let shown = format!("{t:?}");
        assert!(!shown.contains("bbb"), "{shown}");
        let ComplianceToken::Available { token, .. } = t else {
            unreachable!()
        };
        assert_eq!(token.expose(), "aaa.bbb.ccc");
    }
}
