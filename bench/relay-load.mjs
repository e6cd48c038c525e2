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
const windowSize = Number(args.window || 1);    // messages each writer keeps unacknowledged
const agentCount = Number(args.agents || 1);    // agents subscribed, each receiving every message
const latencyPhase = args.latency !== '0';
// visitors to say hello as (bench/seed-history.py): their messages go on long conversations
const seeded = args.resume ? JSON.parse(readFileSync(args.resume, 'utf8')) : { visitors: [] };
const resume = seeded.visitors;
const afterCursor = Number(args.after_cursor || seeded.after_cursor || 0);
const pid = Number(args.pid || 0);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// the server's CPU time in µs (utime + stime, clock ticks of 10 ms)
const cpuMicros = () => {
  if (!pid) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10000;
};
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

// the agents, and the delivery clock (the first agent's)
const sentAt = new Map();
const latencies = [];
let delivered = 0;
let deliveredAll = 0;
const agents = [];
for (let n = 0; n < agentCount; n++) {
  const agent = await open(`${base}/ws/agent`, { Authorization: `Bearer ${args.token}` });
  const synced = nextFrame(agent, 'synced');
  agent.send(JSON.stringify({ type: 'subscribe', after_cursor: afterCursor }));
  await synced;
  agent.on('message', (data) => {
    const frame = JSON.parse(data);
    if (frame.type !== 'message') return;
    deliveredAll++;
    if (n !== 0) return;
    delivered++;
    const t0 = sentAt.get(frame.client_id);
    if (t0 !== undefined) {
      latencies.push(performance.now() - t0);
      sentAt.delete(frame.client_id);
    }
  });
  agents.push(agent);
}

// connect the visitors, a batch at a time
let refused = 0;
const rssBefore = rssKiB();
const clients = [];
const connectStart = performance.now();
for (let i = 0; i < visitors; i += 200) {
  const batch = [];
  for (let j = i; j < Math.min(visitors, i + 200); j++) {
    batch.push((async () => {
      const ws = await open(`${base}/ws/widget?site_key=${args.site_key}`, { Origin: 'http://bench.test' });
      const welcome = nextFrame(ws, 'welcome');
      const who = resume[j] || { visitor_id: null, visitor_token: null };
      ws.send(JSON.stringify({ type: 'hello', visitor_id: who.visitor_id, visitor_token: who.visitor_token,
                               page: { url: 'http://bench.test/', title: 'Bench' } }));
      await welcome;
      ws.acks = new Map();
      ws.on('message', (data) => {
        const frame = JSON.parse(data);
        if (frame.type === 'ack') { const done = ws.acks.get(frame.client_id); if (done) { ws.acks.delete(frame.client_id); done(); } }
        // a refused message (a rate limit, a store error) ends its wait too, and is counted
        if (frame.type === 'error') {
          refused++;
          const done = ws.acks.get(frame.ref);
          if (done) { ws.acks.delete(frame.ref); sentAt.delete(frame.ref); done(false); }
        }
      });
      return ws;
    })());
  }
  clients.push(...await Promise.all(batch));
}
const connectSeconds = (performance.now() - connectStart) / 1000;
await sleep(1000);
const rssIdle = rssKiB();

const ackLatencies = [];
function say(ws, body, timeAck = false) {
  const clientId = randomUUID();
  const t0 = performance.now();
  const acked = new Promise((resolve) => ws.acks.set(clientId, timeAck
    ? (ok = true) => { if (ok) ackLatencies.push(performance.now() - t0); resolve(ok); } : resolve));
  sentAt.set(clientId, t0);
  ws.send(JSON.stringify({ type: 'message', client_id: clientId, body }));
  return acked;
}

// latency at a steady rate
const total = latencyPhase ? rate * seconds : 0;
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
const deliveredAllBefore = deliveredAll;
const cpuBefore = cpuMicros();
const ownCpuBefore = process.cpuUsage();
const throughputStart = performance.now();
const throughputEnd = throughputStart + seconds * 1000;
await Promise.all(clients.slice(0, writers).flatMap((ws, n) => Array.from({ length: windowSize }, async () => {
  while (performance.now() < throughputEnd) {
    if (await say(ws, `throughput ${n}`, true)) acked++;
  }
})));
const throughputSeconds = (performance.now() - throughputStart) / 1000;
const cpuUsed = cpuMicros() - cpuBefore;
const ownCpu = process.cpuUsage(ownCpuBefore);
const ackSorted = ackLatencies.sort((a, b) => a - b);
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
  deliveries_per_second: Math.round((deliveredAll - deliveredAllBefore) / throughputSeconds),
  refused,
  ack_p50_ms: Number(percentile(ackSorted, 0.50).toFixed(2)),
  ack_p99_ms: Number(percentile(ackSorted, 0.99).toFixed(2)),
  server_cpu_us_per_msg: pid && acked ? Number((cpuUsed / acked).toFixed(1)) : null,
  server_cpu_percent: pid ? Math.round(cpuUsed / 10000 / throughputSeconds) : null,
  generator_cpu_percent: Math.round((ownCpu.user + ownCpu.system) / 10000 / throughputSeconds),
}));
for (const ws of clients) ws.terminate();
for (const agent of agents) agent.terminate();
process.exit(0);
