// bib2table's live preview, added to the page only by `bib2table --serve` (never to a page
// written to disk):
//  - the page asks the server for news (a long poll: the answer comes when something changed);
//    one tab asks for all the tabs of the preview and tells the others, so that many tabs do
//    not use up the browser's few connections to the server;
//  - a new build in which only entries changed is shown in place: the page asks for the
//    patches from its build to the newest and hands them to the page's own script (the
//    preview adds html/livepatch.js to it), which changes the papers and keeps the view;
//  - any other new build (or a patch that does not fit) reloads the page; the reader's view
//    survives: filters, search and sort are in the address, and the scroll position and the
//    focused field are kept in sessionStorage;
//  - while a rebuild runs, a small badge says so; a save that cannot be read shows its problems
//    over the last good catalogue, until the next good save; a server that went away is asked
//    again until it is back.
// Safety: text from the server goes in with textContent only.
(function () {
  "use strict";
  var data = document.getElementById("bib2table-live");
  if (!data) return;
  var page = JSON.parse(data.textContent);   // the state this page was built in
  var latest = page;                          // the newest state heard of
  var VIEW = "bib2table-live-view";
  var NEWS = "/_bib2table/live";
  var PATCH = "/_bib2table/patch";
  var patching = false;
  var QUIET = 400;   // ms after the reader's last action (the page writes its address after 250)
  var lastAction = 0, reloading = false, dismissed = -1, scrolledByReader = false;

  ["input", "change", "keydown", "click"].forEach(function (type) {
    document.addEventListener(type, function () { lastAction = Date.now(); }, true);
  });
  ["wheel", "touchstart", "keydown"].forEach(function (type) {
    window.addEventListener(type, function () { scrolledByReader = true; }, true);
  });

  // ---- the view, across a reload ------------------------------------------------------------
  function reload() {
    if (reloading) return;
    var wait = lastAction + QUIET - Date.now();
    if (wait > 0) { setTimeout(reload, wait); return; }
    reloading = true;
    var view = { href: location.href, x: window.scrollX, y: window.scrollY };
    var active = document.activeElement;
    if (active && active.id && active !== document.body) {
      view.focus = active.id;
      try { view.start = active.selectionStart; view.end = active.selectionEnd; } catch (error) { /* no caret */ }
    }
    try {
      sessionStorage.setItem(VIEW, JSON.stringify(view));
      if ("scrollRestoration" in history) history.scrollRestoration = "manual";
    } catch (error) { /* storage refused: the reload still happens */ }
    location.reload();
  }

  function restore() {
    var view = null;
    try {
      view = JSON.parse(sessionStorage.getItem(VIEW) || "null");
      sessionStorage.removeItem(VIEW);
      if ("scrollRestoration" in history) history.scrollRestoration = "auto";
    } catch (error) { return; }
    if (!view || view.href !== location.href) return;
    if (view.focus) {
      var field = document.getElementById(view.focus);
      if (field) {
        field.focus({ preventScroll: true });
        try { if (view.start !== null && view.start !== undefined) field.setSelectionRange(view.start, view.end); } catch (error) { /* no caret */ }
      }
    }
    window.scrollTo(view.x, view.y);
    // A page that grows as it is scrolled may need a few frames to be tall enough.
    var frames = 0;
    (function again() {
      if (scrolledByReader || frames++ > 60) return;
      if (Math.abs(window.scrollY - view.y) < 1 && Math.abs(window.scrollX - view.x) < 1) return;
      window.scrollTo(view.x, view.y);
      requestAnimationFrame(again);
    })();
  }

  // ---- the problems of a save that cannot be read --------------------------------------------
  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function show(state) {
    var badge = document.getElementById("bib2table-live-badge");
    if (state.building && !badge) {
      badge = element("div", "bib2table-live-badge", "Rebuilding " + state.source + "\u2026");
      badge.id = "bib2table-live-badge";
      badge.setAttribute("role", "status");
      document.body.appendChild(badge);
    } else if (!state.building && badge) {
      badge.parentNode.removeChild(badge);
    }
    if (state.building) return;   // the problems stay as they are until the rebuild is done
    var old = document.getElementById("bib2table-live-overlay");
    if (old) old.parentNode.removeChild(old);
    if (!state.notices.length || dismissed === state.version) return;
    var overlay = element("div", "bib2table-live-overlay");
    overlay.id = "bib2table-live-overlay";
    overlay.setAttribute("role", "alert");
    var box = element("div", "bib2table-live-box");
    var close = element("button", "bib2table-live-close", "\u00d7");
    close.type = "button";
    close.setAttribute("aria-label", "Hide these problems");
    close.addEventListener("click", hide);
    var count = state.notices.length + (state.notices.length === 1 ? " problem" : " problems");
    var heading = state.stale
      ? state.source + " cannot be read: " + count + ". The catalogue below is the last one that could."
      : "Some entries of " + state.source + " cannot be read and are left out: " + count + ".";
    box.appendChild(close);
    box.appendChild(element("p", "bib2table-live-heading", heading));
    var list = element("ul", "bib2table-live-list");
    state.notices.forEach(function (notice) {
      var item = element("li");
      if (notice.where) item.appendChild(element("code", "bib2table-live-where", notice.where));
      item.appendChild(document.createTextNode((notice.where ? " " : "") + notice.message));
      list.appendChild(item);
    });
    box.appendChild(list);
    box.appendChild(element("p", "bib2table-live-hint", "Fix the file and save: this page updates itself."));
    overlay.appendChild(box);
    document.body.appendChild(overlay);
  }

  function hide() {   // until the next save's outcome
    dismissed = latest.version;
    show(latest);
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && document.getElementById("bib2table-live-overlay")) hide();
  });

  // ---- news from the server ------------------------------------------------------------------
  function handle(state) {
    if (!state || typeof state.version !== "number") return;
    if (state.server !== page.server) { latest = state; reload(); return; }
    if (state.built > page.built) { latest = state; patch(); return; }
    if (state.server === latest.server && state.version <= latest.version) return;
    latest = state;
    show(state);
  }

  // Bring this page up to the newest build in place, or reload it when that cannot be done.
  function patch() {
    if (patching || reloading) return;
    patching = true;
    var address = PATCH + "?since=" + page.built + "&server=" + encodeURIComponent(page.server);
    fetch(address, { cache: "no-store" }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (found) {
      patching = false;
      if (!found || !found.patches) { reload(); return; }
      var detail = { patches: found.patches, done: false };
      document.dispatchEvent(new CustomEvent("bib2table-patch", { detail: detail }));
      if (!detail.done) { reload(); return; }
      page.built = found.built;
      show(latest);
      if (latest.built > page.built) patch();
    }).catch(function () {
      patching = false;
      reload();
    });
  }

  var channel = window.BroadcastChannel ? new BroadcastChannel("bib2table-live") : null;
  if (channel) channel.onmessage = function (event) { handle(event.data); };

  function ask(since, then) {
    var address = NEWS + "?since=" + since + "&server=" + encodeURIComponent(latest.server);
    return fetch(address, { cache: "no-store" }).then(function (response) {
      if (!response.ok) throw new Error("status " + response.status);
      return response.json();
    }).then(then);
  }

  var failures = 0;
  function poll() {
    if (reloading) return;
    ask(latest.version, function (state) {
      failures = 0;
      if (channel) channel.postMessage(state);
      handle(state);
      poll();
    }).catch(function () {
      failures += 1;   // the server is gone, for now: ask again, less often
      setTimeout(poll, Math.min(2000, 100 * failures));
    });
  }

  restore();
  show(page);
  if (channel && navigator.locks && navigator.locks.request) {
    // One tab polls, for as long as it lives; the others hear from it. A look now, in case
    // news went by before this tab listened.
    navigator.locks.request("bib2table-live", function () {
      return new Promise(function () { poll(); });
    });
    ask(-1, handle).catch(function () { /* the polling tab will tell */ });
  } else {
    poll();
  }
})();
