#!/bin/bash
# The C mtty sample and the Rust drivers load and unload cleanly, twice.
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/drivers.sh"

reload() {	# DRIVER: twice, and its mdev parent is back each time
	local i
	for i in 1 2; do
		reload_driver "$1" && [ -d "/sys/class/mdev_bus/$1" ] || return 1
	done
}

tap_check "mtty unloads and reloads" reload mtty
if [ -f "${RUST_MTTY_KO:-}" ]; then
	tap_check "rust_mtty unloads and reloads" reload rust_mtty
else
	tap_skip "rust_mtty unloads and reloads" "rust_mtty.ko is not built"
fi
if [ -f "$(rust_mshm_ko)" ]; then
	tap_check "rust_mshm unloads and reloads" reload rust_mshm
else
	tap_skip "rust_mshm unloads and reloads" "rust_mshm.ko is not built"
fi
tap_done
