#!/bin/bash
# DKMS: rust_mtty added, built and installed by Debian's dkms from a clean
# clone, with the repository's dkms.conf, for this kernel (done on the
# host before the VM boots, by scripts/dkms.sh: the steps' results are in
# build/dkms/steps), and the installed module loaded here in place of the
# one the test VM loaded: it registers its parent and types, an instance
# is created and removed, and it unloads.  The VM's own module is loaded
# again at the end.
set -u
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/drivers.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
out=$TOP/build/dkms
drv=rust_mtty

if [ ! -f "$out/steps" ]; then
	tap_fail "DKMS steps ran on the host (no $out/steps: scripts/dkms.sh did not run)"
	tap_done
fi
if grep -q '^skip ' "$out/steps"; then
	tap_skip "DKMS" "$(sed -n 's/^skip //p' "$out/steps")"
	tap_done
fi
sed 's/^/dkms /' "$out/version" 2>/dev/null | tap_diag
for s in clone add build install; do
	read -r rc secs <<< "$(awk -v s=$s '$1 == s { print $2, $3 }' "$out/steps")"
	if [ -z "$rc" ]; then
		tap_fail "$s (not run: an earlier step failed)"
	elif [ "$rc" = 0 ]; then
		tap_ok "$s ($secs s)"
	else
		tap_fail "$s (exit $rc)"
		tail -n 30 "$out/$s.log" | tap_diag
	fi
done
[ -f "$out/status.log" ] && tap_diag < "$out/status.log"

krel=$(cat "$out/release" 2>/dev/null)
ko=$out/modules/$krel/updates/dkms/$drv.ko
tap_check "installed into the install tree: ${ko#"$TOP"/}" test -f "$ko"
tap_check "built for this kernel: $krel = $(uname -r)" test "$krel" = "$(uname -r)"
if [ ! -f "$ko" ]; then
	tap_done
fi

if [ -d "/sys/module/$drv" ]; then
	tap_check "unload the test VM's $drv" rmmod "$drv"
fi
modprobe mdev
tap_check "insmod the DKMS-installed $drv.ko" insmod "$ko"
tap_check "its mdev parent is registered" test -d "/sys/class/mdev_bus/$drv"
if uuid=$(mdev_create "$drv" 1); then
	tap_check "create a $drv-1 instance" test -d "/sys/bus/mdev/devices/$uuid"
	mdev_remove "$uuid"
	tap_check "remove it" test ! -e "/sys/bus/mdev/devices/$uuid"
else
	tap_fail "create a $drv-1 instance"
fi
tap_check "unload the DKMS-installed $drv" rmmod "$drv"
tap_check "load the test VM's $drv again" load_driver "$drv"
tap_done
