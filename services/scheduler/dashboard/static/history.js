// An item's risk history as a small vis Graph2d: its forecast and target (dates, on the y axis)
// at each kept assessment (x axis), with the current assessment drawn at now.
import { esc } from "./api.js";

const DAY = 86400000;

// The y axis counts days, not milliseconds: vis steps an axis by a quarter, a half, one or two
// times a power of ten of its unit, and in milliseconds those steps are not whole days, so
// the dates it labelled fell two days apart here and three there. In days, only a step of
// 2.5 leaves ticks between days; those are left unlabelled (see ``asDay``), which keeps the
// labelled ones evenly apart (every five days).
function dayNumber(isoDate) {
  return Date.parse(isoDate) / DAY;
}

function points(history, item) {
  const kept = history.map((h) => ({ at: h.at, forecast: h.forecast, target: h.target }));
  kept.push({ at: new Date().toISOString(), forecast: item.forecast, target: item.target });
  const items = [];
  for (const [group, key] of [["forecast", "forecast"], ["target", "target"]]) {
    for (const h of kept) if (h[key]) items.push({ x: h.at, y: dayNumber(h[key]), group });
  }
  return items;
}

// The date axis spans at least this many days, so its ticks fall a day or more apart and no
// two are labelled with the same date (a few days' span put two ticks on each day).
const SHORTEST_SPAN = 12;

function range(items) {
  const xs = items.map((p) => Date.parse(p.x));
  const ys = items.map((p) => p.y);
  const low = Math.min(...ys), high = Math.max(...ys);
  const pad = Math.max(2, (SHORTEST_SPAN - (high - low)) / 2);
  return { start: new Date(Math.min(...xs) - DAY), end: new Date(Math.max(...xs) + DAY),
    min: low - pad, max: high + pad };
}

function asDay(days) {
  const whole = Math.round(days);
  if (Math.abs(days - whole) > 1e-6) return "";
  return new Date(whole * DAY).toISOString().slice(0, 10);
}

export function drawHistory(container, history, item) {
  const items = points(history, item);
  if (!items.length) {
    container.innerHTML = `<p class="empty">No forecast or target kept yet.</p>`;
    return null;
  }
  const { start, end, min, max } = range(items);
  const groups = [{ id: "forecast", content: "forecast", className: "forecast" },
    { id: "target", content: "target", className: "target" }];
  return new vis.Graph2d(container, items, groups, {
    start, end, height: "220px", legend: true, zoomable: false, moveable: true,
    drawPoints: { size: 5, style: "circle" }, interpolation: false, shaded: false,
    dataAxis: { left: { range: { min, max }, format: asDay } },
  });
}

// History keeps announced changes only, so an item on track from its first assessment has
// none: the chart's one point is today's assessment, and the text says so.
export function historyTable(history) {
  if (!history.length) {
    return `<p class="empty">No risk change announced yet: the chart shows today's assessment.</p>`;
  }
  const rows = history.map((h) => `<tr><td class="date">${esc(h.at.slice(0, 16).replace("T", " "))}
    </td><td>${esc(h.level)}</td><td class="date">${esc(h.forecast || "–")}</td>
    <td class="date">${esc(h.target || "–")}</td><td class="num">${esc(h.slip_days ?? 0)}d</td></tr>`);
  const count = history.length === 1 ? "1 announced risk change"
    : `${history.length} announced risk changes`;
  return `<details><summary>${count}</summary>
    <table aria-label="Risk history"><thead><tr><th>At</th><th>Level</th><th>Forecast</th>
    <th>Target</th><th>Slip</th></tr></thead><tbody>${rows.join("")}</tbody></table></details>`;
}
