#!/bin/bash
# A libvirt domain (Debian's libvirt 9.0, its QEMU driver) with a rust_mtty
# instance as <hostdev mode='subsystem' type='mdev' model='vfio-pci'>: it
# starts, its guest (the nested guest's kernel and initramfs, BZIMAGE and
# L2_INITRD, booted directly: <os><kernel>) binds both ports with its
# 8250 driver and loops bytes through them, interrupt-driven; rust_mtty's
# vm_state shows the VM while it runs; the guest powers off, the domain
# is gone, and vm_state shows none.
#
# It runs in the nested guest's VM on the production kernel (check.sh),
# like nested_guest, with libvirtd's QEMU driver, which probes QEMU's
# capabilities when it starts: most of the test's few minutes
# (Documentation/testing.rst has the figures).
#
# libvirtd runs QEMU as root, without the security driver, namespaces,
# cgroups or dynamic ownership (a qemu.conf in the test's copy of
# /etc/libvirt): the VM is a throwaway test machine whose root file
# system is read-only, and what is tested is libvirt's mdev hostdev, not
# its confinement.  The domain has <acpi/>: without it libvirt 9.0 passes
# QEMU -no-acpi, which QEMU 10 no longer has (the nested guest's QEMU
# runs with ACPI, its default, too).  NESTED_TIMEOUT (s, default 600) bounds the domain's
# run, as it bounds QEMU's in nested_guest (30-40 s there).
set -u
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/drivers.sh"
. "$(dirname "$0")/libvirtd.sh"
drv=${MDEV_DRIVER:-rust_mtty}
nested_timeout=${NESTED_TIMEOUT:-600}
dom=rust-mdev-l2-$$

[ -e /dev/kvm ] || { tap_skip "libvirt domain" "no /dev/kvm in this VM (kvm_amd did not load)"; tap_done; }
[ -f "${BZIMAGE:-}" ] && [ -f "${L2_INITRD:-}" ] || { tap_fail "libvirt domain: BZIMAGE or L2_INITRD missing"; tap_done; }
command -v libvirtd > /dev/null ||
	{ tap_skip "libvirt domain" "libvirtd is not installed (scripts/deps.sh installs it)"; tap_done; }
[ -d "/sys/class/mdev_bus/$drv" ] ||
	{ tap_skip "libvirt domain ($drv)" "no mdev parent $drv: module not loaded or not built"; tap_done; }

work=$(mktemp -d /tmp/libvirt-domain.XXXXXX)
uuid=
cleanup() {
	virsh destroy "$dom" > /dev/null 2>&1
	[ -n "$uuid" ] && [ -e "/sys/bus/mdev/devices/$uuid" ] && mdev_remove "$uuid"
	libvirtd_stop
	rm -rf "$work"
}
trap cleanup EXIT

LIBVIRTD_QEMU_CONF='user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
namespaces = []
cgroup_controllers = []
stdio_handler = "file"'
if ! libvirtd_start > "$work/start.log" 2>&1; then
	tap_fail "libvirtd starts (all its drivers)"
	tap_diag < "$work/start.log"
	tap_done
fi
tap_ok "libvirtd starts with its QEMU driver, in $LIBVIRTD_SECS s"
libvirtd --version | tap_diag

if ! uuid=$(mdev_create "$drv" 2); then
	tap_fail "create a $drv-2 instance"
	uuid=
	tap_done
fi
bios=
[ -f /usr/share/qemu/qboot.rom ] && bios="<loader type='rom'>/usr/share/qemu/qboot.rom</loader>"
cat > "$work/domain.xml" <<EOF
<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$dom</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    $bios
    <kernel>$BZIMAGE</kernel>
    <initrd>$L2_INITRD</initrd>
    <cmdline>console=ttyS0 ${NESTED_APPEND:-loglevel=3} panic=-1</cmdline>
  </os>
  <features>
    <acpi/>
  </features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>$(command -v qemu-system-x86_64)</emulator>
    <controller type='usb' model='none'/>
    <serial type='file'>
      <source path='$work/l2.log'/>
      <target port='0'/>
    </serial>
    <hostdev mode='subsystem' type='mdev' model='vfio-pci'>
      <source>
        <address uuid='$uuid'/>
      </source>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x10' function='0x0'/>
    </hostdev>
    <memballoon model='none'/>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-cpu'/>
    <qemu:arg value='${NESTED_CPU:-qemu64,kvm-pv-eoi=off}'/>
  </qemu:commandline>
</domain>
EOF
addr=0000:00:10.0
vm_state=/sys/bus/mdev/devices/$uuid/rust_mtty/vm_state
t0=$(date +%s)
out=$(virsh create "$work/domain.xml" 2>&1)
rc=$?
echo "$out" | tap_diag
tap_check "virsh create: a domain with the $drv instance as an mdev hostdev starts" test $rc = 0
attached=no timed_out=
if [ $rc = 0 ]; then
	# Event-driven: the guest powers off after its checks, and the
	# transient domain is then gone; NESTED_TIMEOUT guards a hang.
	while virsh domstate "$dom" > /dev/null 2>&1; do
		[ -f "$vm_state" ] && grep -q '^vm: attached' "$vm_state" && attached=yes
		if [ $(($(date +%s) - t0)) -ge "$nested_timeout" ]; then
			timed_out=yes
			echo "the domain still ran after NESTED_TIMEOUT=$nested_timeout s: destroyed" | tap_diag
			virsh destroy "$dom" 2>&1 | tap_diag
			break
		fi
		sleep 0.5
	done
fi
echo "domain ran for $(($(date +%s) - t0)) s" | tap_diag
tr -d '\r' < "$work/l2.log" > "$work/l2.txt" 2>/dev/null
grep '^L2-' "$work/l2.txt" | tap_diag
f=$(ls /var/log/libvirt/qemu/"$dom".log 2>/dev/null)
[ -n "$f" ] && grep -v '^[A-Z_]*=' "$f" | tail -n 15 | sed 's/^/qemu log: /' | tap_diag

tap_check "the guest ran all its checks and powered off" grep -qx 'L2-DONE' "$work/l2.txt"
tap_check "guest sees 4348:3253 class 0x070002 at $addr, bound by serial" \
	grep -q "^L2-PCI: $addr 0x4348:0x3253 class 0x070002 driver serial" "$work/l2.txt"
ports=$(sed -n "s/^L2-PORT: $addr //p" "$work/l2.txt")
tap_check "guest's 8250 driver bound both ports ($(echo $ports))" test "$(echo $ports | wc -w)" = 2
for p in $ports; do
	tap_check "$p loopback, interrupt-driven" grep -q "^L2-LOOPBACK: $p ok" "$work/l2.txt"
done
tap_check "the domain is gone after the guest powered off" \
	test -z "$timed_out" -a "$(virsh list --all --name | grep -cx "$dom")" = 0
tap_check "vm_state showed the VM while the domain ran" test $attached = yes
tap_check "vm_state shows none after the domain ended" grep -qx 'vm: none' "$vm_state"
tap_done
