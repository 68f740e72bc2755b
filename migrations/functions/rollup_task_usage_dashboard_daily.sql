-- The tick: one bounded step, draining the usage rollup's (day, task) keys and the run rollup's
-- (workspace, day) keys: of each, up to a step's worth of days, oldest keys first, every key of a
-- picked day in the same statement that reads them.
-- JIT off for the step's statements whoever calls it (the app, the CLI, pg_cron), set by the
-- function so no session setting is needed (PgBouncer's transaction mode keeps none).
CREATE OR REPLACE FUNCTION rollup_task_usage_dashboard_daily() RETURNS bigint
LANGUAGE plpgsql
SET jit = off
AS $$
DECLARE
    v_cut timestamptz;
    v_days date [];
    v_tasks uuid [];
    v_more boolean;
    v_run_days date [];
    v_run_workspaces uuid [];
    v_more_runs boolean;
    v_rows bigint;
    v_finished timestamptz;
BEGIN
    IF NOT pg_try_advisory_xact_lock(task_usage_dashboard_rollup_lock_key()) THEN
        RETURN NULL;
    END IF;
    UPDATE task_usage_dashboard_rollup_state
    SET last_run_started_at = clock_timestamp()
    WHERE id = 1;
    BEGIN
        -- Everything committed before v_cut is visible to the next statement's snapshot.
        v_cut := clock_timestamp();
        -- Oldest keys first, so a caller waiting for the keys it saw is never starved by
        -- newer writes to other days.
        WITH queued AS (
            SELECT
                bucket_date,
                min(id) AS first_id
            FROM task_usage_dashboard_dirty
            GROUP BY bucket_date
        ),
        picked AS (
            SELECT bucket_date
            FROM queued
            ORDER BY first_id
            LIMIT task_usage_dashboard_rollup_step_days()
        ),
        drained AS (
            DELETE FROM task_usage_dashboard_dirty AS q
            USING picked
            WHERE q.bucket_date = picked.bucket_date
            RETURNING q.bucket_date, q.task_id
        )
        SELECT
            array_agg(drained.bucket_date),
            array_agg(drained.task_id),
            (SELECT count(*) FROM queued) > task_usage_dashboard_rollup_step_days()
        INTO v_days, v_tasks, v_more
        FROM drained;
        v_rows := task_usage_dashboard_rebuild_keys(coalesce(v_days, '{}'), coalesce(v_tasks, '{}'));
        WITH queued AS (
            SELECT
                bucket_date,
                min(id) AS first_id
            FROM task_run_dashboard_dirty
            GROUP BY bucket_date
        ),
        picked AS (
            SELECT bucket_date
            FROM queued
            ORDER BY first_id
            LIMIT task_usage_dashboard_rollup_step_days()
        ),
        drained AS (
            DELETE FROM task_run_dashboard_dirty AS q
            USING picked
            WHERE q.bucket_date = picked.bucket_date
            RETURNING q.bucket_date, q.workspace_id
        ),
        keys AS (
            SELECT DISTINCT bucket_date, workspace_id
            FROM drained
        )
        SELECT
            array_agg(keys.bucket_date),
            array_agg(keys.workspace_id),
            (SELECT count(*) FROM queued) > task_usage_dashboard_rollup_step_days()
        INTO v_run_days, v_run_workspaces, v_more_runs
        FROM keys;
        IF v_run_days IS NOT NULL THEN
            v_rows := v_rows + task_run_dashboard_rebuild_days(v_run_workspaces, v_run_days);
        END IF;
        v_more := v_more OR v_more_runs;
        -- A month of a newly registered quarter's prefixes, until every registered one is filled.
        PERFORM task_usage_dashboard_fill_splits();
        -- One reading of the clock, so the step's finish and its success are the same instant.
        v_finished := clock_timestamp();
        UPDATE task_usage_dashboard_rollup_state
        SET watermark_at = CASE
                WHEN watermark_at IS NOT NULL AND NOT v_more THEN greatest(watermark_at, v_cut)
                ELSE watermark_at
            END,
            last_run_finished_at = v_finished,
            last_success_at = v_finished,
            last_run_rows = v_rows,
            last_error = NULL
        WHERE id = 1;
    EXCEPTION WHEN OTHERS THEN
        UPDATE task_usage_dashboard_rollup_state
        SET last_run_finished_at = clock_timestamp(),
            last_error = SQLSTATE || ': ' || SQLERRM
        WHERE id = 1;
        RAISE WARNING 'rollup tick failed: % (%)', SQLERRM, SQLSTATE;
        RETURN -1;
    END;
    RETURN v_rows;
END;
$$;
