// Releases: each release's target against its forecast on one shared time axis, with the
// items that threaten it.
import { get, esc, itemLink, distinct, failed, idPath } from "./api.js";

const DAY = 86400000;

function axis(releases) {
  const dates = releases.flatMap((r) => [r.due, r.forecast]).filter(Boolean).map(Date.parse);
  const start = Math.min(Date.now(), ...dates);
  const end = Math.max(start + DAY, ...dates);
  const at = (iso) => `${(((Date.parse(iso) - start) / (end - start)) * 96 + 2).toFixed(1)}%`;
  at.range = [new Date(start), new Date(end)].map((d) => d.toISOString().slice(0, 10));
  return at;
}

function timeline(r, at) {
  if (!r.due && !r.forecast) return `<span class="empty">no dates</span>`;
  const marks = [];
  if (r.due && r.forecast && r.forecast > r.due) {
    marks.push(`<span class="span" style="left:${at(r.due)};width:calc(${at(r.forecast)} - ${
      at(r.due)})"></span>`);
  }
  if (r.due) marks.push(`<span class="mark target" style="left:${at(r.due)}"></span>`);
  const late = r.slip_days > 0 ? " late" : "";
  if (r.forecast) {
    marks.push(`<span class="mark forecast${late}" style="left:${at(r.forecast)}"></span>`);
  }
  return `<div class="timeline" role="img" aria-label="target ${esc(r.due || "none")}, forecast ${
    esc(r.forecast || "none")}">${marks.join("")}</div>`;
}

function rowHtml(r, at) {
  const threats = r.threatening.map((t) => itemLink(t.item_id, t.title)).join(", ");
  return `<tr data-release="${esc(r.release_id)}"><td>${esc(r.name || r.release_id)}<br>
    <small>${esc(r.release_id)}</small></td><td class="date">${esc(r.due || "–")}</td>
    <td class="date">${esc(r.forecast || "–")}</td><td class="num">${esc(r.slip_days)}d</td>
    <td class="span-cell">${timeline(r, at)}</td>
    <td>${threats || '<span class="empty">none</span>'}</td></tr>`;
}

export async function releasesView(main) {
  const load = async () => {
    const ids = distinct(await get("/risk?limit=5000"), "release_id");
    const releases = await Promise.all(ids.map((id) => get(`/releases/${idPath(id)}`)));
    releases.sort((a, b) => (a.due || "9999").localeCompare(b.due || "9999"));
    const at = axis(releases);
    main.innerHTML = `<h1>Releases</h1><p class="legend"><span>▮ target</span>
      <span style="color:var(--on)">● forecast</span>
      <span style="color:var(--off)">● forecast past target</span></p><table aria-label="Releases">
      <thead><tr><th>Release</th><th>Target</th><th>Forecast</th><th>Slip</th><th>Timeline<div class="axis"><span>${at.range[0]}</span>
      <span>${at.range[1]}</span></div></th>
      <th>Threatened by</th></tr></thead><tbody>${releases.map((r) => rowHtml(r, at)).join("")}
      </tbody></table>`;
  };
  try { await load(); } catch (error) { return failed(main, error); }
  return { refresh: load };
}
