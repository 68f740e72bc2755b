// The Errors tab: KPI tiles, failures over time by display class, the failure mix with its raw
// error codes, and the agents that fail most.

import { agentLabel } from './agent-names.js';
import { csvHref } from './api.js';
import { WEEKLY_FROM_DAYS, makeBuckets } from './buckets.js';
import {
  TABLE_CARD_BODY, TREND_CARD_BODY, agentCell, card, cardSkeleton, chartTable, emptyState, kpiTile, scrollTable, shareBar, showAllButton,
  tileRow, tileSkeleton, toggleGroup,
} from './cards.js';
import { stackedBars } from './chart.js';
import { h, replaceKeepingFocus } from './dom.js';
import {
  MEANINGFUL_RUNS, compareRates, errorsTrend, failureMix, failureTotals, isRateMeaningful, offenderRows,
} from './errors-model.js';
import { DISPLAY_CLASSES, classLabel } from './failure-classes.js';
import { formatCount, formatRate, periodLabel } from './format.js';

export const ERRORS_ROUTES = ['failures/daily', 'failures/by-agent'];
const OFFENDERS_LIMIT = 8;

// Choices that outlive a reload of the data (they are not part of the URL's view).
const choices = { grain: 'daily', sort: 'failures', showAll: false, showCodes: false };

const tileLabels = (days) => ['Failed tasks', 'Failure rate', 'Agents affected'].map((name) => `${name} · ${periodLabel(days)}`);

export function errorsSkeleton(panel, { days }) {
  panel.replaceChildren(
    tileRow(tileLabels(days).map(tileSkeleton)),
    h('div', { class: 'cards' },
      cardSkeleton({ title: 'Errors over time', height: TREND_CARD_BODY, wide: true }),
      cardSkeleton({ title: 'Failure mix', height: TABLE_CARD_BODY }),
      cardSkeleton({ title: 'Top offenders', height: TABLE_CARD_BODY })),
  );
}

// data: the answers of ERRORS_ROUTES by route; context: {view, today, directory}.
export function renderErrors(panel, data, context) {
  const daily = data['failures/daily'];
  const totals = failureTotals(daily);
  const offenders = offenderRows(data['failures/by-agent']);
  const charts = [];
  const cards = totals.failed === 0n
    ? [emptyState('empty-errors', 'No failed runs in this window.')]
    : [errorsTrendCard(daily, context, charts), failureMixCard(daily, context), offendersCard(offenders, context)];
  panel.replaceChildren(
    errorsTiles(totals, offenders, context),
    h('div', { class: 'cards' }, cards),
  );
  for (const chart of charts) chart.draw();
}

function errorsTiles({ failed, runs }, offenders, { view, directory }) {
  const [failedLabel, rateLabel, agentsLabel] = tileLabels(view.days);
  const worst = offenders.reduce((top, row) => (top && top.failed >= row.failed ? top : row), null);
  return tileRow([
    kpiTile({ testid: 'kpi-failed', label: failedLabel, value: formatCount(failed), exact: failed, hint: `Of ${runs} runs` }),
    kpiTile({
      testid: 'kpi-failure-rate', label: rateLabel, value: formatRate(failed, runs), exact: `${failed}/${runs}`,
      hint: runs === 0n ? 'No finished runs' : `${failed} of ${runs} finished runs`,
    }),
    kpiTile({
      testid: 'kpi-agents-affected', label: agentsLabel, value: formatCount(BigInt(offenders.length)),
      exact: offenders.length,
      hint: worst ? `Worst ${agentLabel(worst.id, directory).text} · ${worst.failed}` : 'No agent failed',
    }),
  ]);
}

