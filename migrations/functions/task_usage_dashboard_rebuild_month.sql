-- Re-sums the month's per-agent level from its days (at most 31 days of per-agent day rows),
-- updated in place like the daily levels (HOT: a tick rewrites the current month every time);
-- then the month's project level when it has settled. Ticks and the window primitive rebuild
-- the month of every day they rebuild, so a settled month is re-summed whenever any of its days
-- changed.
CREATE OR REPLACE FUNCTION task_usage_dashboard_rebuild_month(p_month date) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    WITH sums AS (
        SELECT
            workspace_id,
            agent_id,
            model,
            sum(input_tokens) AS input_tokens,
            sum(output_tokens) AS output_tokens,
            sum(cache_read_tokens) AS cache_read_tokens,
            sum(cache_write_tokens) AS cache_write_tokens,
            sum(task_count) AS task_count
        FROM task_usage_dashboard_daily_agent_model
        WHERE bucket_date >= p_month
            AND bucket_date < (p_month + INTERVAL '1 month')::date
        GROUP BY workspace_id, agent_id, model
    ),
    upserted AS (
        INSERT INTO task_usage_dashboard_monthly_agent_model AS l (
            workspace_id, month, agent_id, model,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, task_count
        )
        SELECT
            workspace_id, p_month, agent_id, model,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, task_count
        FROM sums
        ON CONFLICT (workspace_id, month, agent_id, model) DO UPDATE
        SET input_tokens = EXCLUDED.input_tokens,
            output_tokens = EXCLUDED.output_tokens,
            cache_read_tokens = EXCLUDED.cache_read_tokens,
            cache_write_tokens = EXCLUDED.cache_write_tokens,
            task_count = EXCLUDED.task_count
        WHERE (l.input_tokens, l.output_tokens, l.cache_read_tokens, l.cache_write_tokens,
               l.task_count)
            IS DISTINCT FROM
              (EXCLUDED.input_tokens, EXCLUDED.output_tokens, EXCLUDED.cache_read_tokens,
               EXCLUDED.cache_write_tokens, EXCLUDED.task_count)
    ),
    gone AS (
        SELECT workspace_id, agent_id, model
        FROM task_usage_dashboard_monthly_agent_model
        WHERE month = p_month
        EXCEPT
        SELECT workspace_id, agent_id, model
        FROM sums
    )
    DELETE FROM task_usage_dashboard_monthly_agent_model AS l
    USING gone AS g
    WHERE l.month = p_month
        AND l.workspace_id = g.workspace_id
        AND l.agent_id = g.agent_id
        AND l.model = g.model;

    IF p_month < (SELECT project_months_before FROM task_usage_dashboard_rollup_state WHERE id = 1)
    THEN
        PERFORM task_usage_dashboard_rebuild_project_month(p_month);
    END IF;
END;
$$;
