-- Schema version 5: the grace deadlines the collector has announced. A
-- warn-then-block rule turns into a block when its deadline passes, with or
-- without a report (docs/policy.md §8.4); the deadline scan emits one event
-- for each (device, rule, failure start). The primary key makes that once
-- across every collector process sharing the database: each inserts with
-- ON CONFLICT DO NOTHING and emits only when its own row went in.
CREATE TABLE grace_deadline_events (
    device_id  TEXT NOT NULL REFERENCES devices (device_id),
    rule       TEXT NOT NULL,
    since      BIGINT NOT NULL,
    deadline   BIGINT NOT NULL,
    jti        TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    emitted_at BIGINT NOT NULL,
    PRIMARY KEY (device_id, rule, since)
);
