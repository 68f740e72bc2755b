// Failure reasons grouped into the seven display classes of failures.md. A reason not listed
// (the platform adds new ones) is shown as "other".

export const DISPLAY_CLASSES = [
  { key: 'auth', label: 'Auth' },
  { key: 'rate_limit', label: 'Rate limit' },
  { key: 'timeout', label: 'Timeout' },
  { key: 'provider', label: 'Provider' },
  { key: 'runtime', label: 'Runtime' },
  { key: 'agent', label: 'Agent' },
  { key: 'other', label: 'Other' },
];

const CLASS_OF_REASON = new Map(Object.entries({
  queued_expired: 'runtime',
  runtime_offline: 'runtime',
  runtime_reconnect_timeout: 'runtime',
  runtime_recovery: 'runtime',
  timeout: 'timeout',
  iteration_limit: 'agent',
  agent_blocked: 'agent',
  api_invalid_request: 'provider',
  skill_bundle_unavailable: 'runtime',
  runtime_cli_timeout: 'runtime',
  invalid_task_identity: 'other',
  issue_window_restricted: 'other',
  'agent_error.provider_auth_or_access': 'auth',
  'agent_error.missing_config': 'auth',
  'agent_error.provider_quota_limit': 'rate_limit',
  'agent_error.provider_capacity_or_rate_limit': 'rate_limit',
  'agent_error.provider_server_error': 'provider',
  'agent_error.provider_network': 'provider',
  'agent_error.model_not_found_or_unavailable': 'provider',
  'agent_error.agent_timeout': 'timeout',
  'agent_error.process_failure': 'agent',
  'agent_error.empty_or_unparseable_output': 'agent',
  'agent_error.context_overflow': 'agent',
  'agent_error.runtime_missing_executable': 'runtime',
  'agent_error.runtime_version_unsupported': 'runtime',
  codex_semantic_inactivity: 'timeout',
  codex_resume_oversized: 'agent',
}));

const CLASS_INDEX = new Map(DISPLAY_CLASSES.map((c, index) => [c.key, index]));

export const classOfReason = (reason) => CLASS_OF_REASON.get(reason) ?? 'other';

export const classIndexOfReason = (reason) => CLASS_INDEX.get(classOfReason(reason));

export const classLabel = (key) => DISPLAY_CLASSES[CLASS_INDEX.get(key)].label;

// Completed runs carry the empty reason: they are the rest of a failure rate's denominator.
export const isFailure = (row) => row.failure_reason !== '';
