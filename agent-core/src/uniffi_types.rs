//! How the core's time and date types cross the uniffi boundary (feature
//! `uniffi`). The types themselves stay plain Rust; these are conversions.
//!
//! - [`Timestamp`] (`OffsetDateTime`) is lowered to uniffi's built-in
//!   timestamp, so Kotlin sees `java.time.Instant`, Swift `Date` and Python
//!   `datetime`: each platform's own instant type, with no parsing on either
//!   side. The core always works in UTC, so no offset is lost.
//! - [`IsoDate`] (`Date`) and [`SecurityPatch`] are lowered to ISO 8601
//!   `YYYY-MM-DD` strings: the form Android's `Build.VERSION.SECURITY_PATCH`
//!   already has, and the form the policy documents use. A string that is not
//!   a date fails to lift, so no invalid date reaches the core.
//!
//! The aliases give the foreign types names of their own: a custom type
//! named `Date` would shadow Swift's `Foundation.Date`.

use std::time::SystemTime;

use time::macros::format_description;
use time::{Date, OffsetDateTime};

use crate::posture::SecurityPatch;

/// An instant, as foreign code sees it (`Instant`, `Date`, `datetime`).
pub type Timestamp = OffsetDateTime;

/// A calendar date, as foreign code sees it: `YYYY-MM-DD`.
pub type IsoDate = Date;

uniffi::custom_type!(Timestamp, SystemTime, {
    remote,
    lower: |t| SystemTime::from(t),
    try_lift: |s| timestamp_from_system_time(s),
});

uniffi::custom_type!(IsoDate, String, {
    remote,
    lower: |d| SecurityPatch(d).to_string(),
    try_lift: |s| Ok(Date::parse(&s, format_description!("[year]-[month]-[day]"))?),
});

uniffi::custom_type!(SecurityPatch, String, {
    lower: |p| p.to_string(),
    try_lift: |s| Ok(SecurityPatch::parse(&s)?),
});

/// `SystemTime` to `OffsetDateTime` without the panic of the `From` impl on
/// instants outside the years the `time` crate represents.
fn timestamp_from_system_time(s: SystemTime) -> uniffi::Result<OffsetDateTime> {
    let nanos = match s.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i128::try_from(after.as_nanos())?,
        Err(before) => -i128::try_from(before.duration().as_nanos())?,
    };
    Ok(OffsetDateTime::from_unix_timestamp_nanos(nanos)?)
}
