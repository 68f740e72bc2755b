-- Coarser read levels for long by-agent windows, so no by-agent read sums more than a few
-- thousand rows (bench/NOTES.md: a project's year read ~61k base rows, 18-27 ms; a workspace's
-- 30 days ~9k per-agent day rows, 8-12 ms).
--
-- Weekly per agent: a whole-workspace by-agent read takes the whole ISO weeks (Monday to Sunday,
-- UTC days) of the days outside its whole months from task_usage_dashboard_weekly_agent_model,
-- so it reads per day only the few days before the first and after the last whole week. A week
-- is re-summed from at most seven days of the per-agent daily level, like a month.
--
-- Monthly per project and agent, for settled months: months whose every day lies before the
-- per-task horizon (task_usage_dashboard_task_level_from). The recent days are what ticks rewrite
-- all the time; re-summing their month from base rows on every tick would cost a month of base
-- rows (~100k at bench scale) each time. A settled month changes only when old data does (a task
-- moved, an issue re-filed, a deletion), and its re-sum then costs one month of base rows,
-- whatever the history. A project's reads take the settled months from here and every later day
-- from the base table, splitting at project_months_before, which they read in the same snapshot
-- as the level's rows.

-- One row per (workspace, week, agent, model): the per-agent daily level's rows of the week's
-- seven UTC days summed (task_count sums per-day distinct counts, as every level does).
CREATE TABLE task_usage_dashboard_weekly_agent_model (
    workspace_id uuid NOT NULL,
    week date NOT NULL,
    agent_id uuid NOT NULL,
    model text NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cache_read_tokens bigint NOT NULL,
    cache_write_tokens bigint NOT NULL,
    task_count bigint NOT NULL,
    PRIMARY KEY (workspace_id, week, agent_id, model),
    CONSTRAINT task_usage_dashboard_weekly_agent_model_monday
        CHECK (week = date_trunc('week', week::timestamp)::date)
)
-- Rewritten in place every tick (the current week): room for the new row versions on each page.
WITH (fillfactor = 70);

-- A week's re-sum finds that week's rows of every workspace.
CREATE INDEX task_usage_dashboard_weekly_agent_model_week_idx
    ON task_usage_dashboard_weekly_agent_model (week);

-- Re-sums the weeks the given days fall in from the per-agent daily level (its bucket_date
-- index: seven days of rows per week, whatever the history). As the daily levels are: rows whose
-- sums changed are updated in place (HOT, the table leaves room on its pages), rows no day backs
-- any more are deleted; a tick rewrites the current week's rows every time.
CREATE FUNCTION task_usage_dashboard_rebuild_weeks(p_days date []) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_weeks date [] := ARRAY(
        SELECT DISTINCT date_trunc('week', d::timestamp)::date
        FROM unnest(p_days) AS u (d)
    );
BEGIN
    WITH sums AS (
        SELECT
            d.workspace_id,
            w.week,
            d.agent_id,
            d.model,
            sum(d.input_tokens) AS input_tokens,
            sum(d.output_tokens) AS output_tokens,
            sum(d.cache_read_tokens) AS cache_read_tokens,
            sum(d.cache_write_tokens) AS cache_write_tokens,
            sum(d.task_count) AS task_count
        FROM unnest(v_weeks) AS w (week)
        JOIN task_usage_dashboard_daily_agent_model AS d
            ON d.bucket_date >= w.week
            AND d.bucket_date < w.week + 7
        GROUP BY d.workspace_id, w.week, d.agent_id, d.model
    ),
    upserted AS (
        INSERT INTO task_usage_dashboard_weekly_agent_model AS l (
            workspace_id, week, agent_id, model,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, task_count
        )
        SELECT
            workspace_id, week, agent_id, model,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, task_count
        FROM sums
        ON CONFLICT (workspace_id, week, agent_id, model) DO UPDATE
        SET input_tokens = EXCLUDED.input_tokens,
            output_tokens = EXCLUDED.output_tokens,
            cache_read_tokens = EXCLUDED.cache_read_tokens,
            cache_write_tokens = EXCLUDED.cache_write_tokens,
            task_count = EXCLUDED.task_count
        WHERE (l.input_tokens, l.output_tokens, l.cache_read_tokens, l.cache_write_tokens,
               l.task_count)
            IS DISTINCT FROM
              (EXCLUDED.input_tokens, EXCLUDED.output_tokens, EXCLUDED.cache_read_tokens,
               EXCLUDED.cache_write_tokens, EXCLUDED.task_count)
    ),
    gone AS (
        SELECT workspace_id, week, agent_id, model
        FROM task_usage_dashboard_weekly_agent_model
        WHERE week = ANY (v_weeks)
        EXCEPT
        SELECT workspace_id, week, agent_id, model
        FROM sums
    )
    DELETE FROM task_usage_dashboard_weekly_agent_model AS l
    USING gone AS g
    WHERE l.workspace_id = g.workspace_id
        AND l.week = g.week
        AND l.agent_id = g.agent_id
        AND l.model = g.model;
