// SPDX-License-Identifier: GPL-3.0-or-later
// The assistant in the widget (issue 16) in headless Chromium, against the real relay and a local
// OpenAI-compatible stand-in (tests/openai-standin.py): the answer streams into a draft bubble
// that the stored message replaces, it is labelled "Assistant", its sources are links to the
// help centre (an FAQ's is text), and "Talk to a person" is one click under it; votes on an
// answer ("was this helpful") reach the analytics; a draft the relay drops goes away.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import {
  Relay, SOURCE_ROOT, createSite, setSettings, startHost, launchBrowser, artifact, until, axeScan,
  bubble, composer, openPage, hostUrl, Agent,
} from './harness.mjs';

const REPLY = 'Standard shipping takes 3 to 5 working days in Europe, and we ship worldwide.';
let standin, standinPort, relay, host, browser, token, site;

const startStandin = () => new Promise((ok, fail) => {
  standin = spawn('python3', [join(SOURCE_ROOT, 'tests', 'openai-standin.py')], { stdio: ['ignore', 'pipe', 'inherit'] });
  standin.on('error', fail);
  createInterface({ input: standin.stdout }).once('line', (line) => {
    const m = /^PORT (\d+)$/.exec(line);
    if (m) ok(+m[1]); else fail(new Error('stand-in: ' + line));
  });
});

