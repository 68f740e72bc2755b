-- Drops the core tables in reverse dependency order.
DROP TABLE IF EXISTS task_usage;
DROP TABLE IF EXISTS agent_task_queue;
DROP TABLE IF EXISTS issue;
DROP TABLE IF EXISTS project;
DROP TABLE IF EXISTS agent;
DROP TABLE IF EXISTS agent_runtime;
DROP TABLE IF EXISTS personal_access_token;
DROP TABLE IF EXISTS member;
DROP TABLE IF EXISTS "user";
DROP TABLE IF EXISTS workspace;
