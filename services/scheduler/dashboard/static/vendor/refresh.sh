#!/usr/bin/env bash
# Re-vendor the dashboard's browser libraries at their pinned versions, from npm.
# Users never run this: the files it writes are committed. Change a pin, run it, commit.
set -euo pipefail
cd "$(dirname "$0")"

# package@version  file-in-package  vendored-name
PINS=(
  "cytoscape@3.35.0 dist/cytoscape.min.js cytoscape.min.js"
  "dagre@0.8.5 dist/dagre.min.js dagre.min.js"
  "cytoscape-dagre@2.5.0 cytoscape-dagre.js cytoscape-dagre.js"
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for pin in "${PINS[@]}"; do
  read -r spec file name <<<"$pin"
  package=${spec%@*}
  tarball=$(cd "$work" && npm pack --silent "$spec")
  mkdir -p "$work/$package"
  tar -xzf "$work/$tarball" -C "$work/$package"
  cp "$work/$package/package/$file" "$name"
  cp "$work/$package/package/LICENSE" "LICENSE.$package"
  echo "$spec" >>"$work/versions"
done
sort "$work/versions" >VERSIONS
echo "vendored: $(tr '\n' ' ' <VERSIONS)"
