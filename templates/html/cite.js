// ---- cite.js: citing a paper ---------------------------------------------------------------
// A row's BibTeX button opens, in a row below it, the paper's links, its entry as written in
// the .bib, the @string macros it uses (folded away: in a big bibliography they can be long)
// and a button that copies both; the data comes from #cite-data, read when first needed.
// Owns: toggleCite, and the rows below papers (record.detail).
// Safety: nothing from the .bib is parsed as HTML here; text goes in with textContent, and a
// link is made only for an http(s) address.

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

function element(name, className, text) {
  var made = document.createElement(name);
  if (className) made.className = className;
  if (text) made.textContent = text;
  return made;
}

function linkText(kind, href) {
  var rest = href.replace(/^https?:\/\/(doi\.org|arxiv\.org\/abs)\//, "");
  try { rest = decodeURIComponent(rest); } catch (error) { /* keep it as written */ }
  return kind === "URL" ? href : kind + " " + rest;
}

function makeDetail(record) {
  var data = citations(), entry = data.entries[record.i] || ["", []];
  var used = entry[1].map(function (macro) { return data.strings[macro]; }).filter(Boolean);
  var text = (used.length ? used.join("\n") + "\n\n" : "") + entry[0];
  var title = record.cells[citeColumn] || record.key;
  var tr = document.createElement("tr");
  tr.className = "cite";
  var td = tr.insertCell();
  td.colSpan = table.tHead.rows[0].cells.length;
  // The row's own links (its web page or PDF, DOI, arXiv page), written out in full.
  var links = element("p", "cite-links");
  var kinds = { PDF: "URL", Web: "URL", DOI: "DOI", arXiv: "arXiv" };
  Array.prototype.forEach.call(record.tr.querySelectorAll(".links a"), function (shown) {
    var href = shown.getAttribute("href") || "";
    if (!/^https?:\/\//i.test(href)) return;
    var a = element("a", "", linkText(kinds[shown.textContent] || "URL", href));
    a.href = href;
    links.appendChild(a);
  });
  var permalink = element("a", "", "Link to this entry");
  permalink.href = "#" + encodeURIComponent(record.tr.id);
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
  copy.setAttribute("aria-label", "Copy BibTeX of \u201c" + title + "\u201d");
  var status = element("span", "copied");
  status.setAttribute("role", "status");
  actions.append(copy, status);
  td.appendChild(actions);
  copy.addEventListener("click", function () { copyText(text, td, status); });
  return tr;
}

function toggleCite(record) {
  if (!record.detail) record.detail = makeDetail(record);
  record.open = !record.open;
  if (record.open) record.tr.after(record.detail);
  else record.detail.remove();
  record.button.setAttribute("aria-expanded", String(record.open));
  record.hFor = 0;  // its height changed: measured again
}

// The clipboard API where the browser allows it; else the old way, through a selected text
// area (kept out of sight by the style sheet). Each copy is said anew (the status is emptied
// first), so that a second copy is announced too.
function copyText(text, cell, status) {
  status.textContent = "";
  function say(message) {
    setTimeout(function () { status.textContent = message; }, 50);
  }
  function byHand() {
    var area = element("textarea", "clip");
    area.value = text;
    area.setAttribute("readonly", "");
    area.setAttribute("aria-hidden", "true");
    area.tabIndex = -1;
    cell.appendChild(area);
    area.select();
    var done = false;
    try { done = document.execCommand("copy"); } catch (error) { done = false; }
    area.remove();
    say(done ? "Copied" : "Could not copy: select the text and copy it");
  }
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(text).then(function () { say("Copied"); }, byHand);
  } else {
    byHand();
  }
}
