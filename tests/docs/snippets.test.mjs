// snippets.test.mjs — the guides' code cannot rot: every fenced block of docs/*.md whose info
// string names a file (```cpp examples/kanban/main.cpp) must be a run of whole lines of that
// file, which CI builds and tests (the kanban example, the scaffold, the harness tests). Files
// of scaffold/ are read as `cohort new tally` and `cohort gen live stats` write them. The guides
// (GUIDES) may hold no other code: a block there names its file, or is shell commands whose
// `cohort` options are checked against the binary's own --help, or is `text` (output shown).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const GUIDES = ["getting-started.md", "stores.md", "live.md", "testing.md", "deploy.md", "js-client.md"];
const COHORT = process.env.COHORT_BIN;
const VERSION = /project\(cohort VERSION (\S+)/i.exec(fs.readFileSync("CMakeLists.txt", "utf8"))?.[1];

// Every fenced block of a Markdown file: {info, lines, at (its first line number)}.
function blocks(file) {
  const out = [];
  const lines = fs.readFileSync(file, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(.*)$/.exec(lines[i]);
    if (!open) continue;
    const body = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]); j++) body.push(lines[j].slice(open[1].length));
    out.push({ info: open[2].trim(), lines: body, at: i + 1 });
    i = j;
  }
  return out;
}

// A file's lines as the reader sees them (scaffold words replaced).
function source(file) {
  let text = fs.readFileSync(file, "utf8");
  if (file.startsWith("scaffold/"))
    text = text.replaceAll("@app@", "tally").replaceAll("@APP@", "TALLY").replaceAll("@name@", "stats")
               .replaceAll("@cohort_version@", VERSION);
  return text.split("\n");
}

function contains(whole, part) {
  for (let i = 0; i + part.length <= whole.length; i++)
    if (part.every((line, k) => whole[i + k] === line)) return true;
  return false;
}

// The options `cohort <command> --help` lists, by command.
const helpCache = new Map();
function optionsOf(command) {
  if (!helpCache.has(command)) {
    const help = execFileSync(COHORT, [command, "--help"], { encoding: "utf8" });
    helpCache.set(command, new Set(help.match(/--[a-z][a-z0-9-]*/g)));
  }
  return helpCache.get(command);
}

// Every `cohort CMD --opt` (or `<app> CMD --opt` for an app of the scaffold) names a real option.
function checkCommands(block, where) {
  for (const line of block.lines.join("\n").replace(/\\\n/g, " ").split("\n")) {
    const m = /(?:^|[\s/])(?:cohort|tally|kanban)\s+(serve|check|token|grant|backup|restore|new|gen)\b(.*)$/.exec(line);
    if (!m) continue;
    for (const opt of m[2].match(/--[a-z][a-z0-9-]*/g) ?? [])
      assert.ok(optionsOf(m[1]).has(opt), `${where}: \`${m[1]} ${opt}\` is not an option of \`cohort ${m[1]} --help\``);
  }
}

test("every block that names a file is a run of that file's lines", () => {
  let checked = 0;
  for (const doc of fs.readdirSync("docs").filter((f) => f.endsWith(".md"))) {
    for (const b of blocks(path.join("docs", doc))) {
      const [, file] = b.info.split(/\s+/);
      if (!file) continue;
      const where = `docs/${doc}:${b.at}`;
      assert.ok(fs.existsSync(file), `${where}: ${file} does not exist`);
      assert.ok(contains(source(file), b.lines), `${where}: the block is not a run of lines of ${file}`);
      checked++;
    }
  }
  assert.ok(checked >= 10, `only ${checked} blocks name a file`);
});

test("the guides hold no code that is not checked", () => {
  for (const doc of GUIDES) {
    for (const b of blocks(path.join("docs", doc))) {
      const [lang, file] = b.info.split(/\s+/);
      const where = `docs/${doc}:${b.at}`;
      if (file || lang === "text") continue;
      assert.ok(lang === "sh", `${where}: a \`${lang || "plain"}\` block must name its file (\`\`\`${lang || "cpp"} path/to/file)`);
      checkCommands(b, where);
    }
  }
});
