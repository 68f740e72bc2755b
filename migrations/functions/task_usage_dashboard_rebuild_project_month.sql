-- Re-sums one month of the project level from its base rows (found by date: the base table's
-- unique key leads with bucket_date; a month of rows, whatever the history).
CREATE OR REPLACE FUNCTION task_usage_dashboard_rebuild_project_month(p_month date) RETURNS void
LANGUAGE plpgsql
-- Room to hash a month's groups (a few thousand per workspace) instead of sorting its base rows.
SET work_mem = '64MB'
AS $$
BEGIN
    DELETE FROM task_usage_dashboard_monthly_project_agent_model
    WHERE month = p_month;
    -- Summed by hashing, then the few thousand sums inserted in key order, so a project's
    -- month lies on a few pages instead of one page per row (a sorted aggregate would sort
    -- every base row instead).
    WITH sums AS MATERIALIZED (
        SELECT
            workspace_id,
            project_id,
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
        FROM task_usage_dashboard_daily
        WHERE project_id IS NOT NULL
            AND bucket_date >= p_month
            AND bucket_date < (p_month + INTERVAL '1 month')::date
        GROUP BY workspace_id, project_id, agent_id, provider, model
    )
    INSERT INTO task_usage_dashboard_monthly_project_agent_model (
        workspace_id, project_id, month, agent_id, provider, model, input_tokens, output_tokens,
        cache_read_tokens, cache_write_tokens, cost_usd_ticks, uncosted_input_tokens,
        uncosted_output_tokens, uncosted_cache_read_tokens, uncosted_cache_write_tokens,
        estimated_cost_ticks, unpriced_tokens, task_count
    )
    SELECT
        workspace_id, project_id, p_month, agent_id, provider, model, input_tokens, output_tokens,
        cache_read_tokens, cache_write_tokens, cost_usd_ticks, uncosted_input_tokens,
        uncosted_output_tokens, uncosted_cache_read_tokens, uncosted_cache_write_tokens,
        estimated_cost_ticks, unpriced_tokens, task_count
    FROM sums
    ORDER BY workspace_id, project_id, agent_id, provider, model;
END;
$$;
