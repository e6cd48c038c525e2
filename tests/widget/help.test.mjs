// SPDX-License-Identifier: GPL-3.0-or-later
// The widget's Help tab (issue 16) in headless Chromium, against the real relay, on a host page of
// another origin: a site with published articles opens on Help, the visitor's search finds them
// (stems: "returning" finds "Returns"), a draft never shows, a title with HTML stays text, the
// link goes to the relay's help centre, "Ask us in the chat" carries the question into the
// composer; a site without articles has no tabs at all.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Relay, createSite, startHost, launchBrowser, artifact, until, axeScan,
  bubble, composer, openPage, hostUrl,
} from './harness.mjs';

let relay, host, browser, token, site, bare;

const article = async (body) => {
  const r = await relay.http('POST', `/api/v1/sites/${site.id}/articles`, body, token);
  assert.equal(r.status, 201, r.text);
  return r.body;
};

before(async () => {
  relay = new Relay();
  await relay.start();
  token = await relay.createAgent();
  site = await createSite(relay, token, 'Shop');
  bare = await createSite(relay, token, 'Bare');
  host = await startHost(relay);
  browser = await launchBrowser();
  await article({ title: 'Returns <img src=x onerror=alert(1)>', slug: 'returns', published: true,
                  body: 'Send anything back within **30 days**, free of charge.' });
  await article({ title: 'Returns for staff only', slug: 'staff-returns', body: 'A draft about returning.' });
});

after(async () => {
  if (browser) await browser.close();
  if (host) await host.close();
  if (relay) { await relay.stop(); relay.cleanup(); }
});

test('the Help tab searches published articles before the visitor writes', async () => {
  const { context, page } = await openPage(browser, hostUrl(host, site));
  await bubble(page, 'Open chat').click();

  const helpTab = page.getByRole('tab', { name: 'Help' });
  await until('Help tab selected', async () => (await helpTab.getAttribute('aria-selected')) == 'true');
  const search = page.getByRole('searchbox', { name: 'Search our help articles' });
  assert.equal(await search.evaluate((n) => n.getRootNode().activeElement == n), true, 'the search has the focus');
  assert.equal(await composer(page).isVisible(), false, 'the composer waits behind the Chat tab');

  await search.pressSequentially('returning');
  const link = page.locator('confab-widget .hp a');
  await until('a result', async () => (await link.count()) == 1);
  assert.equal(await link.textContent(), 'Returns <img src=x onerror=alert(1)>', 'the title is text');
  assert.equal(await page.locator('confab-widget .hp img').count(), 0);
  assert.equal(await link.getAttribute('href'), relay.url + '/help/' + site.site_key + '/returns');
  assert.equal(await link.getAttribute('target'), '_blank');
  assert.match(await page.locator('confab-widget .hp li p').textContent(), /within 30 days/);
  assert.doesNotMatch(await page.locator('confab-widget .hp').textContent(), /staff/, 'no draft');
  await page.screenshot({ path: artifact('help-tab.png') });
  const violations = (await axeScan(page)).filter((v) => v.impact == 'serious' || v.impact == 'critical');
  assert.deepEqual(violations.map((v) => v.id + ': ' + v.nodes.map((n) => n.target).join(' ')), [], 'axe: nothing serious');

  await search.fill('pizza');
  await until('nothing found', async () => /No article matches/.test(await page.locator('confab-widget .hp ul').textContent()));

  // the question goes to the chat
  await page.getByRole('button', { name: 'Ask us in the chat' }).click();
  await until('Chat tab selected', async () => (await page.getByRole('tab', { name: 'Chat' }).getAttribute('aria-selected')) == 'true');
  assert.equal(await composer(page).inputValue(), 'pizza');
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('a site without published articles has no tabs', async () => {
  const { context, page } = await openPage(browser, hostUrl(host, bare));
  await bubble(page, 'Open chat').click();
  await until('composer', async () => composer(page).isVisible());
  assert.equal(await page.getByRole('tab').count(), 0);
  assert.deepEqual(page.errors, []);
  await context.close();
});