END;
$$;

-- As in 0002, and re-sums the weeks of the rebuilt days.
CREATE OR REPLACE FUNCTION rollup_task_usage_dashboard_daily_window(p_from timestamptz, p_to timestamptz)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_first date := task_usage_dashboard_utc_day(p_from);
    v_end date := task_usage_dashboard_utc_day(p_to - INTERVAL '1 microsecond') + 1;
    v_month date;
    v_touched bigint;
BEGIN
    IF p_to <= p_from THEN
        RETURN 0;
    END IF;
    -- Drained in this statement's snapshot: a key enqueued by a transaction it cannot see
    -- stays queued for the next tick.
    DELETE FROM task_usage_dashboard_dirty
    WHERE bucket_date >= v_first
        AND bucket_date < v_end;
    v_touched := task_usage_dashboard_rebuild_range(v_first, v_end);
    PERFORM task_usage_dashboard_rebuild_weeks(
        ARRAY(SELECT generate_series(v_first, v_end - 1, INTERVAL '1 day')::date)
    );
    FOR v_month IN
        SELECT DISTINCT date_trunc('month', g)::date
        FROM generate_series(v_first::timestamp, (v_end - 1)::timestamp, INTERVAL '1 day') AS g
    LOOP
        PERFORM task_usage_dashboard_rebuild_month(v_month);
    END LOOP;
    RETURN v_touched;
END;
$$;

-- One row per (workspace, project, settled month, agent, model): the month's base rows of that
-- project summed (task_count sums per-day distinct counts, as the daily levels do). Rows without
-- a project are not kept: no read filters by "no project".
CREATE TABLE task_usage_dashboard_monthly_project_agent_model (
    workspace_id uuid NOT NULL,
    project_id uuid NOT NULL,
    month date NOT NULL,
    agent_id uuid NOT NULL,
    model text NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cache_read_tokens bigint NOT NULL,
    cache_write_tokens bigint NOT NULL,
    task_count bigint NOT NULL,
    PRIMARY KEY (workspace_id, project_id, month, agent_id, model)
);

-- No index leads with the month: a re-sum, rare, deletes its month with a scan of this small
-- table (~7k rows a month at bench scale), and a read, which knows its settled bound only at run
-- time, must not be planned through one (it would scan every project's months; measured 10 ms
-- against 1 ms through the primary key).

-- The first month the level does not hold: every month before it is summed there, kept exact by
-- every rebuild of its days. It only moves forward, one month per tick, once that month settles.
-- (-infinity, "no month": reads then take every day from the base table; it holds only until
-- the end of this file has summed the settled months.)
ALTER TABLE task_usage_dashboard_rollup_state
    ADD COLUMN project_months_before date NOT NULL DEFAULT '-infinity';

-- The first month that has not settled: the month of the per-task horizon's first day.
CREATE FUNCTION task_usage_dashboard_settled_months_before() RETURNS date
LANGUAGE sql STABLE
RETURN date_trunc('month', task_usage_dashboard_task_level_from()::timestamp)::date;

