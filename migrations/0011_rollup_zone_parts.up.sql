-- Zone reads as fast as UTC ones (docs/rollup.md, "Viewers off UTC").
--
-- Shifted days. A local day whose two midnights fall on the same quarter hour q of UTC (every
-- day of a zone without DST, and all but two days a year of one with DST) is the UTC day D
-- shifted by q: [D + q, D + 1 + q). Its sums are the daily level of D, minus the prefix of D at
-- q, plus the prefix of D + 1 at q. Kept here per registered quarter, a year in Asia/Kolkata
-- reads one row per day and model, as a year in UTC does, instead of a level row and two
-- prefixes.
--
-- Agent prefixes. usage/by-agent reads the whole UTC days of a zone's window from the levels and
-- its two partial UTC days at the edges from raw rows: up to two days of raw rows per read. Per
-- agent, the edges are a prefix (the last day's usage before the window's end) and a level row
-- minus a prefix (the first day's usage from the window's start).

-- One row per (workspace, project, UTC day, quarter, provider, model); project_id is the nil UUID
-- for the whole workspace's row, as in task_usage_dashboard_daily_split_model. Kept exact on every
-- day from the quarter's filled_from on, rebuilt with the prefixes of the days around it.
CREATE TABLE task_usage_dashboard_daily_shift_model (
    workspace_id uuid NOT NULL,
    project_id uuid NOT NULL,
    quarter int NOT NULL,
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
    PRIMARY KEY (workspace_id, project_id, quarter, bucket_date, provider, model)
);

-- A rebuild replaces the rows of its days, for every workspace.
CREATE INDEX task_usage_dashboard_daily_shift_model_date_idx
    ON task_usage_dashboard_daily_shift_model (bucket_date, quarter);

-- One row per (workspace, UTC day, quarter, agent, provider, model): the usage of the day created
-- before that quarter hour, like task_usage_dashboard_daily_split_model (whole workspace only: a
-- project's by-agent edges are read raw).
CREATE TABLE task_usage_dashboard_daily_split_agent_model (
    workspace_id uuid NOT NULL,
    bucket_date date NOT NULL,
    quarter int NOT NULL,
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
    PRIMARY KEY (workspace_id, bucket_date, quarter, agent_id, provider, model)
)
-- Rewritten in place by every tick for the days it rebuilds, as the prefixes are.
WITH (fillfactor = 70);

-- A rebuild replaces the rows of its days, for every workspace.
CREATE INDEX task_usage_dashboard_daily_split_agent_model_date_idx
    ON task_usage_dashboard_daily_split_agent_model (bucket_date, quarter);

-- Registered quarters have prefixes but no shifted days or agent prefixes yet: fill them again
-- from the start (the next ticks, a month each, or a backfill). Reads take the days not refilled
-- yet from raw rows, as for any new quarter, so answers stay exact meanwhile.
UPDATE task_usage_dashboard_split
SET filled_from = NULL;
