-- Schema version 3: the tables of remediation strategies and webhooks, as
-- on SQLite.

-- Since when each rule has failed each device (docs/policy.md §8.4): the
-- start of a warn-then-block rule's grace. Written in the transaction of
-- the current report that changes it, under the device's row lock.
CREATE TABLE rule_failures (
    device_id TEXT NOT NULL REFERENCES devices (device_id),
    rule      TEXT NOT NULL,
    since     BIGINT NOT NULL,
    PRIMARY KEY (device_id, rule)
);

-- The webhook queue: one row per event and endpoint, queued in the
-- transaction of the change it tells of. A collector claims a due row with
-- SELECT ... FOR UPDATE SKIP LOCKED and holds the lock while it sends, so
-- of several collectors one sends it.
CREATE TABLE webhook_deliveries (
    event_id        TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT NOT NULL,
    delivered_at_ms BIGINT,
    failed_at_ms    BIGINT,
    last_status     INTEGER,
    last_error      TEXT,
    PRIMARY KEY (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due
    ON webhook_deliveries (next_attempt_ms)
    WHERE delivered_at_ms IS NULL AND failed_at_ms IS NULL;
