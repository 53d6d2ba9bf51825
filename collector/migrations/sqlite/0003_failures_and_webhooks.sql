-- Schema version 3: the tables that remediation strategies and webhooks
-- added, made at start before versions covered them. IF NOT EXISTS: a
-- database that already has them keeps them (and their rows).

-- Since when each rule has failed each device (docs/policy.md §8.4): the
-- start of a warn-then-block rule's grace.
CREATE TABLE IF NOT EXISTS rule_failures (
    device_id TEXT NOT NULL REFERENCES devices (device_id),
    rule      TEXT NOT NULL,
    since     INTEGER NOT NULL,
    PRIMARY KEY (device_id, rule)
);

-- The webhook queue: one row per event and endpoint, queued in the
-- transaction of the change it tells of.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    event_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    delivered_at_ms INTEGER,
    failed_at_ms INTEGER,
    last_status INTEGER,
    last_error TEXT,
    PRIMARY KEY (event_id, endpoint_id)
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due
    ON webhook_deliveries (next_attempt_ms)
    WHERE delivered_at_ms IS NULL AND failed_at_ms IS NULL;
