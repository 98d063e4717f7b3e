#!/usr/bin/env bash
# Time from a quantity keystroke to the updated totals on screen, in the real app (release
# build) under Xvfb, through tauri-driver. Prints median, p90 and max over 30 keystrokes.
source "$(dirname "$0")/lib.sh"
apt_install "${APT_BUILD[@]}" "${APT_TEST[@]}"
need_toolchains
ui_deps
ui_build
tauri_driver
(cd "$ROOT" && cargo build --release --quiet -p preau -p preau-cli)
PREAU_E2E_FILE="$ROOT/tests/e2e/keystroke.bench.mjs" exec "$ROOT/tests/e2e/run.sh" "$CARGO_TARGET_DIR/release/preau"
