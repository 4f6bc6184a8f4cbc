// ---- list.js: the list of papers in the table --------------------------------------------
// Only the rows near the screen are in the table, between two spacer rows that stand for the
// rows above and below them, so that scrolling, sorting and filtering do the same work for 50
// papers or 50,000, and the scroll bar spans the whole list from the start. A row's height is
// estimated from its text until it has been shown and measured; when a measured row differs,
// the difference is taken up by the rows above those drawn, so nothing on screen moves and the
// scroll position stays where the reader (or a restored position) put it.
// "Show all rows" (and printing) puts every row of the view in the table instead, for the
// browser's find in page and for paper.
// Owns: the table's body; listShow, listReveal, listAnchor, listRestore, listEverything,
// listRelayout, stickyHeight.

var table = byId("catalogue");
var body = table.tBodies[0];
var bar = byId("bar");
var MOST_ROWS = 300;       // never more rows than this in the table (bar "show all")
var LEAST_HEIGHT = 8;      // px: a row above the drawn ones never gets smaller than this

var listed = [];           // the records of the view, in order
var heights = new Float64Array(0);
var tree = new Float64Array(1);  // Fenwick tree over heights: prefix sums in log time
var step = 1;              // the largest power of two <= listed.length
var drawnFrom = 0, drawnTo = 0;
var everything = false;    // every row of the view is in the table
var layout = { generation: 0, cards: false, line: 20, extra: 12, charWidth: 8, widths: [], cardWidth: 300 };

function spacerRow() {
  var tr = document.createElement("tr");
  tr.className = "spacer";
  tr.setAttribute("aria-hidden", "true");
  var td = tr.insertCell();
  td.colSpan = table.tHead.rows[0].cells.length;
  return tr;
}
var above = spacerRow(), below = spacerRow();

// ---- heights ---------------------------------------------------------------------------
function buildTree() {
  var n = listed.length;
  tree = new Float64Array(n + 1);
  for (var i = 1; i <= n; i++) {
    tree[i] += heights[i - 1];
    var parent = i + (i & -i);
    if (parent <= n) tree[parent] += tree[i];
  }
  step = 1;
  while (step * 2 <= n) step *= 2;
}

function setHeight(position, height) {
  var delta = height - heights[position];
  heights[position] = height;
  for (var i = position + 1; i < tree.length; i += i & -i) tree[i] += delta;
}

// The height of the rows before `position`.
function before(position) {
  var sum = 0;
  for (var i = position; i > 0; i -= i & -i) sum += tree[i];
  return sum;
}

function total() {
  return before(listed.length);
}

// The position of the row at `y` px from the list's top (the last row for y past the end).
function positionAt(y) {
  var position = 0, left = y;
  for (var size = step; size > 0; size >>= 1) {
    var next = position + size;
    if (next <= listed.length && tree[next] <= left) {
      position = next;
      left -= tree[next];
    }
  }
  return Math.min(position, Math.max(0, listed.length - 1));
}

// The font's measures and the columns' widths, which the estimates are made from.
function measureLayout() {
  layout.generation += 1;
  layout.cards = getComputedStyle(table).getPropertyValue("--cards").trim() === "1";
  var cell = above.cells[0];
  var probe = document.createElement("span");
  probe.className = "probe";
  var sample = "Efficient Neural Networks, Learning Structured Sparsity: a Survey of 1990-2024";
  probe.textContent = sample;
  if (!above.isConnected) body.appendChild(above);
  cell.appendChild(probe);
  var box = probe.getBoundingClientRect();
  layout.charWidth = Math.max(3, box.width / sample.length);
  var style = getComputedStyle(probe);
  layout.line = parseFloat(style.lineHeight) || box.height || 20;
  probe.remove();
  var head = table.tHead.rows[0].cells;
  layout.widths = columns.map(function (column, n) {
    var th = head[n];
    return th ? Math.max(40, th.getBoundingClientRect().width - 16) : 200;
  });
  layout.cardWidth = Math.max(120, body.getBoundingClientRect().width - 8);
  layout.extra = layout.cards ? 24 : 12;
}

function lines(length, width) {
  var perLine = Math.max(6, Math.floor(width / layout.charWidth));
  return Math.max(1, Math.ceil((length * 1.1) / perLine));
}

