//! `Retry-After` (RFC 9110 §10.2.3): delta-seconds or an HTTP-date.

use std::time::Duration;

use time::OffsetDateTime;
use time::PrimitiveDateTime;
use time::macros::format_description;

/// Longest wait honoured: a server asking for more is capped, so a typo on
/// the server cannot park an outbox for months.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// Parses a `Retry-After` value into a wait from `now`; `None` when it is
/// neither delta-seconds nor an IMF-fixdate. A date in the past is zero.
pub fn parse_retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    let wait = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Very long digit strings saturate rather than fail.
        Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX))
    } else {
        let at = parse_http_date(value)?;
        let delta = at - now;
        Duration::try_from(delta).unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`, plus the obsolete
/// RFC 850 form recipients must still accept (`Sunday, 06-Nov-94 ...`).
fn parse_http_date(value: &str) -> Option<OffsetDateTime> {
    let imf = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    if let Ok(t) = PrimitiveDateTime::parse(value, imf) {
        return Some(t.assume_utc());
    }
    // Two-digit years: RFC 9110 says a year more than 50 years ahead is the
    // previous century; for a retry time, 20xx is always right.
    let (weekday, rest) = value.split_once(", ")?;
    let (day_mon, tail) = rest.split_at_checked(7)?;
    let expanded = format!("{weekday}, {day_mon}20{tail}");
    let long = format_description!(
        "[weekday], [day]-[month repr:short]-[year] [hour]:[minute]:[second] GMT"
    );
    PrimitiveDateTime::parse(&expanded, long)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-11-20 09:30:00 UTC);

    #[test]
    fn delta_seconds() {
        assert_eq!(parse_retry_after("7", NOW), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", NOW), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("99999999999999999999999", NOW),
            Some(MAX_RETRY_AFTER)
        );
    }

    #[test]
    fn http_date() {
        assert_eq!(
            parse_retry_after("Fri, 20 Nov 2026 09:31:30 GMT", NOW),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            parse_retry_after("Friday, 20-Nov-26 09:30:10 GMT", NOW),
            Some(Duration::from_secs(10))
        );
        // In the past: retry now.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", NOW),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn junk_is_none() {
        for bad in ["", "-5", "1.5", "soon", "Fri, 20 Nov 2026 09:31:30 PST"] {
            assert_eq!(parse_retry_after(bad, NOW), None, "{bad}");
        }
    }
}
