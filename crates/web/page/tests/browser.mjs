#!/usr/bin/env node
// Checks the page of a running `odto web` as a person with a browser would: the dashboard draws
// in the terminal, keys reach it, a reload re-attaches to the same dashboard, and without a
// WebSocket the fallback view shows live figures. Nothing the page loads may leave this server.
//
// Usage: node tests/browser.mjs <base-url> <screenshot-dir>
//   <base-url>: a running `odto web` (loopback) whose dashboard reads a running stack.
// Exit codes: 0 all checks passed, 1 a check failed, 2 usage error.
// Needs Debian's chromium at /usr/bin/chromium (override with CHROMIUM=/path).

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

const WAIT_MS = 15_000;
const HARD_LIMIT_MS = 60_000;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
// Flags that keep Chromium itself quiet: no update checks, sync, QUIC probes or first-run pings.
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const VIEWPORT = { width: 1280, height: 800 };
// What the dashboard draws (crates/dashboard/src/ui): its title bar, and the help window.
const DASHBOARD_TEXT = 'Task Observatory';
const HELP_TEXT = 'this help';
// The page must be back this soon after the network or the tab comes back, with its own retry
// still at least RETRY_AWAY_S seconds off.
const AT_ONCE_MS = 1_500;
const RETRY_AWAY_S = 3;

class CheckFailure extends Error {}

function fail(message, code = 1) {
  console.error(`browser: FAIL: ${message}`);
  process.exit(code);
}

function parseArgs(argv) {
  const [baseUrl, screenshotDir] = argv;
  if (!baseUrl || !screenshotDir) fail('usage: node tests/browser.mjs <base-url> <screenshot-dir>', 2);
  let base;
  try {
    base = new URL(baseUrl);
  } catch {
    fail(`not a URL: ${baseUrl}`, 2);
  }
  if (!LOOPBACK_HOSTS.has(base.hostname)) fail(`refusing a non-loopback URL: ${baseUrl}`, 2);
  return { base, screenshotDir };
}

// Records every request of the context; aborts, and reports, any not to the page's own origin.
async function guardRequests(context, base) {
  const foreign = [];
  const sameOrigin = (url) => {
    const { protocol, host } = new URL(url);
    if (!['http:', 'https:', 'ws:', 'wss:'].includes(protocol)) return true; // data:, blob:
    return host === base.host;
  };
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (sameOrigin(url)) return route.continue();
    foreign.push(url);
    return route.abort('blockedbyclient');
  });
  context.on('page', (page) => page.on('websocket', (socket) => {
    if (!sameOrigin(socket.url())) foreign.push(socket.url());
  }));
  return foreign;
}

// The terminal's text, one string (xterm's DOM renderer draws spaces as no-break spaces).
function screenText(page) {
  return page.locator('#terminal .xterm-rows').innerText().then((text) => text.replace(/\u00a0/g, ' '));
}

async function waitForScreen(page, what, present = true) {
  try {
    await page.waitForFunction(([text, wanted]) => {
      const rows = document.querySelector('#terminal .xterm-rows');
      return rows !== null && rows.textContent.replace(/\u00a0/g, ' ').includes(text) === wanted;
    }, [what, present], { timeout: WAIT_MS, polling: 100 });
  } catch {
    const seen = (await screenText(page).catch(() => '')).slice(0, 400);
    const status = await page.locator('#status').textContent().catch(() => '?');
    throw new CheckFailure(`"${what}" ${present ? 'not' : 'still'} on screen after ${WAIT_MS} ms `
      + `(status: ${status}; screen starts: ${JSON.stringify(seen)})`);
  }
}

function storedSessionId(page) {
  return page.evaluate(() => JSON.parse(sessionStorage.getItem('odto.web.session'))?.sessionId);
}

// The terminal fills the window: within a cell or two of its size, and nothing scrolls.
async function checkFillsWindow(page) {
  const layout = await page.evaluate(() => {
    const screen = document.querySelector('#terminal .xterm-screen').getBoundingClientRect();
    const root = document.documentElement;
    return {
      width: screen.width, height: screen.height, innerWidth, innerHeight,
      scrolls: root.scrollWidth > root.clientWidth || root.scrollHeight > root.clientHeight,
    };
  });
  if (layout.scrolls) throw new CheckFailure('the page has scrollbars');
  if (layout.width < layout.innerWidth - 40 || layout.height < layout.innerHeight - 70) {
    throw new CheckFailure(`the terminal does not fill the window: ${JSON.stringify(layout)}`);
  }
  return layout;
}

