// SPDX-License-Identifier: GPL-3.0-or-later
// The widget for a visitor on a phone and before consent, in headless Chromium against the real
// relay: consent first (nothing sent or stored before it), Chromium's iPhone 13 emulation
// (390×844, touch) on the demo page and on a page that overflows, pinch zoom and the on-screen
// keyboard, the locked page behind the panel, touch targets, input sizes, no keyboard popping up
// on open, the focus trap. Screenshots land in the artifacts directory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Relay, Agent, createSite, startHost, launchBrowser, artifact, until,
  bubble, composer, sendButton, openPage, hostUrl, IPHONE_13,
} from './harness.mjs';

let relay, host, browser, token, agent, site;

before(async () => {
  relay = new Relay();
  await relay.start();
  token = await relay.createAgent();
  site = await createSite(relay, token, 'Phone shop', { color: '#0f766e', welcome_message: 'Hello! Ask us anything.' });
  host = await startHost(relay);
  browser = await launchBrowser();
  agent = await new Agent(relay, token).connect();
});

after(async () => {
  if (agent) agent.close();
  if (browser) await browser.close();
  if (host) await host.close();
  if (relay) { await relay.stop(); relay.cleanup(); }
});

const phone = (s, path = '/page', params = {}) => openPage(browser, hostUrl(host, s, path, params), IPHONE_13);
const shadow = (page, fn, arg) => page.evaluate(([f, a]) =>
  new Function('root', 'arg', 'return (' + f + ')(root, arg)')(document.querySelector('confab-widget').shadowRoot, a), [fn.toString(), arg]);

// The element's box in the visual viewport's CSS pixels (what the visitor sees, zoom undone).
const onScreen = (page, selector) => shadow(page, (root, sel) => {
  const r = root.querySelector(sel).getBoundingClientRect(), v = visualViewport;
  const box = { x: (r.x - v.offsetLeft) * v.scale, y: (r.y - v.offsetTop) * v.scale, w: r.width * v.scale, h: r.height * v.scale };
  return { ...box, vw: v.width * v.scale, vh: v.height * v.scale, scale: v.scale };
}, selector);
const inside = (b) => b.x >= 0 && b.y >= 0 && b.x + b.w <= b.vw + 0.5 && b.y + b.h <= b.vh + 0.5;

// Resolves once the bootstrap's idle-time work has certainly run (it asks with a 4 s timeout).
const afterIdle = (page) => page.evaluate(() => new Promise((r) => requestIdleCallback(() => setTimeout(r, 50), { timeout: 4000 })));

