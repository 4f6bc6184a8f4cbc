// ---- page.js: the controls, and the page's set-up ------------------------------------------
// Wires the search box, the category boxes, any/all, the years, the column headings, Reset and
// "Show all rows" to the view; Back and Forward (popstate), #key links, printing, resizing;
// and sets the page up: view from the address, rows drawn, the list's full height in place,
// the place in the list restored on a reload, or the #key entry shown.
// Owns: update, the controls' state on screen.

var started = performance.now();
document.documentElement.classList.add("ready");
var search = byId("search"), match = byId("match"), from = byId("from"), to = byId("to");
var shownCount = byId("shown"), empty = byId("empty"), showAll = byId("show-all");
var yearsNote = byId("years-note"), filters = byId("filters"), filtersChosen = byId("filters-chosen");
var boxes = Array.prototype.slice.call(document.querySelectorAll(".facets input[type=checkbox]"));
var counts = boxes.map(function (box) { return box.parentNode.querySelector(".count"); });
var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);

// Put the state on the controls (after reading an address).
function showState() {
  if (search && search.value !== state.q) search.value = state.q;
  boxes.forEach(function (box, category) { box.checked = state.cats.indexOf(category) >= 0; });
  if (match) match.value = state.match;
  if (from && yearOf(from.value) !== state.from) from.value = state.from === null ? "" : state.from;
  if (to && yearOf(to.value) !== state.to) to.value = state.to === null ? "" : state.to;
  if (showAll) showAll.setAttribute("aria-pressed", String(state.all));
}

function showCounts() {
  tally.forEach(function (count, category) {
    var text = count.toLocaleString("en");
    if (counts[category].textContent !== text) counts[category].textContent = text;
    boxes[category].closest("li").classList.toggle("none", count === 0);
  });
  shownCount.textContent = view.length.toLocaleString("en");
  if (empty) empty.classList.toggle("shown", view.length === 0);
  headers.forEach(function (th) { th.removeAttribute("aria-sort"); });
  var first = state.sort[0];
  if (first && headers[first.column]) {
    headers[first.column].setAttribute("aria-sort", first.direction > 0 ? "ascending" : "descending");
  }
  if (yearsNote) {
    var swapped = state.from !== null && state.to !== null && state.from > state.to;
    var text = swapped ? "From " + state.from + " to " + state.to + ": showing " + state.to + " to " + state.from + "." : "";
    if (yearsNote.textContent !== text) yearsNote.textContent = text;
  }
  if (filtersChosen) {
    var chosen = state.cats.length + (state.from !== null || state.to !== null ? 1 : 0);
    filtersChosen.textContent = chosen ? " (" + chosen + " chosen)" : "";
  }
}

// Work out the view and show it. how.start: where the list starts ("top", "keep" or none);
// how.input: the box being typed in (one history step for the typing), how.step: a new step.
var charted = null;
function update(how) {
  if (how.step || how.input) leaving(how.input || null);
  order();
  filter();
  showCounts();
  everything = state.all;
  listShow(view, how.start);
  // The chart counts the papers shown: a new order alone changes nothing in it.
  var chosen = JSON.stringify([state.q, state.cats, state.match, state.from, state.to]);
  if (chosen !== charted) chartShow(view);
  charted = chosen;
  if (how.step || how.input) remember(how.input || null);
}

