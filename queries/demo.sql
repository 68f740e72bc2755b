-- Deterministic demo and benchmark data, written set-based. Every id is md5(slug || role || n)
-- and every random choice is hashint8extended(n, random_seed + k), so one seed always yields
-- the same world, chunks can be written in any order, and nothing depends on random() state.

-- name: seed_workspace(name, slug)$
-- Creates the workspace being seeded and returns its id (a taken slug fails on its unique key).
INSERT INTO workspace (name, slug)
VALUES (:name, :slug)
RETURNING id;

-- name: seed_agents(workspace_id, slug, agents)!
-- One runtime and `agents` agents for the workspace; every fourth is private (and owned by
-- nobody), so a plain member's per-agent views show the fold.
WITH runtime AS (
    INSERT INTO agent_runtime (id, workspace_id, name, provider)
    VALUES (md5(:slug || ':runtime')::uuid, :workspace_id, 'demo-runtime', 'local')
    RETURNING id
)
INSERT INTO agent (id, workspace_id, runtime_id, name, visibility)
SELECT
    md5(:slug || ':agent:' || n)::uuid,
    :workspace_id,
    runtime.id,
    'agent-' || lpad(n::text, 3, '0'),
    CASE WHEN n %% 4 = 0 THEN 'private' ELSE 'workspace' END
FROM runtime
CROSS JOIN generate_series(1, CAST(:agents AS int)) AS n;

-- name: seed_projects(workspace_id, slug, projects)!
-- `projects` projects for the workspace.
INSERT INTO project (id, workspace_id, title, status)
SELECT
    md5(:slug || ':project:' || n)::uuid,
    :workspace_id,
    'Project ' || n,
    'in_progress'
FROM generate_series(1, CAST(:projects AS int)) AS n;

-- name: seed_issues(workspace_id, slug, first_issue, last_issue, projects, random_seed)!
-- Issues numbered first_issue..last_issue; 70% of them belong to a project when there are any.
INSERT INTO issue (id, workspace_id, title, status, creator_type, creator_id, project_id, number)
SELECT
    md5(:slug || ':issue:' || n)::uuid,
    :workspace_id,
    'Issue ' || n,
    'todo',
    'member',
    md5(:slug || ':creator')::uuid,
    CASE
        WHEN CAST(:projects AS int) > 0 AND (hashint8extended(n, CAST(:random_seed AS bigint)) & 2147483647) %% 100 < 70
            THEN md5(
                :slug || ':project:'
                || (1 + (hashint8extended(n, CAST(:random_seed AS bigint) + 1) & 2147483647) %% greatest(CAST(:projects AS int), 1))
            )::uuid
    END,
    n
FROM generate_series(CAST(:first_issue AS int), CAST(:last_issue AS int)) AS n;