test('consent first: no connection, page view, fingerprint or storage before the visitor agrees; the bubble works', async () => {
  const s = await createSite(relay, token, 'Careful shop', { consent_required: true, fingerprint: true, welcome_message: 'Hi' });
  const requests = [], sockets = [], frames = [];
  const { context, page } = await openPage(browser, hostUrl(host, s), {}, (p) => {
    p.on('request', (r) => requests.push(r.url()));
    p.on('websocket', (ws) => {
      sockets.push(ws.url());
      ws.on('framesent', (f) => frames.push(JSON.parse(f.payload).type));
    });
  });
  await bubble(page, 'Open chat').waitFor();
  await afterIdle(page);
  await afterIdle(page);
  const storage = () => page.evaluate(() => [...Object.keys(localStorage), ...Object.keys(sessionStorage)].filter((k) => k.startsWith('confab:')));
  assert.deepEqual(sockets, [], 'no WebSocket before consent');
  assert.ok(!requests.some((u) => u.includes('widget-full.js')), 'the full widget waits for the visitor');
  assert.deepEqual(await storage(), [], 'nothing stored before consent');

  // the bubble opens the chat: the consent text, and still nothing sent or stored
  await bubble(page, 'Open chat').click();
  await page.getByRole('button', { name: 'I agree' }).waitFor();
  await afterIdle(page);
  assert.deepEqual(sockets, [], 'no WebSocket while the consent is asked');
  assert.deepEqual(await storage(), []);
  assert.equal(await page.evaluate(() => Confab.send('too early')), false);
  assert.ok(!agent.frames.some((f) => f.type == 'visitor' && f.visitor.site_id == s.id), 'the agents know of nobody yet');

  await page.getByRole('button', { name: 'I agree' }).click();
  await until('hello after consent', () => frames.includes('hello'));
  assert.equal(frames[0], 'hello', 'hello is the first thing sent, after consent');
  await until('the identity kept after consent', async () => (await storage()).some((k) => k.endsWith(':id')));
  await composer(page).fill('Now it may go');
  await sendButton(page).click();
  const m = await agent.waitFor((f) => f.type == 'message' && f.body == 'Now it may go');
  const v = await relay.http('GET', `/api/v1/conversations/${m.conversation_id}`, null, token);
  assert.ok(v.body.visitor.consent_at, 'the consent time reached the relay with the hello');

  // the next page: the visitor agreed, so the widget connects on idle as on any site
  sockets.length = 0;
  await page.reload();
  await until('connected again without opening', () => sockets.length > 0);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('phone: the demo page fits 390 px; the bubble and the open chat are on screen (iPhone 13 screenshots)', async () => {
  const { context, page } = await phone(site, '/demo');
  await bubble(page, 'Open chat').waitFor();
  const width = await page.evaluate(() => [document.documentElement.scrollWidth, innerWidth]);
  assert.ok(width[0] <= width[1], `the demo page does not overflow sideways (${width[0]} > ${width[1]})`);
  const b = await onScreen(page, '.b');
  assert.ok(inside(b), 'the bubble is on screen: ' + JSON.stringify(b));
  assert.ok(b.w >= 44 && b.w <= 60, 'the bubble is its own size, not zoomed');
  await page.screenshot({ path: artifact('phone-demo.png') });
  await bubble(page, 'Open chat').click();
  await page.getByText('Hello! Ask us anything.').waitFor();
  const p = await onScreen(page, '.p');
  assert.ok(inside(p) && p.w >= 389 && p.h >= 843, 'the open chat fills the screen: ' + JSON.stringify(p));
  await page.screenshot({ path: artifact('phone-demo-open.png') });
  await context.close();
});

test('phone: a page that overflows, zoomed and scrolled sideways, keeps the bubble on screen; the keyboard never hides the composer', async () => {
  const { context, page } = await phone(site, '/wide');
  await bubble(page, 'Open chat').waitFor();
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth > 500), 'the page does overflow a 390 px screen');
  let b = await onScreen(page, '.b');
  assert.ok(inside(b), 'as loaded: ' + JSON.stringify(b));
  assert.ok(b.w >= 54 && b.w <= 58, 'the bubble is 56 px on the screen whatever the zoom: ' + b.w);
  await page.screenshot({ path: artifact('phone-wide.png') });

  // pinch-zoomed in and scrolled: the bubble follows the visual viewport
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setPageScaleFactor', { pageScaleFactor: 2 });
  await page.evaluate(() => scrollTo(500, 900));
  await until('the bubble follows the zoom', async () => {
    b = await onScreen(page, '.b');
    return b.scale > 1.5 && inside(b) && b.w >= 54 && b.w <= 58;
  });
  await page.screenshot({ path: artifact('phone-wide-zoomed.png') });
  await cdp.send('Emulation.setPageScaleFactor', { pageScaleFactor: 1 });

  await bubble(page, 'Open chat').click();
  await page.locator('confab-widget .cp textarea').waitFor();
  let p = await onScreen(page, '.p');
  assert.ok(inside(p), 'the open chat is on screen: ' + JSON.stringify(p));

  // the on-screen keyboard takes the lower part of the screen: the visual viewport shrinks, and
  // the panel with its composer shrinks with it
  await page.setViewportSize({ width: 390, height: 480 });
  await until('the composer above the keyboard', async () => {
    const c = await onScreen(page, '.cp');
    return inside(c) && c.y + c.h <= 480.5;
  });
  await composer(page).fill('typed above the keyboard');
  await page.screenshot({ path: artifact('phone-keyboard.png') });
  await sendButton(page).click();
  await agent.waitFor((f) => f.type == 'message' && f.body == 'typed above the keyboard');
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('phone: the page behind is locked and keeps its place; 44 px targets, 16 px inputs, no keyboard on open, focus trapped', async () => {
  const s = await createSite(relay, token, 'Form shop', { prechat: 'optional' });
  const { context, page } = await phone(s, '/wide');
  await bubble(page, 'Open chat').waitFor();
  await page.evaluate(() => scrollTo(0, 1200));
  const y = await page.evaluate(() => scrollY);
  assert.ok(y > 1000);
  await bubble(page, 'Open chat').click();
  await page.getByRole('button', { name: 'Skip' }).waitFor();

  // no keyboard: the panel has the focus, not a field
  const focused = await shadow(page, (root) => root.activeElement && root.activeElement.tagName);
  assert.equal(focused, 'DIV', 'the dialog itself is focused on a phone, not an input');

  // a swipe over the chat does not scroll the page behind it
  const locked = await page.evaluate(() => getComputedStyle(document.documentElement).overflow);
  assert.equal(locked, 'hidden');
  assert.equal(await shadow(page, (root) => getComputedStyle(root.querySelector('.m')).overscrollBehaviorY), 'contain');
  await page.mouse.move(200, 400);
  await page.mouse.wheel(0, 600);
  await page.waitForTimeout(100);
  assert.equal(await page.evaluate(() => scrollY), y, 'the page behind stayed');

  // every target 44 px, every field 16 px (iOS zooms into smaller ones)
  const sizes = async () => shadow(page, (root) => [...root.querySelectorAll('.p button, .p input:not([type=file]), .p textarea')]
    .filter((n) => n.getClientRects().length)
    .map((n) => { const r = n.getBoundingClientRect(); return { n: n.getAttribute('aria-label') || n.textContent || n.name, w: r.width, h: r.height, f: parseFloat(getComputedStyle(n).fontSize), tag: n.tagName }; }));
  for (const x of await sizes()) {
    if (x.tag == 'BUTTON') assert.ok(x.w >= 44 && x.h >= 44, `target "${x.n}" is ${x.w}×${x.h}`);
    else assert.ok(x.f >= 16, `field "${x.n}" is ${x.f} px`);
  }
  await page.screenshot({ path: artifact('phone-prechat.png') });
  await page.getByRole('button', { name: 'Skip' }).click();
  for (const x of await sizes()) {
    if (x.tag == 'BUTTON') assert.ok(x.w >= 44 && x.h >= 44, `target "${x.n}" is ${x.w}×${x.h}`);
    else assert.ok(x.f >= 16, `field "${x.n}" is ${x.f} px`);
  }

  // Tab goes round inside the open panel
  await page.keyboard.press('Tab');
  const seen = new Set();
  for (let i = 0; i < 8; i++) {
    seen.add(await shadow(page, (root) => !!root.activeElement && root.querySelector('.p').contains(root.activeElement)));
    await page.keyboard.press('Tab');
  }
  assert.deepEqual([...seen], [true], 'focus never leaves the panel');

  // closed: the page scrolls again, from where it was
  await page.getByRole('button', { name: 'Close chat' }).click();
  assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).overflow), 'visible');
  assert.equal(await page.evaluate(() => scrollY), y, 'the scroll position is kept');
  assert.deepEqual(page.errors, []);
  await context.close();
});
