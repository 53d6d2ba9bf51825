//! Cross-crate end-to-end tests: one binary, one module per scenario.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod agent;
mod app_attest;
mod attestation;
mod fault_proxy;
mod faults;
mod interop;
mod inventory;
mod privacy;
mod proxy;
mod soak;
