-- name: list_dashboard_usage_daily_rollup(workspace_id, since_date, until_date, project_id)
-- ListDashboardUsageDaily from the rollup: same rows and order as the raw query, in the same
-- snapshot, cost inputs included (each level row was priced at its day's version when rebuilt),
-- ticks as text like the raw query's.
-- Level rows are one per (UTC date, provider, model): task_usage_dashboard_daily_model for the
-- whole workspace, task_usage_dashboard_daily_project_model for one project, each read by its
-- primary key (workspace[, project], date), so a year is at most 365 x models rows
-- (task_usage_dashboard_daily_levels reads the one the filter asks for). The corrections for
-- what the queue holds (task_usage_dashboard_pending_usage, usually none) are summed per row key and
-- added to the level rows by a full join, so the level rows themselves are never regrouped; a
-- row they empty (task_count 0: no usage row left) is dropped. task_count is exact: the levels
-- sum per-bucket distinct counts, and a task has one agent and one project.
-- The body is the PL/pgSQL function task_usage_dashboard_daily_rows, planned once per server
-- connection: this is the dashboard's commonest read, and its parse and plan cost more than its run.
SELECT
    d.date,
    d.provider,
    d.model,
    d.input_tokens,
    d.output_tokens,
    d.cache_read_tokens,
    d.cache_write_tokens,
    d.cost_usd_ticks,
    d.uncosted_input_tokens,
    d.uncosted_output_tokens,
    d.uncosted_cache_read_tokens,
    d.uncosted_cache_write_tokens,
    d.estimated_cost_ticks,
    d.unpriced_tokens,
    d.task_count
FROM task_usage_dashboard_daily_rows(
    :workspace_id,
    :since_date,
    :until_date,
    CAST(:project_id AS uuid)
) AS d
ORDER BY date DESC, provider ASC, model ASC;

-- name: list_dashboard_usage_daily_zone_rollup(workspace_id, project_id, bounds, first_date, since_day, until_day, quarters)
-- ListDashboardUsageDaily from the rollup for a viewer off UTC: same rows and order as the raw
-- query, in the same snapshot. bounds holds every local midnight of the window, as instants the
-- app computed with zoneinfo; each falls on a quarter hour q of a UTC day D (quarters lists them),
-- and since_day / until_day are the UTC days of the first and last. task_usage_dashboard_local_days
-- places them: local day [D_s + q_s, D_e + q_e) is the whole UTC day D_s (when D_e = D_s + 1) from
-- the daily workspace or project level, minus the prefix of D_s before q_s, plus the prefix of D_e
-- before q_e (task_usage_dashboard_daily_split_model; a quarter of 0 is a UTC midnight and has no
-- prefix). When q_s = q_e and D_e = D_s + 1 (every day of a zone without DST, all but two a
-- year of one with DST) that sum is kept whole as the shifted day (D_s, q_s)
-- (task_usage_dashboard_daily_shift_model), so a year reads 365 x models shifted rows, as a UTC
-- year reads the level, and stitches only its DST days from parts. Each day's rows are a lookup
-- of (day, quarter) in that table's primary key, which covers the sums: an index-only scan of
-- that day's own quarter (a zone with DST has two quarters a year).
-- Every summed field, task_count included, is additive across those parts: a task's usage of
-- one (provider, model) is one row at one instant. A UTC day the queue names (the rollup does
-- not hold it yet) is corrected on the stitched days it touches, which are stitched from parts
-- then, never shifted, so the read is exact at every instant: its one local midnight splits it
-- into a head and a tail, the shorter read from raw rows and the other derived from the day's
-- own correction (task_usage_dashboard_queued_day_corrections). A local day is read from raw rows
-- instead (task_usage_dashboard_local_usage, by its own created_at range) when a queued UTC day
-- it touches holds two of the window's midnights, when a prefix it needs is not filled on that
-- day, when a task whose provider is spelled two ways has usage on such a day (two rows of one
-- bucket, which the parts would count twice), or when it holds two UTC midnights (a 25-hour day
-- of a zone whose midnight is near UTC's, once a year). Ticks leave as text, as the raw query's do.
WITH local_day AS (
    SELECT
        CAST(:first_date AS date) + (l.day_index - 1) AS date,
        l.*
    FROM task_usage_dashboard_local_days(CAST(:bounds AS timestamptz[])) AS l
),
-- UTC days on which a task with a respelled provider has usage (usually none). Materialized so
-- it is computed once: inlined into placed's NOT EXISTS, the planner could run it once per local
-- day, each a scan of the whole window's usage (2.6 s for a year of the demo's data in Kolkata).
respelled_day AS MATERIALIZED (
    SELECT DISTINCT task_usage_dashboard_utc_day(u.created_at) AS day
    FROM task_usage_dashboard_respelled_task AS r
    JOIN task_usage AS u
        ON u.task_id = r.task_id
    WHERE u.created_at >= (SELECT min(first_day) FROM local_day)::timestamp AT TIME ZONE 'UTC'
        AND u.created_at < (SELECT max(after_day) FROM local_day)::timestamp AT TIME ZONE 'UTC'
),
-- The UTC days the usage queue names (usually none), each with the window's local midnights on
-- it: a day with one midnight is split by it into a head and a tail, each owned by one local day.
queued_day AS MATERIALIZED (
    SELECT
        d.day,
        count(m.at) AS midnights,
        min(m.at) AS at,
        min(m.quarter) AS quarter
    FROM (
        SELECT DISTINCT q.bucket_date AS day
        FROM task_usage_dashboard_dirty AS q
        WHERE q.bucket_date >= (SELECT min(first_day) FROM local_day)
            AND q.bucket_date < (SELECT max(after_day) FROM local_day)
    ) AS d
    LEFT JOIN (
        SELECT l.starts_at AS at, l.first_day AS day, l.first_quarter AS quarter
        FROM local_day AS l
        UNION ALL
        SELECT l.ends_at, l.end_day, l.end_quarter
        FROM local_day AS l
        WHERE l.day_index = (SELECT max(day_index) FROM local_day)
    ) AS m
        ON m.day = d.day
    GROUP BY d.day
),
placed AS (
    SELECT
        l.*,
        l.stitchable
        AND NOT EXISTS (
            SELECT 1
            FROM queued_day AS q
            WHERE q.day >= l.first_day
                AND q.day < l.after_day
                AND q.midnights <> 1
        )
        AND NOT EXISTS (
            SELECT 1
            FROM respelled_day AS r
            WHERE r.day >= l.first_day
                AND r.day < l.after_day
        ) AS stitched,
        EXISTS (
            SELECT 1
            FROM queued_day AS q
            WHERE q.day >= l.first_day
                AND q.day < l.after_day
        ) AS queued
    FROM local_day AS l
),
-- Each local day read as a shifted day or from parts: a stitched day whose midnights fall on one
-- quarter of consecutive UTC days is kept whole (every day of a zone without DST), one row per
-- model instead of three parts.
classified AS (
    SELECT
        l.*,
        l.stitched
        AND NOT l.queued
        AND l.first_quarter > 0
        AND l.first_quarter = l.end_quarter
        AND l.end_day = l.first_day + 1 AS shifted
    FROM placed AS l
),
shifted AS (
    SELECT
        l.date,
        m.provider,
        m.model,
        m.input_tokens,
        m.output_tokens,
        m.cache_read_tokens,
        m.cache_write_tokens,
        m.cost_usd_ticks,
        m.uncosted_input_tokens,
        m.uncosted_output_tokens,
        m.uncosted_cache_read_tokens,
        m.uncosted_cache_write_tokens,
        m.estimated_cost_ticks,
        m.unpriced_tokens,
        m.task_count
    FROM task_usage_dashboard_daily_shift_model AS m
    JOIN classified AS l
        ON l.first_day = m.bucket_date
        AND l.first_quarter = m.quarter
    WHERE m.workspace_id = :workspace_id
        AND m.project_id = coalesce(CAST(:project_id AS uuid), '00000000-0000-0000-0000-000000000000'::uuid)
        AND m.quarter = ANY (CAST(:quarters AS int[]))
        AND m.bucket_date >= :since_day
        AND m.bucket_date <= :until_day
        AND l.shifted
),
-- The whole UTC day of each local day stitched from parts (the day before its end day; none when
-- the local day lies inside one UTC day), looked up by primary key: a few days a year.
whole AS (
    SELECT
        l.date,
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
    FROM task_usage_dashboard_daily_model AS w
    JOIN classified AS l
        ON l.first_day = w.bucket_date
        AND l.end_day = w.bucket_date + 1
    WHERE CAST(:project_id AS uuid) IS NULL
        AND w.workspace_id = :workspace_id
        AND w.bucket_date = ANY (ARRAY(SELECT first_day FROM classified WHERE stitched AND NOT shifted))
        AND l.stitched
        AND NOT l.shifted
    UNION ALL
    SELECT
        l.date,
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
    FROM task_usage_dashboard_daily_project_model AS w
    JOIN classified AS l
        ON l.first_day = w.bucket_date
        AND l.end_day = w.bucket_date + 1
    WHERE w.workspace_id = :workspace_id
        AND w.project_id = CAST(:project_id AS uuid)
        AND w.bucket_date = ANY (ARRAY(SELECT first_day FROM classified WHERE stitched AND NOT shifted))
        AND l.stitched
        AND NOT l.shifted
),
-- The prefixes of the days stitched from parts, at the window's own quarters (not every zone's),
-- by primary key; materialized, so they are hashed once for both edges, and a table a tick has
-- just filled (no statistics yet) cannot turn the join into a scan of every prefix per local day.
prefix AS MATERIALIZED (
    SELECT *
    FROM task_usage_dashboard_daily_split_model AS p
    WHERE p.workspace_id = :workspace_id
        AND p.project_id = coalesce(CAST(:project_id AS uuid), '00000000-0000-0000-0000-000000000000'::uuid)
        AND p.bucket_date = ANY (ARRAY(
            SELECT first_day FROM classified WHERE stitched AND NOT shifted
            UNION
            SELECT end_day FROM classified WHERE stitched AND NOT shifted
        ))
        AND p.quarter = ANY (CAST(:quarters AS int[]))
),
-- What the first UTC day held before the local day began.
before_start AS (
    SELECT
        l.date,
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
    FROM classified AS l
    JOIN prefix AS p
        ON p.bucket_date = l.first_day
        AND p.quarter = l.first_quarter
    WHERE l.stitched
        AND NOT l.shifted
),
-- What the end day holds before the local day ends.
before_end AS (
    SELECT
        l.date,
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
    FROM classified AS l
    JOIN prefix AS p
        ON p.bucket_date = l.end_day
        AND p.quarter = l.end_quarter
    WHERE l.stitched
        AND NOT l.shifted
),
-- Each queued UTC day split by one of the window's midnights, with the local days that own its
-- head (before the midnight) and its tail (from it): stitched days, whose parts of that day are
-- stale; task_usage_dashboard_queued_day_corrections returns what to add to each of them. A side
-- whose owner is outside the window or read raw is left out.
owner AS (
    SELECT
        q.day,
        q.at,
        q.quarter,
        h.date AS head_date,
        t.date AS tail_date
    FROM queued_day AS q
    LEFT JOIN classified AS h
        ON h.ends_at = q.at
        AND h.stitched
        AND h.queued
    LEFT JOIN classified AS t
        ON t.starts_at = q.at
        AND t.stitched
        AND t.queued
    WHERE q.midnights = 1
        AND (h.date IS NOT NULL OR t.date IS NOT NULL)
),
corrections AS (
    SELECT *
    FROM task_usage_dashboard_queued_day_corrections(
        :workspace_id,
        CAST(:project_id AS uuid),
        ARRAY(SELECT day FROM owner ORDER BY day),
        ARRAY(SELECT at FROM owner ORDER BY day),
        ARRAY(SELECT quarter FROM owner ORDER BY day),
        ARRAY(SELECT head_date FROM owner ORDER BY day),
        ARRAY(SELECT tail_date FROM owner ORDER BY day)
    )
),
parts AS (
    -- Each stitched day's parts have at most one row per (local date, provider, model), so they
    -- are joined one to one and nothing is regrouped. Corrections land on queued days only, which
    -- are never shifted, so the shifted rows (nearly all of a year) are not joined at all.
    SELECT
        date,
        provider,
        model,
        coalesce(w.input_tokens, 0) - coalesce(s.input_tokens, 0) + coalesce(h.input_tokens, 0) + coalesce(c.input_tokens, 0) AS input_tokens,
        coalesce(w.output_tokens, 0) - coalesce(s.output_tokens, 0) + coalesce(h.output_tokens, 0) + coalesce(c.output_tokens, 0) AS output_tokens,
        coalesce(w.cache_read_tokens, 0) - coalesce(s.cache_read_tokens, 0) + coalesce(h.cache_read_tokens, 0) + coalesce(c.cache_read_tokens, 0) AS cache_read_tokens,
        coalesce(w.cache_write_tokens, 0) - coalesce(s.cache_write_tokens, 0) + coalesce(h.cache_write_tokens, 0) + coalesce(c.cache_write_tokens, 0) AS cache_write_tokens,
        coalesce(w.cost_usd_ticks, 0) - coalesce(s.cost_usd_ticks, 0) + coalesce(h.cost_usd_ticks, 0) + coalesce(c.cost_usd_ticks, 0) AS cost_usd_ticks,
        coalesce(w.uncosted_input_tokens, 0) - coalesce(s.uncosted_input_tokens, 0) + coalesce(h.uncosted_input_tokens, 0) + coalesce(c.uncosted_input_tokens, 0) AS uncosted_input_tokens,
        coalesce(w.uncosted_output_tokens, 0) - coalesce(s.uncosted_output_tokens, 0) + coalesce(h.uncosted_output_tokens, 0) + coalesce(c.uncosted_output_tokens, 0) AS uncosted_output_tokens,
        coalesce(w.uncosted_cache_read_tokens, 0) - coalesce(s.uncosted_cache_read_tokens, 0) + coalesce(h.uncosted_cache_read_tokens, 0) + coalesce(c.uncosted_cache_read_tokens, 0) AS uncosted_cache_read_tokens,
        coalesce(w.uncosted_cache_write_tokens, 0) - coalesce(s.uncosted_cache_write_tokens, 0) + coalesce(h.uncosted_cache_write_tokens, 0) + coalesce(c.uncosted_cache_write_tokens, 0) AS uncosted_cache_write_tokens,
        coalesce(w.estimated_cost_ticks, 0) - coalesce(s.estimated_cost_ticks, 0) + coalesce(h.estimated_cost_ticks, 0) + coalesce(c.estimated_cost_ticks, 0) AS estimated_cost_ticks,
        coalesce(w.unpriced_tokens, 0) - coalesce(s.unpriced_tokens, 0) + coalesce(h.unpriced_tokens, 0) + coalesce(c.unpriced_tokens, 0) AS unpriced_tokens,
        coalesce(w.task_count, 0) - coalesce(s.task_count, 0) + coalesce(h.task_count, 0) + coalesce(c.task_count, 0) AS task_count
    FROM whole AS w
    FULL JOIN before_start AS s
        USING (date, provider, model)
    FULL JOIN before_end AS h
        USING (date, provider, model)
    FULL JOIN corrections AS c
        USING (date, provider, model)
    WHERE coalesce(w.task_count, 0) - coalesce(s.task_count, 0) + coalesce(h.task_count, 0) + coalesce(c.task_count, 0) > 0
    UNION ALL
    SELECT *
    FROM shifted
    UNION ALL
    SELECT *
    FROM task_usage_dashboard_local_usage(
        :workspace_id,
        CAST(:project_id AS uuid),
        ARRAY(SELECT starts_at FROM placed WHERE NOT stitched ORDER BY date),
        ARRAY(SELECT ends_at FROM placed WHERE NOT stitched ORDER BY date),
        ARRAY(SELECT date FROM placed WHERE NOT stitched ORDER BY date)
    )
)
SELECT
    date,
    provider,
    model,
    input_tokens,
    output_tokens,
    cache_read_tokens,
    cache_write_tokens,
    trim_scale(cost_usd_ticks)::text AS cost_usd_ticks,
    uncosted_input_tokens,
    uncosted_output_tokens,
    uncosted_cache_read_tokens,
    uncosted_cache_write_tokens,
    trim_scale(estimated_cost_ticks)::text AS estimated_cost_ticks,
    unpriced_tokens,
    task_count
