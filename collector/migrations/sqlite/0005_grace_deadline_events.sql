-- Schema version 5: the grace deadlines the collector has announced. A
-- warn-then-block rule turns into a block when its deadline passes, with or
-- without a report (docs/policy.md §8.4); the deadline scan emits one event
-- for each (device, rule, failure start). The primary key makes that once:
-- the scan inserts with ON CONFLICT DO NOTHING and emits only when its row
-- went in, so a restart does not repeat the event.
CREATE TABLE grace_deadline_events (
    device_id  TEXT NOT NULL REFERENCES devices (device_id),
    rule       TEXT NOT NULL,
    since      INTEGER NOT NULL,
    deadline   INTEGER NOT NULL,
    jti        TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    emitted_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, rule, since)
);