-- Re-sums one month of the project level from its base rows (found by date: the base table's
-- unique key leads with bucket_date; a month of rows, whatever the history).
CREATE FUNCTION task_usage_dashboard_rebuild_project_month(p_month date) RETURNS void
LANGUAGE plpgsql
-- Room to hash a month's groups (a few thousand per workspace) instead of sorting its base rows.
SET work_mem = '64MB'
AS $$
BEGIN
    DELETE FROM task_usage_dashboard_monthly_project_agent_model
    WHERE month = p_month;
    -- Summed by hashing, then the few thousand sums inserted in key order, so a project's
    -- month lies on a few pages instead of one page per row (a sorted aggregate would sort
    -- every base row instead).
    WITH sums AS MATERIALIZED (
        SELECT
            workspace_id, project_id, agent_id, model,
            sum(input_tokens) AS input_tokens,
            sum(output_tokens) AS output_tokens,
            sum(cache_read_tokens) AS cache_read_tokens,
            sum(cache_write_tokens) AS cache_write_tokens,
            sum(task_count) AS task_count
        FROM task_usage_dashboard_daily
        WHERE project_id IS NOT NULL
            AND bucket_date >= p_month
            AND bucket_date < (p_month + INTERVAL '1 month')::date
        GROUP BY workspace_id, project_id, agent_id, model
    )
    INSERT INTO task_usage_dashboard_monthly_project_agent_model (
        workspace_id, project_id, month, agent_id, model,
        input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, task_count
    )
    SELECT
        workspace_id, project_id, p_month, agent_id, model,
        input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, task_count
    FROM sums
    ORDER BY workspace_id, project_id, agent_id, model;
END;
$$;

-- The month's per-agent level re-summed as in 0002, but updated in place like the daily levels
-- (HOT: a tick rewrites the current month every time); then the month's project level when it
-- has settled. Ticks and the window
-- primitive rebuild the month of every day they rebuild, so a settled month is re-summed
-- whenever any of its days changed.
CREATE OR REPLACE FUNCTION task_usage_dashboard_rebuild_month(p_month date) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    WITH sums AS (
        SELECT
            workspace_id,
            agent_id,
            model,
            sum(input_tokens) AS input_tokens,
            sum(output_tokens) AS output_tokens,
            sum(cache_read_tokens) AS cache_read_tokens,
            sum(cache_write_tokens) AS cache_write_tokens,
            sum(task_count) AS task_count
        FROM task_usage_dashboard_daily_agent_model
        WHERE bucket_date >= p_month
            AND bucket_date < (p_month + INTERVAL '1 month')::date
        GROUP BY workspace_id, agent_id, model
    ),
    upserted AS (
        INSERT INTO task_usage_dashboard_monthly_agent_model AS l (
            workspace_id, month, agent_id, model,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, task_count
        )
        SELECT
            workspace_id, p_month, agent_id, model,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, task_count
        FROM sums
        ON CONFLICT (workspace_id, month, agent_id, model) DO UPDATE
        SET input_tokens = EXCLUDED.input_tokens,
            output_tokens = EXCLUDED.output_tokens,
            cache_read_tokens = EXCLUDED.cache_read_tokens,
            cache_write_tokens = EXCLUDED.cache_write_tokens,
            task_count = EXCLUDED.task_count
        WHERE (l.input_tokens, l.output_tokens, l.cache_read_tokens, l.cache_write_tokens,
               l.task_count)
            IS DISTINCT FROM
              (EXCLUDED.input_tokens, EXCLUDED.output_tokens, EXCLUDED.cache_read_tokens,
               EXCLUDED.cache_write_tokens, EXCLUDED.task_count)
    ),
    gone AS (
        SELECT workspace_id, agent_id, model
        FROM task_usage_dashboard_monthly_agent_model
        WHERE month = p_month
        EXCEPT
        SELECT workspace_id, agent_id, model
        FROM sums
    )
    DELETE FROM task_usage_dashboard_monthly_agent_model AS l
    USING gone AS g
    WHERE l.month = p_month
        AND l.workspace_id = g.workspace_id
        AND l.agent_id = g.agent_id
        AND l.model = g.model;

    IF p_month < (SELECT project_months_before FROM task_usage_dashboard_rollup_state WHERE id = 1)
    THEN
        PERFORM task_usage_dashboard_rebuild_project_month(p_month);
    END IF;
END;
$$;

-- The current month is rewritten in place every tick: room for the new row versions.
ALTER TABLE task_usage_dashboard_monthly_agent_model SET (fillfactor = 70);

