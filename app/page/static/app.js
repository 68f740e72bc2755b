// The page's conductor: signs in, reads the view from the URL, loads the routes of the active
// tab in parallel and draws them, then fetches the tab's later routes (slow, and needed only by
// some choices) in the background. Each load has its own AbortController, so an answer for a
// view that has since changed is dropped instead of drawn.

import { agentDirectory } from './agent-names.js';
import { ApiError, NO_ANSWER, fetchMe, fetchRoute, fetchWorkspaceList, isAbort, signOut } from './api.js';
import { todayIn } from './calendar.js';
import { ERRORS_ROUTES, errorsSkeleton, renderErrors } from './errors-view.js';
import { formatFreshness } from './format.js';
import { hideBanner, setPageState, showBanner } from './page-state.js';
import { answered, cancelRetry, retryLater } from './retry.js';
import { SESSION_ENDED, bindSignInForm, exchangeToken, showSignInError, takeFragmentToken } from './sign-in.js';
import { defaultZone, zoneOptions } from './time-zones.js';
import { createToolbar } from './toolbar.js';
import { canonicalQuery, viewFromUrl, writeUrl } from './url-state.js';
import { USAGE_LATER_ROUTES, USAGE_ROUTES, renderUsage, usageSkeleton } from './usage-view.js';

const TABS = {
  usage: { routes: USAGE_ROUTES, laterRoutes: USAGE_LATER_ROUTES, skeleton: usageSkeleton, render: renderUsage },
  errors: { routes: ERRORS_ROUTES, laterRoutes: [], skeleton: errorsSkeleton, render: renderErrors },
};

const screens = {
  signIn: document.getElementById('sign-in-screen'),
  dashboard: document.getElementById('dashboard'),
};
const panels = {
  usage: document.getElementById('panel-usage'),
  errors: document.getElementById('panel-errors'),
};

let me = null;
let view = null;
let inFlight = null;
// Per workspace slug: the promise of its projects and agents, which do not depend on the window.
const workspaceLists = new Map();

const toolbar = createToolbar({
  onChange: (change) => changeView(change, { push: true }),
  onRefresh: () => {
    workspaceLists.delete(view.ws);
    load();
  },
  onSignOut: () => signOutNow(),
});

function listsOf(slug) {
  if (!workspaceLists.has(slug)) {
    const lists = Promise.all([fetchWorkspaceList('projects', slug), fetchWorkspaceList('agents', slug)])
      .then(([projects, agents]) => ({ projects, agents }));
    lists.catch(() => {
      if (workspaceLists.get(slug) === lists) workspaceLists.delete(slug);
    });
    workspaceLists.set(slug, lists);
  }
  return workspaceLists.get(slug);
}

function showScreen(name) {
  screens.signIn.hidden = name !== 'signIn';
  screens.dashboard.hidden = name !== 'dashboard';
}

// The active tab's panel is shown; the other is emptied, so no stale figure hides in the page.
function showPanel(tab) {
  for (const [name, panel] of Object.entries(panels)) {
    panel.hidden = name !== tab;
    if (name !== tab) {
      panel.replaceChildren();
      delete panel.dataset.workspace;
    }
  }
}

function changeView(change, { push }) {
  view = { ...view, ...change };
  writeUrl(view, { push });
  toolbar.show(view);
  load();
}

async function load() {
  cancelRetry();
  inFlight?.abort();
  const controller = new AbortController();
  inFlight = controller;
  const shown = { ...view };
  const tab = TABS[shown.tab];
  const panel = panels[shown.tab];
  setPageState('loading');
  hideBanner();
  showPanel(shown.tab);
  // Within a workspace the figures on screen stay, dimmed, until the new ones are drawn;
  // otherwise skeletons of the same size hold their place.
  if (panel.dataset.workspace === shown.ws) panel.classList.add('is-refreshing');
  else tab.skeleton(panel, shown);
  panel.setAttribute('aria-busy', 'true');
  try {
    const [lists, ...answers] = await Promise.all([
      listsOf(shown.ws),
      ...tab.routes.map((route) => fetchRoute(route, shown, controller.signal)),
    ]);
    if (controller.signal.aborted) return;
    toolbar.setProjects(lists.projects, shown.project);
    if (shown.project && !lists.projects.some((p) => p.id === shown.project)) {
      // A project deleted since the link was made: show all projects instead of an empty view.
      changeView({ project: '' }, { push: false });
      return;
    }
    const data = Object.fromEntries(tab.routes.map((route, index) => [route, answers[index]]));
    const later = laterRoutes(tab, shown, controller);
    tab.render(panel, data, { view: shown, today: todayIn(shown.tz), directory: agentDirectory(lists.agents), later });
    panel.dataset.workspace = shown.ws;
    panel.classList.remove('is-refreshing', 'is-failed');
    panel.removeAttribute('aria-busy');
    toolbar.setFreshness(formatFreshness(new Date(), shown.tz));
    if (!later.isWaiting()) setPageState('ready', canonicalQuery(shown));
    later.start();
  } catch (error) {
    if (controller.signal.aborted || isAbort(error)) return;
    failedLoad(error, tab, shown);
  }
}

function failedLoad(error, tab, shown) {
  const panel = panels[shown.tab];
  // Figures of the previous view must not pass for this one: still skeletons take their place.
  tab.skeleton(panel, shown);
  delete panel.dataset.workspace;
  panel.classList.remove('is-refreshing');
  panel.classList.add('is-failed');
  panel.removeAttribute('aria-busy');
  failed(error, shown);
}

