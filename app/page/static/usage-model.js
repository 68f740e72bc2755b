// The Usage tab's figures, from the rows of usage/daily, usage/by-agent, agent-runtime and
// runtime/daily. Every sum is BigInt: tokens, micro-dollars, seconds and task counts.

import { zeroGrid } from './buckets.js';

const TOKEN_CLASSES = [
  { key: 'input', label: 'Input', field: 'input_tokens' },
  { key: 'output', label: 'Output', field: 'output_tokens' },
  { key: 'cache-read', label: 'Cache read', field: 'cache_read_tokens' },
  { key: 'cache-write', label: 'Cache write', field: 'cache_write_tokens' },
];

export const TREND_METRICS = {
  tokens: { label: 'Tokens', segments: TOKEN_CLASSES },
  cost: { label: 'Cost', segments: TOKEN_CLASSES },
  time: { label: 'Time', segments: [{ key: 'run', label: 'Run time' }] },
  tasks: {
    label: 'Tasks',
    segments: [
      { key: 'completed', label: 'Completed' },
      { key: 'cancelled', label: 'Cancelled' },
      { key: 'failed', label: 'Failed' },
    ],
  },
};

const sum = (values) => values.reduce((total, value) => total + value, 0n);
const tokensOf = (row) => TOKEN_CLASSES.map((c) => row[c.field]);

// The API prices a row as a whole (cost_usd); the chart stacks cost by token class. A row's
// micro-dollars are split across its four classes in proportion to their tokens, by the
// largest-remainder method in integers: each class gets floor(cost × tokens / all tokens),
// and the micro-dollars left over go one each to the classes with the largest remainders
// (the earlier class on a tie). The parts always add up to the row's cost exactly, so the
// bars add up to the tile. A cost with no tokens at all is put on input.
export function splitRowCost(row) {
  const weights = tokensOf(row);
  const totalWeight = sum(weights);
  const cost = row.cost_micros;
  if (totalWeight === 0n) return [cost, 0n, 0n, 0n];
  const parts = weights.map((weight) => (cost * weight) / totalWeight);
  const byRemainder = weights
    .map((weight, index) => ({ index, remainder: (cost * weight) % totalWeight }))
    .sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
  let left = cost - sum(parts);
  for (const { index } of byRemainder) {
    if (left === 0n) break;
    parts[index] += 1n;
    left -= 1n;
  }
  return parts;
}

export function usageTotals(dailyRows) {
  const tokensByClass = TOKEN_CLASSES.map(() => 0n);
  const unpricedByModel = new Map();
  let costMicros = 0n;
  for (const row of dailyRows) {
    costMicros += row.cost_micros;
    tokensOf(row).forEach((tokens, index) => { tokensByClass[index] += tokens; });
    if (row.unpriced_tokens > 0n) {
      const name = row.provider ? `${row.provider}/${row.model}` : row.model;
      unpricedByModel.set(name, (unpricedByModel.get(name) ?? 0n) + row.unpriced_tokens);
    }
  }
  const unpriced = [...unpricedByModel].map(([model, tokens]) => ({ model, tokens }));
  return { costMicros, tokens: sum(tokensByClass), tokensByClass, unpriced };
}

export function runtimeTotals(agentRows) {
  return {
    seconds: sum(agentRows.map((r) => r.total_seconds)),
    tasks: sum(agentRows.map((r) => r.task_count)),
    failed: sum(agentRows.map((r) => r.failed_count)),
  };
}

function dailySegments(metric, row) {
  switch (metric) {
    case 'tokens': return tokensOf(row);
    case 'cost': return splitRowCost(row);
    case 'time': return [row.total_seconds];
    default: return [row.task_count - row.failed_count - row.cancelled_count, row.cancelled_count, row.failed_count];
  }
}

// values[bucket][segment] of the metric over the buckets.
export function trendValues(metric, { usageDaily, runtimeDaily }, buckets) {
  const rows = metric === 'tokens' || metric === 'cost' ? usageDaily : runtimeDaily;
  const values = zeroGrid(buckets.list.length, TREND_METRICS[metric].segments.length);
  for (const row of rows) {
    const bucketValues = values[buckets.indexOf(row.date)];
    dailySegments(metric, row).forEach((value, index) => { bucketValues[index] += value; });
  }
  return values;
}

// One row per agent: tokens and cost summed over its provider/model rows, run time and tasks
// from agent-runtime (which counts each task once, whatever models it used).
export function leaderboardRows(byAgentRows, agentRuntimeRows) {
  const rows = new Map();
  const rowOf = (id) => {
    if (!rows.has(id)) rows.set(id, { id, tokens: 0n, costMicros: 0n, seconds: 0n, tasks: 0n });
    return rows.get(id);
  };
  for (const usage of byAgentRows) {
    const row = rowOf(usage.agent_id);
    row.tokens += sum(tokensOf(usage));
    row.costMicros += usage.cost_micros;
  }
  for (const runtime of agentRuntimeRows) {
    const row = rowOf(runtime.agent_id);
    row.seconds += runtime.total_seconds;
    row.tasks += runtime.task_count;
  }
  return [...rows.values()];
}
