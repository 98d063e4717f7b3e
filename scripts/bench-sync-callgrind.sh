#!/usr/bin/env bash
# The sync bench's instruction counts, which do not depend on the machine's load: the bench
# (crates/preau-server/examples/bench.rs, release) and the preau-server it starts both run
# under callgrind; both are dumped once the first sync of a new laptop is done, so the
# counts cover the push of 1,000 visits and the first sync, not the 100 laptops.
#
#   scripts/bench-sync-callgrind.sh [BUILD_DIR]   BUILD_DIR holds preau-server and
#                                                 examples/bench (default: this tree's release)
#
# Results in $CARGO_TARGET_DIR/bench-sync-callgrind/ (client.out.1, server.out.1); read them
# with `callgrind_annotate --inclusive=yes FILE`. Needs valgrind (apt install valgrind).
source "$(dirname "$0")/lib.sh"

command -v valgrind >/dev/null || die "valgrind est introuvable (apt install valgrind)."
BUILD=${1:-}
if [ -z "$BUILD" ]; then
  say "construction release de preau-server et du banc"
  (cd "$ROOT" && cargo build --release --quiet -p preau-server --bin preau-server --example bench)
  BUILD="$CARGO_TARGET_DIR/release"
fi
OUT="$CARGO_TARGET_DIR/bench-sync-callgrind"
rm -rf "$OUT"
mkdir -p "$OUT/examples"
cp "$BUILD/preau-server" "$OUT/preau-server.real"
cp "$BUILD/examples/bench" "$OUT/examples/bench"
# The bench starts the preau-server beside its directory: this one runs the real server
# under callgrind for `serve` only (the admin commands run as they are).
cat >"$OUT/preau-server" <<EOS
#!/usr/bin/env bash
if [ "\$3" = serve ]; then
  valgrind --tool=callgrind --callgrind-out-file="$OUT/server.out" "$OUT/preau-server.real" "\$@" 2>>"$OUT/valgrind-server.log" &
  echo \$! >"$OUT/server.pid"
  wait
else
  exec "$OUT/preau-server.real" "\$@"
fi
EOS
chmod +x "$OUT/preau-server"

say "Préau sous callgrind (plusieurs minutes)"
valgrind --tool=callgrind --callgrind-out-file="$OUT/client.out" "$OUT/examples/bench" \
  >"$OUT/bench.log" 2>>"$OUT/valgrind-client.log" &
bench=$!
until grep -q "first sync" "$OUT/bench.log" 2>/dev/null; do
  kill -0 "$bench" 2>/dev/null || die "le banc s'est arrêté avant la première synchro (voir $OUT)"
  sleep 1
done
server=$(cat "$OUT/server.pid")
callgrind_control -d "$bench" >/dev/null
callgrind_control -d "$server" >/dev/null
sleep 2
kill "$bench" 2>/dev/null || true
kill -TERM "$server" 2>/dev/null || true
wait "$bench" 2>/dev/null || true  # killed: 143
cat "$OUT/bench.log"
for f in client server; do
  say "$f : $(callgrind_annotate "$OUT/$f.out.1" 2>/dev/null | grep 'PROGRAM TOTALS')"
done
callgrind_annotate --inclusive=yes "$OUT/client.out.1" 2>/dev/null \
  | grep -E 'engine::(push_pending|pull_and_apply)::\{\{closure\}\} ' || true
callgrind_annotate --inclusive=yes "$OUT/server.out.1" 2>/dev/null \
  | grep -E 'sqlite::commit_group ' || true
say "résultats dans $OUT"
