// ---- papers.js: the papers ---------------------------------------------------------------
// One record per paper, in the file's order, from the page's data (#page-data: each paper's
// text, year and categories, as catalogue/pagedata.py writes them) and from the table kept as
// text inside <noscript id="rows"> (each paper's row as the page shows it). A record's row is
// made from that markup only when it is first shown; search, sort and copy use the record's
// plain text, never the row's markup.
// Owns: records, columns, categories, recordOf, recordWithKey, rowsOf, paperOf, searchText,
// searchPart, sortKeys, anchorOf.
// Safety: the markup parsed here is the page's own (every character from the .bib in it was
// escaped when the page was made), parsed into an inert <template>.

function byId(id) { return document.getElementById(id); }

var pageData = (function () {
  var block = byId("page-data");
  try {
    return JSON.parse(block ? block.textContent : "");
  } catch (error) {
    return { columns: [], categories: [], venues: [], entries: [] };
  }
})();
var columns = pageData.columns;        // {label, kind, roles}
var categories = pageData.categories;  // category labels, in column order
var venueNames = pageData.venues;      // full journal or book titles, each once

// A paper: its place in the file, its data ([key, cells, year, categories, doi, arXiv id,
// venue, sort names]), and what the page keeps about it (its row, its heights).
function Paper(index, data) {
  this.i = index;
  this.key = data[0];
  this.cells = data[1];
  this.year = data[2];
  this.cats = data[3];
  this.data = data;
  this.tr = null;
  this.button = null;
  this.detail = null;
  this.open = false;
  this.search = null;
  this.h = 0;
  this.hFor = 0;
  this.e = 0;
  this.eFor = 0;
}
var records = new Array(pageData.entries.length);
for (var made = 0; made < records.length; made++) records[made] = new Paper(made, pageData.entries[made]);

// A key as the page's anchors write it (render.py's anchor filter): each white-space character
// (as Python counts them) and each "~" written "~<hex code>~"; "~" for an empty key.
var ANCHOR_ESCAPES = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000~]/g;
function anchorOf(key) {
  return key.replace(ANCHOR_ESCAPES, function (c) { return "~" + c.charCodeAt(0).toString(16) + "~"; }) || "~";
}

// The paper an anchor (#...) names, or null.
function recordOf(anchor) {
  for (var n = 0; n < records.length; n++) {
    if (anchorOf(records[n].key) === anchor) return records[n];
  }
  return null;
}

// The paper with this key, or null.
function recordWithKey(key) {
  for (var n = 0; n < records.length; n++) {
    if (records[n].key === key) return records[n];
  }
  return null;
}

// ---- rows, from the markup in <noscript> ---------------------------------------------------
var rowMarkup = (function () {
  var holder = byId("rows");
  return holder ? holder.textContent : "";
})();
// Where each paper's <tr> starts in that markup, found as far as needed (the rows are in the
// file's order, one <tr ...> each: every "<" from the .bib is written "&lt;").
var rowStarts = new Int32Array(records.length + 1);
var rowsFound = 0, rowsAt = rowMarkup.indexOf("<tbody>");
function rowStart(index) {
  while (rowsFound <= index && rowsAt >= 0) {
    if (rowsFound === records.length) {
      var end = rowMarkup.indexOf("</tbody>", rowsAt);
      rowStarts[rowsFound++] = end < 0 ? rowMarkup.length : end;
      break;
    }
    rowsAt = rowMarkup.indexOf("<tr ", rowsAt);
    if (rowsAt < 0) return -1;
    rowStarts[rowsFound++] = rowsAt;
    rowsAt += 4;
  }
  return rowsFound > index ? rowStarts[index] : -1;
}
var parser = document.createElement("template");
var paperOfRow = new WeakMap();
// Rows made are kept for when they come back into view, up to this many (the oldest not in
// the table are let go first), so that a long scroll does not keep every row in memory.
var KEPT_ROWS = 1500;
var madeRows = [];

