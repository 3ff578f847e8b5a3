#!/bin/sh
# test-maintscripts.sh: run terminald's maintainer scripts through install,
# first start, upgrade, remove and purge against a fake systemd that records
# every call, and check what they did.
#
# The scripts run with DPKG_ROOT pointing at a scratch root (dpkg's variable
# for chrootless installs), and with a PATH that holds only the fakes
# (systemctl, deb-systemd-helper, deb-systemd-invoke, systemd-sysusers,
# systemd-tmpfiles — tools of the package's Depends — and chgrp, because
# the terminald group does not exist here) plus the tools of essential
# packages they use. A call of any other tool fails the run ("not found"),
# so this also checks that the scripts call nothing they do not depend on.
# A real systemd is not started (this runs in containers without one).
#
# Usage: scripts/test-maintscripts.sh [DIR]   (DIR holds postinst, prerm,
#        postrm; default packaging/deb)
set -eu

dir=${1:-$(dirname "$0")/../packaging/deb}
for s in postinst prerm postrm; do
	[ -f "$dir/$s" ] || { echo "test-maintscripts: $dir/$s not found" >&2; exit 1; }
done
dir=$(cd "$dir" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
bad() {
	echo "test-maintscripts: $*" >&2
	fail=1
}

bin=$tmp/bin
mkdir -p "$bin"
# Tools from essential packages (dash, coreutils) the scripts may use.
for t in sh stat chmod rm rmdir; do
	ln -s "$(command -v $t)" "$bin/$t"
done
# Fakes: record "tool args" in $CALLS. deb-systemd-helper keeps the
# enabled state in $STATE/enabled (new installs count as enabled, as the
# real was-enabled does) and $STATE/disabled (the admin disabled it).
for t in systemctl deb-systemd-invoke systemd-sysusers systemd-tmpfiles chgrp; do
	printf '#!/bin/sh\necho "%s $*" >>"$CALLS"\n' "$t" >"$bin/$t"
done
cat >"$bin/deb-systemd-helper" <<'FAKE'
#!/bin/sh
echo "deb-systemd-helper $*" >>"$CALLS"
[ "$1" = --quiet ] && shift
case "$1" in
was-enabled) [ ! -e "$STATE/disabled" ] ;;
*) exit 0 ;;
esac
FAKE
chmod 0755 "$bin"/*

# run NAME SCRIPT ARGS...: a fresh call log, then the script.
run() {
	name=$1 script=$2
	shift 2
	: >"$tmp/calls"
	if ! env -i PATH="$bin" DPKG_ROOT="$root" CALLS="$tmp/calls" STATE="$tmp/state" \
		"$bin/sh" "$dir/$script" "$@" >"$tmp/out" 2>&1; then
		bad "$name: $script $* failed:"
		sed 's/^/  /' "$tmp/out" >&2
	fi
}
called() { grep -qxF "$1" "$tmp/calls" || bad "$name: no call '$1' (calls: $(tr '\n' ';' <"$tmp/calls"))"; }
not_called() { ! grep -q "$1" "$tmp/calls" || bad "$name: unexpected call matching '$1': $(grep "$1" "$tmp/calls" | tr '\n' ';')"; }

root=$tmp/root
mkdir -p "$root/run/systemd/system" "$tmp/state"

# 1. Fresh install, not configured: enabled, not started, and it says how to go on.
run "fresh install" postinst configure ""
called "systemd-sysusers --root=$root terminald.conf"
called "deb-systemd-helper enable terminald.service"
called "systemctl --system daemon-reload"
not_called "invoke start"
not_called "restart"
grep -q "systemctl start terminald" "$tmp/out" || bad "fresh install: no hint how to start it: $(cat "$tmp/out")"

# 2. The admin wrote the configuration; a reinstall (or an image built with
#    the configuration in place) starts it, and the file gets group terminald.
mkdir -p "$root/etc/terminald"
echo '[terminal]' >"$root/etc/terminald/terminald.toml"
chmod 0644 "$root/etc/terminald/terminald.toml"
run "install, configured" postinst configure ""
called "deb-systemd-invoke start terminald.service"
called "chgrp terminald $root/etc/terminald/terminald.toml"
[ "$(stat -c %a "$root/etc/terminald/terminald.toml")" = 640 ] || bad "configuration not made 0640"

# 3. Upgrade: a running service is restarted, never started if stopped.
run "upgrade" postinst configure 1.0.0
called "deb-systemd-invoke try-restart terminald.service"
not_called "invoke start"
called "deb-systemd-helper enable terminald.service"

# 4. Upgrade of a unit the admin disabled: it stays disabled.
touch "$tmp/state/disabled"
run "upgrade, disabled" postinst configure 1.0.0
called "deb-systemd-helper update-state terminald.service"
not_called "helper enable"
rm "$tmp/state/disabled"

# 5. No systemd running (a chroot, an image build): nothing is started.
rm -r "$root/run/systemd/system"
run "install without systemd" postinst configure ""
not_called "systemctl"
not_called "deb-systemd-invoke"
mkdir -p "$root/run/systemd/system"

# 6. Upgrade keeps it running (prerm upgrade stops nothing); remove stops it.
run "prerm upgrade" prerm upgrade 1.1.0
not_called "stop"
run "prerm remove" prerm remove
called "deb-systemd-invoke stop terminald.service"
run "postrm remove" postrm remove
called "deb-systemd-helper mask terminald.service"
[ -f "$root/etc/terminald/terminald.toml" ] || bad "remove deleted the configuration"

# 7. Purge: configuration and credentials go, payment records stay.
mkdir -p "$root/etc/terminald/credentials" "$root/var/lib/terminald"
echo secret >"$root/etc/terminald/credentials/acountpay_client_secret"
run "purge" postrm purge
called "deb-systemd-helper purge terminald.service"
[ ! -e "$root/etc/terminald" ] || bad "purge left $(find "$root/etc/terminald" | tr '\n' ' ')"
[ -d "$root/var/lib/terminald" ] || bad "purge deleted the payment records"
grep -q "payment records kept" "$tmp/out" || bad "purge does not say the payment records were kept"

[ "$fail" -eq 0 ] || exit 1
echo "test-maintscripts: $dir: install, first start, upgrade, remove and purge ok"
