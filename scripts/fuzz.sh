#!/usr/bin/env bash
# `make fuzz`: a long run of the fuzzer (selftests/vfio_mdev_fuzz.c) on the
# debug kernel, with the kernel-log checks of `make check`.  One test VM
# a driver, side by side (as make check runs them).
#   SEED     the seed (default: a new one, printed; make check uses a
#            fixed one)
#   COUNT    operations per driver (default 1000000)
#   STOP     replay only operations 0..STOP-1 (the prefix of a failure)
#   TRACE    print every operation from this index on
#   DRIVERS  the drivers (default "mtty rust_mtty")
# A failure prints the seed and the operation's index; the same SEED and
# COUNT replay the run (the fuzzer's own messages give the command).
set -euo pipefail
. "$(dirname "$0")/env.sh"

SEED=${SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
COUNT=${COUNT:-1000000}
"$TOP/scripts/prepare.sh" tests
OUT=$BUILD/fuzz
rm -rf "$OUT" && mkdir -p "$OUT"
# The hang guards grow with the count: make check's 100000 operations take
# at most FUZZ_SECS_PER_100K s on the slowest machine measured, 5x that is
# the guard (Documentation/testing.rst, "The fuzzer").
per100k=${FUZZ_SECS_PER_100K:-3600}
limit=$(( (COUNT + 99999) / 100000 * per100k + 600 ))
{
	vm_settings | grep -v '^TEST_TIMEOUT=' || true
	printf 'FUZZ_SEED=%q\nFUZZ_COUNT=%q\nTEST_TIMEOUT=%q\n' "$SEED" "$COUNT" "$limit"
	# the fuzzer's own kmemleak scans, before and after (slow: not in make check)
	echo KSTATE_KMEMLEAK=1
	[ -z "${STOP:-}" ] || printf 'FUZZ_STOP=%q\n' "$STOP"
	[ -z "${TRACE:-}" ] || printf 'FUZZ_TRACE=%q\n' "$TRACE"
} > "$OUT/env"
: > "$OUT/expected"
log "fuzzing ${DRIVERS:-mtty rust_mtty} with seed $SEED, $COUNT operations each (hang guard $limit s a driver)"
for d in ${DRIVERS:-mtty rust_mtty}; do
	mkdir -p "$OUT/vm-$d"
	printf 'RUST_MTTY_KO=%q\n' "$MODULE_KO" > "$OUT/vm-$d/env"
	echo "vfio_mdev_fuzz@$d $d build/vfio_mdev_fuzz" > "$OUT/vm-$d/plan"
	echo "vfio_mdev_fuzz@$d" >> "$OUT/expected"
	: > "$OUT/vm-$d/console.log"
	VM_KDIR=$KDIR "$TOP/scripts/vm-watch.sh" $((limit + 900)) "$OUT/vm-$d" \
		"$TOP/scripts/vm-tests.sh $OUT $OUT/vm-$d" &
done
wait
rc=0
python3 "$TOP/scripts/summarize.py" "$OUT" "$OUT/expected" > "$OUT/summary.tap" || rc=$?
grep -h '^# fuzz: \(FAIL\|replay\|[0-9]* operations on\)' "$OUT"/tap/*.tap || true
grep '^not ok' "$OUT/summary.tap" || true
tail -n 1 "$OUT/summary.tap"
exit $rc
