-- The terminal runs of one workspace (and project, when given) per local day and failure reason,
-- with the four sums of the run rollup (migration 0009), exact in the caller's snapshot for any
-- zone. task_usage_dashboard_local_days places the local days of p_bounds on UTC days; a
-- stitchable one is its whole UTC day from the daily level, minus the first day's prefix, plus
-- the end day's prefix (task_run_dashboard_daily_split). A local day is read from raw tasks by
-- its own completed_at range instead when it is not stitchable or a UTC day it touches has a
-- queued key (so the read is exact at every instant).
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
    WITH placed AS (
        SELECT
            l.*,
            coalesce(p_project, '00000000-0000-0000-0000-000000000000'::uuid) AS project_key,
            l.stitchable
            AND NOT EXISTS (
                SELECT 1
                FROM task_run_dashboard_dirty AS q
                WHERE q.workspace_id = p_workspace
                    AND q.bucket_date >= l.first_day
                    AND q.bucket_date < l.after_day
            ) AS stitched
        FROM task_usage_dashboard_local_days(p_bounds) AS l
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
            FROM task_run_dashboard_fresh_runs(p_workspace, p_project, l.starts_at, l.ends_at)
            OFFSET 0
        ) AS r
        WHERE NOT l.stitched
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
