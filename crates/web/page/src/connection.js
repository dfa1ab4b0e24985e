// One tab's link to its dashboard over `/ws` (the protocol is in crates/web/src/protocol.rs).
// It opens the socket, starts or re-attaches to the session, writes output to the terminal,
// and when the socket drops, opens another with backoff until it is attached again.

import { forgetSession, storeSession, storedSession } from './stored-session.js';

const PING_EVERY_MS = 25_000;
// A socket silent this long is dead even if the browser has not noticed (e.g. after sleep).
const SILENT_LIMIT_MS = 2 * PING_EVERY_MS + 10_000;
// How long a held socket has to answer when the tab comes back or the network returns.
const PROBE_ANSWER_MS = 3_000;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 10_000;
// Attempts in a row that end without a session before the fallback view shows.
const FAILURES_BEFORE_FALLBACK = 3;

const AUTH_CODES = new Set(['AUTH_REQUIRED', 'AUTH_FAILED']);
// A reconnect the server cannot honour: the stored session is gone, start a new one.
const STALE_SESSION_CODES = new Set(['SESSION_NOT_FOUND', 'INVALID_TOKEN']);
// The server is up but gives no terminal now: fall back at once, keep retrying.
const UNAVAILABLE_CODES = new Set(['GLOBAL_CAP', 'PER_IP_CAP', 'PTY_SPAWN_FAILED']);

// 0.5 s doubling to 10 s, each delay drawn from its upper half so that tabs do not retry in step.
export function backoffDelay(attempt) {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

export class TerminalLink {
  // `screen`: { write(data), reset(), size() -> {cols, rows} }.
  // `events`: { attached(), unavailable(reason), authNeeded(code), notice(message) }.
  constructor(url, screen, status, events) {
    this.url = url;
    this.screen = screen;
    this.status = status;
    this.events = events;
    this.socket = null;
    this.attached = false;
    this.lastSeq = 0;
    // After `buffer_truncated` the next output is a whole screen, whatever its seq.
    this.snapshotNext = false;
    this.failures = 0;
    this.lastError = null;
    this.lastHeard = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this.probeTimer = null;
    this.waitingForAuth = false;
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.socket || this.waitingForAuth) return;
    this.status.show('connecting', 'connecting…');
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch (error) {
      this.closed(String(error.message || error));
      return;
    }
    this.socket = socket;
    this.lastError = null;
    socket.onopen = () => this.opened(socket);
    socket.onmessage = (event) => { if (socket === this.socket) this.receive(event.data); };
    socket.onclose = () => { if (socket === this.socket) this.closed(); };
  }

  // At once, rather than at the end of the backoff: the tab became visible, the network came back.
  // A socket still held may have died without a word (the machine slept, the network changed):
  // it must answer a ping soon, or it is dropped and a new one opened.
  connectNow() {
    if (!this.socket) {
      this.connect();
      return;
    }
    const asked = Date.now();
    this.send({ type: 'ping' });
    clearTimeout(this.probeTimer);
    this.probeTimer = setTimeout(() => {
      if (this.socket && this.lastHeard < asked) this.abandon();
    }, PROBE_ANSWER_MS);
  }

  // After the token form logged in.
  authenticated() {
    this.waitingForAuth = false;
    this.connect();
  }

  send(message) {
    if (this.attached && this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  }

  resized({ cols, rows }) {
    this.send({ type: 'resize', cols, rows });
  }

  // The first frame decides: re-attach to this tab's session, or start one at this size.
  opened(socket) {
    if (socket !== this.socket) return;
    this.lastHeard = Date.now();
    const stored = storedSession();
    const first = stored
      ? { type: 'reconnect', session: stored.sessionId, token: stored.reconnectToken, last_seq: this.lastSeq }
      : { type: 'resize', ...this.screen.size() };
    socket.send(JSON.stringify(first));
    this.pingTimer = setInterval(() => this.keepAlive(), PING_EVERY_MS);
  }

  keepAlive() {
    if (Date.now() - this.lastHeard > SILENT_LIMIT_MS) {
      this.abandon();
      return;
    }
    this.send({ type: 'ping' });
  }

  // Drops a socket that may never report its close, and carries on as if it had.
  abandon() {
    const socket = this.socket;
    this.closed();
    socket.close();
  }

  receive(frame) {
    this.lastHeard = Date.now();
    let message;
    try {
      message = JSON.parse(frame);
    } catch {
      return;
    }
    switch (message.type) {
      case 'session':
        // A new dashboard: whatever the terminal shows belongs to an ended one.
        this.screen.reset();
        this.lastSeq = 0;
        this.becameAttached(message);
        break;
      case 'reconnected':
        this.becameAttached(message);
        // The window may have changed size while the tab was away.
        this.resized(this.screen.size());
        break;
      case 'output':
        this.output(message);
        break;
      case 'buffer_truncated':
        this.screen.reset();
        this.snapshotNext = true;
        break;
      case 'notice':
        this.events.notice(message.message);
        break;
      case 'error':
        // The server closes the socket next; `closed` acts on it.
        this.lastError = message;
        break;
      default:
        // pong, replay_begin, replay_end: nothing to do beyond having heard from the server.
        break;
    }
  }

  becameAttached({ sessionId, reconnectToken }) {
    storeSession(sessionId, reconnectToken);
    this.attached = true;
    this.failures = 0;
    this.status.show('connected', 'connected');
    this.events.attached();
  }

  output({ data, seq }) {
    // A frame already written (a replay overlapping what we saw) must not be written twice.
    if (!this.snapshotNext && seq <= this.lastSeq) return;
    this.snapshotNext = false;
    this.screen.write(data);
    this.lastSeq = seq;
  }

  closed(openError) {
    clearInterval(this.pingTimer);
    clearTimeout(this.probeTimer);
    const wasAttached = this.attached;
    const error = this.lastError;
    this.socket = null;
    this.attached = false;
    this.lastError = null;
    const code = error?.code;
    if (AUTH_CODES.has(code)) {
      this.waitingForAuth = true;
      this.status.show('auth', 'this web terminal needs its token');
      this.events.authNeeded(code);
    } else if (STALE_SESSION_CODES.has(code)) {
      forgetSession();
      this.lastSeq = 0;
      this.connect();
    } else if (UNAVAILABLE_CODES.has(code)) {
      this.failures += 1;
      this.events.unavailable(error.message || code);
      this.retry('terminal unavailable');
    } else {
      // A dropped live connection retries within 0.5 s; attempts that never got a session back off.
      this.failures = wasAttached ? 0 : this.failures + 1;
      const reason = error?.message || openError || 'the connection to the server failed';
      if (this.failures >= FAILURES_BEFORE_FALLBACK) this.events.unavailable(reason);
      this.retry(wasAttached ? 'connection lost' : 'not connected');
    }
  }

  retry(why) {
    const delay = backoffDelay(Math.max(0, this.failures - 1));
    this.status.retryingAt(Date.now() + delay, why);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }
}
