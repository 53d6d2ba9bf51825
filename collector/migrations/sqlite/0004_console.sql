-- Schema version 4: the web console's tables. Collectors before schema
-- versions made them at start with these same statements, so IF NOT EXISTS
-- takes an existing database's tables (and their rows) in as they are.
--
-- console_revoked_sessions: session ids ended by logging out, kept until
-- the session would have expired anyway.
CREATE TABLE IF NOT EXISTS console_revoked_sessions (
    session_id TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
-- console_used_links: one-time log-in links already used, likewise.
CREATE TABLE IF NOT EXISTS console_used_links (
    link_id    TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
-- console_code_revocations: enrolment codes an admin revoked.
CREATE TABLE IF NOT EXISTS console_code_revocations (
    hash       BLOB PRIMARY KEY,
    revoked_at INTEGER NOT NULL
);
-- policy_revisions: each distinct policy a collector has enforced, when it
-- first and last came into force.
CREATE TABLE IF NOT EXISTS policy_revisions (
    sha256            TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    revision          INTEGER NOT NULL,
    document          TEXT NOT NULL,
    first_in_force_at INTEGER NOT NULL,
    last_started_at   INTEGER NOT NULL
);
