// ---- livepatch.js: a new build shown in place (the live preview's, never on a written page) --
// `bib2table --serve` puts this at the end of the page's script, where it sees the page's own
// state. When the server says only entries changed, it asks for the patches from this page's
// build to the newest (see builder.py) and the preview's script (livereload.js) hands them
// over as a "bib2table-patch" event. The list of papers, their data, their rows (the markup in
// <noscript>) and their citations become the new build's; the reader's view stays as it is:
// search, categories, years, sort, the place in the list, every open BibTeX box. A patch that
// does not fit this page throws, and the page is reloaded instead.
// Safety: the rows come from the server that made this page, escaped as its rows are; they
// are parsed into the inert <template> as the page's own rows are (papers.js).
var patchGeneration = 0;
// The citations are read when first needed (a large page's are long): until then the patches
// wait here, and are applied to them then.
var citePatches = [], readCitations = citations;
citations = function () {
  var data = readCitations();
  if (citePatches.length) {
    var waiting = citePatches;
    citePatches = [];
    waiting.forEach(function (patch) { patchCitations(data, patch); });
  }
  return data;
};
function patchCitations(data, patch) {
  var entries = [];
  patch.order.forEach(function (run) {
    if (typeof run === "number") entries.push(patch.fresh[run][2]);
    else for (var n = run[0]; n < run[0] + run[1]; n++) entries.push(data.entries[n] || ["", []]);
  });
  data.entries = entries;
  Object.keys(patch.strings).forEach(function (macro) { data.strings[macro] = patch.strings[macro]; });
}

function applyPatch(patch) {
  var old = records, first = rowStart(0), end = rowMarkup.lastIndexOf("</tbody>");
  if (first < 0 || end < first) throw new Error("no rows");
  // Where the row of paper n starts; the end of the last row is the end of the rows.
  var startOf = function (n) { return n === old.length ? end : rowStart(n); };
  patchGeneration += 1;
  var kept = {};
  patch.order.forEach(function (run) {
    if (typeof run === "number") return;
    if (run[0] < 0 || run[0] + run[1] > old.length) throw new Error("out of range");
    for (var n = run[0]; n < run[0] + run[1]; n++) old[n].keptIn = patchGeneration;
  });
  var replaced = {};   // the papers that go, by key: an edited paper keeps its place on screen
  old.forEach(function (record) {
    if (record.keptIn !== patchGeneration) replaced[record.key] = record;
  });
  var next = [], items = [], parts = [], reopen = [];
  patch.order.forEach(function (run) {
    if (typeof run === "number") {
      var fresh = patch.fresh[run], data = fresh[0];
      if (data[7] !== null) {
        var venue = venueNames.indexOf(data[7]);
        if (venue < 0) { venue = venueNames.length; venueNames.push(data[7]); }
        data[7] = venue;
      }
      var record = replaced[data[0]];
      if (record && record.keptIn !== patchGeneration) {
        if (record.open) reopen.push(record);
        Paper.call(record, next.length, data);
      } else {
        record = new Paper(next.length, data);
      }
      record.keptIn = patchGeneration;
      next.push(record);
      items.push(data);
      parts.push(fresh[1]);
      return;
    }
    var from = startOf(run[0]), to = startOf(run[0] + run[1]);
    if (from < 0 || to < 0) throw new Error("no rows");
    parts.push(rowMarkup.slice(from, to));
    for (var n = run[0]; n < run[0] + run[1]; n++) {
      old[n].i = next.length;
      next.push(old[n]);
      items.push(pageData.entries[n]);
    }
  });
  rowMarkup = rowMarkup.slice(0, first) + parts.join("") + rowMarkup.slice(end);
  records = next;
  pageData.entries = items;
  if (citeData) patchCitations(citeData, patch);
  else citePatches.push(patch);
  rowStarts = new Int32Array(records.length + 1);
  rowsFound = 0;
  rowsAt = rowMarkup.indexOf("<tbody>");
  madeRows = madeRows.filter(function (record) { return record.tr && record.keptIn === patchGeneration; });
  sortKeyCache = {};
  rankCache = {};
  sortedBy = null;
  searched = { terms: null, years: "", sort: "", found: [] };
  showTotals(patch.total, patch.counts);
  charted = null;
  update({ start: "keep" });
  reopen.forEach(function (record) {
    rowsOf([record]);
    if (!record.open) toggleCite(record);
  });
  if (reopen.length && !everything) draw();
}

// The totals the page was written with: in the header, the summary and the footer.
function showTotals(total, counts) {
  var text = total.toLocaleString("en"), word = total === 1 ? "paper" : "papers";
  var strong = document.querySelectorAll("header .totals strong");
  if (strong[0]) {
    strong[0].textContent = text;
    if (strong[0].nextSibling) strong[0].nextSibling.textContent = " " + word;
  }
  counts.forEach(function (count, n) {
    if (strong[n + 1]) strong[n + 1].textContent = count.toLocaleString("en");
  });
  var skip = document.querySelector("header .skip");
  if (skip) skip.textContent = "Skip to the " + word;
  if (shownCount && shownCount.nextSibling) shownCount.nextSibling.textContent = " of " + text + " " + word;
  var section = document.querySelector("section.catalogue");
  if (section) section.className = section.className.replace(/\bd[0-9]+\b/, "d" + text.length);
  var footer = document.querySelector("footer p");
  if (footer) footer.textContent = footer.textContent.replace(/^[0-9,]+ papers?/, text + " " + word);
}

document.addEventListener("bib2table-patch", function (event) {
  var detail = event.detail;
  try {
    detail.patches.forEach(applyPatch);
    detail.done = true;
  } catch (error) {
    detail.done = false;
  }
});