// A row's height from its text, before it has been drawn.
function estimate(record) {
  var cells = record.cells, count = 0;
  if (!layout.cards) {
    columns.forEach(function (column, n) {
      var length = cells[n].length + (n === citeColumn ? 24 : 0);
      count = Math.max(count, lines(length, layout.widths[n]));
    });
    return count * layout.line + layout.extra;
  }
  var width = layout.cardWidth, meta = 0;
  columns.forEach(function (column, n) {
    if (n === citeColumn) count += lines((cells[n].length + 24) * 1.05, width);
    else if (column.kind === "names") count += cells[n] ? lines(cells[n].length, width) : 0;
    else meta += cells[n].length ? cells[n].length + 3 : 0;
  });
  if (meta) count += lines(meta, width);
  if (record.cats.length) {
    var marks = record.cats.reduce(function (sum, c) { return sum + categories[c].length + 4; }, 0);
    count += lines(marks * 1.2, width);
  }
  return count * layout.line + layout.extra;
}

function heightOf(record) {
  if (record.hFor === layout.generation && record.h) return record.h;
  if (record.eFor !== layout.generation) {
    record.e = estimate(record);
    record.eFor = layout.generation;
  }
  return record.e;
}

// ---- drawing ---------------------------------------------------------------------------
function stickyHeight() {
  var height = bar && bar.offsetParent !== null ? bar.getBoundingClientRect().height : 0;
  if (!layout.cards) height += table.tHead.getBoundingClientRect().height;
  return height;
}

function rowIndex(record, position) {
  var index = String(position + 2);
  if (record.tr.getAttribute("aria-rowindex") !== index) record.tr.setAttribute("aria-rowindex", index);
}

function nodesOf(record) {
  return record.open && record.detail ? [record.tr, record.detail] : [record.tr];
}

// Put the rows from..to in the table, moving as few as possible (a row that stays keeps its
// place, and the focus in it).
function place(from, to) {
  rowsOf(listed.slice(from, to));
  var overlap = from < drawnTo && to > drawnFrom && drawnTo > drawnFrom && body.firstChild === above;
  if (!overlap) {
    var nodes = [above];
    for (var p = from; p < to; p++) {
      rowIndex(listed[p], p);
      nodes.push.apply(nodes, nodesOf(listed[p]));
    }
    nodes.push(below);
    body.replaceChildren.apply(body, nodes);
  } else {
    for (var q = drawnFrom; q < from; q++) nodesOf(listed[q]).forEach(remove);
    for (var r = to; r < drawnTo; r++) nodesOf(listed[r]).forEach(remove);
    var start = Math.max(from, drawnFrom), end = Math.min(to, drawnTo);
    var head = document.createDocumentFragment();
    for (var s = from; s < start; s++) {
      rowIndex(listed[s], s);
      head.append.apply(head, nodesOf(listed[s]));
    }
    above.after(head);
    var tail = document.createDocumentFragment();
    for (var t = end; t < to; t++) {
      rowIndex(listed[t], t);
      tail.append.apply(tail, nodesOf(listed[t]));
    }
    below.before(tail);
  }
  drawnFrom = from;
  drawnTo = to;
}

function remove(node) {
  node.remove();
}

// Measure the drawn rows not measured yet (a row keeps its height until the layout changes or
// its BibTeX opens or closes); true when some height was not known.
function measure() {
  var changed = false;
  for (var p = drawnFrom; p < drawnTo; p++) {
    var record = listed[p];
    if (record.hFor === layout.generation && heights[p] === record.h) continue;
    var height = record.tr.getBoundingClientRect().height;
    if (record.open && record.detail) height += record.detail.getBoundingClientRect().height;
    record.h = height;
    record.hFor = layout.generation;
    if (Math.abs(height - heights[p]) > 0.25) {
      setHeight(p, height);
      changed = true;
    }
  }
  return changed;
}

