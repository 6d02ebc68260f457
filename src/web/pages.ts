/**
 * The status pages and the report, as HTML from the view model (src/web/model.ts). Every value goes
 * through the escaping `html` tag. The same campaign markup serves the service's page and the report;
 * only the page around it (asset links or inline files, the sync-now form) differs.
 */
import { assets } from "./assets.ts";
import { chartFigure } from "./charts.ts";
import { html, raw, type SafeHtml } from "./html.ts";
import type { BundleView, CampaignView, RunView } from "./model.ts";
import { STATUSES } from "./runs.ts";
import { relative, STATUS_TONE, STATUS_WORDS, utcTime } from "./words.ts";

export interface PageContext {
  now: number;
  /** The sync-now form's token; absent in the report (read-only). */
  csrf?: string;
  /** Inline every file (the report) instead of linking /assets/. */
  inline?: boolean;
  notice?: { tone: "good" | "warn" | "bad"; words: string } | null;
}

function head(title: string, ctx: PageContext): SafeHtml {
  if (ctx.inline) {
    const a = assets();
    return html`<style>${raw(a["uPlot.min.css"]?.body ?? "")}</style><style>${raw(a["status.css"]?.body ?? "")}</style>
<script>${raw(a["uPlot.iife.min.js"]?.body ?? "")}</script>
<title>${title}</title>`;
  }
  return html`<link rel="stylesheet" href="/assets/uPlot.min.css"><link rel="stylesheet" href="/assets/status.css">
<script src="/assets/uPlot.iife.min.js"></script>
<title>${title}</title>`;
}

function page(title: string, body: SafeHtml, ctx: PageContext): string {
  const script = ctx.inline
    ? html`<script>${raw(assets()["charts.js"]?.body ?? "")}</script>`
    : html`<script src="/assets/charts.js"></script>`;
  const notice = ctx.notice
    ? html`<p class="notice tone tone-${ctx.notice.tone}" role="status" data-k="notice">${ctx.notice.words}</p>`
    : "";
  return `<!doctype html>${html`<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
${head(title, ctx)}</head>
<body><header class="top"><strong>tokportal-sync</strong>${ctx.inline ? html`<span>report, made ${utcTime(new Date(ctx.now).toISOString())}</span>` : html`<a href="/">all campaigns</a>`}</header>
<main>${notice}${body}</main>${script}</body></html>`}\n`;
}

const tone = (t: string, words: string, key?: string): SafeHtml =>
  html`<span class="tone tone-${t}"${key ? raw(` data-k="${key}"`) : ""}>${words}</span>`;

function rowCounts(v: CampaignView): SafeHtml {
  const shown = [...STATUSES, "none" as const].filter((s) => v.rows[s] > 0);
  if (shown.length === 0) return html`<span class="muted">no rows read</span>`;
  return html`<ul class="counts">${shown.map(
    (s) =>
      html`<li>${tone(STATUS_TONE[s], `${v.rows[s]} ${STATUS_WORDS[s]}`)}<data value="${v.rows[s]}" data-k="rows-${s}" hidden></data></li>`,
  )}</ul>`;
}

function credits(v: CampaignView): SafeHtml {
  const max = v.maxCredits === null ? "no budget set (spends nothing)" : `of max_credits ${v.maxCredits}`;
  return html`<span data-k="credits-today">${v.creditsToday}</span> today, <span data-k="credits-month">${v.creditsMonth}</span> this month <span class="muted">${max}</span>`;
}

function lastRun(v: CampaignView, now: number): SafeHtml {
  const r = v.lastRun;
  if (!r) return html`<span class="muted">no run yet</span>`;
  // A run log row stands for the quiet runs folded into it too: it ended at the last of them.
  return html`${tone(r.tone, r.words, "last-run")} <time datetime="${r.finishedAt}" title="${utcTime(r.finishedAt)}">${relative(r.finishedAt, now)}</time>`;
}

function syncForm(name: string, ctx: PageContext, running: boolean): SafeHtml {
  if (ctx.csrf === undefined) return html``;
  return html`<form class="sync" method="post" action="/campaigns/${encodeURIComponent(name)}/sync">
<input type="hidden" name="csrf" value="${ctx.csrf}"><button type="submit"${running ? raw(" disabled") : ""}>${running ? "a run is going" : "Sync now"}</button></form>`;
}

function facts(v: CampaignView, ctx: PageContext): SafeHtml {
  return html`<dl class="facts">
<dt>last run</dt><dd>${lastRun(v, ctx.now)}${v.running ? html` ${tone("idle", "running now", "running")}` : ""}</dd>
<dt>next run</dt><dd><span data-k="next-run">${v.nextRunAt ? html`<time datetime="${v.nextRunAt}" title="${utcTime(v.nextRunAt)}">${relative(v.nextRunAt, ctx.now)}</time>` : "none scheduled"}</span></dd>
<dt>rows</dt><dd>${rowCounts(v)}</dd>
<dt>credits</dt><dd>${credits(v)}</dd>
<dt>balance</dt><dd data-k="balance">${v.balance !== null ? v.balance : ctx.inline ? "not in the report (the sheet does not keep it)" : "not known yet (read by the next run that spends)"}</dd>
<dt>alerts</dt><dd data-k="alerts">${v.alerts.length === 0 ? html`<span class="muted">none open</span>` : html`<ul>${v.alerts.map((a) => html`<li>${tone("bad", a.words)} <span class="muted">since ${utcTime(a.since)}</span></li>`)}</ul>`}</dd>
${v.sheetError ? html`<dt>problem</dt><dd data-k="problem">${tone("bad", v.sheetError)}</dd>` : ""}
</dl>`;
}

