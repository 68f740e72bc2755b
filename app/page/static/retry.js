// While the database or the server is not answering, the page tries again by itself, soon at
// first and then less often, so the banner's "the figures will return when it does" holds
// without a click. The server's own pool may need a few seconds to reconnect after an outage,
// so a single retry could land inside that wait and leave the page on its banner for good.

const FIRST_DELAY_MS = 2000;
const LONGEST_DELAY_MS = 30000;

let timer = null;
let delay = FIRST_DELAY_MS;

// Runs action after the current delay, then doubles the delay for the next failure.
export function retryLater(action) {
  clearTimeout(timer);
  timer = setTimeout(() => {
    timer = null;
    action();
  }, delay);
  delay = Math.min(delay * 2, LONGEST_DELAY_MS);
}

// Drops a pending retry: the user (or a retry) started a load, or signed out.
export function cancelRetry() {
  clearTimeout(timer);
  timer = null;
}

// The server answered: the next outage starts again from the first delay.
export function answered() {
  cancelRetry();
  delay = FIRST_DELAY_MS;
}
