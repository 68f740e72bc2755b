-- Rebuilds the prefixes of the given UTC days from raw rows: for each day and each registered
-- quarter whose prefixes are kept on that day (filled_from on or before it), or only p_quarter
-- when given (a fill), the day's usage created before that quarter hour, per workspace, per
-- project and per agent, priced at the day's version like the day's base rows. One range scan of each day's
-- rows up to its latest quarter (task_usage_created_at_idx); rows whose sums did not change are
-- left alone, prefixes that recompute to nothing are deleted; then the shifted days they change
-- (task_usage_dashboard_rebuild_shifts). Called wherever the daily levels
-- are rebuilt, so a tick or a backfill keeps them exact on the days it rebuilds; with no
-- registered quarter it costs one probe of the registry.
CREATE OR REPLACE FUNCTION task_usage_dashboard_rebuild_splits(p_days date [], p_quarter int DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
-- Planned with the real days: a generic plan would guess a third of task_usage for any range.
SET plan_cache_mode = force_custom_plan
SET work_mem = '64MB'
AS $$
DECLARE
    v_day date;
    v_start timestamptz;
    v_until timestamptz;
    v_horizon date := task_usage_dashboard_task_level_from();
    v_by_task boolean;
BEGIN
    IF NOT EXISTS (
        SELECT 1
        FROM task_usage_dashboard_split AS s
        WHERE s.quarter = p_quarter
            OR (p_quarter IS NULL AND s.filled_from IS NOT NULL)
    ) THEN
        RETURN;
    END IF;
    -- A statement per day, planned with its own bounds: one day's rows hash, where a plan for
    -- an unknown list of days guesses millions of rows and sorts them.
    FOR v_day IN
        SELECT DISTINCT u.day
        FROM unnest(p_days) AS u (day)
    LOOP
    v_start := v_day::timestamp AT TIME ZONE 'UTC';
    v_until := v_start + INTERVAL '15 minutes' * (
        SELECT max(s.quarter)
        FROM task_usage_dashboard_split AS s
        WHERE s.quarter = p_quarter
            OR (p_quarter IS NULL AND s.filled_from <= v_day)
    );
    CONTINUE WHEN v_until IS NULL;
    v_by_task := v_day >= v_horizon;
    WITH cut AS (
        SELECT
            v_day AS bucket_date,
            s.quarter,
            v_start + s.quarter * INTERVAL '15 minutes' AS cut_at
        FROM task_usage_dashboard_split AS s
        WHERE s.quarter = p_quarter
            OR (p_quarter IS NULL AND s.filled_from <= v_day)
    ),
    -- Constant bounds, so the plan reads the day's range by task_usage_created_at_idx.
    raw AS MATERIALIZED (
        SELECT
            u.task_id,
            lower(btrim(u.provider)) AS provider,
            u.model,
            u.created_at,
            u.input_tokens,
            u.output_tokens,
            u.cache_read_tokens,
            u.cache_write_tokens,
            u.cost_usd_ticks
        FROM task_usage AS u
        WHERE u.created_at >= v_start
            AND u.created_at < v_until
    ),
    -- Inside the per-task horizon each row is attributed through its task's per-task row of the
    -- day (one range of the day's rows, hashed): the tick rebuilds those rows just before, from
    -- the same keys, and a row whose key is still queued is rebuilt again when it drains. Older
    -- days look each row's task, agent and issue up by primary key, which costs several times
    -- more per row. v_by_task is a constant of the custom plan, so one branch is planned away.
    attributed AS (
        SELECT
            r.*,
            p.workspace_id,
            p.project_id,
            p.agent_id
        FROM raw AS r
        JOIN task_usage_dashboard_daily_task_model AS p
            ON p.bucket_date = v_day
            AND p.task_id = r.task_id
            AND p.provider = r.provider
            AND p.model = r.model
        WHERE v_by_task
        UNION ALL
        SELECT
            r.*,
            a.workspace_id,
            i.project_id,
            t.agent_id
        FROM raw AS r
        JOIN agent_task_queue AS t
            ON t.id = r.task_id
        JOIN agent AS a
            ON a.id = t.agent_id
        LEFT JOIN issue AS i
            ON i.id = t.issue_id
        WHERE NOT v_by_task
    ),
    usage AS (
        SELECT
            c.bucket_date,
            c.quarter,
            x.*
        FROM attributed AS x
        JOIN cut AS c
            ON x.created_at < c.cut_at
    ),
    -- The workspace's prefix, each project's (usage without a project only in the former), and
    -- each agent's in the workspace (by_agent).
    sums AS (
        SELECT
            GROUPING(agent_id) = 0 AS by_agent,
            workspace_id,
            CASE
                WHEN GROUPING(project_id) = 1 THEN '00000000-0000-0000-0000-000000000000'::uuid
                ELSE project_id
            END AS project_id,
            agent_id,
            bucket_date,
            quarter,
            provider,
            model,
            sum(input_tokens)::bigint AS input_tokens,
            sum(output_tokens)::bigint AS output_tokens,
            sum(cache_read_tokens)::bigint AS cache_read_tokens,
            sum(cache_write_tokens)::bigint AS cache_write_tokens,
            coalesce(sum(cost_usd_ticks) FILTER (WHERE cost_usd_ticks > 0), 0) AS cost_usd_ticks,
            coalesce(sum(input_tokens) FILTER (WHERE coalesce(cost_usd_ticks, 0) <= 0), 0)::bigint
                AS uncosted_input_tokens,
            coalesce(sum(output_tokens) FILTER (WHERE coalesce(cost_usd_ticks, 0) <= 0), 0)::bigint
                AS uncosted_output_tokens,
            coalesce(sum(cache_read_tokens) FILTER (WHERE coalesce(cost_usd_ticks, 0) <= 0), 0)::bigint
                AS uncosted_cache_read_tokens,
            coalesce(sum(cache_write_tokens) FILTER (WHERE coalesce(cost_usd_ticks, 0) <= 0), 0)::bigint
                AS uncosted_cache_write_tokens,
            -- Rows, not distinct tasks: each (task, provider, model) is one row at one instant,
            -- except for a task whose provider is spelled two ways, and the zone read takes every
            -- day such a task has usage on from raw rows, never from these prefixes. Counting
            -- rows lets the grouping sets hash instead of sorting every row.
            count(*) AS task_count
        FROM usage
        GROUP BY GROUPING SETS (
            (workspace_id, bucket_date, quarter, provider, model),
            (workspace_id, project_id, bucket_date, quarter, provider, model),
            (workspace_id, agent_id, bucket_date, quarter, provider, model)
        )
        HAVING GROUPING(project_id) = 1
            OR project_id IS NOT NULL
    ),
    -- Materialized: priced once per distinct (day, provider, model), never per row joined to it.
    prices AS MATERIALIZED (
        SELECT k.bucket_date, k.provider, k.model, p.price_key, p.input_ticks, p.output_ticks,
            p.cache_read_ticks, p.cache_write_ticks
        FROM (SELECT DISTINCT bucket_date, provider, model FROM sums) AS k
        LEFT JOIN LATERAL task_usage_dashboard_price_on(k.provider, k.model, k.bucket_date) AS p
            ON true
    ),
    fresh AS (
        SELECT
            s.*,
            task_usage_dashboard_estimated_ticks(
                s.uncosted_input_tokens, s.uncosted_output_tokens, s.uncosted_cache_read_tokens,
                s.uncosted_cache_write_tokens, p.input_ticks, p.output_ticks, p.cache_read_ticks,
                p.cache_write_ticks
            ) AS estimated_cost_ticks,
            CASE
                WHEN p.price_key IS NULL
                    THEN s.uncosted_input_tokens + s.uncosted_output_tokens
                        + s.uncosted_cache_read_tokens + s.uncosted_cache_write_tokens
                ELSE 0
            END AS unpriced_tokens
        FROM sums AS s
        JOIN prices AS p
            USING (bucket_date, provider, model)
    ),
    upserted AS (
        INSERT INTO task_usage_dashboard_daily_split_model AS l (
            workspace_id, project_id, bucket_date, quarter, provider, model,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
            cost_usd_ticks, uncosted_input_tokens, uncosted_output_tokens,
            uncosted_cache_read_tokens, uncosted_cache_write_tokens, estimated_cost_ticks,
            unpriced_tokens, task_count
        )
        SELECT
            workspace_id, project_id, bucket_date, quarter, provider, model,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
            cost_usd_ticks, uncosted_input_tokens, uncosted_output_tokens,
            uncosted_cache_read_tokens, uncosted_cache_write_tokens, estimated_cost_ticks,
            unpriced_tokens, task_count
        FROM fresh
        WHERE NOT by_agent
        ON CONFLICT (workspace_id, project_id, bucket_date, quarter, provider, model) DO UPDATE
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
        WHERE (l.input_tokens, l.output_tokens, l.cache_read_tokens, l.cache_write_tokens,
               l.cost_usd_ticks, l.uncosted_input_tokens, l.uncosted_output_tokens,
               l.uncosted_cache_read_tokens, l.uncosted_cache_write_tokens, l.estimated_cost_ticks,
               l.unpriced_tokens, l.task_count)
            IS DISTINCT FROM
              (EXCLUDED.input_tokens, EXCLUDED.output_tokens, EXCLUDED.cache_read_tokens,
               EXCLUDED.cache_write_tokens, EXCLUDED.cost_usd_ticks, EXCLUDED.uncosted_input_tokens,
               EXCLUDED.uncosted_output_tokens, EXCLUDED.uncosted_cache_read_tokens,
               EXCLUDED.uncosted_cache_write_tokens, EXCLUDED.estimated_cost_ticks,
               EXCLUDED.unpriced_tokens, EXCLUDED.task_count)
    ),
    gone AS (
        SELECT l.workspace_id, l.project_id, l.bucket_date, l.quarter, l.provider, l.model
        FROM task_usage_dashboard_daily_split_model AS l
        WHERE l.bucket_date = v_day
            AND l.quarter IN (SELECT c.quarter FROM cut AS c)
        EXCEPT
        SELECT workspace_id, project_id, bucket_date, quarter, provider, model
        FROM fresh
        WHERE NOT by_agent
    ),
    agent_upserted AS (
        INSERT INTO task_usage_dashboard_daily_split_agent_model AS l (
            workspace_id, bucket_date, quarter, agent_id, provider, model,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
            cost_usd_ticks, uncosted_input_tokens, uncosted_output_tokens,
            uncosted_cache_read_tokens, uncosted_cache_write_tokens, estimated_cost_ticks,
            unpriced_tokens, task_count
        )
        SELECT
            workspace_id, bucket_date, quarter, agent_id, provider, model,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
            cost_usd_ticks, uncosted_input_tokens, uncosted_output_tokens,
            uncosted_cache_read_tokens, uncosted_cache_write_tokens, estimated_cost_ticks,
            unpriced_tokens, task_count
        FROM fresh
        WHERE by_agent
        ON CONFLICT (workspace_id, bucket_date, quarter, agent_id, provider, model) DO UPDATE
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
        WHERE (l.input_tokens, l.output_tokens, l.cache_read_tokens, l.cache_write_tokens,
               l.cost_usd_ticks, l.uncosted_input_tokens, l.uncosted_output_tokens,
               l.uncosted_cache_read_tokens, l.uncosted_cache_write_tokens, l.estimated_cost_ticks,
               l.unpriced_tokens, l.task_count)
            IS DISTINCT FROM
              (EXCLUDED.input_tokens, EXCLUDED.output_tokens, EXCLUDED.cache_read_tokens,
               EXCLUDED.cache_write_tokens, EXCLUDED.cost_usd_ticks, EXCLUDED.uncosted_input_tokens,
               EXCLUDED.uncosted_output_tokens, EXCLUDED.uncosted_cache_read_tokens,
               EXCLUDED.uncosted_cache_write_tokens, EXCLUDED.estimated_cost_ticks,
               EXCLUDED.unpriced_tokens, EXCLUDED.task_count)
    ),
    agent_gone AS (
        SELECT l.workspace_id, l.bucket_date, l.quarter, l.agent_id, l.provider, l.model
        FROM task_usage_dashboard_daily_split_agent_model AS l
        WHERE l.bucket_date = v_day
            AND l.quarter IN (SELECT c.quarter FROM cut AS c)
        EXCEPT
        SELECT workspace_id, bucket_date, quarter, agent_id, provider, model
        FROM fresh
        WHERE by_agent
    ),
    -- Run whether or not the statement below reads it, as every data-modifying CTE is.
    agent_deleted AS (
        DELETE FROM task_usage_dashboard_daily_split_agent_model AS l
        USING agent_gone AS g
        WHERE l.workspace_id = g.workspace_id
            AND l.bucket_date = g.bucket_date
            AND l.quarter = g.quarter
            AND l.agent_id = g.agent_id
            AND l.provider = g.provider
            AND l.model = g.model
    )
    DELETE FROM task_usage_dashboard_daily_split_model AS l
    USING gone AS g
    WHERE l.workspace_id = g.workspace_id
        AND l.project_id = g.project_id
        AND l.bucket_date = g.bucket_date
        AND l.quarter = g.quarter
        AND l.provider = g.provider
        AND l.model = g.model;
    END LOOP;
    PERFORM task_usage_dashboard_rebuild_shifts(p_days, p_quarter);
END;
$$;
