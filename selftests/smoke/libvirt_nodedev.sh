#!/bin/bash
# libvirt's node devices (Debian's libvirt 9.0): `virsh nodedev-list --cap
# mdev_types` lists the driver's parent, `virsh nodedev-dumpxml` shows its
# types as sysfs does; an mdev defined with `virsh nodedev-define` (which
# libvirt hands to mdevctl) is started, listed, destroyed and undefined,
# and one created with `virsh nodedev-create` (transient) is destroyed.
# libvirtd runs with only its node device driver (smoke/libvirtd.sh says
# how and why).
#
# libvirt 9.0's udev backend takes a device for an mdev parent by its
# subsystem only: PCI, CSS, the AP matrix and "mtty" (the C sample,
# named in its code for its own tests).  rust_mtty's parent is a class
# device of subsystem rust_mtty, which it does not list: for it the
# parent's checks, nodedev-define and nodedev-create are skipped with that
# reason (when the parent is indeed not listed and its subsystem is not
# one of those), and what a domain needs is checked instead: an instance
# created through sysfs is a node device with its type and UUID.
#
# libvirt's node device driver sees devices come and go through udevd's
# events: the test starts udevd for its duration (smoke/udevd.sh), and
# waits for libvirt to list a device, or no longer list it (nodedev_wait).
# Where no udevd can run, the checks that need an event (a started or
# created mdev listed as active, nodedev-destroy, nodedev-create) are
# skipped with that reason, and a device the test needs listed is created
# before libvirtd starts, which lists what exists.
set -u
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/libvirtd.sh"
. "$(dirname "$0")/udevd.sh"
drv=${MDEV_DRIVER:-mtty}

if ! command -v libvirtd > /dev/null || ! command -v virsh > /dev/null; then
	tap_skip "libvirt nodedev ($drv)" "libvirtd or virsh is not installed (scripts/deps.sh installs them)"
	tap_done
fi
if [ ! -d "/sys/class/mdev_bus/$drv" ]; then
	tap_skip "libvirt nodedev ($drv)" "no mdev parent $drv: module not loaded or not built"
	tap_done
fi
uuid=5e1f7e57-$(cut -c10- /proc/sys/kernel/random/uuid)
cleanup() {
	[ -e "/sys/bus/mdev/devices/$uuid" ] && mdev_remove "$uuid"
	mdevctl undefine -u "$uuid" > /dev/null 2>&1
	libvirtd_stop
	udevd_stop
}
trap cleanup EXIT
# udevd first: libvirt's node device driver sees devices come and go
# through its events (smoke/udevd.sh).
udevd=
if udevd_start; then
	udevd=yes
	tap_ok "udevd runs, for libvirt's node device driver"
elif [ -n "${UDEV_DIR:-}" ]; then
	tap_fail "udevd starts from UDEV_DIR"
fi
# nodedev_wait present|absent RE: until virsh lists a name that RE matches
# as a whole (grep -x), or no longer does, among the mdevs.  udevadm settle
# returns once udevd has passed the event on; libvirtd handles it in a
# thread of its own, a moment later.
nodedev_wait() {
	local s
	udevd_settle
	s=$(date +%s)
	while :; do
		if virsh nodedev-list --cap mdev 2> /dev/null | grep -qx "$2"; then
			[ "$1" = present ] && return 0
		else
			[ "$1" = absent ] && return 0
		fi
		if [ $(($(date +%s) - s)) -ge "$UDEVD_TIMEOUT" ]; then
			echo "# $2 not $1 in virsh nodedev-list --cap mdev after UDEVD_TIMEOUT=$UDEVD_TIMEOUT s"
			return 1
		fi
		sleep 0.5
	done
}
noevents="libvirt sees devices come and go through udevd's events, and no udevd runs in this VM (scripts/deps.sh unpacks one into the cache)"
if ! libvirtd_start nodedev > /tmp/libvirtd-start.$$ 2>&1; then
	tap_fail "libvirtd starts (node device driver only)"
	tap_diag < /tmp/libvirtd-start.$$
	rm -f /tmp/libvirtd-start.$$
	tap_done
