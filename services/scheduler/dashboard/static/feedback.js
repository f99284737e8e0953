// Linked feedback and who sent it, forwarded by the scheduler from the feedback service.
import { esc, demandText } from "./api.js";

function who(piece) {
  return `${esc(piece.customer_name || piece.customer_id)}
    <small>${esc(piece.organisation_id || "no organisation")}</small>`;
}

function pieceHtml(piece) {
  const text = piece.text ? `<br>${esc(piece.text)}` : "";
  const link = piece.url ? ` · <a href="${esc(piece.url)}">open</a>` : "";
  return `<li data-feedback="${esc(piece.feedback_id)}">${who(piece)} · ${esc(piece.kind || "")}
    from ${esc(piece.source)} · linked by ${esc(piece.linked_by)}${link}${text}</li>`;
}

export function demandHtml(demand) {
  const weight = demand && demand.customers ? ` · weight ${esc(demand.weight)}` : "";
  return `<p class="demand">${esc(demandText(demand))}${weight}</p>`;
}

export function feedbackHtml({ feedback, note }) {
  const notice = note ? `<p class="empty" role="note">${esc(note)}</p>` : "";
  if (!feedback.length) return `${notice}<p class="empty">No feedback linked to this item.</p>`;
  const customers = new Set(feedback.map((p) => p.customer_id)).size;
  return `${notice}<p>${feedback.length} pieces from ${customers} customers.</p>
    <ul class="feedback" aria-label="Linked feedback">${feedback.map(pieceHtml).join("")}</ul>`;
}
