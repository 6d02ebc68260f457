/**
 * A chart as markup: a figure holding the chart's numbers as JSON (drawn by the client script with uPlot)
 * and the same numbers as a table, for screen readers, copy-paste and a browser without script.
 */
import { html, jsonScript, type SafeHtml } from "./html.ts";
import type { Chart } from "./series.ts";

export function chartFigure(chart: Chart): SafeHtml {
  const empty = chart.days.length === 0 || chart.series.length === 0;
  return html`<figure class="chart" data-chart="${chart.id}" data-points="${chart.days.length}">
  <figcaption>${chart.title}</figcaption>
  ${
    empty
      ? html`<p class="muted">No data yet.</p>`
      : html`<div class="plot" aria-hidden="true"></div>
  <script type="application/json">${jsonScript(chart)}</script>
  <details class="numbers" open><summary>The numbers</summary>
  <div class="scroll"><table>
    <thead><tr><th scope="col">day</th>${chart.series.map((s) => html`<th scope="col">${s.label}</th>`)}</tr></thead>
    <tbody>${chart.days.map(
      (d, i) =>
        html`<tr><th scope="row">${d}</th>${chart.series.map((s) => html`<td>${s.values[i] ?? ""}</td>`)}</tr>`,
    )}</tbody>
  </table></div></details>`
  }
</figure>`;
}
