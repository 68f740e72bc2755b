-- name: rollup_tick()$
-- One bounded tick step (rollup_task_usage_dashboard_daily): rows touched, NULL when another
-- tick or a backfill holds the lock, -1 when the step failed and recorded last_error.
SELECT rollup_task_usage_dashboard_daily();

-- name: rollup_wait()$
-- Blocks until the rollup lock is free; the caller runs it in autocommit so it is released at once.
SELECT task_usage_dashboard_rollup_wait()::text;

-- name: rollup_queue_high_water()^
-- The newest queued key of each rollup visible now: a tick run is done when no key up to them
-- remains.
SELECT
    (SELECT coalesce(max(id), 0) FROM task_usage_dashboard_dirty) AS usage_key,
    (SELECT coalesce(max(id), 0) FROM task_run_dashboard_dirty) AS run_key;

-- name: rollup_queue_has_keys_up_to(usage_key, run_key)$
-- Whether any key enqueued up to the high-water marks is still waiting (primary key ranges).
SELECT EXISTS (
    SELECT 1
    FROM task_usage_dashboard_dirty
    WHERE id <= :usage_key
)
OR EXISTS (
    SELECT 1
    FROM task_run_dashboard_dirty
    WHERE id <= :run_key
);

-- name: record_rollup_failure(message)!
-- Records a tick failure from outside the failed transaction (a cancelled statement cannot run
-- its own handler), so last_error survives the rollback.
UPDATE task_usage_dashboard_rollup_state
SET last_error = :message,
    last_run_finished_at = now()
WHERE id = 1;

