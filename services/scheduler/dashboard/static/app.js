// Slipstream dashboard: one page, four views chosen by the URL's hash, all read from the
// scheduler's JSON API. Live updates arrive as server-sent events from /events.
import { boardView } from "./board.js";
import { itemView } from "./item.js";
import { releasesView } from "./releases.js";
import { graphView } from "./graph.js";
import { demandView } from "./demand.js";
import { send } from "./api.js";

const main = document.getElementById("main");
const views = {
  "": boardView, item: itemView, releases: releasesView, graph: graphView, demand: demandView,
};
let current = null;

function route() {
  const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [name, ...rest] = path.split("/");
  return { name, arg: decodeURIComponent(rest.join("/")), params: new URLSearchParams(query) };
}

async function show() {
  const where = route();
  const view = views[where.name] || boardView;
  for (const link of document.querySelectorAll("nav a")) {
    const target = link.getAttribute("href").replace(/^#\/?/, "");
    link.toggleAttribute("aria-current", target === where.name);
    if (target === where.name) link.setAttribute("aria-current", "page");
  }
  current = await view(main, where);
}

function listen() {
  const status = document.getElementById("live");
  const events = new EventSource("/events");
  events.onopen = () => { status.textContent = "live"; status.classList.add("on"); };
  events.onerror = () => { status.textContent = "reconnecting…"; status.classList.remove("on"); };
  events.addEventListener("risk", (event) => {
    const changed = JSON.parse(event.data).items;
    if (current && current.refresh) current.refresh(changed);
  });
}

document.getElementById("signout").addEventListener("click", async () => {
  await send("POST", "/signout");
  location.assign("/signin");
});

window.addEventListener("hashchange", () => { show(); main.focus(); });
show();
listen();
