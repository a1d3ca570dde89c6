#!/bin/bash
# An mdev instance is created and removed through sysfs, for each type.
. "$(dirname "$0")/tap.sh"
drv=${MDEV_DRIVER:-mtty}

if [ ! -d "/sys/class/mdev_bus/$drv" ]; then
	tap_skip "mdev lifecycle ($drv)" "no mdev parent $drv: module not loaded or not built"
	tap_done
fi

for n in 1 2; do
	t=$(mdev_types_dir "$drv")/$drv-$n
	before=$(cat "$t/available_instances")
	if ! uuid=$(mdev_create "$drv" "$n"); then
		tap_fail "create $drv-$n instance"
		continue
	fi
	tap_check "create $drv-$n instance" test -d "/sys/bus/mdev/devices/$uuid"
	tap_check "$drv-$n instance listed under its type" test -e "$t/devices/$uuid"
	tap_check "$drv-$n instance has an IOMMU group" test -e "/sys/bus/mdev/devices/$uuid/iommu_group"
	mdev_remove "$uuid"
	tap_check "remove $drv-$n instance" test ! -e "/sys/bus/mdev/devices/$uuid"
	tap_check "$drv-$n available_instances restored" test "$(cat "$t/available_instances")" = "$before"
done
tap_done