fi
rm -f /tmp/libvirtd-start.$$
tap_ok "libvirtd starts (node device driver only), in $LIBVIRTD_SECS s"
libvirtd --version | tap_diag

# --- the parent and its types -------------------------------------------------
parent=
for n in $(virsh nodedev-list --cap mdev_types); do
	if [ "$(virsh nodedev-dumpxml "$n" | sed -n 's|^ *<path>\(.*\)</path>$|\1|p')" = \
	     "$(readlink -f "/sys/class/mdev_bus/$drv")" ]; then
		parent=$n
	fi
done
subsys=$(basename "$(readlink -f "/sys/class/mdev_bus/$drv/subsystem")")
if [ -z "$parent" ] && [ "$drv" != mtty ] &&
   ! grep -qxE 'pci|css|matrix|mtty' <<< "$subsys"; then
	why="libvirt 9.0 does not take a device of subsystem $subsys for an mdev parent (only pci, css, matrix, mtty)"
	tap_skip "nodedev-list --cap mdev_types lists $drv's parent" "$why"
	uuid2=$(mdev_create "$drv" 1) && uuid=$uuid2
	if [ -n "$udevd" ]; then
		nodedev_wait present "mdev_${uuid//-/_}_.*"
	else
		# libvirtd lists what exists when it starts
		libvirtd_stop
		libvirtd_start nodedev > /dev/null 2>&1 || tap_fail "libvirtd restarts"
	fi
	name=$(virsh nodedev-list --cap mdev | grep -F "mdev_${uuid//-/_}")
	tap_check "an instance created through sysfs is a node device (${name:-none})" test -n "$name"
	xml=$(virsh nodedev-dumpxml "${name:-none}" 2>&1)
	echo "$xml" | tap_diag
	tap_check "nodedev-dumpxml $name: type $drv-1, uuid $uuid" \
		bash -c 'grep -qF "<type id='"'"'$1'"'"'/>" <<< "$3" && grep -qF "<uuid>$2</uuid>" <<< "$3"' _ "$drv-1" "$uuid" "$xml"
	mdev_remove "$uuid"
	if [ -n "$udevd" ]; then
		tap_check "removed: no longer a node device" nodedev_wait absent "mdev_${uuid//-/_}_.*"
	else
		tap_skip "removed: no longer a node device" "$noevents"
	fi
	tap_skip "nodedev-dumpxml of the parent, nodedev-define, nodedev-create" "$why"
	[ -z "$_udevd_pid" ] || tap_check "udevd stops" udevd_stop
	tap_done
fi
tap_check "nodedev-list --cap mdev_types lists $drv's parent (${parent:-none})" test -n "$parent"
if [ -z "$parent" ]; then
	echo "$drv's parent is $(readlink -f "/sys/class/mdev_bus/$drv"); libvirt's mdev_types: $(virsh nodedev-list --cap mdev_types | tr '\n' ' ')" | tap_diag
	udevadm info "$(readlink -f "/sys/class/mdev_bus/$drv")" 2>&1 | tap_diag
	virsh nodedev-list 2>&1 | grep -i mtty | tap_diag
	tail -n 20 /var/log/libvirt/libvirtd.log | tap_diag
