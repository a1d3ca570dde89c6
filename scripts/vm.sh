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
# The kernel log goes to the console (console.log of make check) from
# level 5 (KERN_NOTICE) up, so that a hang or a panic can be read there;
# mtty's printk of every register access (KERN_INFO), written synchronously
# to the TCG serial port, would slow the nested guest test past its
# timeout.  The whole log is saved by vm-tests.sh.
#
# Single-threaded TCG: with MTTCG, a static key flipped by KVM (the
# preempt notifier key in prepare_task_switch) while the other vCPU ran
# the patched code hit a stale int3 and oopsed here (QEMU 7.2), killing the
# run; one TCG thread runs both vCPUs in turn and does not have that race.
#
# The root filesystem is the host's, over 9p, read-only.  virtme-ng mounts
# it without caching, so every page fault of a program started in the VM
# is a round trip to the host: starting QEMU for the nested guest took
# 112 s, 43 s with cache=loose (meant for exclusive read-only mounts, which
# this is; build/ is a separate mount).
#
# A VM that runs the nested guest gets one vCPU (VM_CPUS=1, set by
# check.sh and run.sh).  With two, under load, the nested guest's kernel
# crashed (a wrong GS base after an interrupt from user mode) or hung: its
# state is most likely lost between KVM and TCG's SVM emulation.  With one
# vCPU it happened less often (one hang in eight runs), but it still did.
# Documentation/testing.rst has the details.
rootflags=version=9p2000.L,trans=virtio,access=any,msize=524288,cache=loose
exec vng --run "$KDIR" --disable-kvm --verbose \
	--append "loglevel=5 rootflags=$rootflags${VM_APPEND:+ $VM_APPEND}" \
	--qemu-opts="-cpu EPYC -accel tcg,thread=single" \
	--memory "${VM_MEMORY:-2G}" --cpus "${VM_CPUS:-2}" --rwdir "$BUILD" \
	--exec "$*"
