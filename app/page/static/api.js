// The page's only door to the server: same-origin fetches carrying the session cookie, answers
// parsed exactly, failures turned into ApiError with the HTTP status (0 when no answer came).

import { parseExactJSON } from './exact-json.js';

const DASHBOARD = '/api/dashboard/';
export const NO_ANSWER = 0;

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export const isAbort = (error) => error?.name === 'AbortError';

async function request(path, { method = 'GET', body, signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let text;
  let response;
  try {
    response = await fetch(path, {
      method, headers, signal, credentials: 'same-origin', body: body && JSON.stringify(body),
    });
    text = await response.text();
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new ApiError(NO_ANSWER, 'no answer from the server');
  }
  if (response.ok) return text ? parseExactJSON(text) : null;
  throw new ApiError(response.status, errorText(text, response.status));
}

function errorText(text, status) {
  try {
    return JSON.parse(text).error ?? `HTTP ${status}`;
  } catch {
    return `HTTP ${status}`;
  }
}

// The view's parameters as the API names them; an empty project means all projects.
function apiQuery(params, extra = {}) {
  const query = new URLSearchParams({
    workspace_slug: params.ws, days: String(params.days), tz: params.tz, ...extra,
  });
  if (params.project) query.set('project_id', params.project);
  return query.toString();
}

export const fetchMe = (signal) => request('/api/me', { signal });

export const fetchRoute = (route, params, signal) =>
  request(`${DASHBOARD}${route}?${apiQuery(params)}`, { signal });

export const fetchWorkspaceList = (route, slug, signal) =>
  request(`${DASHBOARD}${route}?${new URLSearchParams({ workspace_slug: slug })}`, { signal });

export const csvHref = (route, params) => `${DASHBOARD}${route}?${apiQuery(params, { format: 'csv' })}`;

export const signIn = (token) => request('/auth/sign-in', { method: 'POST', body: { token } });

export const signOut = () => request('/auth/sign-out', { method: 'POST' });
