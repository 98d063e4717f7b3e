#!/usr/bin/env bash
# Installs what is missing, builds Préau and opens its window on a demo data directory
# (the Somme's communes and the demo catalogue are built in; fictional schools and the
# example visit of tests/fixtures are added on first run). No server needed.
source "$(dirname "$0")/lib.sh"

apt_install "${APT_BUILD[@]}"
need_toolchains
ui_deps
ui_build
say "cargo : construction de Préau (release ; la première fois prend plusieurs minutes)"
(cd "$ROOT" && cargo build --release --quiet -p preau -p preau-cli)

BIN="$CARGO_TARGET_DIR/release"
export PREAU_DATA_DIR=${PREAU_DATA_DIR:-$HOME/.local/share/preau-demo}
# The store's key lives in the session's keyring (Secret Service). Without a session bus
# (a bare console, CI), everything runs in a new one with a keyring of its own; the demo
# data dir is then set aside and made again each run, its key living only that long.
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] && [ -z "${PREAU_RUN_KEYRING:-}" ]; then
  export PREAU_RUN_KEYRING=1
  if [ -f "$PREAU_DATA_DIR/preau.db" ]; then
    aside="$PREAU_DATA_DIR.$(date +%Y%m%d-%H%M%S)"
    say "session sans trousseau : l'ancienne démo est mise de côté dans $aside"
    mv "$PREAU_DATA_DIR" "$aside"
  fi
  with_keyring "$0" "$@"
  exit
fi
if [ ! -f "$PREAU_DATA_DIR/preau.db" ]; then
  say "données de démonstration dans $PREAU_DATA_DIR"
  "$BIN/preau-cli" schools import "$ROOT/crates/preau-reference/tests/fixtures/annuaire-education-2024-somme.csv"
  # The example visit: two schools, their projects, two scenarios and their funding.
  "$BIN/preau-cli" visits import "$ROOT/tests/fixtures/visit-peronne-2-ecoles.json" >/dev/null
fi

say "Préau démarre (données : $PREAU_DATA_DIR)"
app=("$BIN/preau")
# The single-instance guard talks over the D-Bus session bus: give it one if there is none.
[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || app=(dbus-run-session -- "${app[@]}")
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  say "pas d'écran : Préau s'ouvre dans un écran virtuel (Xvfb)"
  exec xvfb-run -a -s '-screen 0 1366x768x24' "${app[@]}"
fi
exec "${app[@]}"
