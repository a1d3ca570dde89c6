# SPDX-License-Identifier: GPL-2.0
#
# rust-mdev: a VFIO mdev vendor driver in kernel Rust, on a patched 6.12.
#
#   make            build the patched kernel (cached) and the Rust module
#   make check      run every test in a virtme-ng VM     (T=<test> for one)
#   make run        boot, create an mdev, run a nested QEMU guest on it
#   make bench      the Rust driver against the C mtty sample, as ratios
#   make bench-insns  the instructions of each driver's register accesses
#   make nested-soak  a nested test RUNS times (default 20; SOAK_TEST=nested_migration)
#   make fuzz       the fuzzer, long: SEED=<n> COUNT=<ops per driver>
#   make kernel     only (re)build the cached patched kernel
#   make rustdoc    the Rust API documentation, into build/rustdoc
#   make deps       only install the dependencies
#
# KDIR=<tree> uses an already configured and built kernel tree instead and
# skips the dependency and kernel steps.  Kbuild reads ./Kbuild, not this file.

ifneq ($(KERNELRELEASE),)
include $(src)/Kbuild
else

SHELL := /bin/bash
export T RUNS SEED COUNT STOP TRACE DRIVERS

.PHONY: all deps kernel module check run bench bench-insns nested-soak fuzz clippy fmt clean rustdoc

all: module

deps:
	@scripts/deps.sh

kernel:
	@scripts/prepare.sh kernel

module:
	@scripts/prepare.sh module

check:
	@scripts/check.sh

run:
	@scripts/run.sh

bench:
	@scripts/bench.sh

bench-insns:
	@scripts/bench-insns.sh

nested-soak:
	@scripts/nested-soak.sh

fuzz:
	@scripts/fuzz.sh

clippy:
	@scripts/prepare.sh module CLIPPY=1

rustdoc: module
	@scripts/rustdoc.sh

clean:
	@scripts/prepare.sh clean

endif
