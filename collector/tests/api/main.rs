//! The collector over real HTTP on loopback: every documented answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin;
mod app_attest;
mod attestation;
mod attestation_policy;
mod chains;
mod common;
mod connections;
mod device_view;
mod enrol;
mod events;
mod evidence;
mod fleet_actions;
mod grace_deadlines;
mod ocsf;
mod ops;
mod reattest;
mod relying_party;
mod reports;
mod requests;
mod shared_database;
mod shared_db;
mod status_server;
mod stores;
mod strategies;
mod tls;
mod webhooks;
