#!/usr/bin/env bash
# Runs the end-to-end tests against the built app binary ($1) and the preau-cli and
# preau-server beside it, each in a fresh data dir,
# in a virtual screen (Xvfb) with a D-Bus session (for the single-instance guard), through
# tauri-driver and WebKitWebDriver. PREAU_E2E=NAME runs only tests/e2e/NAME.e2e.mjs;
# PREAU_E2E_FILE=PATH runs that file (a benchmark); PREAU_E2E_CSS="…" adds a style to the
# page (to compare two styles without rebuilding the app).
# The D-Bus session has an unlocked GNOME Keyring of its own (files in a temporary
# directory): the app and preau-cli keep the store's key in the Secret Service.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export PATH="$HOME/.cargo/bin:$PATH"

inner() {
  local status=0
  local tests=("$HERE"/${PREAU_E2E:-*}.e2e.mjs)
  [ -z "${PREAU_E2E_FILE:-}" ] || tests=("$PREAU_E2E_FILE")
  for test in "${tests[@]}"; do
    local data port driver_log
    data=$(mktemp -d)
    driver_log=$(mktemp)
    # « Enregistrer sous… » writes here instead of opening the native dialog.
    local save_dir=$data/enregistres
    # Free ports are picked, then bound by tauri-driver: another process may take one in
    # between (« can not listen to address »). Start again on new ports, a few times.
    local driver="" attempt
    for attempt in 1 2 3 4 5; do
      read -r port native < <(python3 -c 'import socket
socks = [socket.socket() for _ in range(2)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
      PREAU_DATA_DIR=$data PREAU_SAVE_DIR=$save_dir tauri-driver --port "$port" --native-port "$native" >"$driver_log" 2>&1 &
      driver=$!
      for _ in $(seq 300); do
        (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
        kill -0 "$driver" 2>/dev/null || break
        sleep 0.1
      done
      if kill -0 "$driver" 2>/dev/null; then break; fi
      echo "(tauri-driver did not start on port $port, attempt $attempt: $(tail -1 "$driver_log"))"
      wait "$driver" 2>/dev/null || true
    done
    echo "--- $(basename "$test")"
    PREAU_APP=$APP PREAU_CLI=$(dirname "$APP")/preau-cli PREAU_SERVER=$(dirname "$APP")/preau-server PREAU_DATA_DIR=$data PREAU_SAVE_DIR=$save_dir TAURI_DRIVER_URL="http://127.0.0.1:$port" \
      PREAU_SCREENSHOTS=${PREAU_SCREENSHOTS:-} node "$test" || { status=1; tail -20 "$driver_log"; }
    kill "$driver" 2>/dev/null || true
    wait "$driver" 2>/dev/null || true
    rm -rf "$data" "$driver_log"
  done
  return $status
}

if [ "${1:-}" = "--inner" ]; then
  APP=$2
  # The app under the C locale, as on a system set to English or to nothing: its dates,
  # times and numbers must be French all the same (issue 14).
  export LANG=C LC_ALL=C
  keyrings=$(mktemp -d)
  trap 'rm -rf "$keyrings"' EXIT
  eval "$(printf '\n' | XDG_DATA_HOME=$keyrings gnome-keyring-daemon --unlock --components=secrets)"
  inner
  exit
fi
APP=$(realpath "$1")
exec xvfb-run -a -s '-screen 0 1366x768x24' dbus-run-session -- "$0" --inner "$APP"
