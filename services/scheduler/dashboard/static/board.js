// Risk board: every assessment ranked by score, filters kept in the URL's hash.
import {
  get, esc, level, itemLink, why, distinct, failed, demandText, releaseHtml,
} from "./api.js";

const SERVER_FILTERS = ["team", "release", "level", "owner"];

function options(name, values, chosen, label = (v) => v) {
  const all = [`<option value="">any ${name}</option>`];
  for (const v of values) {
    all.push(`<option value="${esc(v)}"${v === chosen ? " selected" : ""}>${esc(label(v))}</option>`);
  }
  return all.join("");
}

function filtersForm(everyone, params) {
  const names = new Map(everyone.map((r) => [r.release_id, r.release_name]));
  const labels = { release: (id) => names.get(id) || id };
  const pick = (name, key) => `<label>${name}<select name="${name}">` +
    `${options(name, distinct(everyone, key), params.get(name), labels[name])}</select></label>`;
  return `<form class="filters" role="search" aria-label="Filter the board">
    ${pick("team", "team")}${pick("release", "release_id")}
    <label>level<select name="level">${options("level", ["off_track", "at_risk", "on_track"],
      params.get("level"))}</select></label>${pick("owner", "owner")}
    <label>text<input name="text" type="search" value="${esc(params.get("text"))}"
      placeholder="title, id or why"></label></form>`;
}

function rowHtml(r, changed) {
  return `<tr data-item="${esc(r.item_id)}"${changed.includes(r.item_id) ? ' class="flash"' : ""}>
    <td>${itemLink(r.item_id, r.title)}<br><small class="id">${esc(r.item_id)}</small></td>
    <td>${level(r.level)}</td><td class="num score">${esc((r.score ?? 0).toFixed(1))}</td>
    <td class="num">${esc(r.slip_days ?? 0)}d</td>
    <td class="date">${esc(r.forecast || "–")}<br><small>target ${esc(r.target || "–")}</small></td>
    <td class="wide">${esc(r.owner || "–")}</td><td class="wide">${esc(r.team || "–")}</td>
    <td class="wide">${releaseHtml(r)}</td>
    <td class="wide demand${r.demand && r.demand.customers ? "" : " none"}">${
      esc(demandText(r.demand))}</td><td>${esc(why(r.reasons))}</td></tr>`;
}

function matches(row, text) {
  const haystack = [row.item_id, row.title, why(row.reasons)].join(" ").toLowerCase();
  return !text || haystack.includes(text.toLowerCase());
}

export async function boardView(main, { params }) {
  main.innerHTML = `<h1>Risk board</h1><div id="filters"></div><table aria-label="Items by risk">
    <thead><tr><th>Item</th><th>Level</th><th class="score">Score</th><th>Slip</th><th>Forecast</th>
    <th class="wide">Owner</th><th class="wide">Team</th><th class="wide">Release</th>
    <th class="wide">Demand</th><th>Why</th></tr></thead><tbody id="rows"></tbody></table>`;
  const load = async (changed = []) => {
    const query = new URLSearchParams({ limit: "5000" });
    for (const key of SERVER_FILTERS) if (params.get(key)) query.set(key, params.get(key));
    const [everyone, rows] = await Promise.all([get("/risk?limit=5000"), get(`/risk?${query}`)]);
    const form = main.querySelector("#filters");
    if (!form.firstChild) form.innerHTML = filtersForm(everyone, params);
    const shown = rows.filter((r) => matches(r, params.get("text")));
    main.querySelector("#rows").innerHTML = shown.map((r) => rowHtml(r, changed)).join("") ||
      `<tr><td colspan="10" class="empty">Nothing matches these filters.</td></tr>`;
  };
  try { await load(); } catch (error) { return failed(main, error); }
  main.querySelector("form").addEventListener("input", (event) => {
    const value = event.target.value;
    if (value) params.set(event.target.name, value); else params.delete(event.target.name);
    history.replaceState(null, "", `#/?${params}`);
    load();
  });
  return { refresh: (changed) => load(changed) };
}
