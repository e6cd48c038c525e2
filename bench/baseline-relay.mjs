// SPDX-License-Identifier: GPL-3.0-or-later
// The baseline peer: the same slice of PROTOCOL.md as the relay paths the benchmark uses,
// written the way the reference systems are (Node.js + ws), keeping everything in memory.
// It persists nothing, so every number it gets is an upper bound for such a stack with a
// database behind it.
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { WebSocketServer } from 'ws';

const SITE_KEY = process.env.BASELINE_SITE_KEY || 'sk_bench';
const TOKEN = process.env.BASELINE_TOKEN || 'cft_bench';

const agents = new Set();
const conversations = new Map(); // visitor id → { id, seq }
const byClientId = new Map();    // client id → { conversation_id, seq }
let cursor = 0;

const server = createServer((req, res) => {
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end('{"error":{"code":"not_found","message":"Not found"}}');
});
// perMessageDeflate off, as in the relay, so that the two do the same work per frame
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 65536 });

server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/ws/widget' && url.searchParams.get('site_key') === SITE_KEY)
    wss.handleUpgrade(req, socket, head, (ws) => visitor(ws));
  else if (url.pathname === '/ws/agent' && req.headers.authorization === `Bearer ${TOKEN}`)
    wss.handleUpgrade(req, socket, head, (ws) => agent(ws));
  else
    socket.destroy();
});

function visitor(ws) {
  let visitorId = null;
  ws.on('message', (data) => {
    let frame;
    try { frame = JSON.parse(data); } catch { return ws.send('{"type":"error","code":"invalid_json"}'); }
    if (frame.type === 'hello') {
      visitorId = randomUUID();
      ws.send(JSON.stringify({ type: 'welcome', visitor_id: visitorId, visitor_token: randomUUID(),
                               conversation: null, agents_online: agents.size }));
    } else if (frame.type === 'message') {
      const known = byClientId.get(frame.client_id);
      if (known)
        return ws.send(JSON.stringify({ type: 'ack', client_id: frame.client_id, ...known }));
      let conversation = conversations.get(visitorId);
      if (!conversation) {
        conversation = { id: randomUUID(), seq: 0 };
        conversations.set(visitorId, conversation);
      }
      const seq = ++conversation.seq;
      const stored = { conversation_id: conversation.id, seq };
      byClientId.set(frame.client_id, stored);
      const message = { type: 'message', conversation_id: conversation.id, seq, client_id: frame.client_id,
                        sender: { type: 'visitor', name: null }, body: frame.body, attachment: null,
                        created_at: new Date().toISOString() };
      ws.send(JSON.stringify({ type: 'ack', client_id: frame.client_id, ...stored }));
      ws.send(JSON.stringify(message));
      const forAgents = JSON.stringify({ ...message, site_id: 'site_bench', cursor: ++cursor });
      for (const a of agents) a.send(forAgents);
    } else if (frame.type === 'ping') {
      ws.send('{"type":"pong"}');
    }
  });
}

function agent(ws) {
  agents.add(ws);
  ws.on('close', () => agents.delete(ws));
  ws.on('message', (data) => {
    const frame = JSON.parse(data);
    if (frame.type === 'subscribe') ws.send(JSON.stringify({ type: 'synced', cursor }));
  });
}

server.listen(Number(process.env.BASELINE_PORT || 0), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
