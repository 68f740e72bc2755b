-- Reverts 0003 in reverse order: the 0002 tick, rebuild functions and enqueue triggers back,
-- the per-task level dropped, the queue back to whole days. Keys queued with a task stay queued
-- as their day, which the 0002 tick rebuilds whole.

-- The tick: one bounded step. Returns rows touched; NULL when another tick or a backfill holds
-- the lock (it returns at once); -1 when the step failed, after recording last_error and
-- last_run_finished_at (the handler does not re-raise, so the record survives; the watermark
-- and the queue are rolled back with the failed step). The watermark moves to the instant
-- before the drain once the queue holds nothing that drain could see.
CREATE OR REPLACE FUNCTION rollup_task_usage_dashboard_daily() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_cut timestamptz;
    v_days date[];
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
            RETURNING q.bucket_date
        )
        SELECT
            array_agg(DISTINCT drained.bucket_date),
            (SELECT count(*) FROM queued) > task_usage_dashboard_rollup_step_days()
        INTO v_days, v_more
        FROM drained;
        v_rows := task_usage_dashboard_rebuild_days(coalesce(v_days, '{}'));
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

DROP FUNCTION task_usage_dashboard_rebuild_keys(date [], uuid []);
DROP FUNCTION task_usage_dashboard_rollup_day_tasks_max();

-- Rebuilds the given UTC days (a tick's scattered days: one range each, planned with that day's
-- bounds) and the months they fall in. Returns base rows touched.
CREATE FUNCTION task_usage_dashboard_rebuild_days(p_days date[]) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_day date;
    v_month date;
    v_touched bigint := 0;
BEGIN
    FOR v_day IN SELECT DISTINCT d FROM unnest(p_days) AS u (d) ORDER BY d LOOP
        v_touched := v_touched + task_usage_dashboard_rebuild_range(v_day, v_day + 1);
    END LOOP;
    FOR v_month IN
        SELECT DISTINCT date_trunc('month', d::timestamp)::date FROM unnest(p_days) AS u (d)
    LOOP
        PERFORM task_usage_dashboard_rebuild_month(v_month);
    END LOOP;
    RETURN v_touched;
END;
$$;

-- Rebuilds the buckets of the UTC days [p_from, p_to) from raw rows: buckets present in raw data
-- are upserted (rows whose sums did not change are left alone), buckets that recompute to nothing
-- are deleted. The days are read through task_usage_created_at_idx between their UTC bounds, so
-- the cost is that of the days, never of the history: for a day or two the planner looks each
-- row's task and issue up by primary key; for a backfill month it hash-joins them.
-- Then the days' rows of the daily read levels are rebuilt from their base rows (the caller
-- rebuilds the months). Returns base rows inserted, updated or deleted.
CREATE OR REPLACE FUNCTION task_usage_dashboard_rebuild_range(p_from date, p_to date) RETURNS bigint
LANGUAGE plpgsql
-- Plan every call with the real bounds: a generic plan guesses a third of the table for any
-- range and would hash-join every task and issue ever written even for one day.
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_from timestamptz := p_from::timestamp AT TIME ZONE 'UTC';
    v_to timestamptz := p_to::timestamp AT TIME ZONE 'UTC';
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

    -- The read levels below are sums of the days' base rows (task counts included: a task has
    -- one agent and one project, so per-bucket distinct counts add up exactly per day).
    DELETE FROM task_usage_dashboard_daily_model WHERE bucket_date >= p_from AND bucket_date < p_to;
    INSERT INTO task_usage_dashboard_daily_model (
        workspace_id, bucket_date, model,
        input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, task_count
    )
    SELECT
        workspace_id, bucket_date, model,
        sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens),
        sum(task_count)
    FROM task_usage_dashboard_daily
    WHERE bucket_date >= p_from
        AND bucket_date < p_to
    GROUP BY workspace_id, bucket_date, model;

    DELETE FROM task_usage_dashboard_daily_project_model WHERE bucket_date >= p_from AND bucket_date < p_to;
    INSERT INTO task_usage_dashboard_daily_project_model (
        workspace_id, project_id, bucket_date, model,
        input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, task_count
    )
    SELECT
        workspace_id, project_id, bucket_date, model,
        sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens),
        sum(task_count)
    FROM task_usage_dashboard_daily
    WHERE bucket_date >= p_from
        AND bucket_date < p_to
        AND project_id IS NOT NULL
    GROUP BY workspace_id, project_id, bucket_date, model;

    DELETE FROM task_usage_dashboard_daily_agent_model WHERE bucket_date >= p_from AND bucket_date < p_to;
    INSERT INTO task_usage_dashboard_daily_agent_model (
        workspace_id, bucket_date, agent_id, model,
        input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, task_count
    )
    SELECT
        workspace_id, bucket_date, agent_id, model,
        sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens),
        sum(task_count)
    FROM task_usage_dashboard_daily
    WHERE bucket_date >= p_from
        AND bucket_date < p_to
    GROUP BY workspace_id, bucket_date, agent_id, model;

    RETURN v_touched;
