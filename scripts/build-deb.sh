#!/bin/sh
# build-deb.sh: build terminald_<version>_<arch>.deb.
#
# Usage: scripts/build-deb.sh ARCH VERSION BINARY OUTDIR
#   ARCH     arm64 or amd64 (Debian architecture names)
#   VERSION  any version string (git describe output is fine): a leading
#            "v" is dropped, "-" become "+"/".", and a version that does
#            not start with a digit becomes 0.0.0+VERSION, as dpkg needs
#   BINARY   the static terminald binary built for ARCH
#   OUTDIR   where the .deb goes; its path is printed on stdout
#
# The package is built with nfpm (packaging/nfpm.yaml), run through
# `go run` at a pinned version so no tool needs installing. Where the Go
# module proxy cannot be reached, or with DEB_TOOL=dpkg-deb, the same
# package is assembled with dpkg-deb --build --root-owner-group instead.
# Example config: terminald.example.toml at the repository root, shipped as
# /usr/share/doc/terminald/examples/terminald.example.toml (no file in /etc:
# the unit waits until the admin writes one). The man page terminald(8) is
# generated from the CLI help (scripts/gen-man.sh): from BINARY when it runs
# here, else from MAN_BINARY, else from a terminald built for this machine.
set -eu

NFPM_VERSION=v2.44.0

[ $# -eq 4 ] || { echo "usage: $0 ARCH VERSION BINARY OUTDIR" >&2; exit 2; }
arch=$1 version=$2 binary=$3 outdir=$4
case "$arch" in
arm64 | amd64) ;;
*) echo "build-deb: unsupported arch $arch (want arm64 or amd64)" >&2; exit 2 ;;
esac
[ -f "$binary" ] || { echo "build-deb: binary $binary not found" >&2; exit 1; }

root=$(cd "$(dirname "$0")/.." && pwd)
config=$root/terminald.example.toml
[ -f "$config" ] || { echo "build-deb: $config not found" >&2; exit 1; }
readme=$root/README.md
[ -f "$readme" ] || { echo "build-deb: README.md missing" >&2; exit 1; }

# Debian version: digits first; only [A-Za-z0-9.+~] without a revision.
v=${version#v}
# A bare commit id (git describe without tags) is not a version number.
if printf '%s' "$v" | grep -Eq '^[0-9a-f]{7,40}(-dirty)?$'; then
	v=0.0.0+git$v
fi
v=$(printf '%s' "$v" | sed 's/-/+/; s/-/./g; s/[^A-Za-z0-9.+~]/./g')
case "$v" in
[0-9]*) ;;
*) v=0.0.0+$v ;;
esac

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
deb=$outdir/terminald_${v}_${arch}.deb
rm -f "$deb"

gen=$(mktemp -d)
trap 'rm -rf "$gen"' EXIT INT TERM
help_bin=${MAN_BINARY:-$binary}
if ! "$help_bin" version >/dev/null 2>&1; then
	help_bin=$gen/terminald-host
	(cd "$root" && CGO_ENABLED=0 go build -o "$help_bin" ./cmd/terminald) >&2
fi
"$root/scripts/gen-man.sh" "$help_bin" "$v" | gzip -9n >"$gen/terminald.8.gz"
gzip -9n <"$root/packaging/changelog" >"$gen/changelog.gz"

nfpm() {
	go run "github.com/goreleaser/nfpm/v2/cmd/nfpm@$NFPM_VERSION" "$@"
}

build_nfpm() {
	(cd "$root" &&
		TERMINALD_ARCH=$arch TERMINALD_VERSION=$v TERMINALD_BINARY=$binary \
			TERMINALD_CONFIG=$config TERMINALD_README=$readme \
			TERMINALD_MAN=$gen/terminald.8.gz TERMINALD_CHANGELOG=$gen/changelog.gz \
			nfpm package \
			--config packaging/nfpm.yaml --packager deb --target "$deb") >&2
}

build_dpkg() {
	r=$gen/root
	install -D -m 0755 "$binary" "$r/usr/bin/terminald"
	install -D -m 0644 "$root/systemd/terminald.service" "$r/lib/systemd/system/terminald.service"
	install -D -m 0644 "$root/systemd/terminald.sysusers" "$r/usr/lib/sysusers.d/terminald.conf"
	install -D -m 0644 "$root/systemd/terminald.tmpfiles" "$r/usr/lib/tmpfiles.d/terminald.conf"
	install -D -m 0644 "$config" "$r/usr/share/doc/terminald/examples/terminald.example.toml"
	install -d -m 0750 "$r/etc/terminald/credentials"
	install -D -m 0644 "$readme" "$r/usr/share/doc/terminald/README.md"
	install -D -m 0644 "$root/packaging/copyright" "$r/usr/share/doc/terminald/copyright"
	install -D -m 0644 "$gen/changelog.gz" "$r/usr/share/doc/terminald/changelog.gz"
	install -D -m 0644 "$gen/terminald.8.gz" "$r/usr/share/man/man8/terminald.8.gz"
	install -d -m 0755 "$r/DEBIAN"
	for s in postinst prerm postrm; do
		install -m 0755 "$root/packaging/deb/$s" "$r/DEBIAN/$s"
	done
	size=$(du -sk --exclude=DEBIAN "$r" | cut -f1)
	cat >"$r/DEBIAN/control" <<CONTROL
Package: terminald
Version: $v
Architecture: $arch
Maintainer: terminald developers <dev@terminald.invalid>
Installed-Size: $size
Depends: systemd (>= 252), init-system-helpers
Section: misc
Priority: optional
Homepage: https://github.com/terminald/terminald
Description: QR payment terminal daemon for Linux point-of-sale hardware
 terminald runs a payment terminal that takes no cards: a cashier keys an
 amount on a keypad (or a cash register sends it over ZVT), terminald asks
 an open-banking or crypto payment provider (AcountPay, Accrue, a crypto
 gateway) for a payment, shows its QR code on an SPI customer display,
 follows the payment and prints a receipt on an ESC/POS printer. Every
 payment is kept in a crash-safe local store. Runs as a hardened systemd
 service with a watchdog, a local admin socket and Prometheus metrics.
CONTROL
	dpkg-deb --build --root-owner-group -Zxz "$r" "$deb" >&2
}

if [ "${DEB_TOOL:-nfpm}" = dpkg-deb ]; then
	build_dpkg
elif ! nfpm --version >/dev/null 2>&1; then
	echo "build-deb: nfpm $NFPM_VERSION unavailable; building with dpkg-deb" >&2
	build_dpkg
else
	build_nfpm
fi
echo "$deb"
