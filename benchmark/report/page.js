window.addEventListener('error', function (e) {
  document.getElementById('errors').textContent += (e.message || 'error') + '\n';
});
function cellValue(text) {
  var m = text.replace(/[×,]/g, '').match(/^[-+]?\d*\.?\d+(e[-+]?\d+)?/i);
  return m ? parseFloat(m[0]) : null;
}
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, column) {
    th.addEventListener('click', function () {
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var ascending = th.dataset.order !== 'asc';
      rows.sort(function (a, b) {
        var x = a.cells[column].textContent, y = b.cells[column].textContent;
        var u = cellValue(x), v = cellValue(y);
        var order = (u !== null && v !== null) ? u - v : x.localeCompare(y);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
      table.querySelectorAll('th').forEach(function (h) { delete h.dataset.order; });
      th.dataset.order = ascending ? 'asc' : 'desc';
    });
  });
});
document.body.dataset.ready = 'yes';
