// The Errors tab's figures, from failures/daily and failures/by-agent: finished runs, the
// failed ones among them, grouped by display class. Counts are BigInt.

import { zeroGrid } from './buckets.js';
import { DISPLAY_CLASSES, classIndexOfReason, classOfReason, isFailure } from './failure-classes.js';

// Below this many runs an agent's failure rate says little; the page marks it.
export const MEANINGFUL_RUNS = 10n;

export function failureTotals(dailyRows) {
  let failed = 0n;
  let runs = 0n;
  for (const row of dailyRows) {
    runs += row.task_count;
    if (isFailure(row)) failed += row.task_count;
  }
  return { failed, runs };
}

// values[bucket][class] of failures, and runs[bucket] of all finished runs (for the rate).
export function errorsTrend(dailyRows, buckets) {
  const values = zeroGrid(buckets.list.length, DISPLAY_CLASSES.length);
  const runs = Array(buckets.list.length).fill(0n);
  for (const row of dailyRows) {
    const index = buckets.indexOf(row.date);
    runs[index] += row.task_count;
    if (isFailure(row)) values[index][classIndexOfReason(row.failure_reason)] += row.task_count;
  }
  return { values, runs };
}

// Failures per class (only the classes that occur, in render order) and per raw reason.
export function failureMix(dailyRows) {
  const byReason = new Map();
  for (const row of dailyRows.filter(isFailure)) {
    byReason.set(row.failure_reason, (byReason.get(row.failure_reason) ?? 0n) + row.task_count);
  }
  const reasons = [...byReason]
    .map(([reason, count]) => ({ reason, cls: classOfReason(reason), count }))
    .sort((a, b) => (a.count === b.count ? a.reason.localeCompare(b.reason) : a.count > b.count ? -1 : 1));
  const classes = DISPLAY_CLASSES
    .map(({ key, label }) => ({
      key, label, count: reasons.filter((r) => r.cls === key).reduce((total, r) => total + r.count, 0n),
    }))
    .filter((c) => c.count > 0n);
  return { classes, reasons };
}

// Per agent: failed and finished runs. Agents without a failure are left out.
export function offenderRows(byAgentRows) {
  const rows = new Map();
  for (const row of byAgentRows) {
    if (!rows.has(row.agent_id)) rows.set(row.agent_id, { id: row.agent_id, failed: 0n, runs: 0n });
    const agent = rows.get(row.agent_id);
    agent.runs += row.task_count;
    if (isFailure(row)) agent.failed += row.task_count;
  }
  return [...rows.values()].filter((row) => row.failed > 0n);
}

// Compares failed/runs of two agents exactly, by cross-multiplying.
export const compareRates = (a, b) => {
  const left = a.failed * b.runs;
  const right = b.failed * a.runs;
  return left === right ? 0 : left > right ? 1 : -1;
};

export const isRateMeaningful = (row) => row.runs >= MEANINGFUL_RUNS;
