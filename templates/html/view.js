// ---- view.js: the view and the address ---------------------------------------------------
// What the reader chose (search, categories with any or all, years, sort, every row at once)
// and the papers that follow from it, in order, with each category's count; the address that
// keeps it (?q=...&category=...&match=all&from=...&to=...&sort=-Year&sort=Title&show=all), so
// that a link, a reload or Back brings the same view; and the history steps: each change the
// reader makes is one step (typing makes one), and the scroll position goes with it.
// Owns: state, view, tally, stateFrom, addressOf, sortBy, order, filter, and the history:
// savePlace, leaving, remember, endTyping.

// Sortable columns, as the table's header has them: the text columns, then the categories.
var sortLabels = columns.map(function (column) { return column.label; }).concat(categories);
var SORT_LEVELS = 3;  // the sorts kept as tie-breakers (the latest first)

function blankState() {
  return { q: "", cats: [], match: "any", from: null, to: null, sort: [], all: false };
}
var state = blankState();
var sorted = records;   // every record, in the current sort order
var sortedBy = "";
var view = [];          // the records the filters keep, in that order
var tally = [];         // per category: the papers the view would have with it checked

// A year as typed: only a whole one counts ("201" is a year being typed).
function yearOf(text) {
  text = (text || "").trim();
  return /^[0-9]{4}$/.test(text) ? Number(text) : null;
}

function stateFrom(search) {
  var query = new URLSearchParams(search), chosen = blankState();
  chosen.q = query.get("q") || "";
  query.getAll("category").forEach(function (label) {
    var category = categories.indexOf(label);
    if (category >= 0 && chosen.cats.indexOf(category) < 0) chosen.cats.push(category);
  });
  chosen.match = query.get("match") === "all" ? "all" : "any";
  chosen.from = yearOf(query.get("from"));
  chosen.to = yearOf(query.get("to"));
  query.getAll("sort").forEach(function (spec) {
    var descending = spec.charAt(0) === "-";
    var column = sortLabels.indexOf(descending ? spec.slice(1) : spec);
    var known = chosen.sort.some(function (level) { return level.column === column; });
    if (column >= 0 && !known) chosen.sort.push({ column: column, direction: descending ? -1 : 1 });
  });
  chosen.sort = chosen.sort.slice(0, SORT_LEVELS);
  chosen.all = query.get("show") === "all";
  return chosen;
}

function addressOf(chosen) {
  var query = new URLSearchParams();
  if (chosen.q) query.set("q", chosen.q);
  chosen.cats.forEach(function (category) { query.append("category", categories[category]); });
  if (chosen.match === "all") query.set("match", "all");
  if (chosen.from !== null) query.set("from", chosen.from);
  if (chosen.to !== null) query.set("to", chosen.to);
  chosen.sort.forEach(function (level) {
    query.append("sort", (level.direction < 0 ? "-" : "") + sortLabels[level.column]);
  });
  if (chosen.all) query.set("show", "all");
  var text = query.toString();
  return location.pathname + (text ? "?" + text : "");
}

// A click on a column: newest first for years, A to Z for text, marked first for a category;
// the same column again reverses it; the sorts before break ties, then the file's order.
function sortBy(column) {
  var current = state.sort[0];
  var kind = column < columns.length ? columns[column].kind : "mark";
  var direction = current && current.column === column ? -current.direction : (kind === "number" ? -1 : 1);
  var rest = state.sort.filter(function (level) { return level.column !== column; });
  state.sort = [{ column: column, direction: direction }].concat(rest).slice(0, SORT_LEVELS);
}

// ---- the view ----------------------------------------------------------------------------
// Each column's papers are ranked once (equal keys share a rank; empty cells rank last); a sort
// is then a stable counting sort by each level's ranks, the last level first, starting from the
// file's order: a few passes over the papers, however many there are.
var rankCache = {};
function ranksOf(column) {
  if (!rankCache[column]) {
    var keys = sortKeys(column), filled = [];
    for (var n = 0; n < keys.length; n++) if (keys[n] !== null) filled.push(n);
    filled.sort(function (a, b) { return keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0; });
    var ranks = new Int32Array(keys.length), rank = -1, last;
    for (var f = 0; f < filled.length; f++) {
      var key = keys[filled[f]];
      if (f === 0 || key !== last) rank += 1;
      ranks[filled[f]] = rank;
      last = key;
    }
    var empty = rank + 1;
    for (var e = 0; e < keys.length; e++) if (keys[e] === null) ranks[e] = empty;
    rankCache[column] = { ranks: ranks, empty: empty };
  }
  return rankCache[column];
}

function countingSort(order, ranked, direction) {
  var ranks = ranked.ranks, empty = ranked.empty;
  var counts = new Int32Array(empty + 2);
  var placeOf = function (index) {
    var rank = ranks[index];
    return rank === empty || direction > 0 ? rank : empty - 1 - rank;
  };
  for (var n = 0; n < order.length; n++) counts[placeOf(order[n]) + 1] += 1;
  for (var r = 1; r < counts.length; r++) counts[r] += counts[r - 1];
  var sortedOrder = new Int32Array(order.length);
  for (var m = 0; m < order.length; m++) {
    var index = order[m];
    sortedOrder[counts[placeOf(index)]++] = index;
  }
  return sortedOrder;
}

