# udevd in the test VM, for the tools' tests: libvirt's node device driver
# sees devices come and go through udevd's events, and mdevctl's udev rule
# starts the auto-start instances when a parent registers.  Sourced, after
# tap.sh; bash.
#
# virtme-ng's init starts udevd only where udev is installed, and installing
# it slows every test VM's boot (scripts/deps.sh).  So udevd comes from
# Debian's udev package unpacked into the cache (UDEV_DIR), and the tests
# that need it start it with udevd_start and stop it with udevd_stop.  It
# runs with the machine's rules, without a coldplug: it passes on the
# events that come after its start, which is what the tests wait for.  It
# runs in the foreground, as a child of the test, so that the test knows
# its PID and that nothing else stops it.  Where udevd already runs (udev
# installed), both do nothing.  Both say what went wrong in TAP comments.
#
# A hang guard for udevd to answer, to exit, and for its events to be
# handled (udevadm settle); each takes a few seconds at most.
UDEVD_TIMEOUT=${UDEVD_TIMEOUT:-120}
[ -z "${UDEV_DIR:-}" ] || PATH=$UDEV_DIR/bin:$PATH
_udevd_pid=
_udevd_log=/run/rust-mdev-udevd.log
udevd_runs() {	# whether a udevd runs: ours or the machine's
	{ [ -n "$_udevd_pid" ] && pid_alive "$_udevd_pid"; } ||
		pidof systemd-udevd > /dev/null || pidof udevd > /dev/null
}
udevd_start() {	# 0 when udevd runs (1 when it cannot: says why)
	local s
	udevd_runs && return 0
	if [ -z "${UDEV_DIR:-}" ] || [ ! -x "$UDEV_DIR/lib/systemd/systemd-udevd" ]; then
		echo "# no udevd: udev is not installed and not unpacked in UDEV_DIR (scripts/deps.sh)"
		return 1
	fi
	"$UDEV_DIR/lib/systemd/systemd-udevd" --resolve-names=never > "$_udevd_log" 2>&1 &
	_udevd_pid=$!
	s=$(date +%s)
	until udevadm control --ping 2> /dev/null; do
		if ! pid_alive "$_udevd_pid" ||
		   [ $(($(date +%s) - s)) -ge "$UDEVD_TIMEOUT" ]; then
			echo "# systemd-udevd did not answer within UDEVD_TIMEOUT=$UDEVD_TIMEOUT s; its log:"
			tap_diag < "$_udevd_log"
			kill "$_udevd_pid" 2> /dev/null
			_udevd_pid=
			return 1
		fi
		sleep 0.2
	done
}
udevd_settle() {	# waits until udevd has handled the events so far
	udevadm settle --timeout="$UDEVD_TIMEOUT" ||
		echo "# udevadm settle: events still queued after UDEVD_TIMEOUT=$UDEVD_TIMEOUT s"
}
udevd_stop() {	# stops the udevd udevd_start started, after its events
	local pid=$_udevd_pid
	[ -n "$pid" ] || return 0
	_udevd_pid=
	if ! pid_alive "$pid"; then
		echo "# udevd (pid $pid) had exited before the test stopped it; its log:"
		tap_diag < "$_udevd_log"
		return 1
	fi
	udevd_settle
	udevadm control --exit || echo "# udevadm control --exit failed (exit $?)"
	pid_gone "$pid" "$UDEVD_TIMEOUT" && return 0
	echo "# udevd (pid $pid) still runs after udevadm control --exit and $UDEVD_TIMEOUT s: SIGKILL; its log:"
	tap_diag < "$_udevd_log"
	kill -9 "$pid"
	return 1
}
