// The building blocks both tabs share: KPI tiles, cards with a CSV link, toggle groups, tables
// and their skeletons (drawn at the size of what they stand for, so nothing jumps on arrival).

import { h } from './dom.js';
import { formatBucket } from './format.js';

export function kpiTile({ testid, label, value, hint, exact }) {
  return h('div', { class: 'tile', 'data-testid': testid, 'data-exact': exact },
    h('div', { class: 'tile-label' }, label),
    h('div', { class: 'tile-value', 'data-testid': 'kpi-value' }, value),
    h('div', { class: 'tile-hint', 'data-testid': 'kpi-hint' }, hint));
}

export function tileSkeleton(label) {
  return h('div', { class: 'tile', 'aria-hidden': 'true' },
    h('div', { class: 'tile-label' }, label),
    h('div', { class: 'tile-value' }, h('span', { class: 'skeleton skeleton-value' })),
    h('div', { class: 'tile-hint' }, h('span', { class: 'skeleton skeleton-hint' })));
}

export const tileRow = (tiles) => h('div', { class: 'tiles' }, tiles);

// A card: title, its controls, a CSV download of the route behind it, then the body.
export function card({ name, title, controls = [], csv, body, wide = false }) {
  const csvLink = csv && h('a', {
    class: 'csv-link', 'data-testid': `csv-${name}`, href: csv, download: true,
    'aria-label': `Download ${title.toLowerCase()} as CSV`,
  }, 'CSV');
  return h('section', { class: wide ? 'card card-wide' : 'card', 'data-testid': `card-${name}`, 'aria-label': title },
    h('header', { class: 'card-head' },
      h('h2', { class: 'card-title' }, title),
      h('div', { class: 'card-controls' }, controls, csvLink)),
    body);
}

// Body heights of a loading card: a chart with its legend and table toggle, and a table of
// about eight rows, so the figures replace them without moving the page.
export const TREND_CARD_BODY = 280;
export const TABLE_CARD_BODY = 392;

export function cardSkeleton({ title, height, wide = false }) {
  const block = h('div', { class: 'skeleton skeleton-block' });
  block.style.height = `${height}px`;
  return h('section', { class: wide ? 'card card-wide' : 'card', 'aria-hidden': 'true' },
    h('header', { class: 'card-head' }, h('h2', { class: 'card-title' }, title)),
    block);
}

// Buttons of which one is pressed; options: [{value, label, testid}].
export function toggleGroup({ label, options, value, onChange }) {
  return h('div', { class: 'toggle', role: 'group', 'aria-label': label },
    options.map((option) => h('button', {
      type: 'button', 'data-testid': option.testid, 'aria-pressed': String(option.value === value),
      onClick: () => { if (option.value !== value) onChange(option.value); },
    }, option.label)));
}

export function showAllButton({ testid, showingAll, total, limit, onToggle }) {
  if (total <= limit) return null;
  return h('button', {
    type: 'button', class: 'show-all', 'data-testid': testid, 'aria-expanded': String(showingAll), onClick: onToggle,
  }, showingAll ? `Show top ${limit}` : `Show all ${total}`);
}

export const emptyState = (testid, text) =>
  h('section', { class: 'card card-wide empty', 'data-testid': testid }, h('p', {}, text));

// A table whose columns are [{label, numeric}] and rows lists of cells (text or nodes).
export function scrollTable({ testid, caption, columns, rows }) {
  return h('div', { class: 'table-scroll' },
    h('table', { 'data-testid': testid },
      caption && h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.numeric ? 'num' : null }, c.label)))),
      h('tbody', {}, rows)));
}

// The table alternative of a chart: one row per bucket, its segments, then a total column.
export function chartTable({ testid, caption, buckets, segments, values, format, extraColumns = [] }) {
  const columns = [
    { label: buckets.list[0]?.weekly ? 'Week' : 'Day' },
    ...segments.map((s) => ({ label: s.label, numeric: true })),
    { label: 'Total', numeric: true },
    ...extraColumns.map((c) => ({ label: c.label, numeric: true })),
  ];
  const rows = buckets.list.map((bucket, index) => {
    const total = values[index].reduce((a, b) => a + b, 0n);
    return h('tr', { 'data-date': bucket.key, 'data-total': total },
      h('th', { scope: 'row' }, formatBucket(bucket)),
      values[index].map((value) => h('td', { class: 'num', 'data-value': value }, format(value))),
      h('td', { class: 'num total', 'data-value': total }, format(total)),
      extraColumns.map((c) => h('td', { class: 'num' }, c.cell(index))));
  }).reverse();
  return h('details', { class: 'chart-table' },
    h('summary', {}, 'Show as table'),
    scrollTable({ testid, caption, columns, rows }));
}

// A bar behind a leaderboard name, as long as the value's share of the leader's.
export function shareBar(value, leader) {
  const fill = h('span', { class: 'bar-fill' });
  fill.style.width = `${leader > 0n ? Number((value * 10000n) / leader) / 100 : 0}%`;
  return h('span', { class: 'bar', 'aria-hidden': 'true' }, fill);
}

// The agent column: the name (italic when folded, a short id when unknown) over its share bar.
export function agentCell(label, bar) {
  return h('th', { scope: 'row', class: `agent agent-${label.kind}`, title: label.title },
    h('span', { class: 'agent-line' },
      h('span', { class: 'agent-name' }, label.text),
      label.archived ? h('span', { class: 'tag' }, 'archived') : null),
    bar);
}
