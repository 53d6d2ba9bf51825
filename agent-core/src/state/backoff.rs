//! Retry delays: exponential backoff with full jitter.
//!
//! After the n-th failed attempt the next one waits a uniformly random time
//! in `[0, min(CAP, BASE * 2^(n-1))]`. Full jitter (rather than a fixed
//! delay plus a little noise) spreads a fleet of phones that all failed at
//! once, say during a backend outage, across the whole window, so they do
//! not return in lockstep when it recovers. Pure: the caller supplies the
//! random value, so the bounds are testable.

use std::time::Duration;

/// The ceiling after the first failure.
pub const BASE: Duration = Duration::from_secs(5);
/// The largest ceiling, however many failures.
pub const CAP: Duration = Duration::from_secs(60 * 60);

/// The largest delay after `attempts` failures: `min(CAP, BASE * 2^(attempts-1))`.
pub fn ceiling(attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1);
    // BASE * 2^16 is already far past CAP; stopping there keeps the shift in range.
    if doublings >= 16 {
        return CAP;
    }
    BASE.saturating_mul(1 << doublings).min(CAP)
}

/// The delay before retrying after `attempts` failures, chosen by `random`
/// uniformly (to the millisecond) in `[0, ceiling(attempts)]`.
pub fn backoff(attempts: u32, random: u64) -> Duration {
    let ceiling_ms = u64::try_from(ceiling(attempts).as_millis()).unwrap_or(u64::MAX - 1);
    // The modulo bias is below 2^-40 for a 1 h window: nothing to correct.
    Duration::from_millis(random % (ceiling_ms + 1))
}

/// The delay after `attempts` failures, honouring the server's Retry-After
/// (when given) as a lower bound.
pub fn retry_delay(attempts: u32, random: u64, retry_after: Option<Duration>) -> Duration {
    let delay = backoff(attempts, random);
    retry_after.map_or(delay, |floor| delay.max(floor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_from_base_to_cap() {
        assert_eq!(ceiling(0), BASE);
        assert_eq!(ceiling(1), BASE);
        assert_eq!(ceiling(2), Duration::from_secs(10));
        assert_eq!(ceiling(3), Duration::from_secs(20));
        assert_eq!(ceiling(10), Duration::from_secs(2560));
        assert_eq!(ceiling(11), CAP);
        assert_eq!(ceiling(32), CAP);
        assert_eq!(ceiling(u32::MAX), CAP);
    }

    #[test]
    fn backoff_spans_zero_to_ceiling() {
        for attempts in [1, 2, 5, 11, 40, u32::MAX] {
            let top = ceiling(attempts);
            assert_eq!(backoff(attempts, 0), Duration::ZERO);
            let ms = u64::try_from(top.as_millis()).unwrap();
            assert_eq!(backoff(attempts, ms), top);
            for random in [1, 7_919, u64::MAX / 3, u64::MAX] {
                assert!(backoff(attempts, random) <= top);
            }
        }
    }

    #[test]
    fn retry_after_is_a_floor_not_a_ceiling() {
        let ten_min = Duration::from_secs(600);
        assert_eq!(retry_delay(1, 0, Some(ten_min)), ten_min);
        // A longer backoff is kept even when Retry-After is shorter.
        let long = retry_delay(11, 3_000_000, Some(Duration::from_secs(1)));
        assert_eq!(long, Duration::from_secs(3000));
        assert_eq!(retry_delay(2, 4_000, None), Duration::from_secs(4));
    }
}
