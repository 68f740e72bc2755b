-- Local days of any zone from the rollup (docs/rollup.md, "Local days in every zone").
--
-- Every local midnight of every zone falls on a quarter hour of UTC, so a local day
-- [D_s + q_s, D_e + q_e) (UTC day, quarter hour) is the whole UTC days D_s .. D_e - 1, minus the
-- part of D_s before quarter q_s, plus the part of D_e before quarter q_e. Those parts are the
-- prefixes kept here: per UTC day and quarter, the day's usage created before that quarter hour.
-- Only the quarters where some viewer's local midnights fall are kept (a registered split);
-- every summed field is additive across the parts, and task_count too, as a task's usage of one
-- (provider, model) is one row at one instant (a task whose provider is spelled two ways is the
-- exception: the read takes such days from raw rows).

-- The quarter hours (1 to 95; 0 is UTC midnight, which needs no prefix) whose prefixes are kept.
-- A read registers the quarters of its zone's midnights; the tick fills a new one backwards from
-- the newest day, a month per tick, so the prefixes are exact on every day from filled_from on
-- (NULL: none yet). Reads take the other days from raw rows.
CREATE TABLE task_usage_dashboard_split (
    quarter int PRIMARY KEY CHECK (quarter BETWEEN 1 AND 95),
    filled_from date,
    registered_at timestamptz NOT NULL DEFAULT now()
);

-- One row per (workspace, project, UTC day, quarter, provider, model): the usage of the day
-- created before that quarter hour, summed like the daily levels (task_count counts the tasks).
-- project_id is the nil UUID for the whole workspace's row (never a project id: ids come from
-- gen_random_uuid), so both levels share the primary key a read looks rows up by.
CREATE TABLE task_usage_dashboard_daily_split_model (
    workspace_id uuid NOT NULL,
    project_id uuid NOT NULL,
    bucket_date date NOT NULL,
    quarter int NOT NULL,
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
    PRIMARY KEY (workspace_id, project_id, bucket_date, quarter, provider, model)
)
-- Rewritten in place by every tick for the days it rebuilds, as the daily levels are.
WITH (fillfactor = 70);

-- A rebuild replaces the rows of its days, for every workspace.
CREATE INDEX task_usage_dashboard_daily_split_model_date_idx
    ON task_usage_dashboard_daily_split_model (bucket_date, quarter);
