-- The local days of a window, placed on the rollups' UTC days: both rollups stitch a local day
-- from the same parts, so where it falls and whether the parts can answer it is decided here
-- once. p_bounds holds every local midnight of the window as instants (computed by the app with
-- zoneinfo); local day j is [p_bounds[j], p_bounds[j + 1]). Each midnight falls on a quarter
-- hour q of a UTC day D, so local day [D_s + q_s, D_e + q_e) is the whole UTC day D_s (when
-- D_e = D_s + 1), minus the prefix of D_s before q_s, plus the prefix of D_e before q_e (quarter
-- 0 is a UTC midnight and has no prefix). `stitchable` says the parts exist: both midnights on
-- quarter hours, at most one UTC midnight inside (a 25-hour day of a zone near UTC can hold
-- two), and both prefixes filled on their days in task_usage_dashboard_split. Each caller adds
-- its own queue's check (a queued day is read raw, fresh).
-- A plain SQL body, so the calling query inlines it with its own parameters.
CREATE OR REPLACE FUNCTION task_usage_dashboard_local_days(p_bounds timestamptz [])
RETURNS TABLE (
    day_index int,
    starts_at timestamptz,
    ends_at timestamptz,
    first_day date,
    first_quarter int,
    end_day date,
    end_quarter int,
    after_day date,
    stitchable boolean
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
    )
    SELECT
        l.day_index,
        l.starts_at,
        l.ends_at,
        l.first_day,
        l.first_quarter,
        l.end_day,
        l.end_quarter,
        l.after_day,
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
    FROM local_day AS l;
$$;
