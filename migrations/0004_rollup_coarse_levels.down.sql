-- Reverts 0004 in reverse order: the 0003 key rebuild and the 0002 month rebuild back, the
-- monthly per-project level and its bound dropped, then the 0002 window primitive back and the
-- weekly per-agent level dropped.

CREATE OR REPLACE FUNCTION task_usage_dashboard_rebuild_keys(p_days date [], p_tasks uuid []) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_horizon date := task_usage_dashboard_task_level_from();
    v_whole date [];
    v_day date;
    v_month date;
    v_task_days date [];
    v_task_ids uuid [];
    v_touched bigint := 0;
BEGIN
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
    FOREACH v_day IN ARRAY v_whole LOOP
        v_touched := v_touched + task_usage_dashboard_rebuild_range(v_day, v_day + 1);
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

    FOR v_month IN
        SELECT DISTINCT date_trunc('month', d::timestamp)::date FROM unnest(p_days) AS u (d)
    LOOP
        PERFORM task_usage_dashboard_rebuild_month(v_month);
    END LOOP;
    RETURN v_touched;
END;
$$;

DROP FUNCTION task_usage_dashboard_settle_project_month();

CREATE OR REPLACE FUNCTION task_usage_dashboard_rebuild_month(p_month date) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM task_usage_dashboard_monthly_agent_model WHERE month = p_month;
    INSERT INTO task_usage_dashboard_monthly_agent_model (
        workspace_id, month, agent_id, model,
        input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, task_count
    )
    SELECT
        workspace_id, p_month, agent_id, model,
        sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens),
        sum(task_count)
    FROM task_usage_dashboard_daily_agent_model
    WHERE bucket_date >= p_month
        AND bucket_date < (p_month + INTERVAL '1 month')::date
    GROUP BY workspace_id, agent_id, model;
END;
$$;

ALTER TABLE task_usage_dashboard_monthly_agent_model RESET (fillfactor);

DROP FUNCTION task_usage_dashboard_rebuild_project_month(date);

DROP FUNCTION task_usage_dashboard_settled_months_before();

ALTER TABLE task_usage_dashboard_rollup_state
    DROP COLUMN project_months_before;

DROP TABLE task_usage_dashboard_monthly_project_agent_model;

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
    v_touched := task_usage_dashboard_rebuild_range(v_first, v_end);
    FOR v_month IN
        SELECT DISTINCT date_trunc('month', g)::date
        FROM generate_series(v_first::timestamp, (v_end - 1)::timestamp, INTERVAL '1 day') AS g
    LOOP
        PERFORM task_usage_dashboard_rebuild_month(v_month);
    END LOOP;
    RETURN v_touched;
END;
$$;

DROP FUNCTION task_usage_dashboard_rebuild_weeks(date []);

DROP TABLE task_usage_dashboard_weekly_agent_model;
