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

// On the item page; nobody waiting is said by the feedback line beneath, not by a lone dash.
export function demandHtml(demand) {
  if (!demand || !demand.customers) return "";
  const weight = Number(demand.weight).toFixed(2);  // as the demand page writes it
  return `<p class="demand">${esc(demandText(demand))} · weight ${esc(weight)}</p>`;
}

function counted(count, one, many) {
  return `${count} ${count === 1 ? one : many}`;
}

export function feedbackHtml({ feedback, note }) {
  // With feedback unreachable, the note says what is missing: whether anyone waits is unknown.
  if (note) return `<p class="empty" role="note">${esc(note)}</p>`;
  if (!feedback.length) {
    return `<p class="empty">No customer feedback linked to this item: nobody waits on it.</p>`;
  }
  const customers = new Set(feedback.map((p) => p.customer_id)).size;
  const pieces = counted(feedback.length, "piece", "pieces");
  return `<p>${pieces} from ${counted(customers, "customer", "customers")}.</p>
    <ul class="feedback" aria-label="Linked feedback">${feedback.map(pieceHtml).join("")}</ul>`;
}