// ---- the controls ------------------------------------------------------------------------
headers.forEach(function (th, column) {
  var button = th.querySelector("button");
  if (!button) return;
  button.addEventListener("click", function () {
    sortBy(column);
    update({ start: "top", step: true });
  });
});
if (search) {
  search.addEventListener("input", function () {
    state.q = search.value;
    update({ start: "top", input: search });
  });
  search.addEventListener("blur", endTyping);
}
boxes.forEach(function (box) {
  box.addEventListener("change", function () {
    state.cats = [];
    boxes.forEach(function (other, category) { if (other.checked) state.cats.push(category); });
    update({ start: "top", step: true });
  });
});
if (match) {
  match.addEventListener("change", function () {
    state.match = match.value === "all" ? "all" : "any";
    update({ start: "top", step: true });
  });
}
[from, to].forEach(function (input) {
  if (!input) return;
  // A year is applied when it is whole (four digits) or emptied; "201" is one being typed.
  input.addEventListener("input", function () {
    var text = input.value.trim(), year = yearOf(text);
    input.setAttribute("aria-invalid", String(text !== "" && year === null));
    if (text !== "" && year === null) return;
    var key = input === from ? "from" : "to";
    if (state[key] === year) return;
    state[key] = year;
    update({ start: "top", input: input });
  });
  input.addEventListener("blur", endTyping);
});
function resetAll() {
  state = blankState();
  showState();
  if (from) from.removeAttribute("aria-invalid");
  if (to) to.removeAttribute("aria-invalid");
  update({ start: "top", step: true });
  if (search) search.focus();
}
Array.prototype.forEach.call(document.querySelectorAll("#reset, #reset-empty"), function (button) {
  button.addEventListener("click", resetAll);
});
if (showAll) {
  showAll.addEventListener("click", function () {
    leaving(null);
    state.all = !state.all;
    showAll.setAttribute("aria-pressed", String(state.all));
    listEverything(state.all, false);
    remember(null);
  });
}
body.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest(".cite-toggle");
  if (!button) return;
  var record = paperOf(button);
  if (!record) return;
  toggleCite(record);
  if (!everything) draw();
});

// ---- #key: show that entry ---------------------------------------------------------------
var target = null;
function reveal() {
  var key = location.hash.slice(1);
  try { key = decodeURIComponent(key); } catch (error) { /* use it as written */ }
  var record = key ? recordOf(key) : null;
  if (target && target.tr) target.tr.classList.remove("target");
  target = null;
  if (!record || !listReveal(record)) return false;
  target = record;
  record.tr.classList.add("target");
  try { performance.mark("bib2table entry shown"); } catch (error) { /* old browser */ }
  return true;
}

// Back and Forward: the address says the view, the history entry where the reader was.
window.addEventListener("popstate", function (event) {
  var next = stateFrom(location.search);
  clearTimeout(typing.timer);
  typing.timer = 0;
  endTyping();
  var same = addressOf(next) === addressOf(state);
  if (!same) {
    state = next;
    showState();
    update({});
  }
  if (event.state && event.state.anchor !== undefined && !(same && location.hash)) listRestore(event.state);
  else if (!reveal() && !same) toListTop();
});
window.addEventListener("hashchange", reveal);

// ---- scrolling, resizing, printing ---------------------------------------------------------
var placeTimer = 0;
window.addEventListener("scroll", function () {
  drawSoon();
  clearTimeout(placeTimer);
  placeTimer = setTimeout(savePlace, 400);
}, { passive: true });
window.addEventListener("pagehide", savePlace);
window.addEventListener("keydown", function (event) {
  var target = event.target;
  var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  var jump = !typing && !event.altKey && !event.shiftKey;
  listStick(jump && event.key === "End" ? "end" : jump && event.key === "Home" ? "start" : null);
});
["wheel", "touchstart", "pointerdown"].forEach(function (type) {
  window.addEventListener(type, function () { listStick(null); }, { passive: true });
});
window.addEventListener("scrollend", function () { if (stick) drawSoon(); });

var width = window.innerWidth, resizing = 0;
window.addEventListener("resize", function () {
  if (window.innerWidth === width || printing) return;
  width = window.innerWidth;
  clearTimeout(resizing);
  resizing = setTimeout(function () { listRelayout(); stickySizes(); }, 100);
});

// The sticky bar's height, for the header row under it and for the scroll padding that keeps
// a focused row from hiding under both.
function stickySizes() {
  var root = document.documentElement.style;
  root.setProperty("--bar", (bar ? bar.getBoundingClientRect().height : 0) + "px");
  root.setProperty("--head", (layout.cards ? 0 : table.tHead.getBoundingClientRect().height) + "px");
}
if (window.ResizeObserver && bar) new ResizeObserver(stickySizes).observe(bar);

