// SPDX-License-Identifier: GPL-3.0-or-later
// harness.mjs — what the widget tests stand on: the real relay ($CONFAB_RELAY) on a loopback
// port with a temporary data dir, the widget built from the sources into that dir, a host page
// server on ANOTHER origin (its own port) that embeds the snippet as a customer would, a test
// agent over the real /ws/agent WebSocket, and Debian's Chromium driven by playwright-core.

import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const SOURCE_ROOT = resolve(here, '..', '..');
const require = createRequire(join(SOURCE_ROOT, 'widget', 'package.json'));
export const { chromium } = require('playwright-core');
const WebSocket = require('ws');

export const RELAY = process.env.CONFAB_RELAY || join(SOURCE_ROOT, 'build-tests', 'relay', 'confab-relay');
export const ARTIFACTS = process.env.CONFAB_WIDGET_ARTIFACTS || join(here, 'artifacts');
export const CHROMIUM = process.env.CONFAB_CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = 10000;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function until(what, fn, timeout = TIMEOUT) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    try { if ((last = await fn())) return last; } catch (e) { last = e; }
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

// Builds the widget from widget/src into @outdir; returns { 'widget.js': {raw, gzip}, ... }.
export function buildWidget(outdir) {
  const out = execFileSync(process.execPath, [join(SOURCE_ROOT, 'widget', 'build.mjs'), '--outdir', outdir], { encoding: 'utf8' });
  const sizes = {};
  for (const m of out.matchAll(/^(\S+)\s+(\d+) bytes,\s+(\d+) gzipped \(budget (\d+)\)/gm))
    sizes[m[1]] = { raw: +m[2], gzip: +m[3], budget: +m[4] };
  return { sizes, output: out };
}

export class Relay {
  // @extra: more lines of relay config (e.g. an [email] section)
  constructor(extra = []) {
    this.tmp = mkdtempSync(join(tmpdir(), 'confab-widget-test-'));
    this.dataDir = join(this.tmp, 'data');
    this.widgetDir = join(this.tmp, 'widget');
    mkdirSync(this.dataDir);
    this.build = buildWidget(this.widgetDir);
    this.config = join(this.tmp, 'relay.conf');
    writeFileSync(this.config, [
      '[widget]', `dir=${this.widgetDir}`,
      '[limits]', 'messages-per-minute=100000', 'messages-per-minute-per-ip=100000', 'typing-per-second=1000',
      'logins-per-minute-per-ip=100000', 'logins-per-minute-per-account=100000', 'bad-frames-before-close=1000',
      'uploads-per-minute=1000', 'uploads-per-minute-per-site=1000',
      // every page of every test is a visitor from 127.0.0.1: the per-address budgets are for
      // the real world (the relay's own tests cover them)
      'frames-per-second-per-ip=100000', 'hellos-per-minute-per-ip=100000',
      'page-views-per-minute-per-ip=100000', 'max-connections-per-address=0', ...extra, '',
    ].join('\n'));
    this.port = 0;
    this.proc = null;
  }

