// The toolbar's controls (their elements are in index.html): it shows a view and reports the
// changes a person makes to it; app.js decides what follows.

import { h } from './dom.js';
import { PERIODS, TABS } from './url-state.js';
import { rememberZone } from './time-zones.js';

const byTestId = (testid) => document.querySelector(`[data-testid="${testid}"]`);

export function createToolbar({ onChange, onRefresh, onSignOut }) {
  const workspace = byTestId('workspace');
  const project = byTestId('project');
  const zone = byTestId('tz');
  const tabs = TABS.map((tab) => byTestId(`tab-${tab}`));
  const periods = PERIODS.map((days) => byTestId(`period-${days}`));

  workspace.addEventListener('change', () => onChange({ ws: workspace.value, project: '' }));
  project.addEventListener('change', () => onChange({ project: project.value }));
  zone.addEventListener('change', () => {
    rememberZone(zone.value);
    onChange({ tz: zone.value });
  });
  tabs.forEach((tab, index) => {
    tab.addEventListener('click', () => onChange({ tab: TABS[index] }));
    // Arrow keys move between tabs (the tablist is a single tab stop).
    tab.addEventListener('keydown', (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      event.preventDefault();
      const next = (index + step + TABS.length) % TABS.length;
      tabs[next].focus();
      onChange({ tab: TABS[next] });
    });
  });
  periods.forEach((button, index) => button.addEventListener('click', () => onChange({ days: PERIODS[index] })));
  byTestId('refresh').addEventListener('click', onRefresh);
  byTestId('sign-out').addEventListener('click', onSignOut);

  const ensureOption = (select, value, text) => {
    if (![...select.options].some((option) => option.value === value)) select.append(h('option', { value }, text));
  };

  return {
    setWorkspaces(workspaces) {
      workspace.replaceChildren(...workspaces.map((w) => h('option', { value: w.slug }, w.name)));
    },

    setZones(names) {
      zone.replaceChildren(...names.map((name) => h('option', { value: name }, name.replaceAll('_', ' '))));
    },

    // Until the workspace's projects arrive, a picked project is held by a placeholder option.
    setProjects(projects, selected) {
      project.replaceChildren(
        h('option', { value: '' }, 'All projects'),
        ...projects.map((p) => h('option', { value: p.id }, p.title)),
      );
      if (selected) ensureOption(project, selected, 'Loading…');
      project.value = selected;
    },

    show(view) {
      workspace.value = view.ws;
      ensureOption(zone, view.tz, view.tz.replaceAll('_', ' '));
      zone.value = view.tz;
      if (view.project) ensureOption(project, view.project, 'Loading…');
      project.value = view.project;
      tabs.forEach((tab, index) => {
        const selected = TABS[index] === view.tab;
        tab.setAttribute('aria-selected', String(selected));
        tab.tabIndex = selected ? 0 : -1;
      });
      periods.forEach((button, index) => button.setAttribute('aria-pressed', String(PERIODS[index] === view.days)));
    },

    setFreshness(text) {
      byTestId('freshness').textContent = text;
    },
  };
}
