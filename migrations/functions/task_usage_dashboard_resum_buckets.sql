-- Re-sums the given buckets of task_usage_dashboard_daily from the per-task level (through its
-- bucket index): buckets with rows are upserted (unchanged sums left alone), buckets left empty
-- are deleted. A per-task row is one task's usage of one (day, provider, model), so its bucket's
-- task_count is its number of rows. Returns base rows inserted, updated or deleted.
CREATE OR REPLACE FUNCTION task_usage_dashboard_resum_buckets(
    p_days date [],
    p_workspaces uuid [],
    p_agents uuid [],
    p_projects uuid [],
    p_providers text [],
    p_models text []
) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_touched bigint;
BEGIN
    WITH buckets AS (
        SELECT DISTINCT bucket_date, workspace_id, agent_id, project_id, provider, model
        FROM unnest(p_days, p_workspaces, p_agents, p_projects, p_providers, p_models)
            AS k (bucket_date, workspace_id, agent_id, project_id, provider, model)
    ),
    fresh AS (
        SELECT
            k.bucket_date,
            k.workspace_id,
            k.agent_id,
            k.project_id,
            k.provider,
            k.model,
            sum(p.input_tokens)::bigint AS input_tokens,
            sum(p.output_tokens)::bigint AS output_tokens,
            sum(p.cache_read_tokens)::bigint AS cache_read_tokens,
            sum(p.cache_write_tokens)::bigint AS cache_write_tokens,
            sum(p.cost_usd_ticks) AS cost_usd_ticks,
            sum(p.uncosted_input_tokens)::bigint AS uncosted_input_tokens,
            sum(p.uncosted_output_tokens)::bigint AS uncosted_output_tokens,
            sum(p.uncosted_cache_read_tokens)::bigint AS uncosted_cache_read_tokens,
            sum(p.uncosted_cache_write_tokens)::bigint AS uncosted_cache_write_tokens,
            sum(p.estimated_cost_ticks) AS estimated_cost_ticks,
            sum(p.unpriced_tokens)::bigint AS unpriced_tokens,
            count(*) AS task_count,
            sum(p.event_count)::bigint AS event_count
        FROM buckets AS k
        JOIN task_usage_dashboard_daily_task_model AS p
            ON p.bucket_date = k.bucket_date
            AND p.workspace_id = k.workspace_id
            AND p.agent_id = k.agent_id
            AND coalesce(p.project_id, '00000000-0000-0000-0000-000000000000'::uuid)
                = coalesce(k.project_id, '00000000-0000-0000-0000-000000000000'::uuid)
            AND p.provider = k.provider
            AND p.model = k.model
        GROUP BY k.bucket_date, k.workspace_id, k.agent_id, k.project_id, k.provider, k.model
    ),
    upserted AS (
        INSERT INTO task_usage_dashboard_daily AS d (
            bucket_date, workspace_id, agent_id, project_id, provider, model,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
            cost_usd_ticks, uncosted_input_tokens, uncosted_output_tokens,
            uncosted_cache_read_tokens, uncosted_cache_write_tokens, estimated_cost_ticks,
            unpriced_tokens, task_count, event_count, updated_at
        )
        SELECT
            bucket_date, workspace_id, agent_id, project_id, provider, model,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
            cost_usd_ticks, uncosted_input_tokens, uncosted_output_tokens,
            uncosted_cache_read_tokens, uncosted_cache_write_tokens, estimated_cost_ticks,
            unpriced_tokens, task_count, event_count, now()
        FROM fresh
        ON CONFLICT ON CONSTRAINT task_usage_dashboard_daily_key DO UPDATE
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
            task_count = EXCLUDED.task_count,
            event_count = EXCLUDED.event_count,
            updated_at = EXCLUDED.updated_at
        WHERE (d.input_tokens, d.output_tokens, d.cache_read_tokens, d.cache_write_tokens,
               d.cost_usd_ticks, d.uncosted_input_tokens, d.uncosted_output_tokens,
               d.uncosted_cache_read_tokens, d.uncosted_cache_write_tokens, d.estimated_cost_ticks,
               d.unpriced_tokens, d.task_count, d.event_count)
            IS DISTINCT FROM
              (EXCLUDED.input_tokens, EXCLUDED.output_tokens, EXCLUDED.cache_read_tokens,
               EXCLUDED.cache_write_tokens, EXCLUDED.cost_usd_ticks, EXCLUDED.uncosted_input_tokens,
               EXCLUDED.uncosted_output_tokens, EXCLUDED.uncosted_cache_read_tokens,
               EXCLUDED.uncosted_cache_write_tokens, EXCLUDED.estimated_cost_ticks,
               EXCLUDED.unpriced_tokens, EXCLUDED.task_count, EXCLUDED.event_count)
        RETURNING 1
    ),
    -- The buckets left empty (EXCEPT hashes, and treats the null project as equal to itself).
    gone AS (
        SELECT bucket_date, workspace_id, agent_id, project_id, provider, model FROM buckets
        EXCEPT
        SELECT bucket_date, workspace_id, agent_id, project_id, provider, model FROM fresh
    ),
    removed AS (
        DELETE FROM task_usage_dashboard_daily AS d
        USING gone AS g
        WHERE d.bucket_date = g.bucket_date
            AND d.workspace_id = g.workspace_id
            AND d.agent_id = g.agent_id
            AND d.project_id IS NOT DISTINCT FROM g.project_id
            AND d.provider = g.provider
            AND d.model = g.model
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM upserted) + (SELECT count(*) FROM removed)
    INTO v_touched;
    RETURN v_touched;
END;
$$;
