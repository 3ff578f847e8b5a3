#!/bin/sh
# test-arm64.sh: run Go tests as linux/arm64 binaries under qemu user-mode
# emulation, the architecture of the terminal boards.
#
# Installs qemu-user-static with apt-get when qemu-aarch64-static is
# missing (needs root). Arguments go to `go test` unchanged; when none of
# them names a package (./… or github.com/…), ./... is tested. CGO is off (no cross C compiler), so -race is not
# available here: the native suite covers races.
#
# Usage: scripts/test-arm64.sh [go test flags] [packages]
#   e.g. scripts/test-arm64.sh -short -count=1 ./money/ ./admin/
set -eu

if ! command -v qemu-aarch64-static >/dev/null 2>&1; then
	echo "test-arm64: qemu-aarch64-static missing; installing qemu-user-static" >&2
	if [ "$(id -u)" -ne 0 ]; then
		echo "test-arm64: need root to apt-get install qemu-user-static" >&2
		exit 1
	fi
	apt-get update >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends qemu-user-static >/dev/null
fi

pkgs=no
for a in "$@"; do
	case "$a" in
	./* | github.com/*) pkgs=yes ;;
	esac
done
[ "$pkgs" = yes ] || set -- "$@" ./...
cd "$(dirname "$0")/.."
exec env GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go test -exec qemu-aarch64-static "$@"
