#!/usr/bin/env bash
# `make nested-soak`: a nested test again and again, to measure how
# reliable it is.  Two test VMs side by side (as `make check` runs two at
# a time) each run the test RUNS/2 times in a row; every run is a test of its own
# in the summary (<test>#N), and the kernel-log checks of both VMs
# apply as in `make check`.
#   RUNS            runs in all (default 20)
#   SOAK_TEST       nested_guest (default) or nested_migration
#   MDEV_DRIVER     the driver of nested_migration (default rust_mtty)
#   NESTED_VM_CPUS  vCPUs of each VM (default 1, as make check)
#   KFLAVOR         kernel of the VMs: prod (default, as make check) or debug
#   SOAK_NAME       its directory in build/ (default nested-soak)
#   SOAK_VMS        test VMs side by side (default 2)
# and the settings make check passes into its VMs (KVM_AMD_PARAMS, ...).
set -euo pipefail
. "$(dirname "$0")/env.sh"

RUNS=${RUNS:-20}
test=${SOAK_TEST:-nested_guest}
case $test in
nested_guest) drv=- ;;
nested_migration) drv=${MDEV_DRIVER:-rust_mtty} ;;
*) die "SOAK_TEST=$test: nested_guest or nested_migration" ;;
esac
"$TOP/scripts/prepare.sh" tests nested
kdir=$KDIR_PROD ko=$MODULE_KO_PROD
[ "${KFLAVOR:-prod}" = prod ] || kdir=$KDIR ko=$MODULE_KO

OUT=$BUILD/${SOAK_NAME:-nested-soak}
rm -rf "$OUT" && mkdir -p "$OUT"
vm_settings > "$OUT/env"
: > "$OUT/expected"
vms=(a b)
[ "${SOAK_VMS:-2}" = 2 ] || vms=(a)
for v in "${vms[@]}"; do
	mkdir -p "$OUT/vm-$v"
	printf 'RUST_MTTY_KO=%q\n' "$ko" > "$OUT/vm-$v/env"
done
for ((i = 1; i <= RUNS; i++)); do
	v=${vms[$((i % ${#vms[@]}))]}
	echo "$test#$i $drv smoke/$test.sh" >> "$OUT/vm-$v/plan"
	echo "$test#$i" >> "$OUT/expected"
done
for v in "${vms[@]}"; do
	[ -s "$OUT/vm-$v/plan" ] || continue
	VM_KDIR=$kdir VM_CPUS=${NESTED_VM_CPUS:-1} "$TOP/scripts/vm-watch.sh" "${VM_TIMEOUT:-7200}" \
		"$OUT/vm-$v" "$TOP/scripts/vm-tests.sh $OUT $OUT/vm-$v" &
done
start=$(date +%s)
wait
rc=0
python3 "$TOP/scripts/summarize.py" "$OUT" "$OUT/expected" > "$OUT/summary.tap" || rc=$?
# One line a run: did it run to its end (exit code 0) without a failure,
# and how long it took.
case $test in
nested_guest) last='the guest ran all its checks' ;;
nested_migration) last='QEMU migrated the guest from A to B' ;;
esac
: > "$OUT/runs.txt"
for ((i = 1; i <= RUNS; i++)); do
	tap=$OUT/tap/$test#$i.tap
	if [ -f "$tap" ] && [ "$(cat "$OUT/tap/$test#$i.rc" 2>/dev/null)" = 0 ] &&
	   ! grep -q '^not ok' "$tap" && grep -q "^ok .*$last" "$tap"; then
		res=clean
	else
		res=FAILED
	fi
	echo "nested-soak: run $i $res, $(cat "$OUT/tap/$test#$i.secs" 2>/dev/null || echo '?') s;" \
		"$(grep -h -o 'userspace after [0-9?]* ms, exited after [0-9]* ms' "$tap" 2>/dev/null || echo 'no timing')" >> "$OUT/runs.txt"
done
clean=$(grep -c ' clean,' "$OUT/runs.txt" || true)
echo "nested-soak: $test: $clean of $RUNS runs clean in $(($(date +%s) - start)) s" \
	"(${#vms[@]} VM(s) side by side, TCG thread=$(tcg_thread "${NESTED_VM_CPUS:-1}"), ${NESTED_VM_CPUS:-1} vCPU(s) each, $(basename "$kdir")${KVM_AMD_PARAMS:+, kvm_amd $KVM_AMD_PARAMS}${NESTED_CPU:+, L2 -cpu $NESTED_CPU})" >> "$OUT/runs.txt"
cat "$OUT/runs.txt"
tail -n 1 "$OUT/summary.tap"
exit $rc
