// SPDX-License-Identifier: GPL-3.0-or-later
// Load generator for the relay benchmark: one agent, N visitors, over real WebSockets.
// Prints one JSON object with what it measured. The same generator drives the relay and the
// baseline peer, so the two are measured alike.
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const base = args.url.replace(/^http/, 'ws');
const visitors = Number(args.visitors || 1000);
const rate = Number(args.rate || 500);          // messages per second in the latency phase
const seconds = Number(args.seconds || 10);
const writers = Number(args.writers || 50);     // closed-loop senders in the throughput phase
const pid = Number(args.pid || 0);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssKiB = () => pid ? Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) : 0;
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

// the agent, and the delivery clock
const sentAt = new Map();
const latencies = [];
let delivered = 0;
const agent = await open(`${base}/ws/agent`, { Authorization: `Bearer ${args.token}` });
agent.send(JSON.stringify({ type: 'subscribe', after_cursor: Number(args.after_cursor || 0) }));
await nextFrame(agent, 'synced');
agent.on('message', (data) => {
  const frame = JSON.parse(data);
  if (frame.type !== 'message') return;
  delivered++;
  const t0 = sentAt.get(frame.client_id);
  if (t0 !== undefined) {
    latencies.push(performance.now() - t0);
    sentAt.delete(frame.client_id);
  }
});

// connect the visitors, a batch at a time
const rssBefore = rssKiB();
const clients = [];
const connectStart = performance.now();
for (let i = 0; i < visitors; i += 200) {
  const batch = [];
  for (let j = i; j < Math.min(visitors, i + 200); j++) {
    batch.push((async () => {
      const ws = await open(`${base}/ws/widget?site_key=${args.site_key}`, { Origin: 'http://bench.test' });
      const welcome = nextFrame(ws, 'welcome');
      ws.send(JSON.stringify({ type: 'hello', visitor_id: null, visitor_token: null,
                               page: { url: 'http://bench.test/', title: 'Bench' } }));
      await welcome;
      ws.acks = new Map();
      ws.on('message', (data) => {
        const frame = JSON.parse(data);
        if (frame.type === 'ack') { const done = ws.acks.get(frame.client_id); if (done) { ws.acks.delete(frame.client_id); done(); } }
      });
      return ws;
    })());
  }
  clients.push(...await Promise.all(batch));
}
const connectSeconds = (performance.now() - connectStart) / 1000;
await sleep(1000);
const rssIdle = rssKiB();

function say(ws, body) {
  const clientId = randomUUID();
  const acked = new Promise((resolve) => ws.acks.set(clientId, resolve));
  sentAt.set(clientId, performance.now());
  ws.send(JSON.stringify({ type: 'message', client_id: clientId, body }));
  return acked;
}

// latency at a steady rate
const total = rate * seconds;
const interval = 1000 / rate;
const latencyStart = performance.now();
for (let i = 0; i < total; i++) {
  const due = latencyStart + i * interval;
  const wait = due - performance.now();
  if (wait > 1) await sleep(wait);
  say(clients[Math.floor(Math.random() * clients.length)], `latency probe ${i}`);
}
for (let i = 0; i < 50 && sentAt.size > 0; i++) await sleep(100);
const lost = sentAt.size;
const sorted = latencies.slice().sort((a, b) => a - b);
sentAt.clear();

// throughput: closed-loop writers, each sending the next message when the last is acked
let acked = 0;
const deliveredBefore = delivered;
const throughputEnd = performance.now() + seconds * 1000;
await Promise.all(clients.slice(0, writers).map(async (ws, n) => {
  while (performance.now() < throughputEnd) {
    await say(ws, `throughput ${n}`);
    acked++;
  }
}));
const throughputSeconds = seconds;
await sleep(500);
sentAt.clear();

console.log(JSON.stringify({
  visitors,
  connect_per_second: Math.round(visitors / connectSeconds),
  idle_kib_per_connection: pid ? Number(((rssIdle - rssBefore) / visitors).toFixed(1)) : null,
  rss_idle_mib: pid ? Number((rssIdle / 1024).toFixed(1)) : null,
  latency_p50_ms: Number(percentile(sorted, 0.50).toFixed(2)),
  latency_p99_ms: Number(percentile(sorted, 0.99).toFixed(2)),
  latency_samples: sorted.length,
  latency_lost: lost,
  acked_per_second: Math.round(acked / throughputSeconds),
  delivered_per_second: Math.round((delivered - deliveredBefore) / throughputSeconds),
}));
for (const ws of clients) ws.terminate();
agent.terminate();
process.exit(0);
