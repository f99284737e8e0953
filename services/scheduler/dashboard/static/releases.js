// Releases: every release on one vis-timeline (target marked, the slip drawn from target to
// forecast), then a table with the same dates and the items that threaten each.
import { get, esc, itemLink, distinct, failed, idPath } from "./api.js";

const DAY = 86400000;

function timelineItems(releases) {
  const items = [];
  for (const r of releases) {
    const group = r.release_id;
    const late = r.forecast && r.due && r.slip_days > 0;
    if (r.due) {
      items.push({ id: `${group} target`, group, start: new Date(r.due), type: "point",
        content: late ? "target" : "on target", className: late ? "target" : "target ontime",
        title: `target ${r.due}` });
    }
    if (late) {
      items.push({ id: `${group} slip`, group, start: new Date(r.due),
        end: new Date(r.forecast), type: "range", content: `+${r.slip_days}d`,
        className: "late", title: `forecast ${r.forecast}` });
    } else if (r.forecast && !r.due) {
      items.push({ id: `${group} forecast`, group, start: new Date(r.forecast), type: "point",
        content: "forecast", className: "ontime", title: `forecast ${r.forecast}` });
    }
  }
  return items;
}

function window_(releases) {
  const dates = releases.flatMap((r) => [r.due, r.forecast]).filter(Boolean).map(Date.parse);
  const start = Math.min(Date.now(), ...dates) - 3 * DAY;
  return { start: new Date(start), end: new Date(Math.max(start + 14 * DAY, ...dates) + 5 * DAY) };
}

function drawTimeline(container, releases) {
  const groups = releases.map((r) => ({ id: r.release_id, content: esc(r.name || r.release_id) }));
  return new vis.Timeline(container, timelineItems(releases), groups, {
    ...window_(releases), stack: false, selectable: false, zoomable: false, moveable: true, orientation: "top",
    margin: { item: 4 }, groupOrder: (a, b) => groups.indexOf(a) - groups.indexOf(b),
  });
}

function rowHtml(r) {
  const threats = r.threatening.map((t) => itemLink(t.item_id, t.title)).join(", ");
  return `<tr data-release="${esc(r.release_id)}"><td>${esc(r.name || r.release_id)}<br>
    <small class="id">${esc(r.release_id)}</small></td><td class="date">${esc(r.due || "–")}</td>
    <td class="date">${esc(r.forecast || "–")}</td><td class="num">${esc(r.slip_days)}d</td>
    <td>${threats || '<span class="empty">none</span>'}</td></tr>`;
}

export async function releasesView(main) {
  let timeline = null;
  const load = async () => {
    const ids = distinct(await get("/risk?limit=5000"), "release_id");
    const releases = await Promise.all(ids.map((id) => get(`/releases/${idPath(id)}`)));
    releases.sort((a, b) => (a.due || "9999").localeCompare(b.due || "9999"));
    if (timeline) timeline.destroy();
    main.innerHTML = `<h1>Releases</h1><div id="timeline" aria-hidden="true"></div>
      <table aria-label="Releases"><thead><tr><th>Release</th><th>Target</th><th>Forecast</th>
      <th>Slip</th><th>Threatened by</th></tr></thead>
      <tbody>${releases.map(rowHtml).join("")}</tbody></table>`;
    timeline = drawTimeline(main.querySelector("#timeline"), releases);
  };
  try { await load(); } catch (error) { return failed(main, error); }
  return { refresh: load };
}
