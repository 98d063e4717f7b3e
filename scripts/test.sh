#!/usr/bin/env bash
# Runs every test of Préau: formatting and lints, the Rust tests (every crate of the
# workspace, the app's shell included; the PostgreSQL suite of preau-server fails if
# PostgreSQL cannot start), the UI's unit tests and type checks, then the end-to-end test
# of the real app in its window under Xvfb, and the back-office in Chromium. Installs what
# is missing first. Ends with
# "N passed, N failed".
source "$(dirname "$0")/lib.sh"

apt_install "${APT_BUILD[@]}" "${APT_TEST[@]}"
need_toolchains
ui_deps
backoffice_deps
tauri_driver

cd "$ROOT"
# preau-server's PostgreSQL suite (crates/preau-server/tests/it/support.rs) skips when no
# PostgreSQL is installed; here it must run, so a PostgreSQL that cannot start fails.
export PREAU_REQUIRE_POSTGRES=1
LOG_DIR=$(mktemp -d)
trap 'rm -rf "$LOG_DIR"' EXIT
passed=0
failed=0
failures=()

# step NAME COMMAND...: runs it, adds its test counts (or 1 for a check) to the totals.
step() {
  local name=$1; shift
  local log="$LOG_DIR/$(echo "$name" | tr -c 'a-zA-Z0-9' '_').log"
  say "$name"
  local rc=0
  "$@" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
  local p f
  # cargo: "test result: ok. 12 passed; 0 failed"; vitest: "Tests  9 passed (9)";
  # our e2e: "3 passed, 0 failed".
  # (vitest also counts test files: that line is left out.)
  p=$( { grep -av 'Test Files' "$log" | sed 's/\x1b\[[0-9;]*m//g' | grep -aoE '[0-9]+ passed' || true; } | awk '{s+=$1} END {print s+0}')
  f=$( { grep -av 'Test Files' "$log" | sed 's/\x1b\[[0-9;]*m//g' | grep -aoE '[0-9]+ failed' || true; } | awk '{s+=$1} END {print s+0}')
  if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
    if [ "$rc" -eq 0 ]; then p=1; else f=1; fi
  elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
  fi
  passed=$((passed + p)); failed=$((failed + f))
  [ "$rc" -eq 0 ] && [ "$f" -eq 0 ] || failures+=("$name")
}

step "rustfmt" cargo fmt --all -- --check
# The server reads reference files with preau-reference, never through a laptop's store
# (ARCHITECTURE.md, Invariants); only its tests may use preau-core.
step "preau-server sans preau-core" bash -c 'set -o pipefail
  tree=$(cargo tree -p preau-server -e normal --prefix none) || exit 1
  if grep -q "^preau-core " <<<"$tree"; then
    echo "preau-server dépend de preau-core (hors [dev-dependencies])"; exit 1
  fi'
# The shell (package preau) embeds ui/dist when it compiles: built first (skipped when
# up to date), so its own unit tests run with the rest of the workspace.
ui_build
# In a D-Bus session with its own unlocked GNOME Keyring: preau-cli's tests run the real
# binary, which keeps the store's key in the Secret Service (issue 12).
step "tests Rust (cœur, CLI, serveur, application)" with_keyring cargo test --workspace --quiet
step "types TypeScript générés à jour" git diff --exit-code --stat -- ui/src/api/types
step "interface : vérification des types" bash -c 'cd ui && npm run --silent check'
step "interface : tests unitaires" bash -c 'cd ui && npm test --silent'
step "clippy" cargo clippy --workspace --all-targets --quiet -- -D warnings
step "construction de l'application" cargo build --quiet -p preau -p preau-cli -p preau-server
if [[ " ${failures[*]} " == *"construction"* ]]; then
  # Never run the end-to-end tests against a binary left over from an earlier build.
  failed=$((failed + 1)); failures+=("bout en bout (non lancé : la construction a échoué)")
else
  step "bout en bout dans la vraie fenêtre" tests/e2e/run.sh "$CARGO_TARGET_DIR/debug/preau"
  # Every route against its OpenAPI document, with and without a token (issue 12).
  step "API contre son OpenAPI (Schemathesis)" tests/api/schemathesis.sh "$CARGO_TARGET_DIR/debug/preau-server"
fi
# The back-office in Debian's Chromium, axe-core on every page (issue 13): the Rust test
# starts a server with demo data and runs tests/backoffice/browser.mjs against it.
step "bureau du syndicat dans Chromium (axe-core)" with_keyring cargo test -p preau-server \
  --test it --quiet backoffice_browser -- --ignored
step "paquets Debian : construction, installation, démarrage, retrait" tests/package/run.sh

echo
if [ ${#failures[@]} -gt 0 ]; then
  printf 'échecs : %s\n' "${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
