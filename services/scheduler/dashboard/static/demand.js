// Customer demand: where customers wait, heaviest first, each item's recent pace of feedback
// and its delivery risk. Feedback's ranking, forwarded by the scheduler (one origin), which
// adds its own level and forecast for each item.
import { get, esc, level, itemLink, failed, demandText } from "./api.js";

const BAR = 8; // px per window in the pace chart
const TALL = 20;

// Feedback per window, oldest first, as bars; the title of each says its count.
function paceHtml(trend) {
  const counts = (trend && trend.per_window) || [];
  if (!counts.length) return "–";
  const most = Math.max(1, ...counts);
  const bars = counts.map((n, i) => {
    const height = Math.max(1, Math.round((n / most) * TALL));
    return `<rect x="${i * BAR}" y="${TALL - height}" width="${BAR - 2}" height="${height}">
      <title>${esc(n)}</title></rect>`;
  }).join("");
  const label = `feedback per ${trend.window_hours} h, oldest first: ${counts.join(", ")}`;
  const surging = trend.surging ? ` <span class="surging">surging</span>` : "";
  return `<svg class="pace" width="${counts.length * BAR}" height="${TALL}" role="img"
    aria-label="${esc(label)}">${bars}</svg>${surging}`;
}

function rowHtml(row) {
  return `<tr data-item="${esc(row.item_id)}">
    <td>${itemLink(row.item_id, row.title)}<br><small class="id">${esc(row.item_id)}</small></td>
    <td>${esc(demandText(row))}</td><td class="num">${esc(row.weight.toFixed(2))}</td>
    <td>${paceHtml(row.trend)}</td>
    <td>${row.level ? level(row.level) : "–"}</td>
    <td class="date">${esc(row.forecast || "–")}</td></tr>`;
}

export async function demandView(main) {
  main.innerHTML = `<h1>Customer demand</h1><div id="note"></div>
    <table aria-label="Items by customer demand"><thead><tr><th>Item</th><th>Who waits</th>
    <th class="num">Weight</th><th>Pace</th><th>Risk</th><th>Forecast</th></tr></thead>
    <tbody id="rows"></tbody></table>`;
  const load = async () => {
    // Each row carries the scheduler's level and forecast for its item.
    const { demand, note } = await get("/customer-demand?limit=200");
    main.querySelector("#note").innerHTML = note ? `<p class="empty" role="note">${esc(note)}</p>` : "";
    main.querySelector("#rows").innerHTML = demand.map(rowHtml).join("") ||
      `<tr><td colspan="6" class="empty">No customer is waiting on anything yet.</td></tr>`;
  };
  try { await load(); } catch (error) { return failed(main, error); }
  return { refresh: () => load() };
}