  // Starts it; a restart keeps the port, so that pages already open find it again.
  async start() {
    const proc = spawn(RELAY, ['--config', this.config, '--listen', `127.0.0.1:${this.port}`, '--data-dir', this.dataDir],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    this.stderr = '';
    proc.stderr.on('data', (d) => { this.stderr += d; });
    const url = await new Promise((ok, fail) => {
      let out = '';
      const timer = setTimeout(() => fail(new Error('relay did not start: ' + this.stderr)), TIMEOUT);
      proc.stdout.on('data', (d) => {
        out += d;
        const m = /listening on (http:\/\/[^\s]+)/.exec(out);
        if (m) { clearTimeout(timer); ok(m[1]); }
      });
      proc.on('exit', (code) => { clearTimeout(timer); fail(new Error(`relay exited (${code}): ${this.stderr}`)); });
    });
    this.url = url;
    this.port = +new URL(url).port;
    return url;
  }

  async stop(signal = 'SIGTERM') {
    const proc = this.proc;
    if (!proc || proc.exitCode != null) return;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill(signal);
    await gone;
    this.proc = null;
  }

  admin(...args) {
    const r = spawnSync(RELAY, ['admin', ...args, '--data-dir', this.dataDir], { encoding: 'utf8' });
    if (r.status != 0) throw new Error(`admin ${args[0]} failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop());
  }

  async createAgent(email = 'agent@example.com', name = 'Anna') {
    const pw = join(this.tmp, 'pw-' + email);
    writeFileSync(pw, 'correct horse battery');
    this.admin('create-user', '--email', email, '--password-file', pw, '--name', name);
    const r = await this.http('POST', '/api/v1/auth/login', { email, password: 'correct horse battery' });
    return r.body.token;
  }

  async http(method, path, body, token, headers = {}) {
    const res = await fetch(this.url + path, {
      method,
      headers: { ...(body ? { 'Content-Type': 'application/json' } : {}), ...(token ? { Authorization: 'Bearer ' + token } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch (e) { /* not JSON */ }
    return { status: res.status, headers: res.headers, body: json, text };
  }

  cleanup() {
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

// A site whose widget is allowed on the host pages' origin (127.0.0.1, any port).
export async function createSite(relay, token, name, settings) {
  const r = await relay.http('POST', '/api/v1/sites', { name, domains: ['127.0.0.1'] }, token);
  if (r.status != 201 && r.status != 200) throw new Error('create site: ' + r.text);
  const site = r.body.site || r.body;
  if (settings) await setSettings(relay, token, site.id, settings);
  return site;
}

export async function setSettings(relay, token, siteId, settings) {
  const r = await relay.http('PATCH', `/api/v1/sites/${siteId}`, { settings }, token);
  if (r.status != 200) throw new Error('patch site: ' + r.text);
}

// A page that overflows sideways on a phone (an unbreakable line, a wide table) and is tall
// enough to scroll: the bubble must stay on screen whatever such a page does.
const WIDE_PAGE = `<h1>A shop that overflows</h1><p>${'long-unbreakable-product-code-'.repeat(12)}</p>
<table style="width:1400px;border:1px solid"><tr><td>a wide table</td></tr></table>
${'<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>'.repeat(80)}`;

// The host pages: another origin than the relay. /page?key=K&css=aggressive&pre=... embeds the
// snippet exactly as a customer would; `pre` is inline script text run before it (the queue).
// /demo?key=K is widget/demo.html, the demo page scripts/run serves; /wide?key=K a page that
// overflows sideways.
export async function startHost(relay) {
  const server = createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    const key = u.searchParams.get('key') || '';
    if (u.pathname == '/demo') {
      const demo = readFileSync(join(SOURCE_ROOT, 'widget', 'demo.html'), 'utf8').replaceAll('@RELAY_URL@', relay.url)
        .replaceAll('@SITE_KEY@', key).replaceAll('@ADMIN_EMAIL@', 'admin@example.com');
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(demo);
      return;
    }
    const css = u.searchParams.get('css') == 'aggressive'
      ? '<style>* { all: unset !important; } div { display: none !important; } button { display: none; } body { font: 40px serif; color: red }</style>'
      : '<style>body { font-family: serif; margin: 40px }</style>';
    const pre = u.searchParams.get('pre') ? `<script>${u.searchParams.get('pre')}</script>` : '';
    const body = u.pathname == '/wide' ? WIDE_PAGE : '<h1>A customer\'s shop</h1><div id="content"><p>Welcome to the shop.</p></div>';
    const debug = u.searchParams.get('debug') ? ' data-debug' : '';
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Host page</title>${css}</head><body>${body}
${pre}<script async src="${relay.url}/widget.js" data-site-key="${key}"${debug}></script></body></html>`;
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

// A test agent over the real agent WebSocket; every frame is kept in order.
export class Agent {
  constructor(relay, token) { this.relay = relay; this.token = token; this.frames = []; }

  async connect() {
    this.ws = new WebSocket(this.relay.url.replace('http', 'ws') + '/ws/agent', { headers: { Authorization: 'Bearer ' + this.token } });
    this.ws.on('message', (d) => { try { this.frames.push(JSON.parse(d.toString())); } catch (e) { /* not ours */ } });
    await new Promise((ok, fail) => { this.ws.once('open', ok); this.ws.once('error', fail); });
    this.send({ type: 'subscribe', after_cursor: 0 });
    await this.waitFor((f) => f.type == 'synced');
    return this;
  }

  send(frame) { this.ws.send(JSON.stringify(frame)); }

  waitFor(pred, what = 'a frame', timeout = TIMEOUT) {
    return until(what, () => this.frames.find(pred), timeout);
  }

  close() { if (this.ws) this.ws.close(); }
}

// Chromium's iPhone 13 emulation: 390×844, touch, a phone's user agent, device pixels ×3.
export const IPHONE_13 = {
  viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3,
  userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 15_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) ' +
    'Version/15.0 Mobile/15E148 Safari/604.1',
};

// axe-core, run inside the page: its scan pierces open shadow roots.
export async function axeScan(page) {
  const path = createRequire(join(SOURCE_ROOT, 'widget', 'package.json')).resolve('axe-core/axe.min.js',
    process.env.CONFAB_AXE_DIR ? { paths: [process.env.CONFAB_AXE_DIR] } : undefined);
  if (!(await page.evaluate(() => !!window.axe))) await page.addScriptTag({ path });
  const result = await page.evaluate(() => window.axe.run({ include: [['confab-widget']] }, { resultTypes: ['violations'] }));
  return result.violations;
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export function artifact(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

// Locators inside the widget's (open) shadow root: playwright's CSS and role engines pierce it.
export const widget = (page) => page.locator('confab-widget');

// What the tests look for, by role and accessible name, as a screen reader would.
export const bubble = (page, name = /chat/i) => page.getByRole('button', { name });
export const composer = (page, name = 'Message') => page.getByRole('textbox', { name, exact: true });
export const sendButton = (page, name = 'Send') => page.getByRole('button', { name, exact: true });
export const bodies = (page) => page.locator('confab-widget .m .g:not(.w) .x').allTextContents();

// A new browser context on @url; page.errors collects uncaught exceptions of the page.
export async function openPage(browser, url, options = {}, beforeLoad = null) {
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, ...options });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  // listeners that must hear the page from its first line (the widget says hello as it loads)
  if (beforeLoad) beforeLoad(page);
  await page.goto(url);
  return { context, page };
}

// The host page URL for @site at @path (another origin than the relay).
export const hostUrl = (host, site, path = '/page', params = {}) =>
  host.url + path + '?' + new URLSearchParams({ key: site.site_key, ...params });
