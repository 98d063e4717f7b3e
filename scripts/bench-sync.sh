#!/usr/bin/env bash
# Sync side by side: Préau's bench (crates/preau-server/examples/bench.rs, release, real
# server over loopback) then PouchDB 9 (bench/pouchdb: LevelDB, express-pouchdb 4 over
# loopback) on the same rows, dumped by the first. Prints a table with both ratios.
#
#   scripts/bench-sync.sh          results kept in $CARGO_TARGET_DIR/bench-sync/
source "$(dirname "$0")/lib.sh"

command -v cargo >/dev/null || die "Rust (cargo) est introuvable : installez-le avec rustup (https://rustup.rs)."
command -v node >/dev/null || die "node est introuvable : le côté PouchDB du banc en a besoin (apt install nodejs npm, Node.js 20 ou plus)."
command -v npm >/dev/null || die "npm est introuvable : le côté PouchDB du banc en a besoin (apt install npm)."
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || die "Node.js 20 ou plus est nécessaire (trouvé : $(node --version))."

OUT="$CARGO_TARGET_DIR/bench-sync"
mkdir -p "$OUT"

# PouchDB packages from the lock file, reinstalled only when it changes (never by the tests).
POUCH="$ROOT/bench/pouchdb"
stamp="$POUCH/node_modules/.preau-lock"
if [ ! -f "$stamp" ] || ! cmp -s "$POUCH/package-lock.json" "$stamp"; then
  say "npm : installation de PouchDB (bench/pouchdb)"
  (cd "$POUCH" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci a échoué dans bench/pouchdb"
  cp "$POUCH/package-lock.json" "$stamp"
fi

say "construction release de preau-server et du banc"
(cd "$ROOT" && cargo build --release --quiet -p preau-server --bin preau-server --example bench)
# A copy, so that another build in the same target dir cannot swap the server mid-run (the
# bench starts the preau-server beside its own directory).
mkdir -p "$OUT/bin/examples"
cp "$CARGO_TARGET_DIR/release/preau-server" "$OUT/bin/preau-server"
cp "$CARGO_TARGET_DIR/release/examples/bench" "$OUT/bin/examples/bench"

say "Préau : 1 000 visites, nouveau portable, 100 portables à la fois (charge : $(cut -d' ' -f1-3 /proc/loadavg))"
"$OUT/bin/examples/bench" --dump "$OUT/rows.jsonl" --json >"$OUT/preau.json" \
  || die "le banc Préau a échoué"

say "PouchDB : les mêmes $(wc -l <"$OUT/rows.jsonl") lignes, lots de 100, 500, 1 000 et 2 000"
node "$POUCH/bench.js" "$OUT/rows.jsonl" >"$OUT/pouchdb.json" || die "le banc PouchDB a échoué"

node - "$OUT/preau.json" "$OUT/pouchdb.json" <<'EOF'
const fs = require('fs');
const [p, d] = process.argv.slice(2).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
const s = (x) => `${x.toFixed(2)} s`;
const range = (a, b, f) => (f(a) === f(b) ? f(a) : `${f(a)}–${f(b)}`);
const ratio = (lo, hi, base) => range(lo / base, hi / base, (r) => `×${r.toFixed(1)}`);
const rows = [
  ['', 'Préau', `PouchDB (lots de ${d.runs.map((r) => r.batch_size).join(', ')})`, 'PouchDB / Préau'],
  [`push de 1 000 visites (${p.rows} lignes)`, s(p.push_s), range(d.push_min_s, d.push_max_s, s),
    ratio(d.push_min_s, d.push_max_s, p.push_s)],
  ['— plancher : les seules écritures SQLite du serveur pour ce push', s(p.storage_floor_s), '—',
    `(CPU de la synchro : serveur ${p.push_server_cpu_s.toFixed(2)} s, portable ${p.push_laptop_cpu_s.toFixed(2)} s)`],
  ['— la même depuis un stockage chiffré (comme l\'application)', s(p.push_encrypted_s),
    range(d.push_min_s, d.push_max_s, s), ratio(d.push_min_s, d.push_max_s, p.push_encrypted_s)],
  [`première synchro d'un nouveau portable`, s(p.first_sync_s), range(d.pull_min_s, d.pull_max_s, s),
    ratio(d.pull_min_s, d.pull_max_s, p.first_sync_s)],
  ['100 portables à la fois : p99 par lot de 50', `${p.laptops.push_p99_ms.toFixed(0)} ms`,
    '—', `(p50 ${p.laptops.push_p50_ms.toFixed(0)} ms, max ${p.laptops.push_max_ms.toFixed(0)} ms)`],
  [`— les ${p.laptops.before_pulls_batches} lots d'avant la première lecture (pull)`, `${p.laptops.before_pulls_p99_ms.toFixed(0)} ms`,
    '—', `(CPU : serveur ${p.laptops.server_cpu_s.toFixed(2)} s, portables ${p.laptops.laptops_cpu_s.toFixed(2)} s)`],
];
const w = rows[0].map((_, i) => Math.max(...rows.map((r) => [...r[i]].length)));
const line = (r) => r.map((c, i) => c + ' '.repeat(w[i] - [...c].length)).join(' | ');
console.log(line(rows[0]));
console.log(w.map((n) => '-'.repeat(n)).join('-|-'));
rows.slice(1).forEach((r) => console.log(line(r)));
console.log('');
console.log(`PouchDB ${d.pouchdb}, express-pouchdb ${d.express_pouchdb}, Node ${d.node}, ${d.docs} documents :`);
for (const r of d.runs) {
  console.log(`  lots de ${r.batch_size} : push ${s(r.push_s)}, pull ${s(r.pull_s)}`);
}
if (d.docs !== p.dumped) console.log(`attention : ${p.dumped} lignes écrites, ${d.docs} documents lus`);
EOF
say "charge à la fin : $(cut -d' ' -f1-3 /proc/loadavg) ; résultats dans $OUT"
