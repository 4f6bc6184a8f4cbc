// The catalogue page's behaviour:
//  - search (title, authors, venue and key; accents and case ignored), category facets with
//    counts (any or all of the checked ones), a year range, and sorting by any column;
//  - the view lives in the address (?q=...&category=...&match=all&from=...&to=...&sort=-Year), so
//    a link restores it; #key links to one entry;
//  - each row's BibTeX (with the @string macros it uses), its DOI, arXiv and web links, and a
//    button that copies the BibTeX.
// Speed: rows live in an array and only the first hundred of the current view are in the
// table; more are added as the reader scrolls, and all of them for printing. Sorting or
// filtering thousands of papers therefore never lays out thousands of rows. (Until this script
// has run, the style sheet hides the rows after the first hundred for the same reason.)
// Safety: nothing from the .bib is parsed as HTML here; text goes in with textContent, and a
// link is made only for an http(s) address.
(function () {
  "use strict";
  var started = performance.now();
  document.documentElement.classList.add("ready");
  var table = document.getElementById("catalogue");
  if (!table || !table.tBodies.length) return;
  var body = table.tBodies[0];
  var CHUNK = 100;   // as in the style sheet's tr:nth-child(n+101)

  function byId(id) { return document.getElementById(id); }
  function all(selector) { return Array.prototype.slice.call(document.querySelectorAll(selector)); }

  // ---- the page's parts -------------------------------------------------------------------
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var labels = headers.map(function (th) { return th.textContent.trim(); });
  var markColumns = [];   // the cell index of each category column, in category order
  var textColumns = [];   // the cells that search looks in
  headers.forEach(function (th, index) {
    (th.getAttribute("data-type") === "mark" ? markColumns : textColumns).push(index);
  });
  var citeColumn = Number(table.getAttribute("data-cite-column")) || 0;
  var search = byId("search"), match = byId("match"), from = byId("from"), to = byId("to");
  var shownCount = byId("shown"), more = byId("more"), empty = byId("empty");
  var boxes = all(".facets input[type=checkbox]");
  var counts = boxes.map(function (box) { return box.parentNode.querySelector(".count"); });
  var categories = boxes.map(function (box) { return box.value; });

  // ---- one record per paper, in the file's order ------------------------------------------
  var byRow = new Map(), byKey = {};
  var rows = Array.prototype.slice.call(body.rows).map(function (tr, index) {
    var record = { tr: tr, i: index, key: tr.id, text: null, cats: [], has: [] };
    var year = tr.getAttribute("data-year");
    record.year = year ? Number(year) : null;
    var cells = tr.cells;
    for (var category = 0; category < markColumns.length; category++) {
      var cell = cells[markColumns[category]];
      var marked = cell.firstChild !== null && cell.textContent.trim() !== "";
      record.has.push(marked ? 1 : 0);
      if (marked) record.cats.push(category);
    }
    byRow.set(tr, record);
    byKey[tr.id] = record;
    return record;
  });

  // Accents, case and typographic quotes and dashes do not matter to search or sort:
  // "Lukasz" finds "\u0141ukasz". Letters that Unicode does not decompose are mapped by hand.
  var LETTERS = {
    "\u0142": "l", "\u0111": "d", "\u00f0": "d", "\u00f8": "o", "\u00e6": "ae", "\u0153": "oe",
    "\u00df": "ss", "\u00fe": "th", "\u0131": "i", "\u0127": "h", "\u2018": "'", "\u2019": "'",
    "\u201c": "\"", "\u201d": "\"", "\u2013": "-", "\u2014": "-"
  };
  var SPECIAL = /[\u0142\u0111\u00f0\u00f8\u00e6\u0153\u00df\u00fe\u0131\u0127\u2018\u2019\u201c\u201d\u2013\u2014]/g;
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(SPECIAL, function (c) { return LETTERS[c]; });
  }
  function haystack(record) {
    if (record.text === null) {
      var parts = [record.key];
      textColumns.forEach(function (cell) { parts.push(record.tr.cells[cell].textContent); });
      record.text = fold(parts.join("\n"));
    }
    return record.text;
  }

  // ---- the view: what is checked, typed and sorted ----------------------------------------
  var state = { q: "", cats: [], match: "any", from: null, to: null, sort: null };
  var ordered = rows;   // all records in the sorted order
  var view = rows;      // the records that pass the filters, in that order
  var shown = 0;        // how many of them are in the table

  function year(text) {
    var value = parseInt(text, 10);
    return isNaN(value) ? null : value;
  }

  function readAddress() {
    var query = new URLSearchParams(location.search);
    state.q = query.get("q") || "";
    state.cats = [];
    query.getAll("category").forEach(function (label) {
      var category = categories.indexOf(label);
      if (category >= 0 && state.cats.indexOf(category) < 0) state.cats.push(category);
    });
    state.match = query.get("match") === "all" ? "all" : "any";
    state.from = year(query.get("from"));
    state.to = year(query.get("to"));
    var sort = query.get("sort") || "";
    var descending = sort.charAt(0) === "-";
    var column = labels.indexOf(descending ? sort.slice(1) : sort);
    state.sort = column >= 0 ? { column: column, direction: descending ? -1 : 1 } : null;
    if (search) search.value = state.q;
    boxes.forEach(function (box, category) { box.checked = state.cats.indexOf(category) >= 0; });
    if (match) match.value = state.match;
    if (from) from.value = state.from === null ? "" : state.from;
    if (to) to.value = state.to === null ? "" : state.to;
  }

  // The address is updated a moment after the last change, not on every keystroke.
  var addressTimer = 0;
  function writeAddress() {
    clearTimeout(addressTimer);
    addressTimer = setTimeout(function () {
      var query = new URLSearchParams();
      if (state.q) query.set("q", state.q);
      state.cats.forEach(function (category) { query.append("category", categories[category]); });
      if (state.match === "all") query.set("match", "all");
      if (state.from !== null) query.set("from", state.from);
      if (state.to !== null) query.set("to", state.to);
      if (state.sort) query.set("sort", (state.sort.direction < 0 ? "-" : "") + labels[state.sort.column]);
      var text = query.toString();
      history.replaceState(null, "", location.pathname + (text ? "?" + text : "") + location.hash);
    }, 250);
  }

  // ---- sort -------------------------------------------------------------------------------
  // Keys are read from the cells once per column. Year columns sort as numbers, category
  // columns put marked rows first; empty cells go last either way; ties keep the file's order.
  var keys = {};
  function keysOf(column) {
    if (!keys[column]) {
      var type = headers[column].getAttribute("data-type");
      keys[column] = rows.map(function (record) {
        var text = record.tr.cells[column].textContent.trim();
        if (type === "mark") return text ? 0 : 1;
        if (type === "number") return year(text);
        return text ? fold(text) : null;
      });
    }
    return keys[column];
  }

  function sortRecords() {
    headers.forEach(function (th) { th.removeAttribute("aria-sort"); });
    if (!state.sort) {
      ordered = rows;
      return;
    }
    var key = keysOf(state.sort.column), direction = state.sort.direction;
    ordered = rows.slice().sort(function (a, b) {
      var x = key[a.i], y = key[b.i];
      if (x === y) return a.i - b.i;
      if (x === null) return 1;
      if (y === null) return -1;
      return (x < y ? -1 : 1) * direction;
    });
    headers[state.sort.column].setAttribute("aria-sort", direction > 0 ? "ascending" : "descending");
  }

  // ---- filter and count -------------------------------------------------------------------
  // A category's count is how many papers the view would have with that category checked:
  // with "any", the papers passing search and years that are in it; with "all", those that
  // are also in every checked category.
  function filter() {
    var terms = fold(state.q).split(/\s+/).filter(Boolean);
    var checked = state.cats, needAll = state.match === "all";
    var tally = categories.map(function () { return 0; });
    view = [];
    for (var n = 0; n < ordered.length; n++) {
      var record = ordered[n];
      if (state.from !== null && (record.year === null || record.year < state.from)) continue;
      if (state.to !== null && (record.year === null || record.year > state.to)) continue;
      if (terms.length) {
        var text = haystack(record), missing = false;
        for (var t = 0; t < terms.length && !missing; t++) missing = text.indexOf(terms[t]) < 0;
        if (missing) continue;
      }
      var hits = 0;
      for (var c = 0; c < checked.length; c++) hits += record.has[checked[c]];
      var inAll = hits === checked.length;
      if (!needAll || inAll) {
        for (var k = 0; k < record.cats.length; k++) tally[record.cats[k]] += 1;
      }
      if (!checked.length || (needAll ? inAll : hits > 0)) view.push(record);
    }
    tally.forEach(function (count, category) {
      var text = count.toLocaleString("en");
      if (counts[category].textContent !== text) counts[category].textContent = text;
      boxes[category].closest("li").classList.toggle("none", count === 0);
    });
    shownCount.textContent = view.length.toLocaleString("en");
    if (empty) empty.classList.toggle("shown", view.length === 0);
  }

  // ---- put rows in the table --------------------------------------------------------------
  function place(parent, record) {
    if (!record.button) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "cite-toggle";
      button.setAttribute("aria-expanded", "false");
      button.setAttribute("aria-label", "BibTeX");
      record.tr.cells[citeColumn].appendChild(button);
      record.button = button;
    }
    parent.appendChild(record.tr);
    if (record.open) parent.appendChild(record.detail);
  }

  function render(count) {
    shown = Math.min(count, view.length);
    var rowsHere = document.createDocumentFragment();
    for (var n = 0; n < shown; n++) place(rowsHere, view[n]);
    body.replaceChildren(rowsHere);
    updateMore();
  }

  function renderMore() {
    var end = Math.min(shown + CHUNK, view.length);
    var rowsHere = document.createDocumentFragment();
    for (var n = shown; n < end; n++) place(rowsHere, view[n]);
    body.appendChild(rowsHere);
    shown = end;
    updateMore();
  }

  function updateMore() {
    if (!more) return;
    more.hidden = shown >= view.length;
    var left = view.length - shown;
    more.querySelector("button").textContent =
      "Show " + Math.min(CHUNK, left) + " more (" + left.toLocaleString("en") + " not shown yet)";
  }

  function update(sortChanged) {
    if (sortChanged) sortRecords();
    filter();
    render(CHUNK);
    writeAddress();
  }

  // Printing shows every paper, in the current order, whatever the filters.
  var printing = false;
  function startPrint() {
    if (printing) return;
    printing = true;
    var rowsHere = document.createDocumentFragment();
    ordered.forEach(function (record) { place(rowsHere, record); });
    body.replaceChildren(rowsHere);
  }
  function endPrint() {
    if (!printing) return;
    printing = false;
    render(Math.max(shown, CHUNK));
  }

  // ---- an entry's BibTeX and links --------------------------------------------------------
  var citeData = null;
  function citations() {
    if (!citeData) {
      var block = byId("cite-data");
      try {
        citeData = JSON.parse(block ? block.textContent : "");
      } catch (error) {
        citeData = { strings: {}, entries: [] };
      }
    }
    return citeData;
  }

  function linkText(kind, href) {
    var rest = href.replace(/^https?:\/\/(doi\.org|arxiv\.org\/abs)\//, "");
    try { rest = decodeURIComponent(rest); } catch (error) { /* keep it as written */ }
    return kind === "URL" ? href : kind + " " + rest;
  }

  // The row below a paper: its links, its entry as written, the @string macros the entry uses
  // (folded away: in a big bibliography they can be long), and a button that copies both.
  function makeDetail(record) {
    var data = citations(), entry = data.entries[record.i] || ["", [], []];
    var used = entry[1].map(function (macro) { return data.strings[macro]; }).filter(Boolean);
    record.bibtex = (used.length ? used.join("\n") + "\n\n" : "") + entry[0];
    var tr = document.createElement("tr");
    tr.className = "cite";
    var td = tr.insertCell();
    td.colSpan = headers.length;
    var links = element("p", "cite-links");
    entry[2].forEach(function (link) {
      if (!/^https?:\/\//i.test(link[1])) return;
      var a = element("a", "", linkText(link[0], link[1]));
      a.href = link[1];
      a.rel = "noopener noreferrer";
      links.appendChild(a);
    });
    var permalink = element("a", "", "Link to this entry");
    permalink.href = "#" + encodeURIComponent(record.key);
    links.appendChild(permalink);
    td.append(links, element("pre", "bibtex", entry[0]));
    if (used.length) {
      var macros = element("details", "macros");
      var count = used.length === 1 ? "1 @string macro" : used.length + " @string macros";
      macros.append(element("summary", "", "Uses " + count + " (copied with the entry)"),
        element("pre", "bibtex", used.join("\n")));
      td.appendChild(macros);
    }
    var actions = element("p", "cite-actions");
    var copy = element("button", "copy", "Copy BibTeX");
    copy.type = "button";
    var status = element("span", "copied");
    status.setAttribute("role", "status");
    actions.append(copy, status);
    td.appendChild(actions);
    copy.addEventListener("click", function () { copyText(record.bibtex, td, status); });
    return tr;
  }

  function element(name, className, text) {
    var made = document.createElement(name);
    if (className) made.className = className;
    if (text) made.textContent = text;
    return made;
  }

  function toggle(record) {
    if (!record.detail) record.detail = makeDetail(record);
    record.open = !record.open;
    if (record.open) record.tr.after(record.detail);
    else record.detail.remove();
    record.button.setAttribute("aria-expanded", String(record.open));
  }

  // The clipboard API where the browser allows it; else the old way, through a selected
  // text area (kept out of sight by the style sheet).
  function copyText(text, cell, status) {
    function copied() { status.textContent = "Copied"; }
    function byHand() {
      var area = element("textarea", "clip");
      area.value = text;
      area.setAttribute("readonly", "");
      cell.appendChild(area);
      area.select();
      var done = false;
      try { done = document.execCommand("copy"); } catch (error) { done = false; }
      area.remove();
      status.textContent = done ? "Copied" : "Could not copy: select the text and copy it";
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(copied, byHand);
    } else {
      byHand();
    }
  }

  // ---- #key: show that entry --------------------------------------------------------------
  var target = null;
  function reveal() {
    var key = location.hash.slice(1);
    try { key = decodeURIComponent(key); } catch (error) { /* use it as written */ }
    var record = byKey[key];
    if (target) target.classList.remove("target");
    target = null;
    if (!record) return;
    var at = view.indexOf(record);
    if (at < 0) return;
    if (at >= shown) render(at + CHUNK);
    target = record.tr;
    target.classList.add("target");
    target.scrollIntoView({ block: "start" });
  }

  // ---- wiring -----------------------------------------------------------------------------
  headers.forEach(function (th, column) {
    var button = th.querySelector("button");
    if (!button) return;
    button.addEventListener("click", function () {
      var same = state.sort && state.sort.column === column;
      state.sort = { column: column, direction: same ? -state.sort.direction : 1 };
      update(true);
    });
  });
  if (search) {
    search.addEventListener("input", function () {
      state.q = search.value;
      update(false);
    });
  }
  boxes.forEach(function (box) {
    box.addEventListener("change", function () {
      state.cats = [];
      boxes.forEach(function (other, category) { if (other.checked) state.cats.push(category); });
      update(false);
    });
  });
  if (match) {
    match.addEventListener("change", function () {
      state.match = match.value === "all" ? "all" : "any";
      update(false);
    });
  }
  [from, to].forEach(function (input) {
    if (!input) return;
    // While a year is being typed ("2", "20", "201") it is not applied yet.
    function changed(event) {
      var text = input.value.trim();
      if (event.type === "input" && text.length > 0 && text.length < 4) return;
      state[input === from ? "from" : "to"] = year(text);
      update(false);
    }
    input.addEventListener("input", changed);
    input.addEventListener("change", changed);
  });
  all("#reset, #reset-empty").forEach(function (button) {
    button.addEventListener("click", function () {
      history.replaceState(null, "", location.pathname + location.hash);
      readAddress();
      update(true);
      if (search) search.focus();
    });
  });
  body.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".cite-toggle");
    if (button) toggle(byRow.get(button.closest("tr")));
  });
  if (more) {
    more.querySelector("button").addEventListener("click", renderMore);
    if (window.IntersectionObserver) {
      new IntersectionObserver(function (seen) {
        if (seen[seen.length - 1].isIntersecting && !printing && shown < view.length) renderMore();
      }, { rootMargin: "800px 0px" }).observe(more);
    }
  }
  window.addEventListener("beforeprint", startPrint);
  window.addEventListener("afterprint", endPrint);
  var printMedia = window.matchMedia && window.matchMedia("print");
  if (printMedia && printMedia.addEventListener) {
    printMedia.addEventListener("change", function (event) {
      if (event.matches) startPrint(); else endPrint();
    });
  }
  window.addEventListener("hashchange", reveal);

  readAddress();
  sortRecords();
  filter();
  render(CHUNK);
  reveal();
  // Search texts are made while the reader looks, not on the first keystroke.
  (window.requestIdleCallback || setTimeout)(function () { rows.forEach(haystack); });
  // How long this set-up took, for scripts/bench-page (and the browser's performance tools).
  try { performance.measure("bib2table set-up", { start: started }); } catch (error) { /* old browser */ }
})();
