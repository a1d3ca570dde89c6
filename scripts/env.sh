# Shared settings for the build and test scripts.  Sourced, not executed.
#
# RUST_MDEV_CACHE  where the patched kernel trees are cached (survives clones)
# KDIR             use this already-configured and built kernel tree instead
#                  of building one; no dependency step is run for it
# KDIR_PROD        with KDIR: the production kernel tree (default: KDIR)
#
# Two kernels are built from the same patched source: "debug" (KASAN,
# lockdep, kmemleak; every correctness test runs on it) and "prod" (the
# same configuration without the debug options: the nested guest's VM,
# `make run` and `make bench`).  scripts/kernel.sh says how.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUST_MDEV_CACHE=${RUST_MDEV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rust-mdev}
KSRC_TARBALL=${KSRC_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
KTREE_DEBUG=$RUST_MDEV_CACHE/linux-source-6.12
KTREE_PROD=$RUST_MDEV_CACHE/linux-source-6.12-prod
KDIR_FROM_USER=${KDIR:+1}
KDIR=${KDIR:-$KTREE_DEBUG}
if [ -n "$KDIR_FROM_USER" ]; then
	KDIR_PROD=${KDIR_PROD:-$KDIR}
else
	KDIR_PROD=$KTREE_PROD
fi
BUILD=$TOP/build
JOBS=${JOBS:-$(($(nproc) + 1))}
# The Rust module built for each kernel (scripts/prepare.sh): in the
# checkout for the debug kernel, in a copy under build/ for the other.
# The top-level Kbuild links each module there from the library crate
# (rust/) and the driver's crate (samples/<driver>/).
MODULE_KO=$TOP/rust_mtty.ko
MODULE_KO_PROD=$BUILD/prod-module/rust_mtty.ko
# The second sample, built by the same Kbuild beside it (drivers.sh finds
# it from RUST_MTTY_KO).
MSHM_KO=$TOP/rust_mshm.ko
MSHM_KO_PROD=$BUILD/prod-module/rust_mshm.ko

# The rustup toolchain, if any, has no rust-src: Debian's rustc must win.
# virtme-ng lives in a virtual environment of the cache (scripts/deps.sh).
VENV=$RUST_MDEV_CACHE/venv
# mdevctl unpacked from Debian's package without udev (scripts/deps.sh),
# unless the machine has it installed: the tests put it on their PATH.
MDEVCTL_DIR=$RUST_MDEV_CACHE/mdevctl
command -v mdevctl >/dev/null 2>&1 && MDEVCTL_DIR=
# udevd, likewise unpacked from Debian's udev without installing it: the
# tools' tests start it in the test VM for their own duration
# (selftests/smoke/udevd.sh).  A machine with udev uses its own.
UDEV_DIR=$RUST_MDEV_CACHE/udev
command -v udevadm >/dev/null 2>&1 && UDEV_DIR=
export PATH=/usr/bin:$HOME/.cargo/bin:$PATH:$VENV/bin
BINDGEN=${BINDGEN:-$(command -v bindgen || echo "$HOME/.cargo/bin/bindgen")}
kmake() {	# TREE MAKE-ARGS...: make in a kernel tree with the project's toolchain
	local tree=$1
	shift
	make -C "$tree" LLVM=1 RUSTC=/usr/bin/rustc BINDGEN="$BINDGEN" -j"$JOBS" "$@"
}

# Where the time goes: `stamp NAME SECONDS` appends to build/times, which
# check.sh prints at the end.
stamp() { mkdir -p "$BUILD" && printf '%s %s\n' "$1" "$2" >> "$BUILD/times"; }

# The settings a test VM takes from the host's environment (its own is
# not the host's): written to a file that scripts/vm-tests.sh sources.
vm_settings() {
	local v
	for v in NESTED_APPEND NESTED_CPU NESTED_TIMEOUT TEST_TIMEOUT KVM_AMD_PARAMS MDEVCTL_DIR UDEV_DIR SOAK_ROUNDS SOAK_LONG_ROUNDS; do
		[ -z "${!v:-}" ] || printf '%s=%q\n' "$v" "${!v}"
	done
}

# TCG's threading for a test VM of $1 vCPUs, unless VM_TCG_THREAD says:
# single for several vCPUs (multi-threaded TCG has a cross-vCPU race
# there), multi for one (the nested tests' VM), where single-threaded TCG
# left the VM halted for good in 3 of about 18 live migrations and
# multi-threaded TCG in none of 20 (Documentation/testing.rst, "The live
# migration test").  scripts/vm.sh uses it; nested-soak.sh reports it.
tcg_thread() {	# VCPUS
	if [ -n "${VM_TCG_THREAD:-}" ]; then echo "$VM_TCG_THREAD"
	elif [ "$1" = 1 ]; then echo multi
	else echo single
	fi
}
log() { printf '>>> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# QEMU for the test VMs and the nested guests (scripts/deps.sh installs it
# from bookworm-backports): VFIO migration v2 needs QEMU >= 8.
QEMU_MIN_MAJOR=10
