// The time axis of a chart: one bucket per local day of the window, or per Monday-to-Sunday
// week, with the weeks the window cuts marked partial.

import { addDays, datesFromTo, mondayOf } from './calendar.js';

export const WEEKLY_FROM_DAYS = 30;

// The window is the `days` dates ending today in the viewing zone; it is widened to any date a
// row carries (a clock a little off the server's), so every row lands in a bucket and the
// bars always add up to the tiles.
export function makeBuckets({ today, days, rowDates, grain }) {
  let first = addDays(today, -(days - 1));
  let last = today;
  for (const date of rowDates) {
    if (date < first) first = date;
    if (date > last) last = date;
  }
  const weekly = grain === 'weekly';
  const list = [];
  const indexOfDate = new Map();
  for (const date of datesFromTo(first, last)) {
    const key = weekly ? mondayOf(date) : date;
    if (list.at(-1)?.key !== key) list.push({ key, first: date, last: date, weekly, partial: false });
    const bucket = list.at(-1);
    bucket.last = date;
    indexOfDate.set(date, list.length - 1);
  }
  if (weekly) {
    for (const bucket of list) bucket.partial = bucket.first !== bucket.key || bucket.last !== addDays(bucket.key, 6);
  }
  // A row dated outside the widened window (one of a route that did not widen it) goes to the
  // nearest end, so the bars still add up to the tiles.
  const nearestEnd = (date) => (date < first ? 0 : list.length - 1);
  return { list, indexOf: (date) => indexOfDate.get(date) ?? nearestEnd(date) };
}

// A zero-filled grid of BigInt: one array of `width` per bucket.
export function zeroGrid(bucketCount, width) {
  return Array.from({ length: bucketCount }, () => Array(width).fill(0n));
}
