// ---- search.js: the search rules ---------------------------------------------------------
// The same rules as the command line's --search (src/bib2table/catalogue/search.py), step by
// step, checked against the same examples (tests/data/search/): words and "quoted phrases"
// that must all be found, -word or -"a phrase" that must not be, author:, title: and venue: to
// look in one column, year:2016..2019 (or 2016.., ..2019, 2016-2019, 2016) for years.
// Folding: compatibility forms, case and accents do not matter, and a letter written two ways
// matches both (o-umlaut as o and as oe, sharp s as ss, l-stroke as l).
// Owns: fold, folded, parseQuery, termFound. Uses nothing else on the page.

var WHITESPACE = " \t\n\r\f\v\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007" +
  "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";
var SPACES = /[ \t\n\r\f\v\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/g;
var QUOTES = /[\u201c\u201d\u201e\u201f\u2033]/g;
var ACCENTS = /[\u0300-\u036f]/g;
var SECOND_SPELLING = /([aou])\u0308|(a)\u030a/g;
var NEEDS_SECOND = /[aou]\u0308|a\u030a|\u00f8/;
var RANGE = /^([0-9]*)(?:\.\.|-)([0-9]*)$/;
var FOUR_DIGITS = /^[0-9]{4}$/;
var FIELDS = ["author", "title", "venue", "year"];
// Letters that Unicode does not decompose into a letter and an accent, and typographic
// punctuation (as search.py's _LETTERS).
var LETTERS = {
  "\u0142": "l", "\u00f8": "o", "\u00e6": "ae", "\u0153": "oe", "\u00df": "ss", "\u0111": "d",
  "\u00f0": "d", "\u00fe": "th", "\u0131": "i", "\u0127": "h", "\u03c2": "\u03c3",
  "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
  "\u201c": "\"", "\u201d": "\"", "\u201e": "\"", "\u201f": "\"",
  "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
  "\u2212": "-"
};
var LETTER = new RegExp("[" + Object.keys(LETTERS).join("") + "]", "g");

function prepare(text) {
  return text.normalize("NFKD").toLowerCase();
}

function foldPrepared(prepared, second) {
  if (second) {
    prepared = prepared.replace(SECOND_SPELLING, function (match, vowel) {
      return vowel ? vowel + "e" : "aa";
    });
  }
  return prepared
    .replace(LETTER, function (c) { return second && c === "\u00f8" ? "oe" : LETTERS[c]; })
    .replace(ACCENTS, "")
    .replace(SPACES, " ");
}

var ASCII = /^[\x00-\x7f]*$/;

// Text as search compares it (search.py's fold). Plain ASCII only needs lower case and spaces.
function fold(text) {
  if (ASCII.test(text)) return text.toLowerCase().replace(SPACES, " ");
  return foldPrepared(prepare(text), false);
}

// A text folded both ways: {first, second} (search.py's Folded.of).
function folded(text) {
  if (ASCII.test(text)) {
    var plain = text.toLowerCase().replace(SPACES, " ");
    return { first: plain, second: plain };
  }
  var prepared = prepare(text);
  var first = foldPrepared(prepared, false);
  return { first: first, second: NEEDS_SECOND.test(prepared) ? foldPrepared(prepared, true) : first };
}

function isSpace(c) {
  return WHITESPACE.indexOf(c) >= 0;
}

// The terms of a query: {field, text: {first, second}, negative, years: [low, high] or null}.
function parseQuery(query) {
  var text = query.replace(QUOTES, "\"").replace(/\0/g, "");
  var terms = [], at = 0, end = text.length;
  while (at < end) {
    while (at < end && isSpace(text.charAt(at))) at += 1;
    if (at >= end) break;
    if (text.charAt(at) === "-" && (at + 1 === end || isSpace(text.charAt(at + 1)))) {
      at += 1;  // a dash alone leaves nothing out
      continue;
    }
    var negative = text.charAt(at) === "-";
    if (negative) at += 1;
    var field = "";
    for (var f = 0; f < FIELDS.length && !field; f++) {
      var name = FIELDS[f];
      if (text.slice(at, at + name.length + 1).toLowerCase() === name + ":") field = name;
    }
    if (field) at += field.length + 1;
    var value;
    if (at < end && text.charAt(at) === "\"") {
      var close = text.indexOf("\"", at + 1);
      if (close < 0) close = end;
      value = text.slice(at + 1, close);
      at = close + 1;
    } else {
      var start = at;
      while (at < end && !isSpace(text.charAt(at))) at += 1;
      value = text.slice(start, at);
    }
    var term = makeTerm(field, value, negative);
    if (term) terms.push(term);
  }
  return terms;
}

function trimSpaces(text) {
  return text.replace(/^ +| +$/g, "");
}

function makeTerm(field, value, negative) {
  var both = folded(value);
  var text = { first: trimSpaces(both.first), second: trimSpaces(both.second) };
  if (!text.first) return null;
  var years = null;
  if (field === "year") {
    var bounds = RANGE.exec(text.first);
    if (bounds) {
      years = [bounds[1], bounds[2]].map(function (b) { return FOUR_DIGITS.test(b) ? Number(b) : null; });
    }
  }
  return { field: field, text: text, negative: negative, years: years };
}

// Whether a term is found in an entry's search text ({all, author, title, venue}: folded
// both ways; year: a number or null); the caller inverts it for a -term.
function termFound(term, place) {
  if (term.field === "year") {
    var year = place.year;
    if (year === null) return false;
    if (term.years) {
      return (term.years[0] === null || year >= term.years[0]) &&
        (term.years[1] === null || year <= term.years[1]);
    }
    return String(year).indexOf(term.text.first) >= 0;
  }
  var text = place[term.field || "all"], wanted = term.text;
  if (text.first.indexOf(wanted.first) >= 0) return true;
  // the other spelling, when either side has one
  return (text.second !== text.first || wanted.second !== wanted.first) &&
    text.second.indexOf(wanted.second) >= 0;
}
