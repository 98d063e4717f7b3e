#!/usr/bin/env bash
# The Debian packages, installed as an IT person would: builds them (scripts/package.sh,
# or takes APP.deb SERVER.deb as arguments), installs both with dpkg -i (apt-get install
# -f for what they depend on), validates the desktop entry, starts the installed app
# from its entry under Xvfb until its first screen is ready, runs the installed server
# as its own user on a free port against its configuration file, enrolls the installed
# preau-cli with it and syncs, then removes and purges both packages and checks that
# nothing is left. As root (CI). Idempotent: a package, process or file left by an
# interrupted run is purged first. PREAU_SCREENSHOTS=DIR keeps the first screen as
# DIR/paquet-premier-ecran.png. Ends with "N passed, N failed".
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

# --- the app under Xvfb (run by xvfb-run + dbus-run-session, see below) ---------------
if [ "${1:-}" = "--app-inner" ]; then
  exec_line=$2 data=$3 log=$4 fbdir=$5 shot=$6
  # The command of the desktop entry, without its field codes (%U, %f…).
  read -r -a cmd <<<"${exec_line//%[a-zA-Z]/}"
  # A keyring in this D-Bus session, as a desktop session has: the app keeps its key there.
  keyrings=$(mktemp -d)
  eval "$(printf '\n' | XDG_DATA_HOME=$keyrings gnome-keyring-daemon --unlock --components=secrets)"
  PREAU_DATA_DIR=$data PREAU_BENCH_READY=1 "${cmd[@]}" >"$log" 2>&1 &
  app=$!
  ready=1
  for _ in $(seq 600); do
    if grep -q '^READY' "$log"; then ready=0; break; fi
    kill -0 "$app" 2>/dev/null || break
    sleep 0.1
  done
  if [ "$ready" -eq 0 ] && [ -n "$shot" ]; then
    sleep 1 # the first frame after READY
    python3 "$HERE/xwd2png.py" "$fbdir/Xvfb_screen0" "$shot" || true
  fi
  kill "$app" 2>/dev/null
  wait "$app" 2>/dev/null
  rm -rf "$keyrings"
  exit "$ready"
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then
    exec sudo --preserve-env=CARGO_TARGET_DIR,PATH,PREAU_SCREENSHOTS,PREAU_DEB_DIR "$0" "$@"
  fi
  echo "tests/package/run.sh installe des paquets : à lancer en root" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
set +e
apt_install desktop-file-utils xvfb xauth dbus gnome-keyring
# preau-cli keeps the store's key in the Secret Service: the checks below run in a D-Bus
# session with a keyring of their own (scripts/lib.sh, with_keyring).
if [ -z "${PREAU_PACKAGE_KEYRING:-}" ]; then
  export PREAU_PACKAGE_KEYRING=1
  with_keyring "$0" "$@"
  exit
fi

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; [ -z "${2:-}" ] || printf '    %s\n' "$2"; }
# check NAME COMMAND...: the command's success is the check's.
check() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$(tail -5 <<<"$out")"; fi
}
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

STATE=/tmp/preau-package-test
SERVER_USER=preau-server
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
known() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -qv 'not-installed'; }

# What an earlier run may have left: its server (by its recorded pid), both packages (in
# whatever state), its temporary directories.
cleanup() {
  if [ -f "$STATE/server.pid" ]; then
    local pid
    pid=$(cat "$STATE/server.pid")
    if [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = /usr/bin/preau-server ]; then
      kill "$pid" 2>/dev/null
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null
    fi
  fi
  for p in preau preau-server; do
    if known "$p"; then dpkg --purge "$p" >/dev/null 2>&1 || dpkg --purge --force-all "$p" >/dev/null 2>&1; fi
  done
  rm -rf "$STATE"
}
cleanup
mkdir -p "$STATE"
trap cleanup EXIT

