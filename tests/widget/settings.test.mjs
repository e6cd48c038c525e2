// SPDX-License-Identifier: GPL-3.0-or-later
// The widget's per-site settings in headless Chromium, against the real relay, on a host page of
// another origin: colour, position and offsets, placeholder, the site's locale, auto-open, show
// and hide on URL patterns, a page outside the site's domains, the pre-chat form, working hours,
// the rating after resolution and the fingerprint. Run by meson (tests/meson.build) with node's
// test runner.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Relay, Agent, createSite, startHost, launchBrowser, artifact, until, sleep,
  bubble, composer, sendButton, openPage, hostUrl,
} from './harness.mjs';

let relay, host, browser, token, agent;

before(async () => {
  relay = new Relay();
  await relay.start();
  token = await relay.createAgent();
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

const open = (site, path, params, options) => openPage(browser, hostUrl(host, site, path, params), options);
const shadow = (page, fn, arg) => page.evaluate(([f, a]) =>
  new Function('root', 'arg', 'return (' + f + ')(root, arg)')(document.querySelector('confab-widget').shadowRoot, a), [fn.toString(), arg]);

test('config: public settings only, with ETag and Cache-Control, for any origin', async () => {
  const site = await createSite(relay, token, 'Configured shop', { color: '#123456', welcome_message: 'Hi' });
  const r = await relay.http('GET', `/api/v1/widget/config?site_key=${site.site_key}`, null, null, { Origin: host.url });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('cache-control'), /max-age=\d+/);
  assert.ok(r.headers.get('etag'));
  assert.equal(r.headers.get('access-control-allow-origin'), '*');
  assert.deepEqual(Object.keys(r.body).sort(), ['assistant', 'email_transcript', 'help', 'name', 'settings', 'site_key', 'team', 'triggers']);
  // issue 16: only the assistant's name and whether it answers (this relay has none)
  assert.deepEqual(r.body.assistant, { enabled: false, name: 'Assistant' });
  assert.equal(r.body.help, false, 'no published articles: no Help tab');
  // this relay has no [email]: the widget offers no transcript by mail
  assert.equal(r.body.email_transcript, false);
  assert.equal(r.body.settings.color, '#123456');
  assert.ok(!JSON.stringify(r.body).includes(site.id), 'no internal ids');
  const again = await relay.http('GET', `/api/v1/widget/config?site_key=${site.site_key}`, null, null, { 'If-None-Match': r.headers.get('etag') });
  assert.equal(again.status, 304);
});

test('domains: a page outside the site\'s domains gets no configuration and no bubble', async () => {
  const moved = await createSite(relay, token, 'Moving shop');
  const first = await open(moved, '/page');
  await bubble(first.page).waitFor();
  // what the bootstrap keeps to draw the bubble at once next time
  const kept = await first.page.evaluate(() => Object.entries(localStorage).filter(([k]) => k.endsWith(':cfg')));
  assert.equal(kept.length, 1);
  await first.context.close();

  // the shop moves elsewhere: this page's origin is no longer among its domains
  const r = await relay.http('PATCH', `/api/v1/sites/${moved.id}`, { domains: ['*.shop.example'] }, token);
  assert.equal(r.status, 200);
  const refused = await relay.http('GET', `/api/v1/widget/config?site_key=${moved.site_key}`, null, null, { Origin: host.url });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.error.code, 'origin_not_allowed');

  // the bubble drawn from the kept config goes when the relay says no (a new context: the HTTP
  // cache may keep a config a minute; localStorage is carried over)
  const context = await browser.newContext();
  await context.addInitScript(([k, v]) => { try { localStorage.setItem(k, v); } catch (e) { /* about:blank */ } }, kept[0]);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  const config = page.waitForResponse((res) => res.url().includes('/api/v1/widget/config'));
  await page.goto(hostUrl(host, moved, '/page'));
  assert.equal((await config).status(), 403);
  await until('the widget gone', async () => (await page.locator('confab-widget').count()) == 0);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('look: the site colour, bottom-left with offsets, the placeholder and the site locale', async () => {
  const site = await createSite(relay, token, 'Boutique', {
    color: '#aa2200', position: 'bottom-left', offset_x: 30, offset_y: 40, placeholder: 'Posez votre question', locale: 'fr',
  });
  const { context, page } = await open(site);
  const b = bubble(page, 'Ouvrir le chat');
  await b.waitFor();
  const box = await b.boundingBox();
  // 20 px from the edge by default, plus the site's offsets
  assert.deepEqual([box.x, box.y + box.height], [50, 768 - 60]);
  assert.equal(await shadow(page, (root) => getComputedStyle(root.querySelector('.b')).backgroundColor), 'rgb(170, 34, 0)');
  await b.click();
  const input = composer(page, 'Message');
  await input.waitFor();
  assert.equal(await input.getAttribute('placeholder'), 'Posez votre question');
  assert.ok(await sendButton(page, 'Envoyer').isVisible());
  assert.ok(await page.getByRole('button', { name: 'Fermer le chat' }).first().isVisible());
  const panel = await page.locator('confab-widget .p').boundingBox();
  assert.equal(panel.x, 50, 'the panel opens on the left too');
  assert.equal(await shadow(page, (root) => getComputedStyle(root.querySelector('.hd')).backgroundColor), 'rgb(170, 34, 0)');
  await page.screenshot({ path: artifact('settings-left-fr.png') });
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('auto-open: the chat opens by itself after the delay, once per browser session', async () => {
  const site = await createSite(relay, token, 'Eager shop', { auto_open_delay: 1 });
  // The delay runs from the page's own start, so that is where it is measured from: a time
  // taken here, after the page has loaded, comes late on a busy machine.
  const pre = "window.pageStart=Date.now();window.events=[];window.Confab=window.Confab||{q:[]};Confab.q.push(['on','opened',function(){events.push(Date.now())}]);";
  const { context, page } = await open(site, '/page', { pre });
  await bubble(page, 'Open chat').waitFor();
  assert.equal(await composer(page).isVisible(), false, 'not open at once');
  await composer(page).waitFor({ timeout: 5000 });
  const [openedAt, t0] = await page.evaluate(() => [window.events[0], window.pageStart]);
  assert.ok(openedAt - t0 >= 1000, `opened ${openedAt - t0} ms after the page started, not before the delay`);
  await page.keyboard.press('Escape');
  // the same session: a reload does not open it again
  await page.reload();
  await bubble(page, 'Open chat').waitFor();
  await sleep(2000);
  assert.equal(await composer(page).isVisible(), false, 'opened once per session only');
  assert.deepEqual(await page.evaluate(() => window.events), []);
  await context.close();
});

test('show_on / hide_on: the bubble follows the URL patterns, also on single-page-app navigation', async () => {
  const shop = await createSite(relay, token, 'Shop pages only', { show_on: ['/shop/*'] });
  const hidden = await createSite(relay, token, 'No chat at checkout', { hide_on: ['*/checkout*'] });
  const shown = async (page) => {
    await page.locator('confab-widget').waitFor({ state: 'attached' });
    await sleep(150);   // a navigation is applied 50 ms after pushState
    return bubble(page, 'Open chat').isVisible();
  };

  let { context, page } = await open(shop, '/page');
  assert.equal(await shown(page), false, 'not on /page');
  await page.evaluate(() => history.pushState({}, '', '/shop/scarves'));
  assert.equal(await shown(page), true, 'shown after pushState to /shop/scarves');
  await page.evaluate(() => history.back());
  assert.equal(await shown(page), false, 'hidden again after popstate');
  await context.close();

  ({ context, page } = await open(shop, '/shop/hats'));
  assert.equal(await shown(page), true, 'shown on /shop/hats');
  await context.close();

  ({ context, page } = await open(hidden, '/checkout/pay'));
  assert.equal(await shown(page), false, 'hidden on /checkout/pay');
  await page.evaluate(() => history.pushState({}, '', '/thanks'));
  assert.equal(await shown(page), true, 'shown on /thanks');
  await context.close();
});

test('pre-chat required: name and e-mail before the chat; they reach the agents', async () => {
  const site = await createSite(relay, token, 'Formal shop', { prechat: 'required' });
  const { context, page } = await open(site);
  await bubble(page, 'Open chat').click();
  await page.getByText('Before we start, who are you?').waitFor();
  assert.equal(await composer(page).isVisible(), false, 'no composer before the form');
  assert.equal(await page.evaluate(() => Confab.send('no form yet')), false);
  const name = page.getByRole('textbox', { name: 'Name' });
  const email = page.getByRole('textbox', { name: 'E-mail' });
  assert.equal(await name.getAttribute('maxlength'), '100', 'no longer than the relay takes');
  assert.equal(await page.getByRole('button', { name: 'Skip' }).count(), 0, 'no skipping when required');
  // empty: the form stays
  await page.getByRole('button', { name: 'Start the chat' }).click();
  await sleep(300);
  assert.equal(await composer(page).isVisible(), false);
  await name.fill('Olga');
  await email.fill('olga@example.org');
  await page.getByRole('button', { name: 'Start the chat' }).click();
  await composer(page).waitFor();
  await composer(page).fill('hello from Olga');
  await sendButton(page).click();
  const m = await agent.waitFor((f) => f.type == 'message' && f.body == 'hello from Olga');
  const v = await agent.waitFor((f) => f.type == 'visitor' && f.visitor.id == m.sender.id && f.visitor.name == 'Olga', 'the visitor with a name');
  assert.equal(v.visitor.email, 'olga@example.org');
  assert.ok(!agent.frames.some((f) => f.type == 'message' && f.body == 'no form yet'));
  await context.close();
});

test('pre-chat optional: can be skipped; a stored name the relay refuses does not break the chat', async () => {
  const site = await createSite(relay, token, 'Relaxed shop', { prechat: 'optional' });
  let { context, page } = await open(site);
  await bubble(page, 'Open chat').click();
  await page.getByText('Before we start, who are you?').waitFor();
  await page.getByRole('button', { name: 'Skip' }).click();
  await composer(page).fill('anonymous hello');
  await sendButton(page).click();
  const m = await agent.waitFor((f) => f.type == 'message' && f.body == 'anonymous hello');
  assert.ok(!agent.frames.some((f) => f.type == 'visitor' && f.visitor.id == m.sender.id && f.visitor.name));
  await context.close();

  // A profile the relay refuses (stored by an older widget, or edited by hand): the widget
  // forgets it and asks again instead of failing every hello forever.
  ({ context, page } = await open(site));
  await page.evaluate((k) => localStorage.setItem(`confab:${k}:profile`, JSON.stringify({ name: 'x'.repeat(150), prechat: 1 })), site.site_key);
  await page.reload();
  await bubble(page, 'Open chat').click();
  await page.getByText('Before we start, who are you?').waitFor();
  await page.getByRole('button', { name: 'Skip' }).click();
  await composer(page).fill('after a bad profile');
  await sendButton(page).click();
  await agent.waitFor((f) => f.type == 'message' && f.body == 'after a bad profile', 'the message after a refused hello');
  await context.close();
});

test('working hours: outside them the offline message and the form, inside them the chat', async () => {
  const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
  const today = days[new Date().getUTCDay()];
  const other = days[(new Date().getUTCDay() + 3) % 7];
  const closed = await createSite(relay, token, 'Closed today', {
    offline_message: 'Back on another day.', working_hours: { timezone: 'UTC', days: { [other]: ['09:00-17:00'] } },
  });
  const openSite = await createSite(relay, token, 'Open all day', { working_hours: { timezone: 'UTC', days: { [today]: ['00:00-24:00'] } } });

  let { context, page } = await open(closed);
  await bubble(page, 'Open chat').click();
  await page.getByText('Back on another day.').waitFor();
  assert.ok(await page.getByText('We are offline').isVisible(), 'the status says offline although an agent is connected');
  assert.ok(await page.getByRole('button', { name: 'Send the message' }).isVisible(), 'the leave-a-message form');
  assert.equal(await page.locator('confab-widget .cp').isVisible(), false, 'no chat composer');
  await page.screenshot({ path: artifact('offline-hours.png') });
  await context.close();

  ({ context, page } = await open(openSite));
  await bubble(page, 'Open chat').click();
  await page.getByText('We are online').waitFor();
  assert.ok(await composer(page).isVisible());
  await context.close();
});

test('rating: 1–5 and a comment once the conversation is resolved; stored and shown once', async () => {
  const site = await createSite(relay, token, 'Rated shop');
  const { context, page } = await open(site);
  await bubble(page, 'Open chat').click();
  await composer(page).fill('my parcel is late');
  await sendButton(page).click();
  const m = await agent.waitFor((f) => f.type == 'message' && f.body == 'my parcel is late');
  agent.send({ type: 'set_status', conversation_id: m.conversation_id, status: 'resolved' });
  await page.getByText('How did we do?').waitFor();
  const stars = page.getByRole('button', { name: /^\d of 5$/ });
  assert.equal(await stars.count(), 5);
  // no score yet: nothing is sent
  await page.getByRole('button', { name: 'Send the rating' }).click();
  await page.getByRole('button', { name: '4 of 5' }).click();
  assert.equal(await page.getByRole('button', { name: '4 of 5' }).getAttribute('aria-pressed'), 'true');
  assert.equal(await page.getByRole('button', { name: '5 of 5' }).getAttribute('aria-pressed'), 'false');
  await page.getByRole('textbox', { name: 'Comment (optional)' }).fill('Quick answer');
  await page.screenshot({ path: artifact('rating.png') });
  await page.getByRole('button', { name: 'Send the rating' }).click();
  await page.getByText('Thank you for your feedback!').waitFor();
  // the agents hear of it once it is stored, which may be a moment after the widget thanks
  await agent.waitFor((f) => f.type == 'rating' && f.conversation_id == m.conversation_id);
  await sleep(300);
  const ratings = agent.frames.filter((f) => f.type == 'rating' && f.conversation_id == m.conversation_id);
  assert.equal(ratings.length, 1, 'one rating, none for the click without a score');
  assert.deepEqual([ratings[0].score, ratings[0].comment], [4, 'Quick answer']);
  // it is a stored event: a new agent connection replays it
  const late = await new Agent(relay, token).connect();
  assert.ok(late.frames.some((f) => f.type == 'rating' && f.conversation_id == m.conversation_id && f.score == 4));
  late.close();
  // rated: a reload does not ask again
  await page.reload();
  await bubble(page, 'Open chat').click();
  await page.getByText('my parcel is late').waitFor();
  await sleep(300);
  assert.equal(await page.getByText('How did we do?').count(), 0);
  await context.close();
});

test('fingerprint: a SHA-256 hash in hello only where the site enables it', async () => {
  const on = await createSite(relay, token, 'Fingerprinting shop', { fingerprint: true });
  const off = await createSite(relay, token, 'Plain shop');
  const requests = [];
  const hello = async (site) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const sent = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('websocket', (ws) => ws.on('framesent', (f) => { try { sent.push(JSON.parse(f.payload)); } catch (e) { /* not JSON */ } }));
    await page.goto(hostUrl(host, site));
    await bubble(page, 'Open chat').click();
    const h = await until('the hello frame', () => sent.find((f) => f.type == 'hello'));
    await context.close();
    return h;
  };
  const withFp = await hello(on);
  assert.match(withFp.fingerprint || '', /^[0-9a-f]{64}$/);
  const again = await hello(on);
  assert.equal(again.fingerprint, withFp.fingerprint, 'stable in the same browser');
  const without = await hello(off);
  assert.equal(without.fingerprint, undefined, 'no fingerprint unless the site enables it');
  // no third-party service: every request of the page goes to the host page or the relay
  const foreign = requests.filter((u) => !u.startsWith(host.url + '/') && !u.startsWith(relay.url + '/'));
  assert.deepEqual(foreign, []);
});