END;
$$;

DROP FUNCTION task_usage_dashboard_rebuild_task_range(date, date);
DROP FUNCTION task_usage_dashboard_rebuild_tasks(date [], uuid []);
DROP FUNCTION task_usage_dashboard_resum_buckets(date [], uuid [], uuid [], uuid [], text []);
DROP FUNCTION task_usage_dashboard_rebuild_levels(date []);

ALTER TABLE task_usage_dashboard_daily_agent_model RESET (fillfactor);
ALTER TABLE task_usage_dashboard_daily_project_model RESET (fillfactor);
ALTER TABLE task_usage_dashboard_daily_model RESET (fillfactor);

DROP TRIGGER task_usage_dashboard_usage_moved ON task_usage;
DROP FUNCTION task_usage_dashboard_enqueue_moved_usage();

-- An agent moved to another workspace moves all of its usage.
CREATE OR REPLACE FUNCTION task_usage_dashboard_enqueue_agent_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_usage_dashboard_dirty (bucket_date)
    SELECT DISTINCT task_usage_dashboard_utc_day(u.created_at)
    FROM agent_task_queue AS t
    JOIN task_usage AS u
        ON u.task_id = t.id
    WHERE t.agent_id = NEW.id;
    RETURN NULL;
END;
$$;

-- An issue moved to another project (including the SET NULL of a project delete) moves the
-- usage of all its tasks (agent_task_queue_issue_id_idx, then task_usage_task_id_idx).
CREATE OR REPLACE FUNCTION task_usage_dashboard_enqueue_issue_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_usage_dashboard_dirty (bucket_date)
    SELECT DISTINCT task_usage_dashboard_utc_day(u.created_at)
    FROM agent_task_queue AS t
    JOIN task_usage AS u
        ON u.task_id = t.id
    WHERE t.issue_id = NEW.id;
    RETURN NULL;
END;
$$;

-- A task linked to another issue (or moved to another agent) moves all of its usage between
-- buckets: enqueue the days of its usage rows (task_usage_task_id_idx).
CREATE OR REPLACE FUNCTION task_usage_dashboard_enqueue_task_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_usage_dashboard_dirty (bucket_date)
    SELECT DISTINCT task_usage_dashboard_utc_day(u.created_at)
    FROM task_usage AS u
    WHERE u.task_id = NEW.id;
    RETURN NULL;
END;
$$;

DROP TRIGGER task_usage_dashboard_usage_update ON task_usage;

CREATE OR REPLACE FUNCTION task_usage_dashboard_enqueue_changed_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_usage_dashboard_dirty (bucket_date)
    SELECT task_usage_dashboard_utc_day(created_at) FROM old_usage
    UNION
    SELECT task_usage_dashboard_utc_day(created_at) FROM new_usage;
    RETURN NULL;
END;
$$;

CREATE TRIGGER task_usage_dashboard_usage_update
    AFTER UPDATE ON task_usage
    REFERENCING OLD TABLE AS old_usage NEW TABLE AS new_usage
    FOR EACH STATEMENT EXECUTE FUNCTION task_usage_dashboard_enqueue_changed_usage();

CREATE OR REPLACE FUNCTION task_usage_dashboard_enqueue_old_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_usage_dashboard_dirty (bucket_date)
    SELECT DISTINCT task_usage_dashboard_utc_day(created_at)
    FROM old_usage;
    RETURN NULL;
END;
$$;

-- Usage written or removed: enqueue the days of the rows (statement level: one insert per
-- statement, from the transition tables).
CREATE OR REPLACE FUNCTION task_usage_dashboard_enqueue_new_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_usage_dashboard_dirty (bucket_date)
    SELECT DISTINCT task_usage_dashboard_utc_day(created_at)
    FROM new_usage;
    RETURN NULL;
END;
$$;

DROP FUNCTION task_usage_dashboard_task_level_from();

DROP TABLE task_usage_dashboard_daily_task_model;

ALTER TABLE task_usage_dashboard_dirty
    DROP COLUMN task_id;
