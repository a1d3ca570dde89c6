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

# rust_mtty's pool_ports: a value out of 1..4096 or not a number is
# refused with EINVAL and leaves no module behind; a valid one sizes the
# pool (available_instances of both types) and is read-only in sysfs.
# The refusals run with rust_mtty unloaded (one unload and one load for
# all of them: a load of the debug kernel's module is slow under TCG).
pool_refused() {	# VALUE
	local err
	if err=$(load_driver rust_mtty "pool_ports=$1" 2>&1); then
		echo "pool_ports=$1 was accepted" | tap_diag
		rmmod rust_mtty
		return 1
	fi
	echo "$err" | tap_diag
	[ ! -d /sys/module/rust_mtty ]
}

pool_sized() {	# VALUE
	local t p=/sys/module/rust_mtty/parameters/pool_ports
	rmmod rust_mtty && load_driver rust_mtty "pool_ports=$1" || return 1
	t=$(mdev_types_dir rust_mtty)
	[ "$(cat $p)" = "$1" ] &&
		[ "$(cat "$t/rust_mtty-1/available_instances")" = "$1" ] &&
		[ "$(cat "$t/rust_mtty-2/available_instances")" = "$(($1 / 2))" ] &&
		grep -q "pool of $1 ports" "$t/rust_mtty-1/description" &&
		! echo 7 2>/dev/null > $p && [ "$(cat $p)" = "$1" ] &&
		rmmod rust_mtty && load_driver rust_mtty &&
		[ "$(cat "$t/rust_mtty-1/available_instances")" = 24 ]
}

if [ -f "${RUST_MTTY_KO:-}" ]; then
	tap_check "rust_mtty unloads and reloads" reload rust_mtty
	if rmmod rust_mtty; then
		for v in 0 4097 -1 twelve; do
			tap_check "rust_mtty refuses pool_ports=$v" pool_refused "$v"
		done
		tap_check "rust_mtty loads again" load_driver rust_mtty
	else
		tap_fail "rust_mtty unloads for the pool_ports checks"
	fi
	tap_check "rust_mtty pool_ports=1 sizes the pool" pool_sized 1
	tap_check "rust_mtty pool_ports=1000 sizes the pool" pool_sized 1000
else
	tap_skip "rust_mtty unloads and reloads" "rust_mtty.ko is not built"
fi
if [ -f "$(rust_mshm_ko)" ]; then
	tap_check "rust_mshm unloads and reloads" reload rust_mshm
else
	tap_skip "rust_mshm unloads and reloads" "rust_mshm.ko is not built"
fi
tap_done
