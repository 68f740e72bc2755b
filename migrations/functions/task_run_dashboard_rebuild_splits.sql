-- Rebuilds the run prefixes of the given UTC days for the given workspaces (all when null): for
-- each registered quarter whose prefixes are kept on that day (filled_from on or before it), or
-- only p_quarter when given (a fill), the day's runs completed before that quarter hour, per
-- workspace and per project. One range of each day's runs up to its latest quarter; the keys'
-- old prefixes are deleted first. With no registered quarter it costs one probe of the registry.
CREATE OR REPLACE FUNCTION task_run_dashboard_rebuild_splits(
    p_workspaces uuid [], p_days date [], p_quarter int DEFAULT NULL
)
RETURNS void
LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_day date;
    v_start timestamptz;
    v_quarters int [];
BEGIN
    IF NOT EXISTS (
        SELECT 1
        FROM task_usage_dashboard_split AS s
        WHERE s.quarter = p_quarter
            OR (p_quarter IS NULL AND s.filled_from IS NOT NULL)
    ) THEN
        RETURN;
    END IF;
    FOR v_day IN
        SELECT DISTINCT u.day
        FROM unnest(p_days) AS u (day)
    LOOP
        v_quarters := ARRAY(
            SELECT s.quarter
            FROM task_usage_dashboard_split AS s
            WHERE s.quarter = p_quarter
                OR (p_quarter IS NULL AND s.filled_from <= v_day)
        );
        CONTINUE WHEN cardinality(v_quarters) = 0;
        v_start := v_day::timestamp AT TIME ZONE 'UTC';
        DELETE FROM task_run_dashboard_daily_split
        WHERE bucket_date = v_day
            AND quarter = ANY (v_quarters)
            AND (p_workspaces IS NULL OR workspace_id = ANY (p_workspaces));
        INSERT INTO task_run_dashboard_daily_split (
            workspace_id, project_id, bucket_date, quarter, failure_reason,
            finished_count, run_count, run_micros, cancelled_count
        )
        SELECT
            r.workspace_id,
            CASE
                WHEN GROUPING(r.project_id) = 1 THEN '00000000-0000-0000-0000-000000000000'::uuid
                ELSE r.project_id
            END,
            v_day,
            c.quarter,
            r.failure_reason,
            sum(r.finished_count),
            sum(r.run_count),
            sum(r.run_micros),
            sum(r.cancelled_count)
        FROM task_run_dashboard_run_sums(
            p_workspaces,
            v_start,
            v_start + INTERVAL '15 minutes' * (SELECT max(q) FROM unnest(v_quarters) AS q)
        ) AS r
        JOIN unnest(v_quarters) AS c (quarter)
            ON r.completed_at < v_start + c.quarter * INTERVAL '15 minutes'
        GROUP BY GROUPING SETS (
            (r.workspace_id, c.quarter, r.failure_reason),
            (r.workspace_id, r.project_id, c.quarter, r.failure_reason)
        )
        HAVING GROUPING(r.project_id) = 1
            OR r.project_id IS NOT NULL;
    END LOOP;
END;
$$;