-- name: get_rollup_status()^
-- Everything an operator needs to judge the rollup: the state row, lag, queue depth and age
-- (both rollups' queues),
-- and the newest usage change not yet covered by the watermark (task_usage_updated_at_idx and
-- task_usage_created_at_idx answer the max() reads from the index end).
SELECT
    s.watermark_at,
    s.last_run_started_at,
    s.last_run_finished_at,
    s.last_run_rows,
    s.last_error,
    s.last_success_at,
    task_usage_dashboard_rollup_lag_seconds() AS lag_seconds,
    q.depth AS queue_depth,
    q.days AS queued_days,
    q.oldest AS oldest_queued_at,
    -- How long the oldest queued key has waited: what the rollup has yet to absorb, whatever
    -- the last tick did (reads correct for it; the tick bounds it).
    coalesce(extract(EPOCH FROM now() - q.oldest), 0)::float8 AS staleness_seconds,
    CASE
        WHEN s.watermark_at IS NULL THEN n.newest
        WHEN n.newest > s.watermark_at THEN n.newest
    END AS newest_unrolled_usage_at,
    s.backfill_upper_bound,
    s.backfill_done_before
FROM task_usage_dashboard_rollup_state AS s
CROSS JOIN (
    SELECT
        count(*) AS depth,
        count(DISTINCT bucket_date) AS days,
        min(enqueued_at) AS oldest
    FROM (
        SELECT bucket_date, enqueued_at
        FROM task_usage_dashboard_dirty
        UNION ALL
        SELECT bucket_date, enqueued_at
        FROM task_run_dashboard_dirty
    ) AS keys
) AS q
CROSS JOIN (
    SELECT greatest(
        (SELECT max(updated_at) FROM task_usage),
        (SELECT max(created_at) FROM task_usage)
    ) AS newest
) AS n
WHERE s.id = 1;

-- name: rollup_backfilled()$
-- Whether a backfill has completed (a watermark, and no backfill left half-way): the `auto`
-- read path serves the rollup from then on. One primary-key read of the state row.
SELECT watermark_at IS NOT NULL AND backfill_upper_bound IS NULL
FROM task_usage_dashboard_rollup_state
WHERE id = 1;

-- name: rollup_window(p_from, p_to)$
-- Rebuilds every UTC day overlapping [p_from, p_to) from raw rows (backfill slices).
SELECT rollup_task_usage_dashboard_daily_window(:p_from, :p_to);

-- name: lock_rollup_for_backfill()$
-- Takes the tick's lock for the whole backfill at session level, waiting for a running tick;
-- ticks meanwhile return at once. Released by unlock_rollup_for_backfill or disconnection.
SELECT pg_advisory_lock(task_usage_dashboard_rollup_lock_key())::text;

-- name: unlock_rollup_for_backfill()$
-- Releases the session-level backfill lock.
SELECT pg_advisory_unlock(task_usage_dashboard_rollup_lock_key());

-- name: get_backfill_bounds()^
-- The instant a new backfill stamps as its watermark (fixed before walking) and the oldest and
-- newest usage row or terminal run there is (task_usage_created_at_idx and
-- agent_task_queue_terminal_completed_at_idx answer min() and max() from their ends): rows dated
-- after now must be rebuilt too, or the watermark would claim them.
SELECT
    now() AS upper_bound,
    least(
        (SELECT min(created_at) FROM task_usage),
        (
            SELECT min(completed_at)
            FROM agent_task_queue
            WHERE status IN ('completed', 'failed', 'cancelled')
        )
    ) AS oldest_at,
    greatest(
        (SELECT max(created_at) FROM task_usage),
        (
            SELECT max(completed_at)
            FROM agent_task_queue
            WHERE status IN ('completed', 'failed', 'cancelled')
        )
    ) AS newest_at;

-- name: count_usage_between(p_from, p_to)$
-- Usage rows in [p_from, p_to): the dry run's size of a slice (task_usage_created_at_idx).
SELECT count(*)
FROM task_usage
WHERE created_at >= :p_from
    AND created_at < :p_to;

-- name: start_backfill(upper_bound, done_before)!
-- Records a backfill in progress so an interrupted one resumes with the same upper bound.
UPDATE task_usage_dashboard_rollup_state
SET backfill_upper_bound = :upper_bound,
    backfill_done_before = :done_before
WHERE id = 1;

-- name: advance_backfill(done_before)!
-- Records that every day before done_before is rebuilt; committed with the slice it follows.
UPDATE task_usage_dashboard_rollup_state
SET backfill_done_before = :done_before
WHERE id = 1;

-- name: finish_backfill()!
-- Stamps the watermark to the upper bound fixed before walking (never a later now()) and clears
-- the backfill's progress.
UPDATE task_usage_dashboard_rollup_state
SET watermark_at = greatest(watermark_at, backfill_upper_bound),
    backfill_upper_bound = NULL,
    backfill_done_before = NULL
WHERE id = 1;

-- name: vacuum_rollup()!
-- After a backfill rewrote the rollup's tables wholesale and emptied both queues: fresh
-- statistics, so the first reads and ticks are planned on the real row counts; visibility
-- maps, so the levels' covering indexes serve index-only scans; and the queues' dead keys (one
-- per usage row and run ever written, queued by the triggers and drained by the walk) gone,
-- which every read's probe of the queue would otherwise step over until autovacuum came (by
-- hand at the bench's full scale, 3M drained keys: the first 30-day daily read took 428 ms and
-- the next ones 40 ms, 4 ms after this). Needs autocommit, like every connection the app and
-- the CLI open.
VACUUM (ANALYZE)
    task_usage_dashboard_dirty,
    task_run_dashboard_dirty,
    task_usage_dashboard_daily,
    task_usage_dashboard_daily_model,
    task_usage_dashboard_daily_project_model,
    task_usage_dashboard_daily_agent_model,
    task_usage_dashboard_weekly_agent_model,
    task_usage_dashboard_monthly_agent_model,
    task_usage_dashboard_monthly_project_agent_model,
    task_usage_dashboard_daily_split_model,
    task_usage_dashboard_daily_shift_model,
    task_usage_dashboard_daily_split_agent_model,
    task_usage_dashboard_daily_task_model,
    task_run_dashboard_daily,
    task_run_dashboard_daily_agent,
    task_run_dashboard_monthly_agent,
    task_run_dashboard_daily_split;

-- name: register_rollup_splits(quarters)!
-- Registers the quarter hours of UTC where a viewer's local midnights fall (1 to 95), so the
-- tick fills and keeps the prefixes that stitch those local days; known ones stay as they are.
INSERT INTO task_usage_dashboard_split (quarter)
SELECT DISTINCT u.quarter
FROM unnest(CAST(:quarters AS int[])) AS u (quarter)
WHERE NOT EXISTS (
    SELECT 1
    FROM task_usage_dashboard_split AS s
    WHERE s.quarter = u.quarter
)
ON CONFLICT (quarter) DO NOTHING;

-- name: rollup_splits_unfilled()$
-- Whether a registered quarter still lacks prefixes for part of history (a tick step fills a
-- month of one). The split table holds a row per quarter viewers use, a handful.
SELECT EXISTS (
    SELECT 1
    FROM task_usage_dashboard_split
    WHERE filled_from IS NULL
        OR filled_from > '-infinity'::date
);

-- name: fill_rollup_splits()$
-- One bounded step of filling newly registered quarters (a month of one quarter's prefixes);
-- true while a registered quarter is still unfilled. Ticks run it too; a backfill runs it to
-- the end.
SELECT task_usage_dashboard_fill_splits();
