// wire.mjs — raw TCP, HTTP and WebSocket (RFC 6455) clients for the wire-level and bad-input tests.
//
// Three clients, from most to least raw:
//   rawHttp()      one HTTP exchange written byte for byte on a TCP socket;
//   RawWebSocket   a hand-made upgrade plus hand-made frames, so a test can send what no library
//                  sends (unmasked frames, reserved bits) and stop reading (pause());
//   WsClient       the `ws` package with a message queue, for frames that are valid WebSocket but
//                  bad Phoenix (malformed JSON, wrong arity, binary garbage).
// Every wait takes a deadline and rejects with a message saying what did not happen in time.
import crypto from "node:crypto";
import http from "node:http";
import net from "node:net";
import WebSocket from "ws";

import { bearer } from "./tokens.mjs";

export const OP = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 };

// ---- HTTP ---------------------------------------------------------------------------------

// One HTTP request on a fresh connection (no keep-alive pool to outlive the test).
// Resolves to {status, headers, body, json} where json is the parsed body or undefined.
export function httpRequest(url, { method = "GET", body, headers = {}, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false, timeout: timeoutMs }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (text += c));
      res.on("end", () => {
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, headers: res.headers, body: text, json });
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${url}: no response within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

// POST /api/broadcast/<topic>?event=E with a JSON (or deliberately broken) body, sent with an
// API token of role publish for server (authorization: a header value to send instead, or null
// for none).
export function broadcastHttp(server, topic, body, { event, timeoutMs, authorization } = {}) {
  const query = event ? `?event=${encodeURIComponent(event)}` : "";
  const text = typeof body === "string" ? body : JSON.stringify(body);
  // The topic goes into the path as written (':' is legal in a path segment), as curl users send it.
  const pathTopic = encodeURIComponent(topic).replace(/%3A/gi, ":");
  const auth = authorization === undefined ? bearer(server, ["publish"]) : authorization === null ? {} : { authorization };
  return httpRequest(`${server.url}/api/broadcast/${pathTopic}${query}`, {
    method: "POST",
    body: text,
    headers: { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...auth },
    timeoutMs,
  });
}

// Writes `request` verbatim on a new TCP connection and collects everything the server sends
// until it closes the connection. Resolves to {text, status, closedAfterMs, reset}; `status` is the
// status code of the first response line (or null). A reset (ECONNRESET) still resolves, with
// whatever had arrived, because a server may close while the client is still sending.
export function rawHttp(port, request, { timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const sock = net.connect({ host: "127.0.0.1", port });
    const chunks = [];
    let reset = false;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`raw HTTP: the server did not close the connection within ${timeoutMs} ms; got: ` +
        JSON.stringify(Buffer.concat(chunks).toString("latin1").slice(0, 300))));
    }, timeoutMs);
    sock.on("connect", () => sock.write(request));
    sock.on("data", (c) => chunks.push(c));
    sock.on("error", (err) => {
      if (err.code === "ECONNRESET" || err.code === "EPIPE") reset = true;
      else {
        clearTimeout(timer);
        reject(err);
      }
    });
    sock.on("close", () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("latin1");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ text, status: m ? Number(m[1]) : null, closedAfterMs: Date.now() - started, reset });
    });
  });
}

// ---- Raw WebSocket frames -----------------------------------------------------------------

// Encodes one client frame. mask: false sends it unmasked (a protocol error from a client);
// rsv: the three reserved bits (0..7) for the same reason.
export function encodeFrame(opcode, payload = Buffer.alloc(0), { mask = true, fin = true, rsv = 0 } = {}) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const len = data.length;
  const lenBytes = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + lenBytes + (mask ? 4 : 0));
  head[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f);
  head[1] = (mask ? 0x80 : 0) | (len < 126 ? len : len < 65536 ? 126 : 127);
  if (lenBytes === 2) head.writeUInt16BE(len, 2);
  if (lenBytes === 8) head.writeBigUInt64BE(BigInt(len), 2);
  if (!mask) return Buffer.concat([head, data]);
  const key = crypto.randomBytes(4);
  key.copy(head, 2 + lenBytes);
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = data[i] ^ key[i & 3];
  return Buffer.concat([head, masked]);
}

