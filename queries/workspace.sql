-- name: list_dashboard_agents(workspace_id, hidden_agent_ids)
-- The workspace's agents the caller may see (hidden_agent_ids: the private agents of others,
-- for a plain member), by name; archived ones too, flagged, since their history still shows.
SELECT
    a.id,
    a.name,
    a.archived_at IS NOT NULL AS archived
FROM agent AS a
WHERE a.workspace_id = :workspace_id
    AND NOT a.id = ANY(CAST(:hidden_agent_ids AS uuid[]))
ORDER BY a.name ASC, a.id ASC;

-- name: list_dashboard_projects(workspace_id)
-- The workspace's projects for a project picker, by title.
SELECT
    p.id,
    p.title,
    p.status
FROM project AS p
WHERE p.workspace_id = :workspace_id
ORDER BY p.title ASC, p.id ASC;
