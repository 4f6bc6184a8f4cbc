// Sorting for the catalogue table: click (or Enter/Space on) a column heading's button.
// Numbers sort numerically, text by the reader's locale; a second click reverses the order.
// Rows without a value go last in either direction.
(function () {
  "use strict";
  var table = document.getElementById("catalogue");
  if (!table || !table.tBodies.length) return;
  var body = table.tBodies[0];
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

  function value(row, index, numeric) {
    var text = row.cells[index].textContent.trim();
    if (!numeric) return text;
    var number = parseFloat(text);
    return isNaN(number) ? null : number;
  }

  function compare(a, b, numeric, direction) {
    if (a === "" || a === null) return b === "" || b === null ? 0 : 1;
    if (b === "" || b === null) return -1;
    var order = numeric ? a - b : collator.compare(a, b);
    return order * direction;
  }

  function sortBy(index) {
    var header = headers[index];
    var numeric = header.getAttribute("data-type") === "number";
    var direction = header.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    var rows = Array.prototype.slice.call(body.rows).map(function (row, position) {
      return { row: row, key: value(row, index, numeric), position: position };
    });
    rows.sort(function (a, b) {
      return compare(a.key, b.key, numeric, direction) || a.position - b.position;
    });
    var fragment = document.createDocumentFragment();
    rows.forEach(function (item) { fragment.appendChild(item.row); });
    body.appendChild(fragment);
    headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", direction === 1 ? "ascending" : "descending");
  }

  headers.forEach(function (header, index) {
    var button = header.querySelector("button");
    if (button) button.addEventListener("click", function () { sortBy(index); });
  });
})();
