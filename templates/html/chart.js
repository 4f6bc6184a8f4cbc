// ---- chart.js: the chart of papers per year ----------------------------------------------
// The chart follows the view: each update counts the papers shown per year, in all and per
// category, and redraws the bars (scaled to the view's busiest year, as the page was made),
// their tooltips, each row's text alternative (its aria-label) and the table under "Papers
// per year as a table" (only while that is open; again when it opens).
// Owns: chartShow, chartDraw.

var chart = byId("chart");
var chartRows = chart ? Array.prototype.slice.call(chart.querySelectorAll(".chart-rows svg")) : [];
var chartFirst = chart ? Number(chart.getAttribute("data-first")) : 0;
var chartBars = chartRows.map(function (svg) { return Array.prototype.slice.call(svg.querySelectorAll("rect")); });
var chartYears = chartBars.length ? chartBars[0].length : 0;
var chartTable = chart ? chart.querySelector(".chart-table") : null;
var chartUndated = chart ? chart.querySelector(".chart-undated") : null;
var chartCounts = null;

// Redraw for the papers shown: now if the chart is on screen, else a moment later (the list
// comes first).
var chartWaiting = null, chartLater = 0;
function chartShow(shown) {
  if (!chartRows.length) return;
  chartWaiting = shown;
  var box = chart.getBoundingClientRect();
  if (box.bottom > 0 && box.top < window.innerHeight) {
    chartDraw();
  } else if (!chartLater) {
    chartLater = setTimeout(chartDraw, 120);
  }
}

function chartDraw() {
  clearTimeout(chartLater);
  chartLater = 0;
  var shown = chartWaiting;
  if (!shown) return;
  chartWaiting = null;
  var series = chartRows.length;
  var counts = chartRows.map(function () { return new Int32Array(chartYears); });
  var undated = 0;
  for (var n = 0; n < shown.length; n++) {
    var record = shown[n];
    var at = record.year === null ? -1 : record.year - chartFirst;
    if (at < 0 || at >= chartYears) {
      undated += 1;
      continue;
    }
    counts[0][at] += 1;
    for (var c = 0; c < record.cats.length; c++) {
      if (record.cats[c] + 1 < series) counts[record.cats[c] + 1][at] += 1;
    }
  }
  var peaks = counts.map(function (row) { return Math.max.apply(null, Array.prototype.slice.call(row).concat(0)); });
  var categoryPeak = Math.max.apply(null, peaks.slice(1).concat(0));
  chartRows.forEach(function (svg, s) {
    var row = counts[s], peak = s === 0 ? peaks[0] : categoryPeak;
    var label = s === 0 ? "All papers" : categories[s - 1];
    var sum = 0, most = 0, busiest = null;
    chartBars[s].forEach(function (bar, at) {
      var count = row[at];
      sum += count;
      if (count > most) {
        most = count;
        busiest = chartFirst + at;
      }
      var height = count ? Math.max((count * 100) / peak, 4) : 0;
      var text = height.toFixed(1);
      if (bar.getAttribute("height") !== text) {
        bar.setAttribute("height", text);
        bar.setAttribute("y", (100 - height).toFixed(1));
      }
      var tip = bar.firstElementChild, tipText = (chartFirst + at) + ": " + count;
      if (!tip && count) {
        tip = document.createElementNS("http://www.w3.org/2000/svg", "title");
        bar.appendChild(tip);
      }
      if (tip && tip.textContent !== tipText) tip.textContent = tipText;
    });
    var name = label + ": " + sum.toLocaleString("en") + (sum === 1 ? " paper" : " papers") +
      (busiest === null ? "" : ", most in " + busiest + " (" + most + ")");
    if (svg.getAttribute("aria-label") !== name) svg.setAttribute("aria-label", name);
  });
  if (chartUndated) {
    chartUndated.textContent = undated ? " (" + undated.toLocaleString("en") + " without a year not shown)" : "";
  }
  chartCounts = counts;
  chartTableShow();
}

function chartTableShow() {
  if (!chartTable || !chartTable.open || !chartCounts) return;
  Array.prototype.forEach.call(chartTable.querySelectorAll("tbody tr"), function (tr) {
    var at = Number(tr.getAttribute("data-year")) - chartFirst;
    tr.hidden = chartCounts[0][at] === 0;
    for (var s = 0; s < chartCounts.length; s++) {
      var td = tr.cells[s + 1], text = String(chartCounts[s][at]);
      if (td && td.textContent !== text) td.textContent = text;
    }
  });
}
if (chartTable) {
  chartTable.addEventListener("toggle", function () {
    chartDraw();
    chartTableShow();
  });
}
