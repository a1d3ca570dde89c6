#!/usr/bin/env bash
# `make run`: boot the patched kernel, load the Rust driver, create an mdev
# instance, run a nested QEMU guest with KVM on it, print what the guest and
# the host see, and clean up.  MDEV_DRIVER=mtty runs the C sample instead.
set -euo pipefail
. "$(dirname "$0")/env.sh"
"$TOP/scripts/prepare.sh" tests
OUT=$BUILD/run
rm -rf "$OUT" && mkdir -p "$OUT"
# One vCPU: the nested guest's kernel is not reliable otherwise (vm.sh).
VM_CPUS=1 "$TOP/scripts/vm.sh" "MDEV_DRIVER=${MDEV_DRIVER:-rust_mtty} $TOP/scripts/vm-run.sh $OUT" 2>&1 |
	tee "$OUT/console.log" | grep --line-buffered -v '^\[' || true
grep -q '^run: ok' "$OUT/console.log"
