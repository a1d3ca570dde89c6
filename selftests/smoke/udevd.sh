# udevd in the test VM, for the tools' tests: libvirt's node device driver
# sees devices come and go through udevd's events, and mdevctl's udev rule
# starts the auto-start instances when a parent registers.  Sourced; bash.
#
# virtme-ng's init starts udevd only where udev is installed, and installing
# it slows every test VM's boot (scripts/deps.sh).  So udevd comes from
# Debian's udev package unpacked into the cache (UDEV_DIR), and the tests
# that need it start it with udevd_start and stop it with udevd_stop.  It
# runs with the machine's rules, without a coldplug: it passes on the
# events that come after its start, which is what the tests wait for.
# Where udevd already runs (udev installed), both do nothing.
#
# A hang guard for udevd's control socket to appear (well under a second on
# the production kernel).
UDEVD_TIMEOUT=${UDEVD_TIMEOUT:-120}
[ -z "${UDEV_DIR:-}" ] || PATH=$UDEV_DIR/bin:$PATH
_udevd_ours=
udevd_running() { pidof systemd-udevd > /dev/null || pidof udevd > /dev/null; }
udevd_start() {	# 0 when udevd runs; says why not
	local s
	udevd_running && return 0
	if [ -z "${UDEV_DIR:-}" ] || [ ! -x "$UDEV_DIR/lib/systemd/systemd-udevd" ]; then
		echo "no udevd: udev is not installed and not unpacked in UDEV_DIR (scripts/deps.sh)"
		return 1
	fi
	"$UDEV_DIR/lib/systemd/systemd-udevd" --daemon --resolve-names=never || {
		echo "systemd-udevd --daemon failed"
		return 1
	}
	_udevd_ours=yes
	s=$(date +%s)
	until udevadm control --ping 2> /dev/null; do
		if [ $(($(date +%s) - s)) -ge "$UDEVD_TIMEOUT" ]; then
			echo "udevd does not answer after UDEVD_TIMEOUT=$UDEVD_TIMEOUT s"
			return 1
		fi
		sleep 0.2
	done
}
udevd_stop() {	# stops the udevd udevd_start started, after its events
	[ -n "$_udevd_ours" ] || return 0
	_udevd_ours=
	udevadm settle --timeout="$UDEVD_TIMEOUT"
	udevadm control --exit
	# --exit returns when udevd has exited; the guard bounds a hang.
	for _ in $(seq 1 "$((UDEVD_TIMEOUT * 2))"); do udevd_running || return 0; sleep 0.5; done
	echo "udevd still runs after udevadm control --exit and $UDEVD_TIMEOUT s"
	return 1
}
