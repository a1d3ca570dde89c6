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
# No --verbose: with the kernel log on the serial console, printk of every
# mtty register access (synchronous, at 115200 baud under TCG) slowed the
# nested guest test past its timeout.  The log is saved by vm-tests.sh.
exec vng --run "$KDIR" --disable-kvm --qemu-opts="-cpu EPYC" \
	--memory "${VM_MEMORY:-2G}" --cpus "${VM_CPUS:-2}" --rwdir "$BUILD" \
	--exec "$*"
