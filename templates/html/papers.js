// ---- papers.js: the papers ---------------------------------------------------------------
// One record per paper, in the file's order, from the page's data (#page-data: each paper's
// text, year and categories, as catalogue/pagedata.py writes them) and from the table kept as
// text inside <noscript id="rows"> (each paper's row as the page shows it). A record's row is
// made from that markup only when it is first shown; search, sort and copy use the record's
// plain text, never the row's markup.
// Owns: records, byKey, columns, categories, rowsOf, searchText, sortKeys, anchorOf.
// Safety: the markup parsed here is the page's own (every character from the .bib in it was
// escaped when the page was made), parsed into an inert <template>.

function byId(id) { return document.getElementById(id); }

var pageData = (function () {
  var block = byId("page-data");
  try {
    return JSON.parse(block ? block.textContent : "");
  } catch (error) {
    return { columns: [], categories: [], entries: [] };
  }
})();
var columns = pageData.columns;        // {label, kind, roles}
var categories = pageData.categories;  // category labels, in column order
var records = pageData.entries.map(function (entry, index) {
  return {
    i: index, key: entry[0], cells: entry[1], year: entry[2], cats: entry[3], doi: entry[4],
    arxiv: entry[5], venues: entry[6], sorts: entry[7],
    tr: null, search: null, open: false, detail: null, h: 0
  };
});
var byKey = new Map();
records.forEach(function (record) { byKey.set(anchorOf(record.key), record); });

// A key as the page's anchors write it (render.py's anchor filter).
function anchorOf(key) {
  return key.replace(/\s+/g, "-") || "entry";
}

// ---- rows, from the markup in <noscript> ---------------------------------------------------
var rowMarkup = (function () {
  var holder = byId("rows");
  return holder ? holder.textContent : "";
})();
// Where each paper's <tr> starts in that markup (the last number: where the rows end).
var rowStarts = (function () {
  var starts = new Int32Array(records.length + 1);
  var at = rowMarkup.indexOf("<tbody>");
  for (var n = 0; n < records.length; n++) {
    at = rowMarkup.indexOf("<tr ", at);
    if (at < 0) return null;
    starts[n] = at;
    at += 4;
  }
  var end = rowMarkup.indexOf("</tbody>", at);
  starts[records.length] = end < 0 ? rowMarkup.length : end;
  return starts;
})();
var parser = document.createElement("template");

// Make the rows of the given records that are not made yet, all in one go.
function rowsOf(list) {
  var missing = list.filter(function (record) { return !record.tr; });
  if (!missing.length) return;
  if (!rowStarts) {
    missing.forEach(function (record) { record.tr = plainRow(record); });
    return;
  }
  var parts = missing.map(function (record) {
    return rowMarkup.slice(rowStarts[record.i], rowStarts[record.i + 1]);
  });
  parser.innerHTML = parts.join("");
  var made = parser.content.children;
  missing.forEach(function (record, n) { prepareRow(record, made[n] || plainRow(record)); });
  parser.innerHTML = "";
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
  record.tr = tr;
}

// ---- search text: what a query looks in (search.py's search_text) ------------------------
var SEPARATOR = "\0";
function searchText(record) {
  if (!record.search) {
    var labels = record.cats.map(function (category) { return categories[category]; });
    var all = record.cells.concat(labels, [record.key, record.doi, record.arxiv, record.venues]);
    record.search = { all: folded(all.join(SEPARATOR)), year: record.year };
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
    if (role === "venue" && record.venues) shown.push(record.venues);
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
    sortKeyCache[column] = records.map(function (record) {
      if (kind === "mark") return record.cats.indexOf(category) >= 0 ? 0 : 1;
      var text = kind === "names" ? record.sorts[column] : record.cells[column];
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
