#!/bin/bash
# mdevctl (Debian's 1.2) manages the driver's instances: it lists the parent
# and its types as sysfs shows them; define (--auto), start, list, list
# --defined, stop and undefine work, with the JSON config under
# /etc/mdevctl.d; an instance it started is usable through VFIO (a KVM VM
# attached, a byte looped through port 0) and, for rust_mtty, shows the VM
# in rust_mtty/vm_state; and a defined auto-start instance comes back when
# the driver is unloaded and loaded again.
#
# mdevctl is Debian's, unpacked into the cache without udev (MDEVCTL_DIR,
# scripts/deps.sh says why), or the machine's own.  The auto-start is done
# by mdevctl's udev rule, in udevd, which the test starts for its duration
# (smoke/udevd.sh: Debian's udevd, unpacked into the cache too).  udevd
# does not read the rule of an mdevctl unpacked into the cache, and
# Debian's rule (60-mdevctl.rules) runs /usr/sbin/mdevctl where the package
# installs /usr/bin/mdevctl, so it starts nothing on bookworm: the test
# puts a copy of the packaged rule that runs the mdevctl it uses in
# /run/udev/rules.d (where it also overrides an installed rule), and says
# so.  Without any udevd (no UDEV_DIR, no udev installed) it runs what the
# rule runs, `mdevctl start-parent-mdevs <parent>`, itself after the
# driver is loaded, and says so in the check's name.
#
# /etc/mdevctl.d is a tmpfs for the duration of the test, with the two
# directories mdevctl requires; the test VM's /etc is an overlay on the
# host's, so the host's /etc is never written.
set -u
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/drivers.sh"
. "$(dirname "$0")/udevd.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
drv=${MDEV_DRIVER:-mtty}
use=$TOP/build/selftests/mdev_use
conf=/etc/mdevctl.d
rule=60-mdevctl.rules

[ -z "${MDEVCTL_DIR:-}" ] || PATH=$MDEVCTL_DIR/usr/bin:$PATH
if ! command -v mdevctl > /dev/null; then
	tap_skip "mdevctl ($drv)" "mdevctl is not installed (scripts/deps.sh installs it)"
	tap_done
fi
if [ ! -d "/sys/class/mdev_bus/$drv" ]; then
	tap_skip "mdevctl ($drv)" "no mdev parent $drv: module not loaded or not built"
	tap_done
fi
mkdir -p "$conf" || { tap_fail "mkdir $conf"; tap_done; }

uuid=5e1f7e57-$(cut -c10- /proc/sys/kernel/random/uuid)
rule_copy=
cleanup() {
	[ -e "/sys/bus/mdev/devices/$uuid" ] && mdevctl stop -u "$uuid" > /dev/null 2>&1
	[ -e "/sys/bus/mdev/devices/$uuid" ] && mdev_remove "$uuid"
	if [ -n "$rule_copy" ]; then
		rm -f "$rule_copy"
		! udevd_runs || udevadm control --reload
	fi
	mountpoint -q "$conf" && umount "$conf"
	udevd_stop
}
trap cleanup EXIT
mount -t tmpfs -o mode=755 mdevctl-test "$conf" &&
	mkdir -p "$conf/scripts.d/callouts" "$conf/scripts.d/notifiers" ||
	{ tap_fail "a tmpfs on $conf"; tap_done; }
# (after the tmpfs: mdevctl wants its directories even for --version)
mdevctl --version 2>&1 | tap_diag

if udevd_start; then
	tap_ok "udevd runs, for mdevctl's udev rule"
elif [ -n "${UDEV_DIR:-}" ]; then
	tap_fail "udevd starts from UDEV_DIR"
fi

