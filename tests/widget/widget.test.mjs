// SPDX-License-Identifier: GPL-3.0-or-later
// The website widget in headless Chromium, against the real relay, on a host page of another
// origin. Run by meson (tests/meson.build) as: node --test --test-reporter=tap tests/widget/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import {
  Relay, Agent, createSite, setSettings, startHost, launchBrowser, artifact, until, sleep,
} from './harness.mjs';

let relay, host, browser, token, site, agent;
const sites = {};

before(async () => {
  relay = new Relay();
  await relay.start();
  token = await relay.createAgent();
  site = await createSite(relay, token, 'Shop', { color: '#0f766e', welcome_message: 'Hello! Ask us anything.' });
  sites.consent = await createSite(relay, token, 'Consent shop', { consent_required: true, consent_text: 'We keep your messages for 30 days.' });
  sites.offline = await createSite(relay, token, 'Night shop', { offline_message: 'We are asleep.' });
  sites.quiet = await createSite(relay, token, 'Private shop', { typing_preview: false });
  host = await startHost(relay);
  browser = await launchBrowser();
});

after(async () => {
  if (agent) agent.close();
  if (browser) await browser.close();
  if (host) await host.close();
  if (relay) { await relay.stop(); relay.cleanup(); }
});

const pageUrl = (params) => host.url + '/page?' + new URLSearchParams({ key: site.site_key, ...params });

async function openPage(params = {}, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, ...options });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(pageUrl(params));
  return { context, page };
}

const bubble = (page, name = /chat/i) => page.getByRole('button', { name });
const composer = (page, name = 'Message') => page.getByRole('textbox', { name, exact: true });
const sendButton = (page, name = 'Send') => page.getByRole('button', { name, exact: true });
const bodies = (page) => page.locator('confab-widget .m .g:not(.w) .x').allTextContents();

async function connectAgent() {
  if (!agent) agent = await new Agent(relay, token).connect();
  return agent;
}

async function sendFromVisitor(page, text, options) {
  await composer(page).fill(text);
  await sendButton(page).click(options);
}

// --- the files and how they are served ---

