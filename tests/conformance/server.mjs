// server.mjs — starts and stops a Cohort node (the binary in $COHORT_BIN) for the conformance tests.
//
// startServer() spawns `$COHORT_BIN serve --host 127.0.0.1 --port 0 ...`, waits for the line
// `cohort listening on http(s)://127.0.0.1:<port>` on stdout and resolves to a handle:
//   { port, url, wsUrl, adminUrl, proc, args, dataDir, exited, stop(), kill(), restart(), output() }
// With {admin: true} the node also gets an admin listener (--admin-port on a free loopback
// port, checked against the `cohort admin listening on http://127.0.0.1:<port>` line): /metrics
// and /metrics/live are read at adminUrl without a token.
// Guarantees: every wait has a deadline and rejects with a message naming what it waited for,
// quoting the tail of the server's output; a child that exits before it is ready rejects at once.
// Every child still alive when the test process exits is killed, and every temporary --data-dir
// is removed then, so a failing test leaves nothing behind.
import { spawn } from "node:child_process";
import { after, afterEach, before } from "node:test";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const READY_LINE = /cohort listening on (https?):\/\/127\.0\.0\.1:(\d+)/;
const ADMIN_LINE = /cohort admin listening on http:\/\/127\.0\.0\.1:(\d+)/;
const START_TIMEOUT_MS = 10_000; // a node that cannot bind or start within 10 s is broken
const STOP_TIMEOUT_MS = 8_000; // SIGTERM must finish well inside this (shutdown grace is 3 s)
const TAIL_BYTES = 4_000; // how much server output a failure message quotes

// The per-address connection limits (docs/security.md, "Limits per client") default to what one
// household or office behind a NAT needs, and a test suite is not that: every client of every
// test connects from 127.0.0.1, thousands within seconds (one HTTP request per connection). So
// every node started here gets limits far above what a suite opens, unless the test gives the
// flag itself (the security tests of those limits do). The limits stay on: every connection still
// takes and returns its per-address slot.
const SUITE_ARGS = { "--ip-max-connections": "100000", "--ip-connections-per-s": "100000", "--ip-connection-burst": "100000" };
function withSuiteArgs(args) {
  const extra = [];
  for (const [flag, value] of Object.entries(SUITE_ARGS))
    if (!args.some((a) => a === flag || a.startsWith(`${flag}=`))) extra.push(flag, value);
  return [...extra, ...args];
}

let startFailure = null; // the first failed start: later starts fail at once instead of waiting again
const liveChildren = new Set(); // children not yet known to have exited
const dataDirs = new Set(); // temporary data dirs, removed at exit (a restart reuses one)
process.on("exit", () => {
  for (const proc of liveChildren) proc.kill("SIGKILL");
  for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
});

// The binary under test. Throws a clear error instead of letting the suite hang or fail late.
export function cohortBin() {
  const bin = process.env.COHORT_BIN;
  if (!bin) {
    throw new Error(
      "COHORT_BIN is not set: point it at the built server, e.g. " +
        "`COHORT_BIN=build/cohort node --test tests/conformance/`, or run the suite through ctest " +
        "(tests/conformance/tests.cmake sets it).",
    );
  }
  try {
    fs.accessSync(bin, fs.constants.X_OK);
  } catch {
    throw new Error(`COHORT_BIN=${bin} is not an executable file (build it first: cmake --build build)`);
  }
  return bin;
}

// A loopback port free at the time of the call (the OS picks it).
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Starts a node. port: 0 for any free port, or the port of a stopped node (see restart()).
// args: extra flags, e.g. ["--max-frame", "4096"] (plus SUITE_ARGS above, unless args set them). admin: true for an admin listener (or the
// admin port of a stopped node). wrap: a command that runs the binary (e.g. ["prlimit",
// "--fsize=1000000:unlimited"]); it must exec it, so that the child's pid is the node's.
// Resolves once the node prints its listening line.
// An admin port from freePort() can be taken by another test before the node binds it (the
// node then exits "admin listener: ... in use"): such a start is tried again, with another port,
// up to ADMIN_PORT_TRIES times. The main port has no such race (--port 0).
const ADMIN_PORT_TRIES = 3;
export async function startServer(options = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      if (!(err.adminPortTaken && options.admin === true && attempt < ADMIN_PORT_TRIES)) throw err;
    }
  }
}

