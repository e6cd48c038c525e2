#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""openai-standin.py: a local stand-in for an OpenAI-compatible chat-completions endpoint, for
test-relay-assistant.c. Listens on 127.0.0.1 (a free port unless --port), prints "PORT n" once it
does, and serves:

  POST /v1/chat/completions   answers as the current mode says, and records the request
  POST /control               {"mode": ..., "reply": ...} sets how the next calls are answered
  POST /v1/embeddings         a 3-dimensional vector per input: how much it speaks of shipping,
                              of returns, or of anything else (a toy model, predictable)
  GET  /requests              [{"path","authorization","body"}] of every request to /v1

Modes: "stream" (the reply in chunks 120 ms apart, then [DONE]), "fast" (no pauses), "error"
(HTTP 500), "garbage" (200 with a stream that is not JSON), "hang" (headers, then nothing),
"cut" (the first half of the reply streamed, then a line that is not JSON)."""

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

state = {"mode": "stream", "reply": "Standard shipping takes 3 to 5 working days.", "requests": []}
lock = threading.Lock()


CONCEPTS = [("shipping", "shipped", "delivery", "deliver", "parcel", "package", "arrive", "ship"),
            ("return", "refund", "money back", "exchange")]


def concepts(text):
    text = text.lower()
    vector = [float(sum(text.count(word) for word in words)) for words in CONCEPTS]
    return vector + [0.0 if any(vector) else 1.0]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def read_json(self):
        length = int(self.headers.get("Content-Length", "0"))
        return json.loads(self.rfile.read(length) or b"{}")

    def answer_json(self, status, value):
        data = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/requests":
            with lock:
                self.answer_json(200, state["requests"])
        else:
            self.answer_json(404, {"error": "not found"})

    def do_POST(self):
        try:
            self.answer()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the relay stopped reading: a dropped answer, not a failure of the stand-in

    def answer(self):
        body = self.read_json()
        if self.path == "/control":
            with lock:
                state.update({k: v for k, v in body.items() if k in ("mode", "reply")})
            self.answer_json(200, {"ok": True})
            return
        if self.path == "/v1/embeddings":
            with lock:
                state["requests"].append({"path": self.path,
                                          "authorization": self.headers.get("Authorization"),
                                          "body": body})
            inputs = body.get("input")
            inputs = [inputs] if isinstance(inputs, str) else inputs
            self.answer_json(200, {"object": "list", "model": body.get("model"),
                                   "data": [{"object": "embedding", "index": i, "embedding": concepts(t)}
                                            for i, t in enumerate(inputs)]})
            return
        if self.path != "/v1/chat/completions":
            self.answer_json(404, {"error": "not found"})
            return
        with lock:
            state["requests"].append({"path": self.path,
                                      "authorization": self.headers.get("Authorization"),
                                      "body": body})
            mode, reply = state["mode"], state["reply"]

        if mode == "error":
            self.answer_json(500, {"error": {"message": "the model is down"}})
            return

        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        self.wfile.flush()
        if mode == "hang":
            time.sleep(30)
            return
        if mode == "garbage":
            self.wfile.write(b"data: {this is not json\n\n")
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            return

        words = reply.split(" ")
        chunks = [{"choices": [{"index": 0, "delta": {"role": "assistant"}}]}]
        chunks += [{"choices": [{"index": 0, "delta": {"content": w if i == 0 else " " + w}}]}
                   for i, w in enumerate(words)]
        chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if mode == "cut":
            chunks = chunks[:len(chunks) // 2]
        for chunk in chunks:
            self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
            self.wfile.flush()
            if mode in ("stream", "cut"):
                time.sleep(0.12)
        if mode == "cut":
            self.wfile.write(b"data: {this is not json\n\n")
            self.wfile.flush()
            return
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
