#!/usr/bin/env bash
# `make bench`: the Rust driver against the C mtty sample, in one boot of
# the test VM (selftests/mdev_bench.c).  The machine is noisy, so only the
# ratio of the two drivers in the same boot means anything.  It runs on
# the production kernel (no KASAN, lockdep or kmemleak), under TCG.
#   BENCH_ARGS="ROUNDS OPS" (default "5 1000")
set -euo pipefail
. "$(dirname "$0")/env.sh"
"$TOP/scripts/prepare.sh" tests module-prod
OUT=$BUILD/bench
rm -rf "$OUT" && mkdir -p "$OUT"
cmd="RUST_MTTY_KO=$MODULE_KO_PROD; . $TOP/selftests/smoke/drivers.sh;
	modprobe kvm_amd; load_driver mtty && load_driver rust_mtty &&
	$BUILD/selftests/mdev_bench ${BENCH_ARGS:-5 1000}"
VM_KDIR=$KDIR_PROD "$TOP/scripts/vm.sh" "$cmd" > "$OUT/console.log" 2>&1 || true
tr -d '\r' < "$OUT/console.log" | grep '^bench:' | tee "$OUT/result.txt"
grep -qx 'bench: ok' "$OUT/result.txt"
