#!/bin/bash
# The C mtty sample and the Rust driver load and unload cleanly, twice.
. "$(dirname "$0")/tap.sh"

reload() {	# NAME LOAD-COMMAND...
	local name=$1; shift
	local i
	for i in 1 2; do
		rmmod "$name" || return 1
		[ ! -d "/sys/module/$name" ] || return 1
		"$@" || return 1
		[ -d "/sys/class/mdev_bus/$name" ] || return 1
	done
}

tap_check "mtty unloads and reloads" reload mtty modprobe mtty
if [ -f "${RUST_MTTY_KO:-}" ]; then
	tap_check "rust_mtty unloads and reloads" reload rust_mtty insmod "$RUST_MTTY_KO"
else
	tap_skip "rust_mtty unloads and reloads" "rust_mtty.ko is not built"
fi
tap_done
