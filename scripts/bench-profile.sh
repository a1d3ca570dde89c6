#!/usr/bin/env bash
# Where the time of `make bench`'s operations goes, per driver: each
# driver alone (an A/A run of mdev_bench, without the scale part) under
# `perf record -e cpu-clock -g` in one boot of the production kernel,
# and `perf report` by symbol.  The production kernel has no ftrace; perf
# only needs CONFIG_PERF_EVENTS and kallsyms, and cpu-clock sampling needs
# no PMU (TCG has none).  Debian's perf (6.1 here) works with this kernel
# for this: perf_event_open and the sample format are stable.
#   PROFILE_ARGS="ROUNDS OPS" (default "2 500"); output in build/bench-profile/
set -euo pipefail
. "$(dirname "$0")/env.sh"
"$TOP/scripts/prepare.sh" module-prod
bin=$BUILD/bench-selftests
make -s -C "$TOP/selftests" KDIR="$KDIR_PROD" O="$bin" "$bin/mdev_bench"
OUT=$BUILD/bench-profile
rm -rf "$OUT" && mkdir -p "$OUT"
args=${PROFILE_ARGS:-2 500}
cmd="RUST_MTTY_KO=$MODULE_KO_PROD; . $TOP/selftests/smoke/drivers.sh;
	exec > $OUT/out.txt 2>&1;
	modprobe kvm_amd; load_driver mtty && load_driver rust_mtty || exit 1;
	for d in mtty rust_mtty; do
		BENCH_NO_SCALE=1 perf record -q -e cpu-clock -F 4000 -g -o $OUT/\$d.data -- $bin/mdev_bench $args \$d \$d > $OUT/\$d.bench 2>/dev/null;
		perf report -i $OUT/\$d.data --stdio --no-children --sort sym -g none --percent-limit 0.5 > $OUT/\$d.syms 2>/dev/null;
		perf report -i $OUT/\$d.data --stdio --children --sort sym -g none --percent-limit 2 > $OUT/\$d.children 2>/dev/null;
	done"
VM_KDIR=$KDIR_PROD VM_TCG_THREAD=${VM_TCG_THREAD:-multi} "$TOP/scripts/vm.sh" "$cmd" > "$OUT/console.log" 2>&1 || true
ls "$OUT"
