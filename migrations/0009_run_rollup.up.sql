-- The run rollup (docs/rollup.md, "The run rollup"): what agent-runtime, runtime/daily,
-- failures/daily and failures/by-agent count, per UTC day of completed_at, so a year's read sums
-- a few thousand rows instead of every task.
--
-- Every table keeps the same four sums of a group of terminal runs:
--   finished_count   completed or failed runs, started or not (the failure routes);
--   run_count        completed, failed or cancelled runs with a started_at (the run-time routes);
--   run_micros       their completed_at - started_at, in microseconds (exact, rounded only by
--                    the read, once per day or agent, as the raw query rounds its seconds);
--   cancelled_count  of run_count, the cancelled ones.
-- failure_reason is the routes' key: the stored reason of a failed run ("unclassified" when
-- null or empty), "" for completed and cancelled runs; run_count of a non-empty reason counts
-- the failed runs. project_id is the nil UUID for the whole workspace's rows (never a project
-- id: ids come from gen_random_uuid), so both levels share the key a read looks rows up by.

-- The invalidation queue: (workspace, UTC day) keys whose rows must be rebuilt from raw tasks,
-- appended by triggers in the writer's own transaction.
CREATE TABLE task_run_dashboard_dirty (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id uuid NOT NULL,
    bucket_date date NOT NULL,
    enqueued_at timestamptz NOT NULL DEFAULT now()
);

-- Reads look up the queued days of their workspace and window; ticks drain whole days.
CREATE INDEX task_run_dashboard_dirty_workspace_day_idx
    ON task_run_dashboard_dirty (workspace_id, bucket_date);

CREATE INDEX task_run_dashboard_dirty_day_idx
    ON task_run_dashboard_dirty (bucket_date);

-- Per (workspace, project, UTC day, failure reason): runtime/daily and failures/daily.
CREATE TABLE task_run_dashboard_daily (
    workspace_id uuid NOT NULL,
    project_id uuid NOT NULL,
    bucket_date date NOT NULL,
    failure_reason text NOT NULL,
    finished_count bigint NOT NULL,
    run_count bigint NOT NULL,
    run_micros bigint NOT NULL,
    cancelled_count bigint NOT NULL,
    PRIMARY KEY (workspace_id, project_id, bucket_date, failure_reason)
);

-- Per (workspace, project, UTC day, agent, failure reason): the per-agent routes' partial months.
CREATE TABLE task_run_dashboard_daily_agent (
    workspace_id uuid NOT NULL,
    project_id uuid NOT NULL,
    bucket_date date NOT NULL,
    agent_id uuid NOT NULL,
    failure_reason text NOT NULL,
    finished_count bigint NOT NULL,
    run_count bigint NOT NULL,
    run_micros bigint NOT NULL,
    cancelled_count bigint NOT NULL,
    PRIMARY KEY (workspace_id, project_id, bucket_date, agent_id, failure_reason)
);

-- Per (workspace, project, month, agent, failure reason): the per-agent routes' whole months,
-- summed from the daily agent rows.
CREATE TABLE task_run_dashboard_monthly_agent (
    workspace_id uuid NOT NULL,
    project_id uuid NOT NULL,
    bucket_month date NOT NULL,
    agent_id uuid NOT NULL,
    failure_reason text NOT NULL,
    finished_count bigint NOT NULL,
    run_count bigint NOT NULL,
    run_micros bigint NOT NULL,
    cancelled_count bigint NOT NULL,
    PRIMARY KEY (workspace_id, project_id, bucket_month, agent_id, failure_reason)
);

-- Per (workspace, project, UTC day, registered quarter, failure reason): the runs of the day
-- completed before that quarter hour (the usage prefixes' registry, task_usage_dashboard_split,
-- says which quarters are kept and from which day on).
CREATE TABLE task_run_dashboard_daily_split (
    workspace_id uuid NOT NULL,
    project_id uuid NOT NULL,
    bucket_date date NOT NULL,
    quarter int NOT NULL,
    failure_reason text NOT NULL,
    finished_count bigint NOT NULL,
    run_count bigint NOT NULL,
    run_micros bigint NOT NULL,
    cancelled_count bigint NOT NULL,
    PRIMARY KEY (workspace_id, project_id, bucket_date, quarter, failure_reason)
);

-- A rebuild replaces the rows of its (workspace, day) keys across every project.
CREATE INDEX task_run_dashboard_daily_day_idx
    ON task_run_dashboard_daily (bucket_date, workspace_id);

CREATE INDEX task_run_dashboard_daily_agent_day_idx
    ON task_run_dashboard_daily_agent (bucket_date, workspace_id);

CREATE INDEX task_run_dashboard_monthly_agent_month_idx
    ON task_run_dashboard_monthly_agent (bucket_month, workspace_id);

CREATE INDEX task_run_dashboard_daily_split_day_idx
    ON task_run_dashboard_daily_split (bucket_date, workspace_id);

-- Runs written before this migration: queued, so reads take their days from raw tasks until
-- the ticks (a month of days each) or a backfill have rolled them up.
INSERT INTO task_run_dashboard_dirty (workspace_id, bucket_date)
SELECT DISTINCT
    a.workspace_id,
    task_usage_dashboard_utc_day(t.completed_at)
FROM agent_task_queue AS t
JOIN agent AS a
    ON a.id = t.agent_id
WHERE t.status IN ('completed', 'failed', 'cancelled')
    AND t.completed_at IS NOT NULL;