async function checkRenders(page, base, shot) {
  const response = await page.goto(base.href, { timeout: WAIT_MS });
  if (!response?.ok()) throw new CheckFailure(`GET ${base.href} answered ${response?.status()}`);
  if (!response.headers()['content-security-policy']) throw new CheckFailure('GET / has no CSP header');
  const title = await page.title();
  if (title !== 'odto — web terminal') throw new CheckFailure(`title is ${JSON.stringify(title)}`);
  await waitForScreen(page, DASHBOARD_TEXT);
  await waitForScreen(page, 'Statistics');
  const layout = await checkFillsWindow(page);
  await page.screenshot({ path: shot });
  return `dashboard drawn, terminal ${Math.round(layout.width)}x${Math.round(layout.height)} px `
    + `in a ${layout.innerWidth}x${layout.innerHeight} window`;
}

async function checkTyping(page, shot) {
  await page.locator('#terminal').click();
  await page.keyboard.press('?');
  await waitForScreen(page, HELP_TEXT);
  await page.screenshot({ path: shot });
  await page.keyboard.press('Escape');
  await waitForScreen(page, HELP_TEXT, false);
  return '"?" opened the help window, Escape closed it';
}

async function checkReload(page, shot) {
  const before = await storedSessionId(page);
  if (!before) throw new CheckFailure('no session id in sessionStorage');
  await page.keyboard.press('?');
  await waitForScreen(page, HELP_TEXT);
  await page.reload({ timeout: WAIT_MS });
  // Only the same dashboard process still has its help window open.
  await waitForScreen(page, HELP_TEXT);
  await waitForScreen(page, DASHBOARD_TEXT);
  const after = await storedSessionId(page);
  await page.screenshot({ path: shot });
  if (after !== before) throw new CheckFailure(`session ${before} became ${after} on reload`);
  await page.locator('#terminal').click();
  await page.keyboard.press('Escape');
  await waitForScreen(page, HELP_TEXT, false);
  return `session ${before.slice(0, 8)}… kept, help window still open after reload`;
}

// `routeWebSocket` answers the page's `/ws` itself; closing at once is a server that cannot be had.
async function checkFallback(browser, base, shot) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    const foreign = await guardRequests(context, base);
    await context.routeWebSocket(/\/ws$/, (socket) => socket.close());
    const page = await context.newPage();
    await page.goto(base.href, { timeout: WAIT_MS });
    await page.locator('#fallback').waitFor({ state: 'visible', timeout: WAIT_MS });
    const cell = page.locator('#fallback-stats [data-stat="totalJobs"]');
    await page.waitForFunction(() => /^\d+$/.test(
      document.querySelector('#fallback-stats [data-stat="totalJobs"]')?.textContent ?? '',
    ), null, { timeout: WAIT_MS });
    const total = await cell.textContent();
    const reason = await page.locator('#fallback-reason').textContent();
    await page.screenshot({ path: shot });
    if (foreign.length > 0) throw new CheckFailure(`requests left the origin: ${foreign.join(', ')}`);
    return `fallback shown (${JSON.stringify(reason)}), totalJobs = ${total}`;
  } finally {
    await context.close();
  }
}

// A server at its session cap says so in an `error` frame: the fallback shows why, at once.
async function checkCapFallback(browser, base, shot) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    await guardRequests(context, base);
    await context.routeWebSocket(/\/ws$/, (socket) => {
      socket.onMessage(() => {
        socket.send(JSON.stringify({ type: 'error', code: 'GLOBAL_CAP', message: 'too many sessions' }));
        socket.close();
      });
    });
    const page = await context.newPage();
    await page.goto(base.href, { timeout: WAIT_MS });
    const reason = page.locator('#fallback-reason');
    await reason.waitFor({ state: 'visible', timeout: WAIT_MS });
    const text = await reason.textContent();
    await page.screenshot({ path: shot });
    if (!text.includes('too many sessions')) throw new CheckFailure(`fallback reason is ${JSON.stringify(text)}`);
    return `fallback says ${JSON.stringify(text)}`;
  } finally {
    await context.close();
  }
}

