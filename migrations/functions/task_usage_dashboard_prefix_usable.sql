-- Whether the rollup's prefixes of UTC day p_day at quarter p_quarter can answer a part of that
-- day exactly in the caller's snapshot: the quarter is filled on that day, no key of the day is
-- queued (the rows would be stale: read raw, fresh), and no task whose provider is spelled two
-- ways has usage on it (the prefixes count its two rows of one bucket as two tasks). A plain SQL
-- body, so the calling statement inlines it.
CREATE OR REPLACE FUNCTION task_usage_dashboard_prefix_usable(p_day date, p_quarter int)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT EXISTS (
            SELECT 1
            FROM task_usage_dashboard_split AS s
            WHERE s.quarter = p_quarter
                AND s.filled_from <= p_day
        )
        AND NOT EXISTS (
            SELECT 1
            FROM task_usage_dashboard_dirty AS q
            WHERE q.bucket_date = p_day
        )
        AND NOT EXISTS (
            SELECT 1
            FROM task_usage_dashboard_respelled_task AS r
            JOIN task_usage AS u
                ON u.task_id = r.task_id
            WHERE u.created_at >= p_day::timestamp AT TIME ZONE 'UTC'
                AND u.created_at < (p_day + 1)::timestamp AT TIME ZONE 'UTC'
        );
$$;
