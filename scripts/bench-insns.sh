#!/usr/bin/env bash
# How many instructions each driver's register accesses and info ioctls
# take: the production kernel's VM (one vCPU) with QEMU's gdbstub, gdb
# single-stepping every call of VFIO's file operations from its entry in
# vfio.ko to its return (scripts/bench-insns.py), for the C mtty sample
# and the Rust driver, one of each access (`mdev_bench insns`).  Unlike
# the times of `make bench`, the counts do not depend on the host's load,
# so one run is enough and two runs agree.
#
# The table goes to build/bench-insns/insns.txt, the functions of each
# call (where the instructions went) to build/bench-insns/counts.txt.
#   INSNS_PORT   the gdbstub's TCP port on 127.0.0.1 (default 12345)
#   INSNS_TRACE  1: also every instruction's address, in trace.txt
set -euo pipefail
. "$(dirname "$0")/env.sh"
command -v gdb > /dev/null || die "no gdb (apt install gdb)"
"$TOP/scripts/prepare.sh" module-prod
bin=$BUILD/bench-selftests
make -s -C "$TOP/selftests" KDIR="$KDIR_PROD" O="$bin" "$bin/mdev_bench"
OUT=$BUILD/bench-insns
rm -rf "$OUT" && mkdir -p "$OUT"
port=${INSNS_PORT:-12345}
cmd="RUST_MTTY_KO=$MODULE_KO_PROD; . $TOP/selftests/smoke/drivers.sh;
	load_driver mtty && load_driver rust_mtty || exit 1;
	cat /proc/kallsyms > $OUT/kallsyms;
	$bin/mdev_bench insns $OUT > $OUT/out.txt 2>&1"
VM_KDIR=$KDIR_PROD VM_CPUS=1 VM_GDB=tcp:127.0.0.1:$port "$TOP/scripts/vm.sh" "$cmd" > "$OUT/console.log" 2>&1 &
vm=$!
# The guest says when both instances are open; a boot is seconds on the
# production kernel, 300 s is a hang guard.
for _ in $(seq 300); do
	[ -e "$OUT/ready" ] || ! kill -0 $vm 2> /dev/null && break
	sleep 1
done
if [ ! -e "$OUT/ready" ]; then
	kill $vm 2> /dev/null || true
	die "the guest never got ready (console: $OUT/console.log, output: $OUT/out.txt)"
fi
hits=$(grep -c '^insns: op: ' "$OUT/out.txt")
INSNS_DIR=$OUT INSNS_GDB=127.0.0.1:$port INSNS_HITS=$hits INSNS_TRACE=${INSNS_TRACE:-} \
	gdb -q -batch -nx -x "$TOP/scripts/bench-insns.py" > "$OUT/gdb.log" 2>&1 ||
	{ kill $vm 2> /dev/null || true; die "gdb failed ($OUT/gdb.log)"; }
wait $vm || true
if [ ! -e "$OUT/done" ] || grep -v '^insns: op: ' "$OUT/out.txt" | grep -q '^insns: '; then
	die "the guest's accesses failed ($OUT/out.txt)"
fi

# The table: the calls come in the order the guest printed, the first
# driver's then the second's.
paste -d'|' <(sed -n 's/^insns: op: //p' "$OUT/out.txt") \
	<(sed -n 's/^call [0-9]* \([^ ]*\) \([0-9]*\)$/\2/p' "$OUT/counts.txt") |
	awk -F'|' '
		{ split($1, w, " "); drv = w[1]; op = substr($1, length(drv) + 2)
		  if (!(op in seen)) { seen[op] = 1; ops[++n] = op }
		  if (!(drv in dseen)) { dseen[drv] = 1; drvs[++m] = drv }
		  c[drv, op] = $2 }
		END {
			printf "insns: %-26s %10s %10s %7s\n", "access", drvs[1], drvs[2], "ratio"
			for (i = 1; i <= n; i++)
				printf "insns: %-26s %10d %10d %7.2f\n", ops[i], c[drvs[1], ops[i]],
					c[drvs[2], ops[i]], c[drvs[2], ops[i]] / c[drvs[1], ops[i]]
		}' | tee "$OUT/insns.txt"
echo "insns: instructions per call of a VFIO file operation, from its entry in vfio.ko to its return; by function: $OUT/counts.txt"
