#!/bin/bash
# Runs inside a test VM (started by scripts/check.sh): loads the modules,
# runs the tests of its plan, writing each one's TAP output and exit code to
# OUT/tap/, then saves this VM's kernel log and kmemleak report in VMDIR.
#   vm-tests.sh OUT VMDIR    (VMDIR/plan: one "name driver command" a line)
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=$1
VMDIR=$2
export RUST_MTTY_KO=$TOP/rust_mtty.ko
# This VM's settings from check.sh: RUST_MTTY_KO, the module for its kernel.
# shellcheck disable=SC1091
[ -f "$VMDIR/env" ] && . "$VMDIR/env"
export BZIMAGE L2_INITRD=$TOP/build/l2-initramfs.cpio.gz
BZIMAGE=$(cat "$TOP/build/l2-bzimage-path" 2>/dev/null)
mkdir -p "$OUT/tap"
# shellcheck disable=SC1091
[ -f "$OUT/env" ] && set -a && . "$OUT/env" && set +a
cut -d' ' -f1 /proc/uptime > "$VMDIR/boot-seconds"

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
# Forget what boot itself left for kmemleak; report only what the tests leak.
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan > /sys/kernel/debug/kmemleak
	echo clear > /sys/kernel/debug/kmemleak
	echo "rust-mdev: kmemleak cleared" > /dev/kmsg
fi
# The processes that run before any test (udevd, which virtme-ng's init
# starts when the host has udev, as mdevctl's package requires): not left
# behind by a test, so not counted at the end.
ps -eo pid= | tr -d ' ' > "$VMDIR/before-tests.pids"
echo "rust-mdev: tests start" > /dev/kmsg

# shellcheck source=selftests/smoke/drivers.sh
. "$TOP/selftests/smoke/drivers.sh"
{
	# KVM_AMD_PARAMS, if set, e.g. "npt=0" (passed by check.sh)
	modprobe kvm_amd ${KVM_AMD_PARAMS:-}
	load_driver mtty
	load_driver rust_mtty
	load_driver rust_mshm
	lsmod
} > "$VMDIR/load.log" 2>&1
echo "rust-mdev: modules loaded" > /dev/kmsg

run_one() {	# NAME DRIVER COMMAND
	local name=$1 drv=$2 cmd=$3 start
	case $cmd in
	build/*) cmd=$TOP/build/selftests/${cmd#build/} ;;
	*) cmd=$TOP/selftests/$cmd ;;
	esac
	[ "$drv" = - ] && drv=
	# The console shows the line (check.sh follows it there); the
	# kernel log (dmesg.txt) has it with its time, at a level the
	# console does not print again.
	echo "rust-mdev: test $name"
	echo "<6>rust-mdev: test $name" > /dev/kmsg
	start=$(date +%s)
	# A hang guard: summarize.py says so when it fired (exit 124/137).
	echo "${TEST_TIMEOUT:-1800}" > "$OUT/tap/$name.limit"
	NESTED_OUT=$OUT/nested/$name MDEV_DRIVER=$drv timeout -k 10 "${TEST_TIMEOUT:-1800}" "$cmd" > "$OUT/tap/$name.tap" 2>&1
	echo $? > "$OUT/tap/$name.rc"
	echo "$(($(date +%s) - start))" > "$OUT/tap/$name.secs"
}

while read -r name drv cmd; do
	run_one "$name" "$drv" "$cmd"
done < "$VMDIR/plan"

echo "rust-mdev: tests end" > /dev/kmsg
if [ -w /sys/kernel/debug/kmemleak ]; then
	# kmemleak only reports objects older than 5 s, and needs two scans
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak > "$VMDIR/kmemleak.txt"
	echo "rust-mdev: kmemleak scanned" > /dev/kmsg
else
	echo "no /sys/kernel/debug/kmemleak" > "$VMDIR/kmemleak.unavailable"
fi
dmesg > "$VMDIR/dmesg.txt"

# A process a test left behind fails the run: one stuck in the kernel
# (state D) would also keep the VM from powering off.  Kernel threads,
# zombies, init, this script's own and those that ran before the tests
# (and udevd's workers) are not counted.
ps -eo pid=,ppid=,stat=,wchan:32=,args= |
	awk -v me=$$ -v up=$PPID -v before="$VMDIR/before-tests.pids" '
		BEGIN { while ((getline p < before) > 0) old[p] = 1 }
		$1 != 1 && $1 != me && $1 != up && $2 != me && !($1 in old) &&
		!($2 in old && $5 == "(udev-worker)") &&
		$3 !~ /^Z/ && $5 !~ /^\[/' > "$VMDIR/leftover.txt"
if [ -s "$VMDIR/leftover.txt" ]; then
	echo "rust-mdev: processes left behind:"
	cat "$VMDIR/leftover.txt"
	if grep -q '^ *[0-9]* *[0-9]* D' "$VMDIR/leftover.txt"; then
		# virtme-ng's init would wait for them for ever: power off now.
		echo "rust-mdev: vm done (forced power-off)"
		sync
		echo o > /proc/sysrq-trigger
	fi
fi
# As each test's line (run_one).
echo "rust-mdev: vm done"
echo "<6>rust-mdev: vm done" > /dev/kmsg
