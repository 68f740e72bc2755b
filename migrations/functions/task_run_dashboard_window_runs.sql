-- The terminal runs of one workspace (and project, when given) completed in [p_since, p_until),
-- per (agent, failure reason), with the four sums of the run rollup (migration 0009): exact in
-- the caller's snapshot, for a window of any zone. The UTC days wholly inside the window come
-- from the rollup: whole months from the monthly agent level, the other days from the daily
-- agent level. What the rollup cannot answer is read from raw tasks by completed_at range
-- (agent_task_queue_terminal_completed_at_idx): the partial UTC days at the window's edges (a
-- viewer off UTC), and every day with a queued key (not rolled up yet, so the read is exact at
-- every instant), whose rolled-up rows are left out, or taken back out of their month. An edge
-- longer than half its day is read as its day's rolled-up rows less the rest of the day. A year is
-- about 12 months and 30 days of rows per agent and reason, plus what the queue holds.
-- A plain SQL body, so the calling query inlines it with its own parameters.
CREATE OR REPLACE FUNCTION task_run_dashboard_window_runs(
    p_workspace uuid, p_project uuid, p_since timestamptz, p_until timestamptz
)
RETURNS TABLE (
    agent_id uuid,
    failure_reason text,
    finished_count bigint,
    run_count bigint,
    run_micros bigint,
    cancelled_count bigint
)
LANGUAGE sql STABLE
AS $$
    WITH days AS (
        -- The first UTC midnight at or after p_since, and the last one at or before p_until
        -- (never before the first: a window inside one UTC day has no whole day).
        SELECT
            d.first_day,
            greatest(d.end_day, d.first_day) AS end_day
        FROM (
            SELECT
                task_usage_dashboard_utc_day(p_since - INTERVAL '1 microsecond') + 1 AS first_day,
                task_usage_dashboard_utc_day(p_until) AS end_day
        ) AS d
    ),
    span AS (
        -- The whole months inside the whole days, [month_from, month_to); none when empty.
        SELECT
            d.first_day,
            d.end_day,
            CASE WHEN m.month_from < m.month_to THEN m.month_from ELSE d.end_day END AS month_from,
            CASE WHEN m.month_from < m.month_to THEN m.month_to ELSE d.end_day END AS month_to,
            coalesce(p_project, '00000000-0000-0000-0000-000000000000'::uuid) AS project_key
        FROM days AS d
        CROSS JOIN LATERAL (
            SELECT
                (date_trunc('month', (d.first_day - 1)::timestamp) + INTERVAL '1 month')::date AS month_from,
                date_trunc('month', d.end_day::timestamp)::date AS month_to
        ) AS m
    ),
    queued AS (
        SELECT DISTINCT q.bucket_date
        FROM task_run_dashboard_dirty AS q
        CROSS JOIN span AS s
        WHERE q.workspace_id = p_workspace
            AND q.bucket_date >= s.first_day
            AND q.bucket_date < s.end_day
    ),
    -- The partial UTC days at the window's edges (a viewer off UTC), each in its own UTC day.
    edges AS (
        SELECT
            r.lo,
            r.hi,
            task_usage_dashboard_utc_day(r.lo) AS day
        FROM span AS s
        CROSS JOIN LATERAL (
            VALUES
                (p_since, least(s.first_day::timestamp AT TIME ZONE 'UTC', p_until)),
                (greatest(s.end_day::timestamp AT TIME ZONE 'UTC', p_since), p_until)
        ) AS r (lo, hi)
        WHERE r.lo < r.hi
    ),
    -- An edge longer than half its day, on a day with no queued key, is read as the day's
    -- rolled-up rows less the raw runs of the rest of the day: at most twelve hours of raw runs
    -- per edge, and none for the rest of today (the window's end in a zone east of UTC, or
    -- its start west of it, leaves most of a day that has not happened yet).
    flipped AS (
        SELECT
            e.lo,
            e.hi,
            e.day,
            e.hi - e.lo > INTERVAL '12 hours'
                AND NOT EXISTS (
                    SELECT 1
                    FROM task_run_dashboard_dirty AS q
                    WHERE q.workspace_id = p_workspace
                        AND q.bucket_date = e.day
                ) AS whole_less_rest
        FROM edges AS e
    ),
    raw_range AS (
        SELECT f.lo, f.hi, 1 AS sign
        FROM flipped AS f
        WHERE NOT f.whole_less_rest
        UNION ALL
        SELECT c.lo, c.hi, -1
        FROM flipped AS f
        CROSS JOIN LATERAL (
            VALUES
                (f.day::timestamp AT TIME ZONE 'UTC', f.lo),
                (f.hi, (f.day + 1)::timestamp AT TIME ZONE 'UTC')
        ) AS c (lo, hi)
        WHERE f.whole_less_rest
            AND c.lo < c.hi
        UNION ALL
        SELECT
            q.bucket_date::timestamp AT TIME ZONE 'UTC',
            (q.bucket_date + 1)::timestamp AT TIME ZONE 'UTC',
            1
        FROM queued AS q
    ),
    parts AS (
        SELECT m.agent_id, m.failure_reason, m.finished_count, m.run_count, m.run_micros,
            m.cancelled_count
        FROM task_run_dashboard_monthly_agent AS m
        CROSS JOIN span AS s
        WHERE m.workspace_id = p_workspace
            AND m.project_id = s.project_key
            AND m.bucket_month >= s.month_from
            AND m.bucket_month < s.month_to
        UNION ALL
        SELECT d.agent_id, d.failure_reason, d.finished_count, d.run_count, d.run_micros,
            d.cancelled_count
        FROM span AS s
        -- The days before the whole months and those after them: two ranges of the primary key,
        -- never one over the whole window, which would walk every day of the months too.
        CROSS JOIN LATERAL (
            VALUES (s.first_day, s.month_from), (s.month_to, s.end_day)
        ) AS r (lo, hi)
        JOIN task_run_dashboard_daily_agent AS d
            ON d.workspace_id = p_workspace
            AND d.project_id = s.project_key
            AND d.bucket_date >= r.lo
            AND d.bucket_date < r.hi
        WHERE d.bucket_date NOT IN (SELECT q.bucket_date FROM queued AS q)
        UNION ALL
        -- A queued day inside a whole month: its month row still holds its old rows.
        SELECT d.agent_id, d.failure_reason, -d.finished_count, -d.run_count, -d.run_micros,
            -d.cancelled_count
        FROM task_run_dashboard_daily_agent AS d
        JOIN queued AS q
            ON q.bucket_date = d.bucket_date
        CROSS JOIN span AS s
        WHERE d.workspace_id = p_workspace
            AND d.project_id = s.project_key
            AND d.bucket_date >= s.month_from
            AND d.bucket_date < s.month_to
        UNION ALL
        SELECT d.agent_id, d.failure_reason, d.finished_count, d.run_count, d.run_micros,
            d.cancelled_count
        FROM flipped AS f
        CROSS JOIN span AS s
        JOIN task_run_dashboard_daily_agent AS d
            ON d.workspace_id = p_workspace
            AND d.project_id = s.project_key
            AND d.bucket_date = f.day
        WHERE f.whole_less_rest
        UNION ALL
        SELECT r.agent_id, r.failure_reason, g.sign * r.finished_count, g.sign * r.run_count,
            g.sign * r.run_micros, g.sign * r.cancelled_count
        FROM raw_range AS g
        -- OFFSET 0 keeps the subquery a per-range index scan, never one join over all tasks.
        CROSS JOIN LATERAL (
            SELECT *
            FROM task_run_dashboard_fresh_runs(p_workspace, p_project, g.lo, g.hi)
            OFFSET 0
        ) AS r
    )
    SELECT
        p.agent_id,
        p.failure_reason,
        sum(p.finished_count)::bigint,
        sum(p.run_count)::bigint,
        sum(p.run_micros)::bigint,
        sum(p.cancelled_count)::bigint
    FROM parts AS p
    GROUP BY p.agent_id, p.failure_reason;
$$;
