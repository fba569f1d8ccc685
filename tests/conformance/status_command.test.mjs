// status_command.test.mjs — `cohort status --url URL [--token T]` against a real node: its summary
// names the node, counts the open WebSockets, shows the message rate of a client shouting on a
// room (two samples a second apart) with the room among the busiest topics and a store key with
// its version; and it fails clearly (exit 1, one line on stderr) for a refused connection, a
// main port without a token (401), a token without role metrics (403), and an answer that is not
// a Cohort status.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";

import { ClientPool, cast, push, uniq } from "./helpers.mjs";
import { freePort, runCommand, serverForFile } from "./server.mjs";
import { follower } from "./store_client.mjs";
import { SECRET, apiToken } from "./tokens.mjs";

const pool = new ClientPool();
let server;
serverForFile(pool, (s) => (server = s), { args: ["--secret", SECRET], admin: true });

test("the summary names the node, its sockets, its message rate, a busy topic and a store key", async () => {
  const topic = uniq("room:status");
  const { channel } = await pool.joined(server, topic, { params: { user_id: "shouter" } });
  await pool.joined(server, topic, { params: { user_id: "listener" } });
  const key = uniq("doc:status");
  const f = await follower(pool, server, key);
  assert.deepEqual(await push(f.channel, "op", { name: "incr", args: { counter: "n" } }), { status: "ok", response: { version: 1 } });
  const shouting = setInterval(() => cast(channel, "shout", { n: 1 }), 10);
  try {
    // The node samples once a second: wait for a sample that has seen the shouting.
    let out;
    for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
      const r = await runCommand(["status", "--url", server.adminUrl]);
      assert.equal(r.code, 0, r.stderr);
      out = r.stdout;
      if (new RegExp(`${topic} \\(2 subs, [1-9]`).test(out)) break;
    }
    const [head, columns, row] = out.split("\n");
    assert.equal(head, `${server.adminUrl}: 1 node(s)`);
    assert.match(columns, /^NODE\s+ID\s+UPTIME\s+CONNS\s+WS\s+IN\/S\s+OUT\/S\s+KEYS\s+STORAGE\s+REDIS$/);
    const cells = row.trim().split(/\s+/);
    assert.match(cells[0], new RegExp(`:${server.port}$`), "the node's name ends with its main port");
    assert.equal(Number(cells[4]), 3, "three WebSockets open");
    assert.ok(Number(cells[5]) > 10, `messages in per second from two samples: ${cells[5]}`);
    assert.equal(Number(cells[7]), 1, "one store key in memory");
    assert.match(row, /sqlite \(\d+ queued\)\s+alone$/);
    assert.match(out, new RegExp(`topics: .*${topic} \\(2 subs, [1-9]`));
    assert.match(out, new RegExp(`store keys: ${key} v1 \\(1 followers\\)`));
  } finally {
    clearInterval(shouting);
  }
});

test("on the main port it needs an API token of role metrics", async () => {
  const none = await runCommand(["status", "--url", server.url]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /refused the request \(401\).*--token/);
  const wrong = await runCommand(["status", "--url", server.url, "--token", apiToken(server, ["publish"])]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /refused the request \(403\)/);
  const good = await runCommand(["status", "--url", server.url, "--token", apiToken(server, ["metrics"])]);
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /1 node\(s\)/);
});

test("a refused connection, something that is not Cohort and bad usage each fail with one clear line", async () => {
  const port = await freePort();
  const refused = await runCommand(["status", "--url", `http://127.0.0.1:${port}`]);
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr, `cohort status: cannot read http://127.0.0.1:${port}: connect: Connection refused\n`);

  const other = http.createServer((req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<h1>hello</h1>"));
  await new Promise((r) => other.listen(0, "127.0.0.1", r));
  try {
    const url = `http://127.0.0.1:${other.address().port}`;
    const r = await runCommand(["status", "--url", url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /did not answer a Cohort status \(not JSON/);
  } finally {
    other.close();
  }
  const usage = await runCommand(["status"]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--url is required/);
});
