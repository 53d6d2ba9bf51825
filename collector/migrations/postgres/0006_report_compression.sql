-- Schema version 6: the large text columns a report writes (its token, its
-- acknowledgement with the signed attestation result, its assessment) are
-- compressed with lz4 rather than the default pglz, which cost more CPU
-- than any other part of storing a report. Only values written from now on
-- change; a server built without lz4 keeps pglz (reading needs nothing:
-- every value records how it was compressed).
DO $$
BEGIN
    ALTER TABLE reports ALTER COLUMN token SET COMPRESSION lz4,
        ALTER COLUMN ack SET COMPRESSION lz4,
        ALTER COLUMN verdict SET COMPRESSION lz4;
    ALTER TABLE report_assessments ALTER COLUMN assessment SET COMPRESSION lz4,
        ALTER COLUMN attestation_result SET COMPRESSION lz4;
    ALTER TABLE device_assessments ALTER COLUMN assessment SET COMPRESSION lz4,
        ALTER COLUMN attestation_result SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this server has no lz4: the report columns keep pglz';
END
$$;
