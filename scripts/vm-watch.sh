#!/usr/bin/env bash
# Boot a test VM (scripts/vm.sh) with a time limit:
#   vm-watch.sh LIMIT DIR COMMAND...
# runs COMMAND in the VM, its console in DIR/console.log.  20 s before
# LIMIT (s) it asks the VM's QEMU where its vCPUs are (DIR/hang.txt, "info
# registers -a"), and at LIMIT it kills the VM: exit status 124 (137 if it
# had to be killed with SIGKILL), as timeout(1) has it.  Other settings of
# vm.sh (VM_KDIR, VM_CPUS, ...) come from the environment.
set -uo pipefail
. "$(dirname "$0")/env.sh"
limit=$1 dir=$2
shift 2
mon=/tmp/rust-mdev-$$.monitor
VM_MONITOR=$mon timeout -k 30 "$limit" "$TOP/scripts/vm.sh" "$@" > "$dir/console.log" 2>&1 &
vpid=$!
(
	sleep $((limit > 40 ? limit - 20 : limit / 2)) &
	trap 'kill $!; exit 0' TERM
	wait $!
	kill -0 $vpid 2>/dev/null &&
		python3 "$TOP/scripts/hmp.py" "$mon" "info status" "info registers -a" > "$dir/hang.txt" 2>&1
) &
wpid=$!
rc=0
wait $vpid || rc=$?
kill $wpid 2>/dev/null
wait $wpid 2>/dev/null
rm -f "$mon"
exit $rc
