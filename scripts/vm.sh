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
# VM_KDIR (default KDIR) is the kernel tree to boot.
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
# A VM that runs the nested guest gets one vCPU (NESTED_VM_CPUS, default
# 1, set by check.sh and run.sh).  QEMU's TCG emulation of SVM can deliver
# an interrupt that KVM injected into its guest a second time, ignoring
# the guest's IF, when the vCPU is kicked before its next exit; with two
# vCPUs single-threaded TCG kicks them every 100 ms, and the nested guest
# hung or crashed in most runs.  Documentation/testing.rst, "The nested
# guest's hang", has the details and the one-line fix for QEMU.
#
# VM_CPU_MODEL (default EPYC) is the CPU model, VM_TCG_THREAD TCG's
# threading (default: tcg_thread in env.sh, multi for one vCPU, single
# otherwise); VM_MONITOR, if set, a UNIX socket for QEMU's monitor
# (check.sh asks a hung VM where its vCPUs are); VM_GDB, if set, the
# address of QEMU's gdbstub (-gdb, e.g. tcp:127.0.0.1:1234, for
# scripts/bench-insns.sh).
#
# tsc=reliable: TCG's TSC is the host's clock for every vCPU, so it is
# consistent, but the kernel's clocksource watchdog, reading it and the
# HPET from a vCPU that TCG can switch out for 100 ms between the two
# reads, found "excessive read-back delay" in every two-vCPU debug VM of
# make check that ran past 700 s on 2026-12-07 (after 694-1,741 s),
# declared the TSC unstable and moved timekeeping to an emulated timer for
# the rest of the run.
rootflags=version=9p2000.L,trans=virtio,access=any,msize=524288,cache=loose
exec vng --run "${VM_KDIR:-$KDIR}" --disable-kvm --verbose \
	--append "loglevel=5 tsc=reliable rootflags=$rootflags${VM_APPEND:+ $VM_APPEND}" \
	--qemu-opts="-cpu ${VM_CPU_MODEL:-EPYC} -accel tcg,thread=$(tcg_thread "${VM_CPUS:-2}")${VM_MONITOR:+ -monitor unix:$VM_MONITOR,server=on,wait=off}${VM_GDB:+ -gdb $VM_GDB}" \
	--memory "${VM_MEMORY:-2G}" --cpus "${VM_CPUS:-2}" --rwdir "$BUILD" \
	--exec "$*"
