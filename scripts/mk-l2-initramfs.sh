#!/usr/bin/env bash
# Build the nested guest's initramfs: busybox-static and scripts/guest/l2-init.
set -euo pipefail
. "$(dirname "$0")/env.sh"
out=$1
bb=/bin/busybox	# from busybox-static: the guest has no libc
[ -x "$bb" ] || die "busybox-static is missing: run scripts/deps.sh"
if [ -f "$out" ] && [ "$out" -nt "$TOP/scripts/guest/l2-init" ] && [ "$out" -nt "$bb" ]; then
	exit 0
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp}
cp "$bb" "$root/bin/busybox"
install -m 755 "$TOP/scripts/guest/l2-init" "$root/init"
mkdir -p "$(dirname "$out")"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) > "$out"
