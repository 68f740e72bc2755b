-- name: ping()$
-- One round trip proving the database answers (health check).
SELECT 1;

-- name: count_workspaces()$
-- How many workspaces exist; the embedded default seeds a demo only into an empty database.
SELECT count(*)
FROM workspace;
