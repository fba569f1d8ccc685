// metrics.test.mjs — GET /metrics read by a real parser: Prometheus' own `promtool check metrics`
// (which also lints: HELP and TYPE present, units and _total in names, naming rules) must accept
// a fresh node's scrape, a loaded node's and a clustered node's with no problem reported. Under
// load from the official clients the histograms move by exactly what was done: channel joins,
// store ops (arrival to ack after commit) and the ops per storage transaction, broadcast
// fan-outs, live view renders and pushed diffs; /metrics/live shows the same figures.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

import { ClientPool, cast, collectEvents, joinResult, push, uniq } from "./helpers.mjs";
import { startCluster, untilMetrics } from "./cluster.mjs";
import { startServer } from "./server.mjs";
import { follower } from "./store_client.mjs";
import { SECRET } from "./tokens.mjs";
import { httpRequest } from "./wire.mjs";

const DEADLINE_MS = 5000;

async function scrape(server) {
  const r = await httpRequest(`${server.adminUrl}/metrics`);
  assert.equal(r.status, 200, `/metrics: ${r.body}`);
  assert.match(String(r.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
  return r.body;
}

// promtool reads the text from stdin; it exits non-zero on a parse error or a lint problem and
// prints each problem. Nothing printed and exit 0 is a clean scrape.
function promtool(text) {
  const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8", timeout: 10_000 });
  assert.equal(r.error, undefined, `promtool did not run: ${r.error}`);
  return { status: r.status, output: (r.stdout + r.stderr).trim() };
}

function assertClean(text, what) {
  const { status, output } = promtool(text);
  assert.equal(output, "", `promtool on ${what}:\n${output}`);
  assert.equal(status, 0, `promtool exit status on ${what}`);
}

// {series: value} of a scrape, a series written as the text has it: name{labels}.
function parse(text) {
  const out = {};
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    out[line.slice(0, space)] = Number(line.slice(space + 1));
  }
  return out;
}

async function values(server) {
  return parse(await scrape(server));
}

// Resolves with the scrape once pred(values) holds; rejects at the deadline with what was seen.
async function until(server, pred, what) {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const v = await values(server);
    if (pred(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20)); // poll interval: the condition ends the wait
  }
}

const delta = (after, before, series) => (after[series] ?? 0) - (before[series] ?? 0);