// The page's socket passes through this test, which cuts it: the page must re-attach to the
// same session by itself and get what it missed replayed after the last frame it saw.
async function checkDropReattaches(browser, base, shot) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    await guardRequests(context, base);
    const sent = [];
    const received = [];
    let current = null;
    await context.routeWebSocket(/\/ws$/, (socket) => {
      const server = socket.connectToServer();
      socket.onMessage((message) => { sent.push(JSON.parse(message)); server.send(message); });
      server.onMessage((message) => { received.push(JSON.parse(message)); socket.send(message); });
      socket.onClose(() => server.close());
      current = socket;
    });
    const page = await context.newPage();
    await page.goto(base.href, { timeout: WAIT_MS });
    await waitForScreen(page, DASHBOARD_TEXT);
    const before = await storedSessionId(page);
    const seen = received.filter((m) => m.type === 'output').at(-1)?.seq;
    received.length = 0;
    await current.close();
    await page.waitForFunction(() => document.querySelector('#status').textContent === 'connected'
      && document.querySelector('#status').dataset.state === 'connected', null, { timeout: WAIT_MS });
    await waitForScreen(page, DASHBOARD_TEXT);
    await page.screenshot({ path: shot });
    const reconnect = sent.find((m) => m.type === 'reconnect');
    if (!reconnect) throw new CheckFailure('the page did not send a reconnect frame');
    if (reconnect.session !== before) throw new CheckFailure(`reconnected to ${reconnect.session}, not ${before}`);
    if (!(reconnect.last_seq >= seen)) {
      throw new CheckFailure(`reconnect sent last_seq ${reconnect.last_seq}, but seq ${seen} was written`);
    }
    const answer = received.map((m) => m.type).filter((t) => t !== 'output').slice(0, 3);
    if (answer[0] !== 'reconnected' || !['replay_begin', 'buffer_truncated'].includes(answer[1])) {
      throw new CheckFailure(`the server answered ${JSON.stringify(answer)}`);
    }
    return `re-attached to ${before.slice(0, 8)}… after seq ${reconnect.last_seq}: ${answer.join(', ')}`;
  } finally {
    await context.close();
  }
}

// Waits, in the page, until the status announces a retry at least `seconds` away, and says when
// it did: the backoff's own attempt cannot come before then plus `wait - 1` seconds.
function announcedRetry(page, seconds) {
  return page.evaluate(([atLeast, timeout]) => new Promise((resolve, reject) => {
    const status = document.querySelector('#status');
    const observer = new MutationObserver(() => {
      const wait = Number(/reconnecting in (\d+) s$/.exec(status.textContent)?.[1]);
      if (wait >= atLeast) { observer.disconnect(); resolve({ wait, at: Date.now() }); }
    });
    observer.observe(status, { childList: true, characterData: true, subtree: true });
    setTimeout(() => reject(new Error(`no retry ${atLeast} s away; status: ${status.textContent}`)), timeout);
  }), [seconds, WAIT_MS]);
}

// Fires `signal` in the page, then times how long until it is attached again: status connected,
// the fallback view gone, the dashboard in the terminal.
function attachedAfter(page, signal, text) {
  return page.evaluate(([what, dashboard, timeout]) => new Promise((resolve, reject) => {
    const status = document.querySelector('#status');
    const attached = () => status.dataset.state === 'connected' && status.textContent === 'connected'
      && document.querySelector('#fallback').hidden
      && document.querySelector('#terminal .xterm-rows')?.textContent.replace(/\u00a0/g, ' ').includes(dashboard);
    const firedAt = Date.now();
    if (what === 'online') {
      window.dispatchEvent(new Event('online'));
    } else {
      window.testVisibility = 'visible';
      document.dispatchEvent(new Event('visibilitychange'));
    }
    const poll = setInterval(() => {
      if (attached()) { clearInterval(poll); resolve({ firedAt, attachedAt: Date.now() }); }
    }, 20);
    setTimeout(() => { clearInterval(poll); reject(new Error(`not attached; status: ${status.textContent}`)); }, timeout);
  }), [signal, text, WAIT_MS]);
}

