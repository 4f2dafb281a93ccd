/* Dashboard charts: each chart is drawn by Chart.js from the data table beside it, so the chart
 * and the accessible table can never disagree. The table also carries the colours (data-colours:
 * one per series, or per row for a one-series chart), chosen on the server from the one table of
 * colours the annual report uses too: red, amber and green mean RAG ratings only. */
(function () {
  "use strict";

  function readTable(table) {
    var series = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    }).slice(1);
    var labels = [];
    var values = series.map(function () { return []; });
    Array.prototype.forEach.call(table.querySelectorAll("tbody tr"), function (tr) {
      var head = tr.querySelector("th");
      if (!head) return;
      labels.push(head.textContent.trim());
      Array.prototype.forEach.call(tr.querySelectorAll("td"), function (td, i) {
        values[i].push(Number(td.textContent.replace(/,/g, "")) || 0);
      });
    });
    return { series: series, labels: labels, values: values };
  }

  function draw(card) {
    var canvas = card.querySelector("canvas");
    var table = card.querySelector("table.chart-data");
    if (!canvas || !table || !window.Chart) return;
    var data = readTable(table);
    var stacked = table.getAttribute("data-chart") === "stacked";
    var single = data.series.length === 1;
    var colours = (table.getAttribute("data-colours") || "").split(" ");
    var datasets = data.series.map(function (name, i) {
      return {
        label: name,
        data: data.values[i],
        backgroundColor: single ? data.labels.map(function (_, j) { return colours[j]; }) : colours[i],
        borderWidth: 0
      };
    });
    card.chart = new window.Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: datasets },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: !single, position: "bottom" } },
        scales: {
          x: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } },
          y: { stacked: stacked }
        }
      }
    });
    canvas.setAttribute("data-drawn", "true");
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (window.Chart) {
      window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
      window.Chart.defaults.font.size = 13;
      window.Chart.defaults.color = "#0b0c0c";
    }
    Array.prototype.forEach.call(document.querySelectorAll(".chart-card"), draw);
  });
})();
