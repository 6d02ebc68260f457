/**
 * The pages' static files: the style sheet, the script that draws the charts, and uPlot (a dependency
 * pinned in package.json) read from node_modules, so the pages work offline with no CDN and no build
 * step. The report inlines the same files.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export interface Asset {
  type: string;
  body: string;
}

const STYLE = `
:root { --good:#137333; --warn:#a15c00; --bad:#b3261e; --idle:#5f6368; --line:#dadce0; --bg:#fff; --fg:#202124; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: var(--fg); background: #f8f9fa; }
header.top { background: #202124; color: #fff; padding: .6rem 1rem; display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; }
header.top a { color: #fff; }
main { padding: 1rem; max-width: 1200px; margin: 0 auto; }
h1 { font-size: 1.4rem; margin: .2rem 0 1rem; } h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 1rem; }
.card { background: var(--bg); border: 1px solid var(--line); border-radius: 8px; padding: .8rem 1rem; }
.card h2 { margin-top: 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem .8rem; margin: 0; }
dl.facts dt { color: var(--idle); } dl.facts dd { margin: 0; }
.tone { display: inline-block; padding: 0 .45rem; border-radius: 4px; font-weight: 600; border-left: 4px solid; }
.tone-good { color: var(--good); background: #e6f4ea; } .tone-warn { color: var(--warn); background: #fef7e0; }
.tone-bad { color: var(--bad); background: #fce8e6; } .tone-idle { color: var(--idle); background: #f1f3f4; }
ul.counts { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: .3rem; }
.muted { color: var(--idle); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; background: var(--bg); font-size: .9rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 1rem; }
figure.chart { margin: 0; background: var(--bg); border: 1px solid var(--line); border-radius: 8px; padding: .6rem; min-width: 0; }
figure.chart figcaption { font-weight: 600; margin-bottom: .4rem; }
.plot { width: 100%; min-height: 200px; }
details.numbers { margin-top: .4rem; } details.numbers table { font-size: .8rem; }
details.numbers .scroll { max-height: 220px; overflow: auto; }
form.sync { display: inline; } button { font: inherit; padding: .35rem .8rem; border-radius: 6px; border: 1px solid #1a73e8; background: #1a73e8; color: #fff; cursor: pointer; }
button:disabled { background: #9aa0a6; border-color: #9aa0a6; cursor: not-allowed; }
.notice { padding: .6rem 1rem; border-radius: 6px; margin-bottom: 1rem; }
@media (max-width: 600px) { main { padding: .5rem; } .cards, .charts { grid-template-columns: 1fr; } th, td { padding: .25rem .3rem; } }
`;

/** Draws every chart of the page from its JSON; a chart that cannot be drawn keeps its table. */
const CHARTS_SCRIPT = `
(function () {
  "use strict";
  var COLORS = ["#1a73e8", "#e8710a", "#188038", "#9334e6", "#d01884", "#12b5cb", "#5f6368"];
  function seconds(day) { return Date.parse(day + "T00:00:00Z") / 1000; }
  function draw(fig) {
    var data = JSON.parse(fig.querySelector('script[type="application/json"]').textContent);
    var box = fig.querySelector(".plot");
    if (!box || typeof uPlot === "undefined") return;
    var bars = data.kind === "bars" && uPlot.paths && uPlot.paths.bars;
    var n = data.series.length;
    var series = [{}].concat(data.series.map(function (s, i) {
      var opt = { label: s.label, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true };
      if (bars) {
        opt.fill = COLORS[i % COLORS.length];
        // Side by side: the first series left of its day, the second right of it.
        opt.paths = uPlot.paths.bars({ size: [n > 1 ? 0.4 : 0.7, 40], align: n > 1 ? (i === 0 ? -1 : 1) : 0, gap: 1 });
        opt.points = { show: false };
      }
      return opt;
    }));
    var values = [data.days.map(seconds)].concat(data.series.map(function (s) { return s.values; }));
    var width = Math.max(240, box.clientWidth);
    var pad = 43200;
    var plot = new uPlot({ width: width, height: 200, series: series, legend: { live: false },
      scales: {
        x: { time: true, range: function (u, min, max) { return [min - pad, max + pad]; } },
        y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } }
      },
      axes: [{}, { size: 70 }] }, values, box);
    fig.setAttribute("data-drawn", String(plot.data[0].length));
    window.addEventListener("resize", function () { plot.setSize({ width: Math.max(240, box.clientWidth), height: 200 }); });
  }
  function all() {
    var figs = document.querySelectorAll("figure[data-chart]");
    for (var i = 0; i < figs.length; i++) {
      if (figs[i].querySelector(".plot")) draw(figs[i]);
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all); else all();
})();
`;

function uplotFile(name: string): string {
  return readFileSync(require.resolve(`uplot/dist/${name}`), "utf8");
}

let cache: Record<string, Asset> | null = null;

/** The files the pages load, by their path under /assets/. */
export function assets(): Record<string, Asset> {
  cache ??= {
    "status.css": { type: "text/css; charset=utf-8", body: STYLE },
    "charts.js": { type: "text/javascript; charset=utf-8", body: CHARTS_SCRIPT },
    "uPlot.min.css": { type: "text/css; charset=utf-8", body: uplotFile("uPlot.min.css") },
    "uPlot.iife.min.js": { type: "text/javascript; charset=utf-8", body: uplotFile("uPlot.iife.min.js") },
  };
  return cache;
}