// Move row `anchor.position` back to `anchor.top` px from the top of the window: by changing
// the (estimated) heights of rows above those drawn when there are any, else by scrolling.
// `listTop` is where the list starts in the window (its rows' heights do not move it); the
// same is returned, after any scrolling.
function keep(anchor, listTop) {
  var shift = listTop + before(anchor.position) - anchor.top;
  if (Math.abs(shift) < 0.5) return listTop;
  for (var p = drawnFrom - 1; p >= 0 && Math.abs(shift) >= 0.5; p--) {
    var height = Math.max(LEAST_HEIGHT, heights[p] - shift);
    shift -= heights[p] - height;
    setHeight(p, height);
    listed[p].hFor = 0;  // measured again when it is drawn
  }
  setSpacers();
  if (Math.abs(shift) < 0.5) return listTop;
  window.scrollBy(0, shift);
  return listTop - shift;
}

function setSpacers() {
  var top = before(drawnFrom);
  above.cells[0].style.height = top + "px";
  below.cells[0].style.height = Math.max(0, total() - before(drawnTo)) + "px";
}

// Draw the rows around the window; `anchor` ({position, top}) is the row to keep in place
// (by default the one at the top of the window).
function draw(anchor) {
  if (everything) return;
  if (!listed.length) {
    place(0, 0);
    setSpacers();
    return;
  }
  var root = document.documentElement;
  var atEnd = stick ? stick === "end" :
    window.scrollY > 0 && window.scrollY + window.innerHeight >= root.scrollHeight - 2;
  var margin = window.innerHeight * 0.6;  // rows drawn beyond the window, above and below
  var listTop = above.getBoundingClientRect().top;
  for (var round = 0; round < 4; round++) {
    var seen = -listTop;  // px of the list above the window's top
    if (!anchor) {
      var at = positionAt(Math.max(0, seen));
      anchor = { position: at, top: listTop + before(at) };
    }
    var from = positionAt(Math.max(0, seen - margin));
    var to = Math.min(listed.length, positionAt(Math.max(0, seen + window.innerHeight + margin)) + 1);
    to = Math.max(to, Math.min(listed.length, anchor.position + 1));
    from = Math.min(from, anchor.position);
    if (to - from > MOST_ROWS) {
      from = Math.max(0, Math.min(from, anchor.position - 20));
      to = Math.min(listed.length, from + MOST_ROWS);
    }
    var same = from === drawnFrom && to === drawnTo && body.firstChild === above;
    if (!same) place(from, to);
    setSpacers();
    var changed = measure();
    if (changed) setSpacers();
    listTop = keep(anchor, listTop);
    if (same && !changed) break;
  }
  if (atEnd) window.scrollTo(0, root.scrollHeight);
  else if (stick === "start") window.scrollTo(0, 0);
}

// After the End (Home) key the page stays at its end (top) while the rows drawn on the way are
// measured (the browser's own smooth scroll aims where the end was when the key was pressed),
// until the reader scrolls some other way. `where`: "end", "start" or null.
var stick = null;
function listStick(where) {
  stick = where;
  if (where) drawSoon();
}

var drawing = 0;
function drawSoon() {
  if (!drawing) drawing = requestAnimationFrame(function () { drawing = 0; draw(); });
}

// ---- what the list shows ---------------------------------------------------------------
// Show `records` (the view, in order); `start` says where: "top" (the list's first row under
// the bar, if the window is below it), "keep" (the rows at the top of the window stay if they
// are still shown) or nothing (where the window is).
function listShow(records, start) {
  var keepRecord = start === "keep" ? firstSeen() : null;
  listed = records;
  heights = new Float64Array(listed.length);
  for (var p = 0; p < listed.length; p++) heights[p] = heightOf(listed[p]);
  buildTree();
  table.setAttribute("aria-rowcount", String(listed.length + 1));
  drawnFrom = drawnTo = 0;
  body.replaceChildren(above, below);
  if (everything) {
    drawEverything();
    return;
  }
  setSpacers();
  if (keepRecord && listed.indexOf(keepRecord.record) >= 0) {
    var position = listed.indexOf(keepRecord.record);
    window.scrollTo(0, window.scrollY + above.getBoundingClientRect().top + before(position) - keepRecord.top);
    draw({ position: position, top: keepRecord.top });
    return;
  }
  if (start === "top") toListTop();
  draw();
}

// If the reader is past the list's top, go back to it (the first rows of a new view).
function toListTop() {
  var top = above.getBoundingClientRect().top - stickyHeight();
  if (top < 0) window.scrollBy(0, top);
}