const standinCall = async (method, path, body) => {
  const r = await fetch(`http://127.0.0.1:${standinPort}${path}`, {
    method, headers: { 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
  });
  assert.equal(r.status, 200);
  return r.json();
};

before(async () => {
  standinPort = await startStandin();
  relay = new Relay(['[assistant]', `url=http://127.0.0.1:${standinPort}/v1/chat/completions`, 'model=standin',
                     'timeout-seconds=5', '[help]', 'public-url=https://help.example.test']);
  await relay.start();
  token = await relay.createAgent();
  site = await createSite(relay, token, 'Shop');
  let r = await relay.http('POST', `/api/v1/sites/${site.id}/faqs`,
    { question: 'What are your shipping times?', answer: 'Standard shipping takes 3 to 5 working days.' }, token);
  assert.equal(r.status, 201, r.text);
  r = await relay.http('POST', `/api/v1/sites/${site.id}/articles`,
    { title: 'Shipping and delivery', slug: 'shipping', published: true,
      body: 'We ship worldwide. Shipping takes 3 to 5 working days in Europe.' }, token);
  assert.equal(r.status, 201, r.text);
  await setSettings(relay, token, site.id, { assistant: { enabled: true, name: 'Ava' } });
  await standinCall('POST', '/control', { mode: 'stream', reply: REPLY });
  host = await startHost(relay);
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (host) await host.close();
  if (relay) { await relay.stop(); relay.cleanup(); }
  if (standin) standin.kill();
});

// The bot's notice that nobody of the team can take over: under the site's bot name (@name), the
// e-mail field, and neither the "Assistant" label nor "Was this helpful?" — it answered nothing.
const assertNobodyNotice = async (page, name) => {
  const notice = page.locator('confab-widget .g', { hasText: 'Nobody of the team is available right now.' });
  await until('the notice', async () => (await notice.count()) == 1);
  assert.equal(await notice.getByLabel('Leave your e-mail and we\'ll get back to you').count(), 1, 'the e-mail field');
  assert.equal(await notice.locator('.ai').count(), 0, 'no "Assistant" label');
  assert.equal(await notice.locator('.src').count(), 0, 'no sources');
  assert.equal(await notice.getByRole('group', { name: 'Was this helpful?' }).count(), 0, 'no vote');
  assert.match(await notice.locator('.f').textContent(), name);
};

test('the assistant streams its answer, labelled, with its sources and a way to a person', async () => {
  const { context, page } = await openPage(browser, hostUrl(host, site));
  await bubble(page, 'Open chat').click();
  // nobody of the team is online, yet with the assistant on the visitor may ask (no offline form);
  // the Help tab comes first on a site with articles: the chat is one tab away
  const chatTab = page.getByRole('tab', { name: 'Chat' });
  if (await chatTab.count()) await chatTab.click();
  await until('composer', async () => composer(page).isVisible());
  await composer(page).fill('How long does shipping take?');
  await composer(page).press('Enter');

  // the draft grows while the model writes
  const draft = page.locator('confab-widget .g.dr .x');
  try {
    await until('a draft', async () => (await draft.count()) == 1 && (await draft.textContent()).length > 0);
  } catch (e) {
    await page.screenshot({ path: artifact('assistant-debug.png') });
    console.error('no draft; the list:', await page.locator('confab-widget .m').textContent(), 'requests:', JSON.stringify(await standinCall('GET', '/requests')).slice(0, 300));
    throw e;
  }
  const partial = await draft.textContent();
  assert.ok(REPLY.startsWith(partial), `"${partial}" begins the answer`);
  assert.ok(partial.length < REPLY.length, 'the draft shows part of the answer first');

  // then the stored answer takes its place: one bubble, not two
  const label = page.locator('confab-widget .g .ai');
  await until('the stored answer', async () => (await draft.count()) == 0 && (await label.count()) == 1);
  const answer = page.locator('confab-widget .g', { has: page.locator('.ai') });
  assert.equal(await answer.locator('.x').textContent(), REPLY);
  assert.equal(await label.textContent(), 'Assistant');
  assert.match(await answer.locator('.f').textContent(), /Ava/);
  assert.equal(await page.locator('confab-widget .g .x', { hasText: 'Standard shipping takes 3 to 5 working days in Europe' }).count(), 1);

  const link = answer.locator('.src a');
  assert.equal(await link.count(), 1);
  assert.equal(await link.textContent(), 'Shipping and delivery');
  assert.equal(await link.getAttribute('href'), `https://help.example.test/help/${site.site_key}/shipping`);
  assert.equal(await link.getAttribute('target'), '_blank');
  assert.equal(await answer.locator('.src span').textContent(), 'What are your shipping times?');
  await page.screenshot({ path: artifact('assistant-answer.png') });
  const violations = (await axeScan(page)).filter((v) => v.impact == 'serious' || v.impact == 'critical');
  assert.deepEqual(violations.map((v) => v.id + ': ' + v.nodes.map((n) => n.target).join(' ')), [], 'axe: nothing serious');

  // a person, in one click
  await answer.getByRole('button', { name: 'Talk to a person' }).click();
  await until('the team is asked', async () =>
    (await page.locator('confab-widget .g.s .x', { hasText: 'The visitor asked for a person' }).count()) == 1);
  // nobody of the team online: Ava says so and asks for an e-mail, a notice, not an answer
  await assertNobodyNotice(page, /Ava/);
  assert.equal((await standinCall('GET', '/requests')).length, 1);
  assert.deepEqual(page.errors, []);
  await context.close();
});


// A new visitor asks about shipping; resolves when the chat is open and the question sent.
const ask = async (page) => {
  await bubble(page, 'Open chat').click();
  const chatTab = page.getByRole('tab', { name: 'Chat' });
  if (await chatTab.count()) await chatTab.click();
  await until('composer', async () => composer(page).isVisible());
  await composer(page).fill('How long does shipping take?');
  await composer(page).press('Enter');
};

const assistantCounts = async () => {
  const r = await relay.http('GET', `/api/v1/sites/${site.id}/analytics`, null, token);
  assert.equal(r.status, 200, r.text);
  return r.body.assistant;
};

test('"was this helpful": one vote per answer, changeable, shown as chosen, counted by the relay', async () => {
  await standinCall('POST', '/control', { mode: 'fast', reply: REPLY });
  const { context, page } = await openPage(browser, hostUrl(host, site));
  await ask(page);
  const answer = page.locator('confab-widget .g', { has: page.locator('.ai') });
  await until('the stored answer', async () => (await answer.count()) == 1 && (await page.locator('confab-widget .g.dr').count()) == 0);
  const votes = answer.getByRole('group', { name: 'Was this helpful?' });
  const yes = votes.getByRole('button', { name: 'Yes, helpful' });
  const no = votes.getByRole('button', { name: 'No, not helpful' });
  assert.equal(await yes.getAttribute('aria-pressed'), 'false');
  assert.equal(await no.getAttribute('aria-pressed'), 'false');
  const before = await assistantCounts();

  await yes.click();
  assert.equal(await yes.getAttribute('aria-pressed'), 'true');
  assert.equal(await no.getAttribute('aria-pressed'), 'false');
  await until('the vote counted', async () => (await assistantCounts()).helpful == before.helpful + 1);
  await page.screenshot({ path: artifact('assistant-vote.png') });
  const violations = (await axeScan(page)).filter((v) => v.impact == 'serious' || v.impact == 'critical');
  assert.deepEqual(violations.map((v) => v.id + ': ' + v.nodes.map((n) => n.target).join(' ')), [], 'axe: nothing serious');

  // another tab of the same visitor, open meanwhile, shows the answer as voted
  const other = await context.newPage();
  other.errors = [];
  other.on('pageerror', (e) => other.errors.push(e.message));
  await other.goto(hostUrl(host, site));
  await bubble(other, 'Open chat').click();
  if (await other.getByRole('tab', { name: 'Chat' }).count()) await other.getByRole('tab', { name: 'Chat' }).click();
  const otherNo = other.locator('confab-widget .g', { has: other.locator('.ai') }).getByRole('button', { name: 'No, not helpful' });
  await until('the answer in the other tab', async () => (await otherNo.count()) == 1);
  assert.equal(await otherNo.getAttribute('aria-pressed'), 'false');

  // changing one's mind replaces the vote: still one per answer
  await no.click();
  assert.equal(await no.getAttribute('aria-pressed'), 'true');
  assert.equal(await yes.getAttribute('aria-pressed'), 'false');
  await until('the vote changed', async () => {
    const c = await assistantCounts();
    return c.helpful == before.helpful && c.unhelpful == before.unhelpful + 1;
  });
  // the relay told the other tab
  await until('the other tab shows the vote', async () => (await otherNo.getAttribute('aria-pressed')) == 'true');
  assert.deepEqual(other.errors, []);
  await other.close();

  // the next page shows the choice, from the relay: this browser's own copy of the votes is gone
  // (as in another browser of the same visitor)
  await page.evaluate((k) => localStorage.removeItem('confab:' + k + ':votes'), site.site_key);
  await page.reload();
  await bubble(page, 'Open chat').click();
  const chatTab = page.getByRole('tab', { name: 'Chat' });
  if (await chatTab.count()) await chatTab.click();
  const again = page.locator('confab-widget .g', { has: page.locator('.ai') }).getByRole('button', { name: 'No, not helpful' });
  await until('the answer again', async () => (await again.count()) == 1);
  assert.equal(await again.getAttribute('aria-pressed'), 'true');
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('a draft the assistant drops (the model failed mid-answer) goes away; the FAQ bot answers', async () => {
  await standinCall('POST', '/control', { mode: 'cut', reply: REPLY + ' ' + REPLY + ' ' + REPLY });
  const { context, page } = await openPage(browser, hostUrl(host, site));
  await ask(page);
  const draft = page.locator('confab-widget .g.dr');
  await until('a draft', async () => (await draft.count()) == 1);
  // retracted, and the FAQ's answer in its place: no half answer left behind
  const faq = page.locator('confab-widget .g .x', { hasText: 'Standard shipping takes 3 to 5 working days.' });
  await until('the FAQ bot answers', async () => (await faq.count()) == 1);
  await until('no draft', async () => (await draft.count()) == 0);
  assert.equal(await page.locator('confab-widget .g .ai').count(), 0, 'no answer of the assistant');
  assert.equal(await page.locator('confab-widget .g .x', { hasText: 'in Europe' }).count(), 0, 'no part of the dropped answer');
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('nobody of the team online: "I don\'t know" asks for an e-mail, which lands on the visitor and is not asked again', async () => {
  const { context, page } = await openPage(browser, hostUrl(host, site));
  await bubble(page, 'Open chat').click();
  const chatTab = page.getByRole('tab', { name: 'Chat' });
  if (await chatTab.count()) await chatTab.click();
  await until('composer', async () => composer(page).isVisible());
  await composer(page).fill('Can I pay with seashells on Jupiter?');
  await composer(page).press('Enter');

  // the field, under the assistant's answer, in place of "Talk to a person"
  const answer = page.locator('confab-widget .g', { hasText: 'nobody of the team is available' });
  await until('the answer', async () => (await answer.count()) == 1);
  assert.equal(await answer.locator('.ai').count(), 1, 'the assistant\'s');
  assert.equal(await answer.getByRole('button', { name: 'Talk to a person' }).count(), 0);
  const email = answer.getByLabel('Leave your e-mail and we\'ll get back to you');
  assert.equal(await email.count(), 1);
  await page.screenshot({ path: artifact('assistant-ask-email.png') });
  const violations = (await axeScan(page)).filter((v) => v.impact == 'serious' || v.impact == 'critical');
  assert.deepEqual(violations.map((v) => v.id + ': ' + v.nodes.map((n) => n.target).join(' ')), [], 'axe: nothing serious');

  await email.fill('ada.seashell@example.test');
  await email.press('Enter');
  await until('the field goes away', async () => (await answer.locator('form').count()) == 0);
  assert.equal(await answer.getByRole('status').textContent(), 'Thank you! We will write to you.');
  // stored on the visitor, for the team
  await until('the e-mail on the visitor', async () => {
    const r = await relay.http('GET', `/api/v1/sites/${site.id}/visitors?q=ada.seashell`, null, token);
    assert.equal(r.status, 200, r.text);
    return r.body.visitors && r.body.visitors.length == 1 && r.body.visitors[0].email == 'ada.seashell@example.test';
  });

  // the next page shows the answer without the field
  await page.reload();
  await bubble(page, 'Open chat').click();
  if (await chatTab.count()) await chatTab.click();
  await until('the answer again', async () => (await answer.count()) == 1);
  assert.equal(await answer.locator('form').count(), 0, 'no field after a reload');
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('a site with only the FAQ bot: asking for a person when nobody is there gets the notice, not an answer to vote on', async () => {
  const books = await createSite(relay, token, 'Books');
  const r = await relay.http('POST', `/api/v1/sites/${books.id}/faqs`,
    { question: 'Do you sell used books?', answer: 'Yes, used books are on the second floor.' }, token);
  assert.equal(r.status, 201, r.text);
  // someone of the team is there when the visitor starts (no offline form), and goes away
  const agent = await new Agent(relay, token).connect();
  const { context, page } = await openPage(browser, hostUrl(host, books));
  try {
    await bubble(page, 'Open chat').click();
    await until('composer', async () => composer(page).isVisible());
    await composer(page).fill('Do you sell used books?');
    await composer(page).press('Enter');
    const answer = page.locator('confab-widget .g', { hasText: 'used books are on the second floor' });
    await until('the FAQ bot answers', async () => (await answer.count()) == 1);
    // the FAQ's answer is one to vote on, and no assistant's
    assert.equal(await answer.getByRole('group', { name: 'Was this helpful?' }).count(), 1);
    assert.equal(await answer.locator('.ai').count(), 0);

    agent.send({ type: 'presence', status: 'away' });
    // the relay told the visitor nobody is online (agents_online): it knows before the click
    await until('nobody online in the header', async () =>
      (await page.locator('confab-widget').getByText('We are offline').count()) > 0);
    await answer.getByRole('button', { name: 'Talk to a person' }).click();
    await until('the team is asked', async () =>
      (await page.locator('confab-widget .g.s .x', { hasText: 'The visitor asked for a person' }).count()) == 1);
    await assertNobodyNotice(page, /Books assistant/);
    await page.screenshot({ path: artifact('faq-nobody-notice.png') });
    assert.deepEqual(page.errors, []);
  } finally {
    agent.close();
    await context.close();
  }
});
