-- The recompute primitive: rebuilds every UTC day overlapping [p_from, p_to) from raw rows, as
-- one range (a backfill month is planned as one hash join), then the weeks and months of those
-- days, and the run rollup of those days. It drains both rollups' queued keys of those days
-- first: the rebuild's snapshot is newer than the drain's, so it sees every row whose key was
-- drained. Idempotent. Returns base rows touched.
CREATE OR REPLACE FUNCTION rollup_task_usage_dashboard_daily_window(p_from timestamptz, p_to timestamptz)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_first date := task_usage_dashboard_utc_day(p_from);
    v_end date := task_usage_dashboard_utc_day(p_to - INTERVAL '1 microsecond') + 1;
    v_month date;
    v_touched bigint;
BEGIN
    IF p_to <= p_from THEN
        RETURN 0;
    END IF;
    -- Drained in this statement's snapshot: a key enqueued by a transaction it cannot see
    -- stays queued for the next tick.
    DELETE FROM task_usage_dashboard_dirty
    WHERE bucket_date >= v_first
        AND bucket_date < v_end;
    DELETE FROM task_run_dashboard_dirty
    WHERE bucket_date >= v_first
        AND bucket_date < v_end;
    v_touched := task_usage_dashboard_rebuild_range(v_first, v_end);
    -- The run rollup of every workspace on those days, and their months.
    PERFORM task_run_dashboard_rebuild_days(
        NULL,
        ARRAY(SELECT generate_series(v_first, v_end - 1, INTERVAL '1 day')::date)
    );
    PERFORM task_usage_dashboard_rebuild_weeks(
        ARRAY(SELECT generate_series(v_first, v_end - 1, INTERVAL '1 day')::date)
    );
    FOR v_month IN
        SELECT DISTINCT date_trunc('month', g)::date
        FROM generate_series(v_first::timestamp, (v_end - 1)::timestamp, INTERVAL '1 day') AS g
    LOOP
        PERFORM task_usage_dashboard_rebuild_month(v_month);
    END LOOP;
    RETURN v_touched;
END;
$$;