export function closePayload(code, reason = "") {
  const b = Buffer.alloc(2 + Buffer.byteLength(reason));
  b.writeUInt16BE(code, 0);
  b.write(reason, 2);
  return b;
}

// A WebSocket client made by hand on a TCP socket: see the file comment.
export class RawWebSocket {
  // Upgrades `path` (default: the Phoenix socket, V2) and resolves once the 101 arrived.
  static async connect(port, { path = "/socket/websocket?vsn=2.0.0", headers = {}, timeoutMs = 5000 } = {}) {
    const sock = net.connect({ host: "127.0.0.1", port });
    const key = crypto.randomBytes(16).toString("base64");
    const lines = [
      `GET ${path} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      "Upgrade: websocket",
      "Connection: Upgrade",
      `Sec-WebSocket-Key: ${key}`,
      "Sec-WebSocket-Version: 13",
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ];
    const head = await new Promise((resolve, reject) => {
      let buf = Buffer.alloc(0);
      const timer = setTimeout(() => fail(new Error(`raw upgrade of ${path}: no response within ${timeoutMs} ms`)), timeoutMs);
      const fail = (err) => {
        clearTimeout(timer);
        sock.destroy();
        reject(err);
      };
      const onData = (c) => {
        buf = Buffer.concat([buf, c]);
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        clearTimeout(timer);
        sock.off("data", onData).off("error", fail).off("close", onClose);
        resolve({ text: buf.subarray(0, end).toString("latin1"), rest: buf.subarray(end + 4) });
      };
      const onClose = () => fail(new Error(`raw upgrade of ${path}: connection closed before a response`));
      sock.on("connect", () => sock.write(lines.join("\r\n") + "\r\n\r\n"));
      sock.on("data", onData).on("error", fail).on("close", onClose);
    });
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head.text)?.[1]);
    if (status !== 101) {
      sock.destroy();
      throw new Error(`raw upgrade of ${path}: expected 101, got: ${head.text.split("\r\n")[0]}`);
    }
    const expectAccept = crypto.createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
    if (!head.text.toLowerCase().includes(`sec-websocket-accept: ${expectAccept.toLowerCase()}`)) {
      sock.destroy();
      throw new Error(`raw upgrade: wrong or missing Sec-WebSocket-Accept in:\n${head.text}`);
    }
    return new RawWebSocket(sock, head.rest, head.text);
  }

  constructor(sock, leftover, responseHead) {
    this.sock = sock;
    this.responseHead = responseHead;
    this.buf = leftover;
    this.frames = []; // parsed, not yet taken
    this.waiters = [];
    this.ended = false; // the server closed the TCP connection
    this.error = null;
    sock.on("data", (c) => {
      this.buf = Buffer.concat([this.buf, c]);
      this.#parse();
      this.#wake();
    });
    sock.on("error", (err) => (this.error = err));
    sock.on("close", () => {
      this.ended = true;
      this.#wake();
    });
    this.#parse();
  }

  #parse() {
    for (;;) {
      const b = this.buf;
      if (b.length < 2) return;
      let len = b[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      const masked = (b[1] & 0x80) !== 0;
      if (masked) off += 4;
      if (b.length < off + len) return;
      this.frames.push({
        fin: (b[0] & 0x80) !== 0,
        rsv: (b[0] >> 4) & 7,
        opcode: b[0] & 0x0f,
        masked, // a server must never mask: tests assert this is false
        payload: Buffer.from(b.subarray(off, off + len)),
      });
      this.buf = b.subarray(off + len);
    }
  }

  #wake() {
    while (this.waiters.length && (this.frames.length || this.ended)) this.waiters.shift()();
  }

  send(opcode, payload, opts) {
    this.sock.write(encodeFrame(opcode, payload, opts));
  }
  sendText(text, opts) {
    this.send(OP.text, Buffer.from(text), opts);
  }
  sendJson(value, opts) {
    this.sendText(JSON.stringify(value), opts);
  }
  pause() {
    this.sock.pause();
  }
  resume() {
    this.sock.resume();
  }
  destroy() {
    this.sock.destroy();
  }

  // The next frame from the server, or null if the connection ended first.
  next(timeoutMs = 5000, what = "a frame") {
    if (this.frames.length) return Promise.resolve(this.frames.shift());
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`raw WebSocket: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = () => {
        clearTimeout(timer);
        resolve(this.frames.length ? this.frames.shift() : null);
      };
      this.waiters.push(waiter);
    });
  }

  // The next text frame parsed as JSON (skipping nothing: a binary frame here fails the test).
  async nextJson(timeoutMs = 5000, what = "a text frame") {
    const f = await this.next(timeoutMs, what);
    if (!f) throw new Error(`raw WebSocket: connection ended while waiting for ${what}`);
    if (f.opcode !== OP.text) throw new Error(`raw WebSocket: expected ${what}, got opcode ${f.opcode}`);
    return JSON.parse(f.payload.toString("utf8"));
  }

  // Reads until the server's close frame, answers it, and waits for the TCP connection to end.
  // Resolves to {code, reason, before: [data frames seen first], closeFrame: bool}.
  // closeFrame is false when the server dropped the connection without a close frame.
  async closed(timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    const before = [];
    for (;;) {
      const f = await this.next(Math.max(1, deadline - Date.now()), "close frame from the server");
      if (!f) return { code: null, reason: "", before, closeFrame: false };
      if (f.opcode !== OP.close) {
        before.push(f);
        continue;
      }
      const code = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : null;
      const reason = f.payload.subarray(2).toString("utf8");
      if (!this.sock.destroyed) this.sock.write(encodeFrame(OP.close, f.payload.subarray(0, 2)));
      await this.waitEnded(Math.max(1, deadline - Date.now()));
      return { code, reason, before, closeFrame: true, masked: f.masked };
    }
  }

  // Waits for the server to end the TCP connection.
  waitEnded(timeoutMs = 5000) {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`raw WebSocket: server kept the connection open ${timeoutMs} ms after its close frame`)), timeoutMs);
      this.sock.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

