-- Schema version 4: the web console's tables, shared by every collector
-- process on the database (a session ended through one is refused by all,
-- a one-time link is used once across them).
--
-- console_revoked_sessions: session ids ended by logging out, kept until
-- the session would have expired anyway.
CREATE TABLE console_revoked_sessions (
    session_id TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
-- console_used_links: one-time log-in links already used, likewise.
CREATE TABLE console_used_links (
    link_id    TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
-- console_code_revocations: enrolment codes an admin revoked.
CREATE TABLE console_code_revocations (
    hash       BYTEA PRIMARY KEY,
    revoked_at BIGINT NOT NULL
);
-- policy_revisions: each distinct policy a collector has enforced, when it
-- first and last came into force.
CREATE TABLE policy_revisions (
    sha256            TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    revision          BIGINT NOT NULL,
    document          TEXT NOT NULL,
    first_in_force_at BIGINT NOT NULL,
    last_started_at   BIGINT NOT NULL
);