describe("a node's /metrics", () => {
  let server;
  const pool = new ClientPool();
  before(async () => {
    server = await startServer({ admin: true, args: ["--secret", SECRET] });
  });
  after(async () => {
    await pool.closeAll();
    await server?.kill();
  });

  test("a fresh node's scrape passes promtool with no lint problem; every family has HELP and TYPE", async () => {
    const text = await scrape(server);
    assertClean(text, "a fresh node");
    for (const family of ["cohort_channel_join_seconds", "cohort_store_op_seconds", "cohort_broadcast_fanout_seconds",
                          "cohort_live_render_seconds", "cohort_live_diff_bytes", "cohort_storage_commit_batch_ops"]) {
      assert.match(text, new RegExp(`^# HELP ${family} .+$`, "m"), family);
      assert.match(text, new RegExp(`^# TYPE ${family} histogram$`, "m"), family);
      assert.match(text, new RegExp(`^${family}_bucket\\{le="\\+Inf"\\} \\d+$`, "m"), family);
    }
    for (const gauge of ["cohort_websockets_open", "cohort_outbound_queue_bytes", "cohort_presence_keys",
                         "cohort_store_keys_loaded", "cohort_live_views_open", "cohort_storage_queue_depth"])
      assert.match(text, new RegExp(`^# TYPE ${gauge} gauge$`, "m"), gauge);
    const v = parse(text);
    // The series that were there before the one formatter keep their names.
    for (const series of ["cohort_connections_open", "cohort_messages_in_total", "cohort_heap_in_use_bytes",
                          'cohort_limit_refusals_total{limit="socket_channels"}', 'cohort_parser_refusals_total{kind="json_too_deep"}'])
      assert.ok(series in v, `${series} in /metrics`);
  });

  test("joins move the join histogram by exactly their number and the channels gauge by topic class", async () => {
    const before = await values(server);
    const socket = await pool.connected(server);
    const channels = [];
    for (let i = 0; i < 5; i++) {
      const channel = socket.channel(uniq("room:metrics"), { user_id: "m" });
      const r = await joinResult(channel);
      assert.equal(r.status, "ok");
      channels.push(channel);
    }
    const refusedChannel = socket.channel(uniq("store:nosuchkind:x"));
    const refused = await joinResult(refusedChannel);
    assert.equal(refused.status, "error", "a join the handler refuses is answered too");
    refusedChannel.leave(); // else the client joins it again and again
    const joined = await values(server);
    assert.equal(delta(joined, before, "cohort_channel_join_seconds_count"), 6, "5 joins answered ok, 1 refused");
    assert.ok(delta(joined, before, "cohort_channel_join_seconds_sum") > 0);
    assert.equal(delta(joined, before, 'cohort_channels_joined{topic_class="room"}'), 5);
    assert.equal(joined['cohort_channels_joined{topic_class="store"}'] ?? 0, before['cohort_channels_joined{topic_class="store"}'] ?? 0,
                 "a refused join is not a joined channel");
    assert.ok(joined.cohort_websockets_open >= 1);
    for (const channel of channels) assert.equal((await new Promise((r) => channel.leave().receive("ok", () => r("ok")))), "ok");
    await until(server, (v) => v['cohort_channels_joined{topic_class="room"}'] === (before['cohort_channels_joined{topic_class="room"}'] ?? 0),
                "the room channels to leave the gauge");
  });

  test("store ops move the op histogram and the ops per transaction by exactly the ops acked", async () => {
    const before = await values(server);
    const key = uniq("doc:metrics");
    const f = await follower(pool, server, key);
    assert.equal(f.join.status, "ok");
    const OPS = 7;
    const replies = await Promise.all(Array.from({ length: OPS }, () => f.op("incr", { counter: "n" })));
    for (const r of replies) assert.equal(r.status, "ok", JSON.stringify(r.response));
    const done = await values(server);
    assert.equal(delta(done, before, "cohort_store_op_seconds_count"), OPS);
    assert.ok(delta(done, before, "cohort_store_op_seconds_sum") > 0);
    // Each op was acked after the commit of the transaction that held it: all 7 are counted.
    assert.equal(delta(done, before, "cohort_storage_commit_batch_ops_sum"), OPS);
    const transactions = delta(done, before, "cohort_storage_commit_batch_ops_count");
    assert.ok(transactions >= 1 && transactions <= OPS, `${transactions} transactions for ${OPS} ops`);
    assert.equal(delta(done, before, "cohort_storage_commit_failures_total"), 0);
    assert.equal(delta(done, before, "cohort_channel_join_seconds_count"), 1, "the store join");
    assert.ok(done.cohort_store_keys_loaded >= 1);
    assert.equal(done.cohort_storage_queue_depth, 0, "nothing left queued once every op is acked");
    // The op histogram's buckets are cumulative and end with every op.
    assert.equal(delta(done, before, 'cohort_store_op_seconds_bucket{le="+Inf"}'), OPS);
  });

  test("broadcasts move the fan-out histogram by exactly their number", async () => {
    const topic = uniq("room:fanout");
    const listener = await pool.joined(server, topic, { params: { user_id: "l" } });
    const sender = await pool.joined(server, topic, { params: { user_id: "s" } });
    const before = await values(server);
    const BROADCASTS = 4;
    const heard = collectEvents(listener.channel, "shout", BROADCASTS);
    for (let i = 0; i < BROADCASTS; i++) cast(sender.channel, "shout", { n: i });
    await heard;
    const v = await until(server, (x) => delta(x, before, "cohort_broadcast_fanout_seconds_count") >= BROADCASTS,
                          `${BROADCASTS} fan-outs counted`);
    assert.equal(delta(v, before, "cohort_broadcast_fanout_seconds_count"), BROADCASTS);
    assert.ok(delta(v, before, "cohort_broadcast_fanout_seconds_sum") > 0);
    assert.ok(v.cohort_presence_keys >= 0);
    assertClean(await scrape(server), "a node after joins, ops and broadcasts");
  });

  test("a live view's renders and pushed diffs are in /metrics, and /metrics/live shows the same collection", async () => {
    const before = await values(server);
    const page = await httpRequest(`${server.url}/counter`);
    assert.equal(page.status, 200);
    const id = /data-phx-main data-phx-session="([^"]+)"/.exec(page.body);
    const root = /<div id="(phx-[^"]+)" data-phx-main/.exec(page.body)?.[1];
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page.body)?.[1];
    assert.ok(id && root && csrf, "the counter page has a live root");
    const socket = await pool.connected({ wsUrl: `ws://127.0.0.1:${server.port}/live` }, { params: { _csrf_token: csrf } });
    const channel = socket.channel(`lv:${root}`, () => ({
      url: `${server.url}/counter`, params: { _csrf_token: csrf, _mounts: 0, _mount_attempts: 0 },
      session: id[1], static: null, sticky: false,
    }));
    assert.equal((await joinResult(channel)).status, "ok");
    const reply = await push(channel, "event", { type: "click", event: "inc", value: { by: "1", value: "" } });
    assert.equal(reply.status, "ok");
    const v = await values(server);
    // One mount for the page's HTTP render (that view ends with the request), one for the join.
    assert.equal(delta(v, before, "cohort_live_views_mounted_total"), 2);
    assert.equal(delta(v, before, "cohort_live_views_open"), 1);
    // The join's full render and the event's diff at least; every render is timed.
    assert.ok(delta(v, before, "cohort_live_render_seconds_count") >= 2);
    assert.equal(v.cohort_live_render_seconds_count, v.cohort_live_renders_total);
    const live = JSON.parse((await httpRequest(`${server.adminUrl}/metrics/live`)).body);
    const after = await values(server);
    assert.ok(live.renders >= v.cohort_live_renders_total && live.renders <= after.cohort_live_renders_total);
    assert.equal(live.views_mounted, after.cohort_live_views_mounted_total);
    assert.equal(live.diffs_pushed, after.cohort_live_diff_bytes_count);
    assert.equal(live.diff_bytes, after.cohort_live_diff_bytes_sum);
    assert.equal(live.uploads.refused.timeout, after['cohort_live_upload_refusals_total{reason="timeout"}']);
    channel.leave();
    await until(server, (x) => x.cohort_live_views_open === before.cohort_live_views_open, "the view to end");
  });
});

describe("a clustered node's /metrics", () => {
  let cluster;
  before(async () => {
    cluster = await startCluster(2);
  });
  after(async () => {
    await cluster?.stopAll();
  });

  test("passes promtool with no lint problem, and counts both nodes up", async () => {
    for (const node of cluster.nodes) {
      await untilMetrics(node, (m) => m.cohort_cluster_nodes_up === 2, "both nodes up");
      const text = await scrape(node);
      assertClean(text, "a clustered node");
      assert.match(text, /^# TYPE cohort_cluster_links_up gauge$/m);
      assert.match(text, /^cohort_cluster_links_up 2$/m);
    }
  });
});
