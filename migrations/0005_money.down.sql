-- Back to 0004: the rollup's tables as 0004 had them (without provider and cost, empty, and
-- marked not backfilled again), no price tables, and task_usage.cost_usd_ticks dropped only when
-- 0005 added it. The runner restores the functions and triggers of 0004 after this file.

DROP TABLE
    task_usage_dashboard_respelled_task,
    task_usage_dashboard_daily,
    task_usage_dashboard_daily_task_model,
    task_usage_dashboard_daily_model,
    task_usage_dashboard_daily_project_model,
    task_usage_dashboard_daily_agent_model,
    task_usage_dashboard_weekly_agent_model,
    task_usage_dashboard_monthly_agent_model,
    task_usage_dashboard_monthly_project_agent_model;

TRUNCATE task_usage_dashboard_dirty;

UPDATE task_usage_dashboard_rollup_state
SET watermark_at = NULL,
    last_run_rows = NULL,
    last_error = NULL,
    backfill_upper_bound = NULL,
    backfill_done_before = NULL,
    project_months_before = task_usage_dashboard_settled_months_before()
WHERE id = 1;

CREATE TABLE task_usage_dashboard_daily (
    bucket_date date NOT NULL,
    workspace_id uuid NOT NULL,
    agent_id uuid NOT NULL,
    project_id uuid,
    model text NOT NULL,
    input_tokens bigint NOT NULL DEFAULT 0,
    output_tokens bigint NOT NULL DEFAULT 0,
    cache_read_tokens bigint NOT NULL DEFAULT 0,
    cache_write_tokens bigint NOT NULL DEFAULT 0,
    task_count bigint NOT NULL DEFAULT 0,
    event_count bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_usage_dashboard_daily_key
        UNIQUE NULLS NOT DISTINCT (bucket_date, workspace_id, agent_id, project_id, model)
);

CREATE INDEX task_usage_dashboard_daily_workspace_date_idx
    ON task_usage_dashboard_daily (workspace_id, bucket_date);
CREATE INDEX task_usage_dashboard_daily_workspace_project_date_idx
    ON task_usage_dashboard_daily (workspace_id, project_id, bucket_date)
    INCLUDE (agent_id, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
             task_count);
CREATE INDEX task_usage_dashboard_daily_workspace_agent_date_idx
    ON task_usage_dashboard_daily (workspace_id, agent_id, bucket_date);

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

CREATE INDEX task_usage_dashboard_daily_task_model_bucket_idx
    ON task_usage_dashboard_daily_task_model (
        bucket_date,
        workspace_id,
        agent_id,
        (coalesce(project_id, '00000000-0000-0000-0000-000000000000'::uuid)),
        model
    );

CREATE TABLE task_usage_dashboard_daily_model (
    workspace_id uuid NOT NULL,
    bucket_date date NOT NULL,
    model text NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cache_read_tokens bigint NOT NULL,
    cache_write_tokens bigint NOT NULL,
    task_count bigint NOT NULL,
    PRIMARY KEY (workspace_id, bucket_date, model)
)
WITH (fillfactor = 70);

CREATE INDEX task_usage_dashboard_daily_model_date_idx
    ON task_usage_dashboard_daily_model (bucket_date);

CREATE TABLE task_usage_dashboard_daily_project_model (
    workspace_id uuid NOT NULL,
    project_id uuid NOT NULL,
    bucket_date date NOT NULL,
    model text NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cache_read_tokens bigint NOT NULL,
    cache_write_tokens bigint NOT NULL,
    task_count bigint NOT NULL,
    PRIMARY KEY (workspace_id, project_id, bucket_date, model)
)
WITH (fillfactor = 70);

CREATE INDEX task_usage_dashboard_daily_project_model_date_idx
    ON task_usage_dashboard_daily_project_model (bucket_date);

CREATE TABLE task_usage_dashboard_daily_agent_model (
    workspace_id uuid NOT NULL,
    bucket_date date NOT NULL,
    agent_id uuid NOT NULL,
    model text NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cache_read_tokens bigint NOT NULL,
    cache_write_tokens bigint NOT NULL,
    task_count bigint NOT NULL,
    PRIMARY KEY (workspace_id, bucket_date, agent_id, model)
)
WITH (fillfactor = 70);

CREATE INDEX task_usage_dashboard_daily_agent_model_date_idx
    ON task_usage_dashboard_daily_agent_model (bucket_date);

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
WITH (fillfactor = 70);

CREATE INDEX task_usage_dashboard_weekly_agent_model_week_idx
    ON task_usage_dashboard_weekly_agent_model (week);

CREATE TABLE task_usage_dashboard_monthly_agent_model (
    workspace_id uuid NOT NULL,
    month date NOT NULL,
    agent_id uuid NOT NULL,
    model text NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cache_read_tokens bigint NOT NULL,
    cache_write_tokens bigint NOT NULL,
    task_count bigint NOT NULL,
    PRIMARY KEY (workspace_id, month, agent_id, model)
)
WITH (fillfactor = 70);

CREATE INDEX task_usage_dashboard_monthly_agent_model_month_idx
    ON task_usage_dashboard_monthly_agent_model (month);

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

DROP VIEW model_price_effective;
DROP TABLE model_price_shipped;
DROP TABLE model_price;

DO $$
BEGIN
    IF col_description('task_usage'::regclass, (
        SELECT attnum
        FROM pg_attribute
        WHERE attrelid = 'task_usage'::regclass
            AND attname = 'cost_usd_ticks'
    )) = 'added by usage-dashboard migration 0005' THEN
        ALTER TABLE task_usage DROP COLUMN cost_usd_ticks;
    END IF;
END;
$$;
