#!/bin/bash
# A nested QEMU guest with KVM uses mdev instances through
# -device vfio-pci,sysfsdev=...: its 8250 driver binds the ports and bytes
# written to them come back through the loopback, interrupt-driven.  While
# the guest runs the host shows the instances, the attached VM and the
# module reference counts; after QEMU exits the VM is gone and the drivers
# unload.
#
# rust_mshm's instance (in MDEV_DRIVERS too) has no driver in the guest:
# the guest reads and writes its BARs through /dev/mem, and BAR2's sparse
# mmap area reaches it mapped by QEMU (scripts/guest/l2-init).
#
# One guest serves every driver of MDEV_DRIVERS (default "mtty rust_mtty
# rust_mshm"), one instance each (2 ports for the serial cards), at PCI
# slot 0x10, 0x11, ...: booting the guest is what takes the time under
# TCG.  Needs BZIMAGE and L2_INITRD (set by
# the runner).  NESTED_OUT, if set, receives the guest's console,
# QEMU's output and its trace of the KVM INTx acceleration and of the
# regions it maps; NESTED_CPU (default qemu64,kvm-pv-eoi=off) is the
# guest's CPU model (testing.rst, "The nested guest's hang", says why);
# NESTED_APPEND replaces "loglevel=3" on the guest's kernel
# command line, NESTED_TIMEOUT (s) the 600 s QEMU is given: a run takes
# 30-40 s on the production kernel (testing.rst), and the guest bounds
# its own waits.
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/drivers.sh"
drivers=${MDEV_DRIVERS:-mtty rust_mtty rust_mshm}

[ -e /dev/kvm ] || { tap_skip "nested guest" "no /dev/kvm in this VM (kvm_amd did not load)"; tap_done; }
[ -f "${BZIMAGE:-}" ] && [ -f "${L2_INITRD:-}" ] || { tap_fail "nested guest: BZIMAGE or L2_INITRD missing"; tap_done; }
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug

# The guest's console is a file QEMU writes a byte at a time: keep it off
# 9p, in the VM's own /tmp, and copy it to NESTED_OUT at the end.
work=$(mktemp -d)
vm_count() { ls /sys/kernel/debug/kvm | grep -c -- '-'; }
vms_before=$(vm_count)

