// The session this tab is attached to, kept in sessionStorage (per tab, gone with the tab), so
// that a reload re-attaches to the same dashboard instead of starting another. The reconnect
// token is single-use: every `session`/`reconnected` frame brings the next one.

const KEY = 'odto.web.session';

export function storedSession() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(KEY));
    if (typeof stored?.sessionId === 'string' && typeof stored?.reconnectToken === 'string') {
      return stored;
    }
  } catch {
    // Storage disabled or garbage in it: start a new session.
  }
  return null;
}

export function storeSession(sessionId, reconnectToken) {
  try {
    sessionStorage.setItem(KEY, JSON.stringify({ sessionId, reconnectToken }));
  } catch {
    // Without storage a reload starts a new session; the live connection still works.
  }
}

export function forgetSession() {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // Nothing stored, then.
  }
}