test('budget: both files within their gzipped budgets (build output and served bytes)', async (t) => {
  const { sizes } = relay.build;
  t.diagnostic(`widget.js ${sizes['widget.js'].raw} B raw, ${sizes['widget.js'].gzip} B gzipped`);
  t.diagnostic(`widget-full.js ${sizes['widget-full.js'].raw} B raw, ${sizes['widget-full.js'].gzip} B gzipped`);
  assert.ok(sizes['widget.js'].gzip <= 2560, 'bootstrap over 2.5 KB gzipped');
  assert.ok(sizes['widget-full.js'].gzip <= 20480, 'full widget over 20 KB gzipped');

  for (const name of ['widget.js', 'widget-full.js']) {
    const res = await fetch(`${relay.url}/${name}`, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8');
    // fetch() decodes gzip itself; the raw length is checked below with a plain HTTP request
    assert.ok(res.headers.get('etag'));
    assert.match(res.headers.get('content-encoding') || '', /gzip/);
  }
});

test('serving: gzip, ETag/304, short cache for widget.js, a year for widget-full.js?v=hash', async () => {
  const http = await import('node:http');
  const get = (path, headers = {}) => new Promise((ok, fail) => {
    http.get(relay.url + path, { headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', fail);
  });
  const plain = await get('/widget.js');
  const gz = await get('/widget.js', { 'Accept-Encoding': 'gzip, deflate' });
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.ok(gz.body.length <= 2560, `served gzipped bootstrap is ${gz.body.length} B`);
  assert.deepEqual(gunzipSync(gz.body), plain.body);
  assert.match(plain.headers['cache-control'], /max-age=300/);
  assert.equal(plain.headers.vary, 'Accept-Encoding');
  const again = await get('/widget.js', { 'If-None-Match': plain.headers.etag });
  assert.equal(again.status, 304);
  const version = /widget-full\.js\?v=([0-9a-f]{12})/.exec(plain.body.toString())[1];
  const full = await get('/widget-full.js?v=' + version, { 'Accept-Encoding': 'gzip' });
  assert.equal(full.status, 200);
  assert.match(full.headers['cache-control'], /max-age=31536000/);
  assert.ok(full.body.length <= 20480);
  const stale = await get('/widget-full.js?v=000000000000');
  assert.match(stale.headers['cache-control'], /max-age=300/);
  const post = await relay.http('POST', '/widget.js');
  assert.equal(post.status, 405);
  assert.equal(post.body.error.code, 'method_not_allowed');
});

// --- the chat ---

test('chat: bubble on another origin, visitor ↔ agent round trip, screenshots', async (t) => {
  const a = await connectAgent();
  const { context, page } = await openPage();
  await bubble(page, 'Open chat').waitFor();
  await page.screenshot({ path: artifact('bubble-closed.png') });

  const perf = await page.evaluate(() => {
    const [start] = performance.getEntriesByName('confab:start');
    const [drawn] = performance.getEntriesByName('confab:bubble');
    return { start: start.startTime, bubble: drawn.startTime };
  });
  t.diagnostic(`script start → bubble: ${(perf.bubble - perf.start).toFixed(1)} ms`);

  await bubble(page, 'Open chat').click();
  await composer(page).waitFor();
  assert.ok(await page.getByText('Hello! Ask us anything.').isVisible(), 'welcome message shown');
  await sendFromVisitor(page, 'Hi, do you ship to Norway? https://example.org/faq.');
  const got = await a.waitFor((f) => f.type == 'message' && f.sender.type == 'visitor' && /Norway/.test(f.body), 'the visitor message');
  await until('sent state', async () => (await page.locator('confab-widget .g.v .f').last().textContent()).includes('Sent'));
  const link = page.locator('confab-widget .g.v a').first();
  assert.equal(await link.getAttribute('href'), 'https://example.org/faq');
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');

  a.send({ type: 'message', conversation_id: got.conversation_id, client_id: crypto.randomUUID(), body: 'Yes, we do!' });
  await page.getByText('Yes, we do!').waitFor();
  await page.screenshot({ path: artifact('chat-open.png') });
  assert.deepEqual(page.errors, []);

  // reload keeps the conversation: same visitor, the history once, in order
  const visitorId = await page.evaluate((k) => JSON.parse(localStorage.getItem(`confab:${k}:id`)).visitor_id, site.site_key);
  await page.reload();
  await bubble(page, /chat/).click();
  await page.getByText('Yes, we do!').waitFor();
  assert.deepEqual(await bodies(page), ['Hi, do you ship to Norway? https://example.org/faq.', 'Yes, we do!']);
  // a new tab of the same site continues it too
  const tab = await context.newPage();
  await tab.goto(pageUrl({}));
  await bubble(tab, 'Open chat').click();
  await tab.getByText('Yes, we do!').waitFor();
  assert.equal(await tab.evaluate((k) => JSON.parse(localStorage.getItem(`confab:${k}:id`)).visitor_id, site.site_key), visitorId);
  await context.close();
});

test('proactive: an agent starts a conversation with the visitor on the page; unread badge, sound, reply', async () => {
  const a = await connectAgent();
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
  // counts the widget's beeps: every oscillator it starts
  await context.addInitScript(() => {
    window.__beeps = 0;
    const A = window.AudioContext;
    if (A) window.AudioContext = class extends A {
      createOscillator() {
        const o = super.createOscillator(), start = o.start.bind(o);
        o.start = (...args) => { window.__beeps++; return start(...args); };
        return o;
      }
    };
  });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(pageUrl({}));
  await bubble(page, 'Open chat').waitFor();
  // the visitor never opens the chat and never writes; the full widget connects on idle time
  const visitorId = await until('the visitor connected', () => page.evaluate((k) => {
    const id = JSON.parse(localStorage.getItem(`confab:${k}:id`));
    return id && id.visitor_id;
  }, site.site_key));
  await a.waitFor((f) => f.type == 'visitor' && f.visitor.id == visitorId && f.visitor.online, 'the visitor online');
  // a click on the page (not the chat): from now on the browser lets the widget play sounds
  await page.locator('h1').click();

  const clientId = crypto.randomUUID();
  a.send({ type: 'start_conversation', visitor_id: visitorId, client_id: clientId, body: 'Hi! Looking for anything in particular?' });
  const ack = await a.waitFor((f) => f.type == 'ack' && f.client_id == clientId, 'the ack');
  const started = a.frames.find((f) => f.type == 'conversation' && f.conversation.id == ack.conversation_id);
  assert.ok(started, 'the agents heard of the new conversation');
  assert.equal(started.conversation.visitor_id, visitorId);

  // closed panel: the bubble counts it, names it, and the widget beeped once
  await bubble(page, 'Open chat (1)').waitFor();
  assert.equal(await page.locator('confab-widget .n').textContent(), '1');
  await until('the beep', () => page.evaluate(() => window.__beeps == 1));
  assert.match(await bubble(page, 'Open chat (1)').getAttribute('title'), /Anna: Hi! Looking for anything/);
  await page.screenshot({ path: artifact('proactive-unread.png') });

  // opened: the message is there, the badge gone, the read mark reaches the agent
  await bubble(page, 'Open chat (1)').click();
  await page.getByText('Hi! Looking for anything in particular?').waitFor();
  assert.deepEqual(await bodies(page), ['Hi! Looking for anything in particular?']);
  assert.equal(await page.locator('confab-widget .n').textContent(), '');
  await a.waitFor((f) => f.type == 'read' && f.conversation_id == ack.conversation_id && f.seq == 1, 'the read mark');

  // the reply goes into the conversation the agent started
  await sendFromVisitor(page, 'Yes, a red scarf');
  const reply = await a.waitFor((f) => f.type == 'message' && f.body == 'Yes, a red scarf', 'the reply');
  assert.equal(reply.conversation_id, ack.conversation_id);
  assert.equal(reply.seq, 2);
  await until('sent state', async () => (await page.locator('confab-widget .g.v .f').last().textContent()).includes('Sent'));
  await page.screenshot({ path: artifact('proactive-open.png') });

  // a reload shows the conversation once, and nothing as unread
  await page.reload();
  await bubble(page, 'Open chat').waitFor();
  await until('resumed', () => page.evaluate(() => !!(window.Confab && window.Confab._full)));
  await bubble(page, 'Open chat').click();
  await page.getByText('Yes, a red scarf').waitFor();
  assert.deepEqual(await bodies(page), ['Hi! Looking for anything in particular?', 'Yes, a red scarf']);
  const stored = await relay.http('GET', `/api/v1/conversations/${ack.conversation_id}/messages`, null, a.token);
  assert.deepEqual(stored.body.messages.map((m) => [m.sender.type, m.body]),
    [['agent', 'Hi! Looking for anything in particular?'], ['visitor', 'Yes, a red scarf']]);

  // closed, and days later a new one: its seq 1 is unread although seq 2 of the old one was read
  a.send({ type: 'set_status', conversation_id: ack.conversation_id, status: 'closed' });
  await a.waitFor((f) => f.type == 'conversation' && f.conversation.id == ack.conversation_id && f.conversation.status == 'closed');
  await page.keyboard.press('Escape');
  const second = crypto.randomUUID();
  a.send({ type: 'start_conversation', visitor_id: visitorId, client_id: second, body: 'Your scarf is back in stock' });
  const ack2 = await a.waitFor((f) => f.type == 'ack' && f.client_id == second, 'the second ack');
  assert.notEqual(ack2.conversation_id, ack.conversation_id);
  await bubble(page, 'Open chat (1)').waitFor();
  await bubble(page, 'Open chat (1)').click();
  await page.getByText('Your scarf is back in stock').waitFor();
  await sendFromVisitor(page, 'Great, thanks');
  const reply2 = await a.waitFor((f) => f.type == 'message' && f.body == 'Great, thanks', 'the second reply');
  assert.equal(reply2.conversation_id, ack2.conversation_id);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('reconnect: relay stopped and restarted, no gap and no duplicate', async () => {
  const a = await connectAgent();
  const { context, page } = await openPage();
  await bubble(page, 'Open chat').click();
  await sendFromVisitor(page, 'before the restart');
  const first = await a.waitFor((f) => f.type == 'message' && f.body == 'before the restart');

  agent.close();
  agent = null;
  await relay.stop();
  await page.locator('confab-widget .bn').getByText('Reconnecting…').waitFor();
  // written while the relay is down: stays "Sending…", goes once it is back
  await sendFromVisitor(page, 'while it was down');
  await relay.start();
  const b = await connectAgent();
  await b.waitFor((f) => f.type == 'message' && f.body == 'while it was down', 'the message written while down', 30000);
  b.send({ type: 'message', conversation_id: first.conversation_id, client_id: crypto.randomUUID(), body: 'after the restart' });
  await page.getByText('after the restart').waitFor({ timeout: 30000 });
  await until('reconnected', async () => !(await page.locator('confab-widget .bn').isVisible()));

  const shown = await bodies(page);
  assert.deepEqual(shown, ['before the restart', 'while it was down', 'after the restart']);
  const stored = await relay.http('GET', `/api/v1/conversations/${first.conversation_id}/messages`, null, b.token);
  assert.deepEqual(stored.body.messages.map((m) => m.body), ['before the restart', 'while it was down', 'after the restart']);
  await context.close();
});

test('safety: an agent message with HTML and <img onerror> is shown as text and runs nothing', async () => {
  const a = await connectAgent();
  const { context, page } = await openPage();
  await bubble(page, 'Open chat').click();
  await sendFromVisitor(page, 'test me');
  const m = await a.waitFor((f) => f.type == 'message' && f.body == 'test me');
  const evil = '<img src=x onerror="window.__pwned=1"><b>bold</b><script>window.__pwned=2</script> javascript:alert(1)';
  a.send({ type: 'message', conversation_id: m.conversation_id, client_id: crypto.randomUUID(), body: evil });
  await until('the evil message', async () => (await bodies(page)).includes(evil));
  await sleep(300);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.locator('confab-widget .g img, confab-widget .g b, confab-widget .g script').count(), 0);
  await context.close();
});

test('isolation: aggressive host CSS (* { all: unset }, div { display: none }) does not break the widget', async () => {
  await connectAgent();
  const { context, page } = await openPage({ css: 'aggressive' });
  const b = bubble(page, 'Open chat');
  await b.waitFor();
  const box = await b.boundingBox();
  assert.ok(box && box.width >= 50 && box.height >= 50, 'bubble has its size');
  assert.ok(box.x > 900 && box.y > 650, `bubble bottom-right (${box.x},${box.y})`);
  await b.click();
  const input = composer(page);
  await input.waitFor();
  const ibox = await input.boundingBox();
  assert.ok(ibox && ibox.width > 150, 'composer visible');
  await page.screenshot({ path: artifact('aggressive-css.png') });
  const sbox = await sendButton(page).boundingBox();
  assert.ok(sbox && sbox.width > 20 && sbox.x + sbox.width <= 1024, `send button visible ${JSON.stringify(sbox)}`);
  // and nothing of the widget's CSS lands in the page: its styles live in the shadow root only
  assert.equal(await page.evaluate(() => document.querySelectorAll('style, link[rel=stylesheet]').length), 1);
  await page.screenshot({ path: artifact('aggressive-css.png') });
  await context.close();
});

test('consent: required consent blocks sending until given, and its time is stored', async () => {
  const a = await connectAgent();
  const consentSite = sites.consent;
  const { context, page } = await openPage({ key: consentSite.site_key });
  await bubble(page, 'Open chat').click();
  await page.getByText('We keep your messages for 30 days.').waitFor();
  // the send button says it is disabled; a click anyway only asks for the consent
  await sendFromVisitor(page, 'no consent yet', { force: true });
  await page.getByText('Please accept first.').waitFor();
  assert.equal(await page.evaluate(() => window.Confab.send('via the API without consent')), false);
  await sleep(700);
  assert.ok(!a.frames.some((f) => f.type == 'message' && /consent yet|without consent/.test(f.body || '')), 'nothing was sent');
  await page.getByRole('button', { name: 'I agree' }).click();
  await sendFromVisitor(page, 'with consent');
  const m = await a.waitFor((f) => f.type == 'message' && f.body == 'with consent');
  const v = await a.waitFor((f) => f.type == 'visitor' && f.visitor.id == m.sender.id && f.visitor.consent_at, 'the visitor with consent_at')
    .catch(() => null);
  const visitorId = v ? v.visitor.id : null;
  assert.ok(v, `consent_at reaches the agents (visitor ${visitorId})`);
  assert.ok(Math.abs(Date.parse(v.visitor.consent_at) - Date.now()) < 60000);
  await context.close();
});

test('offline: with no agent online the leave-a-message form is shown and reaches the agents', async () => {
  if (agent) { agent.close(); agent = null; }
  const offlineSite = sites.offline;
  await sleep(200);
  const { context, page } = await openPage({ key: offlineSite.site_key });
  await bubble(page, 'Open chat').click();
  await page.getByText('We are asleep.').waitFor();
  assert.equal(await page.locator('confab-widget .cp textarea').isVisible(), false, 'no chat composer');
  await page.getByRole('textbox', { name: 'Name' }).fill('Olga');
  await page.getByRole('textbox', { name: 'E-mail' }).fill('olga@example.org');
  await page.getByRole('textbox', { name: 'Message' }).fill('Please call me back.');
  await page.screenshot({ path: artifact('offline-form.png') });
  await page.getByRole('button', { name: 'Send the message' }).click();
  await page.getByText('Thank you! We will get back to you by e-mail.').waitFor();
  const a = await connectAgent();
  const f = await a.waitFor((x) => x.type == 'offline_message' && x.offline_message.email == 'olga@example.org');
  assert.equal(f.offline_message.body, 'Please call me back.');
  await context.close();
});

test('images: a pasted screenshot is previewed, uploaded with progress and shown as a thumbnail', async () => {
  const a = await connectAgent();
  const { context, page } = await openPage();
  await bubble(page, 'Open chat').click();
  await sendFromVisitor(page, 'here comes a screenshot');
  await a.waitFor((f) => f.type == 'message' && f.body == 'here comes a screenshot');
  await composer(page).focus();
  await page.evaluate(async () => {
    const canvas = document.createElement('canvas');
    canvas.width = 64; canvas.height = 48;
    const g = canvas.getContext('2d');
    g.fillStyle = '#c00'; g.fillRect(0, 0, 64, 48);
    const blob = await new Promise((r) => canvas.toBlob(r, 'image/png'));
    const data = new DataTransfer();
    data.items.add(new File([blob], 'screenshot.png', { type: 'image/png' }));
    const input = document.querySelector('confab-widget').shadowRoot.querySelector('textarea');
    input.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  });
  await page.locator('confab-widget .pv img').waitFor();
  await sendButton(page).click();
  const m = await a.waitFor((f) => f.type == 'message' && f.attachment, 'a message with an attachment', 15000);
  assert.equal(m.attachment.mime, 'image/png');
  await until('the thumbnail loaded', () => page.locator('confab-widget .g.v a img').last()
    .evaluate((img) => img.complete && img.naturalWidth > 0));
  assert.equal(await page.locator('confab-widget .g.v a').last().getAttribute('target'), '_blank');
  await context.close();
});

test('API: calls queued before load run once ready; open, send, close, toggle and events', async () => {
  const a = await connectAgent();
  const pre = 'window.events=[];window.Confab=window.Confab||{q:[]};' +
    "Confab.q.push(['on','ready',function(){events.push('ready')}]);" +
    "Confab.q.push(['on','opened',function(){events.push('opened')}]);" +
    "Confab.q.push(['on','closed',function(){events.push('closed')}]);" +
    "Confab.q.push(['on','message',function(m){events.push('message:'+m.body)}]);" +
    "Confab.q.push(['open']);Confab.q.push(['send','queued before load']);";
  const { context, page } = await openPage({ pre });
  await composer(page).waitFor();
  const m = await a.waitFor((f) => f.type == 'message' && f.body == 'queued before load');
  await until('ready and opened', () => page.evaluate(() => events.includes('ready') && events.includes('opened')));
  await page.evaluate(() => Confab.send('sent with Confab.send'));
  await a.waitFor((f) => f.type == 'message' && f.body == 'sent with Confab.send');
  a.send({ type: 'message', conversation_id: m.conversation_id, client_id: crypto.randomUUID(), body: 'an answer' });
  await until('message event', () => page.evaluate(() => events.includes('message:an answer')));
  await page.evaluate(() => Confab.close());
  assert.equal(await composer(page).isVisible(), false);
  await page.evaluate(() => Confab.toggle());
  assert.equal(await composer(page).isVisible(), true);
  assert.ok(await page.evaluate(() => events.includes('closed')));
  await context.close();
});

test('typing: the preview reaches the agent throttled; the agent typing shows as an indicator', async () => {
  const a = await connectAgent();
  const { context, page } = await openPage();
  await bubble(page, 'Open chat').click();
  await sendFromVisitor(page, 'first');
  const m = await a.waitFor((f) => f.type == 'message' && f.body == 'first');
  const before = a.frames.length;
  await composer(page).pressSequentially('where is my parcel', { delay: 20 });
  const last = await a.waitFor((f, i) => f.type == 'typing_preview' && f.text == 'where is my parcel', 'the full preview');
  const previews = a.frames.slice(before).filter((f) => f.type == 'typing_preview');
  assert.ok(previews.length >= 2 && previews.length < 18, `throttled: ${previews.length} previews for 18 keys`);
  assert.ok(last);
  a.send({ type: 'typing', conversation_id: m.conversation_id, active: true });
  await page.getByText('is typing').waitFor();
  await context.close();
});

test('typing: with previews off only "is typing" goes out, never the text', async () => {
  const a = await connectAgent();
  const quiet = sites.quiet;
  const { context, page } = await openPage({ key: quiet.site_key });
  await bubble(page, 'Open chat').click();
  await sendFromVisitor(page, 'hello');
  const m = await a.waitFor((f) => f.type == 'message' && f.body == 'hello' && f.site_id == quiet.id);
  await composer(page).pressSequentially('secret draft', { delay: 20 });
  const p = await a.waitFor((f) => f.type == 'typing_preview' && f.conversation_id == m.conversation_id && f.active);
  assert.ok(p.text == null || p.text == '', 'no preview text');
  await sleep(300);
  assert.ok(!a.frames.some((f) => f.type == 'typing_preview' && /secret/.test(f.text || '')));
  await context.close();
});

test('journey: page_view on load and on pushState / popstate', async () => {
  const a = await connectAgent();
  const { context, page } = await openPage();
  await a.waitFor((f) => f.type == 'visitor' && /\/page\?/.test((f.visitor.page && f.visitor.page.url) || ''));
  await page.evaluate(() => { history.pushState({}, '', '/pricing'); document.title = 'Pricing'; });
  await a.waitFor((f) => f.type == 'visitor' && f.visitor.page && /\/pricing$/.test(f.visitor.page.url), 'the pushState page');
  await page.evaluate(() => history.back());
  await a.waitFor((f) => f.type == 'visitor' && f.visitor.journey && f.visitor.journey.length >= 3, 'the popstate page');
  await context.close();
});

test('journey: a visitor clicking quickly through pages is never rate limited; agents get the last page', async () => {
  const a = await connectAgent();
  const { context, page } = await openPage();
  await a.waitFor((f) => f.type == 'visitor' && /\/page\?/.test((f.visitor.page && f.visitor.page.url) || ''));
  await until('the full widget', () => page.evaluate(() => !!(window.Confab && window.Confab._full)));
  await page.evaluate(() => { window.errors = []; Confab.on('error', (d) => errors.push(d && d.code)); });
  // with the relay's default limits (the harness leaves them alone): 12 pages in 3 s
  for (let i = 1; i <= 12; i++) {
    await page.evaluate((n) => { history.pushState({}, '', '/step/' + n); document.title = 'Step ' + n; }, i);
    await sleep(250);
  }
  const last = await a.waitFor((f) => f.type == 'visitor' && f.visitor.page && /\/step\/12$/.test(f.visitor.page.url), 'the last page');
  const urls = last.visitor.journey.map((p) => p.url);
  assert.deepEqual(urls.slice(-10).map((u) => u.replace(/^.*\/step\//, '')),
    ['3', '4', '5', '6', '7', '8', '9', '10', '11', '12'], 'every page is in the journey');
  assert.deepEqual(await page.evaluate(() => errors), [], 'no page view refused');
  await context.close();
});

test('accessibility: names, Escape, focus trap, German strings, full screen on a phone', async () => {
  const { context, page } = await openPage();
  await bubble(page, 'Open chat').click();
  await composer(page).waitFor();
  await page.getByText('We are online').waitFor();
  assert.ok(await page.getByRole('log').count() >= 1, 'a live log for messages');
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    const inside = await page.evaluate(() => {
      const root = document.querySelector('confab-widget').shadowRoot;
      return !!root.activeElement && root.querySelector('.p').contains(root.activeElement);
    });
    assert.ok(inside, 'focus stays in the panel');
  }
  await page.keyboard.press('Escape');
  assert.equal(await composer(page).isVisible(), false);
  assert.equal(await page.evaluate(() => document.querySelector('confab-widget').shadowRoot.activeElement.className), 'b');
  await context.close();

  const de = await openPage({}, { locale: 'de-DE' });
  await bubble(de.page, 'Chat öffnen').click();
  await composer(de.page, 'Nachricht').waitFor();
  assert.ok(await sendButton(de.page, 'Senden').isVisible());
  await de.context.close();

  const phone = await openPage({}, { viewport: { width: 375, height: 667 } });
  await bubble(phone.page, 'Open chat').click();
  const box = await phone.page.locator('confab-widget .p').boundingBox();
  assert.deepEqual([box.x, box.y, box.width, box.height], [0, 0, 375, 667]);
  await phone.context.close();
});

test('hello: bad pre-chat and consent fields get clear errors; good ones are stored', async () => {
  const { createRequire } = await import('node:module');
  const WebSocket = createRequire(new URL('../../widget/package.json', import.meta.url))('ws');
  const hello = async (extra) => {
    const ws = new WebSocket(`${relay.url.replace('http', 'ws')}/ws/widget?site_key=${site.site_key}`,
      { headers: { Origin: 'http://127.0.0.1:9' } });
    const frames = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    await new Promise((ok, fail) => { ws.once('open', ok); ws.once('error', fail); });
    ws.send(JSON.stringify({ type: 'hello', visitor_id: null, visitor_token: null, ...extra }));
    const f = await until('an answer to hello', () => frames.find((x) => x.type == 'welcome' || x.type == 'error'));
    ws.close();
    return f;
  };
  for (const [extra, code] of [
    [{ consent: { given_at: 'yesterday' } }, 'invalid_value'],
    [{ consent: {} }, 'missing_field'],
    [{ consent: 'yes' }, 'invalid_field'],
    [{ email: 'not an address' }, 'invalid_value'],
    [{ name: '' }, 'invalid_value'],
    [{ name: 'x'.repeat(101) }, 'invalid_value'],
    [{ email: 42 }, 'invalid_field'],
  ]) {
    const f = await hello(extra);
    assert.equal(f.type, 'error', JSON.stringify(extra));
    assert.equal(f.code, code, JSON.stringify(extra) + ': ' + f.message);
  }
  const a = await connectAgent();
  const future = new Date(Date.now() + 86400000).toISOString();
  const ok = await hello({ name: 'Zoe', email: 'zoe@example.org', consent: { given_at: future } });
  assert.equal(ok.type, 'welcome');
  const v = await a.waitFor((f) => f.type == 'visitor' && f.visitor.id == ok.visitor_id && f.visitor.consent_at);
  assert.equal(v.visitor.name, 'Zoe');
  assert.equal(v.visitor.email, 'zoe@example.org');
  assert.ok(Date.parse(v.visitor.consent_at) <= Date.now() + 1000, 'a consent time in the future is taken as now');
});
