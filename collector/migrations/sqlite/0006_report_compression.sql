-- Schema version 6: on PostgreSQL, the large text columns of reports are
-- compressed with lz4. SQLite stores them uncompressed and has nothing to
-- change; the version is recorded so both stores keep one numbering.
SELECT 1;
