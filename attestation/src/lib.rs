//! Hardware key attestation for the collector side. Android Key
//! Attestation: decodes the KeyDescription a device's KeyMint puts in an
//! attestation certificate, and verifies the chain to Google's roots the way
//! Google's own verifier does. Apple App Attest ([`app_attest`]): verifies
//! attestation objects and assertions as Apple documents.
//!
//! Pure: no I/O, no clock. The caller passes the chain, the verification
//! time, the trust anchors and (optionally) the attestation status list.

pub mod app_attest;
pub mod chain;
mod decode;
mod der;
pub mod der_writer;
pub mod description;
pub mod error;
pub mod json;
pub mod revocation;
pub mod roots;
pub mod verify;

pub use chain::Chain;
pub use decode::{MAX_DIGESTS, MAX_EXTENSION_BYTES, MAX_PACKAGES};
pub use description::{AttestedIds, AuthorizationList, KeyDescription, SecurityLevel};
pub use error::{ExtensionError, VerifyError};
pub use revocation::{Status, StatusList, StatusListError};
pub use roots::TrustedRoots;
pub use verify::{Assurance, ExpectedKey, Options, Verified, Verifier};
