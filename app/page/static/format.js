// Every figure's display text, in the exact formats of the page spec. Inputs are BigInt
// (tokens, micro-dollars, seconds, counts); rounding happens here and only here.

const MICROS_PER_DOLLAR = 1_000_000n;
const MICROS_PER_CENT = 10_000n;
const WHOLE_DOLLARS_FROM = 100n * MICROS_PER_DOLLAR;
const COMPACT_UNITS = ['K', 'M', 'B', 'T'];

// Non-negative division rounded half up: display rounding, never fed back into sums.
function roundDiv(numerator, divisor) {
  return (numerator * 2n + divisor) / (divisor * 2n);
}

function withTenths(tenths) {
  return tenths % 10n === 0n ? String(tenths / 10n) : `${tenths / 10n}.${tenths % 10n}`;
}

// $1234 at or above $100 (whole dollars, no separators), $12.35 below.
export function formatMoney(micros) {
  if (micros >= WHOLE_DOLLARS_FROM) return `$${roundDiv(micros, MICROS_PER_DOLLAR)}`;
  const cents = roundDiv(micros, MICROS_PER_CENT);
  return `$${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
}

// 950, 1.2K, 12K, 123K, 3M: one decimal below 10 of a unit, whole units above; a rounding
// that reaches 1000 of a unit moves to the next (999 950 → 1M).
export function formatTokens(count) {
  if (count < 1000n) return String(count);
  for (let unit = 0; unit < COMPACT_UNITS.length; unit += 1) {
    const scale = 1000n ** BigInt(unit + 1);
    const isLast = unit === COMPACT_UNITS.length - 1;
    if (count >= scale * 1000n && !isLast) continue;
    const tenths = roundDiv(count * 10n, scale);
    if (tenths < 100n) return `${withTenths(tenths)}${COMPACT_UNITS[unit]}`;
    const whole = roundDiv(count, scale);
    if (whole < 1000n || isLast) return `${whole}${COMPACT_UNITS[unit]}`;
  }
  return String(count);
}

// 45s, 2m 30s, 3h 17m, 2d 5h: the two largest units, the smaller one truncated.
export function formatDuration(seconds) {
  if (seconds < 60n) return `${seconds}s`;
  if (seconds < 3600n) return `${seconds / 60n}m ${seconds % 60n}s`;
  if (seconds < 86400n) return `${seconds / 3600n}h ${(seconds % 3600n) / 60n}m`;
  return `${seconds / 86400n}d ${(seconds % 86400n) / 3600n}h`;
}

export function formatCount(count) {
  return String(count);
}

// 40%, 1.4%, — when there is nothing to divide by: one decimal below 10 %, whole above.
export function formatRate(part, whole) {
  if (whole === 0n) return '—';
  const tenths = roundDiv(part * 1000n, whole);
  if (tenths === 0n && part > 0n) return '<0.1%';
  if (tenths < 100n) return `${withTenths(tenths)}%`;
  return `${roundDiv(part * 100n, whole)}%`;
}

export function periodLabel(days) {
  return `${days}D`;
}

// Calendar dates are formatted as UTC instants of their midnight, so no zone shifts them.
const DAY_SHORT = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
const DAY_LONG = new Intl.DateTimeFormat('en-US', {
  weekday: 'short', month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC',
});

const asUtcMidnight = (isoDate) => new Date(`${isoDate}T00:00:00Z`);

export function formatDayShort(isoDate) {
  return DAY_SHORT.format(asUtcMidnight(isoDate));
}

function formatDayLong(isoDate) {
  return DAY_LONG.format(asUtcMidnight(isoDate));
}

export function formatBucket(bucket) {
  if (!bucket.weekly) return formatDayLong(bucket.first);
  const range = bucket.first === bucket.last
    ? formatDayShort(bucket.first)
    : `${formatDayShort(bucket.first)} – ${formatDayShort(bucket.last)}`;
  return bucket.partial ? `${range} (partial week)` : range;
}

// "updated 14:05 (GMT+5:30)" in the viewing zone.
export function formatFreshness(instant, timeZone) {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'shortOffset',
  }).formatToParts(instant);
  const part = (type) => parts.find((p) => p.type === type)?.value ?? '';
  return `updated ${part('hour')}:${part('minute')} (${part('timeZoneName')})`;
}
