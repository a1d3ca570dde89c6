#!/usr/bin/env bash
# Boot the test kernel with virtme-ng and run a command in it:
#   vm.sh COMMAND...
# TCG with an EPYC CPU model, so that kvm_amd loads inside (nested SVM):
# the host's /dev/kvm cannot run a normal guest kernel.  The checkout's
# build/ directory is writable from inside; the rest of the host's root
# filesystem is visible read-only.
set -euo pipefail
. "$(dirname "$0")/env.sh"
mkdir -p "$BUILD"
# --verbose puts the kernel log on the console, so that a panic that ends
# the VM is still on record in the runner's console.log.
exec vng --run "$KDIR" --verbose --disable-kvm --qemu-opts="-cpu EPYC" \
	--memory "${VM_MEMORY:-2G}" --cpus "${VM_CPUS:-2}" --rwdir "$BUILD" \
	--exec "$*"
