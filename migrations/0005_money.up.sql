-- Money (docs/cost.md): the provider-reported amount on task_usage, a versioned price table
-- (shipped rows loaded from app/data/default_prices.csv by the migration runner, operator rows
-- from the CLI), and provider plus the cost inputs in every rollup level.
--
-- Rollup rows are now per lower(btrim(provider)) as well as model, and carry the cost inputs:
-- reported ticks, the four uncosted token sums, the table-estimated ticks of those tokens (at
-- the price in effect on each row's UTC day) and the tokens no price covered. Old rows have no
-- provider, so the rollup's tables are made anew, empty, and the rollup is marked not
-- backfilled: health says `not_backfilled` until `usage-dashboard backfill` has rebuilt it (the
-- embedded `serve` does so itself).

-- The platform's later column; its own database may already have it. The comment marks the
-- column as ours, so the down migration never drops a column the platform owns.
DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1
        FROM information_schema.columns
        WHERE table_schema = current_schema()
            AND table_name = 'task_usage'
            AND column_name = 'cost_usd_ticks'
    ) THEN
        ALTER TABLE task_usage ADD COLUMN cost_usd_ticks bigint;
        COMMENT ON COLUMN task_usage.cost_usd_ticks IS 'added by usage-dashboard migration 0005';
    END IF;
END;
$$;

-- Prices are USD per million tokens with at most four decimals, so ticks per token
-- (price x 10^4) are whole and every cost is exact.

-- Operator price versions (usage-dashboard prices set / import). A row overrides the shipped
-- row of the same key and effective_from.
CREATE TABLE model_price (
    key text NOT NULL CHECK (key <> '' AND key = btrim(key)),
    effective_from date NOT NULL CHECK (effective_from >= '1970-01-01'),
    input numeric NOT NULL,
    output numeric NOT NULL,
    cache_read numeric NOT NULL,
    cache_write numeric NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT model_price_input_check CHECK (input >= 0 AND input = round(input, 4)),
    CONSTRAINT model_price_output_check CHECK (output >= 0 AND output = round(output, 4)),
    CONSTRAINT model_price_cache_read_check CHECK (cache_read >= 0 AND cache_read = round(cache_read, 4)),
    CONSTRAINT model_price_cache_write_check CHECK (cache_write >= 0 AND cache_write = round(cache_write, 4)),
    PRIMARY KEY (key, effective_from)
);

-- The shipped price table, kept equal to the package's data file by every `migrate`.
CREATE TABLE model_price_shipped (
    key text NOT NULL CHECK (key <> '' AND key = btrim(key)),
    effective_from date NOT NULL CHECK (effective_from >= '1970-01-01'),
    input numeric NOT NULL,
    output numeric NOT NULL,
    cache_read numeric NOT NULL,
    cache_write numeric NOT NULL,
    CONSTRAINT model_price_shipped_input_check CHECK (input >= 0 AND input = round(input, 4)),
    CONSTRAINT model_price_shipped_output_check CHECK (output >= 0 AND output = round(output, 4)),
    CONSTRAINT model_price_shipped_cache_read_check CHECK (cache_read >= 0 AND cache_read = round(cache_read, 4)),
    CONSTRAINT model_price_shipped_cache_write_check CHECK (cache_write >= 0 AND cache_write = round(cache_write, 4)),
    PRIMARY KEY (key, effective_from)
);

-- Every version in force: operator rows, then the shipped rows they do not override.
CREATE VIEW model_price_effective AS
SELECT
    o.key,
    o.effective_from,
    o.input,
    o.output,
    o.cache_read,
    o.cache_write,
    'operator' AS source
FROM model_price AS o
UNION ALL
SELECT
    s.key,
    s.effective_from,
    s.input,
    s.output,
    s.cache_read,
    s.cache_write,
    'shipped' AS source
FROM model_price_shipped AS s
WHERE NOT EXISTS (
    SELECT 1
    FROM model_price AS o
    WHERE o.key = s.key
        AND o.effective_from = s.effective_from
);

-- The rollup's tables, anew. Reported and estimated ticks are numeric: a bucket of rows
-- reporting near 9e15 ticks each would overflow bigint.
DROP TABLE
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
    -- Nothing is summed yet, so every settled month is "summed" (as empty) and a backfill
    -- fills them.
    project_months_before = task_usage_dashboard_settled_months_before()
WHERE id = 1;

-- One row per (UTC day, workspace, agent, project, provider, model): the base of every level.
CREATE TABLE task_usage_dashboard_daily (
    bucket_date date NOT NULL,
    workspace_id uuid NOT NULL,
    agent_id uuid NOT NULL,
    project_id uuid,
    provider text NOT NULL,
    model text NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cache_read_tokens bigint NOT NULL,
    cache_write_tokens bigint NOT NULL,
    cost_usd_ticks numeric NOT NULL,
    uncosted_input_tokens bigint NOT NULL,
    uncosted_output_tokens bigint NOT NULL,
    uncosted_cache_read_tokens bigint NOT NULL,
    uncosted_cache_write_tokens bigint NOT NULL,
    estimated_cost_ticks numeric NOT NULL,
    unpriced_tokens bigint NOT NULL,
    task_count bigint NOT NULL,
    event_count bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_usage_dashboard_daily_key
        UNIQUE NULLS NOT DISTINCT (bucket_date, workspace_id, agent_id, project_id, provider, model)
);

