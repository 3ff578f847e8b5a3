#!/bin/sh
# verify-unit.sh: check terminald's systemd files the way systemd reads
# them: `systemd-analyze verify` on the unit, an offline security score,
# and the sysusers.d/tmpfiles.d snippets applied to a scratch root.
#
# Installs systemd with apt-get when systemd-analyze is missing (as root).
# systemd-analyze verify insists that ExecStart= names an existing
# executable, so the unit is checked as a copy whose ExecStart points at a
# stub in a temporary directory; everything else is the shipped file.
#
# Usage: scripts/verify-unit.sh [SYSTEMD_DIR]   (default: systemd/)
set -eu

dir=${1:-$(dirname "$0")/../systemd}
unit=$dir/terminald.service
[ -f "$unit" ] || { echo "verify-unit: $unit not found" >&2; exit 1; }

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "verify-unit: systemd-analyze missing; installing systemd" >&2
	if [ "$(id -u)" -ne 0 ]; then
		echo "verify-unit: need root to apt-get install systemd" >&2
		exit 1
	fi
	apt-get update >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends systemd >/dev/null
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# 1. systemd-analyze verify, failing on any warning it prints.
mkdir -p "$tmp/bin"
printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/terminald"
chmod 0755 "$tmp/bin/terminald"
sed "s#/usr/bin/terminald#$tmp/bin/terminald#g" "$unit" >"$tmp/terminald.service"
if ! systemd-analyze verify "$tmp/terminald.service" >"$tmp/verify.out" 2>&1 || [ -s "$tmp/verify.out" ]; then
	echo "verify-unit: systemd-analyze verify $unit:" >&2
	sed "s#$tmp/#systemd/#g" "$tmp/verify.out" >&2
	exit 1
fi
echo "verify-unit: $unit: systemd-analyze verify ok"

# 2. Hardening must stay good: exposure score at most 3.0 ("OK").
if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
	if ! systemd-analyze security --offline=true --threshold=30 "$tmp/terminald.service" >"$tmp/security.out" 2>&1; then
		tail -n 30 "$tmp/security.out" >&2
		echo "verify-unit: exposure score above 3.0" >&2
		exit 1
	fi
	echo "verify-unit: $(grep 'Overall exposure' "$tmp/security.out" | sed 's#.*for ##')"
fi

# 3. sysusers.d and tmpfiles.d snippets, applied to a scratch root.
root=$tmp/root
mkdir -p "$root/etc" "$root/usr/lib/sysusers.d" "$root/usr/lib/tmpfiles.d"
: >"$root/etc/passwd"
: >"$root/etc/group"
cp "$dir/terminald.sysusers" "$root/usr/lib/sysusers.d/terminald.conf"
cp "$dir/terminald.tmpfiles" "$root/usr/lib/tmpfiles.d/terminald.conf"
systemd-sysusers --root="$root" >"$tmp/sysusers.out" 2>&1 || { cat "$tmp/sysusers.out" >&2; exit 1; }
grep -q '^terminald:' "$root/etc/passwd" || { echo "verify-unit: sysusers created no terminald user" >&2; exit 1; }
for g in dialout spi gpio input lp video; do
	grep -q "^$g:.*[:,]terminald" "$root/etc/group" || { echo "verify-unit: terminald not in group $g" >&2; exit 1; }
done
systemd-tmpfiles --root="$root" --create >"$tmp/tmpfiles.out" 2>&1 || { cat "$tmp/tmpfiles.out" >&2; exit 1; }
[ "$(stat -c %a "$root/etc/terminald/credentials")" = 750 ] || { echo "verify-unit: credentials dir not 0750" >&2; exit 1; }
[ -d "$root/var/lib/terminald" ] || { echo "verify-unit: no state dir" >&2; exit 1; }
echo "verify-unit: sysusers and tmpfiles snippets ok"
