// The scheduler's read API and small helpers shared by the views.
export async function get(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  if (response.status === 401) location.assign("/signin"); // the session ended or was revoked
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function level(value) {
  return `<span class="level ${esc(value)}">${esc((value || "unknown").replace("_", " "))}</span>`;
}

export function itemLink(id, text) {
  return `<a href="#/item/${encodeURIComponent(id)}">${esc(text || id)}</a>`;
}

// A release by the name people use, with the tracker's id: under it in a table cell, in
// parentheses after it in running text (``inline``).
export function releaseHtml(row, { inline = false } = {}) {
  if (!row.release_id) return "–";
  if (!row.release_name) return esc(row.release_id);
  const id = esc(row.release_id);
  return inline ? `${esc(row.release_name)} <small class="id">(${id})</small>`
    : `${esc(row.release_name)}<br><small class="id">${id}</small>`;
}

// A reason in words: ``told`` names its blocker by title as well as by id.
export function reasonText(reason) {
  return reason.told || reason.message || reason.code;
}

export function why(reasons) {
  return (reasons || []).map(reasonText).join("; ");
}

export function distinct(rows, key) {
  return [...new Set(rows.map((r) => r[key]).filter(Boolean))].sort();
}

export function failed(main, error) {
  main.innerHTML = `<p class="empty" role="alert">Could not load: ${esc(error.message)}</p>`;
}

// Ids hold "/" (kept: the API's routes take paths) and "#" (escaped, or it ends the URL).
export function idPath(id) {
  return encodeURIComponent(id).replace(/%2F/g, "/");
}

// Who waits on the item itself, as the scheduler's projection of feedback last reported it.
export function demandText(demand) {
  if (!demand || !demand.customers) return "–";
  const orgs = demand.organisations === 1 ? "1 org" : `${demand.organisations} orgs`;
  const people = demand.customers === 1 ? "1 customer" : `${demand.customers} customers`;
  const arr = demand.arr_waiting ? ` · ARR ${demand.arr_waiting.toLocaleString("en")}` : "";
  return `${people} / ${orgs}${arr}`;
}

// The double-submit CSRF token: the server set it beside the HttpOnly session cookie.
function csrfToken() {
  const found = document.cookie.split("; ").find((c) => c.startsWith("slipstream_csrf="));
  return found ? decodeURIComponent(found.split("=")[1]) : "";
}

// Anything that changes state goes through here, so it always carries the CSRF token.
export async function send(method, path) {
  const response = await fetch(path, { method, headers: { "X-CSRF-Token": csrfToken() } });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response;
}
