//! The verdicts the agent keeps. Their record is the state's (it stores
//! and parses them); the agent's API names it here.

pub use crate::state::{ServerVerdict, VerdictRecord};
