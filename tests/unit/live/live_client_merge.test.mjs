// live_client_merge.test.mjs — src/live/rendering.hpp against the real client: the diffs of
// live_trace (LIVE_TRACE_BIN) are merged by phoenix_live_view 1.2.12's own Rendered class, and
// after every step the client's HTML must equal the HTML of an independent full render.
//
// Rendered is not exported by the package, so the test loads the package's ESM bundle from
// node_modules into a temporary module that also exports it (nothing is copied into the repo).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";

globalThis.window ??= globalThis; // the bundle's deepClone checks `"structuredClone" in window`

async function loadRendered() {
  const bundle = path.resolve("node_modules/phoenix_live_view/priv/static/phoenix_live_view.esm.js");
  const source = fs.readFileSync(bundle, "utf8");
  assert.match(source, /\nvar Rendered = class/, "bundle layout changed: no Rendered class");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cohort-lv-"));
  const file = path.join(dir, "lv.mjs");
  fs.writeFileSync(file, source.replace(/\nexport \{/, "\nexport { Rendered,"));
  try {
    return (await import(pathToFileURL(file).href)).Rendered;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("client merges of every diff equal a fresh full render", async () => {
  const Rendered = await loadRendered();
  const bin = process.env.LIVE_TRACE_BIN;
  assert.ok(bin, "LIVE_TRACE_BIN must name the live_trace binary");
  const lines = execFileSync(bin, { encoding: "utf8", maxBuffer: 256 << 20 }).trim().split("\n");
  assert.ok(lines.length >= 20);
  let merged = 0;
  for (const line of lines) {
    const { name, full, html, steps } = JSON.parse(line);
    const rendered = new Rendered("phx-test", full);
    // The client marks component roots (data-phx-component, data-phx-view, data-phx-id); the
    // server's HTML has none of them.
    const client = rendered.toString().buffer.replace(/ data-phx-[a-z-]+(="[^"]*")?/g, "");
    assert.equal(client, html, `${name}: join render`);
    steps.forEach((step, i) => {
      if (Object.keys(step.diff).length > 0) {
        rendered.mergeDiff(step.diff);
        merged++;
      }
      assert.equal(rendered.toString().buffer, step.html, `${name}: step ${i} ${JSON.stringify(step.diff)}`);
    });
  }
  assert.ok(merged > 1000, `only ${merged} non-empty diffs`);
  assert.ok(lines.some((line) => JSON.parse(line).name === "components"));
});
