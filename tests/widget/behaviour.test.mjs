// SPDX-License-Identifier: GPL-3.0-or-later
// The widget's behaviour in headless Chromium, against the real relay, on a host page of another
// origin: message states (sending, sent, failed and retried with the same client_id), images by
// picker and by drag and drop with upload progress and the full-size view, the "error" event,
// data-debug, the sound rule, the live region, the focus trap backwards, the typing stop, the
// stop after a key rotation, a blocked visitor's refusal, and that nothing in the sources parses
// HTML. Run by meson (tests/meson.build) with node's runner.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  Relay, Agent, createSite, startHost, launchBrowser, artifact, until, sleep, SOURCE_ROOT,
  bubble, composer, sendButton, bodies, openPage, hostUrl,
} from './harness.mjs';

let relay, host, browser, token, agent, site;

before(async () => {
  relay = new Relay();
  await relay.start();
  token = await relay.createAgent();
  site = await createSite(relay, token, 'Shop');
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

const open = (s = site, params = {}, options, beforeLoad) =>
  openPage(browser, hostUrl(host, s, '/page', params), options, beforeLoad);
const lastFoot = (page) => page.locator('confab-widget .g.v .f').last();

async function say(page, text) {
  await composer(page).fill(text);
  await sendButton(page).click();
  return agent.waitFor((f) => f.type == 'message' && f.body == text, `"${text}" at the agent`);
}

// A real PNG: a piece of a screenshot.
const png = (page, width = 40, height = 30) => page.screenshot({ clip: { x: 0, y: 0, width, height } });

test('message states: sending, failed when no ack comes, retried with the same client_id, sent once', async () => {
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
  const page = await context.newPage();
  // the page's clock runs as usual, but can jump: the ack timeout (10 s) without waiting for it
  await page.clock.install();
  // a connection that silently loses the visitor's message frames (a half-open TCP connection)
  let lose = false;
  const lost = [];
  await page.routeWebSocket(/\/ws\/widget/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((m) => {
      const f = JSON.parse(m);
      if (lose && f.type == 'message') lost.push(f);
      else server.send(m);
    });
    server.onMessage((m) => ws.send(m));
  });
  await page.goto(hostUrl(host, site));
  await bubble(page, 'Open chat').click();
  await say(page, 'first, delivered');
  await until('sent', async () => /Sent/.test(await lastFoot(page).textContent()));

  lose = true;
  await composer(page).fill('second, lost on the way');
  await sendButton(page).click();
  await until('sending', async () => /Sending…/.test(await lastFoot(page).textContent()));
  assert.equal(await page.locator('confab-widget .g.v time').last().getAttribute('datetime') != null, true, 'it has its time');
  assert.ok(/Sending…/.test(await lastFoot(page).textContent()), 'still sending before the timeout');
  await page.clock.fastForward(10000);
  await until('failed', async () => /Not sent/.test(await lastFoot(page).textContent()));
  assert.equal(lost.length, 1);
  await page.screenshot({ path: artifact('message-failed.png') });

  lose = false;
  await page.locator('confab-widget .g.v .f').last().getByRole('button', { name: 'Retry' }).click();
  const m = await agent.waitFor((f) => f.type == 'message' && f.body == 'second, lost on the way');
  assert.equal(m.client_id, lost[0].client_id, 'the retry carries the same client_id');
  await until('sent after retry', async () => /Sent/.test(await lastFoot(page).textContent()));
  await sleep(300);
  assert.equal(agent.frames.filter((f) => f.type == 'message' && f.body == 'second, lost on the way').length, 1);
  assert.deepEqual(await bodies(page), ['first, delivered', 'second, lost on the way']);
  await context.close();
});

test('images: the picker and drag and drop, a preview, upload progress, a thumbnail that opens full size', async () => {
  const { context, page } = await open();
  await bubble(page, 'Open chat').click();
  await say(page, 'two pictures');
  const image = await png(page);
  const big = await png(page, 600, 400);   // larger than a thumbnail (320 px)

  // the "+" button opens the file picker
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByRole('button', { name: 'Attach a file' }).click()]);
  await chooser.setFiles({ name: 'picked.png', mimeType: 'image/png', buffer: image });
  await page.locator('confab-widget .pv img').waitFor();
  assert.ok(await page.locator('confab-widget .pv').getByText('picked.png').isVisible(), 'the preview names the file');
  // a slow upload shows its progress
  let release;
  const held = new Promise((r) => (release = r));
  await page.route('**/api/v1/uploads*', async (route) => {
    if (route.request().method() == 'POST') await held;
    await route.continue();
  });
  await sendButton(page).click();
  await page.locator('confab-widget .g.v progress').waitFor();
  assert.match(await lastFoot(page).textContent(), /Uploading… \d+%/);
  assert.ok((await page.locator('confab-widget .g.v progress').boundingBox()).width >= 100, 'the progress bar is drawn');
  await page.screenshot({ path: artifact('upload-progress.png') });
  release();
  const first = await agent.waitFor((f) => f.type == 'message' && f.attachment, 'the picked image', 15000);
  assert.equal(first.attachment.mime, 'image/png');
  await until('sent', async () => /Sent/.test(await lastFoot(page).textContent()));
  await page.unroute('**/api/v1/uploads*');

  // drag and drop onto the panel; a kind of file the relay never takes is refused
  const drop = (name, type) => page.evaluate(async ([bytes, name, type]) => {
    const panel = document.querySelector('confab-widget').shadowRoot.querySelector('.p');
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(bytes)], name, { type }));
    panel.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
    const marked = panel.classList.contains('dz');
    panel.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    return marked;
  }, [[...big], name, type]);
  assert.equal(await drop('setup.exe', 'application/x-msdownload'), true, 'the panel shows it takes drops');
  await sleep(200);
  assert.equal(await page.locator('confab-widget .pv').isVisible(), false, 'no preview for a program');
  await page.getByText('This kind of file cannot be sent.').waitFor();
  await drop('dropped.png', 'image/png');
  await page.locator('confab-widget .pv').getByText('dropped.png').waitFor();
  await sendButton(page).click();
  const second = await agent.waitFor((f) => f.type == 'message' && f.attachment && f.attachment.id != first.attachment.id, 'the dropped image', 15000);
  assert.equal(second.attachment.mime, 'image/png');

  // the thumbnail is the relay's, and a click opens the full-size image
  const link = page.locator('confab-widget .g.v a').last();
  await until('the stored thumbnail', () => link.locator('img').evaluate((img) => img.complete && img.naturalWidth > 0 && img.naturalWidth <= 320));
  assert.ok((await link.getAttribute('href')).endsWith(second.attachment.url), 'the link is the full-size image');
  const [popup] = await Promise.all([context.waitForEvent('page'), link.click()]);
  await until('the full image in the new tab', async () => {
    const size = await popup.evaluate(() => { const img = document.querySelector('img'); return img && img.naturalWidth; });
    return size == 600;
  });
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('API: the error event; ready, opened, closed and message through Confab.on (queued before load)', async () => {
  // consent first: the full widget loads when the chat is opened, and is ready (connected) only
  // once the visitor agreed
  const consent = await createSite(relay, token, 'Consent shop', { consent_required: true });
  const { context, page } = await open(consent);
  await bubble(page, 'Open chat').waitFor();
  await page.evaluate(() => {
    window.events = [];
    for (const ev of ['ready', 'opened', 'closed', 'message', 'error'])
      Confab.on(ev, (d) => events.push(ev + (d && d.code ? ':' + d.code : d && d.body ? ':' + d.body : '')));
    Confab.open();
  });
  await until('the full widget', () => page.evaluate(() => !!(window.Confab && window.Confab._full)));
  await until('opened', () => page.evaluate(() => events.includes('opened')));
  assert.equal(await page.evaluate(() => Confab.send('too early')), false);
  assert.ok(await page.evaluate(() => events.includes('error:consent_required')), 'the error event');
  await page.getByRole('button', { name: 'I agree' }).click();
  await until('ready', () => page.evaluate(() => events.includes('ready')));
  assert.equal(await page.evaluate(() => Confab.send('now it goes')), true);
  const m = await agent.waitFor((f) => f.type == 'message' && f.body == 'now it goes');
  agent.send({ type: 'message', conversation_id: m.conversation_id, client_id: crypto.randomUUID(), body: 'welcome back' });
  await until('the message event', () => page.evaluate(() => events.includes('message:welcome back')));
  await page.evaluate(() => Confab.toggle());
  assert.deepEqual(await page.evaluate(() => events), ['opened', 'error:consent_required', 'ready', 'message:welcome back', 'closed']);
  await context.close();
});

