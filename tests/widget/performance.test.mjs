// SPDX-License-Identifier: GPL-3.0-or-later
// The widget's load time on a host page in headless Chromium, against the real relay: its own
// test (tests/meson.build: test-widget-performance), which meson runs alone, because a long task
// on the host page is a timing that other tests on the same cores would make.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { Relay, createSite, startHost, launchBrowser, artifact } from './harness.mjs';

let relay, host, browser, token, site;

before(async () => {
  relay = new Relay();
  await relay.start();
  token = await relay.createAgent();
  site = await createSite(relay, token, 'Shop', { color: '#0f766e', welcome_message: 'Hello! Ask us anything.' });
  host = await startHost(relay);
  browser = await launchBrowser();
});

after(async () => {
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

test('performance: script load to bubble, bootstrap main-thread time, no long task', async (t) => {
  const { context, page } = await openPage();
  await bubble(page, 'Open chat').waitFor();
  // a second page load: the config comes from the cache, as for any visitor's next page
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.route('**/widget-full.js*', (r) => r.abort());
  await page.reload();
  await bubble(page, 'Open chat').waitFor();
  const numbers = await page.evaluate(() => {
    const [start] = performance.getEntriesByName('confab:start');
    const [drawn] = performance.getEntriesByName('confab:bubble');
    const script = performance.getEntriesByType('resource').find((e) => /widget\.js$/.test(e.name));
    return { toBubble: drawn.startTime - start.startTime, fromFetchStart: drawn.startTime - script.startTime };
  });
  const metrics = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const longTasks = await page.evaluate(() => new Promise((r) => {
    new PerformanceObserver((l) => r(l.getEntries().length)).observe({ type: 'longtask', buffered: true });
    setTimeout(() => r(0), 300);
  }));
  const result = {
    script_start_to_bubble_ms: +numbers.toBubble.toFixed(1),
    script_request_to_bubble_ms: +numbers.fromFetchStart.toFixed(1),
    page_script_duration_ms: +(metrics.ScriptDuration * 1000).toFixed(1),
    long_tasks: longTasks,
    sizes: relay.build.sizes,
  };
  writeFileSync(artifact('perf.json'), JSON.stringify(result, null, 2) + '\n');
  t.diagnostic(JSON.stringify(result));
  assert.equal(longTasks, 0, 'no long task on the host page');
  await context.close();
});