function errorsTrendCard(daily, context, charts) {
  const { view, today } = context;
  const grain = view.days >= WEEKLY_FROM_DAYS ? choices.grain : 'daily';
  const buckets = makeBuckets({ today, days: view.days, rowDates: daily.map((row) => row.date), grain });
  const { values, runs } = errorsTrend(daily, buckets);
  const failedIn = (index) => values[index].reduce((a, b) => a + b, 0n);
  const rateIn = (index) => `${formatRate(failedIn(index), runs[index])} of ${runs[index]} runs`;
  const unit = grain === 'weekly' ? 'week' : 'day';
  const chart = stackedBars({
    testid: 'errors-chart', buckets, segments: DISPLAY_CLASSES, values, format: formatCount,
    describe: (index) => [['Error rate', rateIn(index)]],
    label: `Failed runs per ${unit} over ${view.days} days, by kind of failure. `
      + 'Arrow keys step through the bars; the table below lists every value.',
  });
  charts.push(chart);

  const rerender = (change) => {
    Object.assign(choices, change);
    const fresh = [];
    replaceKeepingFocus(element, errorsTrendCard(daily, context, fresh));
    for (const c of fresh) c.draw();
  };
  const element = card({
    name: 'errors-trend', title: 'Errors over time', wide: true, csv: csvHref('failures/daily', view),
    controls: view.days >= WEEKLY_FROM_DAYS && toggleGroup({
      label: 'Grain', value: grain, onChange: (value) => rerender({ grain: value }),
      options: [
        { value: 'daily', label: 'Daily', testid: 'errors-grain-daily' },
        { value: 'weekly', label: 'Weekly', testid: 'errors-grain-weekly' },
      ],
    }),
    body: [
      chart.element,
      chartTable({
        testid: 'errors-table', caption: `Failed runs per ${unit}, by kind`, buckets, segments: DISPLAY_CLASSES,
        values, format: formatCount, extraColumns: [{ label: 'Error rate', cell: rateIn }],
      }),
    ],
  });
  return element;
}

function failureMixCard(daily, context) {
  const { classes, reasons } = failureMix(daily);
  const failed = classes.reduce((total, c) => total + c.count, 0n);
  const leader = classes.reduce((top, c) => (c.count > top ? c.count : top), 0n);
  const mixRows = classes.map((c) => h('tr', { 'data-class': c.key, 'data-count': c.count },
    h('th', { scope: 'row' }, h('span', { class: `swatch seg-${c.key}`, 'aria-hidden': 'true' }), c.label),
    h('td', { class: 'num' }, formatCount(c.count)),
    h('td', { class: 'num' }, h('span', { class: 'share-cell' }, shareBar(c.count, leader), formatRate(c.count, failed)))));
  const codeRows = reasons.map((r) => h('tr', { 'data-reason': r.reason, 'data-count': r.count },
    h('th', { scope: 'row' }, h('code', {}, r.reason)),
    h('td', {}, classLabel(r.cls)),
    h('td', { class: 'num' }, formatCount(r.count))));

  const codesId = 'failure-codes';
  const codes = h('div', { id: codesId, 'data-testid': 'failure-codes', hidden: !choices.showCodes },
    scrollTable({
      testid: 'failure-codes-table', caption: 'Failed runs per error code',
      columns: [{ label: 'Error code' }, { label: 'Kind' }, { label: 'Failed', numeric: true }], rows: codeRows,
    }));
  const toggle = h('button', {
    type: 'button', class: 'show-all', 'data-testid': 'failure-codes-toggle', 'aria-controls': codesId,
    'aria-expanded': String(choices.showCodes),
    onClick: () => {
      choices.showCodes = !choices.showCodes;
      codes.hidden = !choices.showCodes;
      toggle.setAttribute('aria-expanded', String(choices.showCodes));
      toggle.textContent = choices.showCodes ? 'Hide error codes' : 'Show error codes';
    },
  }, choices.showCodes ? 'Hide error codes' : 'Show error codes');

  return card({
    name: 'failure-mix', title: 'Failure mix', csv: csvHref('failures/daily', context.view),
    body: [
      h('div', { class: 'table-scroll' },
        h('table', { 'data-testid': 'failure-mix', class: 'mix' },
          h('caption', { class: 'visually-hidden' }, 'Failed runs per kind of failure'),
          h('thead', {}, h('tr', {},
            h('th', { scope: 'col' }, 'Kind'), h('th', { scope: 'col', class: 'num' }, 'Failed'),
            h('th', { scope: 'col', class: 'num' }, 'Share'))),
          h('tbody', {}, mixRows))),
      toggle,
      codes,
    ],
  });
}

