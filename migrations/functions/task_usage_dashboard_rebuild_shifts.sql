-- Rebuilds the shifted days touched by the given UTC days' prefixes: a shifted day (D, q) is
-- [D + q, D + 1 + q), the daily level of D minus its prefix at q plus the prefix of D + 1 at q,
-- per workspace and per project (task_usage_dashboard_shift_targets says which days). Summed
-- from rollup rows, never raw ones: a few hundred rows per day and quarter. Each summed field is
-- additive across the parts, task_count too (the prefixes count rows, and a day a task with a
-- provider spelled two ways has usage on is read raw, as for the prefixes).
CREATE OR REPLACE FUNCTION task_usage_dashboard_rebuild_shifts(p_days date [], p_quarter int DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
-- Planned with the real (day, quarter) pairs, a few dozen: a generic plan would guess a
-- thousand, and even with the real count it hashes every prefix rather than look a few dozen
-- (day, quarter) ranges up in the date indexes.
SET plan_cache_mode = force_custom_plan
SET enable_hashjoin = off
SET enable_mergejoin = off
SET work_mem = '64MB'
AS $$
DECLARE
    v_days date [];
    v_quarters int [];
BEGIN
    SELECT array_agg(t.bucket_date), array_agg(t.quarter)
    INTO v_days, v_quarters
    FROM task_usage_dashboard_shift_targets(p_days, p_quarter) AS t;
    IF v_days IS NULL THEN
        RETURN;
    END IF;
    WITH target AS (
        SELECT *
        FROM unnest(v_days, v_quarters) AS t (bucket_date, quarter)
    ),
    part AS (
        -- The whole UTC day, the workspace's (nil project) and each project's.
        SELECT
            w.workspace_id,
            '00000000-0000-0000-0000-000000000000'::uuid AS project_id,
            t.quarter,
            t.bucket_date,
            w.provider,
            w.model,
            w.input_tokens,
            w.output_tokens,
            w.cache_read_tokens,
            w.cache_write_tokens,
            w.cost_usd_ticks,
            w.uncosted_input_tokens,
            w.uncosted_output_tokens,
            w.uncosted_cache_read_tokens,
            w.uncosted_cache_write_tokens,
            w.estimated_cost_ticks,
            w.unpriced_tokens,
            w.task_count
        FROM target AS t
        JOIN task_usage_dashboard_daily_model AS w
            ON w.bucket_date = t.bucket_date
        UNION ALL
        SELECT
            w.workspace_id,
            w.project_id,
            t.quarter,
            t.bucket_date,
            w.provider,
            w.model,
            w.input_tokens,
            w.output_tokens,
            w.cache_read_tokens,
            w.cache_write_tokens,
            w.cost_usd_ticks,
            w.uncosted_input_tokens,
            w.uncosted_output_tokens,
            w.uncosted_cache_read_tokens,
            w.uncosted_cache_write_tokens,
            w.estimated_cost_ticks,
            w.unpriced_tokens,
            w.task_count
        FROM target AS t
        JOIN task_usage_dashboard_daily_project_model AS w
            ON w.bucket_date = t.bucket_date
        UNION ALL
        -- Minus what D held before q.
        SELECT
            p.workspace_id,
            p.project_id,
            t.quarter,
            t.bucket_date,
            p.provider,
            p.model,
            -p.input_tokens,
            -p.output_tokens,
            -p.cache_read_tokens,
            -p.cache_write_tokens,
            -p.cost_usd_ticks,
            -p.uncosted_input_tokens,
            -p.uncosted_output_tokens,
            -p.uncosted_cache_read_tokens,
            -p.uncosted_cache_write_tokens,
            -p.estimated_cost_ticks,
            -p.unpriced_tokens,
            -p.task_count
        FROM target AS t
        JOIN task_usage_dashboard_daily_split_model AS p
            ON p.bucket_date = t.bucket_date
            AND p.quarter = t.quarter
        UNION ALL
        -- Plus what D + 1 holds before q.
        SELECT
            p.workspace_id,
            p.project_id,
            t.quarter,
            t.bucket_date,
            p.provider,
            p.model,
            p.input_tokens,
            p.output_tokens,
            p.cache_read_tokens,
            p.cache_write_tokens,
            p.cost_usd_ticks,
            p.uncosted_input_tokens,
            p.uncosted_output_tokens,
            p.uncosted_cache_read_tokens,
            p.uncosted_cache_write_tokens,
            p.estimated_cost_ticks,
            p.unpriced_tokens,
            p.task_count
        FROM target AS t
        JOIN task_usage_dashboard_daily_split_model AS p
            ON p.bucket_date = t.bucket_date + 1
            AND p.quarter = t.quarter
    ),
    fresh AS (
        SELECT
            workspace_id,
            project_id,
            quarter,
            bucket_date,
            provider,
            model,
            sum(input_tokens)::bigint AS input_tokens,
            sum(output_tokens)::bigint AS output_tokens,
            sum(cache_read_tokens)::bigint AS cache_read_tokens,
            sum(cache_write_tokens)::bigint AS cache_write_tokens,
            sum(cost_usd_ticks) AS cost_usd_ticks,
            sum(uncosted_input_tokens)::bigint AS uncosted_input_tokens,
            sum(uncosted_output_tokens)::bigint AS uncosted_output_tokens,
            sum(uncosted_cache_read_tokens)::bigint AS uncosted_cache_read_tokens,
            sum(uncosted_cache_write_tokens)::bigint AS uncosted_cache_write_tokens,
            sum(estimated_cost_ticks) AS estimated_cost_ticks,
            sum(unpriced_tokens)::bigint AS unpriced_tokens,
            sum(task_count)::bigint AS task_count
        FROM part
        GROUP BY workspace_id, project_id, quarter, bucket_date, provider, model
        HAVING sum(task_count) > 0
    ),
    kept AS (
        SELECT
            l.workspace_id, l.project_id, l.quarter, l.bucket_date, l.provider, l.model,
            l.input_tokens, l.output_tokens, l.cache_read_tokens, l.cache_write_tokens,
            l.cost_usd_ticks, l.uncosted_input_tokens, l.uncosted_output_tokens,
            l.uncosted_cache_read_tokens, l.uncosted_cache_write_tokens, l.estimated_cost_ticks,
            l.unpriced_tokens, l.task_count
        FROM target AS t
        JOIN task_usage_dashboard_daily_shift_model AS l
            ON l.bucket_date = t.bucket_date
            AND l.quarter = t.quarter
    ),
    -- Only rows whose sums changed are written (a tick's writes touch a few workspaces, and
    -- comparing by hash costs less than an upsert's probe and row lock per unchanged row); rows
    -- no part backs any more are deleted.
    changed AS (
        SELECT *
        FROM fresh
        EXCEPT
        SELECT *
        FROM kept
    ),
    upserted AS (
        INSERT INTO task_usage_dashboard_daily_shift_model AS l (
            workspace_id, project_id, quarter, bucket_date, provider, model,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
            cost_usd_ticks, uncosted_input_tokens, uncosted_output_tokens,
            uncosted_cache_read_tokens, uncosted_cache_write_tokens, estimated_cost_ticks,
            unpriced_tokens, task_count
        )
        SELECT
            workspace_id, project_id, quarter, bucket_date, provider, model,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
            cost_usd_ticks, uncosted_input_tokens, uncosted_output_tokens,
            uncosted_cache_read_tokens, uncosted_cache_write_tokens, estimated_cost_ticks,
            unpriced_tokens, task_count
        FROM changed
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
    ),
    gone AS (
        SELECT workspace_id, project_id, quarter, bucket_date, provider, model
        FROM kept
        EXCEPT
        SELECT workspace_id, project_id, quarter, bucket_date, provider, model
        FROM fresh
    )
    DELETE FROM task_usage_dashboard_daily_shift_model AS l
    USING gone AS g
    WHERE l.workspace_id = g.workspace_id
        AND l.project_id = g.project_id
        AND l.quarter = g.quarter
        AND l.bucket_date = g.bucket_date
        AND l.provider = g.provider
        AND l.model = g.model;
END;
$$;