test('data-debug: the widget tells the console what it does, never message texts or tokens; silent without it', async () => {
  const logs = async (params) => {
    const pending = [];
    // every argument in full, objects too: msg.text() would only show "Object"; listening from
    // before the page loads, for the hello the widget may send before open() returns
    const { context, page } = await open(site, params, undefined, (p) => p.on('console', (msg) =>
      pending.push(Promise.all(msg.args().map((a) => a.jsonValue().catch(() => null)))
        .then((args) => args.map((a) => (typeof a == 'string' ? a : JSON.stringify(a))).join(' ')))));
    await bubble(page, 'Open chat').click();
    const m = await say(page, 'a private text 4711' + (params.debug ? '' : ' (quiet)'));
    await until('sent', async () => /Sent/.test(await lastFoot(page).textContent()));
    agent.send({ type: 'message', conversation_id: m.conversation_id, client_id: crypto.randomUUID(), body: 'a private answer 0815' });
    await page.getByText('a private answer 0815').waitFor();
    assert.equal(await page.getByText('a private answer 0815').count(), 1);
    const token = await page.evaluate((k) => JSON.parse(localStorage.getItem(`confab:${k}:id`)).visitor_token, site.site_key);
    const lines = await Promise.all(pending);
    await context.close();
    return { lines, token };
  };
  const debug = await logs({ debug: 1 });
  const ours = debug.lines.filter((l) => l.startsWith('[confab]'));
  assert.ok(ours.some((l) => /→ hello/.test(l)) && ours.some((l) => /← welcome/.test(l)) && ours.some((l) => /event opened/.test(l)),
    'frames and events are logged: ' + JSON.stringify(ours));
  const leaks = debug.lines.filter((l) => /4711|0815/.test(l) || l.includes(debug.token));
  assert.deepEqual(leaks, [], 'no message text, no token');
  const quiet = await logs({});
  assert.deepEqual(quiet.lines.filter((l) => l.startsWith('[confab]')), []);
});