// By failures: most failed first. By rate: agents with enough runs for the rate to mean
// something first, each group by rate; ties by failures, then by name.
function rankOffenders(rows, sort) {
  const byName = (a, b) => a.label.text.localeCompare(b.label.text);
  const byFailures = (a, b) => (a.failed === b.failed ? 0 : a.failed > b.failed ? -1 : 1);
  const byRate = (a, b) => (isRateMeaningful(b) - isRateMeaningful(a)) || -compareRates(a, b);
  const primary = sort === 'rate' ? byRate : byFailures;
  return rows.sort((a, b) => primary(a, b) || byFailures(a, b) || byName(a, b));
}

function offendersCard(offenders, context) {
  const { view, directory } = context;
  const rows = rankOffenders(offenders.map((row) => ({ ...row, label: agentLabel(row.id, directory) })), choices.sort);
  const shown = choices.showAll ? rows : rows.slice(0, OFFENDERS_LIMIT);
  const rerender = (change) => {
    Object.assign(choices, change);
    replaceKeepingFocus(element, offendersCard(offenders, context));
  };
  const leaderFailed = rows.reduce((top, r) => (r.failed > top ? r.failed : top), 0n);
  // Rate bars are in hundredths of a percent of the top meaningful rate, so BigInt shares work.
  const rateBasis = (row) => (row.runs === 0n ? 0n : (row.failed * 10000n) / row.runs);
  const leaderRate = rows.filter(isRateMeaningful).reduce((top, r) => (rateBasis(r) > top ? rateBasis(r) : top), 0n);
  const barOf = (row) => (choices.sort === 'rate'
    ? shareBar(isRateMeaningful(row) ? rateBasis(row) : 0n, leaderRate)
    : shareBar(row.failed, leaderFailed));

  const tableRows = shown.map((row) => {
    const meaningful = isRateMeaningful(row);
    const rate = formatRate(row.failed, row.runs);
    return h('tr', { 'data-agent-id': row.id, 'data-failed': row.failed, 'data-runs': row.runs },
      agentCell(row.label, barOf(row)),
      h('td', { class: 'num' }, formatCount(row.failed)),
      h('td', { class: 'num' }, formatCount(row.runs)),
      meaningful
        ? h('td', { class: 'num' }, rate)
        : h('td', {
          class: 'num not-meaningful', 'data-not-meaningful': 'true',
          title: `Only ${row.runs} runs: too few for the rate to mean much`,
        }, `${rate}†`));
  });
  const hasFew = shown.some((row) => !isRateMeaningful(row));
  const element = card({
    name: 'offenders', title: 'Top offenders', csv: csvHref('failures/by-agent', view),
    controls: toggleGroup({
      label: 'Rank agents by', value: choices.sort, onChange: (value) => rerender({ sort: value }),
      options: [
        { value: 'failures', label: 'Failures', testid: 'offenders-sort-failures' },
        { value: 'rate', label: 'Rate', testid: 'offenders-sort-rate' },
      ],
    }),
    body: [
      scrollTable({
        testid: 'offenders-table', caption: `Agents by ${choices.sort === 'rate' ? 'failure rate' : 'failed runs'}`,
        columns: [{ label: 'Agent' }, { label: 'Failed', numeric: true }, { label: 'Runs', numeric: true }, { label: 'Rate', numeric: true }],
        rows: tableRows,
      }),
      hasFew ? h('p', { class: 'footnote' }, `† Fewer than ${MEANINGFUL_RUNS} runs: the rate is not meaningful.`) : null,
      showAllButton({
        testid: 'offenders-show-all', showingAll: choices.showAll, total: rows.length, limit: OFFENDERS_LIMIT,
        onToggle: () => rerender({ showAll: !choices.showAll }),
      }),
    ],
  });
  return element;
}
