// cohort_hooks.js — the client hooks that ship with Cohort, loaded before cohort_live.js, which
// hands window.CohortHooks to the LiveSocket. Applications write no JavaScript; these hooks are
// the few places where the browser must do something a template cannot.
//
// Whiteboard (phx-hook="Whiteboard" on a box holding two SVG layers: the server-rendered
// strokes and a phx-update="ignore" preview layer). Pointer input becomes one stroke: "begin"
// with the first point, then the points gathered since the last send, every BATCH_MS, as
// "extend" (so a fast pointer sends ~25 messages a second, not one per pointer event), then
// "end". Points are in the board's own coordinates (data-width × data-height), integers. While
// drawing, the stroke is also drawn on the preview layer at once; the server's copy replaces
// it shortly after the stroke ends.
//
// Highlight (phx-hook="Highlight" on any element with an id): the server's
// push_event("highlight", {id}) makes the element with that DOM id flash: it gets the class
// data-highlight-class (default "highlight") for data-highlight-ms (default 1500) ms. The event
// arrives after the DOM patch of the same diff, so a row the diff adds is there to flash. Only
// elements inside the hook's own element are touched.
//
// Latency (phx-hook="Latency" phx-update="ignore" on an element with an id): when the view
// joins (and rejoins) it sends the event "ping" with pushEvent and shows the round trip once
// the server's reply reaches the callback: "round trip N ms". The view answers "ping" with
// socket.reply(...) (any value; {"pong": <the payload>} lets the hook check it is its own).
(function () {
  "use strict";
  var BATCH_MS = 40;
  var SVG_NS = "http://www.w3.org/2000/svg";

  function strokeId() {
    return "s" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
  }

  var Whiteboard = {
    mounted: function () {
      var el = this.el;
      var hook = this;
      var preview = el.querySelector("#board-preview");
      var width = Number(el.dataset.width) || 1000;
      var height = Number(el.dataset.height) || 625;
      var stroke = null; // {id, pending: [x, y, ...], line, all: "x,y ..."}
      var timer = null;

      function point(ev) {
        var box = el.getBoundingClientRect();
        var x = Math.round(((ev.clientX - box.left) / box.width) * width);
        var y = Math.round(((ev.clientY - box.top) / box.height) * height);
        return [Math.max(0, Math.min(width, x)), Math.max(0, Math.min(height, y))];
      }
      function flush() {
        if (!stroke || stroke.pending.length === 0) return;
        hook.pushEvent("extend", { id: stroke.id, points: stroke.pending });
        stroke.pending = [];
      }
      function add(p) {
        stroke.pending.push(p[0], p[1]);
        stroke.all += " " + p[0] + "," + p[1];
        stroke.line.setAttribute("points", stroke.all);
      }
      function finish() {
        if (!stroke) return;
        clearInterval(timer);
        flush();
        var line = stroke.line;
        hook.pushEvent("end", { id: stroke.id }, function () {
          // The server's polyline is in (or about to be): drop the preview after a frame or two.
          setTimeout(function () { line.remove(); }, 250);
        });
        stroke = null;
      }

      el.addEventListener("pointerdown", function (ev) {
        if (ev.button !== 0 || stroke) return;
        ev.preventDefault();
        try {
          el.setPointerCapture(ev.pointerId); // keep the stroke when the pointer leaves the board
        } catch (e) {
          // a pointer the browser no longer tracks: draw without capture
        }
        var p = point(ev);
        var line = document.createElementNS(SVG_NS, "polyline");
        line.setAttribute("class", "stroke");
        line.setAttribute("stroke", el.dataset.color || "#1d2330");
        line.setAttribute("points", p[0] + "," + p[1]);
        preview.appendChild(line);
        stroke = { id: strokeId(), pending: [], line: line, all: p[0] + "," + p[1] };
        hook.pushEvent("begin", { id: stroke.id, points: [p[0], p[1]] });
        timer = setInterval(flush, BATCH_MS);
      });
      el.addEventListener("pointermove", function (ev) {
        if (!stroke) return;
        var events = (ev.getCoalescedEvents && ev.getCoalescedEvents()) || [];
        if (events.length === 0) events = [ev];
        for (var i = 0; i < events.length; i++) add(point(events[i]));
        if (stroke.pending.length >= 2 * 200) flush(); // stay under the store's batch limit
      });
      el.addEventListener("pointerup", finish);
      el.addEventListener("pointercancel", finish);
      el.addEventListener("lostpointercapture", finish);
      this.finish = finish;
    },
    destroyed: function () {
      try {
        if (this.finish) this.finish();
      } catch (e) {
        // the view is gone with its channel: nothing left to tell the server
      }
    }
  };

  var Highlight = {
    mounted: function () {
      var hook = this;
      this.handleEvent("highlight", function (payload) {
        var target = payload && payload.id ? document.getElementById(String(payload.id)) : null;
        if (!target || !hook.el.contains(target)) return;
        var cls = hook.el.dataset.highlightClass || "highlight";
        var ms = Number(hook.el.dataset.highlightMs) || 1500;
        target.classList.remove(cls);
        void target.offsetWidth; // restart the animation when the same element flashes again
        target.classList.add(cls);
        setTimeout(function () { target.classList.remove(cls); }, ms);
      });
    }
  };

  var Latency = {
    mounted: function () { this.ping(); },
    reconnected: function () { this.ping(); },
    ping: function () {
      var el = this.el;
      var sent = performance.now();
      var nonce = Math.random().toString(36).slice(2);
      this.pushEvent("ping", { nonce: nonce }, function (reply) {
        if (!reply || !reply.pong || reply.pong.nonce !== nonce) return;
        el.textContent = "round trip " + Math.max(0, Math.round(performance.now() - sent)) + " ms";
      });
    }
  };

  window.CohortHooks = Object.assign(window.CohortHooks || {}, {
    Whiteboard: Whiteboard,
    Highlight: Highlight,
    Latency: Latency
  });
})();
