// SPDX-License-Identifier: GPL-3.0-or-later
// One relay vs two vs three (issue 13): visitors spread over every relay send at a steady rate;
// one agent on each relay times every message from its send until it arrives. Counts what was
// persisted (the visitors' acks: an ack is sent after the commit) and delivered (each agent's
// copy), with p50/p99 latencies. Prints one JSON object. Run by bench/cluster-scale.sh.
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';

// `ws` as the widget's tests have it installed
const require = createRequire(new URL('../widget/node_modules/', import.meta.url));
const WebSocket = require('ws');

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const urls = args.urls.split(',').map((u) => u.replace(/^http/, 'ws'));
const visitors = Number(args.visitors || 60);
const rate = Number(args.rate || 200);
const seconds = Number(args.seconds || 5);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted, p) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : NaN;

function open(url, headers) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function nextFrame(ws, type) {
  return new Promise((resolve) => {
    const onMessage = (data) => {
      const frame = JSON.parse(data);
      if (frame.type === type) { ws.off('message', onMessage); resolve(frame); }
    };
    ws.on('message', onMessage);
  });
}

const sentAt = new Map();
async function agentOn(base) {
  const agent = await open(`${base}/ws/agent`, { Authorization: `Bearer ${args.token}` });
  const synced = nextFrame(agent, 'synced');
  agent.send(JSON.stringify({ type: 'subscribe', after_cursor: 0 }));
  await synced;
  Object.assign(agent, { latencies: [], seen: new Set(), duplicates: 0, lastCursor: 0, outOfOrder: 0, lastAt: 0 });
  agent.on('message', (data) => {
    const frame = JSON.parse(data);
    if (frame.type !== 'message' || !sentAt.has(frame.client_id)) return;
    if (frame.cursor <= agent.lastCursor) agent.outOfOrder++;
    agent.lastCursor = Math.max(agent.lastCursor, frame.cursor);
    if (agent.seen.has(frame.client_id)) { agent.duplicates++; return; }
    agent.seen.add(frame.client_id);
    agent.lastAt = performance.now();
    agent.latencies.push(agent.lastAt - sentAt.get(frame.client_id));
  });
  return agent;
}

const agents = [];
for (const url of urls) agents.push(await agentOn(url));

const acks = { count: 0, latencies: [], lastAt: 0 };
const errors = {};
const clients = [];
for (let i = 0; i < visitors; i++) {
  const ws = await open(`${urls[i % urls.length]}/ws/widget?site_key=${args.site_key}`, { Origin: 'http://bench.test' });
  const welcome = nextFrame(ws, 'welcome');
  ws.send(JSON.stringify({ type: 'hello', page: { url: 'http://bench.test/', title: 'Bench' } }));
  await welcome;
  ws.on('message', (data) => {
    const frame = JSON.parse(data);
    if (frame.type === 'error') errors[frame.code] = (errors[frame.code] || 0) + 1;
    if (frame.type !== 'ack' || !sentAt.has(frame.client_id)) return;
    acks.count++;
    acks.lastAt = performance.now();
    acks.latencies.push(acks.lastAt - sentAt.get(frame.client_id));
  });
  clients.push(ws);
}
// each visitor's first message opens its conversation (a different path): not timed
for (const ws of clients) ws.send(JSON.stringify({ type: 'message', client_id: randomUUID(), body: 'hello' }));
await sleep(2000);

const total = rate * seconds;
const interval = 1000 / rate;
const start = performance.now();
for (let i = 0; i < total; i++) {
  const due = start + i * interval;
  const wait = due - performance.now();
  if (wait > 1) await sleep(wait);
  const clientId = randomUUID();
  sentAt.set(clientId, performance.now());
  clients[i % clients.length].send(JSON.stringify({ type: 'message', client_id: clientId, body: `probe ${i}` }));
}
for (let i = 0; i < 600 && (acks.count + Object.values(errors).reduce((a, b) => a + b, 0) < total || agents.some((a) => a.seen.size < total)); i++) await sleep(100);

const pct = (list) => {
  const sorted = list.slice().sort((a, b) => a - b);
  return { p50_ms: Number(percentile(sorted, 0.5).toFixed(1)), p99_ms: Number(percentile(sorted, 0.99).toFixed(1)) };
};
const perSecond = (count, lastAt) => Number((count / Math.max((lastAt - start) / 1000, seconds)).toFixed(0));
const delivered = agents.reduce((n, a) => n + a.seen.size, 0);
const lastDelivery = Math.max(...agents.map((a) => a.lastAt));
console.log(JSON.stringify({
  relays: urls.length, visitors, rate, seconds, sent: total,
  persisted: acks.count, persisted_per_s: perSecond(acks.count, acks.lastAt), ack: pct(acks.latencies),
  delivered, delivered_per_s: perSecond(delivered, lastDelivery),
  delivery: pct(agents.flatMap((a) => a.latencies)),
  duplicates: agents.reduce((n, a) => n + a.duplicates, 0),
  out_of_order: agents.reduce((n, a) => n + a.outOfOrder, 0),
  errors,
}));
for (const ws of [...clients, ...agents]) ws.terminate();