function order() {
  var spec = JSON.stringify(state.sort);
  if (spec === sortedBy) return;
  sortedBy = spec;
  if (!state.sort.length) {
    sorted = records;
    return;
  }
  var indexes = new Int32Array(records.length);
  for (var n = 0; n < indexes.length; n++) indexes[n] = n;
  for (var level = state.sort.length - 1; level >= 0; level--) {
    var chosen = state.sort[level];
    indexes = countingSort(indexes, ranksOf(chosen.column), chosen.direction);
  }
  sorted = new Array(indexes.length);
  for (var p = 0; p < indexes.length; p++) sorted[p] = records[indexes[p]];
}

// The years asked for, lowest first (a "from" after the "to" is read the other way round).
function yearRange() {
  var low = state.from, high = state.to;
  if (low !== null && high !== null && low > high) return [high, low];
  return [low, high];
}

// A category's count is how many papers the view would have with that category checked: with
// "any", the papers passing search and years that are in it; with "all", those that are also
// in every checked category.
// While the reader types on (a query that only narrows the one before: "te" after "t"), only
// the papers the last query found are searched again.
var searched = { terms: null, years: "", sort: "", found: [] };

function filter() {
  var terms = parseQuery(state.q);
  var parts = terms.map(function (term) { return term.field; }).filter(function (field) {
    return field && field !== "year";
  });
  var years = yearRange(), low = years[0], high = years[1];
  var narrower = searched.terms !== null && searched.sort === sortedBy &&
    searched.years === String(years) && narrows(searched.terms, terms);
  var from = narrower ? searched.found : sorted;
  var found = from === sorted && !terms.length && low === null && high === null ? sorted : [];
  for (var n = 0; found !== sorted && n < from.length; n++) {
    var record = from[n];
    if (low !== null && (record.year === null || record.year < low)) continue;
    if (high !== null && (record.year === null || record.year > high)) continue;
    if (terms.length) {
      var place = record.search || searchText(record);
      for (var p = 0; p < parts.length; p++) searchPart(record, parts[p]);
      var pass = true;
      for (var t = 0; t < terms.length && pass; t++) pass = termFound(terms[t], place) !== terms[t].negative;
      if (!pass) continue;
    }
    found.push(record);
  }
  searched = { terms: terms, years: String(years), sort: sortedBy, found: found };
  var checked = state.cats, needAll = state.match === "all";
  if (found === sorted && !checked.length) {
    // nothing chosen: every paper, and each category's own count
    tally = categories.map(function () { return 0; });
    for (var a = 0; a < records.length; a++) {
      for (var b = 0; b < records[a].cats.length; b++) tally[records[a].cats[b]] += 1;
    }
    view = sorted;
    return;
  }
  tally = categories.map(function () { return 0; });
  var kept = [];
  for (var f = 0; f < found.length; f++) {
    var cats = found[f].cats, hits = 0;
    for (var c = 0; c < checked.length; c++) if (cats.indexOf(checked[c]) >= 0) hits += 1;
    var inAll = hits === checked.length;
    if (!needAll || inAll) {
      for (var k = 0; k < cats.length; k++) tally[cats[k]] += 1;
    }
    if (!checked.length || (needAll ? inAll : hits > 0)) kept.push(found[f]);
  }
  view = kept;
}

// Whether every paper `after` finds is among those `before` found: the same terms, the last
// ones typed on (a word that grew), and maybe more.
function narrows(before, after) {
  if (after.length < before.length) return false;
  for (var n = 0; n < before.length; n++) {
    var old = before[n], now = after[n];
    if (old.field !== now.field || old.negative !== now.negative) return false;
    if (old.years || now.years || old.negative) {
      if (JSON.stringify(old) !== JSON.stringify(now)) return false;
    } else if (now.text.first.indexOf(old.text.first) < 0 || now.text.second.indexOf(old.text.second) < 0) {
      return false;
    }
  }
  return true;
}

// ---- history -----------------------------------------------------------------------------
// Each history entry keeps, besides its address, where the reader was in the list.
function savePlace() {
  var place = listAnchor();
  try {
    history.replaceState(place, "", location.href);
  } catch (error) { /* too many calls: the next one will do */ }
}

var typing = { input: null, step: false, timer: 0, end: 0 };

// Before the view changes: the history entry being left keeps where the reader was (unless
// the change is more typing in the box whose typing made that entry).
function leaving(input) {
  if (!input || typing.input !== input) savePlace();
}

// After the view changed: a new history step with the new address, or, while the reader is
// typing in the same box, the step that typing began (written a moment after the last key).
function remember(input) {
  var address = addressOf(state);
  clearTimeout(typing.timer);
  if (input) {
    if (typing.input !== input) typing.step = false;
    typing.input = input;
    clearTimeout(typing.end);
    typing.end = setTimeout(endTyping, 1500);
    typing.timer = setTimeout(function () {
      write(address, typing.step);
      typing.step = true;
    }, 300);
    return;
  }
  endTyping();
  write(address, false);
}

// Typing is over (a pause, or the box lost focus): write what was typed, if not yet written.
function endTyping() {
  clearTimeout(typing.end);
  if (typing.input && typing.timer) {
    clearTimeout(typing.timer);
    write(addressOf(state), typing.step);
  }
  typing.input = null;
  typing.step = false;
  typing.timer = 0;
}

function write(address, replace) {
  if (address === location.pathname + location.search && !location.hash) return;
  var place = listAnchor();
  try {
    if (replace) history.replaceState(place, "", address);
    else history.pushState(place, "", address);
  } catch (error) { /* too many calls: the address catches up with the next change */ }
}
