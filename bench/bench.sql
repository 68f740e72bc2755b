-- Admin statements of the benchmark suite (bench/), loaded with aiosql like queries/*.sql.
-- None of them is part of the product: they prepare, inspect or switch things for measuring.

-- name: vacuum_analyze()!
-- After a bulk seed: sets hint bits and the visibility map and gathers statistics, so the
-- measurements neither pay for the first reader's hint-bit writes nor race autovacuum doing
-- the same on two cores. Needs autocommit (VACUUM cannot run in a transaction block).
VACUUM (ANALYZE);

-- name: checkpoint()!
-- Before a write-side area: flushes what the areas before it left dirty (a seed or a backfill
-- writes gigabytes), so their checkpoint's I/O does not land inside the timed writes.
CHECKPOINT;

-- name: disable_usage_triggers()!
-- The write benchmark's baseline: task_usage without the rollup's triggers (USER keeps the
-- foreign-key constraint triggers, which the platform always pays for).
ALTER TABLE task_usage DISABLE TRIGGER USER;

-- name: enable_usage_triggers()!
-- Restores the rollup's triggers on task_usage.
ALTER TABLE task_usage ENABLE TRIGGER USER;

-- name: pick_project_id(workspace_id)$
-- One project of the workspace, always the same one ("Project 1" of the seed).
SELECT id
FROM project
WHERE workspace_id = :workspace_id
ORDER BY title, id
LIMIT 1;

-- name: count_usage_rows()$
-- Usage rows in the database (what a full backfill reads).
SELECT count(*)
FROM task_usage;

-- name: count_tasks()$
-- Tasks in the database.
SELECT count(*)
FROM agent_task_queue;

-- name: pick_recent_usage(since, salt, row_limit)
-- A deterministic pseudo-random sample of usage rows created since `since` (their keys only):
-- the rows to re-report and the tasks to add new rows to. task_usage_created_at_idx bounds the scan.
SELECT
    task_id,
    provider,
    model
FROM task_usage
WHERE created_at >= :since
ORDER BY md5(task_id::text || provider || model || :salt)
LIMIT :row_limit;

-- name: pick_recent_runs(since, salt, row_limit)
-- A deterministic pseudo-random sample of terminal runs completed since `since`: the runs the
-- platform's retries and late results change. agent_task_queue_terminal_completed_at_idx bounds
-- the scan.
SELECT id
FROM agent_task_queue
WHERE status IN ('completed', 'failed', 'cancelled')
    AND completed_at >= :since
ORDER BY md5(id::text || :salt)
LIMIT :row_limit;

-- name: change_runs(task_ids)!
-- A lifecycle write of each run: completed and cancelled runs fail with a reason, failed ones
-- complete, and each ends a second later. Status, reason and times all move, so the run
-- rollup's triggers queue each run's day.
UPDATE agent_task_queue
SET
    status = CASE WHEN status = 'failed' THEN 'completed' ELSE 'failed' END,
    failure_reason = CASE WHEN status = 'failed' THEN NULL ELSE 'timeout' END,
    completed_at = completed_at + interval '1 second'
WHERE id = ANY (CAST(:task_ids AS uuid []));

-- name: server_facts()^
-- The server's version and the settings that shape the figures, for RESULTS.md.
SELECT
    current_setting('server_version_num')::int AS version_num,
    current_setting('server_version') AS version,
    current_setting('shared_buffers') AS shared_buffers,
    current_setting('work_mem') AS work_mem,
    current_setting('jit') AS jit,
    current_setting('max_parallel_workers_per_gather') AS max_parallel_workers_per_gather,
    current_setting('synchronous_commit') AS synchronous_commit;
