#!/bin/sh
# check-deb.sh: assert that a terminald .deb holds what an install needs:
# control fields (a description that says what it is, the dependencies its
# scripts call), the binary for the package's architecture, the unit (which
# waits for a configuration and does not restart on a refused one), the
# sysusers/tmpfiles snippets, the example configuration (and no file in
# /etc/terminald to start with), copyright covering every Go module linked
# in, a changelog, the terminald(8) man page, the maintainer scripts (run
# against a fake systemd by scripts/test-maintscripts.sh), and the right
# owners and permissions.
# Exits non-zero, naming every problem, when anything is off.
#
# Usage: scripts/check-deb.sh DEB
set -eu

[ $# -eq 1 ] || { echo "usage: $0 DEB" >&2; exit 2; }
deb=$1
[ -f "$deb" ] || { echo "check-deb: $deb not found" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
bad() {
	echo "check-deb: $deb: $*" >&2
	fail=1
}

dpkg-deb -I "$deb" >"$tmp/info" || { echo "check-deb: $deb: not a Debian package" >&2; exit 1; }
dpkg-deb -c "$deb" >"$tmp/list"
dpkg-deb -e "$deb" "$tmp/control"
dpkg-deb -x "$deb" "$tmp/root"

field() { sed -n "s/^$1: //p" "$tmp/control/control"; }
pkg=$(field Package)
version=$(field Version)
arch=$(field Architecture)
[ "$pkg" = terminald ] || bad "Package is '$pkg', want terminald"
[ -n "$version" ] || bad "no Version"
case "$arch" in
arm64 | amd64) ;;
*) bad "Architecture is '$arch', want arm64 or amd64" ;;
esac
[ "$(basename "$deb")" = "terminald_${version}_${arch}.deb" ] ||
	bad "file name is $(basename "$deb"), want terminald_${version}_${arch}.deb"
[ -n "$(field Maintainer)" ] || bad "no Maintainer"
[ -n "$(field Description)" ] || bad "no Description"
desc=$(sed -n '/^Description:/,$p' "$tmp/control/control")
printf '%s' "$desc" | grep -q 'QR payment terminal daemon' || bad "Description does not say it is a QR payment terminal daemon"
printf '%s' "$desc" | grep -q 'takes no cards' || bad "Description does not say it takes no cards"
depends=$(field Depends)
for d in systemd init-system-helpers; do
	printf '%s' "$depends" | grep -Eq "(^|, *)$d( |,|$)" || bad "Depends ($depends) lacks $d, whose tools the maintainer scripts call"
done

# want PERMS PATH: the entry exists with these permissions, owned root/root.
want() {
	line=$(awk -v p="./$2" '$6 == p || $6 == p "/" { print; exit }' "$tmp/list")
	if [ -z "$line" ]; then
		bad "missing $2"
		return
	fi
	set -- "$1" "$2" $line
	[ "$3" = "$1" ] || bad "$2 has mode $3, want $1"
	[ "$4" = root/root ] || bad "$2 is owned by $4, want root/root"
}
want -rwxr-xr-x usr/bin/terminald
want -rw-r--r-- lib/systemd/system/terminald.service
want -rw-r--r-- usr/lib/sysusers.d/terminald.conf
want -rw-r--r-- usr/lib/tmpfiles.d/terminald.conf
want drwxr-x--- etc/terminald/credentials
want -rw-r--r-- usr/share/doc/terminald/examples/terminald.example.toml
want -rw-r--r-- usr/share/doc/terminald/copyright
want -rw-r--r-- usr/share/doc/terminald/changelog.gz
want -rw-r--r-- usr/share/man/man8/terminald.8.gz
! grep -q '\./etc/terminald/terminald\.toml$' "$tmp/list" ||
	bad "ships /etc/terminald/terminald.toml: a fresh install must wait for the admin's configuration"
awk '$2 != "root/root" { print $6 " owned by " $2 }' "$tmp/list" | while read -r l; do
	echo "check-deb: $deb: $l" >&2
	exit 1
done || fail=1
# Nothing world-writable, no setuid/setgid bits.
awk 'substr($1, 9, 1) == "w" && substr($1, 1, 1) != "l" { print $6 }
     substr($1, 4, 1) ~ /[sS]/ || substr($1, 7, 1) ~ /[sS]/ { print $6 }' "$tmp/list" >"$tmp/loose"
