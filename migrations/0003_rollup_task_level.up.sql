-- A per-task level under the daily rollup for recent days, so a tick's work follows the changed
-- rows instead of the days they fall on (bench/NOTES.md: rebuilding a whole day joined its ~8k
-- usage rows to their tasks and issues, ~100 ms a day, whatever the change).
--
-- The queue now holds (UTC day, task) keys; a key with no task stands for the whole day (a
-- TRUNCATE, this migration, a day with too many changed tasks to rebuild one by one). For the
-- recent days the per-task level covers (the horizon: the platform re-reports running and
-- recent tasks), a tick rebuilds each changed task's rows of a day from raw rows
-- (task_usage_task_id_idx between the day's UTC bounds), then re-sums from this level only the
-- buckets those rows left or entered. Older days are rare to change and are rebuilt whole from
-- raw rows as before, so the level stays a few weeks deep, not a second copy of the history.

ALTER TABLE task_usage_dashboard_dirty
    ADD COLUMN task_id uuid;

COMMENT ON COLUMN task_usage_dashboard_dirty.task_id IS
    'The task whose usage of bucket_date changed; null: every task of that day.';

-- One row per (UTC day, task, model) for the days since task_usage_dashboard_task_level_from():
-- the task's usage of that day and model with the attribution it had when rebuilt. A task has
-- one agent and one issue, so each row lies in exactly one bucket of task_usage_dashboard_daily
-- and adds exactly one to its task_count.
CREATE TABLE task_usage_dashboard_daily_task_model (
    bucket_date date NOT NULL,
    task_id uuid NOT NULL,
    model text NOT NULL,
    workspace_id uuid NOT NULL,
    agent_id uuid NOT NULL,
    project_id uuid,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cache_read_tokens bigint NOT NULL,
    cache_write_tokens bigint NOT NULL,
    event_count bigint NOT NULL,
    PRIMARY KEY (bucket_date, task_id, model)
);

-- Re-summing a bucket finds its rows here (a tick's buckets are a few per changed task). The
-- project is keyed through coalesce so "no project" is an equality the index can serve (the
-- nil UUID is never a project id: ids come from gen_random_uuid).
CREATE INDEX task_usage_dashboard_daily_task_model_bucket_idx
    ON task_usage_dashboard_daily_task_model (
        bucket_date,
        workspace_id,
        agent_id,
        (coalesce(project_id, '00000000-0000-0000-0000-000000000000'::uuid)),
        model
    );

-- First UTC day the per-task level covers. A day only ever leaves the horizon (time moves
-- forward), and every day inside it has had its per-task rows rebuilt with each change since
-- it entered: new days enter empty, and the days inside it at this migration are queued whole
-- below. Five weeks: late re-reports of a month's tasks still take the cheap path.
CREATE FUNCTION task_usage_dashboard_task_level_from() RETURNS date
LANGUAGE sql STABLE
RETURN task_usage_dashboard_utc_day(now()) - 35;

-- The rolled-up days inside the horizon have no rows at this level yet: queue them whole, so
-- the ticks rebuild them before any of their buckets is re-summed from this level.
INSERT INTO task_usage_dashboard_dirty (bucket_date)
SELECT DISTINCT bucket_date
FROM task_usage_dashboard_daily
WHERE bucket_date >= task_usage_dashboard_task_level_from();

-- Usage written: enqueue the (day, task) keys of the new rows, one insert per statement from
-- the transition table. No DISTINCT: the platform writes one row per statement, where hashing
-- a single row costs more than the rare duplicate it would save (the rebuild deduplicates).
CREATE OR REPLACE FUNCTION task_usage_dashboard_enqueue_new_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_usage_dashboard_dirty (bucket_date, task_id)
    SELECT task_usage_dashboard_utc_day(created_at), task_id
    FROM new_usage;
    RETURN NULL;
END;
$$;

-- Usage removed (cascades remove many rows of few tasks at once): the distinct keys.
CREATE OR REPLACE FUNCTION task_usage_dashboard_enqueue_old_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_usage_dashboard_dirty (bucket_date, task_id)
    SELECT DISTINCT task_usage_dashboard_utc_day(created_at), task_id
    FROM old_usage;
    RETURN NULL;
END;
$$;

-- Usage updated: the rows' keys as they are now. A row whose task or created_at changed also
-- leaves its old key, enqueued by task_usage_dashboard_usage_moved below; UpsertTaskUsage never
-- sets either column, so that row trigger is not even queued for the platform's writes.
DROP TRIGGER task_usage_dashboard_usage_update ON task_usage;

CREATE OR REPLACE FUNCTION task_usage_dashboard_enqueue_changed_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_usage_dashboard_dirty (bucket_date, task_id)
    SELECT task_usage_dashboard_utc_day(created_at), task_id
    FROM new_usage;
    RETURN NULL;
END;
$$;

CREATE TRIGGER task_usage_dashboard_usage_update
    AFTER UPDATE ON task_usage
    REFERENCING NEW TABLE AS new_usage
    FOR EACH STATEMENT EXECUTE FUNCTION task_usage_dashboard_enqueue_changed_usage();

CREATE FUNCTION task_usage_dashboard_enqueue_moved_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_usage_dashboard_dirty (bucket_date, task_id)
    VALUES (task_usage_dashboard_utc_day(OLD.created_at), OLD.task_id);
    RETURN NULL;
END;
$$;

CREATE TRIGGER task_usage_dashboard_usage_moved
    AFTER UPDATE OF task_id, created_at ON task_usage
    FOR EACH ROW
    WHEN (OLD.task_id IS DISTINCT FROM NEW.task_id OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION task_usage_dashboard_enqueue_moved_usage();

CREATE OR REPLACE FUNCTION task_usage_dashboard_enqueue_task_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_usage_dashboard_dirty (bucket_date, task_id)
    SELECT DISTINCT task_usage_dashboard_utc_day(u.created_at), u.task_id
    FROM task_usage AS u
    WHERE u.task_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION task_usage_dashboard_enqueue_issue_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_usage_dashboard_dirty (bucket_date, task_id)
    SELECT DISTINCT task_usage_dashboard_utc_day(u.created_at), u.task_id
    FROM agent_task_queue AS t
    JOIN task_usage AS u
        ON u.task_id = t.id
    WHERE t.issue_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION task_usage_dashboard_enqueue_agent_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_usage_dashboard_dirty (bucket_date, task_id)
    SELECT DISTINCT task_usage_dashboard_utc_day(u.created_at), u.task_id
    FROM agent_task_queue AS t
    JOIN task_usage AS u
        ON u.task_id = t.id
    WHERE t.agent_id = NEW.id;
    RETURN NULL;
END;
$$;

-- Rebuilds the daily read levels of the given days from their base rows (task counts
-- included: a task has one agent and one project, so per-bucket distinct counts add up exactly
-- per day). One pass over the days' base rows computes all three levels as grouping sets; rows
-- whose sums changed are updated in place (their keys, the only indexed columns, stay, so the
-- updates are HOT and touch no index), rows no base row backs any more are deleted. The caller
-- rebuilds the months.
CREATE FUNCTION task_usage_dashboard_rebuild_levels(p_days date []) RETURNS void
LANGUAGE plpgsql
-- Room to hash the groups (a few thousand a day): the planner, guessing far more, would
-- otherwise sort every base row of the days on uuid keys, several times slower.
SET work_mem = '64MB'
AS $$
BEGIN
    -- level: 1 = per agent and model, 2 = per project and model (GROUPING bits: 2 when agent_id
    -- is summed over, 1 when project_id is), 3 = per model, summed from the agent level (a few
    -- hundred rows a day instead of every base row again).
    WITH base_sums AS (
        SELECT
            GROUPING(agent_id, project_id) AS level,
            workspace_id,
            bucket_date,
            agent_id,
            project_id,
            model,
            sum(input_tokens) AS input_tokens,
            sum(output_tokens) AS output_tokens,
            sum(cache_read_tokens) AS cache_read_tokens,
            sum(cache_write_tokens) AS cache_write_tokens,
            sum(task_count) AS task_count
        FROM task_usage_dashboard_daily
        WHERE bucket_date = ANY (p_days)
        GROUP BY GROUPING SETS (
            (workspace_id, bucket_date, agent_id, model),
            (workspace_id, bucket_date, project_id, model)
        )
    ),
    sums AS (
        SELECT *
        FROM base_sums
        UNION ALL
        SELECT
            3,
            workspace_id,
            bucket_date,
            NULL,
            NULL,
            model,
            sum(input_tokens),
            sum(output_tokens),
            sum(cache_read_tokens),
            sum(cache_write_tokens),
            sum(task_count)
        FROM base_sums
        WHERE level = 1
        GROUP BY workspace_id, bucket_date, model
    ),
    by_model AS (
        INSERT INTO task_usage_dashboard_daily_model AS l (
            workspace_id, bucket_date, model,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, task_count
        )
        SELECT
            workspace_id, bucket_date, model,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, task_count
        FROM sums
        WHERE level = 3
        ON CONFLICT (workspace_id, bucket_date, model) DO UPDATE
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
    by_project AS (
        INSERT INTO task_usage_dashboard_daily_project_model AS l (
            workspace_id, project_id, bucket_date, model,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, task_count
        )
        SELECT
            workspace_id, project_id, bucket_date, model,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, task_count
        FROM sums
        WHERE level = 2
            AND project_id IS NOT NULL
        ON CONFLICT (workspace_id, project_id, bucket_date, model) DO UPDATE
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
    by_agent AS (
        INSERT INTO task_usage_dashboard_daily_agent_model AS l (
            workspace_id, bucket_date, agent_id, model,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, task_count
        )
        SELECT
            workspace_id, bucket_date, agent_id, model,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, task_count
        FROM sums
        WHERE level = 1
        ON CONFLICT (workspace_id, bucket_date, agent_id, model) DO UPDATE
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
    by_model_gone AS (
        SELECT workspace_id, bucket_date, model
        FROM task_usage_dashboard_daily_model
        WHERE bucket_date = ANY (p_days)
        EXCEPT
        SELECT workspace_id, bucket_date, model
        FROM sums
        WHERE level = 3
    ),
    by_model_removed AS (
        DELETE FROM task_usage_dashboard_daily_model AS l
        USING by_model_gone AS g
        WHERE l.workspace_id = g.workspace_id
            AND l.bucket_date = g.bucket_date
            AND l.model = g.model
    ),
    by_project_gone AS (
        SELECT workspace_id, project_id, bucket_date, model
        FROM task_usage_dashboard_daily_project_model
        WHERE bucket_date = ANY (p_days)
        EXCEPT
        SELECT workspace_id, project_id, bucket_date, model
        FROM sums
        WHERE level = 2
            AND project_id IS NOT NULL
    ),
    by_project_removed AS (
        DELETE FROM task_usage_dashboard_daily_project_model AS l
        USING by_project_gone AS g
        WHERE l.workspace_id = g.workspace_id
            AND l.project_id = g.project_id
            AND l.bucket_date = g.bucket_date
            AND l.model = g.model
    ),
    by_agent_gone AS (
        SELECT workspace_id, bucket_date, agent_id, model
        FROM task_usage_dashboard_daily_agent_model
        WHERE bucket_date = ANY (p_days)
        EXCEPT
        SELECT workspace_id, bucket_date, agent_id, model
        FROM sums
        WHERE level = 1
    )
    DELETE FROM task_usage_dashboard_daily_agent_model AS l
    USING by_agent_gone AS g
    WHERE l.workspace_id = g.workspace_id
        AND l.bucket_date = g.bucket_date
        AND l.agent_id = g.agent_id
        AND l.model = g.model;
END;
$$;

-- The read levels are rewritten in place every tick: leave room on each page for the new
-- row versions, so an update stays on its page (HOT) instead of adding index entries.
ALTER TABLE task_usage_dashboard_daily_model SET (fillfactor = 70);
ALTER TABLE task_usage_dashboard_daily_project_model SET (fillfactor = 70);
ALTER TABLE task_usage_dashboard_daily_agent_model SET (fillfactor = 70);

-- Re-sums the given buckets of task_usage_dashboard_daily from the per-task level (through its
-- bucket index): buckets with rows are upserted (unchanged sums left alone), buckets left empty
-- are deleted. Returns base rows inserted, updated or deleted.
CREATE FUNCTION task_usage_dashboard_resum_buckets(
    p_days date [], p_workspaces uuid [], p_agents uuid [], p_projects uuid [], p_models text []
) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_touched bigint;
BEGIN
    WITH buckets AS (
        SELECT DISTINCT bucket_date, workspace_id, agent_id, project_id, model
        FROM unnest(p_days, p_workspaces, p_agents, p_projects, p_models)
            AS k (bucket_date, workspace_id, agent_id, project_id, model)
    ),
    fresh AS (
        SELECT
            k.bucket_date,
            k.workspace_id,
            k.agent_id,
            k.project_id,
            k.model,
            sum(p.input_tokens)::bigint AS input_tokens,
            sum(p.output_tokens)::bigint AS output_tokens,
            sum(p.cache_read_tokens)::bigint AS cache_read_tokens,
            sum(p.cache_write_tokens)::bigint AS cache_write_tokens,
            count(*) AS task_count,
            sum(p.event_count)::bigint AS event_count
        FROM buckets AS k
        JOIN task_usage_dashboard_daily_task_model AS p
            ON p.bucket_date = k.bucket_date
            AND p.workspace_id = k.workspace_id
            AND p.agent_id = k.agent_id
            AND coalesce(p.project_id, '00000000-0000-0000-0000-000000000000'::uuid)
                = coalesce(k.project_id, '00000000-0000-0000-0000-000000000000'::uuid)
            AND p.model = k.model
        GROUP BY k.bucket_date, k.workspace_id, k.agent_id, k.project_id, k.model
    ),
    upserted AS (
        INSERT INTO task_usage_dashboard_daily AS d (
            bucket_date, workspace_id, agent_id, project_id, model,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
            task_count, event_count, updated_at
        )
        SELECT
            bucket_date, workspace_id, agent_id, project_id, model,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
            task_count, event_count, now()
        FROM fresh
        ON CONFLICT ON CONSTRAINT task_usage_dashboard_daily_key DO UPDATE
        SET input_tokens = EXCLUDED.input_tokens,
            output_tokens = EXCLUDED.output_tokens,
            cache_read_tokens = EXCLUDED.cache_read_tokens,
            cache_write_tokens = EXCLUDED.cache_write_tokens,
            task_count = EXCLUDED.task_count,
            event_count = EXCLUDED.event_count,
            updated_at = EXCLUDED.updated_at
        WHERE (d.input_tokens, d.output_tokens, d.cache_read_tokens, d.cache_write_tokens,
               d.task_count, d.event_count)
            IS DISTINCT FROM
              (EXCLUDED.input_tokens, EXCLUDED.output_tokens, EXCLUDED.cache_read_tokens,
               EXCLUDED.cache_write_tokens, EXCLUDED.task_count, EXCLUDED.event_count)
        RETURNING 1
    ),
    -- The buckets left empty (EXCEPT hashes, and treats the null project as equal to itself).
    gone AS (
        SELECT bucket_date, workspace_id, agent_id, project_id, model FROM buckets
        EXCEPT
        SELECT bucket_date, workspace_id, agent_id, project_id, model FROM fresh
    ),
    removed AS (
        DELETE FROM task_usage_dashboard_daily AS d
        USING gone AS g
        WHERE d.bucket_date = g.bucket_date
            AND d.workspace_id = g.workspace_id
            AND d.agent_id = g.agent_id
            AND d.project_id IS NOT DISTINCT FROM g.project_id
            AND d.model = g.model
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM upserted) + (SELECT count(*) FROM removed)
    INTO v_touched;
    RETURN v_touched;
END;
$$;

-- Rebuilds the per-task rows of the given (day, task) keys from raw rows: each task's usage
-- between the day's UTC bounds (task_usage_task_id_idx), attributed through its task, agent and
-- issue by primary key. Then re-sums the buckets whose rows changed: the new bucket of every
-- row written and the old bucket of every row replaced or removed (a task moved to another
-- issue, project or agent leaves one bucket and enters another). Returns base rows touched.
CREATE FUNCTION task_usage_dashboard_rebuild_tasks(p_days date [], p_tasks uuid []) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_days date [];
    v_workspaces uuid [];
    v_agents uuid [];
    v_projects uuid [];
    v_models text [];
BEGIN
    WITH dirty AS (
        SELECT DISTINCT bucket_date, task_id
        FROM unnest(p_days, p_tasks) AS k (bucket_date, task_id)
    ),
    fresh AS (
        SELECT
            k.bucket_date,
            u.task_id,
            u.model,
            a.workspace_id,
            t.agent_id,
            i.project_id,
            sum(u.input_tokens)::bigint AS input_tokens,
            sum(u.output_tokens)::bigint AS output_tokens,
            sum(u.cache_read_tokens)::bigint AS cache_read_tokens,
            sum(u.cache_write_tokens)::bigint AS cache_write_tokens,
            count(*) AS event_count
        FROM dirty AS k
        JOIN task_usage AS u
            ON u.task_id = k.task_id
            AND u.created_at >= k.bucket_date::timestamp AT TIME ZONE 'UTC'
            AND u.created_at < (k.bucket_date + 1)::timestamp AT TIME ZONE 'UTC'
        JOIN agent_task_queue AS t
            ON t.id = u.task_id
        JOIN agent AS a
            ON a.id = t.agent_id
        LEFT JOIN issue AS i
            ON i.id = t.issue_id
        GROUP BY k.bucket_date, u.task_id, u.model, a.workspace_id, t.agent_id, i.project_id
    ),
    stored AS (
        SELECT p.*
        FROM dirty AS k
        JOIN task_usage_dashboard_daily_task_model AS p
            ON p.bucket_date = k.bucket_date
            AND p.task_id = k.task_id
    ),
    upserted AS (
        INSERT INTO task_usage_dashboard_daily_task_model AS p (
            bucket_date, task_id, model, workspace_id, agent_id, project_id,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, event_count
        )
        SELECT
            bucket_date, task_id, model, workspace_id, agent_id, project_id,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, event_count
        FROM fresh
        ON CONFLICT (bucket_date, task_id, model) DO UPDATE
        SET workspace_id = EXCLUDED.workspace_id,
            agent_id = EXCLUDED.agent_id,
            project_id = EXCLUDED.project_id,
            input_tokens = EXCLUDED.input_tokens,
            output_tokens = EXCLUDED.output_tokens,
            cache_read_tokens = EXCLUDED.cache_read_tokens,
            cache_write_tokens = EXCLUDED.cache_write_tokens,
            event_count = EXCLUDED.event_count
        WHERE (p.workspace_id, p.agent_id, p.project_id, p.input_tokens, p.output_tokens,
               p.cache_read_tokens, p.cache_write_tokens, p.event_count)
            IS DISTINCT FROM
              (EXCLUDED.workspace_id, EXCLUDED.agent_id, EXCLUDED.project_id, EXCLUDED.input_tokens,
               EXCLUDED.output_tokens, EXCLUDED.cache_read_tokens, EXCLUDED.cache_write_tokens,
               EXCLUDED.event_count)
        RETURNING p.bucket_date, p.task_id, p.model, p.workspace_id, p.agent_id, p.project_id
    ),
    -- EXCEPT, not NOT EXISTS: it hashes, where an anti-join against a CTE the planner guesses
    -- at one row is run as a nested loop over every pair.
    gone AS (
        SELECT bucket_date, task_id, model FROM stored
        EXCEPT
        SELECT bucket_date, task_id, model FROM fresh
    ),
    removed AS (
        DELETE FROM task_usage_dashboard_daily_task_model AS p
        USING gone AS g
        WHERE p.bucket_date = g.bucket_date
            AND p.task_id = g.task_id
            AND p.model = g.model
        RETURNING p.bucket_date, p.task_id, p.model
    ),
    changed AS (
        SELECT bucket_date, task_id, model FROM upserted
        UNION ALL
        SELECT bucket_date, task_id, model FROM removed
    ),
    buckets AS (
        SELECT bucket_date, workspace_id, agent_id, project_id, model
        FROM upserted
        UNION
        SELECT s.bucket_date, s.workspace_id, s.agent_id, s.project_id, s.model
        FROM stored AS s
        JOIN changed AS c
            ON c.bucket_date = s.bucket_date
            AND c.task_id = s.task_id
            AND c.model = s.model
    )
    SELECT
        array_agg(bucket_date),
        array_agg(workspace_id),
        array_agg(agent_id),
        array_agg(project_id),
        array_agg(model)
    INTO v_days, v_workspaces, v_agents, v_projects, v_models
    FROM buckets;
    IF v_days IS NULL THEN
        RETURN 0;
    END IF;
    -- A separate statement: it must see the rows the statement above wrote.
    RETURN task_usage_dashboard_resum_buckets(v_days, v_workspaces, v_agents, v_projects, v_models);
END;
$$;

-- Rebuilds the per-task rows of the UTC days [p_from, p_to) from raw rows, through
-- task_usage_created_at_idx between the UTC bounds (each row's task and issue looked up by
-- primary key for a day or two, hash-joined for longer ranges).
CREATE FUNCTION task_usage_dashboard_rebuild_task_range(p_from date, p_to date) RETURNS void
LANGUAGE plpgsql
-- As for task_usage_dashboard_rebuild_range: planned with the real bounds.
SET plan_cache_mode = force_custom_plan
AS $$
BEGIN
    DELETE FROM task_usage_dashboard_daily_task_model
    WHERE bucket_date >= p_from
        AND bucket_date < p_to;
    INSERT INTO task_usage_dashboard_daily_task_model (
        bucket_date, task_id, model, workspace_id, agent_id, project_id,
        input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, event_count
    )
    SELECT
        task_usage_dashboard_utc_day(u.created_at),
        u.task_id,
        u.model,
        a.workspace_id,
        t.agent_id,
        i.project_id,
        sum(u.input_tokens),
        sum(u.output_tokens),
        sum(u.cache_read_tokens),
        sum(u.cache_write_tokens),
        count(*)
    FROM task_usage AS u
    JOIN agent_task_queue AS t
        ON t.id = u.task_id
    JOIN agent AS a
        ON a.id = t.agent_id
    LEFT JOIN issue AS i
        ON i.id = t.issue_id
    WHERE u.created_at >= p_from::timestamp AT TIME ZONE 'UTC'
        AND u.created_at < p_to::timestamp AT TIME ZONE 'UTC'
    GROUP BY 1, u.task_id, u.model, a.workspace_id, t.agent_id, i.project_id;
END;
$$;

-- Rebuilds the UTC days [p_from, p_to) whole, as in 0002: buckets present in raw data are
-- upserted, buckets that recompute to nothing are deleted (task_usage_created_at_idx between the
-- days' UTC bounds: a day or two looks each row's task and issue up by primary key, a backfill
-- month hash-joins them). Then the per-task rows of the days inside the per-task horizon, and
-- the days' read levels (the caller rebuilds the months). Returns base rows touched.
CREATE OR REPLACE FUNCTION task_usage_dashboard_rebuild_range(p_from date, p_to date) RETURNS bigint
LANGUAGE plpgsql
-- Plan every call with the real bounds: a generic plan guesses a third of the table for any
-- range and would hash-join every task and issue ever written even for one day.
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_from timestamptz := p_from::timestamp AT TIME ZONE 'UTC';
    v_to timestamptz := p_to::timestamp AT TIME ZONE 'UTC';
    v_task_from date := greatest(p_from, task_usage_dashboard_task_level_from());
    v_touched bigint;
BEGIN
    WITH fresh AS (
        SELECT
            task_usage_dashboard_utc_day(u.created_at) AS bucket_date,
            a.workspace_id,
            t.agent_id,
            i.project_id,
            u.model,
            sum(u.input_tokens)::bigint AS input_tokens,
            sum(u.output_tokens)::bigint AS output_tokens,
            sum(u.cache_read_tokens)::bigint AS cache_read_tokens,
            sum(u.cache_write_tokens)::bigint AS cache_write_tokens,
            count(DISTINCT u.task_id) AS task_count,
            count(*) AS event_count
        FROM task_usage AS u
        JOIN agent_task_queue AS t
            ON t.id = u.task_id
        JOIN agent AS a
            ON a.id = t.agent_id
        LEFT JOIN issue AS i
            ON i.id = t.issue_id
        WHERE u.created_at >= v_from
            AND u.created_at < v_to
        GROUP BY 1, a.workspace_id, t.agent_id, i.project_id, u.model
    ),
    upserted AS (
        INSERT INTO task_usage_dashboard_daily AS d (
            bucket_date, workspace_id, agent_id, project_id, model,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
            task_count, event_count, updated_at
        )
        SELECT
            bucket_date, workspace_id, agent_id, project_id, model,
            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
            task_count, event_count, now()
        FROM fresh
        ON CONFLICT ON CONSTRAINT task_usage_dashboard_daily_key DO UPDATE
        SET input_tokens = EXCLUDED.input_tokens,
            output_tokens = EXCLUDED.output_tokens,
            cache_read_tokens = EXCLUDED.cache_read_tokens,
            cache_write_tokens = EXCLUDED.cache_write_tokens,
            task_count = EXCLUDED.task_count,
            event_count = EXCLUDED.event_count,
            updated_at = EXCLUDED.updated_at
        WHERE (d.input_tokens, d.output_tokens, d.cache_read_tokens, d.cache_write_tokens,
               d.task_count, d.event_count)
            IS DISTINCT FROM
              (EXCLUDED.input_tokens, EXCLUDED.output_tokens, EXCLUDED.cache_read_tokens,
               EXCLUDED.cache_write_tokens, EXCLUDED.task_count, EXCLUDED.event_count)
        RETURNING 1
    ),
    removed AS (
        DELETE FROM task_usage_dashboard_daily AS d
        WHERE d.bucket_date >= p_from
            AND d.bucket_date < p_to
            -- coalesce, not IS NOT DISTINCT FROM, so the anti-join can hash (the nil UUID is
            -- never a project id: ids come from gen_random_uuid).
            AND NOT EXISTS (
                SELECT 1
                FROM fresh AS f
                WHERE f.bucket_date = d.bucket_date
                    AND f.workspace_id = d.workspace_id
                    AND f.agent_id = d.agent_id
                    AND coalesce(f.project_id, '00000000-0000-0000-0000-000000000000'::uuid)
                        = coalesce(d.project_id, '00000000-0000-0000-0000-000000000000'::uuid)
                    AND f.model = d.model
            )
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM upserted) + (SELECT count(*) FROM removed)
    INTO v_touched;

    IF v_task_from < p_to THEN
        PERFORM task_usage_dashboard_rebuild_task_range(v_task_from, p_to);
    END IF;
    PERFORM task_usage_dashboard_rebuild_levels(
        ARRAY(SELECT generate_series(p_from, p_to - 1, INTERVAL '1 day')::date)
    );
    RETURN v_touched;
END;
$$;

-- Most changed tasks of one day a tick rebuilds one by one; past it the day is rebuilt whole
-- (cheaper then, and it keeps a step bounded by its days whatever a bulk write queued).
CREATE FUNCTION task_usage_dashboard_rollup_day_tasks_max() RETURNS int
LANGUAGE sql IMMUTABLE
RETURN 2000;

DROP FUNCTION task_usage_dashboard_rebuild_days(date []);

-- Rebuilds the given (day, task) keys, a null task standing for its whole day. A day is
-- rebuilt whole (one range each, planned with that day's bounds) when a key says so, when it
-- has more changed tasks than task_usage_dashboard_rollup_day_tasks_max(), or when it lies
-- before the per-task horizon; the other days' tasks are rebuilt together, then those days'
-- read levels and the months of all days. Per-task rows that fell out of the horizon are
-- dropped first. Returns base rows touched.
CREATE FUNCTION task_usage_dashboard_rebuild_keys(p_days date [], p_tasks uuid []) RETURNS bigint
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

    FOR v_month IN
        SELECT DISTINCT date_trunc('month', d::timestamp)::date FROM unnest(p_days) AS u (d)
    LOOP
        PERFORM task_usage_dashboard_rebuild_month(v_month);
    END LOOP;
    RETURN v_touched;
END;
$$;

-- The tick, as in 0002, draining (day, task) keys: up to a step's worth of days, oldest keys
-- first, every key of a picked day in the same statement that reads them.
CREATE OR REPLACE FUNCTION rollup_task_usage_dashboard_daily() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_cut timestamptz;
    v_days date [];
    v_tasks uuid [];
    v_more boolean;
    v_rows bigint;
BEGIN
    IF NOT pg_try_advisory_xact_lock(task_usage_dashboard_rollup_lock_key()) THEN
        RETURN NULL;
    END IF;
    UPDATE task_usage_dashboard_rollup_state
    SET last_run_started_at = clock_timestamp()
    WHERE id = 1;
    BEGIN
        -- Everything committed before v_cut is visible to the next statement's snapshot.
        v_cut := clock_timestamp();
        -- Oldest keys first, so a caller waiting for the keys it saw is never starved by
        -- newer writes to other days.
        WITH queued AS (
            SELECT
                bucket_date,
                min(id) AS first_id
            FROM task_usage_dashboard_dirty
            GROUP BY bucket_date
        ),
        picked AS (
            SELECT bucket_date
            FROM queued
            ORDER BY first_id
            LIMIT task_usage_dashboard_rollup_step_days()
        ),
        drained AS (
            DELETE FROM task_usage_dashboard_dirty AS q
            USING picked
            WHERE q.bucket_date = picked.bucket_date
            RETURNING q.bucket_date, q.task_id
        )
        SELECT
            array_agg(drained.bucket_date),
            array_agg(drained.task_id),
            (SELECT count(*) FROM queued) > task_usage_dashboard_rollup_step_days()
        INTO v_days, v_tasks, v_more
        FROM drained;
        v_rows := task_usage_dashboard_rebuild_keys(coalesce(v_days, '{}'), coalesce(v_tasks, '{}'));
        UPDATE task_usage_dashboard_rollup_state
        SET watermark_at = CASE
                WHEN watermark_at IS NOT NULL AND NOT v_more THEN greatest(watermark_at, v_cut)
                ELSE watermark_at
            END,
            last_run_finished_at = clock_timestamp(),
            last_run_rows = v_rows,
            last_error = NULL
        WHERE id = 1;
    EXCEPTION WHEN OTHERS THEN
        UPDATE task_usage_dashboard_rollup_state
        SET last_run_finished_at = clock_timestamp(),
            last_error = SQLSTATE || ': ' || SQLERRM
        WHERE id = 1;
        RAISE WARNING 'rollup tick failed: % (%)', SQLERRM, SQLSTATE;
        RETURN -1;
    END;
    RETURN v_rows;
END;
$$;
