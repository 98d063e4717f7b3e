# Shared by scripts/run.sh and scripts/test.sh: install only what is missing.
# Debian 12, as root (or with sudo). Idempotent: a second run installs nothing.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# A persistent target dir outside the clone keeps rebuilds incremental across clones (CI).
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/preau-target}
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merreur :\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "il faut être root (ou avoir sudo) pour installer : $*"; fi
}

# Build and run dependencies of a Tauri 2 app on Debian 12 (WebKitGTK 4.1).
# libdbus-1-dev and gnome-keyring: the store's key and the device token are kept in the
# Secret Service (issue 12); scripts/run.sh starts a keyring when there is no session.
APT_BUILD=(libwebkit2gtk-4.1-dev build-essential curl wget file libxdo-dev libssl-dev
  librsvg2-dev pkg-config dbus xvfb xauth libdbus-1-dev gnome-keyring)
# End-to-end tests in the real window, and PDF checks for later issues; the package test
# (tests/package/run.sh) checks the desktop entry with desktop-file-validate; secret-tool
# (libsecret-tools) lets tests/e2e/keyring.e2e.mjs take a key out of the keyring; the
# back-office runs in Debian's Chromium through chromedriver (tests/backoffice, issue 13).
APT_TEST=(webkit2gtk-driver poppler-utils qpdf postgresql desktop-file-utils libsecret-tools
  chromium chromium-driver)

# with_keyring COMMAND...: runs it in a new D-Bus session with an unlocked GNOME Keyring
# of its own (a Secret Service, as a desktop session has), whose files live in a
# temporary directory removed afterwards. The app, preau-cli and their tests keep the
# store's key there; without one they refuse to open the data (keyring_unavailable).
with_keyring() {
  dbus-run-session -- bash -c '
    keyrings=$(mktemp -d)
    trap "rm -rf \"\$keyrings\"" EXIT
    eval "$(printf "\n" | XDG_DATA_HOME=$keyrings gnome-keyring-daemon --unlock --components=secrets)"
    "$@"' with_keyring "$@"
}

apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "apt : installation de ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

need_toolchains() {
  command -v cargo >/dev/null || die "Rust (cargo) est introuvable : installez-le avec rustup (https://rustup.rs), version 1.90 ou plus."
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    apt_install nodejs npm
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || die "Node.js 20 ou plus est nécessaire (trouvé : $(node --version))."
}

# npm packages of the UI, from the lock file; reinstalled only when the lock changes.
ui_deps() {
  local stamp="$ROOT/ui/node_modules/.preau-lock"
  if [ ! -f "$stamp" ] || ! cmp -s "$ROOT/ui/package-lock.json" "$stamp"; then
    say "npm : installation des paquets de l'interface"
    (cd "$ROOT/ui" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$ROOT/ui/package-lock.json" "$stamp"
  fi
}

# axe-core for the back-office's browser test, from its lock file; reinstalled only when
# the lock changes.
backoffice_deps() {
  local dir="$ROOT/tests/backoffice" stamp="$ROOT/tests/backoffice/node_modules/.preau-lock"
  if [ ! -f "$stamp" ] || ! cmp -s "$dir/package-lock.json" "$stamp"; then
    say "npm : installation d'axe-core (test du bureau dans Chromium)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$stamp"
  fi
}

# Rebuilds ui/dist only when its sources changed: the app embeds it, so a new dist means
# relinking the app.
ui_build() {
  local ui="$ROOT/ui"
  if [ -f "$ui/dist/index.html" ] && [ -z "$(find "$ui/src" "$ui/public" "$ui/index.html" \
      "$ui/package-lock.json" "$ui/vite.config.ts" "$ui/svelte.config.js" \
      -newer "$ui/dist/index.html" -print -quit 2>/dev/null)" ]; then
    return
  fi
  say "interface : construction (vite)"
  (cd "$ui" && npm run --silent build >/dev/null)
}

tauri_driver() {
  if ! command -v tauri-driver >/dev/null; then
    say "cargo : installation de tauri-driver 2"
    cargo install tauri-driver --locked --version '^2' --quiet
  fi
}
