//! One-time enrolment codes (made, normalised, hashed) and the per-address
//! limit on failed enrolment attempts.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use agent_core::protocol::EnrolmentCode;
use ring::rand::{SecureRandom, SystemRandom};

use crate::error::CollectorError;

/// Crockford base32: no I, L, O or U, so a code read aloud or typed from
/// paper survives; 32 symbols, so a random byte maps without bias.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// 12 symbols of 5 bits: 60 bits, above the protocol's 40-bit floor.
const SYMBOLS: usize = 12;

/// A fresh code shown as `XXXX-XXXX-XXXX`.
pub(crate) fn new_code() -> Result<EnrolmentCode, CollectorError> {
    let mut bytes = [0u8; SYMBOLS];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| CollectorError::Random)?;
    let mut text = String::with_capacity(SYMBOLS + 2);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            text.push('-');
        }
        text.push(char::from(ALPHABET[usize::from(b & 31)]));
    }
    Ok(EnrolmentCode::new(text))
}

/// The stored form: the code's protocol digest (case, `-` and spaces
/// ignored, look-alikes folded).
pub(crate) fn code_hash(code: &str) -> Vec<u8> {
    EnrolmentCode::new(code).digest().to_vec()
}

/// Counts failed enrolment attempts per client address in fixed windows.
#[derive(Debug)]
pub(crate) struct AddressLimiter {
    limit: u32,
    window: Duration,
    failures: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl AddressLimiter {
    pub fn new(limit: u32, window: Duration) -> AddressLimiter {
        AddressLimiter {
            limit,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(seconds to wait)` when this address is over its limit.
    pub fn blocked(&self, addr: IpAddr) -> Option<u64> {
        let map = self.failures.lock().ok()?;
        let (start, count) = map.get(&addr)?;
        let elapsed = start.elapsed();
        (*count >= self.limit && elapsed < self.window)
            .then(|| (self.window - elapsed).as_secs().max(1))
    }

    /// Records one failed attempt.
    pub fn record_failure(&self, addr: IpAddr) {
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        // Forget finished windows now and then so the map stays small.
        if map.len() >= 10_000 {
            let window = self.window;
            map.retain(|_, (start, _)| start.elapsed() < window);
        }
        let entry = map.entry(addr).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= self.window {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_and_hash_the_same_however_typed() {
        let code = new_code().unwrap();
        let text = code.expose();
        assert_eq!(text.len(), 14);
        assert_eq!(text.matches('-').count(), 2);
        let typed = text.replace('-', " ").to_lowercase();
        assert_eq!(code_hash(text), code_hash(&typed));
        assert_eq!(code_hash("O1L"), code_hash("011"));
        assert_ne!(code_hash(text), code_hash(new_code().unwrap().expose()));
    }

    #[test]
    fn an_address_is_blocked_after_its_limit_until_the_window_ends() {
        let limiter = AddressLimiter::new(2, Duration::from_secs(60));
        let addr: IpAddr = [127, 0, 0, 1].into();
        assert_eq!(limiter.blocked(addr), None);
        limiter.record_failure(addr);
        assert_eq!(limiter.blocked(addr), None);
        limiter.record_failure(addr);
        let wait = limiter.blocked(addr).unwrap();
        assert!((1..=60).contains(&wait));
        assert_eq!(limiter.blocked([10, 0, 0, 1].into()), None);
    }
}
