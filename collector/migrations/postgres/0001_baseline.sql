-- Schema version 1 on PostgreSQL: the same tables as SQLite's version 1,
-- in PostgreSQL's types. Timestamps are seconds since the epoch (BIGINT),
-- as on SQLite, so both stores share one row format. `seq` columns stand in
-- for SQLite's rowid where the order of insertion matters.
CREATE TABLE codes (
    hash            BYTEA PRIMARY KEY,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    label           TEXT,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    used_at         BIGINT,
    device_id       TEXT,
    kid             TEXT
);
CREATE TABLE devices (
    device_id        TEXT PRIMARY KEY,
    kid              TEXT NOT NULL,
    jwk              TEXT NOT NULL,
    platform         TEXT NOT NULL,
    agent_version    TEXT NOT NULL,
    enrolled_at      BIGINT NOT NULL,
    nonce            TEXT NOT NULL,
    nonce_expires_at BIGINT NOT NULL,
    last_report_at   BIGINT,
    last_current_at  BIGINT,
    last_compliance  TEXT,
    unenrolled_at    BIGINT
);
-- One enrolled device per key, whichever collector process enrols it.
CREATE UNIQUE INDEX devices_enrolled_kid ON devices (kid) WHERE unenrolled_at IS NULL;
CREATE TABLE reports (
    jti          TEXT PRIMARY KEY,
    seq          BIGINT GENERATED ALWAYS AS IDENTITY,
    token_sha256 BYTEA NOT NULL,
    device_id    TEXT NOT NULL,
    iat          BIGINT NOT NULL,
    accepted_at  BIGINT NOT NULL,
    freshness    TEXT NOT NULL,
    compliance   TEXT NOT NULL,
    verdict      TEXT NOT NULL,
    ack          TEXT NOT NULL,
    token        TEXT NOT NULL
);
CREATE INDEX reports_accepted_at ON reports (accepted_at, seq);
CREATE TABLE request_jtis (
    jti TEXT PRIMARY KEY,
    exp BIGINT NOT NULL
);
-- What a verified key attestation vouched for; never ID-attestation fields.
-- wants_fresh_facts: the latest current report failed or warned on an
-- attested patch level or OS version (SQLite's single writer keeps this in
-- memory; several processes must share it).
CREATE TABLE device_attestations (
    device_id                TEXT PRIMARY KEY REFERENCES devices (device_id),
    provenance               TEXT NOT NULL,
    security_level           TEXT NOT NULL,
    attestation_version      BIGINT NOT NULL,
    verified_boot_state      TEXT,
    device_locked            BOOLEAN,
    os_version               BIGINT,
    os_patch_level           BIGINT,
    vendor_patch_level       BIGINT,
    boot_patch_level         BIGINT,
    verified_boot_key_sha256 TEXT,
    attested_at              BIGINT NOT NULL,
    reported_os_patch_level  BIGINT,
    reported_at              BIGINT,
    wants_fresh_facts        BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE device_app_attest (
    device_id         TEXT PRIMARY KEY REFERENCES devices (device_id),
    key_id            BYTEA NOT NULL,
    public_key        BYTEA NOT NULL,
    counter           BIGINT NOT NULL,
    environment       TEXT NOT NULL,
    attested_at       BIGINT NOT NULL,
    last_assertion_at BIGINT
);
CREATE TABLE report_assessments (
    jti                TEXT PRIMARY KEY REFERENCES reports (jti),
    assurance          TEXT NOT NULL,
    assessment         TEXT NOT NULL,
    attestation_result TEXT
);
CREATE TABLE device_assessments (
    device_id          TEXT PRIMARY KEY REFERENCES devices (device_id),
    jti                TEXT NOT NULL,
    assessment         TEXT NOT NULL,
    attestation_result TEXT
);
CREATE TABLE attestation_pin_breaks (
    device_id TEXT NOT NULL REFERENCES devices (device_id),
    jti       TEXT NOT NULL,
    field     TEXT NOT NULL,
    pinned    TEXT NOT NULL,
    seen      TEXT NOT NULL,
    broken_at BIGINT NOT NULL,
    seq       BIGINT GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (device_id, jti, field)
);
-- The attestation-result signing key (PKCS#8). Guard the database's access:
-- whoever reads this table can sign results.
CREATE TABLE signing_keys (
    kid        TEXT PRIMARY KEY,
    pkcs8      BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
