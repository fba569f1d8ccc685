// limits_ip.test.mjs — what one client address may open (docs/security.md, "Limits per client"):
// connections held open and new connections per second, answered 429 before anything else; the
// client's address behind a trusted proxy (X-Forwarded-For, Forwarded) and never from an
// untrusted peer's headers.
//
// On Linux all of 127.0.0.0/8 is loopback: the attacks come from 127.0.0.1 (or .3, .4, .5) and the
// bystander from 127.0.0.2, another client address. Each attack asserts the 429 and its JSON
// reason, the /metrics counter, and that the bystander is still served, with its round trip
// before and during the attack printed ([limits] lines).
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";

import { bystander, ClientPool, uniq } from "../conformance/helpers.mjs";
import { startServer } from "../conformance/server.mjs";
import { boundTransport, latencyProbe, metric, rawGet, rawUpgrade, report, untilMetric } from "./limits_support.mjs";

const BYSTANDER = "127.0.0.2";

const pool = new ClientPool();
const held = []; // raw connections a test keeps open
function hold(r) {
  held.push(r.sock);
  return r;
}
afterEach(async () => {
  for (const s of held.splice(0)) s.destroy();
  await pool.closeAll();
});

// A node with the given per-address flags, a bystander from 127.0.0.2 and its latency probe.
function nodeWith(args) {
  const ctx = {};
  const longLived = new ClientPool();
  before(async () => {
    ctx.server = await startServer({ admin: true, args });
    ctx.watcher = await bystander(longLived, ctx.server, uniq("room:bystander"), { transport: boundTransport(BYSTANDER) });
    ctx.probe = latencyProbe(ctx.watcher.channel);
  });
  after(async () => {
    for (const s of held.splice(0)) s.destroy();
    await longLived.closeAll();
    await ctx.server?.kill();
  });
  return ctx;
}

function assert429(r, reason, what) {
  assert.equal(r.status, 429, `${what}: ${r.head}`);
  assert.match(r.head, /\r\nRetry-After: 1\r\n/i, `${what}: Retry-After`);
  assert.deepEqual(JSON.parse(r.body), { error: reason }, what);
}

describe("open connections per address (--ip-max-connections 20)", () => {
  const ctx = nodeWith(["--ip-max-connections", "20", "--ip-connections-per-s", "100000", "--ip-connection-burst", "100000"]);

  test("past 20 open connections, an upgrade and a plain request are answered 429; closing some lets new ones in", async () => {
    const { server } = ctx;
    const refusedBefore = await metric(server, "cohort_limit_refusals_total", "ip_connections");
    const openBefore = await metric(server, "cohort_websockets_open");
    for (let i = 0; i < 20; i++) assert.equal(hold(await rawUpgrade(server.port)).status, 101, `upgrade ${i + 1} of 20`);
    const before = await ctx.probe.sample();
    // 100 more at once: every one refused before its upgrade.
    const attack = Promise.all(Array.from({ length: 100 }, () => rawUpgrade(server.port)));
    const during = await ctx.probe.during(attack);
    const refused = await attack;
    for (const r of refused) assert429(r, "too many connections from your address", "upgrade 21+");
    assert429(await rawGet(server.port, "/healthz"), "too many connections from your address", "plain GET");
    assert.equal(await metric(server, "cohort_limit_refusals_total", "ip_connections"), refusedBefore + 101);
    // Another address is not affected: its new connections are served.
    assert.equal((await rawGet(server.port, "/healthz", { localAddress: BYSTANDER })).status, 200);
    await ctx.watcher.check("while 127.0.0.1 is at its limit");
    report("100 connections past --ip-max-connections 20", before, during, "all 100 answered 429 before the upgrade");

    // Five of the twenty end: five new ones fit, the sixth does not.
    for (const s of held.splice(0, 5)) s.destroy();
    await untilMetric(server, "cohort_websockets_open", null, (v) => v <= openBefore + 15, "five sockets closed");
    for (let i = 0; i < 5; i++) assert.equal(hold(await rawUpgrade(server.port)).status, 101, `new upgrade ${i + 1} of 5`);
    assert429(await rawUpgrade(server.port), "too many connections from your address", "the 21st again");
  });
});