// Make the rows of the given records that are not made yet, all in one go.
function rowsOf(list) {
  var missing = list.filter(function (record) { return !record.tr; });
  if (!missing.length) return;
  var parts = missing.map(function (record) {
    var start = rowStart(record.i), end = rowStart(record.i + 1);
    return start < 0 || end < 0 ? "" : rowMarkup.slice(start, end);
  });
  parser.innerHTML = parts.join("");
  var made = parser.content.children, at = 0;
  missing.forEach(function (record, n) {
    var tr = parts[n] ? made[at++] : null;
    prepareRow(record, tr || plainRow(record));
  });
  parser.innerHTML = "";
  if (madeRows.length > KEPT_ROWS) letGo();
}

function letGo() {
  var kept = [];
  for (var n = 0; n < madeRows.length; n++) {
    var record = madeRows[n];
    if (madeRows.length - n + kept.length <= KEPT_ROWS / 2 || record.tr.isConnected || record.open) {
      kept.push(record);
    } else {
      record.tr = null;
      record.button = null;
      record.detail = null;
    }
  }
  madeRows = kept;
}

// Without the markup (a template that left it out), a row of the record's plain text.
function plainRow(record) {
  var tr = document.createElement("tr");
  tr.id = anchorOf(record.key);
  record.cells.forEach(function (text) { tr.insertCell().textContent = text; });
  categories.forEach(function (label, category) {
    var td = tr.insertCell();
    if (record.cats.indexOf(category) >= 0) {
      var mark = document.createElement("span");
      mark.className = "label";
      mark.textContent = label;
      td.appendChild(mark);
    }
  });
  return tr;
}

// The row's BibTeX button, named for its paper, goes after its title and links.
var citeColumn = byId("catalogue") ? Number(byId("catalogue").getAttribute("data-cite-column")) || 0 : 0;
function prepareRow(record, tr) {
  var cell = tr.cells[citeColumn];
  if (cell) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "cite-toggle";
    button.textContent = "BibTeX";
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-label", "BibTeX of \u201c" + (record.cells[citeColumn] || record.key) + "\u201d");
    cell.appendChild(button);
    record.button = button;
  }
  paperOfRow.set(tr, record);
  record.tr = tr;
  madeRows.push(record);
}

// The paper a row (or anything in it) shows.
function paperOf(node) {
  var tr = node.closest ? node.closest("tr") : null;
  return tr ? paperOfRow.get(tr) || null : null;
}

// ---- search text: what a query looks in (search.py's search_text) ------------------------
var SEPARATOR = "\0";
function venueOf(record) {
  var index = record.data[7];
  return index === null || index === undefined ? "" : venueNames[index];
}

function searchText(record) {
  if (!record.search) {
    var labels = record.cats.map(function (category) { return categories[category]; });
    var hidden = [record.key, record.data[4], record.data[5], venueOf(record)];
    var all = folded(record.cells.concat(labels, hidden).join(SEPARATOR));
    // Looked into once now, so that the browser keeps each text in one piece before the first
    // query (else the first keystroke pays for joining thousands of them).
    all.first.indexOf("\0\0");
    all.second.indexOf("\0\0");
    record.search = { all: all, year: record.year };
  }
  return record.search;
}

// The text of the columns a prefix names (author, title, venue), made when first asked for.
function searchPart(record, role) {
  var text = searchText(record);
  if (!text[role]) {
    var shown = [];
    columns.forEach(function (column, n) {
      if (column.roles.indexOf(role) >= 0) shown.push(record.cells[n]);
    });
    if (role === "venue" && venueOf(record)) shown.push(venueOf(record));
    text[role] = folded(shown.join(SEPARATOR));
  }
  return text;
}

// ---- sort keys, per column, made when the column is first sorted -------------------------
// Years as numbers; names by family name (BibTeX's sort name); text folded; a category column
// puts its papers first. Empty is null (sorted last either way).
var sortKeyCache = {};
function sortKeys(column) {
  if (!sortKeyCache[column]) {
    var kind = column < columns.length ? columns[column].kind : "mark";
    var category = column - columns.length;
    var names = kind === "names" ? columns.slice(0, column).filter(function (c) { return c.kind === "names"; }).length : 0;
    sortKeyCache[column] = records.map(function (record) {
      if (kind === "mark") return record.cats.indexOf(category) >= 0 ? 0 : 1;
      var text = kind === "names" ? record.data[6][names] : record.cells[column];
      if (!text) return null;
      if (kind === "number") {
        var number = parseInt(text, 10);
        return isNaN(number) ? null : number;
      }
      return fold(text);
    });
  }
  return sortKeyCache[column];
}