export function overviewPage(views: CampaignView[], ctx: PageContext): string {
  const cards = views.map(
    (v) => html`<section class="card" data-campaign="${v.name}">
<h2><a href="/campaigns/${encodeURIComponent(v.name)}">${v.name}</a></h2>
${facts(v, ctx)}
<p>${syncForm(v.name, ctx, v.running)}</p>
</section>`,
  );
  const body = html`<h1>Campaigns</h1>${views.length === 0 ? html`<p>No campaign is running.</p>` : html`<div class="cards">${cards}</div>`}`;
  return page("Campaigns · tokportal-sync", body, ctx);
}

function runRow(r: RunView, ctx: PageContext): SafeHtml {
  const c = r.counts;
  const errors =
    r.rowErrors.length === 0
      ? ""
      : html`<details><summary>${r.errorRows} rows in error or locked</summary><div class="scroll"><table>
<thead><tr><th>row</th><th>column</th><th>code</th><th>what to do</th></tr></thead>
<tbody>${r.rowErrors.map(
          (
            e,
          ) => html`<tr data-k="row-error"><td>${e.link ? html`<a href="${e.link}" target="_blank" rel="noopener">${e.table} row ${e.row}</a>` : html`${e.table} row ${e.row}`}</td>
<td>${e.column ?? ""}</td><td>${e.code ?? ""}</td><td>${e.message ?? e.fix ?? ""}${e.message && e.fix ? html`<br><span class="muted">${e.fix}</span>` : ""}</td></tr>`,
        )}</tbody></table></div></details>`;
  return html`<tr data-k="run" data-started="${r.startedAt}">
<td><time datetime="${r.startedAt}">${utcTime(r.startedAt)}</time><br><span class="muted">${relative(r.startedAt, ctx.now)}${r.quietRuns > 0 ? `, +${r.quietRuns} quiet runs` : ""}</span></td>
<td>${r.trigger === "log" ? "" : r.trigger}</td>
<td>${tone(r.tone, r.words)}${errors}</td>
<td class="n">${c ? c.synced : ""}</td><td class="n">${c ? c.pending : ""}</td><td class="n">${c ? c.error + c.locked : ""}</td>
<td class="n" data-k="run-credits">${r.creditsCharged}</td><td class="n">${r.calls}</td></tr>`;
}

function bundleRow(b: BundleView): SafeHtml {
  const t =
    b.bundleStatus === ""
      ? "idle"
      : /cancel|ban|fail/.test(b.bundleStatus)
        ? "bad"
        : /complete|deliver|final/.test(b.bundleStatus)
          ? "good"
          : "idle";
  return html`<tr data-k="bundle"><td>${b.bundleRef}</td><td>${b.platform} ${b.country}</td>
<td>${b.bundleStatus ? tone(t, b.bundleStatus) : html`<span class="muted">not ordered</span>`}</td><td>${b.accountStatus}</td>
<td>${b.account}</td><td class="n">${b.videos}</td><td class="n">${b.credits}</td></tr>`;
}

export function campaignBody(v: CampaignView, ctx: PageContext): SafeHtml {
  return html`<h1 data-campaign="${v.name}">${v.name}</h1>
<section class="card">${facts(v, ctx)}<p>${syncForm(v.name, ctx, v.running)}</p></section>
<h2>Charts</h2>
<div class="charts">${chartFigure(v.charts.posts)}${chartFigure(v.charts.credits)}${chartFigure(v.charts.views)}${chartFigure(v.charts.followers)}</div>
<h2>Runs <span class="muted">(newest first)</span></h2>
${
  v.runs.length === 0
    ? html`<p class="muted">No run yet.</p>`
    : html`<div class="scroll"><table id="runs">
<thead><tr><th>started</th><th>by</th><th>how it ended</th><th class="n">synced</th><th class="n">pending</th><th class="n">error/locked</th><th class="n">credits</th><th class="n">calls</th></tr></thead>
<tbody>${v.runs.map((r) => runRow(r, ctx))}</tbody></table></div>`
}
<h2>Bundles</h2>
${
  v.bundles.length === 0
    ? html`<p class="muted">No bundle rows.</p>`
    : html`<div class="scroll"><table id="bundles">
<thead><tr><th>bundle_ref</th><th>platform</th><th>bundle status</th><th>account status</th><th>account</th><th class="n">videos</th><th class="n">credits</th></tr></thead>
<tbody>${v.bundles.map(bundleRow)}</tbody></table></div>`
}`;
}

export function campaignPage(v: CampaignView, ctx: PageContext): string {
  return page(`${v.name} · tokportal-sync`, campaignBody(v, ctx), ctx);
}