# The instances: driver, uuid and guest PCI address, by position.
used=() uuids=() addrs=() devargs=()
slot=16
for drv in $drivers; do
	if [ ! -d "/sys/class/mdev_bus/$drv" ]; then
		tap_skip "nested guest ($drv)" "no mdev parent $drv: module not loaded or not built"
		continue
	fi
	ty=2
	[ "$drv" = rust_mshm ] && ty=4
	if ! uuid=$(mdev_create "$drv" $ty); then
		tap_fail "nested guest ($drv): create a $drv-$ty instance"
		continue
	fi
	used+=("$drv") uuids+=("$uuid")
	addrs+=("$(printf '0000:00:%02x.0' $slot)")
	devargs+=(-device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$uuid,addr=$(printf '%x' $slot).0")
	slot=$((slot + 1))
done
[ ${#used[@]} -gt 0 ] || tap_done

host_view() {
	local i m dev
	for i in "${!used[@]}"; do
		dev=/sys/bus/mdev/devices/${uuids[$i]}
		echo "host: ${used[$i]} instance ${uuids[$i]}, type $(basename "$(readlink "$dev/mdev_type")"), group $(basename "$(readlink "$dev/iommu_group")"), guest address ${addrs[$i]}"
		[ -f "$dev/rust_mtty/vm_state" ] && sed "s/^/host: ${used[$i]} vm_state: /" "$dev/rust_mtty/vm_state"
	done
	echo "host: VMs in /sys/kernel/debug/kvm: $(ls /sys/kernel/debug/kvm | grep -- '-' | tr '\n' ' ')"
	echo "host: kvm_amd $(cd /sys/module/kvm_amd/parameters 2>/dev/null && grep -H . npt nested avic vgif vls 2>/dev/null | tr '\n' ' ')"
	for m in kvm kvm_amd vfio_mdev "${used[@]}"; do
		[ -f "/sys/module/$m/refcnt" ] && echo "host: /sys/module/$m/refcnt = $(cat "/sys/module/$m/refcnt")"
	done
}

# Every exit of the nested guest is emulated by TCG, so the guest is kept
# quiet: no default devices (SeaBIOS would run the NIC's option ROM), qboot
# instead of SeaBIOS where the distribution ships it, and only errors of
# the guest kernel on its serial console, one trapped port access a byte.
bios=()
[ -f /usr/share/qemu/qboot.rom ] && bios=(-bios /usr/share/qemu/qboot.rom)
t0=$(date +%s%N)
ms() { echo $((($(date +%s%N) - t0) / 1000000)); }
nested_timeout=${NESTED_TIMEOUT:-600}
qemu-system-x86_64 -accel kvm -cpu "${NESTED_CPU:-qemu64,kvm-pv-eoi=off}" -m 256 -nodefaults \
	-display none -no-reboot "${bios[@]}" -serial "file:$work/l2.log" \
	-trace vfio_intx_enable_kvm -trace vfio_region_mmap -D "$work/qemu.trace" \
	-monitor "unix:$work/monitor,server=on,wait=off" \
	-kernel "$BZIMAGE" -initrd "$L2_INITRD" \
	-append "console=ttyS0 ${NESTED_APPEND:-loglevel=3} panic=-1" \
	"${devargs[@]}" </dev/null >"$work/qemu.out" 2>&1 &
qpid=$!

# HMP commands to QEMU's monitor, their output on stdout.
monitor() {	# COMMAND...
	python3 "$(dirname "$0")/../../scripts/hmp.py" "$work/monitor" "$@"
}

# KVM's exit counters of the guest's VM, last read while it ran: where
# the time goes (each exit is emulated by TCG).
kvm_stats() {	# VM_DIR
	local c out=
	for c in exits io_exits mmio_exits halt_exits irq_exits irq_injections insn_emulation; do
		out="$out $c=$(cat "$1/$c" 2>/dev/null)"
	done
	echo "${out# }"
}
vms_then=$(ls -d /sys/kernel/debug/kvm/*-* 2>/dev/null)
vm_dir=; stats=; boot_stats=

declare -A attached
shown=no; userspace_ms=; vm_ms=; timed_out=
while kill -0 $qpid 2>/dev/null; do
	if [ -z "$timed_out" ] && [ "$(ms)" -gt $((nested_timeout * 1000)) ]; then
		# A hang: where the guest's vCPU is, then the end of QEMU.
		timed_out=$(ms)
		monitor "info status" "info registers" > "$work/hang.txt" 2>&1
		kill $qpid
	elif [ -n "$timed_out" ] && [ $(($(ms) - timed_out)) -gt 30000 ]; then
		# QEMU did not end in 30 s: where it is stuck in this kernel.
		{
			echo "QEMU did not exit 30 s after SIGTERM; its threads:"
			for t in /proc/$qpid/task/*; do
				echo "thread ${t##*/} $(cut -d' ' -f3 "$t/stat" 2>/dev/null) $(cat "$t/wchan" 2>/dev/null)"
				sed 's/^/  /' "$t/stack" 2>/dev/null
			done
		} >> "$work/hang.txt"
		kill -9 $qpid
		break
	fi
	if [ -z "$vm_dir" ]; then
		for d in /sys/kernel/debug/kvm/*-*; do
			[ -d "$d" ] && ! grep -qxF "$d" <<< "$vms_then" && vm_dir=$d
		done
	fi
	[ -n "$vm_dir" ] && [ -d "$vm_dir" ] && stats=$(kvm_stats "$vm_dir")
	for i in "${!used[@]}"; do
		f=/sys/bus/mdev/devices/${uuids[$i]}/rust_mtty/vm_state
		[ -f "$f" ] && grep -q '^vm: attached' "$f" && attached[$i]=yes
	done
	if [ $shown = no ] && [ "$(vm_count)" -gt "$vms_before" ]; then
		vm_ms=$(ms)
		host_view | tap_diag
		shown=yes
	fi
	if [ -z "$userspace_ms" ] && grep -q '^L2-UPTIME' "$work/l2.log" 2>/dev/null; then
		userspace_ms=$(ms)
		boot_stats=$stats
	fi
	sleep 0.5
done
# A QEMU stuck in this kernel is not waited for: the report says where,
# and its instances, which it holds open, are not removed (that would
# wait for it for ever).
stuck=
if kill -0 $qpid 2>/dev/null; then stuck=yes qrc=124; else wait $qpid; qrc=$?; fi
[ -z "$timed_out" ] || qrc=124
total_ms=$(ms)
tr -d '\r' < "$work/l2.log" > "$work/l2.txt"
if [ -n "$timed_out" ]; then
	echo "nested guest: QEMU killed by NESTED_TIMEOUT after $nested_timeout s; its monitor said:" | tap_diag
	sed 's/^/hang: /' "$work/hang.txt" | tap_diag
fi
echo "nested guest: VM created after ${vm_ms:-?} ms, userspace after ${userspace_ms:-?} ms, exited after $total_ms ms (rc $qrc)" | tap_diag
echo "nested guest: KVM counters at its userspace: ${boot_stats:-?}" | tap_diag
echo "nested guest: KVM counters at the end: ${stats:-?}" | tap_diag
grep '^L2-' "$work/l2.txt" | tap_diag
# QEMU says nothing when all goes well: anything it said is worth seeing.
[ -s "$work/qemu.out" ] && sed 's/^/qemu: /' "$work/qemu.out" | tap_diag
[ "${VERBOSE:-0}" = 1 ] || [ $qrc = 0 ] || tail -n 40 "$work/l2.txt" | tap_diag

# rust_mshm's instance at $addr (uuid $uuid), from what the guest
# printed (L2-MSHM lines of scripts/guest/l2-init) and QEMU's trace.
mshm_checks() {
	local l2=$work/l2.txt
	sed -n "s/^L2-MSHM[-A-Z]*: $addr //p" "$l2" | sed "s/^/guest: rust_mshm /" | tap_diag
	tap_check "$name: guest sees f1d0:5348 class 0x058000 at $addr, no driver" \
		grep -q "^L2-PCI: $addr 0xf1d0:0x5348 class 0x058000 driver none" "$l2"
	# QEMU maps the sparse mmap area of BAR2 (pages 1-3) into the
	# guest: trace vfio_region_mmap, "Region <name> mmaps[0] [start -
	# end]" with offsets into the BAR.
	tap_check "$name: QEMU mapped BAR2's sparse area (0x1000-0x3fff) into the guest" \
		grep -q "vfio_region_mmap Region $uuid BAR 2 mmaps\[0\] \[0x1000 - 0x3fff\]" "$work/qemu.trace"
	tap_check "$name: BAR0 reads ID, VERSION and MEM_SIZE (trapped)" \
		grep -qx "L2-MSHM-REGS: $addr 0x4D48534D 0x00010000 0x00004000" "$l2"
	tap_check "$name: BAR0's SCRATCH keeps what the guest wrote (trapped)" \
		grep -qx "L2-MSHM-SCRATCH: $addr 0x5A17C0DE" "$l2"
	# Every dword written (page 0 trapped, pages 1-3 mapped) reads back,
	# and CHECKSUM, which the driver computes over its pages of BAR2
	# (FNV-1a, 32 bits; zeroed at open), covers exactly those writes:
	# what the guest wrote through the mapping is in the device's pages.
	tap_check "$name: BAR2 dwords written in all 4 pages read back, CHECKSUM covers them" \
		python3 - "$l2" "$addr" <<-'EOF'
		import sys
		def fail(why):
		    print("# " + why)
		    sys.exit(1)
		lines = open(sys.argv[1]).read().splitlines()
		pre = "L2-MSHM-MEM: " + sys.argv[2] + " "
		mem = bytearray(0x4000)
		writes = [l[len(pre):].split() for l in lines if l.startswith(pre)]
		pages = set()
		for w in writes:
		    if len(w) != 3:
		        fail(f"a read of BAR2 printed nothing: {w}")
		    off, val, got = w
		    if int(val, 16) != int(got, 16):
		        fail(f"at {off}: wrote {val}, read {got}")
		    o = int(off, 16)
		    mem[o:o + 4] = int(val, 16).to_bytes(4, "little")
		    pages.add(o >> 12)
		if pages != {0, 1, 2, 3}:
		    fail(f"writes reached pages {sorted(pages)}, not all 4")
		h = 0x811C9DC5
		for b in mem:
		    h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
		pre = "L2-MSHM-CHECKSUM: " + sys.argv[2] + " "
		got = [l[len(pre):] for l in lines if l.startswith(pre)]
		if got != [f"0x{h:08X}"]:
		    fail(f"CHECKSUM {got}, expected 0x{h:08X}")
		EOF
}

tap_check "nested guest: QEMU ran the guest and exited cleanly" test $qrc = 0
# The guest powers off after its checks, and panic=-1 turns a panic of
# its kernel into a reset that -no-reboot ends: QEMU exits cleanly either
# way, so the guest's own end marker is what says it ran them all.
if grep -qx 'L2-DONE' "$work/l2.txt"; then
	tap_ok "nested guest: the guest ran all its checks and powered off"
else
	tap_fail "nested guest: the guest ran all its checks and powered off"
	grep -E -m 20 -A 2 '(BUG|Oops|panic|WARNING)' "$work/l2.txt" | sed 's/^/guest: /' | tap_diag
fi
for i in "${!used[@]}"; do
	drv=${used[$i]} addr=${addrs[$i]} uuid=${uuids[$i]}
	name="nested guest ($drv)"
	dev=/sys/bus/mdev/devices/$uuid
	if [ "$drv" = rust_mshm ]; then
		mshm_checks
	else
		tap_check "$name: guest sees 4348:3253 class 0x070002 at $addr, bound by serial" \
			grep -q "^L2-PCI: $addr 0x4348:0x3253 class 0x070002 driver serial" "$work/l2.txt"
		ports=$(sed -n "s/^L2-PORT: $addr //p" "$work/l2.txt")
		tap_check "$name: guest's 8250 driver bound both ports ($(echo $ports))" \
			test "$(echo $ports | wc -w)" = 2
		for p in $ports; do
			if grep -q "^L2-LOOPBACK: $p ok" "$work/l2.txt"; then
				tap_ok "$name: $p loopback, interrupt-driven"
			elif [ "$drv" = mtty ]; then
				# mtty drops an interrupt raised while INTx is still
				# masked (the guest has not EOI'd the previous one)
				# and does not raise it again at unmask, as
				# vfio_mdev_device's intx_unmask_pending shows: the
				# received bytes are then never read.
				tap_skip "$name: $p loopback, interrupt-driven" \
					"known difference: mtty drops an INTx raised while masked and does not raise it at unmask"
			else
				tap_fail "$name: $p loopback, interrupt-driven"
			fi
		done
	fi
	# QEMU accelerates INTx with KVM: a KVM irqfd injects it, and KVM's
	# resampling irqfd unmasks it through the eventfd that QEMU hands the
	# device with VFIO_IRQ_SET_ACTION_UNMASK.  A device that refuses that
	# eventfd makes QEMU warn ("Failed to set up UNMASK eventfd
	# signaling") and unmask INTx itself, a trip through QEMU per
	# interrupt.
	accel="$name: INTx accelerated by KVM, unmasked through the resample eventfd (irqfd)"
	if grep -q "($uuid) KVM INTx accel enabled" "$work/qemu.trace" 2>/dev/null &&
	   ! grep -q "vfio $uuid: Failed to set up UNMASK eventfd" "$work/qemu.out"; then
		tap_ok "$accel"
	elif [ "$drv" = mtty ]; then
		tap_skip "$accel" "known difference: mtty refuses an UNMASK eventfd (ENOTTY)"
	else
		tap_fail "$accel"
	fi
	if [ "$drv" = rust_mshm ]; then
		:	# no VM state to show: it does not take the VM
	elif [ -f "$dev/rust_mtty/vm_state" ]; then
		tap_check "$name: vm_state showed the VM while the guest ran" test "${attached[$i]:-no}" = yes
		tap_check "$name: vm_state shows none after QEMU exited" grep -qx 'vm: none' "$dev/rust_mtty/vm_state"
	else
		tap_skip "$name: vm_state while running and after exit" "known difference: $drv has no vm_state attribute"
	fi
done
tap_check "nested guest: the VM is gone after QEMU exited" test "$(vm_count)" = "$vms_before"

for i in "${!used[@]}"; do
	drv=${used[$i]}
	if [ -n "$stuck" ]; then
		tap_fail "nested guest ($drv): instance removed (not tried: QEMU is stuck in the kernel with it open)"
		continue
	fi
	mdev_remove "${uuids[$i]}"
	tap_check "nested guest ($drv): instance removed" test ! -e "/sys/bus/mdev/devices/${uuids[$i]}"
	tap_check "nested guest ($drv): $drv unloads afterwards (and is reloaded)" reload_driver "$drv"
done
if [ -n "${NESTED_OUT:-}" ]; then
	mkdir -p "$NESTED_OUT" && cp "$work/l2.txt" "$work/qemu.out" "$NESTED_OUT/"
	[ ! -f "$work/qemu.trace" ] || cp "$work/qemu.trace" "$NESTED_OUT/"
	[ -z "$timed_out" ] || cp "$work/hang.txt" "$NESTED_OUT/"
fi
rm -rf "$work"
tap_done
