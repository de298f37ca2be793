// modelyard web UI: small enhancements; every page reads without this file.
"use strict";

// The links the mlflow client prints carry the page in the fragment, which never
// reaches the server: follow them to the real pages.
function followHashRoute() {
  var h = window.location.hash;
  if (window.location.pathname !== "/" || h.indexOf("#/") !== 0) { return; }
  var parts = h.slice(2).split("?")[0].split("/").map(function (p) {
    try { return decodeURIComponent(p); } catch (e) { return p; }
  });
  var enc = encodeURIComponent;
  var target = null;
  if (parts[0] === "experiments" && parts[2] === "runs" && parts[3]) {
    target = "/runs/" + enc(parts[3]);
  } else if (parts[0] === "experiments" && parts[1]) {
    target = "/experiments/" + enc(parts[1]);
  } else if (parts[0] === "models" && parts[2] === "versions" && parts[3]) {
    target = "/models/" + enc(parts[1]) + "/versions/" + enc(parts[3]);
  } else if (parts[0] === "models" && parts[1]) {
    target = "/models/" + enc(parts[1]);
  } else if (parts[0] === "experiments" || parts[0] === "models") {
    target = "/" + parts[0];
  }
  if (target) { window.location.replace(target); }
}

function fmt(v) {
  var a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) { return v.toExponential(2); }
  return String(Math.round(v * 1000) / 1000);
}

// Zoom a chart: drag across the plot to zoom into that x range; double-click (or
// Escape) to reset.  The plot is a nested svg in a 0..1000 box: only its viewBox moves.
function zoomable(chart) {
  var plot = chart.querySelector("svg.plot");
  if (!plot) { return; }
  var x0 = parseFloat(chart.getAttribute("data-x0"));
  var x1 = parseFloat(chart.getAttribute("data-x1"));
  var view = [0, 1000];
  var start = null;
  chart.setAttribute("tabindex", "0");
  function apply() {
    plot.setAttribute("viewBox", view[0] + " 0 " + (view[1] - view[0]) + " 1000");
    chart.querySelectorAll("text.xt").forEach(function (t) {
      var f = parseFloat(t.getAttribute("data-f"));
      var u = (view[0] + f * (view[1] - view[0])) / 1000;
      t.textContent = fmt(x0 + u * (x1 - x0));
    });
    chart.classList.toggle("zoomed", view[0] !== 0 || view[1] !== 1000);
  }
  function at(ev) {
    var r = plot.getBoundingClientRect();
    var u = Math.min(Math.max((ev.clientX - r.left) / r.width, 0), 1);
    return view[0] + u * (view[1] - view[0]);
  }
  chart.addEventListener("mousedown", function (ev) { start = at(ev); ev.preventDefault(); });
  chart.addEventListener("mouseup", function (ev) {
    if (start === null) { return; }
    var end = at(ev);
    if (Math.abs(end - start) > 2) {
      view = [Math.min(start, end), Math.max(start, end)];
      apply();
    }
    start = null;
  });
  chart.addEventListener("dblclick", function () { view = [0, 1000]; apply(); });
  chart.addEventListener("keydown", function (ev) {
    var w = view[1] - view[0];
    if (ev.key === "Escape") { view = [0, 1000]; }
    else if (ev.key === "+") { view = [view[0] + w / 4, view[1] - w / 4]; }
    else if (ev.key === "-") { view = [Math.max(0, view[0] - w / 2), Math.min(1000, view[1] + w / 2)]; }
    else { return; }
    apply();
  });
}

// Live filtering of a table's rows by the text typed into its filter box.
function liveFilter(input) {
  var table = document.getElementById(input.getAttribute("data-filter-table"));
  if (!table) { return; }
  input.addEventListener("input", function () {
    var q = input.value.toLowerCase();
    table.querySelectorAll("tbody tr").forEach(function (tr) {
      tr.hidden = q !== "" && tr.textContent.toLowerCase().indexOf(q) < 0;
    });
  });
}

// Ask before a form marked data-confirm acts.
function confirming(form) {
  form.addEventListener("submit", function (ev) {
    if (!window.confirm(form.getAttribute("data-confirm"))) { ev.preventDefault(); }
  });
}

followHashRoute();
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("svg.chart[data-x0]").forEach(zoomable);
  document.querySelectorAll("input[data-filter-table]").forEach(liveFilter);
  document.querySelectorAll("form[data-confirm]").forEach(confirming);
  document.documentElement.classList.add("js");
});