// A focused control never hides under the sticky bar or header row (as it can when the reader
// goes back up with Shift+Tab): the page scrolls it out from under them.
document.addEventListener("focusin", function (event) {
  var focused = event.target;
  if (!bar || !focused.getBoundingClientRect || bar.contains(focused) || table.tHead.contains(focused)) return;
  requestAnimationFrame(function () {
    var stuck = bar.getBoundingClientRect();
    if (stuck.top > 1) return;  // the bar is in its place in the page, covering nothing
    var covered = stuck.bottom;
    var head = table.tHead.getBoundingClientRect();
    if (!layout.cards && Math.abs(head.top - covered) < 2) covered = head.bottom;
    var box = focused.getBoundingClientRect();
    if (box.top < covered && box.bottom > 0) window.scrollBy(0, box.top - covered - 8);
  });
});

// Printing shows the view: every row of it, in order, without the category columns that have
// no paper in it.
var printing = false, printRule = -1;
function startPrint() {
  if (printing) return;
  printing = true;
  var sheet = document.styleSheets[0], empties = [];
  categories.forEach(function (label, category) {
    if (!tally[category] || !view.some(function (r) { return r.cats.indexOf(category) >= 0; })) {
      var n = columns.length + category + 1;
      empties.push(".papers td:nth-child(" + n + "), .papers th:nth-child(" + n + "), .papers col:nth-child(" + n + ")");
    }
  });
  if (sheet && empties.length) {
    try {
      printRule = sheet.insertRule("@media print { " + empties.join(", ") + " { display: none; } }", sheet.cssRules.length);
    } catch (error) { printRule = -1; }
  }
  if (!everything) listEverything(true, true);
}
function endPrint() {
  if (!printing) return;
  printing = false;
  var sheet = document.styleSheets[0];
  if (sheet && printRule >= 0) {
    try { sheet.deleteRule(printRule); } catch (error) { /* already gone */ }
    printRule = -1;
  }
  if (!state.all) listEverything(false, false);
}
window.addEventListener("beforeprint", startPrint);
window.addEventListener("afterprint", endPrint);
var printMedia = window.matchMedia && window.matchMedia("print");
if (printMedia && printMedia.addEventListener) {
  printMedia.addEventListener("change", function (event) {
    if (event.matches) startPrint(); else endPrint();
  });
}

// ---- set-up ------------------------------------------------------------------------------
if ("scrollRestoration" in history) history.scrollRestoration = "manual";
state = stateFrom(location.search);
showState();
measureLayout();
stickySizes();
// On a phone the filters fold away (unless some are chosen), so that papers come first.
if (filters && window.matchMedia("(max-width: 40rem)").matches && !state.cats.length &&
    state.from === null && state.to === null) {
  filters.open = false;
}
everything = state.all;
order();
filter();
showCounts();
listShow(view);
chartShow(view);
charted = JSON.stringify([state.q, state.cats, state.match, state.from, state.to]);
try { performance.mark("bib2table first rows"); } catch (error) { /* old browser */ }
(function () {
  var navigation = performance.getEntriesByType && performance.getEntriesByType("navigation")[0];
  var again = navigation && (navigation.type === "reload" || navigation.type === "back_forward");
  var saved = history.state;
  if (again && saved && saved.anchor !== undefined) listRestore(saved);
  else reveal();
})();
stickySizes();
// Search texts, and each column's sort order, are made while the reader looks, not on the
// first keystroke or click.
(function () {
  var next = 0, column = 0;
  var later = window.requestIdleCallback || function (work) {
    return setTimeout(function () { work({ timeRemaining: function () { return 8; } }); }, 50);
  };
  function some(deadline) {
    while (next < records.length && deadline.timeRemaining() > 2) {
      for (var end = Math.min(records.length, next + 200); next < end; next++) searchText(records[next]);
    }
    if (next >= records.length && column < columns.length && deadline.timeRemaining() > 2) {
      ranksOf(column);
      column += 1;
    }
    if (next < records.length || column < columns.length) later(some);
    else try { performance.mark("bib2table prepared"); } catch (error) { /* old browser */ }
  }
  later(some);
})();
// How long this set-up took, for scripts/bench-page (and the browser's performance tools).
try { performance.measure("bib2table set-up", { start: started }); } catch (error) { /* old browser */ }
