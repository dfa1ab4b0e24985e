#!/usr/bin/env node
// Checks, as a person with a browser would, that a service's Swagger UI renders its OpenAPI
// document and that nothing the page loads leaves this machine (machines may be offline, and
// the docs must not leak the API's address to swagger.io's validator or a CDN).
//
// Usage: node check-docs.mjs <docs-url> <expected-title-substring> [screenshot.png]
// Exit codes: 0 rendered and stayed local, 1 check failed, 2 usage error.
// Needs Debian's chromium at /usr/bin/chromium (override with CHROMIUM=/path).

import { chromium } from 'playwright-core';

const RENDER_TIMEOUT_MS = 15_000;
const SETTLE_TIMEOUT_MS = 3_000;
const HARD_LIMIT_MS = 60_000;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
// Flags that keep Chromium itself quiet: no update checks, sync, QUIC probes or first-run pings.
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

function fail(message, code = 1) {
  console.error(`check-docs: FAIL: ${message}`);
  process.exit(code);
}

// Thrown inside the browser session so `finally` still closes Chromium before we exit.
class CheckFailure extends Error {}

function parseArgs(argv) {
  const [docsUrl, expectedTitle, screenshot] = argv;
  if (!docsUrl || !expectedTitle) {
    fail('usage: node check-docs.mjs <docs-url> <expected-title-substring> [screenshot.png]', 2);
  }
  let url;
  try {
    url = new URL(docsUrl);
  } catch {
    fail(`not a URL: ${docsUrl}`, 2);
  }
  if (!isLocal(url)) fail(`refusing to load a non-loopback URL: ${docsUrl}`, 2);
  return { docsUrl, expectedTitle, screenshot };
}

// Schemes without a host (data:, blob:, about:) never touch the network.
function isLocal(url) {
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) return true;
  return LOOPBACK_HOSTS.has(url.hostname);
}

// Records every request of the context and aborts the non-local ones, so a regression is
// reported without any traffic actually leaving the machine.
async function guardRequests(context) {
  const requests = [];
  const remote = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    requests.push(url);
    if (isLocal(new URL(url))) return route.continue();
    remote.push(url);
    return route.abort('blockedbyclient');
  });
  return { requests, remote };
}

// Resolves to the rendered title, or throws with what Swagger UI showed instead.
async function waitForTitle(page, expectedTitle, pageErrors) {
  let outcome;
  try {
    const handle = await page.waitForFunction(findTitleOrError, expectedTitle,
      { timeout: RENDER_TIMEOUT_MS, polling: 100 });
    outcome = await handle.jsonValue();
  } catch (error) {
    const seen = await page.locator('.swagger-ui .info .title').allTextContents();
    throw new CheckFailure(`title containing "${expectedTitle}" not rendered within `
      + `${RENDER_TIMEOUT_MS} ms (titles seen: ${JSON.stringify(seen)}; `
      + `page errors: ${JSON.stringify(pageErrors)}; ${error.message.split('\n')[0]})`);
  }
  if (outcome.error) throw new CheckFailure(`Swagger UI reported: ${outcome.error}`);
  return outcome.title.trim();
}

// Runs in the page: Swagger UI shows either the document's title or an errors box.
function findTitleOrError(expected) {
  const title = document.querySelector('.swagger-ui .info .title');
  if (title && title.textContent.includes(expected)) return { title: title.textContent };
  const errors = document.querySelector('.swagger-ui .errors-wrapper');
  if (errors && errors.textContent.trim()) return { error: errors.textContent.trim() };
  return null;
}

async function check({ docsUrl, expectedTitle, screenshot }) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const { requests, remote } = await guardRequests(context);
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const started = Date.now();
    const response = await page.goto(docsUrl, { timeout: RENDER_TIMEOUT_MS });
    if (!response || !response.ok()) {
      throw new CheckFailure(`GET ${docsUrl} answered ${response?.status()}`);
    }
    const title = await waitForTitle(page, expectedTitle, pageErrors).catch((error) => {
      if (remote.length > 0) error.message += `; blocked remote requests: ${remote.join(', ')}`;
      throw error;
    });
    const renderMs = Date.now() - started;
    // Late loads (badges, fonts, images) happen after the first render; give them a bounded moment.
    await page.waitForLoadState('networkidle', { timeout: SETTLE_TIMEOUT_MS }).catch(() => {});
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    if (remote.length > 0) {
      throw new CheckFailure(`requests left the machine (blocked): ${remote.join(', ')}`);
    }
    const shot = screenshot ? `; screenshot ${screenshot}` : '';
    console.log(`check-docs: ok: "${title}" rendered from ${docsUrl} in ${renderMs} ms; `
      + `${requests.length} requests, all to loopback${shot}`);
  } finally {
    await browser.close();
  }
}

// A wedged browser must not hang CI: the whole check is bounded.
setTimeout(() => fail(`gave up after ${HARD_LIMIT_MS} ms`), HARD_LIMIT_MS).unref();
check(parseArgs(process.argv.slice(2))).catch((error) => {
  fail(error instanceof CheckFailure ? error.message : error.stack || String(error));
});
