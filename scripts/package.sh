#!/usr/bin/env bash
# Builds the two Debian packages of Préau (release), into $PREAU_DEB_DIR (default
# $CARGO_TARGET_DIR/debian):
#   preau_<version>_amd64.deb         the desktop app (Tauri bundler): /usr/bin/preau, its
#                                     desktop entry and icons, and /usr/bin/preau-cli;
#   preau-server_<version>_amd64.deb  /usr/bin/preau-server, its systemd unit, its user
#                                     (made at install), /etc/preau-server/preau-server.toml
#                                     and /var/lib/preau-server (packaging/server/).
# Installs what is missing first (lib.sh). Prints the paths of the two packages on stdout.
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

# Stdout carries the two paths only: everything the tools print (npm, cargo, the bundler)
# goes to stderr, the paths to the saved stdout (fd 3).
exec 3>&1 1>&2

apt_install "${APT_BUILD[@]}"
need_toolchains
ui_deps
ui_build
cd "$ROOT"

OUT=${PREAU_DEB_DIR:-$CARGO_TARGET_DIR/debian}
BIN=$CARGO_TARGET_DIR/release
VERSION=$(node -p 'require("./tauri.conf.json").version')
ARCH=$(dpkg --print-architecture)
# Debian's Maintainer field of both packages (to be set to the syndicate's IT address).
MAINTAINER="Équipe Préau <preau@somme-numerique.fr>"
# Same dates in the archives for the same commit. Given to dpkg-deb only: cargo's build
# scripts (C code of SQLite, ring) watch this variable and would rebuild everything.
EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)

# The same command as scripts/run.sh (its release artefacts are reused), then the server.
say "cargo : construction release de preau, preau-cli et preau-server"
cargo build --release --quiet -p preau -p preau-cli
cargo build --release --quiet -p preau-server
mkdir -p "$OUT"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# Library dependencies of the binaries of TREE, as Debian computes them.
shlibs() {
  local tree=$1 name=$2
  mkdir -p "$stage/shlibs-$name/debian"
  printf 'Source: preau\n\nPackage: %s\nArchitecture: any\n' "$name" >"$stage/shlibs-$name/debian/control"
  (cd "$stage/shlibs-$name" && dpkg-shlibdeps -O "$tree"/usr/bin/* 2>/dev/null) |
    sed -n 's/^shlibs:Depends=//p'
}

# Finishes the package staged in TREE as OUT.deb: stripped binaries, checksums, size,
# xz (a third smaller than the gzip of Tauri's bundler: the app's .deb fits in 15 MB).
build_deb() {
  local tree=$1 out=$2 size
  strip --strip-all "$tree"/usr/bin/*
  (cd "$tree" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
    xargs -0 md5sum) >"$tree/DEBIAN/md5sums"
  chmod 0644 "$tree/DEBIAN/md5sums"
  size=$(du -sk --exclude=DEBIAN "$tree" | cut -f1)
  sed -i "s/^Installed-Size: .*/Installed-Size: $size/" "$tree/DEBIAN/control"
  SOURCE_DATE_EPOCH=$EPOCH dpkg-deb --root-owner-group -Zxz --build "$tree" "$out" >/dev/null
}

# The app: the Tauri bundler (tauri.conf.json > bundle, packaging/app/preau.desktop) on
# the binary just built. Given here rather than in tauri.conf.json: preau-cli, whose
# path is the target dir's; the package name, ASCII ("préau", from productName, is not
# a Debian package name; the menu still says « Préau », from the desktop template); the
# maintainer. The bundle is then unpacked and packed again by build_deb, with
# dpkg-shlibdeps' dependencies instead of the bundler's two.
say "paquet de l'application (tauri bundle)"
app_deb_dir=$BIN/bundle/deb
rm -rf "$app_deb_dir"
extra=$(printf '{"productName":"preau","bundle":{"publisher":"%s","linux":{"deb":{"files":{"/usr/bin/preau-cli":"%s"}}}}}' \
  "$MAINTAINER" "$BIN/preau-cli")
ui/node_modules/.bin/tauri bundle --ci --bundles deb --config "$extra" >&2
built=("$app_deb_dir"/*.deb)
[ -f "${built[0]}" ] || die "le bundler de Tauri n'a produit aucun .deb dans $app_deb_dir"
app=$stage/preau
dpkg-deb -R "${built[0]}" "$app"
[ "$(sed -n 's/^Package: //p' "$app/DEBIAN/control")" = preau ] ||
  die "le paquet de Tauri ne s'appelle pas preau : $(grep '^Package' "$app/DEBIAN/control")"
deps=$(shlibs "$app" preau)
[ -n "$deps" ] || die "dpkg-shlibdeps n'a pas trouvé les dépendances de preau"
sed -i -e "s/^Depends: .*/Depends: $deps/" -e "s/^Maintainer: .*/Maintainer: $MAINTAINER/" "$app/DEBIAN/control"
app_deb=$OUT/preau_${VERSION}_${ARCH}.deb
build_deb "$app" "$app_deb"

# The server: a staged tree (packaging/server/), then the same build_deb.
say "paquet du serveur (dpkg-deb)"
tree=$stage/preau-server
pkg=$ROOT/packaging/server
install -D -m 0755 "$BIN/preau-server" "$tree/usr/bin/preau-server"
install -D -m 0644 "$pkg/preau-server.service" "$tree/lib/systemd/system/preau-server.service"
install -D -m 0640 "$pkg/preau-server.toml" "$tree/etc/preau-server/preau-server.toml"
install -D -m 0644 "$pkg/README.Debian" "$tree/usr/share/doc/preau-server/README.Debian"
install -D -m 0644 LICENSE "$tree/usr/share/doc/preau-server/copyright"
install -d -m 0755 "$tree/DEBIAN"
install -m 0755 "$pkg/postinst" "$pkg/prerm" "$pkg/postrm" "$tree/DEBIAN/"
install -m 0644 "$pkg/conffiles" "$tree/DEBIAN/"
deps=$(shlibs "$tree" preau-server)
[ -n "$deps" ] || die "dpkg-shlibdeps n'a pas trouvé les dépendances de preau-server"
# adduser: the postinst makes the service's user.
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@MAINTAINER@/$MAINTAINER/" \
  -e "s/@DEPENDS@/$deps, adduser/" "$pkg/control.in" >"$tree/DEBIAN/control"
server_deb=$OUT/preau-server_${VERSION}_${ARCH}.deb
build_deb "$tree" "$server_deb"

for deb in "$app_deb" "$server_deb"; do
  say "$(basename "$deb") : $(du -h "$deb" | cut -f1)"
done
echo "$app_deb" >&3
echo "$server_deb" >&3