-- name: seed_tasks_and_usage(slug, anchor, first_day, last_day, tasks_per_day, agents, issues, random_seed)$
-- Tasks created on days first_day..last_day before `anchor` (tasks_per_day each, spread over the
-- day), with 1-2 usage rows per started task over eight models; returns the usage rows written.
-- Status mix: 5% failed, 1% cancelled after starting, 1% cancelled before starting (no usage),
-- 1% of today's still running; the rest completed after 30 s to 30 min.
WITH spec AS (
    SELECT
        n,
        :anchor - make_interval(days => d)
            - make_interval(secs => (hashint8extended(n, CAST(:random_seed AS bigint) + 2) & 2147483647) %% 86400)
            AS created_at,
        (hashint8extended(n, CAST(:random_seed AS bigint) + 3) & 2147483647) %% 100 AS roll,
        d
    FROM generate_series(CAST(:first_day AS int), CAST(:last_day AS int)) AS d
    CROSS JOIN LATERAL generate_series(d * CAST(:tasks_per_day AS int), (d + 1) * CAST(:tasks_per_day AS int) - 1) AS n
),
shaped AS (
    SELECT
        n,
        created_at,
        CASE
            WHEN roll < 5 THEN 'failed'
            WHEN roll IN (5, 6) THEN 'cancelled'
            WHEN roll = 7 AND d = 0 THEN 'running'
            ELSE 'completed'
        END AS status,
        CASE
            WHEN roll <> 6
                THEN created_at + make_interval(secs => 1 + n %% 60)
        END AS started_at,
        CASE
            WHEN roll <> 6 AND NOT (roll = 7 AND d = 0)
                THEN least(
                    created_at + make_interval(
                        secs => 1 + n %% 60 + 30 + (hashint8extended(n, CAST(:random_seed AS bigint) + 4) & 2147483647) %% 1800
                    ),
                    :anchor
                )
        END AS completed_at
    FROM spec
),
tasks AS (
    INSERT INTO agent_task_queue (
        id, agent_id, issue_id, runtime_id, status,
        created_at, dispatched_at, started_at, completed_at, failure_reason
    )
    SELECT
        md5(:slug || ':task:' || n)::uuid,
        md5(:slug || ':agent:' || (1 + (hashint8extended(n, CAST(:random_seed AS bigint) + 5) & 2147483647) %% CAST(:agents AS int)))::uuid,
        CASE
            WHEN CAST(:issues AS int) > 0 AND (hashint8extended(n, CAST(:random_seed AS bigint) + 6) & 2147483647) %% 100 < 85
                THEN md5(
                    :slug || ':issue:'
                    || (1 + (hashint8extended(n, CAST(:random_seed AS bigint) + 7) & 2147483647) %% greatest(CAST(:issues AS int), 1))
                )::uuid
        END,
        md5(:slug || ':runtime')::uuid,
        status,
        created_at,
        created_at,
        started_at,
        completed_at,
        -- Reasons of several display classes, the legacy coarse value, and none (unclassified).
        CASE
            WHEN status = 'failed' THEN (ARRAY[
                'agent_error.provider_capacity_or_rate_limit',
                'timeout',
                'agent_error.provider_network',
                'agent_error.process_failure',
                'runtime_offline',
                'agent_error.provider_auth_or_access',
                'agent_error.context_overflow',
                'agent_error',
                NULL
            ])[1 + n %% 9]
        END
    FROM shaped
    RETURNING id, started_at, completed_at
),
-- Every case of the cost rules: a price change (claude-sonnet-5's intro rate ends 2026-08-31),
-- one provider spelled two ways (Anthropic, OpenAI), a dated model id priced by its base key,
-- a provider-qualified key (cursor/auto), a model with no price (gemini) and a provider that
-- reports its own amount (xai: cost_usd_ticks set, so its tokens are not estimated).
models (k, provider, model, reports_cost) AS (
    VALUES
        (0, 'anthropic', 'claude-sonnet-5', false),
        (1, 'Anthropic', 'claude-opus-4-1', false),
        (2, 'anthropic', 'claude-haiku-4-5-20251001', false),
        (3, 'openai', 'gpt-5', false),
        (4, 'OpenAI', 'gpt-5-mini', false),
        (5, 'google', 'gemini-2.5-pro', false),
        (6, 'xai', 'grok-4.3', true),
        (7, 'cursor', 'auto', false)
),
usage AS (
    INSERT INTO task_usage (
        task_id, provider, model,
        input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd_ticks,
        created_at, updated_at
    )
    SELECT
        tasks.id,
        models.provider,
        models.model,
        t.input_tokens,
        t.output_tokens,
        t.cache_read_tokens,
        t.cache_write_tokens,
        -- xAI's own figure: about its list price, in ticks (1e-10 USD).
        CASE
            WHEN models.reports_cost
                THEN t.input_tokens * 12500 + t.output_tokens * 25000 + t.cache_read_tokens * 2000
        END,
        coalesce(tasks.completed_at, tasks.started_at),
        coalesce(tasks.completed_at, tasks.started_at)
    FROM tasks
    CROSS JOIN LATERAL (
        SELECT hashtextextended(tasks.id::text, CAST(:random_seed AS bigint)) AS v
    ) AS h
    CROSS JOIN LATERAL (
        SELECT
            1000 + (h.v & 2147483647) %% 200000 AS input_tokens,
            100 + (h.v >> 8 & 2147483647) %% 20000 AS output_tokens,
            (h.v >> 16 & 2147483647) %% 500000 AS cache_read_tokens,
            (h.v >> 24 & 2147483647) %% 50000 AS cache_write_tokens
    ) AS t
    CROSS JOIN LATERAL generate_series(0, (h.v >> 40 & 1)::int) AS slot
    JOIN models
        ON models.k = ((h.v >> 32 & 255) + slot) %% 8
    WHERE tasks.started_at IS NOT NULL
    RETURNING 1
)
SELECT count(*)
FROM usage;

-- name: analyze_seeded_tables()!
-- Statistics for the platform tables a seed has just filled. Without them the planner takes
-- the tables for nearly empty and joins the usage reads' aggregates by nested loops: a year of
-- the raw daily read took minutes on a fresh demo, until autovacuum got round to the tables.
ANALYZE workspace, agent, project, issue, agent_task_queue, task_usage;
