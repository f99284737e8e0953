// Item page: the explanation — the critical chain with dates and the tool each edge came from,
// the reasons with their evidence, who waits on it, and its risk history.
import { get, esc, level, itemLink, failed, idPath, releaseHtml, reasonText } from "./api.js";
import { demandHtml, feedbackHtml } from "./feedback.js";
import { drawHistory, historyTable } from "./history.js";

async function edgeSources(members) {
  const teams = [...new Set(members.map((m) => m.team).filter(Boolean))];
  const graphs = await Promise.all(teams.map((t) => get(`/graph?team=${encodeURIComponent(t)}`)));
  const sources = new Map();
  for (const e of graphs.flatMap((g) => g.edges)) {
    sources.set(`${e.blocked_id} ${e.blocker_id}`, e.origin || e.source);
  }
  return sources;
}

function chainHtml(members, sources) {
  return members.map((m, i) => {
    const edge = i === 0 ? "" : `<li class="edge">↑ blocked by (from ${
      esc(sources.get(`${members[i - 1].item_id} ${m.item_id}`) || "unknown tool")})</li>`;
    return `${edge}<li>${itemLink(m.item_id, m.title)} ${level(m.level)}
      <small>${esc(m.team || "")} · ${esc(m.status || "")}</small><br>
      forecast <strong>${esc(m.forecast || "–")}</strong> · target ${esc(m.target || "–")} ·
      slip ${esc(m.slip_days ?? 0)}d</li>`;
  }).join("");
}

// A reason's evidence as a person checks it: the blocker as a link to its own page, then each
// fact by name ("days late: 16"); nothing for what does not apply (no blocker, no facts).
function evidence(reason) {
  const blocker = reason.blocker_id ? [`<li>blocked by ${itemLink(reason.blocker_id)}</li>`] : [];
  const facts = Object.entries(reason.evidence || {}).map(
    ([name, value]) => `<li>${esc(name.replaceAll("_", " "))}: ${esc(value)}</li>`);
  return [...blocker, ...facts].join("");
}

function reasonsHtml(reasons) {
  if (!reasons.length) return `<p class="empty">No reasons: on track.</p>`;
  return `<ul class="reasons">${reasons.map((r) => `<li><strong>${esc(reasonText(r))}</strong>
    <small>(${esc(r.code)})</small><ul>${evidence(r)}</ul></li>`).join("")}</ul>`;
}

export async function itemView(main, { arg }) {
  let chart = null;
  const load = async () => {
    const item = await get(`/items/${idPath(arg)}`);
    const [sources, history, linked] = await Promise.all([edgeSources(item.explanation),
      get(`/items/${idPath(arg)}/history`), get(`/linked-feedback/${idPath(arg)}`)]);
    if (chart) chart.destroy();
    main.innerHTML = `<h1>${esc(item.title || item.item_id)} ${level(item.level)}</h1>
      <p><small>${esc(item.item_id)}</small> · team ${esc(item.team || "–")} · owner
      ${esc(item.owner || "–")} · release ${releaseHtml(item, { inline: true })}
      ${item.url ? ` · <a href="${esc(item.url)}">open in its tool</a>` : ""}</p>
      <p>Forecast <strong>${esc(item.forecast || "–")}</strong> against target
      ${esc(item.target || "–")}: ${esc(item.slip_days ?? 0)} days late.</p>
      <h2>Why</h2>${reasonsHtml(item.reasons || [])}
      <h2>Critical chain</h2><ol class="chain" aria-label="Critical chain">
      ${chainHtml(item.explanation, sources)}</ol>
      <h2>Who waits</h2>${demandHtml(item.demand)}${feedbackHtml(linked)}
      <h2>Risk history</h2><div id="history" aria-hidden="true"></div>${historyTable(history)}`;
    chart = drawHistory(main.querySelector("#history"), history, item);
  };
  try { await load(); } catch (error) { return failed(main, error); }
  return { refresh: (changed) => (changed.includes(arg) ? load() : null) };
}
