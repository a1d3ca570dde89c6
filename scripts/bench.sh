#!/usr/bin/env bash
# `make bench`: the Rust driver against the C mtty sample, in one boot of
# the test VM on the production kernel (no KASAN, lockdep or kmemleak),
# under TCG (selftests/mdev_bench.c).  The machine is noisy, so only the
# ratio of the two drivers in the same boot means anything.
#
#   BENCH_ARGS="ROUNDS OPS"  (default "9 500")
#   BENCH_OUT                where the runs go (default build/bench)
#   VM_TCG_THREAD            TCG threading of the VM (default multi: the
#                            two-thread operations need two host threads)
#
# Each run gets a directory BENCH_OUT/<date>-<time>/ with the console,
# the table (table.csv: operation,unit,mtty,rust_mtty,rust/C), the load
# of the host before and after (meta.txt) and the comparison with the
# previous run of the same BENCH_OUT.  The last line is a plain summary.
set -euo pipefail
. "$(dirname "$0")/env.sh"
"$TOP/scripts/prepare.sh" module-prod
# The program, built against the production kernel's uapi headers: the
# debug kernel is not needed here.
bin=$BUILD/bench-selftests
make -s -C "$TOP/selftests" KDIR="$KDIR_PROD" O="$bin" "$bin/mdev_bench"

BENCH_OUT=${BENCH_OUT:-$BUILD/bench}
mkdir -p "$BENCH_OUT"
args="args: ${BENCH_ARGS:-9 500}, TCG thread=${VM_TCG_THREAD:-multi}, kernel $KDIR_PROD"
# The previous run with the same arguments, to compare with.
prev=
for t in $(find "$BENCH_OUT" -mindepth 2 -maxdepth 2 -name table.csv 2>/dev/null | sort -r); do
	if grep -qxF "$args" "$(dirname "$t")/meta.txt" 2>/dev/null; then
		prev=$t
		break
	fi
done
OUT=$BENCH_OUT/$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
{
	echo "date: $(date -u '+%F %T') UTC"
	echo "host: $(nproc) CPU(s), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
	echo "load before: $(uptime)"
	echo "$args"
} > "$OUT/meta.txt"
cmd="RUST_MTTY_KO=$MODULE_KO_PROD; . $TOP/selftests/smoke/drivers.sh;
	exec > $OUT/out.txt 2> $OUT/progress.txt;
	echo \"bench: kernel \$(uname -r), \$(nproc) vCPUs\";
	modprobe kvm_amd; load_driver mtty && load_driver rust_mtty pool_ports=1024 &&
	$bin/mdev_bench ${BENCH_ARGS:-9 500}"
s=$(date +%s)
VM_KDIR=$KDIR_PROD VM_TCG_THREAD=${VM_TCG_THREAD:-multi} "$TOP/scripts/vm.sh" "$cmd" > "$OUT/console.log" 2>&1 || true
echo "load after: $(uptime)" >> "$OUT/meta.txt"
echo "seconds: $(($(date +%s) - s))" >> "$OUT/meta.txt"
# The program's output, written to a file of build/ in the VM: the
# console mixes it with the kernel's.
touch "$OUT/out.txt"
{ grep '^bench:' "$OUT/out.txt" || true; } | tee "$OUT/result.txt"
{
	echo "operation,unit,mtty,rust_mtty,rust/C"
	sed -n 's/^csv: //p' "$OUT/out.txt"
} > "$OUT/table.csv"
sed 's/^/bench: /' "$OUT/meta.txt"
if ! grep -qx 'bench: ok' "$OUT/result.txt"; then
	if [ ! -s "$OUT/out.txt" ]; then
		echo "bench: FAILED: the VM ran no command (console: $OUT/console.log; last kernel line: $(tr -d '\r' < "$OUT/console.log" | grep '^\[' | tail -n 1))"
	else
		echo "bench: FAILED (output: $OUT/out.txt, progress.txt, console.log)"
	fi
	exit 1
fi

# Repeatability: every ratio against the previous run's.
if [ -n "$prev" ]; then
	awk -F, -v prev="$prev" '
		FNR == 1 { next }
		NR == FNR { r[$1] = $5; next }
		($1 in r) { n++; d = $5 - r[$1]; if (d < 0) d = -d
			    if (d > 0.1) { bad++; list = list sprintf(" %s %.2f->%.2f", $1, r[$1], $5) } }
		END { printf "bench: against the previous run (%s): %d of %d ratios within 0.1%s\n",
			     prev, n - bad, n, bad ? ";" list : "" }' "$prev" "$OUT/table.csv" |
		tee "$OUT/compare.txt"
fi

# The summary: the targets of issue 9.
awk -F, -v load="$(sed -n 's/.*load average: //p' "$OUT/meta.txt" | head -n 1)" '
	NR == 1 { next }
	{ c[$1] = $3; r[$1] = $4; q[$1] = $5 }
	$2 == "ns/op" && $1 !~ /^(mt_|floor)/ { n++; if ($5 <= 1.0) met++; else slow = slow " " $1 "=" $5 }
	END {
		tp = r["mt_2ports"] ? c["mt_2ports"] / r["mt_2ports"] : 0
		fc = c["scale1_total"] ? c["scale24_total"] / c["scale1_total"] : 0
		fr = r["scale1_total"] ? r["scale24_total"] / r["scale1_total"] : 0
		fl = r["large1_total"] ? r["large1000_total"] / r["large1_total"] : 0
		printf "bench: summary: single-thread Rust/C <= 1.0 in %d of %d%s; two ports, two threads: Rust %.2fx C throughput; memory per opened instance Rust/C slab %.2f, pages %.2f; time per instance 24/1: mtty %.2f, rust_mtty %.2f; rust_mtty 1000/1: %s; host load before %s\n",
			met, n, slow ? " (slower:" slow ")" : "", tp, q["mem_slab_opened"], q["mem_pages_opened"], fc, fr, fl ? sprintf("%.2f", fl) : "not measured", load
	}' "$OUT/table.csv" | tee "$OUT/summary.txt"