-- Reads: a workspace's days; a workspace's project's days; a workspace's agent's days.
CREATE INDEX task_usage_dashboard_daily_workspace_date_idx
    ON task_usage_dashboard_daily (workspace_id, bucket_date);
-- Covering, so a project's by-agent read over a year is an index-only scan.
CREATE INDEX task_usage_dashboard_daily_workspace_project_date_idx
    ON task_usage_dashboard_daily (workspace_id, project_id, bucket_date)
    INCLUDE (agent_id, provider, model, input_tokens, output_tokens, cache_read_tokens,
             cache_write_tokens, cost_usd_ticks, uncosted_input_tokens, uncosted_output_tokens,
             uncosted_cache_read_tokens, uncosted_cache_write_tokens, estimated_cost_ticks,
             unpriced_tokens, task_count);
CREATE INDEX task_usage_dashboard_daily_workspace_agent_date_idx
    ON task_usage_dashboard_daily (workspace_id, agent_id, bucket_date);

-- One row per (UTC day, task, provider, model) for the days since
-- task_usage_dashboard_task_level_from(), with the attribution it had when rebuilt: each row lies
-- in exactly one base bucket and adds exactly one to its task_count.
CREATE TABLE task_usage_dashboard_daily_task_model (
    bucket_date date NOT NULL,
    task_id uuid NOT NULL,
    provider text NOT NULL,
    model text NOT NULL,
    workspace_id uuid NOT NULL,
    agent_id uuid NOT NULL,
    project_id uuid,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cache_read_tokens bigint NOT NULL,
    cache_write_tokens bigint NOT NULL,
    cost_usd_ticks numeric NOT NULL,
    uncosted_input_tokens bigint NOT NULL,
    uncosted_output_tokens bigint NOT NULL,
    uncosted_cache_read_tokens bigint NOT NULL,
    uncosted_cache_write_tokens bigint NOT NULL,
    estimated_cost_ticks numeric NOT NULL,
    unpriced_tokens bigint NOT NULL,
    event_count bigint NOT NULL,
    PRIMARY KEY (bucket_date, task_id, provider, model)
);

-- Re-summing a bucket finds its rows here; "no project" is keyed through coalesce so it is an
-- equality the index can serve (the nil UUID is never a project id).
CREATE INDEX task_usage_dashboard_daily_task_model_bucket_idx
    ON task_usage_dashboard_daily_task_model (
        bucket_date,
        workspace_id,
        agent_id,
        (coalesce(project_id, '00000000-0000-0000-0000-000000000000'::uuid)),
        provider,
        model
    );

-- The read levels. Rewritten in place every tick: room on each page for the new row versions,
-- so an update stays on its page (HOT) instead of adding index entries.
CREATE TABLE task_usage_dashboard_daily_model (
    workspace_id uuid NOT NULL,
    bucket_date date NOT NULL,
    provider text NOT NULL,
    model text NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cache_read_tokens bigint NOT NULL,
    cache_write_tokens bigint NOT NULL,
    cost_usd_ticks numeric NOT NULL,
    uncosted_input_tokens bigint NOT NULL,
    uncosted_output_tokens bigint NOT NULL,
    uncosted_cache_read_tokens bigint NOT NULL,
    uncosted_cache_write_tokens bigint NOT NULL,
    estimated_cost_ticks numeric NOT NULL,
    unpriced_tokens bigint NOT NULL,
    task_count bigint NOT NULL,
    PRIMARY KEY (workspace_id, bucket_date, provider, model)
)
WITH (fillfactor = 70);

CREATE INDEX task_usage_dashboard_daily_model_date_idx
    ON task_usage_dashboard_daily_model (bucket_date);

CREATE TABLE task_usage_dashboard_daily_project_model (
    workspace_id uuid NOT NULL,
    project_id uuid NOT NULL,
    bucket_date date NOT NULL,
    provider text NOT NULL,
    model text NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cache_read_tokens bigint NOT NULL,
    cache_write_tokens bigint NOT NULL,
    cost_usd_ticks numeric NOT NULL,
    uncosted_input_tokens bigint NOT NULL,
    uncosted_output_tokens bigint NOT NULL,
    uncosted_cache_read_tokens bigint NOT NULL,
    uncosted_cache_write_tokens bigint NOT NULL,
    estimated_cost_ticks numeric NOT NULL,
    unpriced_tokens bigint NOT NULL,
    task_count bigint NOT NULL,
    PRIMARY KEY (workspace_id, project_id, bucket_date, provider, model)
)
WITH (fillfactor = 70);

