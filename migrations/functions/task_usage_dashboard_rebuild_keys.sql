-- Rebuilds the given (day, task) keys, a null task standing for its whole day. First settles a
-- month into the project level when one has left the horizon, and drops per-task rows that fell
-- out of it. A day is rebuilt whole (one range per run of consecutive days, planned with its
-- bounds) when a key says so, when it has more changed tasks than task_usage_dashboard_rollup_day_tasks_max(), or
-- when it lies before the per-task horizon; the other days' tasks are rebuilt together, then
-- those days' read levels, and the weeks and months of all days. Returns base rows touched.
CREATE OR REPLACE FUNCTION task_usage_dashboard_rebuild_keys(p_days date [], p_tasks uuid []) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_horizon date := task_usage_dashboard_task_level_from();
    v_whole date [];
    v_run_from date;
    v_run_to date;
    v_month date;
    v_task_days date [];
    v_task_ids uuid [];
    v_touched bigint := 0;
BEGIN
    PERFORM task_usage_dashboard_settle_project_month();
    DELETE FROM task_usage_dashboard_daily_task_model
    WHERE bucket_date < v_horizon;

    SELECT coalesce(array_agg(bucket_date), '{}')
    INTO v_whole
    FROM (
        SELECT bucket_date
        FROM unnest(p_days, p_tasks) AS k (bucket_date, task_id)
        GROUP BY bucket_date
        HAVING bucket_date < v_horizon
            OR bool_or(task_id IS NULL)
            OR count(DISTINCT task_id) > task_usage_dashboard_rollup_day_tasks_max()
    ) AS whole;
    -- Consecutive whole days as one range: a re-priced month is then planned as one hash join,
    -- like a backfill month, instead of thirty one-day lookups.
    FOR v_run_from, v_run_to IN
        SELECT min(d), max(d) + 1
        FROM (
            SELECT d, d - (row_number() OVER (ORDER BY d))::int AS run
            FROM unnest(v_whole) AS u (d)
        ) AS days
        GROUP BY run
        ORDER BY 1
    LOOP
        v_touched := v_touched + task_usage_dashboard_rebuild_range(v_run_from, v_run_to);
    END LOOP;

    SELECT array_agg(bucket_date), array_agg(task_id)
    INTO v_task_days, v_task_ids
    FROM unnest(p_days, p_tasks) AS k (bucket_date, task_id)
    WHERE bucket_date <> ALL (v_whole);
    IF v_task_days IS NOT NULL THEN
        v_touched := v_touched + task_usage_dashboard_rebuild_tasks(v_task_days, v_task_ids);
        PERFORM task_usage_dashboard_rebuild_levels(
            ARRAY(SELECT DISTINCT d FROM unnest(v_task_days) AS u (d))
        );
    END IF;

    PERFORM task_usage_dashboard_rebuild_weeks(p_days);
    FOR v_month IN
        SELECT DISTINCT date_trunc('month', d::timestamp)::date FROM unnest(p_days) AS u (d)
    LOOP
        PERFORM task_usage_dashboard_rebuild_month(v_month);
    END LOOP;
    RETURN v_touched;
END;
$$;
