#!/bin/bash
# Inside the test VM, for `make run`: the main job, narrated: the nested
# guest on an instance of the driver, then its live migration from one
# instance to another (selftests/smoke/nested_migration.sh).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=$1
drv=${MDEV_DRIVER:-rust_mtty}
export RUST_MTTY_KO=${RUST_MTTY_KO:-$TOP/rust_mtty.ko}
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
# The live migration: the same guest on one instance, a second QEMU
# waiting on another, and QEMU moving the guest across while its bytes go
# round the ports' loopback.
echo "run: live migration: the guest starts on instance A of $drv, a second QEMU waits for it on instance B"
if MDEV_DRIVER=$drv NESTED_OUT=$OUT/migration "$TOP/selftests/smoke/nested_migration.sh" > "$OUT/migration.tap" 2>&1; then
	mig=ok
else
	mig=FAILED rc=1
fi
sed 's/^# /run: migration test: /; s/^\(not \)\{0,1\}ok [0-9]* /run: check: &/; /^1\.\./d' "$OUT/migration.tap"
# The story in three lines: how long, how long the guest stood still, and
# the bytes that came back after the switch.
echo "run: live migration $mig: $(sed -n 's/^# migration: //p' "$OUT/migration.tap")"
echo "run: what survived it, $(sed -n 's/^# survived the migration: //p' "$OUT/migration.tap"):"
sed -n 's/^# \(cut\|dst\): L2-MIG-ROUND: /run:   round /p' "$OUT/migration.tap"
lsmod | grep -E "^($drv|kvm|kvm_amd|vfio_mdev) " | sed 's/^/run: lsmod: /'
rmmod "$drv" 2>/dev/null
# The reports make check fails on (summarize.py says which).
bad=$(dmesg | grep -E -f "$TOP/scripts/splat.ere")
if [ -n "$bad" ]; then
	sed 's/^/run: kernel log: /' <<< "$bad"
	rc=1
fi
[ $rc = 0 ] && echo "run: ok" || echo "run: FAILED"
