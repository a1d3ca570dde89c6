#!/bin/bash
# A nested QEMU guest with KVM uses an mdev instance through
# -device vfio-pci,sysfsdev=...: its 8250 driver binds the ports and bytes
# written to them come back through the loopback, interrupt-driven.  While
# the guest runs the host shows the instance, the attached VM and the
# module reference counts.  Needs BZIMAGE and L2_INITRD (set by the runner).
. "$(dirname "$0")/tap.sh"
drv=${MDEV_DRIVER:-mtty}
name="nested guest ($drv)"

[ -d "/sys/class/mdev_bus/$drv" ] || { tap_skip "$name" "no mdev parent $drv: module not loaded or not built"; tap_done; }
[ -e /dev/kvm ] || { tap_skip "$name" "no /dev/kvm in this VM (kvm_amd did not load)"; tap_done; }
[ -f "${BZIMAGE:-}" ] && [ -f "${L2_INITRD:-}" ] || { tap_fail "$name: BZIMAGE or L2_INITRD missing"; tap_done; }
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug

uuid=$(mdev_create "$drv" 2) || { tap_fail "$name: create a $drv-2 instance"; tap_done; }
dev=/sys/bus/mdev/devices/$uuid
state_attr=$dev/rust_mtty/vm_state
work=$(mktemp -d)
vms_before=$(ls /sys/kernel/debug/kvm | grep -c -- '-')

host_view() {
	echo "host: instance $uuid, type $(basename "$(readlink "$dev/mdev_type")"), group $(basename "$(readlink "$dev/iommu_group")")"
	[ -f "$state_attr" ] && sed 's/^/host: vm_state: /' "$state_attr"
	echo "host: VMs in /sys/kernel/debug/kvm: $(ls /sys/kernel/debug/kvm | grep -- '-' | tr '\n' ' ')"
	for m in kvm kvm_amd vfio_mdev "$drv"; do
		[ -f "/sys/module/$m/refcnt" ] && echo "host: /sys/module/$m/refcnt = $(cat "/sys/module/$m/refcnt")"
	done
}

t0=$(date +%s%N)
timeout 1500 qemu-system-x86_64 -accel kvm -m 512 -display none -no-reboot \
	-serial "file:$work/l2.log" -kernel "$BZIMAGE" -initrd "$L2_INITRD" \
	-append "console=ttyS0 panic=-1" \
	-device "vfio-pci,sysfsdev=$dev" </dev/null >"$work/qemu.out" 2>&1 &
qpid=$!

attached=no; shown=no; userspace_ms=
while kill -0 $qpid 2>/dev/null; do
	if [ -f "$state_attr" ] && grep -q '^vm: attached' "$state_attr"; then
		attached=yes
	fi
	if [ $shown = no ] && [ "$(ls /sys/kernel/debug/kvm | grep -c -- '-')" -gt "$vms_before" ]; then
		host_view | tap_diag
		shown=yes
	fi
	if [ -z "$userspace_ms" ] && grep -q '^L2-UPTIME' "$work/l2.log" 2>/dev/null; then
		userspace_ms=$((($(date +%s%N) - t0) / 1000000))
	fi
	sleep 0.5
done
wait $qpid
qrc=$?
total_ms=$((($(date +%s%N) - t0) / 1000000))
tr -d '\r' < "$work/l2.log" > "$work/l2.txt"
echo "nested guest: userspace after ${userspace_ms:-?} ms, exited after $total_ms ms (rc $qrc)" | tap_diag
grep '^L2-' "$work/l2.txt" | tap_diag
[ "${VERBOSE:-0}" = 1 ] || [ $qrc = 0 ] || { tap_diag < "$work/qemu.out"; tail -n 40 "$work/l2.txt" | tap_diag; }

tap_check "$name: QEMU ran the guest and exited cleanly" test $qrc = 0
tap_check "$name: guest sees 4348:3253 class 0x070002" \
	grep -q '^L2-PCI: .* 0x4348:0x3253 class 0x070002 driver serial' "$work/l2.txt"
ports=$(sed -n 's/^L2-PORTS://p' "$work/l2.txt")
tap_check "$name: guest's 8250 driver bound both ports" test "$(echo $ports | wc -w)" = 2
for p in $ports; do
	tap_check "$name: $p loopback, interrupt-driven" grep -q "^L2-LOOPBACK: $p ok" "$work/l2.txt"
done
if [ -f "$state_attr" ]; then
	tap_check "$name: vm_state showed the VM while the guest ran" test $attached = yes
	tap_check "$name: vm_state shows none after QEMU exited" grep -qx 'vm: none' "$state_attr"
else
	tap_skip "$name: vm_state while running and after exit" "known difference: $drv has no vm_state attribute"
fi
tap_check "$name: the VM is gone after QEMU exited" \
	test "$(ls /sys/kernel/debug/kvm | grep -c -- '-')" = "$vms_before"
mdev_remove "$uuid"
tap_check "$name: instance removed" test ! -e "$dev"
reload() {
	rmmod "$drv" && [ ! -d "/sys/module/$drv" ] || return 1
	case $drv in
	rust_mtty) insmod "$RUST_MTTY_KO" ;;
	*) modprobe "$drv" ;;
	esac
}
tap_check "$name: $drv unloads afterwards (and is reloaded)" reload
rm -rf "$work"
tap_done
