// The sign-in form: a personal access token exchanged for a session cookie. The token is never
// stored; the #token=... of the URL `serve` prints is read once and removed at once.

import { NO_ANSWER, signIn } from './api.js';

export const SESSION_ENDED = 'Your session has ended. Sign in again.';

const form = () => document.querySelector('[data-testid=sign-in]');
const errorText = () => document.querySelector('[data-testid=sign-in-error]');

function signInMessage(error) {
  switch (error.status) {
    case 401: return 'That token is not valid: unknown, revoked or expired.';
    case 400: return 'Enter a token.';
    case 503: return 'The database is not answering. Try again in a moment.';
    case NO_ANSWER: return 'The server is not answering. Check that it runs, then try again.';
    default: return error.message;
  }
}

// Removes #token=... from the address (before anything else can see or bookmark it).
export function takeFragmentToken() {
  const match = /^#token=([^&]*)/.exec(location.hash);
  if (!match) return null;
  history.replaceState(history.state, '', `${location.pathname}${location.search}`);
  return decodeURIComponent(match[1]);
}

// Exchanges the token for a session; returns null on success, else the sentence saying why not.
export async function exchangeToken(token) {
  try {
    await signIn(token);
    return null;
  } catch (error) {
    return signInMessage(error);
  }
}

export function showSignInError(message) {
  errorText().textContent = message;
}

export function bindSignInForm(onSignedIn) {
  const element = form();
  element.addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = element.elements.token;
    const token = input.value.trim();
    if (!token) {
      showSignInError('Enter a token.');
      input.focus();
      return;
    }
    const button = element.querySelector('button[type=submit]');
    button.disabled = true;
    showSignInError('');
    const failure = await exchangeToken(token);
    button.disabled = false;
    if (failure) {
      showSignInError(failure);
      input.select();
    } else {
      input.value = '';
      onSignedIn();
    }
  });
}
