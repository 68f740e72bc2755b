// The Usage tab: KPI tiles, the unpriced-models note, the trend card and the agent leaderboard.

import { agentLabel } from './agent-names.js';
import { csvHref } from './api.js';
import { WEEKLY_FROM_DAYS, makeBuckets } from './buckets.js';
import {
  TABLE_CARD_BODY, TREND_CARD_BODY, agentCell, card, cardSkeleton, chartTable, emptyState, kpiTile, scrollTable, shareBar, showAllButton,
  tileRow, tileSkeleton, toggleGroup,
} from './cards.js';
import { chartSkeleton, stackedBars } from './chart.js';
import { h, replaceKeepingFocus } from './dom.js';
import { formatCount, formatDuration, formatMoney, formatTokens, periodLabel } from './format.js';
import {
  TREND_METRICS, leaderboardRows, runtimeTotals, trendValues, usageTotals,
} from './usage-model.js';

export const USAGE_ROUTES = ['usage/daily', 'usage/by-agent', 'agent-runtime'];
// The slowest route by far, and only the trend's Time and Tasks need it: the tab is drawn
// without it, and it comes in the background (context.later).
export const USAGE_LATER_ROUTES = ['runtime/daily'];
const RUNTIME_METRICS = new Set(['time', 'tasks']);
const LEADERBOARD_LIMIT = 10;

// Choices that outlive a reload of the data (they are not part of the URL's view).
const choices = { metric: 'tokens', grain: 'daily', sort: 'cost', showAll: false };

const METRIC_FORMAT = { tokens: formatTokens, cost: formatMoney, time: formatDuration, tasks: formatCount };
const LEADERBOARD_SORTS = {
  tokens: { label: 'Tokens', field: 'tokens' },
  cost: { label: 'Cost', field: 'costMicros' },
  time: { label: 'Time', field: 'seconds' },
  tasks: { label: 'Tasks', field: 'tasks' },
};

const tileLabels = (days) => ['Cost', 'Tokens', 'Run time', 'Tasks'].map((name) => `${name} · ${periodLabel(days)}`);

export function usageSkeleton(panel, { days }) {
  panel.replaceChildren(
    tileRow(tileLabels(days).map(tileSkeleton)),
    h('div', { class: 'cards' },
      cardSkeleton({ title: 'Trend', height: TREND_CARD_BODY, wide: true }),
      cardSkeleton({ title: 'Agents', height: TABLE_CARD_BODY, wide: true })),
  );
}

// data: the answers of USAGE_ROUTES by route; context: {view, today, directory, later}.
export function renderUsage(panel, data, context) {
  const usage = usageTotals(data['usage/daily']);
  const runtime = runtimeTotals(data['agent-runtime']);
  // agent-runtime holds the same runs as runtime/daily, so it alone tells whether any ran.
  const isEmpty = ['usage/daily', 'agent-runtime'].every((route) => data[route].length === 0);
  const charts = [];
  const cards = isEmpty
    ? [emptyState('empty-usage', 'No usage in this window.')]
    : [trendCard(data, context, charts), leaderboardCard(data, context)];
  const note = usage.unpriced.length ? [unpricedNote(usage.unpriced)] : [];
  panel.replaceChildren(usageTiles(usage, runtime, context.view.days), ...note, h('div', { class: 'cards' }, cards));
  for (const chart of charts) chart.draw();
}

function usageTiles(usage, runtime, days) {
  const [costLabel, tokensLabel, timeLabel, tasksLabel] = tileLabels(days);
  const [input, output] = usage.tokensByClass;
  return tileRow([
    kpiTile({
      testid: 'kpi-cost', label: costLabel, value: formatMoney(usage.costMicros), exact: usage.costMicros,
      hint: usage.unpriced.length ? 'Lower bound: unpriced models' : 'Cache reads and writes included',
    }),
    kpiTile({
      testid: 'kpi-tokens', label: tokensLabel, value: formatTokens(usage.tokens), exact: usage.tokens,
      hint: `Input ${formatTokens(input)} · Output ${formatTokens(output)}`,
    }),
    kpiTile({
      testid: 'kpi-runtime', label: timeLabel, value: formatDuration(runtime.seconds), exact: runtime.seconds,
      hint: `Across ${runtime.tasks} tasks`,
    }),
    kpiTile({
      testid: 'kpi-tasks', label: tasksLabel, value: formatCount(runtime.tasks), exact: runtime.tasks,
      hint: `${runtime.failed} failed`,
    }),
  ]);
}

function unpricedNote(unpriced) {
  const models = unpriced.map(({ model, tokens }) => `${model} (${formatTokens(tokens)} tokens)`).join(', ');
  return h('p', { class: 'note', role: 'note', 'data-testid': 'unpriced-note' },
    h('strong', {}, 'Cost is a lower bound. '),
    `No price is set for ${models}. Add one with `,
    h('code', {}, 'usage-dashboard prices set'), '.');
}

