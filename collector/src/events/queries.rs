//! The one read the events need inside the writer's transaction: what the
//! device was before a change. Plain SQL, one function per query, so a
//! store with another database can port it.

use agent_core::Platform;
use agent_core::policy::Compliance;
use rusqlite::{Connection, OptionalExtension, params};

/// What an event needs to know of a device before the change.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DeviceFacts {
    /// The platform it enrolled as.
    pub platform: Platform,
    /// The compliance of its latest current report; `None` before its first.
    pub last_compliance: Option<Compliance>,
}

/// The device's platform and latest compliance; `None` for an unknown device.
pub(crate) fn device_facts(
    conn: &Connection,
    device_id: &str,
) -> rusqlite::Result<Option<DeviceFacts>> {
    let row = conn
        .prepare_cached("SELECT platform, last_compliance FROM devices WHERE device_id = ?1")?
        .query_row(params![device_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })
        .optional()?;
    Ok(row.and_then(|(platform, last)| {
        Some(DeviceFacts {
            platform: from_name(&platform)?,
            last_compliance: last.as_deref().and_then(from_name),
        })
    }))
}

/// A value from the name the store keeps (its serde name).
pub(crate) fn from_name<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}