CREATE INDEX task_usage_dashboard_daily_project_model_date_idx
    ON task_usage_dashboard_daily_project_model (bucket_date);

CREATE TABLE task_usage_dashboard_daily_agent_model (
    workspace_id uuid NOT NULL,
    bucket_date date NOT NULL,
    agent_id uuid NOT NULL,
    provider text NOT NULL,
    model text NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cache_read_tokens bigint NOT NULL,
    cache_write_tokens bigint NOT NULL,
    cost_usd_ticks numeric NOT NULL,
    uncosted_input_tokens bigint NOT NULL,
    uncosted_output_tokens bigint NOT NULL,
    uncosted_cache_read_tokens bigint NOT NULL,
    uncosted_cache_write_tokens bigint NOT NULL,
    estimated_cost_ticks numeric NOT NULL,
    unpriced_tokens bigint NOT NULL,
    task_count bigint NOT NULL,
    PRIMARY KEY (workspace_id, bucket_date, agent_id, provider, model)
)
WITH (fillfactor = 70);

CREATE INDEX task_usage_dashboard_daily_agent_model_date_idx
    ON task_usage_dashboard_daily_agent_model (bucket_date);

CREATE TABLE task_usage_dashboard_weekly_agent_model (
    workspace_id uuid NOT NULL,
    week date NOT NULL,
    agent_id uuid NOT NULL,
    provider text NOT NULL,
    model text NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cache_read_tokens bigint NOT NULL,
    cache_write_tokens bigint NOT NULL,
    cost_usd_ticks numeric NOT NULL,
    uncosted_input_tokens bigint NOT NULL,
    uncosted_output_tokens bigint NOT NULL,
    uncosted_cache_read_tokens bigint NOT NULL,
    uncosted_cache_write_tokens bigint NOT NULL,
    estimated_cost_ticks numeric NOT NULL,
    unpriced_tokens bigint NOT NULL,
    task_count bigint NOT NULL,
    PRIMARY KEY (workspace_id, week, agent_id, provider, model),
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
    provider text NOT NULL,
    model text NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cache_read_tokens bigint NOT NULL,
    cache_write_tokens bigint NOT NULL,
    cost_usd_ticks numeric NOT NULL,
    uncosted_input_tokens bigint NOT NULL,
    uncosted_output_tokens bigint NOT NULL,
    uncosted_cache_read_tokens bigint NOT NULL,
    uncosted_cache_write_tokens bigint NOT NULL,
    estimated_cost_ticks numeric NOT NULL,
    unpriced_tokens bigint NOT NULL,
    task_count bigint NOT NULL,
    PRIMARY KEY (workspace_id, month, agent_id, provider, model)
)
WITH (fillfactor = 70);

CREATE INDEX task_usage_dashboard_monthly_agent_model_month_idx
    ON task_usage_dashboard_monthly_agent_model (month);

-- Settled months only, re-summed whole: no fill factor. No index leads with the month (a read
-- planned through one would scan every project's months).
CREATE TABLE task_usage_dashboard_monthly_project_agent_model (
    workspace_id uuid NOT NULL,
    project_id uuid NOT NULL,
    month date NOT NULL,
    agent_id uuid NOT NULL,
    provider text NOT NULL,
    model text NOT NULL,
    input_tokens bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cache_read_tokens bigint NOT NULL,
    cache_write_tokens bigint NOT NULL,
    cost_usd_ticks numeric NOT NULL,
    uncosted_input_tokens bigint NOT NULL,
    uncosted_output_tokens bigint NOT NULL,
    uncosted_cache_read_tokens bigint NOT NULL,
    uncosted_cache_write_tokens bigint NOT NULL,
    estimated_cost_ticks numeric NOT NULL,
    unpriced_tokens bigint NOT NULL,
    task_count bigint NOT NULL,
    PRIMARY KEY (workspace_id, project_id, month, agent_id, provider, model)
);

-- Tasks with two usage rows of one model whose providers differ only in case or surrounding
-- spaces ("OpenAI" and "openai"): one provider once normalized, but possibly two UTC days, so
-- summing per-day distinct task counts would count them once per day. The by-agent rollup read
-- subtracts those extra days, reading just these tasks' rows. Kept by the usage triggers; a task
-- deleted later leaves a harmless entry (the read finds no rows for it).
CREATE TABLE task_usage_dashboard_respelled_task (
    task_id uuid PRIMARY KEY
);

INSERT INTO task_usage_dashboard_respelled_task (task_id)
SELECT DISTINCT task_id
FROM task_usage
GROUP BY task_id, lower(btrim(provider)), model
HAVING count(*) > 1;

-- Signatures that gain the provider: the function files create the new ones.
DROP FUNCTION task_usage_dashboard_resum_buckets(date [], uuid [], uuid [], uuid [], text []);