// The record at the top of the window (under the bar), and where its row is.
function firstSeen() {
  if (!listed.length) return null;
  if (everything) {
    var line = stickyHeight();
    for (var n = 0; n < listed.length; n++) {
      var box = listed[n].tr && listed[n].tr.isConnected ? listed[n].tr.getBoundingClientRect() : null;
      if (box && box.bottom > line) return { record: listed[n], position: n, top: box.top };
    }
    return null;
  }
  var listTop = above.getBoundingClientRect().top;
  var position = positionAt(Math.max(0, stickyHeight() - listTop));
  return { record: listed[position], position: position, top: listTop + before(position) };
}

// Where the reader is, to come back to: the paper at the top of the window.
function listAnchor() {
  var seen = firstSeen();
  var y = Math.round(window.scrollY);
  return seen ? { anchor: seen.record.key, top: Math.round(seen.top), y: y } : { anchor: null, top: 0, y: y };
}

// Come back to a place listAnchor gave: the same paper at the same height, at the same
// scroll position (the estimated rows above are stretched or shrunk to fit).
function listRestore(saved) {
  var record = saved && saved.anchor !== null ? recordWithKey(saved.anchor) : null;
  var position = record ? listed.indexOf(record) : -1;
  if (position < 0 || everything) {
    if (saved) window.scrollTo(0, saved.y);
    draw();
    return;
  }
  var listTop = above.getBoundingClientRect().top + window.scrollY;
  var wanted = saved.y + saved.top - listTop;
  var now = before(position);
  if (position > 0 && wanted > 0 && now > 0) {
    var factor = Math.min(4, Math.max(0.25, wanted / now));
    for (var p = 0; p < position; p++) heights[p] *= factor;
    buildTree();
    setSpacers();
  }
  window.scrollTo(0, saved.y);
  draw({ position: position, top: saved.top });
}

// Bring a paper into view just under the bar; false if it is not in the view.
function listReveal(record) {
  var position = listed.indexOf(record);
  if (position < 0) return false;
  var top = stickyHeight();
  if (everything) {
    rowsOf([record]);
    record.tr.scrollIntoView({ block: "start" });
    return true;
  }
  window.scrollTo(0, window.scrollY + above.getBoundingClientRect().top + before(position) - top);
  draw({ position: position, top: top });
  return true;
}

// After the window or the layout changed size: estimates again, the same paper on top.
function listRelayout() {
  var seen = firstSeen();
  measureLayout();
  for (var p = 0; p < listed.length; p++) heights[p] = heightOf(listed[p]);
  buildTree();
  drawnFrom = drawnTo = 0;
  if (everything) return;
  body.replaceChildren(above, below);
  setSpacers();
  if (seen) {
    window.scrollTo(0, window.scrollY + above.getBoundingClientRect().top + before(seen.position) - seen.top);
    draw({ position: seen.position, top: seen.top });
  } else {
    draw();
  }
}

// ---- every row at once -------------------------------------------------------------------
// For the browser's find in page and for printing. Added in slices (a frame each) unless
// `now` (printing cannot wait).
var slices = 0;
function listEverything(on, now) {
  var seen = firstSeen();
  everything = on;
  cancelAnimationFrame(slices);
  if (on) {
    drawEverything(now);
  } else {
    drawnFrom = drawnTo = 0;
    body.replaceChildren(above, below);
    setSpacers();
    if (seen && listed.indexOf(seen.record) >= 0) listReveal(seen.record);
    else draw();
  }
}

function drawEverything(now) {
  cancelAnimationFrame(slices);
  body.replaceChildren();
  var next = 0, SLICE = now ? listed.length : 1000;
  function more() {
    var end = Math.min(listed.length, next + SLICE);
    var rows = listed.slice(next, end);
    rowsOf(rows);
    var nodes = document.createDocumentFragment();
    rows.forEach(function (record, n) {
      rowIndex(record, next + n);
      nodes.append.apply(nodes, nodesOf(record));
    });
    body.appendChild(nodes);
    next = end;
    if (next < listed.length) slices = requestAnimationFrame(more);
  }
  more();
}
