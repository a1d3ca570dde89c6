# Loading the mdev drivers in the test VM: one place for the runners
# (scripts/vm-tests.sh, vm-run.sh, bench.sh) and the smoke tests.
# Sourced; POSIX sh.
#
# The Rust driver is not in the test kernel's module tree: it is loaded
# from RUST_MTTY_KO, which the caller sets, with insmod.  insmod does not
# resolve dependencies, so mdev.ko (CONFIG_VFIO_MDEV=m) is loaded first.
# The other drivers (the C mtty sample) come from the module tree.
# rust_mshm, the second Rust sample, is built beside rust_mtty (./Kbuild):
# its file is RUST_MSHM_KO, by default found from RUST_MTTY_KO.

rust_mshm_ko() {
	echo "${RUST_MSHM_KO:-${RUST_MTTY_KO%/rust_mtty.ko}/rust_mshm.ko}"
}

load_driver() {	# DRIVER [PARAMETER=VALUE...]
	local drv=$1
	shift
	case $drv in
	rust_mtty) [ -f "${RUST_MTTY_KO:-}" ] && modprobe mdev && insmod "$RUST_MTTY_KO" "$@" ;;
	rust_mshm) [ -f "$(rust_mshm_ko)" ] && modprobe mdev && insmod "$(rust_mshm_ko)" "$@" ;;
	*) modprobe "$drv" "$@" ;;
	esac
}

reload_driver() {	# DRIVER: unloads it, checks that it is gone, loads it again
	rmmod "$1" && [ ! -d "/sys/module/$1" ] && load_driver "$1"
}
