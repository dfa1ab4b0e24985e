// The page of `odto web`: the dashboard in an xterm.js terminal that fills the window, the
// fallback view while no terminal can be had, and the token form when the server asks for one.

import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';

import { AuthForm } from './auth.js';
import { TerminalLink } from './connection.js';
import { Fallback } from './fallback.js';
import { StatusBar } from './status.js';

const REFIT_AFTER_MS = 100;
// System fonts only: the page loads nothing from anywhere but this server.
const MONOSPACE = 'ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace';

function openTerminal(container) {
  const term = new Terminal({
    fontFamily: MONOSPACE,
    fontSize: 14,
    // The dashboard draws full screens on the alternate screen: nothing to scroll back to.
    scrollback: 0,
    theme: { background: '#101418', foreground: '#d8dee4' },
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(container);
  fit.fit();
  return { term, fit };
}

// Refits once the window has stopped changing for a moment, not on every resize event.
function refitOnWindowResize(fit) {
  let timer = null;
  window.addEventListener('resize', () => {
    clearTimeout(timer);
    timer = setTimeout(() => fit.fit(), REFIT_AFTER_MS);
  });
}

function socketUrl() {
  const url = new URL('ws', window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

function main() {
  const { term, fit } = openTerminal(document.getElementById('terminal'));
  const status = new StatusBar(document.getElementById('status'), document.getElementById('notice'));
  const fallback = new Fallback(document);
  const screen = {
    write: (data) => term.write(data),
    reset: () => term.reset(),
    size: () => ({ cols: term.cols, rows: term.rows }),
  };
  let link = null;
  const auth = new AuthForm(document, () => link.authenticated());
  link = new TerminalLink(socketUrl(), screen, status, {
    attached: () => {
      fallback.hide();
      term.focus();
    },
    unavailable: (reason) => fallback.show(reason),
    authNeeded: (code) => auth.show(code),
    notice: (message) => status.notice(message),
  });

  term.onData((data) => link.send({ type: 'input', data }));
  // Fires only when cols or rows really change.
  term.onResize((size) => link.resized(size));
  refitOnWindowResize(fit);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') link.connectNow();
  });
  window.addEventListener('online', () => link.connectNow());
  link.connect();
}

main();
