// A stacked bar chart in hand-written SVG, drawn to its container's width, with a tooltip that
// follows the pointer and the keyboard (the chart is one tab stop; arrow keys move along it).

import { h, svg } from './dom.js';
import { formatBucket, formatDayShort } from './format.js';

const CHART_HEIGHT = 220;
const PAD = { top: 12, right: 8, bottom: 26, left: 56 };
const Y_TICKS = 4;
const MIN_LABEL_GAP = 72;

const sum = (values) => values.reduce((total, value) => total + value, 0n);

// A round step (1, 2, 2.5 or 5 × 10^k) so that Y_TICKS steps cover the maximum; at least 1
// and whole below 10, since every charted quantity is an integer.
function tickStep(max) {
  if (max <= 0) return 1;
  const raw = max / Y_TICKS;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const nice = [1, 2, 2.5, 5, 10].find((n) => raw <= n * magnitude) * magnitude;
  return nice < 10 ? Math.max(1, Math.ceil(nice)) : nice;
}

/**
 * buckets: from makeBuckets; segments: [{key, label}] bottom to top; values[bucket][segment]:
 * BigInt; format: BigInt → text; describe(bucketIndex): extra tooltip lines [[label, text]].
 * Returns the element and draw(), to call once the element is in the document.
 */
export function stackedBars({ testid, label, buckets, segments, values, format, describe = () => [] }) {
  const totals = values.map(sum);
  const plot = svg('svg', {
    'data-testid': testid, class: 'chart-svg', role: 'img', 'aria-label': label, tabindex: 0, height: CHART_HEIGHT,
  });
  const tip = h('div', { class: 'chart-tip', role: 'status', 'aria-live': 'polite', hidden: true });
  const frame = h('div', { class: 'chart-frame' }, plot, tip);
  let layout = null;
  let active = -1;

  function draw() {
    const width = frame.clientWidth;
    if (layout?.width === width || width === 0) return;
    const maxTotal = Math.max(0, ...totals.map(Number));
    const step = tickStep(maxTotal);
    const top = step * Math.max(1, Math.ceil(maxTotal / step));
    const plotWidth = Math.max(1, width - PAD.left - PAD.right);
    const plotHeight = CHART_HEIGHT - PAD.top - PAD.bottom;
    const slot = plotWidth / buckets.list.length;
    const barWidth = Math.max(1, slot * (slot > 6 ? 0.72 : 0.9));
    layout = { width, slot, barWidth };
    const yOf = (value) => PAD.top + plotHeight - (value / top) * plotHeight;

    const grid = [];
    for (let tick = 0; tick <= top + step / 2; tick += step) {
      const y = yOf(tick);
      grid.push(
        svg('line', { class: 'chart-grid', x1: PAD.left, x2: width - PAD.right, y1: y, y2: y }),
        svg('text', { class: 'chart-axis', x: PAD.left - 8, y: y + 4, 'text-anchor': 'end' }, format(BigInt(Math.round(tick)))),
      );
    }

    const bars = buckets.list.map((bucket, index) => {
      const x = PAD.left + index * slot + (slot - barWidth) / 2;
      let base = 0;
      const rects = segments.map((segment, s) => {
        const value = values[index][s];
        const y = yOf(base + Number(value));
        const height = yOf(base) - y;
        base += Number(value);
        return svg('rect', {
          class: `seg seg-${segment.key}`, x, y, width: barWidth, height,
          'data-date': bucket.key, 'data-segment': segment.key, 'data-value': value,
        });
      });
      return svg('g', { class: bucket.partial ? 'chart-bar partial' : 'chart-bar' }, rects);
    });

    const every = Math.max(1, Math.ceil(MIN_LABEL_GAP / slot));
    const labels = buckets.list.flatMap((bucket, index) => {
      if ((buckets.list.length - 1 - index) % every !== 0) return [];
      const x = PAD.left + (index + 0.5) * slot;
      return [svg('text', { class: 'chart-axis', x, y: CHART_HEIGHT - 8, 'text-anchor': 'middle' }, formatDayShort(bucket.first))];
    });

    const focusBand = svg('rect', {
      class: 'chart-focus', y: PAD.top, height: plotHeight, width: slot, x: 0, visibility: 'hidden',
    });
    plot.setAttribute('width', width);
    plot.setAttribute('viewBox', `0 0 ${width} ${CHART_HEIGHT}`);
    plot.replaceChildren(focusBand, ...grid, ...bars, ...labels);
    if (active >= 0) show(active);
  }

  function show(index) {
    active = index;
    const bucket = buckets.list[index];
    // Top of the stack first, as drawn; a segment with nothing in this bucket is left out.
    const rows = segments
      .map((segment, s) => values[index][s] > 0n && tipRow(segment.label, format(values[index][s]), `seg-${segment.key}`))
      .filter(Boolean)
      .reverse();
    tip.replaceChildren(
      h('div', { class: 'chart-tip-title' }, formatBucket(bucket)),
      ...rows,
      tipRow('Total', format(totals[index]), null, 'chart-tip-total'),
      ...describe(index).map(([name, text]) => tipRow(name, text)),
    );
    tip.hidden = false;
    const band = plot.querySelector('.chart-focus');
    band.setAttribute('x', PAD.left + index * layout.slot);
    band.setAttribute('visibility', 'visible');
    const center = PAD.left + (index + 0.5) * layout.slot;
    const tipWidth = tip.offsetWidth;
    const right = center + 14;
    tip.style.left = `${right + tipWidth <= layout.width ? right : Math.max(0, center - 14 - tipWidth)}px`;
  }

  function hide() {
    active = -1;
    tip.hidden = true;
    plot.querySelector('.chart-focus')?.setAttribute('visibility', 'hidden');
  }

  const bucketAt = (clientX) => {
    const x = clientX - plot.getBoundingClientRect().left - PAD.left;
    return Math.min(buckets.list.length - 1, Math.max(0, Math.floor(x / layout.slot)));
  };
  plot.addEventListener('pointermove', (event) => { if (layout) show(bucketAt(event.clientX)); });
  plot.addEventListener('pointerleave', () => { if (document.activeElement !== plot) hide(); });
  plot.addEventListener('focus', () => show(active >= 0 ? active : buckets.list.length - 1));
  plot.addEventListener('blur', hide);
  plot.addEventListener('keydown', (event) => {
    const last = buckets.list.length - 1;
    const moves = { ArrowLeft: active - 1, ArrowRight: active + 1, Home: 0, End: last, Escape: -1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    if (event.key === 'Escape') hide();
    else show(Math.min(last, Math.max(0, moves[event.key])));
  });

  const observer = new ResizeObserver(() => {
    if (frame.isConnected) draw();
    else observer.disconnect();
  });
  observer.observe(frame);

  return { element: h('div', { class: 'chart' }, frame, legend(segments)), draw };
}

// The chart's place while its figures are on their way: the frame's size and the legend, which
// needs no figures.
export function chartSkeleton(segments) {
  return h('div', { class: 'chart', 'aria-hidden': 'true' }, h('div', { class: 'chart-frame skeleton' }), legend(segments));
}

function tipRow(name, text, swatchClass = null, rowClass = 'chart-tip-row') {
  return h('div', { class: rowClass },
    h('span', { class: swatchClass ? `swatch ${swatchClass}` : 'swatch swatch-none', 'aria-hidden': 'true' }),
    h('span', { class: 'chart-tip-name' }, name),
    h('span', { class: 'chart-tip-value' }, text));
}

function legend(segments) {
  return h('ul', { class: 'legend', 'aria-hidden': 'true' },
    segments.map((segment) => h('li', {}, h('span', { class: `swatch seg-${segment.key}` }), segment.label)));
}
