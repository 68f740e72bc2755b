-- Rebuilds the UTC days [p_from, p_to) whole: buckets present in raw data are upserted (rows
-- whose sums did not change are left alone), buckets that recompute to nothing are deleted
-- (task_usage_created_at_idx between the days' UTC bounds: a day or two looks each row's task
-- and issue up by primary key, a backfill month hash-joins them). Cost is priced per distinct
-- (day, provider, model), a few hundred lookups a month, never per row. Then the per-task rows
-- of the days inside the per-task horizon, and the days' read levels (the caller rebuilds the
-- weeks and months). Returns base rows touched.
CREATE OR REPLACE FUNCTION task_usage_dashboard_rebuild_range(p_from date, p_to date) RETURNS bigint
LANGUAGE plpgsql
-- Plan every call with the real bounds: a generic plan guesses a third of the table for any
-- range and would hash-join every task and issue ever written even for one day.
SET plan_cache_mode = force_custom_plan
-- Room for a month's sort and its priced groups in memory (a backfill slice), not on disk.
SET work_mem = '64MB'
AS $$
DECLARE
    v_from timestamptz := p_from::timestamp AT TIME ZONE 'UTC';
    v_to timestamptz := p_to::timestamp AT TIME ZONE 'UTC';
    v_task_from date := greatest(p_from, task_usage_dashboard_task_level_from());
    v_touched bigint;
    -- No base row on these days yet (a first backfill): inserted plainly. An upsert's
    -- speculative insertion into the table's four indexes cost a sixth of a backfill month,
    -- for conflicts that cannot happen (every writer of these rows holds the rollup lock).
    v_empty boolean;
BEGIN
    v_empty := NOT EXISTS (
        SELECT 1
        FROM task_usage_dashboard_daily AS d
        WHERE d.bucket_date >= p_from
            AND d.bucket_date < p_to
    );
    WITH usage AS (
        SELECT
            task_usage_dashboard_utc_day(u.created_at) AS bucket_date,
            a.workspace_id,
            t.agent_id,
            i.project_id,
            lower(btrim(u.provider)) AS provider,
            u.model,
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
            count(DISTINCT u.task_id) AS task_count,
            count(*) AS event_count
        FROM task_usage AS u
        JOIN agent_task_queue AS t
            ON t.id = u.task_id
        JOIN agent AS a
            ON a.id = t.agent_id
        LEFT JOIN issue AS i
            ON i.id = t.issue_id
        WHERE u.created_at >= v_from
            AND u.created_at < v_to
        GROUP BY 1, a.workspace_id, t.agent_id, i.project_id, 5, u.model
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
    -- v_empty is a constant of the custom plan: one of these two inserts is planned away.
    inserted AS (
        INSERT INTO task_usage_dashboard_daily (
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
        WHERE v_empty
        RETURNING 1
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
        WHERE NOT v_empty
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
    removed AS (
        DELETE FROM task_usage_dashboard_daily AS d
        WHERE d.bucket_date >= p_from
            AND d.bucket_date < p_to
            -- coalesce, not IS NOT DISTINCT FROM, so the anti-join can hash (the nil UUID is
            -- never a project id: ids come from gen_random_uuid).
            AND NOT EXISTS (
                SELECT 1
                FROM fresh AS f
                WHERE f.bucket_date = d.bucket_date
                    AND f.workspace_id = d.workspace_id
                    AND f.agent_id = d.agent_id
                    AND coalesce(f.project_id, '00000000-0000-0000-0000-000000000000'::uuid)
                        = coalesce(d.project_id, '00000000-0000-0000-0000-000000000000'::uuid)
                    AND f.provider = d.provider
                    AND f.model = d.model
            )
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM inserted) + (SELECT count(*) FROM upserted) + (SELECT count(*) FROM removed)
    INTO v_touched;

    IF v_task_from < p_to THEN
        PERFORM task_usage_dashboard_rebuild_task_range(v_task_from, p_to);
    END IF;
    PERFORM task_usage_dashboard_rebuild_levels(
        ARRAY(SELECT generate_series(p_from, p_to - 1, INTERVAL '1 day')::date)
    );
    RETURN v_touched;
END;
$$;
