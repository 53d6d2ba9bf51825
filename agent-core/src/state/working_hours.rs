//! The working hours the person set (quiet hours outside them), kept as
//! JSON and checked again whenever they are read.

use rusqlite::params;

use super::{Cached, State, StateError};
use crate::quiet_hours::WorkingHours;

impl State {
    /// The working hours the person set, if any.
    pub fn working_hours(&self) -> Result<Option<WorkingHours>, StateError> {
        let json: Option<String> = self.read(|conn| {
            Ok(conn.row(
                "SELECT working_hours_json FROM agent WHERE id = 1",
                [],
                |r| r.get(0),
            )?)
        })?;
        json.map(|json| {
            crate::json::from_str::<WorkingHours>(&json).map_err(|e| StateError::Invalid {
                what: "working hours",
                detail: format!("the stored working hours cannot be read: {e}"),
            })
        })
        .transpose()
    }

    /// Sets (or, with None, clears) the working hours.
    pub fn set_working_hours(&mut self, hours: Option<&WorkingHours>) -> Result<(), StateError> {
        let json =
            hours
                .map(serde_json::to_string)
                .transpose()
                .map_err(|e| StateError::Invalid {
                    what: "working hours",
                    detail: format!("cannot be encoded: {e}"),
                })?;
        self.write(|tx| {
            tx.exec(
                "UPDATE agent SET working_hours_json = ?1 WHERE id = 1",
                params![json],
            )?;
            Ok(())
        })
    }
}
