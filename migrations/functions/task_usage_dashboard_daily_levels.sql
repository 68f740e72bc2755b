-- The daily level rows of one UTC window: the whole workspace's (task_usage_dashboard_daily_model)
-- when p_project_id is null, else that project's (task_usage_dashboard_daily_project_model), for
-- task_usage_dashboard_daily_rows. Each arm is planned afresh on every call (force_custom_plan):
-- a single-table plan costs little, and a generic one can pick the wrong index, e.g. the
-- project level's date index with the workspace and project as filters (thousands of rows read
-- and dropped for a year), where the custom plan reads the primary key's range.
CREATE OR REPLACE FUNCTION task_usage_dashboard_daily_levels(
    p_workspace_id uuid,
    p_project_id uuid,
    p_since date,
    p_until date
) RETURNS TABLE (
    bucket_date date,
    provider text,
    model text,
    input_tokens bigint,
    output_tokens bigint,
    cache_read_tokens bigint,
    cache_write_tokens bigint,
    cost_usd_ticks numeric,
    uncosted_input_tokens bigint,
    uncosted_output_tokens bigint,
    uncosted_cache_read_tokens bigint,
    uncosted_cache_write_tokens bigint,
    estimated_cost_ticks numeric,
    unpriced_tokens bigint,
    task_count bigint
)
LANGUAGE plpgsql STABLE ROWS 400
SET plan_cache_mode = force_custom_plan
AS $$
BEGIN
    IF p_project_id IS NULL THEN
        RETURN QUERY
        SELECT
            x.bucket_date,
            x.provider,
            x.model,
            x.input_tokens,
            x.output_tokens,
            x.cache_read_tokens,
            x.cache_write_tokens,
            x.cost_usd_ticks,
            x.uncosted_input_tokens,
            x.uncosted_output_tokens,
            x.uncosted_cache_read_tokens,
            x.uncosted_cache_write_tokens,
            x.estimated_cost_ticks,
            x.unpriced_tokens,
            x.task_count
        FROM task_usage_dashboard_daily_model AS x
        WHERE x.workspace_id = p_workspace_id
            AND x.bucket_date >= p_since
            AND x.bucket_date < p_until;
    ELSE
        RETURN QUERY
        SELECT
            x.bucket_date,
            x.provider,
            x.model,
            x.input_tokens,
            x.output_tokens,
            x.cache_read_tokens,
            x.cache_write_tokens,
            x.cost_usd_ticks,
            x.uncosted_input_tokens,
            x.uncosted_output_tokens,
            x.uncosted_cache_read_tokens,
            x.uncosted_cache_write_tokens,
            x.estimated_cost_ticks,
            x.unpriced_tokens,
            x.task_count
        FROM task_usage_dashboard_daily_project_model AS x
        WHERE x.workspace_id = p_workspace_id
            AND x.project_id = p_project_id
            AND x.bucket_date >= p_since
            AND x.bucket_date < p_until;
    END IF;
END;
$$;