async function startOnce({ port = 0, args = [], dataDir = null, admin = false, timeoutMs = START_TIMEOUT_MS, wrap = [] } = {}) {
  const bin = cohortBin();
  if (startFailure) throw new Error(`an earlier start of the server failed, not trying again:\n${startFailure.message}`);
  const dir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "cohort-conformance-"));
  dataDirs.add(dir);
  const adminPort = admin === true ? await freePort() : admin || null;
  const adminArgs = adminPort ? ["--admin-port", String(adminPort)] : [];
  const argv = ["serve", "--host", "127.0.0.1", "--port", String(port), "--data-dir", dir, ...adminArgs, ...withSuiteArgs(args)];
  const proc = wrap.length ? spawn(wrap[0], [...wrap.slice(1), bin, ...argv], { stdio: ["ignore", "pipe", "pipe"] })
    : spawn(bin, argv, { stdio: ["ignore", "pipe", "pipe"] });
  liveChildren.add(proc);

  let stdout = "";
  let stderr = "";
  proc.stdout.setEncoding("utf8").on("data", (chunk) => (stdout += chunk));
  proc.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => {
    proc.on("exit", (code, signal) => {
      liveChildren.delete(proc);
      resolve({ code, signal });
    });
  });
  const what = `${path.basename(bin)} ${argv.join(" ")}`;
  const tail = () =>
    `\n--- server stdout (tail) ---\n${stdout.slice(-TAIL_BYTES)}\n--- server stderr (tail) ---\n${stderr.slice(-TAIL_BYTES)}`;

  const ready = await new Promise((resolve, reject_) => {
    let settled = false; // the exit watcher below also fires long after a successful start
    const reject = (err) => {
      err.adminPortTaken = /admin listener: .*in use/i.test(stdout + stderr);
      if (!err.adminPortTaken) startFailure ??= err;
      reject_(err);
    };
    const finish = (fn, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      proc.stdout.off("data", onData);
      fn(value);
    };
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      finish(reject, new Error(`${what}: no "cohort listening on" line within ${timeoutMs} ms${tail()}`));
    }, timeoutMs);
    const onData = () => {
      const m = READY_LINE.exec(stdout);
      if (m) finish(resolve, { scheme: m[1], port: Number(m[2]), admin: ADMIN_LINE.exec(stdout)?.[1] });
    };
    proc.stdout.on("data", onData);
    proc.on("error", (err) => finish(reject, new Error(`cannot start ${bin}: ${err.message}`)));
    exited.then(({ code, signal }) =>
      finish(reject, new Error(`${what}: exited (code ${code}, signal ${signal}) before listening${tail()}`)),
    );
  });
  const boundPort = ready.port;
  if (port !== 0 && boundPort !== port) {
    proc.kill("SIGKILL");
    throw new Error(`${what}: asked for port ${port}, the server says it listens on ${boundPort}`);
  }
  if (adminPort && Number(ready.admin) !== adminPort) {
    proc.kill("SIGKILL");
    throw new Error(`${what}: asked for admin port ${adminPort}, the server says ${ready.admin}${tail()}`);
  }
  const ws = ready.scheme === "https" ? "wss" : "ws";

  return {
    port: boundPort,
    url: `${ready.scheme}://127.0.0.1:${boundPort}`,
    wsUrl: `${ws}://127.0.0.1:${boundPort}/socket`, // the phoenix Socket endpoint prefix
    adminUrl: adminPort ? `http://127.0.0.1:${adminPort}` : null,
    proc,
    args,
    dataDir: dir, // its --data-dir (the secret, moderator-grant, grant-epoch live here)
    exited, // resolves to {code, signal} once the child exits
    output: () => ({ stdout, stderr }),
    isRunning: () => liveChildren.has(proc),

    // SIGTERM, then waits for the exit. Resolves to {code, signal}; on timeout kills and rejects.
    async stop(stopTimeoutMs = STOP_TIMEOUT_MS) {
      if (liveChildren.has(proc)) proc.kill("SIGTERM");
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => {
          proc.kill("SIGKILL");
          reject(new Error(`${what}: did not exit within ${stopTimeoutMs} ms of SIGTERM${tail()}`));
        }, stopTimeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },

    // SIGKILL and wait: for after() hooks, where only cleanliness matters.
    async kill() {
      if (liveChildren.has(proc)) proc.kill("SIGKILL");
      await exited;
    },

    // A new node on the same port and data dir, with the same flags unless given others. The old
    // one must be stopped (or killed).
    async restart(newArgs = args, { wrap: newWrap = [] } = {}) {
      if (liveChildren.has(proc)) throw new Error(`${what}: restart() needs the server stopped first`);
      return startServer({ port: boundPort, args: newArgs, dataDir: dir, admin: adminPort ?? false, wrap: newWrap });
    },
  };
}

// Runs `$COHORT_BIN <args>` to its end (a command such as token or grant), with a deadline.
// Resolves to {code, stdout, stderr}.
export function runCommand(args, { timeoutMs = 10_000 } = {}) {
  const proc = spawn(cohortBin(), args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stdout.setEncoding("utf8").on("data", (c) => (stdout += c));
  proc.stderr.setEncoding("utf8").on("data", (c) => (stderr += c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`cohort ${args.join(" ")}: no exit within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    proc.on("error", (err) => (clearTimeout(timer), reject(err)));
    proc.on("close", (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}

// The flags that make a command read the same secret as a running node.
export function secretArgs(server) {
  const i = server.args.indexOf("--secret");
  return ["--data-dir", server.dataDir, ...(i >= 0 ? ["--secret", server.args[i + 1]] : [])];
}

// A fresh single-use sign-in link for a running node (`cohort grant`), as a path
// "/signin?grant=...&then=...".
export async function grantLink(server, { roles = "moderator", then = "/quiz", ttl } = {}) {
  const args = ["grant", ...secretArgs(server), "--port", String(server.port), "--roles", roles, "--then", then,
                ...(ttl ? ["--ttl", ttl] : [])];
  const r = await runCommand(args);
  if (r.code !== 0) throw new Error(`cohort ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  const m = /^http:\/\/[^/\s]+(\/signin\?\S+)$/m.exec(r.stdout);
  if (!m) throw new Error(`cohort grant printed no link: ${r.stdout}`);
  return m[1];
}

// One node for a whole test file: started before the first test (handed to `use`), killed after
// the last; the pool's clients are closed after each test.
export function serverForFile(pool, use, opts = {}) {
  let server;
  before(async () => {
    server = await startServer(opts);
    use(server);
  });
  afterEach(() => pool.closeAll());
  after(async () => {
    await pool.closeAll();
    await server?.kill();
  });
}
