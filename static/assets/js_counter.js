// js_counter.js — the page /js-counter.html: the shared counter (store key counter:main) followed
// with @cohort/client over the official phoenix Socket, without LiveView or a bundler.
//
// Who the visitor is comes from GET /api/client-token (a socket token for the page's own visitor
// cookie); the page fetches a fresh one at half its lifetime, and every (re)join reads the
// current one. What the page last showed is kept in sessionStorage with its version, so a reload
// catches up from there (join with `since`) instead of reading the whole state.
import { Socket } from "phoenix";
import { followStore } from "@cohort/client";

const KEY = "counter:main";
const SAVED = `cohort:${KEY}`;
const $ = (id) => document.getElementById(id);
let token = null;

function showError(text) {
  $("error").textContent = text;
  $("error").hidden = !text;
}

// Reads /api/client-token; again at half its lifetime (after a failure: in 5 s).
async function refreshToken() {
  try {
    const res = await fetch("/api/client-token", { credentials: "same-origin" });
    if (!res.ok) throw new Error(`client token: HTTP ${res.status}`);
    const body = await res.json();
    token = body.token;
    $("me").textContent = JSON.parse(atob(token.split(".")[0].replace(/-/g, "+").replace(/_/g, "/"))).name ?? "?";
    setTimeout(refreshToken, (body.expires_in * 1000) / 2);
  } catch (e) {
    showError(e.message);
    setTimeout(refreshToken, 5000);
  }
}

function saved() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SAVED));
    return Number.isInteger(s?.version) ? s : null;
  } catch {
    return null;
  }
}

function render(state, version) {
  $("count").textContent = String(state.count);
  $("version").textContent = String(version);
  sessionStorage.setItem(SAVED, JSON.stringify({ version, state }));
}

await refreshToken();
const socket = new Socket("/socket");
socket.onOpen(() => ($("status").textContent = "connected"));
socket.onClose(() => ($("status").textContent = "reconnecting…"));
socket.connect();

const last = saved();
const counter = followStore(socket, KEY, {
  token: () => token,
  ...(last ? { since: last.version, state: last.state } : {}),
  onState: (state, version) => {
    render(state, version);
    for (const b of ["inc", "dec"]) $(b).disabled = false;
  },
  onPatch: (state, version) => render(state, version),
  onError: (e) => showError(`${e.reason}${e.details.detail ? `: ${e.details.detail}` : ""}`),
});

for (const [id, op] of [["inc", "inc"], ["dec", "dec"]])
  $(id).addEventListener("click", async () => {
    try {
      await counter.op(op, { by: 1 });
      showError("");
    } catch (e) {
      showError(`${op} refused: ${e.reason}`);
    }
  });