# --- mdevctl types -----------------------------------------------------------
types=$(mdevctl types 2>&1)
echo "$types" | tap_diag
type_block() {	# TYPE: the lines of TYPE's entry under our parent
	echo "$types" | awk -v p="$drv" -v t="$1" '
		/^[^ ]/ { inp = ($1 == p); next }
		/^  [^ ]/ { inty = inp && ($1 == t); next }
		inty'
}
tap_check "types: parent $drv listed" grep -qx "$drv" <<< "$types"
tdir=$(mdev_types_dir "$drv")
ntypes=0
for t in "$tdir"/*; do
	t=$(basename "$t")
	ntypes=$((ntypes + 1))
	b=$(type_block "$t")
	avail=$(cat "$tdir/$t/available_instances")
	api=$(cat "$tdir/$t/device_api")
	name=$(cat "$tdir/$t/name" 2>/dev/null)
	ok=1
	grep -qx "    Available instances: $avail" <<< "$b" || ok=
	grep -qx "    Device API: $api" <<< "$b" || ok=
	[ -z "$name" ] || grep -qx "    Name: $name" <<< "$b" || ok=
	if [ -r "$tdir/$t/description" ]; then
		desc=$(head -n 1 "$tdir/$t/description")
		grep -qF "    Description: $desc" <<< "$b" || ok=
	fi
	if [ -n "$ok" ]; then
		tap_ok "types: $t with sysfs' name, description, available_instances ($avail), device_api ($api)"
	else
		tap_fail "types: $t with sysfs' name, description, available_instances ($avail), device_api ($api)"
	fi
done
tap_check "types: $drv has types ($ntypes)" test "$ntypes" -ge 2

# --- define, list --defined ---------------------------------------------------
t=$drv-2
json=$conf/$drv/$uuid
tap_check "define -u $uuid -p $drv -t $t --auto" mdevctl define -u "$uuid" -p "$drv" -t "$t" --auto
json_ok() {
	python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))
sys.exit(not (c["mdev_type"] == sys.argv[2] and c["start"] == "auto"))' "$json" "$t"
}
tap_check "define wrote $json: mdev_type $t, start auto" json_ok
tap_check "list --defined: $uuid $drv $t auto" \
	grep -qx "$uuid $drv $t auto" <<< "$(mdevctl list --defined)"
tap_check "define alone does not create the instance" test ! -e "/sys/bus/mdev/devices/$uuid"

# --- start, list ---------------------------------------------------------------
tap_check "start -u $uuid" mdevctl start -u "$uuid"
tap_check "start: the instance is in sysfs, type $t" \
	test "$(basename "$(readlink "/sys/bus/mdev/devices/$uuid/mdev_type")")" = "$t"
tap_check "list: $uuid $drv $t (active)" \
	grep -q "^$uuid $drv $t auto" <<< "$(mdevctl list)"
tap_check "list --defined: $uuid shown active" \
	grep -q "^$uuid $drv $t auto (active)" <<< "$(mdevctl list --defined)"

# --- the instance through VFIO -------------------------------------------------
used() {	# [mdev_use's output]
	out=$("$use" "$uuid" 2>&1)
	rc=$?
	echo "$out" | tap_diag
	return $rc
}
tap_check "the started instance opens through VFIO, a VM attached (mdev_use)" used
tap_check "loopback through port 0" grep -qx 'loopback: ok' <<< "$out"
if [ "$drv" = rust_mtty ]; then
	if grep -qx 'kvm: attached' <<< "$out"; then
		tap_check "vm_state while open: vm: attached, open_count: 1" \
			grep -qx 'vm_state_open: vm: attached;open_count: 1' <<< "$out"
	else
		tap_skip "vm_state while open" "no KVM in this VM"
	fi
	tap_check "vm_state after close: vm: none, open_count: 0" \
		grep -qx 'vm_state_closed: vm: none;open_count: 0' <<< "$out"
fi

# --- the auto-start instance comes back with its parent -------------------------
packaged=${MDEVCTL_DIR:-}/lib/udev/rules.d/$rule
if udevd_runs; then
	by="mdevctl's udev rule"
	runs=$(grep -o '/[^ ]*/mdevctl ' "$packaged" 2>/dev/null | head -n 1)
	runs=${runs% }
	if [ ! -f "$packaged" ] || [ -z "$runs" ]; then
		tap_fail "mdevctl's udev rule: $packaged with its mdevctl command"
	elif [ -n "${MDEVCTL_DIR:-}" ] || [ ! -x "$runs" ]; then
		rule_copy=/run/udev/rules.d/$rule
		echo "$packaged runs $runs; a copy in $rule_copy runs $(command -v mdevctl)" | tap_diag
		mkdir -p /run/udev/rules.d
		sed "s|$runs |$(command -v mdevctl) |g" "$packaged" > "$rule_copy"
		udevadm control --reload
	fi
else
	by="mdevctl start-parent-mdevs $drv (what its udev rule runs; udevd does not run in this VM)"
fi
s=$(date +%s)
reload_driver "$drv"
rc=$?
tap_check "unload and load $drv" test $rc = 0
if [ "${by%% *}" = "mdevctl's" ]; then
	udevd_settle
else
	mdevctl start-parent-mdevs "$drv" 2>&1 | tap_diag
fi
tap_check "auto-start: $uuid is back after the reload, by $by ($(($(date +%s) - s)) s)" \
	test -e "/sys/bus/mdev/devices/$uuid"
tap_check "auto-start: list shows $uuid" grep -q "^$uuid $drv $t" <<< "$(mdevctl list)"

# --- stop, undefine ---------------------------------------------------------------
tap_check "stop -u $uuid" mdevctl stop -u "$uuid"
tap_check "stop: the instance is gone from sysfs" test ! -e "/sys/bus/mdev/devices/$uuid"
tap_check "stop: list no longer shows it" bash -c '! mdevctl list | grep -q "^$1"' _ "$uuid"
tap_check "stop: still defined" grep -qx "$uuid $drv $t auto" <<< "$(mdevctl list --defined)"
tap_check "undefine -u $uuid" mdevctl undefine -u "$uuid"
tap_check "undefine removed $json" test ! -e "$json"
tap_check "undefine: list --defined no longer shows it" \
	bash -c '! mdevctl list --defined | grep -q "^$1"' _ "$uuid"
tap_check "available_instances of $t back to what it was" \
	test "$(cat "$tdir/$t/available_instances")" = "$(type_block "$t" | sed -n 's/^    Available instances: //p')"
[ -z "$_udevd_pid" ] || tap_check "udevd stops" udevd_stop
tap_done
