// SPDX-License-Identifier: GPL-3.0-or-later
// Data for the desktop catch-up benchmark (bench/desktop-catchup.sh): N scripted visitors on
// real WebSockets, each says hello, asks one question (a conversation each) and leaves.
// --long=M: then one more visitor writes M messages into one conversation (issue 9's memory case:
// a 20,000-message conversation open in the app); its conversation id is printed.
//   node bench/catchup-visitors.mjs --url=http://127.0.0.1:PORT --site_key=KEY --visitors=10000
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const base = args.url.replace(/^http/, 'ws');
const visitors = Number(args.visitors || 10000);
const parallel = Number(args.parallel || 200);

function visit(n) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base}/ws/widget?site_key=${args.site_key}`,
                             { headers: { Origin: 'http://bench.test' }, perMessageDeflate: false });
    const clientId = randomUUID();
    ws.once('error', reject);
    ws.on('message', (data) => {
      const frame = JSON.parse(data);
      if (frame.type === 'welcome')
        ws.send(JSON.stringify({ type: 'message', client_id: clientId,
                                 body: `Visitor ${n}: how long do refunds take?` }));
      else if (frame.type === 'ack' && frame.client_id === clientId) {
        ws.close();
        resolve();
      } else if (frame.type === 'error')
        reject(new Error(JSON.stringify(frame)));
    });
    ws.once('open', () => ws.send(JSON.stringify({
      type: 'hello', visitor_id: null, visitor_token: null,
      page: { url: `http://bench.test/p${n % 50}`, title: 'Bench' } })));
  });
}

// One visitor, @count messages in its conversation, 500 in flight at most; its conversation id.
function longConversation(count) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base}/ws/widget?site_key=${args.site_key}`,
                             { headers: { Origin: 'http://bench.test' }, perMessageDeflate: false });
    let sent = 0, acked = 0, conversationId = null;
    const send = () => {
      while (sent < count && sent - acked < 500) {
        ws.send(JSON.stringify({ type: 'message', client_id: randomUUID(),
                                 body: `Message ${sent + 1} of a long conversation: is my order on its way?` }));
        sent++;
      }
    };
    ws.once('error', reject);
    ws.on('message', (data) => {
      const frame = JSON.parse(data);
      if (frame.type === 'welcome')
        send();
      else if (frame.type === 'ack') {
        conversationId = frame.conversation_id;
        if (++acked === count) {
          ws.close();
          resolve(conversationId);
        } else
          send();
      } else if (frame.type === 'error')
        reject(new Error(JSON.stringify(frame)));
    });
    ws.once('open', () => ws.send(JSON.stringify({
      type: 'hello', visitor_id: null, visitor_token: null,
      page: { url: 'http://bench.test/long', title: 'Bench' } })));
  });
}

const start = performance.now();
for (let i = 0; i < visitors; i += parallel) {
  const batch = [];
  for (let j = i; j < Math.min(visitors, i + parallel); j++) batch.push(visit(j));
  await Promise.all(batch);
}
const long = Number(args.long || 0);
const longId = long > 0 ? await longConversation(long) : null;
console.log(JSON.stringify({ conversations: visitors + (long > 0 ? 1 : 0), long_messages: long,
                             long_conversation_id: longId,
                             seconds: Number(((performance.now() - start) / 1000).toFixed(1)) }));
process.exit(0);
