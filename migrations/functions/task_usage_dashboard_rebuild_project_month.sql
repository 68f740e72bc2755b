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
            workspace_id, project_id, agent_id, model,
            sum(input_tokens) AS input_tokens,
            sum(output_tokens) AS output_tokens,
            sum(cache_read_tokens) AS cache_read_tokens,
            sum(cache_write_tokens) AS cache_write_tokens,
            sum(task_count) AS task_count
        FROM task_usage_dashboard_daily
        WHERE project_id IS NOT NULL
            AND bucket_date >= p_month
            AND bucket_date < (p_month + INTERVAL '1 month')::date
        GROUP BY workspace_id, project_id, agent_id, model
    )
    INSERT INTO task_usage_dashboard_monthly_project_agent_model (
        workspace_id, project_id, month, agent_id, model,
        input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, task_count
    )
    SELECT
        workspace_id, project_id, p_month, agent_id, model,
        input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, task_count
    FROM sums
    ORDER BY workspace_id, project_id, agent_id, model;
END;
$$;
