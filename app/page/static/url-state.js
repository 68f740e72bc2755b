// The view lives in the URL: ?ws=<slug>&days=30&project=<id>&tz=<zone>&tab=usage|errors.
// Reading falls back to a default for any unknown or stale value.

import { isKnownZone } from './time-zones.js';

export const PERIODS = [1, 7, 30, 90, 180, 365];
export const TABS = ['usage', 'errors'];
const DEFAULT_DAYS = 30;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function viewFromUrl(search, { workspaces, defaultTz }) {
  const query = new URLSearchParams(search);
  const ws = query.get('ws');
  const days = Number(query.get('days'));
  const project = query.get('project') ?? '';
  const tz = query.get('tz');
  const tab = query.get('tab');
  return {
    ws: workspaces.some((w) => w.slug === ws) ? ws : workspaces[0]?.slug ?? '',
    days: PERIODS.includes(days) ? days : DEFAULT_DAYS,
    // Whether the project still exists is known only once the workspace's projects arrive.
    project: UUID.test(project) ? project.toLowerCase() : '',
    tz: isKnownZone(tz) ? tz : defaultTz,
    tab: TABS.includes(tab) ? tab : TABS[0],
  };
}

// The canonical query of a view, in the order the browser tests expect in body[data-view].
export function canonicalQuery(view) {
  return [
    ['ws', view.ws], ['days', view.days], ['project', view.project], ['tz', view.tz], ['tab', view.tab],
  ].map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&');
}

export function writeUrl(view, { push }) {
  const url = `${location.pathname}?${canonicalQuery(view)}`;
  if (url === `${location.pathname}${location.search}`) return;
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}