function trendCard(data, context, charts) {
  const { view, today } = context;
  const { metric } = choices;
  const grain = view.days >= WEEKLY_FROM_DAYS ? choices.grain : 'daily';
  // Only usage/daily widens the window, so the x-range is the same for every metric whether
  // runtime/daily has come yet or not.
  const rowDates = data['usage/daily'].map((row) => row.date);
  const buckets = makeBuckets({ today, days: view.days, rowDates, grain });
  const runtimeDaily = context.later.rows('runtime/daily');
  const waiting = RUNTIME_METRICS.has(metric) && runtimeDaily === undefined;

  const rerender = (change) => {
    Object.assign(choices, change);
    const fresh = [];
    replaceKeepingFocus(element, trendCard(data, context, fresh));
    for (const c of fresh) c.draw();
  };
  const controls = [
    toggleGroup({
      label: 'Metric', value: metric, onChange: (value) => rerender({ metric: value }),
      options: Object.entries(TREND_METRICS).map(([key, m]) => ({ value: key, label: m.label, testid: `trend-metric-${key}` })),
    }),
    view.days >= WEEKLY_FROM_DAYS && toggleGroup({
      label: 'Grain', value: grain, onChange: (value) => rerender({ grain: value }),
      options: [
        { value: 'daily', label: 'Daily', testid: 'trend-grain-daily' },
        { value: 'weekly', label: 'Weekly', testid: 'trend-grain-weekly' },
      ],
    }),
  ];
  const route = RUNTIME_METRICS.has(metric) ? 'runtime/daily' : 'usage/daily';
  const element = card({
    name: 'trend', title: 'Trend', wide: true, controls, csv: csvHref(route, view),
    body: waiting ? trendSkeleton(metric) : trendBody({ metric, grain, buckets, runtimeDaily, data, view, charts }),
  });
  // Every draw of the card says whether it waits, so switching back to Tokens while runtime/daily
  // is on its way makes the page ready again; on arrival the card is drawn anew.
  if (waiting) context.later.wait('runtime/daily', () => rerender({}));
  else context.later.stopWaiting();
  return element;
}

// The body's place, under the card's live controls: the chart's skeleton and a line where the
// table toggle goes, so the drawing replaces it without moving the page.
function trendSkeleton(metric) {
  return [
    chartSkeleton(TREND_METRICS[metric].segments),
    h('div', { class: 'chart-table', 'aria-hidden': 'true' }, h('span', { class: 'skeleton skeleton-toggle' })),
  ];
}

function trendBody({ metric, grain, buckets, runtimeDaily, data, view, charts }) {
  const { label: metricLabel, segments } = TREND_METRICS[metric];
  const values = trendValues(metric, { usageDaily: data['usage/daily'], runtimeDaily }, buckets);
  const format = METRIC_FORMAT[metric];
  const total = values.flat().reduce((a, b) => a + b, 0n);
  const per = grain === 'weekly' ? 'week' : 'day';
  const chart = stackedBars({
    testid: 'trend-chart', buckets, segments, values, format,
    label: `${metricLabel} per ${per} over ${view.days} days, `
      + `${format(total)} in all. Arrow keys step through the bars; the table below lists every value.`,
  });
  charts.push(chart);
  return [chart.element, chartTable({ testid: 'trend-table', caption: `${metricLabel} per ${per}`, buckets, segments, values, format })];
}

function leaderboardCard(data, context) {
  const { view, directory } = context;
  const { field } = LEADERBOARD_SORTS[choices.sort];
  const rows = leaderboardRows(data['usage/by-agent'], data['agent-runtime'])
    .map((row) => ({ ...row, label: agentLabel(row.id, directory) }))
    .sort((a, b) => (a[field] === b[field] ? a.label.text.localeCompare(b.label.text) : a[field] > b[field] ? -1 : 1));
  const leader = rows[0]?.[field] ?? 0n;
  const shown = choices.showAll ? rows : rows.slice(0, LEADERBOARD_LIMIT);

  const rerender = (change) => {
    Object.assign(choices, change);
    replaceKeepingFocus(element, leaderboardCard(data, context));
  };
  const columns = [
    { label: 'Agent' }, { label: 'Tokens', numeric: true }, { label: 'Cost', numeric: true },
    { label: 'Time', numeric: true }, { label: 'Tasks', numeric: true },
  ];
  const tableRows = shown.map((row) => h('tr', {
    'data-agent-id': row.id, 'data-cost-micros': row.costMicros, 'data-tokens': row.tokens,
    'data-seconds': row.seconds, 'data-tasks': row.tasks,
  },
  agentCell(row.label, shareBar(row[field], leader)),
  h('td', { class: 'num' }, formatTokens(row.tokens)),
  h('td', { class: 'num' }, formatMoney(row.costMicros)),
  h('td', { class: 'num' }, formatDuration(row.seconds)),
  h('td', { class: 'num' }, formatCount(row.tasks))));

  const element = card({
    name: 'leaderboard', title: 'Agents', wide: true, csv: csvHref('usage/by-agent', view),
    controls: toggleGroup({
      label: 'Sort agents by', value: choices.sort, onChange: (value) => rerender({ sort: value }),
      options: Object.entries(LEADERBOARD_SORTS).map(([key, s]) => ({ value: key, label: s.label, testid: `sort-${key}` })),
    }),
    body: [
      scrollTable({
        testid: 'leaderboard-table', caption: `Agents by ${LEADERBOARD_SORTS[choices.sort].label.toLowerCase()}`,
        columns, rows: tableRows,
      }),
      showAllButton({
        testid: 'leaderboard-show-all', showingAll: choices.showAll, total: rows.length, limit: LEADERBOARD_LIMIT,
        onToggle: () => rerender({ showAll: !choices.showAll }),
      }),
    ],
  });
  return element;
}
