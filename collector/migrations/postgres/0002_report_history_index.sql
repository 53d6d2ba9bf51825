-- Schema version 2: the device view reads a device's latest reports
-- (WHERE device_id = $1 ORDER BY iat DESC); without this index that is a
-- scan of every report.
CREATE INDEX reports_device_iat ON reports (device_id, iat);
