// live_client.mjs — a live page as the stock phoenix_live_view client opens it, for the
// conformance tests: GET the page (its live root's id and signed session, its CSRF token, the
// visitor cookie), then join lv:<id> on /live with the page's CSRF token in the join's params.
import assert from "node:assert/strict";
import { joinResult } from "./helpers.mjs";
import { httpRequest } from "./wire.mjs";

// The counter as the page's HTML shows it.
export function shownCount(html) {
  const count = Number(/<span id="count" class="count">(-?\d+)<\/span>/.exec(html)?.[1]);
  assert.ok(Number.isFinite(count), "the page shows the count");
  return count;
}

// page / liveSocket / joinView on the node serverOf() returns (or the `srv` given), with
// sockets from pool (closed with it).
export function liveClient(pool, serverOf) {
  // The page's root container: {id, session}, its CSRF token, and the cookie that made the visitor.
  async function page(path, cookie, srv = serverOf()) {
    const res = await httpRequest(`${srv.url}${path}`, { headers: cookie ? { cookie } : {} });
    assert.equal(res.status, 200, `GET ${path}`);
    const m = /<div id="(phx-[^"]+)" data-phx-main data-phx-session="([^"]+)" data-phx-static="">/.exec(res.body);
    assert.ok(m, `GET ${path}: no live root in\n${res.body.slice(0, 600)}`);
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(res.body)?.[1];
    assert.ok(csrf, `GET ${path}: no csrf-token meta tag`);
    const setCookie = res.headers["set-cookie"];
    return { id: m[1], session: m[2], csrf, html: res.body, cookie: setCookie ? String(setCookie).split(";")[0] : cookie };
  }

  function liveSocket(srv = serverOf(), csrf = "x") {
    return pool.connected({ wsUrl: `ws://127.0.0.1:${srv.port}/live` }, { params: { _csrf_token: csrf } });
  }

  // Joins the view of a page (fetched now, or the given session / id / csrf).
  async function joinView(path, { session, id, csrf, cookie, srv = serverOf() } = {}) {
    const p = session !== undefined ? { session, id, csrf } : await page(path, cookie, srv);
    const socket = await liveSocket(srv, p.csrf);
    const channel = socket.channel(`lv:${p.id}`, () => ({
      url: `${srv.url}${path}`,
      params: { _csrf_token: p.csrf, _mounts: 0, _mount_attempts: 0 },
      session: p.session,
      static: null,
      sticky: false,
    }));
    const r = await joinResult(channel);
    return { ...r, channel, socket, page: p };
  }

  return { page, liveSocket, joinView };
}
