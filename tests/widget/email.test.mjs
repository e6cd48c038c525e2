// SPDX-License-Identifier: GPL-3.0-or-later
// "Mail me this conversation" (issue 15), in headless Chromium against the real relay and a
// real SMTP server (tests/smtp-sink.py, aiosmtpd) on loopback: the header's button where the
// relay can mail, the form, the mail that arrives, and no button where it cannot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Relay, Agent, createSite, startHost, launchBrowser, artifact, until, SOURCE_ROOT,
  bubble, composer, sendButton, openPage, hostUrl,
} from './harness.mjs';

let sink, sinkDir, relay, plain, host, plainHost, browser, token, agent;

// The SMTP server: "PORT n" once it listens.
async function startSink() {
  sinkDir = mkdtempSync(join(tmpdir(), 'confab-widget-smtp-'));
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const proc = spawn(python, [join(SOURCE_ROOT, 'tests', 'smtp-sink.py'), '--dir', sinkDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((ok, fail) => {
    let out = '';
    proc.stdout.on('data', (d) => { out += d; const m = /PORT (\d+)/.exec(out); if (m) ok(+m[1]); });
    proc.on('exit', (code) => fail(new Error('smtp-sink.py exited ' + code + ' (python3-aiosmtpd installed?)')));
  });
  return { proc, port };
}

const mails = () => readdirSync(sinkDir).filter((n) => n.endsWith('.json')).sort()
  .map((n) => ({ envelope: JSON.parse(readFileSync(join(sinkDir, n), 'utf8')), text: readFileSync(join(sinkDir, n.replace('.json', '.eml')), 'utf8') }));

before(async () => {
  sink = await startSink();
  relay = new Relay(['[email]', 'smtp-server=127.0.0.1', `smtp-port=${sink.port}`, 'smtp-security=none',
    'from-address=support@example.com']);
  await relay.start();
  token = await relay.createAgent();
  host = await startHost(relay);
  plain = new Relay();
  await plain.start();
  plainHost = await startHost(plain);
  browser = await launchBrowser();
  agent = await new Agent(relay, token).connect();
});

after(async () => {
  if (agent) agent.close();
  if (browser) await browser.close();
  for (const h of [host, plainHost]) if (h) await h.close();
  for (const r of [relay, plain]) if (r) { await r.stop(); r.cleanup(); }
  if (sink) sink.proc.kill('SIGKILL');
  if (sinkDir) rmSync(sinkDir, { recursive: true, force: true });
});

test('transcript by e-mail: the header button, the form, the mail', async () => {
  const site = await createSite(relay, token, 'Mail shop');
  const { context, page } = await openPage(browser, hostUrl(host, site));
  await bubble(page, 'Open chat').click();
  const mailButton = page.getByRole('button', { name: 'Mail me this conversation' });
  // nothing to mail before there is a conversation
  assert.equal(await mailButton.isVisible(), false);
  await composer(page).fill('Do you have it in blue?');
  await sendButton(page).click();
  const m = await agent.waitFor((f) => f.type == 'message' && f.body == 'Do you have it in blue?', 'the message');
  agent.send({ type: 'message', conversation_id: m.conversation_id, client_id: crypto.randomUUID(), body: 'Yes, we do.' });
  await page.getByText('Yes, we do.').waitFor();
  await mailButton.waitFor();

  await mailButton.click();
  const email = page.getByRole('textbox', { name: 'E-mail' });
  await email.fill('ann@example.org');
  await page.screenshot({ path: artifact('email-transcript-form.png') });
  await page.getByRole('button', { name: 'Send it' }).click();
  await page.getByText('The conversation is on its way to ann@example.org.').waitFor();
  const mail = await until('the mail', () => mails().find((x) => x.envelope.rcpt_tos.includes('ann@example.org')));
  assert.match(mail.text, /Subject: Your conversation with Mail shop/);
  assert.match(mail.text, /Do you have it in blue\?/);
  assert.match(mail.text, /Yes, we do\./);
  // the chat goes on below
  assert.equal(await composer(page).isVisible(), true);
  await context.close();
});

test('transcript by e-mail: no button where the relay sends no mail', async () => {
  const ptoken = await plain.createAgent('agent2@example.com');
  const site = await createSite(plain, ptoken, 'Plain shop');
  const pagent = await new Agent(plain, ptoken).connect();
  const { context, page } = await openPage(browser, hostUrl(plainHost, site));
  await bubble(page, 'Open chat').click();
  await composer(page).fill('hello');
  await sendButton(page).click();
  await pagent.waitFor((f) => f.type == 'message' && f.body == 'hello', 'the message');
  await page.getByRole('button', { name: 'Download the conversation' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Mail me this conversation' }).isVisible(), false);
  pagent.close();
  await context.close();
});
