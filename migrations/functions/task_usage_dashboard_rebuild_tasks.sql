-- Rebuilds the per-task rows of the given (day, task) keys from raw rows: each task's usage
-- between the day's UTC bounds (task_usage_task_id_idx), attributed through its task, agent and
-- issue by primary key, priced per distinct (day, provider, model). Then re-sums the buckets
-- whose rows changed: the new bucket of every row written and the old bucket of every row
-- replaced or removed (a task moved to another issue, project or agent leaves one bucket and
-- enters another). Returns base rows touched.
CREATE OR REPLACE FUNCTION task_usage_dashboard_rebuild_tasks(p_days date [], p_tasks uuid []) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_days date [];
    v_workspaces uuid [];
    v_agents uuid [];
    v_projects uuid [];
    v_providers text [];
    v_models text [];
BEGIN
    WITH dirty AS (
        SELECT DISTINCT bucket_date, task_id
        FROM unnest(p_days, p_tasks) AS k (bucket_date, task_id)
    ),
    usage AS (
        SELECT
            k.bucket_date,
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
        FROM dirty AS k
        JOIN task_usage AS u
            ON u.task_id = k.task_id
            AND u.created_at >= k.bucket_date::timestamp AT TIME ZONE 'UTC'
            AND u.created_at < (k.bucket_date + 1)::timestamp AT TIME ZONE 'UTC'
        JOIN agent_task_queue AS t
            ON t.id = u.task_id
        JOIN agent AS a
            ON a.id = t.agent_id
        LEFT JOIN issue AS i
            ON i.id = t.issue_id
        GROUP BY k.bucket_date, u.task_id, 3, u.model, a.workspace_id, t.agent_id, i.project_id
    ),
    -- Materialized: priced once per distinct (day, provider, model), never per row joined to it.
    prices AS MATERIALIZED (
        SELECT k.bucket_date, k.provider, k.model, p.price_key, p.input_ticks, p.output_ticks,
            p.cache_read_ticks, p.cache_write_ticks
        FROM (SELECT DISTINCT bucket_date, provider, model FROM usage) AS k
        LEFT JOIN LATERAL task_usage_dashboard_price_on(k.provider, k.model, k.bucket_date) AS p
            ON true
    ),
    fresh AS (
        SELECT
            u.*,
            task_usage_dashboard_estimated_ticks(
                u.uncosted_input_tokens, u.uncosted_output_tokens, u.uncosted_cache_read_tokens,
                u.uncosted_cache_write_tokens, p.input_ticks, p.output_ticks, p.cache_read_ticks,
                p.cache_write_ticks
            ) AS estimated_cost_ticks,
            CASE
                WHEN p.price_key IS NULL
                    THEN u.uncosted_input_tokens + u.uncosted_output_tokens
                        + u.uncosted_cache_read_tokens + u.uncosted_cache_write_tokens
                ELSE 0
            END AS unpriced_tokens
        FROM usage AS u
        JOIN prices AS p
            USING (bucket_date, provider, model)
    ),
    stored AS (
        SELECT p.*
        FROM dirty AS k
        JOIN task_usage_dashboard_daily_task_model AS p
            ON p.bucket_date = k.bucket_date
            AND p.task_id = k.task_id
    ),
    upserted AS (
        INSERT INTO task_usage_dashboard_daily_task_model AS p (
            bucket_date, task_id, provider, model, workspace_id, agent_id, project_id,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
            cost_usd_ticks, uncosted_input_tokens, uncosted_output_tokens,
            uncosted_cache_read_tokens, uncosted_cache_write_tokens, estimated_cost_ticks,
            unpriced_tokens, event_count
        )
        SELECT
            bucket_date, task_id, provider, model, workspace_id, agent_id, project_id,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
            cost_usd_ticks, uncosted_input_tokens, uncosted_output_tokens,
            uncosted_cache_read_tokens, uncosted_cache_write_tokens, estimated_cost_ticks,
            unpriced_tokens, event_count
        FROM fresh
        ON CONFLICT (bucket_date, task_id, provider, model) DO UPDATE
        SET workspace_id = EXCLUDED.workspace_id,
            agent_id = EXCLUDED.agent_id,
            project_id = EXCLUDED.project_id,
            input_tokens = EXCLUDED.input_tokens,
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
            event_count = EXCLUDED.event_count
        WHERE p IS DISTINCT FROM EXCLUDED
        RETURNING p.bucket_date, p.task_id, p.provider, p.model, p.workspace_id, p.agent_id, p.project_id
    ),
    -- EXCEPT, not NOT EXISTS: it hashes, where an anti-join against a CTE the planner guesses
    -- at one row is run as a nested loop over every pair.
    gone AS (
        SELECT bucket_date, task_id, provider, model FROM stored
        EXCEPT
        SELECT bucket_date, task_id, provider, model FROM fresh
    ),
    removed AS (
        DELETE FROM task_usage_dashboard_daily_task_model AS p
        USING gone AS g
        WHERE p.bucket_date = g.bucket_date
            AND p.task_id = g.task_id
            AND p.provider = g.provider
            AND p.model = g.model
        RETURNING p.bucket_date, p.task_id, p.provider, p.model
    ),
    changed AS (
        SELECT bucket_date, task_id, provider, model FROM upserted
        UNION ALL
        SELECT bucket_date, task_id, provider, model FROM removed
    ),
    buckets AS (
        SELECT bucket_date, workspace_id, agent_id, project_id, provider, model
        FROM upserted
        UNION
        SELECT s.bucket_date, s.workspace_id, s.agent_id, s.project_id, s.provider, s.model
        FROM stored AS s
        JOIN changed AS c
            ON c.bucket_date = s.bucket_date
            AND c.task_id = s.task_id
            AND c.provider = s.provider
            AND c.model = s.model
    )
    SELECT
        array_agg(bucket_date),
        array_agg(workspace_id),
        array_agg(agent_id),
        array_agg(project_id),
        array_agg(provider),
        array_agg(model)
    INTO v_days, v_workspaces, v_agents, v_projects, v_providers, v_models
    FROM buckets;
    IF v_days IS NULL THEN
        RETURN 0;
    END IF;
    -- A separate statement: it must see the rows the statement above wrote.
    RETURN task_usage_dashboard_resum_buckets(
        v_days, v_workspaces, v_agents, v_projects, v_providers, v_models
    );
END;
$$;
