#!/usr/bin/env bash
# `make bench`: the Rust driver against the C mtty sample, in one boot of
# the test VM (selftests/mdev_bench.c).  The machine is noisy, so only the
# ratio of the two drivers in the same boot means anything; the absolute
# figures are those of a debug kernel under TCG.
#   BENCH_ARGS="ROUNDS OPS" (default "5 1000")
set -euo pipefail
. "$(dirname "$0")/env.sh"
"$TOP/scripts/prepare.sh" tests
OUT=$BUILD/bench
rm -rf "$OUT" && mkdir -p "$OUT"
cmd="RUST_MTTY_KO=$TOP/samples/rust_mtty/rust_mtty.ko; . $TOP/selftests/smoke/drivers.sh;
	modprobe kvm_amd; load_driver mtty && load_driver rust_mtty &&
	$BUILD/selftests/mdev_bench ${BENCH_ARGS:-5 1000}"
"$TOP/scripts/vm.sh" "$cmd" > "$OUT/console.log" 2>&1 || true
tr -d '\r' < "$OUT/console.log" | grep '^bench:' | tee "$OUT/result.txt"
grep -qx 'bench: ok' "$OUT/result.txt"
