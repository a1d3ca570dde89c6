#!/bin/bash
# Runs inside the test VM (started by scripts/check.sh): loads the modules,
# runs the selected tests of selftests/TESTS, writing each one's TAP output
# and exit code to $OUT/tap/, then saves the kernel log and kmemleak report.
#   vm-tests.sh OUT      (OUT/plan: one "name driver command" per line)
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=$1
export RUST_MTTY_KO=$TOP/samples/rust_mtty/rust_mtty.ko
export BZIMAGE L2_INITRD=$TOP/build/l2-initramfs.cpio.gz NESTED_OUT=$OUT/nested
BZIMAGE=$(cat "$TOP/build/l2-bzimage-path")
mkdir -p "$OUT/tap"
# shellcheck disable=SC1091
[ -f "$OUT/env" ] && set -a && . "$OUT/env" && set +a
cut -d' ' -f1 /proc/uptime > "$OUT/boot-seconds"

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
# Forget what boot itself left for kmemleak; report only what the tests leak.
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan > /sys/kernel/debug/kmemleak
	echo clear > /sys/kernel/debug/kmemleak
fi
echo "rust-mdev: tests start" > /dev/kmsg

load_log=$OUT/tap/load.log
{
	modprobe kvm_amd
	modprobe mtty
	[ -f "$RUST_MTTY_KO" ] && insmod "$RUST_MTTY_KO"
	lsmod
} > "$load_log" 2>&1

run_one() {	# NAME DRIVER COMMAND
	local name=$1 drv=$2 cmd=$3 start
	case $cmd in
	build/*) cmd=$TOP/build/selftests/${cmd#build/} ;;
	*) cmd=$TOP/selftests/$cmd ;;
	esac
	[ "$drv" = - ] && drv=
	echo "rust-mdev: test $name" > /dev/kmsg
	echo "rust-mdev: test $name"
	start=$(date +%s)
	MDEV_DRIVER=$drv timeout -k 10 1800 "$cmd" > "$OUT/tap/$name.tap" 2>&1
	echo $? > "$OUT/tap/$name.rc"
	echo "$(($(date +%s) - start))" > "$OUT/tap/$name.secs"
}

while read -r name drv cmd; do
	run_one "$name" "$drv" "$cmd"
done < "$OUT/plan"

echo "rust-mdev: tests end" > /dev/kmsg
if [ -w /sys/kernel/debug/kmemleak ]; then
	# kmemleak only reports objects older than 5 s, and needs two scans
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak > "$OUT/kmemleak.txt"
else
	echo "no /sys/kernel/debug/kmemleak" > "$OUT/kmemleak.unavailable"
fi
dmesg > "$OUT/dmesg.txt"
echo "rust-mdev: vm done"
