#!/usr/bin/env bash
# `make run`: boot the patched kernel, load the Rust driver, create an mdev
# instance, run a nested QEMU guest with KVM on it, print what the guest and
# the host see, and clean up.  MDEV_DRIVER=mtty runs the C sample instead.
set -euo pipefail
. "$(dirname "$0")/env.sh"
# The production kernel, as the nested guest test of make check uses it:
# KFLAVOR=debug boots the debug kernel instead.
if [ "${KFLAVOR:-prod}" = debug ]; then
	"$TOP/scripts/prepare.sh" module nested
	kdir=$KDIR ko=$MODULE_KO
else
	"$TOP/scripts/prepare.sh" nested
	kdir=$KDIR_PROD ko=$MODULE_KO_PROD
fi
OUT=$BUILD/run
rm -rf "$OUT" && mkdir -p "$OUT"
# One vCPU: the nested guest's kernel is not reliable otherwise (vm.sh).
# Bounded: the L1 VM can stall under TCG (testing.rst, "The live migration
# test"); VM_TIMEOUT (s) ends it, as in make check.
VM_KDIR=$kdir VM_CPUS=${NESTED_VM_CPUS:-1} timeout -k 30 "${VM_TIMEOUT:-900}" "$TOP/scripts/vm.sh" \
	"MDEV_DRIVER=${MDEV_DRIVER:-rust_mtty} RUST_MTTY_KO=$ko $TOP/scripts/vm-run.sh $OUT" 2>&1 |
	tee "$OUT/console.log" | grep --line-buffered -v '^\[' || true
grep -q '^run: ok' "$OUT/console.log"
