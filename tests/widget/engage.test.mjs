// SPDX-License-Identifier: GPL-3.0-or-later
// Proactive triggers and goals (issue 16) in headless Chromium, against the real relay, on a host
// page of another origin: a greeting comes after N seconds on a matching page, opens the panel
// without taking the focus, asks for the e-mail, comes once per visit (not again after a reload),
// becomes the conversation's first message when the visitor answers; never while the visitor
// types, never on a page that does not match; Confab.track() records a goal on the visitor.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Relay, Agent, createSite, startHost, launchBrowser, artifact, until, sleep,
  composer, openPage, hostUrl,
} from './harness.mjs';

let relay, host, browser, token, agent, me;

const trigger = async (site, body) => {
  const r = await relay.http('POST', `/api/v1/sites/${site.id}/triggers`, body, token);
  assert.equal(r.status, 201, r.text);
  return r.body;
};
const greetingText = (page) => page.locator('confab-widget .m .g .x').allTextContents();
const panelOpen = (page) => page.locator('confab-widget').evaluate((h) => {
  const p = h.shadowRoot && h.shadowRoot.querySelector('[role=dialog]');
  return !!p && !p.hidden;
});

before(async () => {
  relay = new Relay();
  await relay.start();
  token = await relay.createAgent();
  const m = (await relay.http('GET', '/api/v1/me', null, token)).body;
  me = m.user || m;
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

test('a greeting after N seconds on a matching page, politely, once per visit', async () => {
  const site = await createSite(relay, token, 'Pricing shop');
  await trigger(site, {
    name: 'Pricing help', conditions: { url: '*/pricing*', seconds_on_page: 2 },
    message: { en: 'Questions about our plans?', de: 'Fragen zu unseren Tarifen?' },
    sender: { type: 'agent', agent_id: me.id }, ask_email: true,
  });
  const url = hostUrl(host, site, '/pricing');
  const started = Date.now();
  const { context, page } = await openPage(browser, url);

  await until('the greeting', async () => (await greetingText(page)).some((x) => x.includes('Questions about our plans?')), 15000);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 2000, `not before the 2 seconds (${elapsed} ms)`);
  assert.equal(await panelOpen(page), true, 'the panel opened');
  // politely: the page keeps its focus
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.tagName), 'BODY');
  // from the agent, by name, with the e-mail field
  assert.match(await page.locator('confab-widget .m .g').last().textContent(), /Anna/);
  const email = page.getByRole('textbox', { name: 'Your e-mail, so that we can reach you' });
  assert.equal(await email.isVisible(), true);
  await page.screenshot({ path: artifact('greeting.png') });

  // the e-mail reaches the visitor's record
  await email.fill('lead@example.com');
  await page.getByRole('button', { name: 'Send', exact: true }).first().click();
  await until('thanks', async () => /Thank you! We will write to you/.test(await page.locator('confab-widget .m').textContent()));
  await until('the e-mail stored', async () => {
    const r = await relay.http('GET', `/api/v1/sites/${site.id}/visitors`, null, token);
    return r.body.visitors.some((v) => v.email == 'lead@example.com');
  });

  // the visitor answers: the greeting is the conversation's first message
  await composer(page).fill('Yes: what does Pro cost?');
  await composer(page).press('Enter');
  const first = await agent.waitFor((f) => f.type == 'message' && f.site_id == site.id && f.seq == 1, 'seq 1');
  assert.equal(first.body, 'Questions about our plans?');
  assert.equal(first.sender.type, 'agent');
  const second = await agent.waitFor((f) => f.type == 'message' && f.site_id == site.id && f.seq == 2, 'seq 2');
  assert.equal(second.body, 'Yes: what does Pro cost?');
  await until('the stored greeting shown once', async () =>
    (await greetingText(page)).filter((x) => x.includes('Questions about our plans?')).length == 1);

  const analytics = await relay.http('GET', `/api/v1/sites/${site.id}/analytics?tz=UTC`, null, token);
  assert.equal(analytics.status, 200, analytics.text);
  assert.equal(analytics.body.triggers.fired, 1, 'one greeting');
  assert.equal(analytics.body.triggers.conversations, 1);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('never while the visitor types, never on a page that does not match', async () => {
  const site = await createSite(relay, token, 'Busy shop');
  await trigger(site, {
    name: 'Anywhere', conditions: { url: '*/page*', seconds_on_page: 1 },
    message: 'Can we help?', sender: { type: 'assistant' },
  });
  await trigger(site, {
    name: 'Elsewhere', conditions: { url: '*/checkout*' },
    message: 'Checkout help', sender: { type: 'assistant' },
  });
  const { context, page } = await openPage(browser, hostUrl(host, site, '/page'));
  await page.locator('h1').click();

  // typing for 5 seconds, a key every 400 ms: nothing
  const end = Date.now() + 5000;
  while (Date.now() < end) {
    await page.keyboard.press('a');
    await sleep(400);
  }
  assert.deepEqual((await greetingText(page)).filter((x) => x.includes('Can we help?')), [], 'no greeting while typing');
  assert.equal(await panelOpen(page), false);

  // quiet now: it comes, from the assistant
  await until('the greeting', async () => (await greetingText(page)).some((x) => x.includes('Can we help?')), 15000);
  assert.match(await page.locator('confab-widget .m .g').last().textContent(), /Assistant/);
  // the checkout trigger does not match this page
  assert.deepEqual((await greetingText(page)).filter((x) => x.includes('Checkout help')), []);

  // once per visit: the next page of the visit, as long on it, brings none
  const page2 = await context.newPage();
  await page2.goto(hostUrl(host, site, '/page'));
  await until('the chat loaded', async () => page2.evaluate(() => !!(window.Confab && window.Confab._full)), 15000);
  await sleep(3000);
  assert.deepEqual((await greetingText(page2)).filter((x) => x.includes('Can we help?')), [], 'not twice');
  assert.equal(await panelOpen(page2), false);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('Confab.track records a goal on the visitor', async () => {
  const site = await createSite(relay, token, 'Goal shop');
  const { context, page } = await openPage(browser, hostUrl(host, site, '/thanks'));
  await page.evaluate(() => window.Confab.track('purchase', { value: 49.9 }));
  await page.evaluate(() => window.Confab.track('newsletter'));
  const visitor = await until('the goals', async () => {
    const r = await relay.http('GET', `/api/v1/sites/${site.id}/visitors`, null, token);
    const v = r.body.visitors[0];
    return v && v.goals.length == 2 && v;
  }, 15000);
  assert.equal(visitor.goals[1].name, 'purchase');
  assert.equal(visitor.goals[1].value, 49.9);
  assert.equal(visitor.goals[0].value, null);
  assert.equal(visitor.lead_score >= 20, true, 'a goal counts 20');
  assert.deepEqual(page.errors, []);
  await context.close();
});
