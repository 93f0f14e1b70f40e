/**
 * Writes the conformance report: `report.json` (everything) and
 * `report.html` (one table: case, description, each implementation's outcome
 * as a server and as a client, duration; failures highlighted, filters per
 * group and outcome).
 *
 * @module
 */

import { type CaseDef, GROUPS, OUTCOMES } from "./cases.ts";
import type { CaseResult, TargetResult } from "./suite.ts";

/** The whole run. */
export interface SuiteReport {
  startedAt: string;
  durationMs: number;
  deno: string;
  node: string | undefined;
  targets: TargetResult[];
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/** Keeps `<br>` from case descriptions, escapes the rest. */
const describe = (s: string) => escapeHtml(s).replace(/&lt;br&gt;/g, "<br>");

/** The JSON report (case definitions included for readers without the source). */
export function reportJson(report: SuiteReport, cases: CaseDef[]): string {
  return JSON.stringify(
    {
      ...report,
      cases: cases.map((c) => ({
        id: c.id,
        group: c.group,
        peer: c.peer ?? "any",
        description: c.description,
        expectation: c.expectation,
      })),
    },
    null,
    1,
  );
}

function cell(result: CaseResult | undefined): string {
  if (!result) return `<td class="res na">–</td>`;
  const cls = result.outcome.toLowerCase().replace(/[^a-z]/g, "");
  const detail = [
    result.reason,
    result.closeCode !== undefined
      ? `close ${result.closeCode}${result.closeReason ? ` "${result.closeReason}"` : ""}`
      : "",
    ...(result.notes ?? []),
  ].filter(Boolean).join("\n");
  const frames = result.frames?.length
    ? "\nframes from the peer: " +
      result.frames.map((f) =>
        `[fin=${f.fin ? 1 : 0} rsv=${f.rsv} op=${f.opcode}${
          f.masked ? " masked" : ""
        } len=${f.length}]`
      ).join(" ")
    : "";
  const showReason = result.outcome !== "OK";
  return `<td class="res ${cls}" title="${escapeHtml(detail + frames)}"><b>${result.outcome}</b>` +
    `<span class="ms">${result.durationMs} ms</span>` +
    (showReason ? `<div class="why">${escapeHtml(result.reason)}</div>` : "") + `</td>`;
}

/** The HTML report. */
export function reportHtml(report: SuiteReport, cases: CaseDef[]): string {
  const targets = report.targets;
  const index = targets.map((t) => new Map(t.results.map((r) => [r.id, r])));
  const sides = (["server", "client"] as const).map((side) => ({
    side,
    cols: targets.map((t, i) => ({ t, i })).filter(({ t }) => t.side === side),
  })).filter((s) => s.cols.length > 0);
  const groups = [...new Set(cases.map((c) => c.group))];

  const summary = targets.map((t) =>
    `<tr><td>${escapeHtml(t.name)}</td><td>${t.side}</td>` +
    OUTCOMES.map((o) =>
      `<td class="${t.counts[o] && o !== "OK" ? o.toLowerCase().replace(/[^a-z]/g, "") : ""}">${
        t.counts[o]
      }</td>`
    ).join("") + `<td>${(t.durationMs / 1000).toFixed(1)} s</td>` +
    `<td>${t.error ? escapeHtml(t.error) : ""}</td></tr>`
  ).join("\n");

  const head1 = sides.map((s) => `<th colspan="${s.cols.length}" class="side">as ${s.side}</th>`)
    .join("");
  const head2 = sides.flatMap((s) =>
    s.cols.map(({ t }) => `<th class="impl">${escapeHtml(t.name)}</th>`)
  )
    .join("");

  let lastGroup = "";
  const rows = cases.map((c) => {
    const results = sides.flatMap((s) => s.cols.map(({ i }) => index[i]!.get(c.id)));
    const bad = results.some((r) => r && (r.outcome === "FAILED" || r.outcome === "NON-STRICT"));
    let groupRow = "";
    if (c.group !== lastGroup) {
      lastGroup = c.group;
      groupRow = `<tr class="group" data-group="${c.group}"><th colspan="${
        2 + results.length
      }">${c.group} ${escapeHtml(GROUPS[c.group] ?? "")}</th></tr>`;
    }
    const ours = sides.flatMap((s) => s.cols.filter(({ t }) => t.impl === "ours").map(({ i }) => i))
      .map((i) => index[i]!.get(c.id))
      .some((r) => r && (r.outcome === "FAILED" || r.outcome === "NON-STRICT"));
    return groupRow +
      `<tr class="case${bad ? " bad" : ""}${ours ? " oursbad" : ""}" data-group="${c.group}">` +
      `<td class="id">${c.id}${c.peer ? `<div class="ms">${c.peer}s only</div>` : ""}</td>` +
      `<td class="desc">${describe(c.description)}<div class="exp">${
        describe(c.expectation)
      }</div></td>` +
      results.map(cell).join("") + `</tr>`;
  }).join("\n");

  const groupButtons = groups.map((g) =>
    `<label><input type="checkbox" class="g" value="${g}" checked> ${g} ${
      escapeHtml(GROUPS[g] ?? "")
    }</label>`
  ).join(" ");

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>WebSocket conformance report</title>
<style>
body { font: 13px/1.35 system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 20px; margin: 0 0 4px; }
table { border-collapse: collapse; }
td, th { border: 1px solid #ccc; padding: 3px 6px; vertical-align: top; }
th { background: #f3f3f3; }
th.side { background: #e3e8f0; }
tr.group th { text-align: left; background: #dde; }
td.id { white-space: nowrap; font-family: ui-monospace, monospace; }
td.desc { max-width: 440px; }
td.res { min-width: 120px; width: 140px; }
.exp { color: #666; font-size: 12px; margin-top: 2px; }
.ms { display: block; color: #666; font-size: 11px; font-weight: normal; }
.why { font-size: 11px; max-width: 260px; word-break: break-word; }
td.ok { background: #d7f5d7; }
td.nonstrict { background: #fff1b8; }
td.failed { background: #f8c4c4; }
td.informational { background: #d8e6fb; }
td.unimplemented { background: #e6e6e6; }
tr.oursbad td.id { outline: 3px solid #d00; }
.filters { margin: 10px 0; position: sticky; top: 0; background: #fff; padding: 6px 0;
  border-bottom: 1px solid #ddd; z-index: 1; }
.filters label { margin-right: 8px; white-space: nowrap; }
.summary td { text-align: right; }
.summary td:first-child, .summary td:nth-child(2) { text-align: left; }
</style></head><body>
<h1>WebSocket conformance report</h1>
<p>Autobahn-TestSuite-equivalent cases (groups 1-7, 9 scaled to 1 MiB, 10, and 12-13
permessage-deflate with scaled counts) and role-specific cases (R), run ${
    escapeHtml(report.startedAt)
  } in ${(report.durationMs / 1000).toFixed(1)} s
(Deno ${escapeHtml(report.deno)}${report.node ? `, Node ${escapeHtml(report.node)}` : ""}).
Hover over a cell for the reason, the close code and the first frames the peer sent.</p>
<table class="summary"><tr><th>implementation</th><th>side</th>${
    OUTCOMES.map((o) => `<th>${o}</th>`).join("")
  }<th>time</th><th>error</th></tr>
${summary}
</table>
<div class="filters">Groups: ${groupButtons}
<label><input type="checkbox" id="onlybad"> only rows with FAILED or NON-STRICT</label></div>
<table class="cases">
<tr><th rowspan="2">case</th><th rowspan="2">description / expectation</th>${head1}</tr>
<tr>${head2}</tr>
${rows}
</table>
<script>
function applyFilters() {
  const groups = new Set([...document.querySelectorAll("input.g:checked")].map((i) => i.value));
  const onlyBad = document.getElementById("onlybad").checked;
  const shown = new Set();
  for (const row of document.querySelectorAll("tr.case")) {
    const visible = groups.has(row.dataset.group) && (!onlyBad || row.classList.contains("bad"));
    row.style.display = visible ? "" : "none";
    if (visible) shown.add(row.dataset.group);
  }
  for (const row of document.querySelectorAll("tr.group")) {
    row.style.display = shown.has(row.dataset.group) ? "" : "none";
  }
}
for (const input of document.querySelectorAll(".filters input")) {
  input.addEventListener("change", applyFilters);
}
</script>
</body></html>
`;
}
