-- The terminal runs of one workspace (and project, when given) per local day and failure reason,
-- with the four sums of the run rollup (migration 0009), exact in the caller's snapshot for any
-- zone. p_bounds holds every local midnight of the window as instants (computed by the app with
-- zoneinfo); local day j is [p_bounds[j], p_bounds[j + 1]). Each falls on a quarter hour q of a
-- UTC day D, so local day [D_s + q_s, D_e + q_e) is the whole UTC day D_s (when D_e = D_s + 1)
-- from the daily level, minus the prefix of D_s before q_s, plus the prefix of D_e before q_e
-- (task_run_dashboard_daily_split at the registered quarters; quarter 0 is a UTC midnight and has
-- no prefix). A UTC viewer's day is just its whole UTC day. A local day is read from raw tasks by
-- its own completed_at range instead when a UTC day it touches has a queued key (so the read is
-- exact at every instant), when a prefix it needs is not filled on that day, or when it is not
-- made of quarter hours or holds two UTC midnights.
-- A plain SQL body, so the calling query inlines it with its own parameters.
CREATE OR REPLACE FUNCTION task_run_dashboard_local_runs(
    p_workspace uuid, p_project uuid, p_bounds timestamptz []
)
RETURNS TABLE (
    day_index int,
    failure_reason text,
    finished_count bigint,
    run_count bigint,
    run_micros bigint,
    cancelled_count bigint
)
LANGUAGE sql STABLE
AS $$
    WITH edge AS (
        SELECT
            e.j::int AS j,
            e.at,
            task_usage_dashboard_utc_day(e.at) AS day,
            extract(EPOCH FROM e.at - task_usage_dashboard_utc_day(e.at)::timestamp AT TIME ZONE 'UTC')
                AS seconds
        FROM unnest(p_bounds) WITH ORDINALITY AS e (at, j)
    ),
    local_day AS (
        SELECT
            s.j AS day_index,
            s.at AS starts_at,
            f.at AS ends_at,
            s.day AS first_day,
            (s.seconds / 900)::int AS first_quarter,
            f.day AS end_day,
            (f.seconds / 900)::int AS end_quarter,
            -- The UTC day after the last one the local day touches.
            CASE WHEN f.seconds = 0 THEN f.day ELSE f.day + 1 END AS after_day,
            mod(s.seconds, 900) = 0 AND mod(f.seconds, 900) = 0 AS on_quarters
        FROM edge AS s
        JOIN edge AS f
            ON f.j = s.j + 1
    ),
    placed AS (
        SELECT
            l.*,
            coalesce(p_project, '00000000-0000-0000-0000-000000000000'::uuid) AS project_key,
            l.on_quarters
            AND l.end_day - l.first_day <= 1
            AND (
                l.first_quarter = 0
                OR EXISTS (
                    SELECT 1
                    FROM task_usage_dashboard_split AS s
                    WHERE s.quarter = l.first_quarter
                        AND s.filled_from <= l.first_day
                )
            )
            AND (
                l.end_quarter = 0
                OR EXISTS (
                    SELECT 1
                    FROM task_usage_dashboard_split AS s
                    WHERE s.quarter = l.end_quarter
                        AND s.filled_from <= l.end_day
                )
            )
            AND NOT EXISTS (
                SELECT 1
                FROM task_run_dashboard_dirty AS q
                WHERE q.workspace_id = p_workspace
                    AND q.bucket_date >= l.first_day
                    AND q.bucket_date < l.after_day
            ) AS stitched
        FROM local_day AS l
    ),
    parts AS (
        -- The whole UTC day of a local day that crosses one UTC midnight (or is a UTC day).
        SELECT l.day_index, w.failure_reason, w.finished_count, w.run_count, w.run_micros,
            w.cancelled_count
        FROM placed AS l
        JOIN task_run_dashboard_daily AS w
            ON w.workspace_id = p_workspace
            AND w.project_id = l.project_key
            AND w.bucket_date = l.first_day
        WHERE l.stitched
            AND l.end_day = l.first_day + 1
        UNION ALL
        -- What the first UTC day held before the local day began.
        SELECT l.day_index, p.failure_reason, -p.finished_count, -p.run_count, -p.run_micros,
            -p.cancelled_count
        FROM placed AS l
        JOIN task_run_dashboard_daily_split AS p
            ON p.workspace_id = p_workspace
            AND p.project_id = l.project_key
            AND p.bucket_date = l.first_day
            AND p.quarter = l.first_quarter
        WHERE l.stitched
            AND l.first_quarter > 0
        UNION ALL
        -- What the end day holds before the local day ends.
        SELECT l.day_index, p.failure_reason, p.finished_count, p.run_count, p.run_micros,
            p.cancelled_count
        FROM placed AS l
        JOIN task_run_dashboard_daily_split AS p
            ON p.workspace_id = p_workspace
            AND p.project_id = l.project_key
            AND p.bucket_date = l.end_day
            AND p.quarter = l.end_quarter
        WHERE l.stitched
            AND l.end_quarter > 0
        UNION ALL
        SELECT l.day_index, r.failure_reason, r.finished_count, r.run_count, r.run_micros,
            r.cancelled_count
        FROM placed AS l
        -- OFFSET 0 keeps the subquery a per-day index scan, never one join over all tasks.
        CROSS JOIN LATERAL (
            SELECT *
            FROM task_run_dashboard_run_sums(ARRAY[p_workspace], l.starts_at, l.ends_at)
            OFFSET 0
        ) AS r
        WHERE NOT l.stitched
            AND (p_project IS NULL OR r.project_id = p_project)
    )
    SELECT
        p.day_index,
        p.failure_reason,
        sum(p.finished_count)::bigint,
        sum(p.run_count)::bigint,
        sum(p.run_micros)::bigint,
        sum(p.cancelled_count)::bigint
    FROM parts AS p
    GROUP BY p.day_index, p.failure_reason;
$$;
