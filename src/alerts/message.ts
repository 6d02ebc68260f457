/**
 * One message per run that changed something: every condition that opened and every one that recovered,
 * grouped by code, in the order of src/alerts/codes.ts. The same message goes to every channel, as text
 * (Slack, e-mail) or as the JSON body of the generic webhook (docs/service.md, Alerts).
 */
import { ALERT_CODES, type AlertCode, type AlertRow, type OpenCondition } from "./codes.ts";
import { groupHeadline, messageSubject, ROWS_SHOWN, rowLines } from "./words.ts";

export interface AlertGroup {
  code: AlertCode;
  /** How many conditions of this code (rows, for row codes). */
  count: number;
  /** The group in words. */
  text: string;
  /** Its first rows (at most ROWS_SHOWN), for row codes. */
  rows: AlertRow[];
  params: OpenCondition["params"];
}

export interface AlertMessage {
  campaign: string;
  /** When the run that changed things finished. */
  at: string;
  /** The campaign's Google Sheet, when it is one. */
  sheetUrl: string | null;
  opened: AlertGroup[];
  recovered: AlertGroup[];
  subject: string;
  text: string;
}

function groups(conditions: readonly OpenCondition[], recovered: boolean): AlertGroup[] {
  const out: AlertGroup[] = [];
  for (const code of ALERT_CODES) {
    const items = conditions.filter((c) => c.code === code);
    if (items.length === 0) continue;
    const lines = [groupHeadline(code, items, recovered), ...rowLines(items).map((l) => `  • ${l}`)];
    out.push({
      code,
      count: items.length,
      text: lines.join("\n"),
      rows: items.flatMap((c) => (c.row ? [c.row] : [])).slice(0, ROWS_SHOWN),
      params: items[0]?.params ?? {},
    });
  }
  return out;
}

export function buildMessage(
  campaign: string,
  at: string,
  sheetUrl: string | null,
  opened: readonly OpenCondition[],
  recovered: readonly OpenCondition[],
): AlertMessage | null {
  if (opened.length === 0 && recovered.length === 0) return null;
  const o = groups(opened, false);
  const r = groups(recovered, true);
  const lines = [
    ...o.map((g) => `⚠ ${g.text}`),
    ...r.map((g) => `✓ Recovered: ${g.text}`),
    ...(sheetUrl ? [`Sheet: ${sheetUrl}`] : []),
  ];
  return {
    campaign,
    at,
    sheetUrl,
    opened: o,
    recovered: r,
    subject: messageSubject(campaign, opened.length, recovered.length),
    text: `Campaign ${campaign}, run of ${at}:\n${lines.join("\n")}`,
  };
}

/** The generic webhook's JSON body (its fields are documented in docs/service.md, Alerts). */
export function webhookBody(m: AlertMessage): string {
  return JSON.stringify({
    v: 1,
    campaign: m.campaign,
    at: m.at,
    sheet_url: m.sheetUrl,
    opened: m.opened.map(jsonGroup),
    recovered: m.recovered.map(jsonGroup),
    text: m.text,
  });
}

const jsonGroup = (g: AlertGroup) => ({
  code: g.code,
  count: g.count,
  text: g.text,
  params: g.params,
  rows: g.rows.map((r) => ({
    table: r.table,
    rows: r.rowNumbers,
    column: r.column,
    code: r.findingCode,
    message: r.message,
  })),
});

/** Slack reads `&`, `<` and `>` as markup: a cell's text is escaped so it shows as written. */
const slackText = (t: string): string => t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A Slack incoming webhook's body: the text, and a section block per group. */
export function slackBody(m: AlertMessage): string {
  const section = (text: string) => ({ type: "section", text: { type: "mrkdwn", text } });
  return JSON.stringify({
    text: slackText(m.text),
    blocks: [
      section(`*${slackText(m.subject)}*`),
      ...m.opened.map((g) => section(`:warning: ${slackText(g.text)}`)),
      ...m.recovered.map((g) => section(`:white_check_mark: Recovered: ${slackText(g.text)}`)),
      ...(m.sheetUrl ? [section(`<${m.sheetUrl}|Open the sheet>`)] : []),
    ],
  });
}
