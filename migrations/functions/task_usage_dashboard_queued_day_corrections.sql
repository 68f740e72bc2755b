-- Corrections for the zone daily read (list_dashboard_usage_daily_zone_rollup) of the UTC days the
-- usage queue names, each split by one of the window's local midnights: p_days[i] split at
-- p_ats[i] (quarter p_quarters[i]), its head [D, M) owned by local date p_head_dates[i] and its
-- tail [M, D + 1) by p_tail_dates[i] (null: outside the window, or read raw). The owners were
-- stitched from the day's level and prefix rows, which are stale while it is queued. Its
-- correction for the whole day is known (task_usage_dashboard_pending_usage), so raw rows are read
-- for its shorter side only: the tail when M is at or after noon, else the head (a quarter of 0
-- is a head of no time). The other side is the whole day, level plus correction, minus that.
-- Each owner gets its exact part minus the stale part it was stitched with; both are sums of the
-- same level and prefix rows of this snapshot, so they cancel whatever the prefix holds:
--   owner of the side read: raw(side) - stale(side), where stale(head) = prefix and
--     stale(tail) = level - prefix;
--   the other owner: the day's correction - (raw(side) - stale(side)).
-- Every summed field is additive across those parts, as the stitching relies on. For Kolkata a
-- queued day costs its 5.5-hour tail of raw rows instead of the two local days it touches.
-- plpgsql, so a read with nothing queued plans none of it.
CREATE OR REPLACE FUNCTION task_usage_dashboard_queued_day_corrections(
    p_workspace_id uuid,
    p_project_id uuid,
    p_days date [],
    p_ats timestamptz [],
    p_quarters int [],
    p_head_dates date [],
    p_tail_dates date []
) RETURNS TABLE (
    date date,
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
LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
BEGIN
    IF cardinality(p_days) = 0 THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH owner AS (
        SELECT
            o.day,
            o.at,
            o.quarter,
            o.quarter >= 48 AS tail_read,
            o.head_date,
            o.tail_date
        FROM unnest(p_days, p_ats, p_quarters, p_head_dates, p_tail_dates)
            AS o (day, at, quarter, head_date, tail_date)
    ),
    side_read AS (
        SELECT *
        FROM task_usage_dashboard_local_usage(
            p_workspace_id,
            p_project_id,
            ARRAY(
                SELECT CASE WHEN tail_read THEN at ELSE day::timestamp AT TIME ZONE 'UTC' END
                FROM owner
                ORDER BY day
            ),
            ARRAY(
                SELECT CASE WHEN tail_read THEN (day + 1)::timestamp AT TIME ZONE 'UTC' ELSE at END
                FROM owner
                ORDER BY day
            ),
            ARRAY(SELECT day FROM owner ORDER BY day)
        )
    ),
    owner_level AS (
        SELECT l.*
        FROM owner AS o
        CROSS JOIN LATERAL task_usage_dashboard_daily_levels(
            p_workspace_id, p_project_id, o.day, o.day + 1
        ) AS l
        WHERE o.tail_read
    ),
    owner_pending AS (
        SELECT
            c.bucket_date,
            c.provider,
            c.model,
            sum(c.input_tokens) AS input_tokens,
            sum(c.output_tokens) AS output_tokens,
            sum(c.cache_read_tokens) AS cache_read_tokens,
            sum(c.cache_write_tokens) AS cache_write_tokens,
            sum(c.cost_usd_ticks) AS cost_usd_ticks,
            sum(c.uncosted_input_tokens) AS uncosted_input_tokens,
            sum(c.uncosted_output_tokens) AS uncosted_output_tokens,
            sum(c.uncosted_cache_read_tokens) AS uncosted_cache_read_tokens,
            sum(c.uncosted_cache_write_tokens) AS uncosted_cache_write_tokens,
            sum(c.estimated_cost_ticks) AS estimated_cost_ticks,
            sum(c.unpriced_tokens) AS unpriced_tokens,
            sum(c.task_count) AS task_count
        FROM task_usage_dashboard_pending_usage(
            p_workspace_id,
            (SELECT min(day) FROM owner),
            (SELECT max(day) + 1 FROM owner)
        ) AS c
        WHERE c.bucket_date = ANY (ARRAY(SELECT day FROM owner))
            AND (p_project_id IS NULL OR c.project_id = p_project_id)
        GROUP BY c.bucket_date, c.provider, c.model
    ),
    -- Every signed part, on the local date it corrects.
    correction_part AS (
        SELECT
            v.date,
            r.provider,
            r.model,
            v.sign * r.input_tokens AS input_tokens,
            v.sign * r.output_tokens AS output_tokens,
            v.sign * r.cache_read_tokens AS cache_read_tokens,
            v.sign * r.cache_write_tokens AS cache_write_tokens,
            v.sign * r.cost_usd_ticks AS cost_usd_ticks,
            v.sign * r.uncosted_input_tokens AS uncosted_input_tokens,
            v.sign * r.uncosted_output_tokens AS uncosted_output_tokens,
            v.sign * r.uncosted_cache_read_tokens AS uncosted_cache_read_tokens,
            v.sign * r.uncosted_cache_write_tokens AS uncosted_cache_write_tokens,
            v.sign * r.estimated_cost_ticks AS estimated_cost_ticks,
            v.sign * r.unpriced_tokens AS unpriced_tokens,
            v.sign * r.task_count AS task_count
        FROM side_read AS r
        JOIN owner AS o
            ON o.day = r.date
        CROSS JOIN LATERAL (
            VALUES
                (CASE WHEN o.tail_read THEN o.tail_date ELSE o.head_date END, 1),
                (CASE WHEN o.tail_read THEN o.head_date ELSE o.tail_date END, -1)
        ) AS v (date, sign)
        UNION ALL
        SELECT
            v.date,
            p.provider,
            p.model,
            v.sign * p.input_tokens AS input_tokens,
            v.sign * p.output_tokens AS output_tokens,
            v.sign * p.cache_read_tokens AS cache_read_tokens,
            v.sign * p.cache_write_tokens AS cache_write_tokens,
            v.sign * p.cost_usd_ticks AS cost_usd_ticks,
            v.sign * p.uncosted_input_tokens AS uncosted_input_tokens,
            v.sign * p.uncosted_output_tokens AS uncosted_output_tokens,
            v.sign * p.uncosted_cache_read_tokens AS uncosted_cache_read_tokens,
            v.sign * p.uncosted_cache_write_tokens AS uncosted_cache_write_tokens,
            v.sign * p.estimated_cost_ticks AS estimated_cost_ticks,
            v.sign * p.unpriced_tokens AS unpriced_tokens,
            v.sign * p.task_count AS task_count
        FROM task_usage_dashboard_daily_split_model AS p
        JOIN owner AS o
            ON o.day = p.bucket_date
            AND o.quarter = p.quarter
        CROSS JOIN LATERAL (VALUES (o.head_date, -1), (o.tail_date, 1)) AS v (date, sign)
        WHERE p.workspace_id = p_workspace_id
            AND p.project_id = coalesce(p_project_id, '00000000-0000-0000-0000-000000000000'::uuid)
        UNION ALL
        SELECT
            v.date,
            w.provider,
            w.model,
            v.sign * w.input_tokens AS input_tokens,
            v.sign * w.output_tokens AS output_tokens,
            v.sign * w.cache_read_tokens AS cache_read_tokens,
            v.sign * w.cache_write_tokens AS cache_write_tokens,
            v.sign * w.cost_usd_ticks AS cost_usd_ticks,
            v.sign * w.uncosted_input_tokens AS uncosted_input_tokens,
            v.sign * w.uncosted_output_tokens AS uncosted_output_tokens,
            v.sign * w.uncosted_cache_read_tokens AS uncosted_cache_read_tokens,
            v.sign * w.uncosted_cache_write_tokens AS uncosted_cache_write_tokens,
            v.sign * w.estimated_cost_ticks AS estimated_cost_ticks,
            v.sign * w.unpriced_tokens AS unpriced_tokens,
            v.sign * w.task_count AS task_count
        FROM owner_level AS w
        JOIN owner AS o
            ON o.day = w.bucket_date
        CROSS JOIN LATERAL (VALUES (o.tail_date, -1), (o.head_date, 1)) AS v (date, sign)
        UNION ALL
        SELECT
            v.date,
            c.provider,
            c.model,
            v.sign * c.input_tokens AS input_tokens,
            v.sign * c.output_tokens AS output_tokens,
            v.sign * c.cache_read_tokens AS cache_read_tokens,
            v.sign * c.cache_write_tokens AS cache_write_tokens,
            v.sign * c.cost_usd_ticks AS cost_usd_ticks,
            v.sign * c.uncosted_input_tokens AS uncosted_input_tokens,
            v.sign * c.uncosted_output_tokens AS uncosted_output_tokens,
            v.sign * c.uncosted_cache_read_tokens AS uncosted_cache_read_tokens,
            v.sign * c.uncosted_cache_write_tokens AS uncosted_cache_write_tokens,
            v.sign * c.estimated_cost_ticks AS estimated_cost_ticks,
            v.sign * c.unpriced_tokens AS unpriced_tokens,
            v.sign * c.task_count AS task_count
        FROM owner_pending AS c
        JOIN owner AS o
            ON o.day = c.bucket_date
        CROSS JOIN LATERAL (
            VALUES (CASE WHEN o.tail_read THEN o.head_date ELSE o.tail_date END, 1)
        ) AS v (date, sign)
    )
    SELECT
        x.date,
        x.provider,
        x.model,
        sum(x.input_tokens)::bigint,
        sum(x.output_tokens)::bigint,
        sum(x.cache_read_tokens)::bigint,
        sum(x.cache_write_tokens)::bigint,
        sum(x.cost_usd_ticks),
        sum(x.uncosted_input_tokens)::bigint,
        sum(x.uncosted_output_tokens)::bigint,
        sum(x.uncosted_cache_read_tokens)::bigint,
        sum(x.uncosted_cache_write_tokens)::bigint,
        sum(x.estimated_cost_ticks),
        sum(x.unpriced_tokens)::bigint,
        sum(x.task_count)::bigint
    FROM correction_part AS x
    WHERE x.date IS NOT NULL
    GROUP BY x.date, x.provider, x.model;
END;
$$;
