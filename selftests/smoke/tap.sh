# Minimal TAP producer for the shell smoke tests.  Sourced.
# The kselftest harness's format: "ok N desc", "not ok N desc",
# "ok N desc # SKIP reason", plan "1..N" printed at the end.
_tap_n=0
_tap_failed=0
tap_ok()   { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n $*"; }
tap_fail() { _tap_n=$((_tap_n + 1)); _tap_failed=1; echo "not ok $_tap_n $*"; }
tap_skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n $1 # SKIP $2"; }
# tap_check DESC CMD...: ok if CMD succeeds
tap_check() {
	local d=$1; shift
	if "$@"; then tap_ok "$d"; else tap_fail "$d"; fi
}
tap_diag() { sed 's/^/# /'; }
tap_done() { echo "1..$_tap_n"; exit $_tap_failed; }
# pid_alive PID: whether PID runs.  A daemon is reparented to the test
# VM's init, which reaps it a minute or more after it exits: a zombie
# does not run, though kill -0 still finds it.
pid_alive() {
	local st
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	case ${st%% *} in Z|X) return 1 ;; esac
}
# pid_gone PID SECONDS: whether PID stops running within SECONDS.
pid_gone() {
	local i
	for ((i = 0; i < $2 * 2; i++)); do
		pid_alive "$1" || return 0
		sleep 0.5
	done
	! pid_alive "$1"
}

# mdev helpers shared by the smoke tests
mdev_types_dir() { echo "/sys/class/mdev_bus/$1/mdev_supported_types"; }
mdev_create() {	# DRIVER TYPE_SUFFIX -> prints uuid
	local uuid
	uuid=$(cat /proc/sys/kernel/random/uuid)
	echo "$uuid" > "$(mdev_types_dir "$1")/$1-$2/create" || return 1
	echo "$uuid"
}
mdev_remove() { echo 1 > "/sys/bus/mdev/devices/$1/remove"; }
