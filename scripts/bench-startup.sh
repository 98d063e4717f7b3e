#!/usr/bin/env bash
# Cold start, idle memory and idle CPU of Préau, side by side with an empty Tauri 2 window
# (bench/empty-window) started the same way: release builds, under Xvfb 1366x768 and a
# D-Bus session, N runs each, alternating. "Ready" is the moment the page tells Rust its
# first screen is interactive (Préau: home screen with its data loaded).
#
#   scripts/bench-startup.sh [runs]          WEBKIT_* variables are passed through.
source "$(dirname "$0")/lib.sh"
RUNS=${1:-5}

if [ "${INNER:-}" != 1 ]; then
  apt_install "${APT_BUILD[@]}"
  need_toolchains
  ui_deps
  ui_build
  say "construction release de Préau et de la fenêtre vide"
  (cd "$ROOT" && cargo build --release --quiet --bin preau)
  (cd "$ROOT/bench/empty-window" && cargo build --release --quiet)
  INNER=1 exec xvfb-run -a -s '-screen 0 1366x768x24' dbus-run-session -- "$0" "$RUNS"
fi

# Préau keeps its store's key in the Secret Service (issue 12): a keyring in this D-Bus
# session, as a desktop session has, its files in a temporary directory.
KEYRINGS=$(mktemp -d)
eval "$(printf '\n' | XDG_DATA_HOME=$KEYRINGS gnome-keyring-daemon --unlock --components=secrets)"

now_ms() { date +%s%3N; }

# All processes of the tree rooted at $1 (the app and its WebKit helpers).
tree() {
  local pids=("$1") i=0
  while [ $i -lt ${#pids[@]} ]; do
    for c in $(cat /proc/"${pids[$i]}"/task/*/children 2>/dev/null); do pids+=("$c"); done
    i=$((i + 1))
  done
  echo "${pids[@]}"
}

pss_kb() {
  local total=0 v
  for p in $(tree "$1"); do
    v=$(awk '/^Pss:/ {print $2}' /proc/"$p"/smaps_rollup 2>/dev/null || echo 0)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

cpu_ticks() {
  local total=0 t
  for p in $(tree "$1"); do
    t=$(awk '{print $14 + $15}' /proc/"$p"/stat 2>/dev/null || echo 0)
    total=$((total + ${t:-0}))
  done
  echo "$total"
}

# run NAME BINARY: prints "start_ms pss_kb cpu_percent"
run_once() {
  local bin=$1 out pid t0 ready start pss c0 c1 hz
  out=$(mktemp)
  t0=$(now_ms)
  PREAU_BENCH_READY=1 "$bin" >"$out" 2>/dev/null &
  pid=$!
  for _ in $(seq 300); do grep -q '^READY' "$out" && break; sleep 0.02; done
  ready=$(awk '/^READY/ {print $2; exit}' "$out")
  start=$(( ${ready:-0} - t0 ))
  sleep 5
  pss=$(pss_kb "$pid")
  hz=$(getconf CLK_TCK)
  c0=$(cpu_ticks "$pid"); sleep 10; c1=$(cpu_ticks "$pid")
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  rm -f "$out"
  awk -v s="$start" -v p="$pss" -v d=$((c1 - c0)) -v hz="$hz" \
    'BEGIN { printf "%d %d %.2f\n", s, p, 100 * d / hz / 10 }'
}

export PREAU_DATA_DIR
PREAU_DATA_DIR=$(mktemp -d)
"$CARGO_TARGET_DIR/release/preau" >/dev/null 2>&1 & first=$!   # first start: loads reference data
sleep 4; kill $first; wait $first 2>/dev/null || true

declare -A starts pss cpu
for i in $(seq "$RUNS"); do
  for app in empty preau; do
    case $app in
      empty) bin="$ROOT/bench/empty-window/target/release/empty-window"
             [ -x "$bin" ] || bin="$CARGO_TARGET_DIR/release/empty-window" ;;
      preau) bin="$CARGO_TARGET_DIR/release/preau" ;;
    esac
    read -r s p c < <(run_once "$bin")
    starts[$app]+="$s "; pss[$app]+="$p "; cpu[$app]+="$c "
    echo "run $i $app: start ${s} ms, PSS $((p / 1024)) MiB, idle CPU ${c} %"
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo
echo "WebKit settings: WEBKIT_DISABLE_COMPOSITING_MODE=${WEBKIT_DISABLE_COMPOSITING_MODE:-unset} WEBKIT_DISABLE_DMABUF_RENDERER=${WEBKIT_DISABLE_DMABUF_RENDERER:-unset}"
for app in empty preau; do
  echo "$app: median start $(echo "${starts[$app]}" | median) ms, median PSS $(( $(echo "${pss[$app]}" | median) / 1024 )) MiB, median idle CPU $(echo "${cpu[$app]}" | median) %"
done
rm -rf "$PREAU_DATA_DIR" "$KEYRINGS"
