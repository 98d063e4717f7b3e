#!/usr/bin/env bash
# The sync API against its own OpenAPI document (issue 12): Schemathesis (PyPI) generates
# requests from /api/v1/openapi.json and sends them to a real preau-server on loopback
# (SQLite in a temp dir), once without a token and once with an enrolled device's token.
# Checks: no 5xx, every status and content type documented, every body matching its
# schema. Installs Schemathesis in its own virtual environment (~/.cache/preau-schemathesis,
# pinned in requirements.txt beside this file) when missing or changed.
#
#   tests/api/schemathesis.sh PATH/TO/preau-server      ends with "N passed, N failed"
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SERVER=${1:?usage: schemathesis.sh PATH/TO/preau-server}
VENV=${PREAU_SCHEMATHESIS_VENV:-$HOME/.cache/preau-schemathesis}
ST="$VENV/bin/schemathesis"
# Requests per pass are bounded by time, not count: the run stops by itself.
BUDGET=${PREAU_SCHEMATHESIS_SECONDS:-60}

if [ ! -x "$ST" ] || ! cmp -s "$HERE/requirements.txt" "$VENV/.preau-requirements"; then
  echo "==> pip : installation de Schemathesis ($VENV)" >&2
  python3 -m venv "$VENV" 2>/dev/null || {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$VENV"
  } || { echo "python3 -m venv a échoué"; echo "0 passed, 1 failed"; exit 1; }
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$HERE/requirements.txt" \
    || { echo "pip install schemathesis a échoué"; echo "0 passed, 1 failed"; exit 1; }
  cp "$HERE/requirements.txt" "$VENV/.preau-requirements"
fi

WORK=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$SERVER" --data-dir "$WORK" serve --bind "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
PID=$!
BASE="http://127.0.0.1:$PORT/api/v1"
for _ in $(seq 100); do
  curl -sf "$BASE/health" >/dev/null && break
  sleep 0.1
done
CODE=$("$SERVER" --data-dir "$WORK" enroll --adviser "Schemathesis" 2>>"$WORK/server.log" | awk '{print $NF}')
TOKEN=$(curl -sf -X POST "$BASE/enroll" -H 'content-type: application/json' \
  -d "{\"protocol\":1,\"code\":\"$CODE\",\"device_name\":\"schemathesis\"}" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])') || TOKEN=

passed=0 failed=0
run() {
  local name=$1; shift
  if "$ST" run "$BASE/openapi.json" --workers 1 --max-time "$BUDGET" --seed 12 \
      --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
      "$@" >"$WORK/$name.log" 2>&1; then
    echo "ok - schemathesis $name"
    passed=$((passed + 1))
  else
    echo "not ok - schemathesis $name"
    tail -n 60 "$WORK/$name.log"
    failed=$((failed + 1))
  fi
}
run "sans jeton"
if [ -n "$TOKEN" ]; then
  run "avec jeton" -H "Authorization: Bearer $TOKEN"
else
  echo "not ok - enrôlement pour le jeton"; failed=$((failed + 1))
fi
if grep -q "panicked" "$WORK/server.log"; then
  echo "not ok - le serveur a paniqué"; grep -m5 panicked "$WORK/server.log"; failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
