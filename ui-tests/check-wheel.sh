#!/usr/bin/env bash
# The wheel must work without Node: install it into a fresh venv whose PATH has no node, and
# check that JupyterLab lists the extension, and jupyter_server the server extension, as enabled
# and OK.
set -euo pipefail
cd "$(dirname "$0")/.."
wheel=$(ls dist/jupyterlab_portal_token-*.whl | head -n 1)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --retries 0 -q 'jupyterlab==4.6.4' "$wheel" 2> >(grep -v 'is ignored: it is neither' >&2)
# A PATH with the venv and the basic system tools only: no node, no npm.
nodeless="$tmp/venv/bin:/usr/bin:/bin"
if PATH="$nodeless" command -v node >/dev/null 2>&1; then
  # node lives in /usr/bin on some machines: hide it behind a failing stub.
  mkdir -p "$tmp/nonode"
  printf '#!/bin/sh\necho "node is not available" >&2\nexit 127\n' > "$tmp/nonode/node"
  chmod +x "$tmp/nonode/node"
  nodeless="$tmp/nonode:$nodeless"
fi
# Strip the colour codes that jupyter prints around "enabled" and "OK".
out=$(PATH="$nodeless" "$tmp/venv/bin/jupyter" labextension list 2>&1 | sed -e 's/\x1b\[[0-9;]*m//g')
echo "$out" | grep -E 'jupyterlab-portal-token' || { echo "$out"; echo "FAIL: extension not listed" >&2; exit 1; }
echo "$out" | grep -E 'jupyterlab-portal-token v[0-9.]+ enabled\s+OK' >/dev/null \
  || { echo "$out"; echo "FAIL: extension not enabled OK" >&2; exit 1; }
# The server extension is enabled by the wheel's jupyter_server_config.d file and imports.
out=$(PATH="$nodeless" "$tmp/venv/bin/jupyter" server extension list 2>&1 | sed -e 's/\x1b\[[0-9;]*m//g')
echo "$out" | grep -E '^\s*jupyterlab_portal_token enabled\s*$' >/dev/null \
  || { echo "$out"; echo "FAIL: server extension not enabled" >&2; exit 1; }
echo "$out" | grep -E '^\s*jupyterlab_portal_token [0-9.]+ OK\s*$' >/dev/null \
  || { echo "$out"; echo "FAIL: server extension not OK" >&2; exit 1; }
echo "wheel check: jupyterlab-portal-token is enabled OK in a venv without node"
echo "wheel check: the jupyterlab_portal_token server extension is enabled and OK"
