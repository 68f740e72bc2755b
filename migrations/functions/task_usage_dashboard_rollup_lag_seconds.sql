-- Seconds since the last finished tick; null if none ever finished.
CREATE OR REPLACE FUNCTION task_usage_dashboard_rollup_lag_seconds() RETURNS double precision
LANGUAGE sql STABLE
RETURN (
    SELECT extract(EPOCH FROM now() - last_run_finished_at)::double precision
    FROM task_usage_dashboard_rollup_state
    WHERE id = 1
);
