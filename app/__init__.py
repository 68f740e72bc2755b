"""usage-dashboard: token usage and run time of AI agents, per workspace."""