describe("the defaults (--ip-max-connections 256, 50 a second, bursts of 100)", () => {
  const ctx = nodeWith(["--ip-max-connections", "256", "--ip-connections-per-s", "50", "--ip-connection-burst", "100"]);

  test("1,000 idle connections from one address at once: the burst is held, the rest answered 429", async () => {
    const { server } = ctx;
    const before = await ctx.probe.sample();
    const t0 = performance.now();
    const attack = Promise.all(Array.from({ length: 1000 }, () => rawGet(server.port, "/healthz", { localAddress: "127.0.0.3" })));
    const during = await ctx.probe.during(attack);
    const answers = await attack;
    const seconds = (performance.now() - t0) / 1000;
    for (const r of answers) if (r.status === 200) hold(r);
    const ok = answers.filter((r) => r.status === 200).length;
    const tooFast = answers.filter((r) => r.status === 429 && /too fast/.test(r.body)).length;
    const tooMany = answers.filter((r) => r.status === 429 && /too many/.test(r.body)).length;
    assert.equal(ok + tooFast + tooMany, 1000, `every connection answered 200 or 429: ${JSON.stringify(answers.filter((r) => r.status !== 200 && r.status !== 429).map((r) => r.head))}`);
    // At most the burst plus what 50 a second refilled meanwhile, and never more than 256.
    assert.ok(ok >= 100 && ok <= Math.min(256, 100 + Math.ceil(50 * seconds) + 1), `${ok} held in ${seconds.toFixed(2)} s`);
    assert.equal(await metric(server, "cohort_limit_refusals_total", "ip_connection_rate"), tooFast);
    assert.equal(await metric(server, "cohort_limit_refusals_total", "ip_connections"), tooMany);
    await ctx.watcher.check("after 1,000 connections from 127.0.0.3");
    report("1,000 idle connections at once from 127.0.0.3 (defaults)", before, during,
      `${ok} held, ${tooFast} refused too fast, ${tooMany} refused too many (in ${seconds.toFixed(2)} s)`);
  });
});

describe("new connections per second (--ip-connections-per-s 10 --ip-connection-burst 20)", () => {
  const ctx = nodeWith(["--ip-max-connections", "100000", "--ip-connections-per-s", "10", "--ip-connection-burst", "20"]);

  test("a burst of new connections past 20 is answered 429 too fast; another address is served", async () => {
    const { server } = ctx;
    const before = await ctx.probe.sample();
    const attack = Promise.all(Array.from({ length: 60 }, () => rawGet(server.port, "/healthz", { localAddress: "127.0.0.4" })));
    const during = await ctx.probe.during(attack);
    const answers = await attack;
    for (const r of answers) r.sock.destroy();
    const ok = answers.filter((r) => r.status === 200).length;
    const refused = answers.filter((r) => r.status === 429);
    for (const r of refused) assert429(r, "new connections too fast from your address", "connection past the burst");
    assert.equal(ok + refused.length, 60);
    assert.ok(ok >= 20 && ok <= 25, `${ok} of 60 admitted (burst 20, 10 a second)`);
    assert.equal(await metric(server, "cohort_limit_refusals_total", "ip_connection_rate"), refused.length);
    // The bystander's address has its own bucket: a burst of its own new connections is served.
    for (let i = 0; i < 10; i++) {
      const r = await rawGet(server.port, "/healthz", { localAddress: BYSTANDER });
      r.sock.destroy();
      assert.equal(r.status, 200, `bystander connection ${i + 1}`);
    }
    await ctx.watcher.check("after the connection burst");
    report("60 new connections at once from 127.0.0.4 (10/s, burst 20)", before, during, `${ok} admitted, ${refused.length} answered 429`);
  });
});

