#!/usr/bin/env bash
# Re-vendor the dashboard's browser libraries at their pinned versions, from npm.
# Users never run this: the files it writes are committed. Change a pin, run it, commit.
set -euo pipefail
cd "$(dirname "$0")"

# package@version  file-in-package=vendored-name ...
PINS=(
  "cytoscape@3.35.0 dist/cytoscape.min.js=cytoscape.min.js"
  "dagre@0.8.5 dist/dagre.min.js=dagre.min.js"
  "cytoscape-dagre@2.5.0 cytoscape-dagre.js=cytoscape-dagre.js"
  "vis-timeline@8.5.4 standalone/umd/vis-timeline-graph2d.min.js=vis-timeline.min.js
     styles/vis-timeline-graph2d.min.css=vis-timeline.min.css"
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: >"$work/versions"
for pin in "${PINS[@]}"; do
  spec=${pin%% *}
  files=${pin#* }
  package=${spec%@*}
  tarball=$(cd "$work" && npm pack --silent "$spec")
  mkdir -p "$work/$package"
  tar -xzf "$work/$tarball" -C "$work/$package"
  for pair in $files; do
    cp "$work/$package/package/${pair%%=*}" "${pair#*=}"
  done
  for licence in "$work/$package"/package/LICENSE*; do
    cp "$licence" "LICENSE.$package${licence##*/LICENSE}"
  done
  echo "$spec" >>"$work/versions"
done
sort "$work/versions" >VERSIONS
echo "vendored: $(tr '\n' ' ' <VERSIONS)"