FROM parts
ORDER BY date DESC, provider ASC, model ASC;

-- name: list_dashboard_usage_by_agent_rollup(workspace_id, since_date, until_date, project_id, since, until)
-- ListDashboardUsageByAgent from the rollup: same rows and order as the raw query, cost included
-- (ticks as text).
-- The window is cut into whole UTC months, then whole weeks (Monday to Sunday) of the days left
-- at its edges, then single days, each read from the level of its size by a primary-key or
-- covering-index range; so a year reads about 12 months, 8 weeks and 12 days of rows per agent
-- and model, and 30 days about 4 weeks and 6 days.
-- Whole workspace: task_usage_dashboard_monthly_agent_model, task_usage_dashboard_weekly_agent_model
-- and task_usage_dashboard_daily_agent_model. One project: no weeks;
-- task_usage_dashboard_monthly_project_agent_model for the settled months (those before the
-- state's project_months_before, read in this same snapshot) and the base table's covering
-- (workspace, project, date) index for the other days, an index-only scan.
-- Every level is keyed by provider and model, so summing task_count across days and levels
-- counts each task once per UTC day it has usage of that (provider, model) on: once, as a task's
-- usage of one (provider, model) is one row at one instant, unless its provider is spelled two
-- ways on two days, which `respelled` takes back.
-- Cost sums the estimates each day was priced with, so a window across a price change is exact.
-- The corrections for what the queue holds (task_usage_dashboard_pending_usage, per UTC day)
-- join the levels' rows before the sums, so the read is exact in its own snapshot.
-- [since_date, until_date) are the whole UTC days inside the window [since, until). A viewer off
-- UTC has a window that starts and ends inside UTC days: task_usage_dashboard_edge_usage sums
-- those two partial days from the agent prefixes at the window's quarters (raw rows where they
-- cannot answer: a queued day, an unfilled quarter, one project), so any zone's window costs the
-- UTC read plus a few hundred rows. For a UTC window there are no edges.
WITH span AS (
    SELECT
        CAST(:since_date AS date) AS since_date,
        CAST(:until_date AS date) AS until_date,
        -- The first month starting on or after since_date.
        (date_trunc('month', CAST(:since_date AS timestamp) - INTERVAL '1 day')
            + INTERVAL '1 month')::date AS first_month,
        CASE
            WHEN CAST(:project_id AS uuid) IS NULL
                THEN date_trunc('month', CAST(:until_date AS timestamp))::date
            ELSE least(
                date_trunc('month', CAST(:until_date AS timestamp))::date,
                (SELECT project_months_before FROM task_usage_dashboard_rollup_state WHERE id = 1)
            )
        END AS end_month
),
bounds AS (
    SELECT
        since_date,
        until_date,
        first_month,
        end_month,
        first_month < end_month AS has_months
    FROM span
),
-- The days not covered by whole months: all of them when there are none, else the days before
-- the first whole month and those from the end of the last one.
edges AS (
    SELECT
        since_date AS day_from,
        CASE WHEN has_months THEN first_month ELSE until_date END AS day_to
    FROM bounds
    UNION ALL
    SELECT
        end_month,
        until_date
    FROM bounds
    WHERE has_months
),
-- Each edge's whole weeks (whole workspace only: there is no weekly project level).
edge_weeks AS (
    SELECT
        day_from,
        day_to,
        first_week,
        end_week,
        CAST(:project_id AS uuid) IS NULL AND first_week < end_week AS has_weeks
    FROM (
        SELECT
            day_from,
            day_to,
            CASE
                WHEN date_trunc('week', day_from::timestamp)::date = day_from THEN day_from
                ELSE (date_trunc('week', day_from::timestamp) + INTERVAL '1 week')::date
            END AS first_week,
            date_trunc('week', day_to::timestamp)::date AS end_week
        FROM edges
    ) AS e
),
-- The days left: each edge whole when it has no whole week, else its days before the first
-- whole week and those from the end of the last one.
day_spans AS (
    SELECT
        day_from,
        CASE WHEN has_weeks THEN first_week ELSE day_to END AS day_to
    FROM edge_weeks
    UNION ALL
    SELECT
        end_week,
        day_to
    FROM edge_weeks
    WHERE has_weeks
),
picked AS (
    SELECT
        m.agent_id,
        m.provider,
        m.model,
        m.input_tokens,
        m.output_tokens,
        m.cache_read_tokens,
        m.cache_write_tokens,
        m.cost_usd_ticks,
        m.uncosted_input_tokens,
        m.uncosted_output_tokens,
        m.uncosted_cache_read_tokens,
        m.uncosted_cache_write_tokens,
        m.estimated_cost_ticks,
        m.unpriced_tokens,
        m.task_count
    FROM task_usage_dashboard_monthly_agent_model AS m
    -- The months' bounds are written on the parameters again, not read from bounds, so the
    -- planner sees the real range and scans the primary key (workspace first), not every
    -- workspace's months through the month index.
    WHERE CAST(:project_id AS uuid) IS NULL
        AND m.workspace_id = :workspace_id
        AND m.month >= (date_trunc('month', CAST(:since_date AS timestamp) - INTERVAL '1 day')
            + INTERVAL '1 month')::date
        AND m.month < date_trunc('month', CAST(:until_date AS timestamp))::date
    UNION ALL
    SELECT
        w.agent_id,
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
    FROM edge_weeks AS e
    JOIN task_usage_dashboard_weekly_agent_model AS w
        ON w.workspace_id = :workspace_id
        AND w.week >= e.first_week
        AND w.week < e.end_week
    WHERE e.has_weeks
    UNION ALL
    SELECT
        d.agent_id,
        d.provider,
        d.model,
        d.input_tokens,
        d.output_tokens,
        d.cache_read_tokens,
        d.cache_write_tokens,
        d.cost_usd_ticks,
        d.uncosted_input_tokens,
        d.uncosted_output_tokens,
        d.uncosted_cache_read_tokens,
        d.uncosted_cache_write_tokens,
        d.estimated_cost_ticks,
        d.unpriced_tokens,
        d.task_count
    FROM day_spans AS ds
    JOIN task_usage_dashboard_daily_agent_model AS d
        ON d.workspace_id = :workspace_id
        AND d.bucket_date >= ds.day_from
        AND d.bucket_date < ds.day_to
    WHERE CAST(:project_id AS uuid) IS NULL
    UNION ALL
    SELECT
        pm.agent_id,
        pm.provider,
        pm.model,
        pm.input_tokens,
        pm.output_tokens,
        pm.cache_read_tokens,
        pm.cache_write_tokens,
        pm.cost_usd_ticks,
        pm.uncosted_input_tokens,
        pm.uncosted_output_tokens,
        pm.uncosted_cache_read_tokens,
        pm.uncosted_cache_write_tokens,
        pm.estimated_cost_ticks,
        pm.unpriced_tokens,
        pm.task_count
    FROM task_usage_dashboard_monthly_project_agent_model AS pm
    -- As above, and only the settled months.
    WHERE pm.workspace_id = :workspace_id
        AND pm.project_id = CAST(:project_id AS uuid)
        AND pm.month >= (date_trunc('month', CAST(:since_date AS timestamp) - INTERVAL '1 day')
            + INTERVAL '1 month')::date
        AND pm.month < date_trunc('month', CAST(:until_date AS timestamp))::date
        AND pm.month < (
            SELECT project_months_before
            FROM task_usage_dashboard_rollup_state
            WHERE id = 1
        )
    UNION ALL
    SELECT
        r.agent_id,
        r.provider,
        r.model,
        r.input_tokens,
        r.output_tokens,
        r.cache_read_tokens,
        r.cache_write_tokens,
        r.cost_usd_ticks,
        r.uncosted_input_tokens,
        r.uncosted_output_tokens,
        r.uncosted_cache_read_tokens,
        r.uncosted_cache_write_tokens,
        r.estimated_cost_ticks,
        r.unpriced_tokens,
        r.task_count
    FROM day_spans AS ds
    JOIN task_usage_dashboard_daily AS r
        ON r.workspace_id = :workspace_id
        AND r.project_id = CAST(:project_id AS uuid)
        AND r.bucket_date >= ds.day_from
        AND r.bucket_date < ds.day_to
    UNION ALL
    SELECT
        c.agent_id,
        c.provider,
        c.model,
        c.input_tokens,
        c.output_tokens,
        c.cache_read_tokens,
        c.cache_write_tokens,
        c.cost_usd_ticks,
        c.uncosted_input_tokens,
        c.uncosted_output_tokens,
        c.uncosted_cache_read_tokens,
        c.uncosted_cache_write_tokens,
        c.estimated_cost_ticks,
        c.unpriced_tokens,
        c.task_count
    FROM task_usage_dashboard_pending_usage(:workspace_id, :since_date, :until_date) AS c
    WHERE CAST(:project_id AS uuid) IS NULL
        OR c.project_id = CAST(:project_id AS uuid)
    UNION ALL
    SELECT
        e.agent_id,
        e.provider,
        e.model,
        e.input_tokens,
        e.output_tokens,
        e.cache_read_tokens,
        e.cache_write_tokens,
        e.cost_usd_ticks,
        e.uncosted_input_tokens,
        e.uncosted_output_tokens,
        e.uncosted_cache_read_tokens,
        e.uncosted_cache_write_tokens,
        e.estimated_cost_ticks,
        e.unpriced_tokens,
        e.task_count
    FROM task_usage_dashboard_edge_usage(
        :workspace_id, CAST(:project_id AS uuid), :since, :since_date, :until_date, :until
    ) AS e
),
-- Tasks whose usage of one (provider, model) lies on several UTC days of the window (partial
-- edge days included) because
-- their provider is spelled two ways ("OpenAI", "openai"): the levels count them once per day,
-- the window once. Only those few tasks' rows are read (task_usage_task_id_idx).
respelled AS (
    SELECT
        t.agent_id,
        lower(btrim(u.provider)) AS provider,
        u.model,
        count(DISTINCT (u.created_at AT TIME ZONE 'UTC')::date) - 1 AS extra_days
    FROM task_usage_dashboard_respelled_task AS s
    JOIN agent_task_queue AS t
        ON t.id = s.task_id
    JOIN agent AS a
        ON a.id = t.agent_id
    LEFT JOIN issue AS i
        ON i.id = t.issue_id
    JOIN task_usage AS u
        ON u.task_id = s.task_id
    WHERE a.workspace_id = :workspace_id
        AND u.created_at >= :since
        AND u.created_at < :until
        AND (CAST(:project_id AS uuid) IS NULL OR i.project_id = CAST(:project_id AS uuid))
    GROUP BY t.agent_id, s.task_id, 2, u.model
),
totals AS (
    SELECT
        agent_id,
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
    FROM picked
    GROUP BY agent_id, provider, model
    -- What the queue's corrections emptied: no usage row left in the window.
    HAVING sum(task_count) > 0
)
SELECT
    s.agent_id,
    s.provider,
    s.model,
    s.input_tokens,
    s.output_tokens,
    s.cache_read_tokens,
    s.cache_write_tokens,
    trim_scale(s.cost_usd_ticks)::text AS cost_usd_ticks,
    s.uncosted_input_tokens,
    s.uncosted_output_tokens,
    s.uncosted_cache_read_tokens,
    s.uncosted_cache_write_tokens,
    trim_scale(s.estimated_cost_ticks)::text AS estimated_cost_ticks,
    s.unpriced_tokens,
    s.task_count - coalesce(
        (
            SELECT sum(r.extra_days)
            FROM respelled AS r
            WHERE r.agent_id = s.agent_id
                AND r.provider = s.provider
                AND r.model = s.model
        ),
        0
    )::bigint AS task_count
FROM totals AS s
ORDER BY s.agent_id ASC, s.provider ASC, s.model ASC;
