-- One bounded step of filling a newly registered quarter: the oldest registration not filled to
-- the start of history gets the usage and run prefixes of a step's worth of days (a month),
-- newest days first, so the windows viewers read most become exact from the rollup first.
-- filled_from moves back in the same transaction as the rows it vouches for; a write committed
-- meanwhile left its key in the queue, and the tick that drains it rebuilds that day for every
-- filled quarter. A quarter is filled for good ('-infinity') once the step reaches the oldest
-- usage or run, so rows written later for an older day are kept exact too. Returns whether a
-- quarter was left unfilled.
CREATE OR REPLACE FUNCTION task_usage_dashboard_fill_splits() RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v_quarter int;
    v_filled_from date;
    v_oldest date;
    v_end date;
    v_start date;
    v_days date [];
BEGIN
    SELECT s.quarter, s.filled_from
    INTO v_quarter, v_filled_from
    FROM task_usage_dashboard_split AS s
    WHERE s.filled_from IS NULL
        OR s.filled_from > '-infinity'::date
    ORDER BY s.registered_at, s.quarter
    LIMIT 1;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    -- History is usage and terminal runs (both indexes answer min() and max() from an end).
    SELECT task_usage_dashboard_utc_day(least(
        (SELECT min(u.created_at) FROM task_usage AS u),
        (
            SELECT min(t.completed_at)
            FROM agent_task_queue AS t
            WHERE t.status IN ('completed', 'failed', 'cancelled')
        )
    ))
    INTO v_oldest;
    v_end := coalesce(
        v_filled_from,
        task_usage_dashboard_utc_day(greatest(
            (SELECT max(u.created_at) FROM task_usage AS u),
            (
                SELECT max(t.completed_at)
                FROM agent_task_queue AS t
                WHERE t.status IN ('completed', 'failed', 'cancelled')
            )
        )) + 1
    );
    v_start := v_end - task_usage_dashboard_rollup_step_days();
    IF v_oldest IS NULL OR v_start <= v_oldest THEN
        v_start := '-infinity'::date;
    END IF;
    -- Moved first: the shifted days rebuilt with the prefixes are those from filled_from on
    -- (the day before the oldest usage included once the fill reaches the start).
    UPDATE task_usage_dashboard_split
    SET filled_from = v_start
    WHERE quarter = v_quarter;
    IF v_oldest IS NOT NULL THEN
        v_days := ARRAY(
            SELECT generate_series(greatest(v_start, v_oldest), v_end - 1, INTERVAL '1 day')::date
        );
        PERFORM task_usage_dashboard_rebuild_splits(v_days, v_quarter);
        PERFORM task_run_dashboard_rebuild_splits(v_days, v_quarter);
    END IF;
    IF v_start = '-infinity'::date THEN
        -- A whole history of new rows: plan the reads on them from now on, not on none.
        ANALYZE task_usage_dashboard_daily_split_model, task_usage_dashboard_daily_shift_model,
            task_usage_dashboard_daily_split_agent_model, task_run_dashboard_daily_split;
    END IF;
    RETURN EXISTS (
        SELECT 1
        FROM task_usage_dashboard_split AS s
        WHERE s.filled_from IS NULL
            OR s.filled_from > '-infinity'::date
    );
END;
$$;
