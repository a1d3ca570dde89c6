#!/usr/bin/env bash
# What the run-time debug options of the test kernel cost at boot: boots
# the test VM once per setting and reports the guest uptime at which the
# command runs, and how long the kmemleak scan and clear that make check
# does first then takes.
#   boot-cost.sh [ROUNDS]      (default 1 round of the four settings)
# KASAN cannot be switched off at boot (generic KASAN has no switch); its
# cost needs a second build (see Documentation/testing.rst).
set -euo pipefail
. "$(dirname "$0")/env.sh"
rounds=${1:-1}
settings=("" "kmemleak=off" "lockdep.prove_locking=0" "kmemleak=off lockdep.prove_locking=0")
probe='up=$(cut -d" " -f1 /proc/uptime);
ms() { echo $((($(date +%s%N) - $1) / 1000000)); };
s=$(date +%s%N); mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug;
if [ -w /sys/kernel/debug/kmemleak ]; then echo scan > /sys/kernel/debug/kmemleak;
echo clear > /sys/kernel/debug/kmemleak; fi; leak=$(ms $s);
s=$(date +%s%N); modprobe kvm_amd; kvm=$(ms $s);
s=$(date +%s%N); qemu-system-x86_64 -version > /dev/null; qemu=$(ms $s);
echo "BOOT-COST $up $leak $kvm $qemu"'

printf '%-40s %10s %14s %12s %14s %9s\n' "boot parameters" "uptime (s)" "kmemleak (ms)" "kvm_amd (ms)" "qemu -version" "wall (s)"
for r in $(seq "$rounds"); do
	for p in "${settings[@]}"; do
		t0=$(date +%s)
		line=$(VM_APPEND="$p" "$TOP/scripts/vm.sh" "$probe" 2>&1 |
		       tr -d '\r' | grep '^BOOT-COST' || true)
		read -r _ up leak kvm qemu <<< "${line:-BOOT-COST ? ? ? ?}"
		printf '%-40s %10s %14s %12s %14s %9s\n' "${p:-(none)}" "$up" "$leak" "$kvm" "$qemu" "$(($(date +%s) - t0))"
	done
done