// ---- `ws` client with a message queue -----------------------------------------------------

// A `ws` WebSocket whose messages queue up for next(): text frames parsed as JSON, binary frames as
// Buffers. protocols / headers go to the upgrade request.
export class WsClient {
  static async connect(server, { query = "vsn=2.0.0", protocols, timeoutMs = 5000 } = {}) {
    const ws = new WebSocket(`${server.wsUrl}/websocket?${query}`, protocols, { perMessageDeflate: false });
    const client = new WsClient(ws);
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`ws: not open within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.once("open", () => {
        clearTimeout(timer);
        resolve();
      });
      ws.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    return client;
  }

  constructor(ws) {
    this.ws = ws;
    this.messages = [];
    this.waiters = [];
    this.closeInfo = null;
    this.closedPromise = new Promise((resolve) => {
      ws.on("close", (code, reason) => {
        this.closeInfo = { code, reason: reason.toString("utf8") };
        resolve(this.closeInfo);
        this.#wake();
      });
    });
    ws.on("error", (err) => (this.error = err)); // reported through close / next()
    ws.on("message", (data, isBinary) => {
      this.messages.push(isBinary ? Buffer.from(data) : JSON.parse(data.toString("utf8")));
      this.#wake();
    });
  }

  #wake() {
    while (this.waiters.length && (this.messages.length || this.closeInfo)) this.waiters.shift()();
  }

  send(value) {
    this.ws.send(JSON.stringify(value));
  }
  sendRaw(data, { binary = false } = {}) {
    this.ws.send(data, { binary });
  }

  // The next message; rejects if the socket closes first or on timeout.
  next(timeoutMs = 5000, what = "a message") {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`ws: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = () => {
        clearTimeout(timer);
        if (this.messages.length) resolve(this.messages.shift());
        else reject(new Error(`ws: closed (${JSON.stringify(this.closeInfo)}) while waiting for ${what}`));
      };
      this.waiters.push(waiter);
      this.#wake();
    });
  }

  // The next message for which pred(msg) holds, skipping others (e.g. presence_state pushes).
  async nextMatching(pred, timeoutMs = 5000, what = "a matching message") {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = await this.next(Math.max(1, deadline - Date.now()), what);
      if (pred(m)) return m;
    }
  }

  // Resolves to {code, reason} once the socket closed; rejects on timeout.
  closed(timeoutMs = 5000) {
    let timer;
    return Promise.race([
      this.closedPromise.finally(() => clearTimeout(timer)),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`ws: still open after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  }

  terminate() {
    this.ws.terminate();
  }
}