-- Moves project_months_before one month on when that month has settled, summing it first.
-- One month per call keeps a tick bounded after a long pause; reads stay exact meanwhile (they
-- take the days after project_months_before from the base table).
CREATE FUNCTION task_usage_dashboard_settle_project_month() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_month date;
BEGIN
    SELECT project_months_before
    INTO v_month
    FROM task_usage_dashboard_rollup_state
    WHERE id = 1;
    IF v_month < task_usage_dashboard_settled_months_before() THEN
        PERFORM task_usage_dashboard_rebuild_project_month(v_month);
        UPDATE task_usage_dashboard_rollup_state
        SET project_months_before = (v_month + INTERVAL '1 month')::date
        WHERE id = 1;
    END IF;
END;
$$;

-- As in 0003: first settles a month into the project level when one has left the horizon, and
-- re-sums the weeks of the rebuilt days before their months.
CREATE OR REPLACE FUNCTION task_usage_dashboard_rebuild_keys(p_days date [], p_tasks uuid []) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_horizon date := task_usage_dashboard_task_level_from();
    v_whole date [];
    v_day date;
    v_month date;
    v_task_days date [];
    v_task_ids uuid [];
    v_touched bigint := 0;
BEGIN
    PERFORM task_usage_dashboard_settle_project_month();
    DELETE FROM task_usage_dashboard_daily_task_model
    WHERE bucket_date < v_horizon;

    SELECT coalesce(array_agg(bucket_date), '{}')
    INTO v_whole
    FROM (
        SELECT bucket_date
        FROM unnest(p_days, p_tasks) AS k (bucket_date, task_id)
        GROUP BY bucket_date
        HAVING bucket_date < v_horizon
            OR bool_or(task_id IS NULL)
            OR count(DISTINCT task_id) > task_usage_dashboard_rollup_day_tasks_max()
    ) AS whole;
    FOREACH v_day IN ARRAY v_whole LOOP
        v_touched := v_touched + task_usage_dashboard_rebuild_range(v_day, v_day + 1);
    END LOOP;

    SELECT array_agg(bucket_date), array_agg(task_id)
    INTO v_task_days, v_task_ids
    FROM unnest(p_days, p_tasks) AS k (bucket_date, task_id)
    WHERE bucket_date <> ALL (v_whole);
    IF v_task_days IS NOT NULL THEN
        v_touched := v_touched + task_usage_dashboard_rebuild_tasks(v_task_days, v_task_ids);
        PERFORM task_usage_dashboard_rebuild_levels(
            ARRAY(SELECT DISTINCT d FROM unnest(v_task_days) AS u (d))
        );
    END IF;

    PERFORM task_usage_dashboard_rebuild_weeks(p_days);
    FOR v_month IN
        SELECT DISTINCT date_trunc('month', d::timestamp)::date FROM unnest(p_days) AS u (d)
    LOOP
        PERFORM task_usage_dashboard_rebuild_month(v_month);
    END LOOP;
    RETURN v_touched;
END;
$$;

-- The weeks and the settled months the rollup already holds are summed now, one pass each.
INSERT INTO task_usage_dashboard_weekly_agent_model (
    workspace_id, week, agent_id, model,
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, task_count
)
SELECT
    workspace_id,
    date_trunc('week', bucket_date::timestamp)::date,
    agent_id,
    model,
    sum(input_tokens),
    sum(output_tokens),
    sum(cache_read_tokens),
    sum(cache_write_tokens),
    sum(task_count)
FROM task_usage_dashboard_daily_agent_model
GROUP BY workspace_id, 2, agent_id, model;

INSERT INTO task_usage_dashboard_monthly_project_agent_model (
    workspace_id, project_id, month, agent_id, model,
    input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, task_count
)
SELECT
    workspace_id,
    project_id,
    date_trunc('month', bucket_date::timestamp)::date,
    agent_id,
    model,
    sum(input_tokens),
    sum(output_tokens),
    sum(cache_read_tokens),
    sum(cache_write_tokens),
    sum(task_count)
FROM task_usage_dashboard_daily
WHERE project_id IS NOT NULL
    AND bucket_date < task_usage_dashboard_settled_months_before()
GROUP BY workspace_id, project_id, 3, agent_id, model
ORDER BY workspace_id, project_id, 3, agent_id, model;

UPDATE task_usage_dashboard_rollup_state
SET project_months_before = task_usage_dashboard_settled_months_before()
WHERE id = 1;
