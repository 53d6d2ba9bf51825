//! Cross-crate end-to-end tests: one binary, one module per scenario.

mod privacy;
