-- One workspace's usage in the partial UTC days at the edges of a window [p_since, p_until) whose
-- whole UTC days are [p_first_whole, p_end_whole), for a viewer off UTC: [p_since, p_first_whole)
-- and [p_end_whole, p_until). Rows are per (agent, provider, model) and edge, like the by-agent
-- levels' rows: each day priced at its version, its tasks counted per day. An edge that starts or
-- ends on a quarter hour with usable prefixes (task_usage_dashboard_prefix_usable) is summed from
-- the rollup: the first day's agent level row minus its agent prefix at the window's start, the
-- last day's agent prefix at the window's end (task_usage_dashboard_daily_split_agent_model, whole
-- workspace only), a few hundred rows by primary key. Any other edge is read from raw rows
-- (task_usage_dashboard_raw_edge_usage). A UTC window has no edges and costs nothing.
CREATE OR REPLACE FUNCTION task_usage_dashboard_edge_usage(
    p_workspace_id uuid,
    p_project_id uuid,
    p_since timestamptz,
    p_first_whole date,
    p_end_whole date,
    p_until timestamptz
) RETURNS TABLE (
    agent_id uuid,
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
LANGUAGE plpgsql STABLE ROWS 100
AS $$
#variable_conflict use_column
DECLARE
    v_first timestamptz := p_first_whole::timestamp AT TIME ZONE 'UTC';
    v_end timestamptz := p_end_whole::timestamp AT TIME ZONE 'UTC';
    v_start_day date := task_usage_dashboard_utc_day(p_since);
    v_start_seconds numeric := extract(EPOCH FROM p_since - v_start_day::timestamp AT TIME ZONE 'UTC');
    v_end_seconds numeric := extract(EPOCH FROM p_until - v_end);
    v_start_parts boolean;
    v_end_parts boolean;
BEGIN
    -- The first edge runs from the window's start to the next UTC midnight, the first whole day.
    v_start_parts := p_project_id IS NULL
        AND p_since < v_first
        AND p_until >= v_first
        AND p_first_whole = v_start_day + 1
        AND mod(v_start_seconds, 900) = 0
        AND task_usage_dashboard_prefix_usable(v_start_day, (v_start_seconds / 900)::int);
    -- The last edge runs from the UTC midnight after the last whole day to the window's end.
    v_end_parts := p_project_id IS NULL
        AND p_until > v_end
        AND p_since <= v_end
        AND v_end_seconds < 86400
        AND mod(v_end_seconds, 900) = 0
        AND task_usage_dashboard_prefix_usable(p_end_whole, (v_end_seconds / 900)::int);
    RETURN QUERY
    SELECT *
    FROM task_usage_dashboard_raw_edge_usage(
        p_workspace_id,
        p_project_id,
        CASE WHEN v_start_parts THEN v_first ELSE p_since END,
        p_first_whole,
        p_end_whole,
        CASE WHEN v_end_parts THEN v_end ELSE p_until END
    );
    IF v_start_parts THEN
        RETURN QUERY
        SELECT
            d.agent_id,
            d.provider,
            d.model,
            d.input_tokens - coalesce(s.input_tokens, 0),
            d.output_tokens - coalesce(s.output_tokens, 0),
            d.cache_read_tokens - coalesce(s.cache_read_tokens, 0),
            d.cache_write_tokens - coalesce(s.cache_write_tokens, 0),
            d.cost_usd_ticks - coalesce(s.cost_usd_ticks, 0),
            d.uncosted_input_tokens - coalesce(s.uncosted_input_tokens, 0),
            d.uncosted_output_tokens - coalesce(s.uncosted_output_tokens, 0),
            d.uncosted_cache_read_tokens - coalesce(s.uncosted_cache_read_tokens, 0),
            d.uncosted_cache_write_tokens - coalesce(s.uncosted_cache_write_tokens, 0),
            d.estimated_cost_ticks - coalesce(s.estimated_cost_ticks, 0),
            d.unpriced_tokens - coalesce(s.unpriced_tokens, 0),
            d.task_count - coalesce(s.task_count, 0)
        FROM task_usage_dashboard_daily_agent_model AS d
        -- A prefix is part of its day, so every prefix row has its level row.
        LEFT JOIN task_usage_dashboard_daily_split_agent_model AS s
            ON s.workspace_id = d.workspace_id
            AND s.bucket_date = d.bucket_date
            AND s.quarter = (v_start_seconds / 900)::int
            AND s.agent_id = d.agent_id
            AND s.provider = d.provider
            AND s.model = d.model
        WHERE d.workspace_id = p_workspace_id
            AND d.bucket_date = v_start_day
            AND d.task_count - coalesce(s.task_count, 0) > 0;
    END IF;
    IF v_end_parts THEN
        RETURN QUERY
        SELECT
            s.agent_id,
            s.provider,
            s.model,
            s.input_tokens,
            s.output_tokens,
            s.cache_read_tokens,
            s.cache_write_tokens,
            s.cost_usd_ticks,
            s.uncosted_input_tokens,
            s.uncosted_output_tokens,
            s.uncosted_cache_read_tokens,
            s.uncosted_cache_write_tokens,
            s.estimated_cost_ticks,
            s.unpriced_tokens,
            s.task_count
        FROM task_usage_dashboard_daily_split_agent_model AS s
        WHERE s.workspace_id = p_workspace_id
            AND s.bucket_date = p_end_whole
            AND s.quarter = (v_end_seconds / 900)::int;
    END IF;
END;
$$;
