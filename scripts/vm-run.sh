#!/bin/bash
# Inside the test VM, for `make run`: the main job, narrated.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=$1
drv=${MDEV_DRIVER:-rust_mtty}
export RUST_MTTY_KO=${RUST_MTTY_KO:-$TOP/samples/rust_mtty/rust_mtty.ko}
export L2_INITRD=$TOP/build/l2-initramfs.cpio.gz VERBOSE=1
BZIMAGE=$(cat "$TOP/build/l2-bzimage-path"); export BZIMAGE

echo "run: kernel $(uname -r), booted in $(cut -d' ' -f1 /proc/uptime) s"
modprobe kvm_amd && echo "run: kvm_amd loaded, /dev/kvm $(test -e /dev/kvm && echo present || echo MISSING)"
# shellcheck source=selftests/smoke/drivers.sh
. "$TOP/selftests/smoke/drivers.sh"
load_driver "$drv" || { echo "run: FAILED to load $drv"; exit 1; }
echo "run: $drv loaded; its types:"
for t in /sys/class/mdev_bus/"$drv"/mdev_supported_types/*; do
	printf 'run:   %s "%s" available_instances=%s %s\n' "${t##*/}" "$(cat "$t/name")" \
		"$(cat "$t/available_instances")" "$(cat "$t/description" 2>/dev/null)"
done
echo "run: starting the nested guest (this takes several minutes: TCG emulates the nested SVM)"
if MDEV_DRIVERS=$drv NESTED_OUT=$OUT/nested "$TOP/selftests/smoke/nested_guest.sh" | sed 's/^# /run: /; s/^\(not \)\{0,1\}ok [0-9]* /run: check: &/'; then
	rc=0
else
	rc=1
fi
lsmod | grep -E "^($drv|kvm|kvm_amd|vfio_mdev) " | sed 's/^/run: lsmod: /'
rmmod "$drv" 2>/dev/null
# The reports make check fails on (summarize.py says which).
bad=$(dmesg | grep -E -f "$TOP/scripts/splat.ere")
if [ -n "$bad" ]; then
	sed 's/^/run: kernel log: /' <<< "$bad"
	rc=1
fi
[ $rc = 0 ] && echo "run: ok" || echo "run: FAILED"
