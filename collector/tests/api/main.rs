//! The collector over real HTTP on loopback: every documented answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin;
mod attestation;
mod chains;
mod common;
mod connections;
mod enrol;
mod reports;
mod requests;
mod tls;
