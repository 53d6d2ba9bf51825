-- Schema version 1: the tables as the collector made them before schema
-- versions were recorded. Every statement says IF NOT EXISTS, so a database
-- made by that code (tables, no schema_migrations) is taken as this version:
-- what it lacks (tables added in later releases) is created, nothing else
-- changes.
CREATE TABLE IF NOT EXISTS codes (
    hash            BLOB PRIMARY KEY,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    label           TEXT,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    used_at         INTEGER,
    device_id       TEXT,
    kid             TEXT
);
CREATE TABLE IF NOT EXISTS devices (
    device_id        TEXT PRIMARY KEY,
    kid              TEXT NOT NULL,
    jwk              TEXT NOT NULL,
    platform         TEXT NOT NULL,
    agent_version    TEXT NOT NULL,
    enrolled_at      INTEGER NOT NULL,
    nonce            TEXT NOT NULL,
    nonce_expires_at INTEGER NOT NULL,
    last_report_at   INTEGER,
    last_current_at  INTEGER,
    last_compliance  TEXT,
    unenrolled_at    INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS devices_enrolled_kid ON devices (kid)
    WHERE unenrolled_at IS NULL;
CREATE TABLE IF NOT EXISTS reports (
    jti          TEXT PRIMARY KEY,
    token_sha256 BLOB NOT NULL,
    device_id    TEXT NOT NULL,
    iat          INTEGER NOT NULL,
    accepted_at  INTEGER NOT NULL,
    freshness    TEXT NOT NULL,
    compliance   TEXT NOT NULL,
    verdict      TEXT NOT NULL,
    ack          TEXT NOT NULL,
    token        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reports_accepted_at ON reports (accepted_at);
CREATE TABLE IF NOT EXISTS request_jtis (
    jti TEXT PRIMARY KEY,
    exp INTEGER NOT NULL
);
-- Added after the first release: created in place on older databases.
-- What a verified key attestation vouched for at enrolment; never the
-- ID-attestation fields (IMEI, serial, model, ...).
CREATE TABLE IF NOT EXISTS device_attestations (
    device_id                TEXT PRIMARY KEY REFERENCES devices (device_id),
    provenance               TEXT NOT NULL,
    security_level           TEXT NOT NULL,
    attestation_version      INTEGER NOT NULL,
    verified_boot_state      TEXT,
    device_locked            INTEGER,
    os_version               INTEGER,
    os_patch_level           INTEGER,
    vendor_patch_level       INTEGER,
    boot_patch_level         INTEGER,
    verified_boot_key_sha256 TEXT,
    attested_at              INTEGER NOT NULL,
    -- From the latest current report, to show where it disagrees.
    reported_os_patch_level  INTEGER,
    reported_at              INTEGER
);
-- An Apple App Attest key verified at enrolment (iOS), and the counter of
-- the last accepted assertion. App Attest carries no device identifier.
CREATE TABLE IF NOT EXISTS device_app_attest (
    device_id         TEXT PRIMARY KEY REFERENCES devices (device_id),
    key_id            BLOB NOT NULL,
    public_key        BLOB NOT NULL,
    counter           INTEGER NOT NULL,
    environment       TEXT NOT NULL,
    attested_at       INTEGER NOT NULL,
    last_assertion_at INTEGER
);
-- Added with assurance levels. The collector's appraisal of each report
-- (fact provenance, assurance level, mismatches: protocol 5.3.1) and the
-- attestation result it issued, if any.
CREATE TABLE IF NOT EXISTS report_assessments (
    jti                TEXT PRIMARY KEY REFERENCES reports (jti),
    assurance          TEXT NOT NULL,
    assessment         TEXT NOT NULL,
    attestation_result TEXT
);
-- The same for each device's latest current report (the fleet view's).
CREATE TABLE IF NOT EXISTS device_assessments (
    device_id          TEXT PRIMARY KEY REFERENCES devices (device_id),
    jti                TEXT NOT NULL,
    assessment         TEXT NOT NULL,
    attestation_result TEXT
);
-- Added with re-attestation (protocol 5.3.3). device_attestations holds
-- each device's pin, moved up by fresh chains; this holds every downgrade
-- a fresh chain showed against it (which value, pinned and seen). A device
-- with a row here has a broken pin. Never ID-attestation fields.
CREATE TABLE IF NOT EXISTS attestation_pin_breaks (
    device_id TEXT NOT NULL REFERENCES devices (device_id),
    jti       TEXT NOT NULL,
    field     TEXT NOT NULL,
    pinned    TEXT NOT NULL,
    seen      TEXT NOT NULL,
    broken_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, jti, field)
);
-- The collector's attestation-result signing key (PKCS#8), made at first
-- start unless a key file is given. The database file is 0600.
CREATE TABLE IF NOT EXISTS signing_keys (
    kid        TEXT PRIMARY KEY,
    pkcs8      BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
