// The viewing time zone: the list to pick from, validation, the default, and the remembered pick.

const REMEMBERED_KEY = 'usage-dashboard.tz';

// Chromium's list carries the ICU canonical names, some of them the old spellings
// (Asia/Calcutta); the current tz database names are offered too, since people search for them.
const CURRENT_NAMES = [
  'Asia/Kolkata', 'Asia/Kathmandu', 'Asia/Ho_Chi_Minh', 'Asia/Yangon', 'Europe/Kyiv',
  'America/Nuuk', 'Atlantic/Faroe', 'Pacific/Kanton', 'Pacific/Chuuk', 'Pacific/Pohnpei',
];

export function isKnownZone(name) {
  if (typeof name !== 'string' || name === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const icuName = (name) => new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;

// The browser reports the ICU spelling (Asia/Calcutta); its current name is preferred.
function browserZone() {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  return CURRENT_NAMES.find((name) => isKnownZone(name) && icuName(name) === zone) ?? zone;
}

// UTC first, then every zone by name; `extra` adds zones in use that the list lacks.
export function zoneOptions(extra = []) {
  const names = new Set(Intl.supportedValuesOf?.('timeZone') ?? []);
  for (const name of [...CURRENT_NAMES, ...extra]) if (isKnownZone(name)) names.add(name);
  names.delete('UTC');
  return ['UTC', ...[...names].sort()];
}

function rememberedZone() {
  try {
    return localStorage.getItem(REMEMBERED_KEY);
  } catch {
    return null;
  }
}

export function rememberZone(name) {
  try {
    localStorage.setItem(REMEMBERED_KEY, name);
  } catch {
    // Storage may be off (private mode): the pick then lasts as long as the URL.
  }
}

// The remembered pick, else the user's zone, else the browser's.
export function defaultZone(userZone) {
  return [rememberedZone(), userZone, browserZone()].find(isKnownZone) ?? 'UTC';
}