fi
xml=$(virsh nodedev-dumpxml "$parent" 2>&1)
echo "$xml" | tap_diag
tdir=/sys/class/mdev_bus/$drv/mdev_supported_types
for t in "$tdir"/*; do
	t=$(basename "$t")
	# The <type id='T'> element and its children, up to </type>.
	b=$(awk -v t="$t" 'index($0, "<type id='"'"'" t "'"'"'>") { on = 1 } on { print } on && /<\/type>/ { exit }' <<< "$xml")
	ok=1
	grep -qF "<name>$(cat "$tdir/$t/name")</name>" <<< "$b" || ok=
	grep -qF "<deviceAPI>$(cat "$tdir/$t/device_api")</deviceAPI>" <<< "$b" || ok=
	grep -qF "<availableInstances>$(cat "$tdir/$t/available_instances")</availableInstances>" <<< "$b" || ok=
	if [ -n "$ok" ]; then
		tap_ok "nodedev-dumpxml $parent: type $t with sysfs' name, deviceAPI, availableInstances"
	else
		tap_fail "nodedev-dumpxml $parent: type $t with sysfs' name, deviceAPI, availableInstances"
	fi
done

# --- nodedev-define / start / destroy / undefine ---------------------------------
t=$drv-1
cat > /tmp/mdev-$$.xml <<XML
<device>
  <parent>$parent</parent>
  <capability type='mdev'>
    <type id='$t'/>
    <uuid>$uuid</uuid>
  </capability>
</device>
XML
out=$(virsh nodedev-define /tmp/mdev-$$.xml 2>&1)
rc=$?
echo "$out" | tap_diag
name=$(sed -n "s/^Node device '\(.*\)' defined from .*/\1/p" <<< "$out")
tap_check "nodedev-define of a $t mdev (${name:-no name})" test $rc = 0 -a -n "$name"
tap_check "defined: listed by nodedev-list --cap mdev --inactive" \
	grep -qx "${name:-no name}" <<< "$(virsh nodedev-list --cap mdev --inactive)"
tap_check "defined: in mdevctl's definitions" grep -q "^$uuid $drv $t" <<< "$(mdevctl list --defined)"
tap_check "defined: not created yet" test ! -e "/sys/bus/mdev/devices/$uuid"
tap_check "nodedev-start $name" virsh -q nodedev-start "$name"
tap_check "started: the instance is in sysfs, type $t" \
	test "$(basename "$(readlink "/sys/bus/mdev/devices/$uuid/mdev_type" 2>/dev/null)")" = "$t"
if [ -n "$udevd" ]; then
	# The node device driver sees the new device through udev: event-driven.
	tap_check "started: listed by nodedev-list --cap mdev" nodedev_wait present "${name:-no name}"
	tap_check "nodedev-destroy $name" virsh -q nodedev-destroy "$name"
else
	tap_skip "started: listed by nodedev-list --cap mdev; nodedev-destroy" "$noevents"
	mdevctl stop -u "$uuid"
fi
tap_check "destroyed: the instance is gone from sysfs" test ! -e "/sys/bus/mdev/devices/$uuid"
tap_check "nodedev-undefine $name" virsh -q nodedev-undefine "$name"
tap_check "undefined: gone from mdevctl's definitions" \
	bash -c '! mdevctl list --defined | grep -q "^$1"' _ "$uuid"

# --- nodedev-create (transient) ----------------------------------------------------
if [ -z "$udevd" ]; then
	tap_skip "nodedev-create, nodedev-destroy of a transient mdev" "$noevents"
else
	out=$(virsh nodedev-create /tmp/mdev-$$.xml 2>&1)
	rc=$?
	echo "$out" | tap_diag
	name=$(sed -n 's/^Node device \(.*\) created from .*/\1/p' <<< "$out")
	tap_check "nodedev-create of a $t mdev (${name:-no name})" test $rc = 0 -a -n "$name"
	tap_check "created: the instance is in sysfs" test -e "/sys/bus/mdev/devices/$uuid"
	udevd_settle
	tap_check "nodedev-destroy $name" virsh -q nodedev-destroy "$name"
	tap_check "destroyed: the instance is gone from sysfs" test ! -e "/sys/bus/mdev/devices/$uuid"
fi
rm -f /tmp/mdev-$$.xml
[ -z "$_udevd_pid" ] || tap_check "udevd stops" udevd_stop
tap_done
