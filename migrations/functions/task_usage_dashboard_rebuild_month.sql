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
            provider,
            model,
            sum(input_tokens) AS input_tokens,
            sum(output_tokens) AS output_tokens,
            sum(cache_read_tokens) AS cache_read_tokens,
            sum(cache_write_tokens) AS cache_write_tokens,
            sum(cost_usd_ticks) AS cost_usd_ticks,
            sum(uncosted_input_tokens) AS uncosted_input_tokens,
            sum(uncosted_output_tokens) AS uncosted_output_tokens,
            sum(uncosted_cache_read_tokens) AS uncosted_cache_read_tokens,
            sum(uncosted_cache_write_tokens) AS uncosted_cache_write_tokens,
            sum(estimated_cost_ticks) AS estimated_cost_ticks,
            sum(unpriced_tokens) AS unpriced_tokens,
            sum(task_count) AS task_count
        FROM task_usage_dashboard_daily_agent_model
        WHERE bucket_date >= p_month
            AND bucket_date < (p_month + INTERVAL '1 month')::date
        GROUP BY workspace_id, agent_id, provider, model
    ),
    upserted AS (
        INSERT INTO task_usage_dashboard_monthly_agent_model AS l (
            workspace_id, month, agent_id, provider, model, input_tokens, output_tokens,
            cache_read_tokens, cache_write_tokens, cost_usd_ticks, uncosted_input_tokens,
            uncosted_output_tokens, uncosted_cache_read_tokens, uncosted_cache_write_tokens,
            estimated_cost_ticks, unpriced_tokens, task_count
        )
        SELECT
            workspace_id, p_month, agent_id, provider, model, input_tokens, output_tokens,
            cache_read_tokens, cache_write_tokens, cost_usd_ticks, uncosted_input_tokens,
            uncosted_output_tokens, uncosted_cache_read_tokens, uncosted_cache_write_tokens,
            estimated_cost_ticks, unpriced_tokens, task_count
        FROM sums
        ON CONFLICT (workspace_id, month, agent_id, provider, model) DO UPDATE
        SET input_tokens = EXCLUDED.input_tokens,
            output_tokens = EXCLUDED.output_tokens,
            cache_read_tokens = EXCLUDED.cache_read_tokens,
            cache_write_tokens = EXCLUDED.cache_write_tokens,
            cost_usd_ticks = EXCLUDED.cost_usd_ticks,
            uncosted_input_tokens = EXCLUDED.uncosted_input_tokens,
            uncosted_output_tokens = EXCLUDED.uncosted_output_tokens,
            uncosted_cache_read_tokens = EXCLUDED.uncosted_cache_read_tokens,
            uncosted_cache_write_tokens = EXCLUDED.uncosted_cache_write_tokens,
            estimated_cost_ticks = EXCLUDED.estimated_cost_ticks,
            unpriced_tokens = EXCLUDED.unpriced_tokens,
            task_count = EXCLUDED.task_count
        WHERE l IS DISTINCT FROM EXCLUDED
    ),
    gone AS (
        SELECT workspace_id, agent_id, provider, model
        FROM task_usage_dashboard_monthly_agent_model
        WHERE month = p_month
        EXCEPT
        SELECT workspace_id, agent_id, provider, model
        FROM sums
    )
    DELETE FROM task_usage_dashboard_monthly_agent_model AS l
    USING gone AS g
    WHERE l.month = p_month
        AND l.workspace_id = g.workspace_id
        AND l.agent_id = g.agent_id
        AND l.provider = g.provider
        AND l.model = g.model;

    IF p_month < (SELECT project_months_before FROM task_usage_dashboard_rollup_state WHERE id = 1)
    THEN
        PERFORM task_usage_dashboard_rebuild_project_month(p_month);
    END IF;
END;
$$;
