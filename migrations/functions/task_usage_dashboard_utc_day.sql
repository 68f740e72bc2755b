-- The UTC calendar day of an instant, whatever the session TimeZone.
CREATE OR REPLACE FUNCTION task_usage_dashboard_utc_day(ts timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (ts AT TIME ZONE 'UTC')::date;
