// How an agent id reads on the page: its name from /agents, "Other agents" for the folded
// private agents, or a short id for an agent the list does not hold (deleted, or not visible).

const FOLDED_AGENTS = '__restricted_agents__';
const SHORT_ID_LENGTH = 8;

export function agentDirectory(agents) {
  return new Map(agents.map((agent) => [agent.id, agent]));
}

// kind: "agent", "folded" or "unknown"; title: the longer text for a tooltip.
export function agentLabel(id, directory) {
  if (id === FOLDED_AGENTS) {
    return { text: 'Other agents', kind: 'folded', title: 'Private agents you may not see, taken together' };
  }
  const agent = directory.get(id);
  if (agent) return { text: agent.name, kind: 'agent', archived: agent.archived, title: agent.archived ? `${agent.name} (archived)` : agent.name };
  return { text: id.slice(0, SHORT_ID_LENGTH), kind: 'unknown', title: `Agent ${id}: not in this workspace's agent list` };
}