# --- build ---------------------------------------------------------------------------
started=$(date +%s)
if [ $# -ge 2 ]; then
  APP_DEB=$1 SERVER_DEB=$2
else
  debs=$("$ROOT/scripts/package.sh")
  APP_DEB=$(sed -n 1p <<<"$debs") SERVER_DEB=$(sed -n 2p <<<"$debs")
fi
if [ -f "$APP_DEB" ] && [ -f "$SERVER_DEB" ]; then
  ok "les deux paquets sont construits ($(($(date +%s) - started)) s)"
else
  not_ok "les deux paquets sont construits" "app : '$APP_DEB', serveur : '$SERVER_DEB'"
  finish
fi
app_size=$(stat -c %s "$APP_DEB")
echo "    $(basename "$APP_DEB") : $((app_size / 1024)) Kio ; $(basename "$SERVER_DEB") : $(($(stat -c %s "$SERVER_DEB") / 1024)) Kio"
check "le paquet de l'application fait au plus 15 Mo" test "$app_size" -le $((15 * 1000 * 1000))
check "le paquet de l'application s'appelle preau" \
  test "$(dpkg-deb -f "$APP_DEB" Package)" = preau
check "le paquet du serveur s'appelle preau-server" \
  test "$(dpkg-deb -f "$SERVER_DEB" Package)" = preau-server

# --- install -------------------------------------------------------------------------
if ! out=$(dpkg -i "$APP_DEB" "$SERVER_DEB" 2>&1); then
  echo "    dpkg -i : dépendances manquantes, apt-get install -f"
  DEBIAN_FRONTEND=noninteractive apt-get install -f -y -qq >/dev/null 2>&1 ||
    echo "$out" | tail -5
fi
if installed preau && installed preau-server; then
  ok "dpkg -i installe preau et preau-server"
else
  not_ok "dpkg -i installe preau et preau-server" "$(tail -5 <<<"$out")"
  finish
fi

# --- the app's files and desktop entry -----------------------------------------------
check "/usr/bin/preau, /usr/bin/preau-cli et la licence sont installés" \
  test -x /usr/bin/preau -a -x /usr/bin/preau-cli -a -f /usr/share/doc/preau/copyright
desktop=$(dpkg -L preau | grep '^/usr/share/applications/.*\.desktop$' | head -1)
if [ -n "$desktop" ] && out=$(desktop-file-validate "$desktop" 2>&1) && [ -z "$out" ]; then
  ok "desktop-file-validate accepte $desktop"
else
  not_ok "desktop-file-validate accepte l'entrée du menu (${desktop:-absente})" "$out"
fi
entry() { sed -n "s/^$1=//p" "$desktop" | head -1; }
check "l'entrée du menu : Préau, catégorie Education, description en français" \
  test "$(entry Name)" = "Préau" -a "$(entry Categories)" = "Education;" \
  -a -n "$(entry Comment | grep "visites et propositions")"
icon=$(entry Icon)
check "l'icône $icon est installée (hicolor)" \
  bash -c "dpkg -L preau | grep -q '^/usr/share/icons/hicolor/.*/apps/$icon\.png$'"
cli_data=$(mktemp -d "$STATE/cli.XXXX")
check "preau-cli installé répond (recherche de commune)" \
  bash -c "/usr/bin/preau-cli --data-dir '$cli_data' communes search amiens | grep -q Amiens"

# --- the installed app, started from its desktop entry, until its first screen -------
app_data=$(mktemp -d "$STATE/app.XXXX")
fbdir=$(mktemp -d "$STATE/fb.XXXX")
shot=
[ -z "${PREAU_SCREENSHOTS:-}" ] || { mkdir -p "$PREAU_SCREENSHOTS"; shot=$PREAU_SCREENSHOTS/paquet-premier-ecran.png; }
t0=$(date +%s%N)
if timeout 120 xvfb-run -a -s "-screen 0 1366x768x24 -fbdir $fbdir" \
    dbus-run-session -- "$0" --app-inner "$(entry Exec)" "$app_data" "$STATE/app.log" "$fbdir" "$shot" \
    >"$STATE/xvfb.log" 2>&1; then
  ok "l'application installée ($(entry Exec)) montre son premier écran en $((($(date +%s%N) - t0) / 1000000)) ms"
  [ -z "$shot" ] || echo "    capture : $shot"
else
  not_ok "l'application installée montre son premier écran en moins de 60 s" \
    "$(tail -5 "$STATE/app.log" "$STATE/xvfb.log" 2>/dev/null)"
fi
check "l'application a créé sa base dans PREAU_DATA_DIR" test -s "$app_data/preau.db"

# --- the installed server ------------------------------------------------------------
CONF=/etc/preau-server/preau-server.toml
check "l'utilisateur système preau-server existe" getent passwd "$SERVER_USER"
check "/var/lib/preau-server appartient à preau-server (750)" \
  test "$(stat -c '%U:%G %a' /var/lib/preau-server 2>/dev/null)" = "$SERVER_USER:$SERVER_USER 750"
check "$CONF est un fichier de configuration (conffile, root:preau-server 640)" \
  test "$(stat -c '%U:%G %a' "$CONF" 2>/dev/null)" = "root:$SERVER_USER 640" \
  -a -n "$(dpkg-query -W -f='${Conffiles}' preau-server | grep "$CONF")"
check "l'unité systemd est valide (systemd-analyze verify)" \
  systemd-analyze verify /lib/systemd/system/preau-server.service
as_server() { runuser -u "$SERVER_USER" -- "$@"; }
if out=$(/usr/bin/preau-server enroll --adviser X 2>&1); then
  not_ok "root ne peut pas écrire dans les données du service" "$out"
else
  check "root ne peut pas écrire dans les données du service (message : sudo -u preau-server)" \
    grep -q "sudo -u $SERVER_USER" <<<"$out"
fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# setpriv execs the server itself (runuser would fork it), so $! is the server.
setpriv --reuid="$SERVER_USER" --regid="$SERVER_USER" --init-groups \
  /usr/bin/preau-server --config "$CONF" serve --bind "127.0.0.1:$port" \
  >"$STATE/server.out" 2>"$STATE/server.log" &
spid=$!
echo "$spid" >"$STATE/server.pid"
url=
for _ in $(seq 150); do
  url=$(sed -n 's/^preau-server écoute sur \(http:[^ ]*\)$/\1/p' "$STATE/server.out")
  [ -n "$url" ] && break
  kill -0 "$spid" 2>/dev/null || break
  sleep 0.1
done
if [ "$url" = "http://127.0.0.1:$port" ]; then
  ok "le serveur installé écoute sur le port $port, sous preau-server, avec $CONF"
else
  not_ok "le serveur installé écoute sur le port $port" "$(tail -5 "$STATE/server.log")"
fi
check "il a créé sa base dans le data_dir de la configuration, à son nom" \
  test "$(stat -c %U /var/lib/preau-server/preau-server.db 2>/dev/null)" = "$SERVER_USER"
code=$(as_server /usr/bin/preau-server enroll --adviser "Claire Martin" 2>"$STATE/enroll.log" | awk '{print $NF}')
check "preau-server enroll (configuration par défaut) donne un code" test -n "$code"
check "preau-cli installé s'enrôle auprès du serveur installé" \
  bash -c "/usr/bin/preau-cli --data-dir '$cli_data' enroll '$url' '$code' --name poste-paquet | grep -q 'Poste « poste-paquet » enrôlé pour Claire Martin'"
check "preau-cli sync" /usr/bin/preau-cli --data-dir "$cli_data" sync
check "preau-server devices list montre le poste" \
  bash -c "runuser -u $SERVER_USER -- /usr/bin/preau-server devices list | grep -P 'Claire Martin\tposte-paquet\t.*actif'"
kill -TERM "$spid" 2>/dev/null
for _ in $(seq 100); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
if ! kill -0 "$spid" 2>/dev/null && wait "$spid"; then
  ok "le serveur s'arrête proprement sur SIGTERM (comme sous systemd)"
else
  not_ok "le serveur s'arrête proprement sur SIGTERM" "$(tail -3 "$STATE/server.log")"
fi
rm -f "$STATE/server.pid"

# --- removal -------------------------------------------------------------------------
check "dpkg --remove retire les deux paquets" dpkg --remove preau preau-server
check "les programmes et l'entrée du menu sont partis" \
  test ! -e /usr/bin/preau -a ! -e /usr/bin/preau-cli -a ! -e /usr/bin/preau-server -a ! -e "$desktop"
check "remove garde la configuration et les données du serveur" \
  test -f "$CONF" -a -f /var/lib/preau-server/preau-server.db
check "dpkg --purge efface le reste" dpkg --purge preau preau-server
check "ni paquet, ni utilisateur, ni configuration, ni données ne restent" \
  bash -c "! dpkg-query -W preau preau-server >/dev/null 2>&1 && ! getent passwd $SERVER_USER \
    && ! getent group $SERVER_USER && test ! -e /etc/preau-server -a ! -e /var/lib/preau-server"
leftover=$(find /etc/systemd /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked \
  -name 'preau-server*' 2>/dev/null)
check "aucun lien systemd ne reste" test -z "$leftover"

finish
