-- Core tables of the agent task platform that the dashboard reads (shared/spec/schema.md).
-- Names and types match the platform so the same queries run against its database.

CREATE TABLE workspace (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL,
    slug text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE "user" (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL,
    email text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE member (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id uuid NOT NULL REFERENCES workspace (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, user_id)
);

-- Membership is looked up by user for every request.
CREATE INDEX member_user_id_idx ON member (user_id);

CREATE TABLE personal_access_token (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    name text NOT NULL,
    token_hash text NOT NULL UNIQUE,
    token_prefix text NOT NULL,
    expires_at timestamptz,
    last_used_at timestamptz,
    revoked boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX personal_access_token_user_id_idx ON personal_access_token (user_id);

CREATE TABLE agent_runtime (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id uuid NOT NULL REFERENCES workspace (id) ON DELETE CASCADE,
    name text NOT NULL,
    provider text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX agent_runtime_workspace_id_idx ON agent_runtime (workspace_id);

CREATE TABLE agent (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id uuid NOT NULL REFERENCES workspace (id) ON DELETE CASCADE,
    runtime_id uuid NOT NULL REFERENCES agent_runtime (id) ON DELETE RESTRICT,
    name text NOT NULL,
    visibility text NOT NULL DEFAULT 'private' CHECK (visibility IN ('workspace', 'private')),
    owner_id uuid REFERENCES "user" (id),
    archived_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, name)
);

CREATE INDEX agent_runtime_id_idx ON agent (runtime_id);
CREATE INDEX agent_owner_id_idx ON agent (owner_id);

CREATE TABLE project (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id uuid NOT NULL REFERENCES workspace (id) ON DELETE CASCADE,
    title text NOT NULL,
    status text NOT NULL DEFAULT 'planned',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX project_workspace_id_idx ON project (workspace_id);

CREATE TABLE issue (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id uuid NOT NULL REFERENCES workspace (id) ON DELETE CASCADE,
    title text NOT NULL,
    status text NOT NULL DEFAULT 'backlog',
    creator_type text NOT NULL CHECK (creator_type IN ('member', 'agent')),
    creator_id uuid NOT NULL,
    project_id uuid REFERENCES project (id) ON DELETE SET NULL,
    number int NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, number)
);

CREATE INDEX issue_project_id_idx ON issue (project_id);

CREATE TABLE agent_task_queue (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agent_id uuid NOT NULL REFERENCES agent (id) ON DELETE CASCADE,
    issue_id uuid REFERENCES issue (id) ON DELETE CASCADE,
    runtime_id uuid NOT NULL REFERENCES agent_runtime (id) ON DELETE CASCADE,
    status text NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'dispatched', 'running', 'completed', 'failed', 'cancelled')),
    created_at timestamptz NOT NULL DEFAULT now(),
    dispatched_at timestamptz,
    started_at timestamptz,
    completed_at timestamptz,
    error text,
    failure_reason text
);

CREATE INDEX agent_task_queue_agent_status_idx ON agent_task_queue (agent_id, status);
CREATE INDEX agent_task_queue_issue_id_idx ON agent_task_queue (issue_id);
CREATE INDEX agent_task_queue_runtime_id_idx ON agent_task_queue (runtime_id);
-- Serves the run-time window scan (terminal runs by completed_at).
CREATE INDEX agent_task_queue_terminal_completed_at_idx ON agent_task_queue (completed_at)
    WHERE status IN ('completed', 'failed', 'cancelled');

CREATE TABLE task_usage (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    task_id uuid NOT NULL REFERENCES agent_task_queue (id) ON DELETE CASCADE,
    provider text NOT NULL DEFAULT '',
    model text NOT NULL,
    input_tokens bigint NOT NULL DEFAULT 0,
    output_tokens bigint NOT NULL DEFAULT 0,
    cache_read_tokens bigint NOT NULL DEFAULT 0,
    cache_write_tokens bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz DEFAULT now(),
    UNIQUE (task_id, provider, model)
);

CREATE INDEX task_usage_task_id_idx ON task_usage (task_id);
CREATE INDEX task_usage_created_at_idx ON task_usage (created_at);
CREATE INDEX task_usage_updated_at_idx ON task_usage (updated_at);
CREATE INDEX task_usage_legacy_created_at_idx ON task_usage (created_at) WHERE updated_at IS NULL;