test('sound: none before the visitor touched the page, one after; none where the site turned it off', async () => {
  // Everything playwright evaluates in a page counts as a user gesture there; so until the
  // visitor's first click this test only listens to the console (data-debug and the beeps).
  const loud = await createSite(relay, token, 'Loud shop');
  const mute = await createSite(relay, token, 'Silent shop', { sound: false });
  const run = async (s) => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    await context.addInitScript(() => {
      const A = window.AudioContext;
      if (A) window.AudioContext = class extends A {
        createOscillator() {
          const o = super.createOscillator(), start = o.start.bind(o);
          o.start = (...args) => { console.log('test: beep'); return start(...args); };
          return o;
        }
      };
    });
    const page = await context.newPage();
    const lines = [];
    page.on('console', (msg) => lines.push(msg.text()));
    const count = (re) => lines.filter((l) => re.test(l)).length;
    await page.goto(hostUrl(host, s, '/page', { debug: 1 }));
    const v = await agent.waitFor((f) => f.type == 'visitor' && f.site_id == s.id && f.visitor.online, 'the visitor online');
    const cid = crypto.randomUUID();
    agent.send({ type: 'start_conversation', visitor_id: v.visitor.id, client_id: cid, body: 'Can I help?' });
    const ack = await agent.waitFor((f) => f.type == 'ack' && f.client_id == cid);
    await until('the first message in the widget', () => count(/^\[confab\] ← message/) == 1);
    await sleep(300);
    const before = count(/^test: beep/);
    await page.locator('h1').click();
    agent.send({ type: 'message', conversation_id: ack.conversation_id, client_id: crypto.randomUUID(), body: 'Still there?' });
    await until('the second message in the widget', () => count(/^\[confab\] ← message/) == 2);
    await bubble(page, 'Open chat (2)').waitFor();
    await sleep(300);
    const after = count(/^test: beep/);
    await context.close();
    return [before, after];
  };
  assert.deepEqual(await run(loud), [0, 1], 'no beep before the first interaction, one after');
  assert.deepEqual(await run(mute), [0, 0], 'no beep with sound off');
});

test('screen readers: new messages land in a polite live log; typing is announced; focus trap backwards', async () => {
  const { context, page } = await open();
  await bubble(page, 'Open chat').click();
  const m = await say(page, 'is anyone there');
  agent.send({ type: 'message', conversation_id: m.conversation_id, client_id: crypto.randomUUID(), body: 'Yes, Anna here' });
  const log = page.locator('confab-widget [role=log][aria-live=polite]');
  assert.equal(await log.count(), 1);
  await log.getByText('Yes, Anna here').waitFor();
  assert.ok(await log.getByText('is anyone there').isVisible(), 'the visitor\'s own messages are in the log too');
  agent.send({ type: 'typing', conversation_id: m.conversation_id, active: true });
  await page.locator('confab-widget [aria-live=polite]').getByText('is typing').waitFor();
  // the status banner is a status role: "Reconnecting…" is announced when it shows
  assert.equal(await page.locator('confab-widget .bn').getAttribute('role'), 'status');

  for (let i = 0; i < 10; i++) {
    await page.keyboard.press('Shift+Tab');
    assert.ok(await page.evaluate(() => {
      const root = document.querySelector('confab-widget').shadowRoot;
      return !!root.activeElement && root.querySelector('.p').contains(root.activeElement);
    }), 'Shift+Tab stays in the panel');
  }
  await context.close();
});

