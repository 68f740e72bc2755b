-- Rebuilds the per-task rows of the UTC days [p_from, p_to) from raw rows, through
-- task_usage_created_at_idx between the UTC bounds (each row's task and issue looked up by
-- primary key for a day or two, hash-joined for longer ranges), priced per distinct (day,
-- provider, model).
CREATE OR REPLACE FUNCTION task_usage_dashboard_rebuild_task_range(p_from date, p_to date) RETURNS void
LANGUAGE plpgsql
-- As for task_usage_dashboard_rebuild_range: planned with the real bounds.
SET plan_cache_mode = force_custom_plan
-- Room for a month's sort and its priced groups in memory (a backfill slice), not on disk.
SET work_mem = '64MB'
AS $$
BEGIN
    DELETE FROM task_usage_dashboard_daily_task_model
    WHERE bucket_date >= p_from
        AND bucket_date < p_to;
    WITH usage AS (
        SELECT
            task_usage_dashboard_utc_day(u.created_at) AS bucket_date,
            u.task_id,
            lower(btrim(u.provider)) AS provider,
            u.model,
            a.workspace_id,
            t.agent_id,
            i.project_id,
            sum(u.input_tokens)::bigint AS input_tokens,
            sum(u.output_tokens)::bigint AS output_tokens,
            sum(u.cache_read_tokens)::bigint AS cache_read_tokens,
            sum(u.cache_write_tokens)::bigint AS cache_write_tokens,
            coalesce(sum(u.cost_usd_ticks) FILTER (WHERE u.cost_usd_ticks > 0), 0) AS cost_usd_ticks,
            coalesce(sum(u.input_tokens) FILTER (WHERE coalesce(u.cost_usd_ticks, 0) <= 0), 0)::bigint
                AS uncosted_input_tokens,
            coalesce(sum(u.output_tokens) FILTER (WHERE coalesce(u.cost_usd_ticks, 0) <= 0), 0)::bigint
                AS uncosted_output_tokens,
            coalesce(sum(u.cache_read_tokens) FILTER (WHERE coalesce(u.cost_usd_ticks, 0) <= 0), 0)::bigint
                AS uncosted_cache_read_tokens,
            coalesce(sum(u.cache_write_tokens) FILTER (WHERE coalesce(u.cost_usd_ticks, 0) <= 0), 0)::bigint
                AS uncosted_cache_write_tokens,
            count(*) AS event_count
        FROM task_usage AS u
        JOIN agent_task_queue AS t
            ON t.id = u.task_id
        JOIN agent AS a
            ON a.id = t.agent_id
        LEFT JOIN issue AS i
            ON i.id = t.issue_id
        WHERE u.created_at >= p_from::timestamp AT TIME ZONE 'UTC'
            AND u.created_at < p_to::timestamp AT TIME ZONE 'UTC'
        GROUP BY 1, u.task_id, 3, u.model, a.workspace_id, t.agent_id, i.project_id
    ),
    -- Materialized: priced once per distinct (day, provider, model), never per row joined to it.
    prices AS MATERIALIZED (
        SELECT k.bucket_date, k.provider, k.model, p.price_key, p.input_ticks, p.output_ticks,
            p.cache_read_ticks, p.cache_write_ticks
        FROM (SELECT DISTINCT bucket_date, provider, model FROM usage) AS k
        LEFT JOIN LATERAL task_usage_dashboard_price_on(k.provider, k.model, k.bucket_date) AS p
            ON true
    )
    INSERT INTO task_usage_dashboard_daily_task_model (
        bucket_date, task_id, provider, model, workspace_id, agent_id, project_id,
        input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
        cost_usd_ticks, uncosted_input_tokens, uncosted_output_tokens, uncosted_cache_read_tokens,
        uncosted_cache_write_tokens, estimated_cost_ticks, unpriced_tokens, event_count
    )
    SELECT
        u.bucket_date, u.task_id, u.provider, u.model, u.workspace_id, u.agent_id, u.project_id,
        u.input_tokens, u.output_tokens, u.cache_read_tokens, u.cache_write_tokens,
        u.cost_usd_ticks, u.uncosted_input_tokens, u.uncosted_output_tokens,
        u.uncosted_cache_read_tokens, u.uncosted_cache_write_tokens,
        task_usage_dashboard_estimated_ticks(
            u.uncosted_input_tokens, u.uncosted_output_tokens, u.uncosted_cache_read_tokens,
            u.uncosted_cache_write_tokens, p.input_ticks, p.output_ticks, p.cache_read_ticks,
            p.cache_write_ticks
        ),
        CASE
            WHEN p.price_key IS NULL
                THEN u.uncosted_input_tokens + u.uncosted_output_tokens
                    + u.uncosted_cache_read_tokens + u.uncosted_cache_write_tokens
            ELSE 0
        END,
        u.event_count
    FROM usage AS u
    JOIN prices AS p
        USING (bucket_date, provider, model);
END;
$$;
