// cohort_live.js — Cohort's bootstrap for live pages: connects the phoenix_live_view client
// (loaded before this file from /assets/vendor/) to the node's /live socket. Application code
// adds client hooks, if it needs any, to window.CohortHooks before this script runs.
(function () {
  "use strict";
  var meta = document.querySelector("meta[name='csrf-token']");
  var csrfToken = meta ? meta.getAttribute("content") : "";
  var liveSocket = new LiveView.LiveSocket("/live", Phoenix.Socket, {
    params: { _csrf_token: csrfToken },
    hooks: window.CohortHooks || {}
  });
  // Connection state for people (and tests): the root gets phx-connected / phx-loading /
  // phx-error classes from the client; the body mirrors the socket's state.
  liveSocket.getSocket().onOpen(function () { document.body.dataset.socket = "open"; });
  liveSocket.getSocket().onClose(function () { document.body.dataset.socket = "closed"; });
  liveSocket.connect();
  window.liveSocket = liveSocket;
})();