[ ! -s "$tmp/loose" ] || bad "world-writable or set-id entries: $(tr '\n' ' ' <"$tmp/loose")"

# The binary is an ELF executable for the package's architecture.
bin=$tmp/root/usr/bin/terminald
if [ -f "$bin" ]; then
	magic=$(od -An -c -N4 "$bin" | tr -d ' ')
	machine=$(od -An -tu2 -j18 -N2 "$bin" | tr -d ' ')
	case "$arch" in
	arm64) wantm=183 ;; # EM_AARCH64
	amd64) wantm=62 ;;  # EM_X86_64
	*) wantm=none ;;
	esac
	[ "$magic" = 177ELF ] || bad "usr/bin/terminald is not an ELF binary"
	[ "$magic" != 177ELF ] || [ "$machine" = "$wantm" ] ||
		bad "usr/bin/terminald is for ELF machine $machine, package says $arch"
fi

# Copyright covers every Go module linked into the binary.
doc=$tmp/root/usr/share/doc/terminald
if [ -f "$bin" ] && [ -f "$doc/copyright" ] && command -v go >/dev/null 2>&1; then
	grep -q '^Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' "$doc/copyright" ||
		bad "copyright is not in the machine-readable format"
	for m in $(go version -m "$bin" | awk '$1 == "dep" { print $2 }'); do
		grep -q "^Files:.* $m\( \|$\)" "$doc/copyright" || bad "copyright does not list Go module $m"
	done
fi
# The changelog and the man page.
if [ -f "$doc/changelog.gz" ]; then
	gzip -dc "$doc/changelog.gz" | head -n 1 | grep -Eq '^terminald \([0-9][^)]*\) [a-z]+; urgency=' ||
		bad "changelog.gz does not start with a Debian changelog entry"
fi
man=$tmp/root/usr/share/man/man8/terminald.8.gz
if [ -f "$man" ]; then
	gzip -dc "$man" >"$tmp/terminald.8"
	grep -q '^\.TH TERMINALD 8' "$tmp/terminald.8" || bad "terminald.8 has no .TH TERMINALD 8 header"
	for c in run check\\-config status refund end\\-of\\-day; do
		grep -qxF ".B $c" "$tmp/terminald.8" || bad "terminald.8 does not document the command $c"
	done
	if command -v groff >/dev/null 2>&1; then
		groff -man -Tutf8 -ww -z "$tmp/terminald.8" 2>"$tmp/groff.out" || true
		[ ! -s "$tmp/groff.out" ] || bad "terminald.8: $(head -n 3 "$tmp/groff.out")"
	fi
fi

# The unit and the configuration.
unit=$tmp/root/lib/systemd/system/terminald.service
if [ -f "$unit" ]; then
	grep -q '^ExecStart=/usr/bin/terminald ' "$unit" || bad "unit does not start /usr/bin/terminald"
	grep -q '^Type=notify$' "$unit" || bad "unit is not Type=notify"
	grep -q '^WatchdogSec=' "$unit" || bad "unit has no WatchdogSec="
	grep -q '^User=terminald$' "$unit" || bad "unit does not run as User=terminald"
	grep -q '^ConditionPathExists=/etc/terminald/terminald.toml$' "$unit" ||
		bad "unit does not wait for /etc/terminald/terminald.toml (ConditionPathExists=)"
	grep -q '^RestartPreventExitStatus=78$' "$unit" ||
		bad "unit restarts on a refused configuration (no RestartPreventExitStatus=78)"
fi
grep -q '^u *terminald ' "$tmp/root/usr/lib/sysusers.d/terminald.conf" 2>/dev/null ||
	bad "sysusers snippet creates no terminald user"

# Maintainer scripts: present, executable, valid sh, doing their jobs.
for s in postinst prerm postrm; do
	f=$tmp/control/$s
	if [ ! -f "$f" ]; then
		bad "no $s"
		continue
	fi
	[ -x "$f" ] || bad "$s is not executable"
	sh -n "$f" || bad "$s has a syntax error"
done
# Install, first start, upgrade, remove and purge against a fake systemd,
# with only the tools of essential packages and of the dependencies on PATH.
"$(dirname "$0")/test-maintscripts.sh" "$tmp/control" || bad "maintainer scripts: see above"

[ "$fail" -eq 0 ] || exit 1
echo "check-deb: $deb ok ($pkg $version $arch)"