// Cuts the page's socket and refuses its attempts until it backs off, then lets them through and
// fires `signal`: the page must be back at once, well before its own retry would have come.
async function reattachesOn(page, link, signal) {
  const backedOff = announcedRetry(page, RETRY_AWAY_S + 1);
  link.through = false;
  const attemptsBefore = link.attempts;
  await link.current.close();
  const { wait, at } = await backedOff;
  const refused = link.attempts - attemptsBefore;
  link.through = true;
  const resumed = link.reconnected;
  const { firedAt, attachedAt } = await attachedAfter(page, signal, DASHBOARD_TEXT);
  const took = attachedAt - firedAt;
  const earliestRetry = at + (wait - 1) * 1000;
  if (took > AT_ONCE_MS || attachedAt >= earliestRetry) {
    throw new CheckFailure(`"${signal}": attached ${took} ms after it, not within ${AT_ONCE_MS} ms `
      + `(a retry announced ${wait} s away ${attachedAt - at} ms before)`);
  }
  if (link.reconnected !== resumed + 1) throw new CheckFailure(`"${signal}": the session was not resumed`);
  if (link.attempts !== attemptsBefore + refused + 1) {
    throw new CheckFailure(`"${signal}": ${link.attempts - attemptsBefore - refused} attempts after it, not 1`);
  }
  return `"${signal}" after ${refused} refused attempts: back in ${took} ms, the retry was ${wait} s away`;
}

// The browser's word that the network is back, or that the tab is looked at again, ends the
// backoff: the page tries at once. The test owns the tab's visibility (headless is always visible)
// and stands in for `/ws`, passing it through or refusing it as `link.through` says.
async function checkReconnectsAtOnce(browser, base, shot) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    await guardRequests(context, base);
    const link = { through: true, current: null, attempts: 0, reconnected: 0 };
    await context.routeWebSocket(/\/ws$/, (socket) => {
      link.attempts += 1;
      if (!link.through) return socket.close();
      const server = socket.connectToServer();
      socket.onMessage((message) => server.send(message));
      server.onMessage((message) => {
        if (JSON.parse(message).type === 'reconnected') link.reconnected += 1;
        socket.send(message);
      });
      socket.onClose(() => server.close());
      link.current = socket;
    });
    const page = await context.newPage();
    await page.addInitScript(() => {
      window.testVisibility = 'visible';
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => window.testVisibility });
    });
    await page.goto(base.href, { timeout: WAIT_MS });
    await waitForScreen(page, DASHBOARD_TEXT);
    const online = await reattachesOn(page, link, 'online');
    await page.evaluate(() => {
      window.testVisibility = 'hidden';
      document.dispatchEvent(new Event('visibilitychange'));
    });
    const visible = await reattachesOn(page, link, 'visibilitychange');
    await page.screenshot({ path: shot });
    return `${online}; ${visible}`;
  } finally {
    await context.close();
  }
}

async function run({ base, screenshotDir }) {
  await mkdir(screenshotDir, { recursive: true });
  const shot = (name) => join(screenshotDir, name);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  let failed = 0;
  const check = async (name, body) => {
    try {
      console.log(`browser: ok: ${name}: ${await body()}`);
    } catch (error) {
      failed += 1;
      const message = error instanceof CheckFailure ? error.message : error.stack || String(error);
      console.error(`browser: FAIL: ${name}: ${message}`);
    }
  };
  try {
    const context = await browser.newContext({ viewport: VIEWPORT });
    const foreign = await guardRequests(context, base);
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await check('renders', async () => {
      const done = await checkRenders(page, base, shot('a-renders.png'));
      if (foreign.length > 0) throw new CheckFailure(`requests left the origin: ${foreign.join(', ')}`);
      return `${done}; every request to ${base.host}`;
    });
    await check('typing', () => checkTyping(page, shot('b-help.png')));
    await check('reload', () => checkReload(page, shot('c-reload.png')));
    await check('page errors', async () => {
      if (pageErrors.length > 0) throw new CheckFailure(pageErrors.join('; '));
      return 'none';
    });
    await context.close();
    await check('drop', () => checkDropReattaches(browser, base, shot('f-drop.png')));
    await check('online', () => checkReconnectsAtOnce(browser, base, shot('g-online.png')));
    await check('fallback', () => checkFallback(browser, base, shot('d-fallback.png')));
    await check('cap fallback', () => checkCapFallback(browser, base, shot('e-cap.png')));
  } finally {
    await browser.close();
  }
  if (failed > 0) fail(`${failed} check(s) failed`);
  console.log('browser: all checks passed');
}

// A wedged browser must not hang CI: the whole run is bounded.
setTimeout(() => fail(`gave up after ${HARD_LIMIT_MS} ms`), HARD_LIMIT_MS).unref();
run(parseArgs(process.argv.slice(2))).catch((error) => fail(error.stack || String(error)));
