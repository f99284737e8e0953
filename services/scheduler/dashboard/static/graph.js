// Dependency graph of a team or a release: Cytoscape.js with the dagre layout, left to right,
// nodes coloured by level, the critical edges bold, nodes outside the selection dashed.
import { get, esc, distinct, failed, itemLink, level } from "./api.js";

const COLOURS = { off_track: "#c62828", at_risk: "#ef6c00", on_track: "#2e7d32" };

function elements(graph) {
  const nodes = graph.nodes.map((n) => ({
    data: { id: n.id, label: `${n.title || n.id}\n${n.team || "?"} · ${n.forecast || "no date"}`, team: n.team,
      colour: COLOURS[n.level] || "#8a93a3", level: n.level || "unknown" },
    classes: n.external ? "external" : "",
  }));
  const edges = graph.edges.map((e) => ({
    data: { id: `${e.blocker_id}->${e.blocked_id}`, source: e.blocker_id, target: e.blocked_id,
      tool: e.origin || e.source || "", critical: e.critical },
    classes: e.critical ? "critical" : "",
  }));
  return [...nodes, ...edges];
}

const STYLE = [
  { selector: "node", style: { "background-color": "data(colour)", label: "data(label)",
    "text-wrap": "wrap", "text-max-width": 140, "font-size": 11, "text-valign": "bottom",
    "text-margin-y": 4, width: 26, height: 26 } },
  { selector: "node.external", style: { "border-width": 3, "border-style": "dashed",
    "border-color": "#1d2330" } },
  { selector: "edge", style: { width: 2, "line-color": "#9aa3b2", "target-arrow-shape": "triangle",
    "target-arrow-color": "#9aa3b2", "curve-style": "bezier", label: "data(tool)",
    "font-size": 9, "text-background-color": "#fff", "text-background-opacity": 1 } },
  { selector: "edge.critical", style: { width: 5, "line-color": "#c62828",
    "target-arrow-color": "#c62828" } },
];

function selector(teams, releases, params) {
  const opt = (kind, v) => `<option value="${kind}=${esc(v)}"${
    params.get(kind) === v ? " selected" : ""}>${kind} ${esc(v)}</option>`;
  return `<label>Show <select id="scope">${teams.map((t) => opt("team", t)).join("")}
    ${releases.map((r) => opt("release", r)).join("")}</select></label>`;
}

export async function graphView(main, { params }) {
  try {
    const rows = await get("/risk?limit=5000");
    const teams = distinct(rows, "team");
    if (!params.get("team") && !params.get("release") && teams.length) params.set("team", teams[0]);
    main.innerHTML = `<h1>Dependency graph</h1>${selector(teams, distinct(rows, "release_id"),
      params)}<p class="legend"><span>bold red: critical chain</span><span>dashed: outside
      the selection</span><span>edge label: the tool it came from</span></p>
      <div id="graph" role="img" aria-label="Dependency graph"></div>
      <h2>Nodes</h2><ul id="nodes"></ul>`;
    main.querySelector("#scope").addEventListener("change", (event) => {
      location.hash = `#/graph?${event.target.value}`;
    });
    const cy = cytoscape({ container: main.querySelector("#graph"), style: STYLE,
      elements: [], boxSelectionEnabled: false });
    cy.on("tap", "node", (event) => {
      location.hash = `#/item/${encodeURIComponent(event.target.id())}`;
    });
    const load = async () => {
      const graph = await get(`/graph?${params}`);
      cy.elements().remove();
      cy.add(elements(graph));
      cy.layout({ name: "dagre", rankDir: "LR", nodeSep: 40, rankSep: 120 }).run();
      // A small graph fitted to the box would be drawn huge: cap the zoom.
      if (cy.zoom() > 2) { cy.zoom(2); cy.center(); }
      // The same nodes as links: the keyboard's way into the picture.
      main.querySelector("#nodes").innerHTML = graph.nodes.map((n) => `<li>${
        itemLink(n.id, n.title)} ${level(n.level)} <small>${esc(n.team || "no team")} ·
        forecast ${esc(n.forecast || "no date")}${n.external ? " · outside the selection" : ""}
        </small></li>`).join("");
      window.slipstreamGraph = cy;
    };
    await load();
    return { refresh: load };
  } catch (error) {
    return failed(main, error);
  }
}