describe("behind a trusted proxy (--trusted-proxies 127.0.0.1 --ip-max-connections 3)", () => {
  const ctx = nodeWith(["--trusted-proxies", "127.0.0.1", "--ip-max-connections", "3",
                        "--ip-connections-per-s", "100000", "--ip-connection-burst", "100000"]);
  const xff = (value) => ({ headers: { "X-Forwarded-For": value } });

  test("the proxy's X-Forwarded-For names the client: three upgrades per client, the fourth 429", async () => {
    const { server } = ctx;
    const refusedBefore = await metric(server, "cohort_limit_refusals_total", "ip_connections");
    for (let i = 0; i < 3; i++) assert.equal(hold(await rawUpgrade(server.port, xff("203.0.113.7"))).status, 101);
    const before = await ctx.probe.sample();
    const attack = Promise.all(Array.from({ length: 50 }, () => rawUpgrade(server.port, xff("203.0.113.7"))));
    const during = await ctx.probe.during(attack);
    for (const r of await attack) assert429(r, "too many connections from your address", "fourth and later of 203.0.113.7");
    report("50 upgrades past the limit of one client behind a trusted proxy", before, during, "all 50 answered 429 at the upgrade");
    // The client a chain names is the hop nearest to us that is not a trusted proxy.
    assert429(await rawUpgrade(server.port, xff("198.51.100.1, 203.0.113.7, 127.0.0.1")), "too many connections from your address",
      "203.0.113.7 behind two proxies");
    // Another client behind the same proxy has its own three.
    for (let i = 0; i < 3; i++) assert.equal(hold(await rawUpgrade(server.port, xff("203.0.113.8"))).status, 101);
    // Plain requests through the proxy are the proxy's connections: not counted per client.
    assert.equal((await rawGet(server.port, "/healthz", xff("203.0.113.7"))).status, 200);
    assert.equal(await metric(server, "cohort_limit_refusals_total", "ip_connections"), refusedBefore + 51);
    await ctx.watcher.check("behind the proxy");
  });

  test("Forwarded (RFC 7239) names the client too, and an IPv6 client counts per /64", async () => {
    const { server } = ctx;
    const fwd = (value) => ({ headers: { Forwarded: value } });
    assert.equal(hold(await rawUpgrade(server.port, fwd('for="[2001:db8:1:2::1]:4711";proto=https'))).status, 101);
    assert.equal(hold(await rawUpgrade(server.port, fwd('for="[2001:db8:1:2::2]"'))).status, 101);
    assert.equal(hold(await rawUpgrade(server.port, fwd('for="[2001:db8:1:2::ffff]"'))).status, 101);
    assert429(await rawUpgrade(server.port, fwd('for="[2001:db8:1:2:aaaa::1]"')), "too many connections from your address",
      "a fourth address of the same /64");
    assert.equal(hold(await rawUpgrade(server.port, fwd('for="[2001:db8:1:3::1]"'))).status, 101, "another /64");
    // Forwarded wins over X-Forwarded-For.
    assert.equal(hold(await rawUpgrade(server.port, { headers: { Forwarded: "for=192.0.2.50", "X-Forwarded-For": "203.0.113.99" } })).status, 101);
  });

  test("an untrusted peer's forwarding headers are ignored: it is counted as itself, and refused at accept", async () => {
    const { server } = ctx;
    const refusedBefore = await metric(server, "cohort_limit_refusals_total", "ip_connections");
    const from5 = (value) => ({ localAddress: "127.0.0.5", headers: { "X-Forwarded-For": value, Forwarded: `for=${value}` } });
    const before = await ctx.probe.sample();
    for (let i = 0; i < 3; i++) assert.equal(hold(await rawUpgrade(server.port, from5(`198.51.100.${i + 1}`))).status, 101);
    // A fourth, naming yet another "client": refused before anything is read.
    const attack = Promise.all(Array.from({ length: 50 }, (_, i) => rawUpgrade(server.port, from5(`198.51.100.${i + 10}`))));
    const during = await ctx.probe.during(attack);
    for (const r of await attack) assert429(r, "too many connections from your address", "spoofed X-Forwarded-For");
    assert.equal(await metric(server, "cohort_limit_refusals_total", "ip_connections"), refusedBefore + 50);
    await ctx.watcher.check("after the spoofed headers");
    report("50 upgrades with spoofed X-Forwarded-For from an untrusted peer", before, during, "all 50 answered 429");
  });
});
