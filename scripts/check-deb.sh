#!/bin/sh
# check-deb.sh: assert that a terminald .deb holds what an install needs:
# control fields, the binary for the package's architecture, the unit,
# the sysusers/tmpfiles snippets, the configuration as a conffile, the
# maintainer scripts, and the right owners and permissions.
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
want -rw-r----- etc/terminald/terminald.toml
want drwxr-x--- etc/terminald/credentials
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

# The unit and the configuration.
unit=$tmp/root/lib/systemd/system/terminald.service
if [ -f "$unit" ]; then
	grep -q '^ExecStart=/usr/bin/terminald ' "$unit" || bad "unit does not start /usr/bin/terminald"
	grep -q '^Type=notify$' "$unit" || bad "unit is not Type=notify"
	grep -q '^WatchdogSec=' "$unit" || bad "unit has no WatchdogSec="
	grep -q '^User=terminald$' "$unit" || bad "unit does not run as User=terminald"
fi
grep -qx /etc/terminald/terminald.toml "$tmp/control/conffiles" 2>/dev/null ||
	bad "/etc/terminald/terminald.toml is not a conffile"
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
grep -q systemd-sysusers "$tmp/control/postinst" 2>/dev/null || bad "postinst does not create the user"
grep -q 'deb-systemd-helper enable' "$tmp/control/postinst" 2>/dev/null || bad "postinst does not enable the unit"
grep -q 'stop terminald.service' "$tmp/control/prerm" 2>/dev/null || bad "prerm does not stop the service"

[ "$fail" -eq 0 ] || exit 1
echo "check-deb: $deb ok ($pkg $version $arch)"
