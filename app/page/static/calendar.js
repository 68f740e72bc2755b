// Calendar dates as ISO strings (YYYY-MM-DD). Arithmetic runs on their UTC midnights, where
// every day is 24 hours long, so it never meets a DST change.

const DAY_MS = 86_400_000;

const toEpochDay = (isoDate) => Date.parse(`${isoDate}T00:00:00Z`) / DAY_MS;
const fromEpochDay = (day) => new Date(day * DAY_MS).toISOString().slice(0, 10);

export const addDays = (isoDate, days) => fromEpochDay(toEpochDay(isoDate) + days);

// 0 for Monday … 6 for Sunday.
const weekdayFromMonday = (isoDate) => (new Date(toEpochDay(isoDate) * DAY_MS).getUTCDay() + 6) % 7;

export const mondayOf = (isoDate) => addDays(isoDate, -weekdayFromMonday(isoDate));

export function datesFromTo(first, last) {
  const dates = [];
  for (let day = toEpochDay(first); day <= toEpochDay(last); day += 1) dates.push(fromEpochDay(day));
  return dates;
}

// Today's date on the wall clocks of the zone.
export function todayIn(timeZone) {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit',
  }).formatToParts(new Date());
  const part = (type) => parts.find((p) => p.type === type).value;
  return `${part('year')}-${part('month')}-${part('day')}`;
}
