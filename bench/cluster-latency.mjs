// SPDX-License-Identifier: GPL-3.0-or-later
// Latency between relays (issue 13): visitors on relay A send at a steady rate; one agent on
// relay A and one on relay B each time every message from its send until they receive it.
// The same run gives the same-relay figure (agent A) beside the cross-relay one (agent B).
// Prints one JSON object. Run by bench/cluster-latency.sh.
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';

// `ws` as the widget's tests have it installed
const require = createRequire(new URL('../widget/node_modules/', import.meta.url));
const WebSocket = require('ws');

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const urlA = args.a.replace(/^http/, 'ws');
const urlB = args.b.replace(/^http/, 'ws');
const visitors = Number(args.visitors || 50);
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
  agent.send(JSON.stringify({ type: 'subscribe', after_cursor: Number(args.after_cursor || 0) }));
  await synced;
  agent.latencies = [];
  agent.seen = new Set();
  agent.duplicates = 0;
  agent.lastCursor = 0;
  agent.outOfOrder = 0;
  agent.on('message', (data) => {
    const frame = JSON.parse(data);
    if (frame.type !== 'message') return;
    if (frame.cursor <= agent.lastCursor) agent.outOfOrder++;
    agent.lastCursor = Math.max(agent.lastCursor, frame.cursor);
    if (agent.seen.has(frame.client_id)) { agent.duplicates++; return; }
    agent.seen.add(frame.client_id);
    const t0 = sentAt.get(frame.client_id);
    if (t0 !== undefined) agent.latencies.push(performance.now() - t0);
  });
  return agent;
}

const agentA = await agentOn(urlA);
const agentB = await agentOn(urlB);

const clients = [];
for (let i = 0; i < visitors; i++) {
  const ws = await open(`${urlA}/ws/widget?site_key=${args.site_key}`, { Origin: 'http://bench.test' });
  const welcome = nextFrame(ws, 'welcome');
  ws.send(JSON.stringify({ type: 'hello', page: { url: 'http://bench.test/', title: 'Bench' } }));
  await welcome;
  clients.push(ws);
}
await sleep(500);

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
for (let i = 0; i < 100 && (agentA.seen.size < total || agentB.seen.size < total); i++) await sleep(100);

const summary = (agent) => {
  const sorted = agent.latencies.slice().sort((a, b) => a - b);
  return {
    received: agent.seen.size, duplicates: agent.duplicates, out_of_order: agent.outOfOrder,
    p50_ms: Number(percentile(sorted, 0.5).toFixed(2)), p99_ms: Number(percentile(sorted, 0.99).toFixed(2)),
  };
};
console.log(JSON.stringify({ visitors, rate, seconds, sent: total, same_relay: summary(agentA), other_relay: summary(agentB) }));
for (const ws of [...clients, agentA, agentB]) ws.terminate();
