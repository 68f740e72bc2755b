-- The shifted days (UTC day, quarter) that rebuilding the prefixes of p_days changes: D and
-- D - 1, at every quarter filled on that day (a tick or backfill, p_quarter NULL) or at p_quarter
-- alone (a fill step, which has moved filled_from first; D + 1 of its newest day is filled
-- already, or past the newest usage). A plain SQL body, so the calling statement inlines it.
CREATE OR REPLACE FUNCTION task_usage_dashboard_shift_targets(p_days date [], p_quarter int)
RETURNS TABLE (bucket_date date, quarter int)
LANGUAGE sql STABLE
AS $$
    SELECT DISTINCT d.day, s.quarter
    FROM unnest(p_days) AS u (day)
    CROSS JOIN LATERAL (VALUES (u.day), (u.day - 1)) AS d (day)
    JOIN task_usage_dashboard_split AS s
        ON s.filled_from <= d.day
        AND (p_quarter IS NULL OR s.quarter = p_quarter);
$$;
