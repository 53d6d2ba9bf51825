//! Durable agent state: the enrolment, the current policy, the last verdict
//! and the outbox of signed reports waiting for delivery.

pub mod backoff;
