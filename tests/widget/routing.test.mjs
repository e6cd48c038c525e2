// SPDX-License-Identifier: GPL-3.0-or-later
// The widget and issue 18's routing in headless Chromium, against the real relay, on a host page
// of another origin: Confab.setTeam (queued before the loader) sends the team with the first
// message; with the only agent at their limit the visitor waits and sees their place in line,
// updated live as the agent frees a slot, with the estimated wait once a handling time exists;
// "Leave a message instead" takes them out of the queue; the pre-chat form offers the site's
// teams when prechat_team is on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Relay, Agent, createSite, startHost, launchBrowser, artifact, until, axeScan,
  bubble, composer, sendButton, openPage, hostUrl,
} from './harness.mjs';

let relay, host, browser, token, me, site, picky, agent;

const teamPage = (key) => hostUrl(host, site, '/page', { pre: `window.Confab={q:[["setTeam","${key}"]]}` });

// The visitor's conversation as agents see it, found by the text of its first message.
const conversationOf = async (text) => {
  for (const s of [site, picky]) {
    const r = await relay.http('GET', `/api/v1/sites/${s.id}/conversations`, null, token);
    for (const c of r.body.conversations) {
      const m = await relay.http('GET', `/api/v1/conversations/${c.id}/messages`, null, token);
      if (m.body.messages.some((x) => x.body == text)) return c;
    }
  }
  return null;
};

const say = async (page, text) => {
  await bubble(page, 'Open chat').click();
  await until('composer', async () => composer(page).isVisible());
  await composer(page).fill(text);
  await sendButton(page).click();
};

const queueLine = (page) => page.locator('confab-widget .qu');
const queueText = async (page) => ((await queueLine(page).isVisible()) ? (await queueLine(page).textContent()) : '');

before(async () => {
  relay = new Relay();
  await relay.start();
  token = await relay.createAgent();
  me = (await relay.http('GET', '/api/v1/me', null, token)).body;
  me = me.user || me;
  site = await createSite(relay, token, 'Shop', { assignment: 'round_robin' });
  picky = await createSite(relay, token, 'Picky', { prechat_team: true });
  for (const [s, body] of [[site, { name: 'Billing', member_ids: [me.id] }],
    [picky, { name: 'Sales' }], [picky, { name: 'Support' }]]) {
    const r = await relay.http('POST', `/api/v1/sites/${s.id}/teams`, body, token);
    assert.equal(r.status, 201, r.text);
  }
  const limit = await relay.http('PATCH', `/api/v1/sites/${site.id}/members/${me.id}`, { max_chats: 1 }, token);
  assert.equal(limit.status, 200, limit.text);
  host = await startHost(relay);
  browser = await launchBrowser();
  // the only agent: online, so visitors may write, and at most one chat at a time
  agent = await new Agent(relay, token).connect();
});

after(async () => {
  if (agent) agent.close();
  if (browser) await browser.close();
  if (host) await host.close();
  if (relay) { await relay.stop(); relay.cleanup(); }
});

test('the queue: place in line updated live, the wait estimated, a message instead', async () => {
  // the first takes the agent's only slot
  const first = await openPage(browser, teamPage('billing'));
  await say(first.page, 'first in');
  await until('first assigned', async () => {
    const c = await conversationOf('first in');
    return c && c.assignee && c.assignee.id == me.id;
  });
  const firstConversation = await conversationOf('first in');
  assert.equal(firstConversation.team.key, 'billing', 'setTeam before the loader reached the relay');
  assert.equal(await queueLine(first.page).isVisible(), false);

  const second = await openPage(browser, teamPage('billing'));
  await say(second.page, 'second in');
  await until('second: number 1', async () => (await queueText(second.page)).startsWith('You are number 1 in line'));
  const third = await openPage(browser, teamPage('billing'));
  await say(third.page, 'third in');
  await until('third: number 2', async () => (await queueText(third.page)).startsWith('You are number 2 in line'));
  // no handling time yet: no estimate
  assert.equal(await queueText(third.page), 'You are number 2 in line Leave a message instead');
  await third.page.screenshot({ path: artifact('queue-position.png') });
  const violations = (await axeScan(third.page)).filter((v) => v.impact == 'serious' || v.impact == 'critical');
  assert.deepEqual(violations.map((v) => v.id + ': ' + v.nodes.map((n) => n.target).join(' ')), [], 'axe: nothing serious');

  // the agent resolves the first: the second is theirs, the third moves up with an estimate
  agent.send({ type: 'set_status', conversation_id: firstConversation.id, status: 'resolved' });
  await until('second out of the queue', async () => !(await queueLine(second.page).isVisible()));
  await until('third: number 1, about a minute', async () =>
    (await queueText(third.page)).startsWith('You are number 1 in line — about 1 minute'));
  const secondConversation = await conversationOf('second in');
  assert.equal(secondConversation.assignee.id, me.id);

  // a message instead of waiting
  await third.page.getByRole('button', { name: 'Leave a message instead' }).click();
  const form = third.page.locator('confab-widget .bx form');
  await until('the message form', async () => form.isVisible());
  await form.locator('input[name=email]').fill('waiting@example.com');
  await form.locator('textarea[name=body]').fill('Call me back please');
  await third.page.getByRole('button', { name: 'Send the message' }).click();
  await until('thanks', async () => (await third.page.getByText('Thank you! We will get back to you by e-mail.').count()) > 0);
  await until('out of the queue', async () => {
    const c = await conversationOf('third in');
    return c.queue_position == null && c.assignee == null && c.status == 'open';
  });
  assert.equal(await queueLine(third.page).isVisible(), false);
  for (const p of [first, second, third]) {
    assert.deepEqual(p.page.errors, []);
    await p.context.close();
  }
});

test('the pre-chat form offers the site\'s teams', async () => {
  const { context, page } = await openPage(browser, hostUrl(host, picky));
  await bubble(page, 'Open chat').click();
  const select = page.getByRole('combobox', { name: 'Team' });
  await until('the team choice', async () => select.isVisible());
  assert.match(await page.locator('confab-widget .bx').textContent(), /Who would you like to talk to\?/);
  await select.selectOption('support');
  await page.getByRole('button', { name: 'Start the chat' }).click();
  await until('composer', async () => composer(page).isVisible());
  await composer(page).fill('picked support');
  await sendButton(page).click();
  await until('the team on the conversation', async () => {
    const c = await conversationOf('picked support');
    return c && c.team && c.team.key == 'support';
  });
  assert.deepEqual(page.errors, []);
  await context.close();
});
