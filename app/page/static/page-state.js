// What the page as a whole is doing, in body[data-state] and body[data-view] (the browser
// tests wait on them), and the banner that says why figures are missing.

const banner = () => document.querySelector('[data-testid=banner]');

// state: signed-out, loading, ready or error; view: the canonical query, set only when ready.
export function setPageState(state, view = null) {
  document.body.dataset.state = state;
  if (state === 'ready' && view !== null) document.body.dataset.view = view;
  else delete document.body.dataset.view;
}

export function showBanner(message, onRetry) {
  const element = banner();
  const text = element.querySelector('.banner-text');
  const retry = element.querySelector('button');
  text.textContent = message;
  retry.hidden = !onRetry;
  retry.onclick = onRetry ?? null;
  element.hidden = false;
}

export function hideBanner() {
  banner().hidden = true;
}