// The tab's later routes, as the tab's context.later: fetched once the tab is drawn, under the
// view's controller (a view change cancels them), and kept for the view. A chart that needs one
// before it has come waits for it, and the page is loading meanwhile. A failed fetch shows only
// once a chart needs the route: until then every figure on screen is whole.
function laterRoutes(tab, shown, controller) {
  const answers = new Map();
  let begin;
  const begun = new Promise((resolve) => { begin = resolve; });
  // Per route, settles once its answer, rows or error, is in `answers`; it never rejects.
  const arrivals = new Map(tab.laterRoutes.map((route) => [route, begun
    .then(() => fetchRoute(route, shown, controller.signal))
    .then((rows) => ({ rows }), (error) => ({ error }))
    .then((answer) => { answers.set(route, answer); })]));
  let waiting = null;

  // Only the chart drawn last is drawn on arrival. An abort comes only with a view change, whose
  // load owns the page by then, so it is dropped here rather than shown as a failure.
  function arrived(draw) {
    if (controller.signal.aborted || waiting !== draw) return;
    const { error } = answers.get(draw.route);
    if (error) {
      waiting = null;
      failedLoad(error, tab, shown);
    } else {
      draw.redraw();
    }
  }

  return {
    start: () => begin(),
    isWaiting: () => waiting !== null,
    rows: (route) => answers.get(route)?.rows,
    // The chart drawn last waits for the route; its redraw, once the rows are in, calls stopWaiting.
    wait(route, redraw) {
      const draw = { route, redraw };
      waiting = draw;
      setPageState('loading');
      arrivals.get(route).then(() => arrived(draw));
    },
    stopWaiting() {
      if (waiting === null) return;
      waiting = null;
      answered();
      setPageState('ready', canonicalQuery(shown));
    },
  };
}

// A database or server that is not answering now may answer soon: worth trying again unasked.
function unanswered(error) {
  return error instanceof ApiError && (error.status === 503 || error.status === NO_ANSWER);
}

function failureSentence(error) {
  if (!(error instanceof ApiError)) return `The page could not draw this view (${error.message}). Retry, or reload the page.`;
  if (error.status === 503) return 'The database is not answering. The figures will return when it does.';
  if (error.status === NO_ANSWER) return 'The server is not answering. The figures will return when it does.';
  return `The server could not answer for this view (${error.message}).`;
}

function failed(error, shown) {
  if (!(error instanceof ApiError)) console.error(error);
  if (error.status === 401) {
    showSignIn(SESSION_ENDED);
    return;
  }
  // A zone this browser knows but the server's tz database does not: fall back to the default.
  const usualZone = defaultZone(me.user.timezone);
  const fallbackZone = usualZone === shown.tz ? 'UTC' : usualZone;
  if (error.status === 400 && error.message === 'invalid tz' && shown.tz !== fallbackZone) {
    changeView({ tz: fallbackZone }, { push: false });
    return;
  }
  showBanner(failureSentence(error), load);
  setPageState('error');
  if (unanswered(error)) retryLater(load);
}

async function openDashboard({ firstVisit }) {
  cancelRetry();
  setPageState('loading');
  try {
    me = await fetchMe();
  } catch (error) {
    if (error.status === 401) {
      showSignIn(firstVisit && error.message === 'missing authorization' ? '' : SESSION_ENDED);
      return;
    }
    showScreen('dashboard');
    const again = () => openDashboard({ firstVisit });
    showBanner(failureSentence(error), again);
    setPageState('error');
    if (unanswered(error)) retryLater(again);
    return;
  }
  showScreen('dashboard');
  if (me.workspaces.length === 0) {
    showBanner('You are not a member of any workspace yet. Ask a workspace owner to add you.');
    setPageState('error');
    return;
  }
  toolbar.setWorkspaces(me.workspaces);
  toolbar.setZones(zoneOptions([me.user.timezone]));
  view = viewFromUrl(location.search, { workspaces: me.workspaces, defaultTz: defaultZone(me.user.timezone) });
  writeUrl(view, { push: false });
  toolbar.show(view);
  load();
}

function showSignIn(message) {
  cancelRetry();
  inFlight?.abort();
  me = null;
  view = null;
  workspaceLists.clear();
  showPanel(null);
  hideBanner();
  showScreen('signIn');
  showSignInError(message);
  setPageState('signed-out');
  document.querySelector('[data-testid=sign-in] input[name=token]').focus();
}

async function signOutNow() {
  try {
    await signOut();
  } catch (error) {
    if (error.status !== 401) {
      showBanner(`Signing out did not go through (${error.message}). Try again.`, signOutNow);
      setPageState('error');
      return;
    }
  }
  showSignIn('');
}

window.addEventListener('popstate', () => {
  if (!me) return;
  view = viewFromUrl(location.search, { workspaces: me.workspaces, defaultTz: defaultZone(me.user.timezone) });
  writeUrl(view, { push: false });
  toolbar.show(view);
  load();
});

bindSignInForm(() => openDashboard({ firstVisit: false }));

const fragmentToken = takeFragmentToken();
if (fragmentToken === null) {
  openDashboard({ firstVisit: true });
} else {
  const failure = await exchangeToken(fragmentToken);
  if (failure) showSignIn(failure);
  else openDashboard({ firstVisit: false });
}