test('typing: clearing the draft tells the agent the visitor stopped', async () => {
  const { context, page } = await open();
  await bubble(page, 'Open chat').click();
  const m = await say(page, 'one question');
  await composer(page).pressSequentially('and another', { delay: 20 });
  await agent.waitFor((f) => f.type == 'typing_preview' && f.conversation_id == m.conversation_id && f.text == 'and another');
  const mark = agent.frames.length;
  await composer(page).fill('');
  const stop = await agent.waitFor((f, i) => agent.frames.indexOf(f) >= mark && f.type == 'typing_preview' &&
    f.conversation_id == m.conversation_id && f.active === false, 'the typing stop');
  assert.ok(!stop.text);
  await context.close();
});

test('key rotated: the open widget stops (4010) without reconnecting or an error for the visitor; a console warning', async () => {
  const rotated = await createSite(relay, token, 'Rotated shop');
  const { context, page } = await open(rotated);
  const warnings = [];
  const sockets = [];
  page.on('console', (msg) => { if (msg.type() == 'warning') warnings.push(msg.text()); });
  page.on('websocket', (ws) => sockets.push(ws.url()));
  await bubble(page, 'Open chat').click();
  await say(page, 'before the rotation');
  assert.equal(sockets.length, 1);

  const r = await relay.http('POST', `/api/v1/sites/${rotated.id}/key`, null, token);
  assert.equal(r.status, 200);
  assert.notEqual(r.body.site_key, rotated.site_key);
  await until('the console warning', () => warnings.find((w) => /key was rotated/.test(w)));
  // a reconnect would come within 1 s (the first backoff); give it twice that to show up
  await sleep(2000);
  assert.deepEqual(sockets.length, 1, 'no new socket with the old key: ' + JSON.stringify(sockets));
  assert.equal(await page.getByText('Reconnecting…').isVisible(), false, 'no reconnecting banner');
  assert.equal(await page.getByText('We are offline').count() > 0, true, 'the chat shows itself offline');
  // closing and opening the panel does not knock again either
  await page.evaluate(() => { Confab.close(); Confab.open(); });
  await sleep(500);
  assert.equal(sockets.length, 1);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('blocked: "This chat is not available.", at once and after a reload, and no reconnecting', async () => {
  // a site of its own: a block holds for the visitor's address too, and every page here is 127.0.0.1
  const shop = await createSite(relay, token, 'Blocked shop');
  await sleep(200);  // the agent's socket hears of the new site
  const { context, page } = await open(shop);
  let sockets = 0;
  page.on('websocket', (ws) => { if (/\/ws\/widget/.test(ws.url())) sockets++; });
  await bubble(page, 'Open chat').click();
  const arrived = await agent.waitFor((f) => f.type == 'visitor' && f.site_id == shop.id, 'the visitor at the agent');
  const r = await relay.http('POST', `/api/v1/visitors/${arrived.visitor.id}/block`, { reason: 'test' }, token);
  assert.equal(r.status, 200, r.text);

  const notice = page.locator('confab-widget').getByText('This chat is not available.').first();
  await until('the polite refusal', () => notice.isVisible());
  assert.ok(!(await composer(page).isVisible()), 'no composer');
  const seen = sockets;
  await sleep(2500);   // longer than the first reconnect delays
  assert.equal(sockets, seen, 'no reconnect after 4011');
  await page.screenshot({ path: artifact('blocked.png') });

  // the same browser comes back: refused again on hello, once
  await page.reload();
  await bubble(page, 'Open chat').click();
  await until('refused after a reload', () => notice.isVisible());
  const again = sockets;
  await sleep(2500);
  assert.equal(sockets, again, 'no reconnect after a reload either');
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('safety: nothing in the widget parses HTML or evaluates code (sources and built files)', () => {
  const files = [
    ...readdirSync(join(SOURCE_ROOT, 'widget', 'src')).map((n) => join(SOURCE_ROOT, 'widget', 'src', n)),
    join(relay.widgetDir, 'widget.js'), join(relay.widgetDir, 'widget-full.js'),
  ];
  const parsers = /\b(innerHTML|outerHTML|insertAdjacentHTML|createContextualFragment|DOMParser|srcdoc|document\.write|eval\s*\(|new Function)\b/;
  for (const file of files) {
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    assert.doesNotMatch(text, parsers, file);
  }
});
