# libvirtd (Debian's libvirt-daemon-system, 9.0) in the test VM, for the
# libvirt tests.  Sourced, after tap.sh (pid_alive); bash.
#
# The VM's root file system is the host's, read-only: what libvirtd and
# mdevctl (which libvirt's node device driver runs) write goes to tmpfs
# mounted over /etc/mdevctl.d and /var/log, and to copies of /etc/libvirt
# and /var/lib/libvirt in a tmpfs bound over them; the host's files are
# not touched.  The default network's autostart is dropped from the copy
# (no bridge or dnsmasq is needed).  `libvirtd_start nodedev` loads only
# the node device driver (the connection drivers' directory is bound to a
# copy that has only it): the daemon is then up in seconds, where the QEMU
# driver first probes QEMU's capabilities; virsh then connects to
# nodedev:///system.  libvirtd_stop undoes it all.
# A hang guard for the daemon to answer: 4 s with the node device driver
# alone, about 30 s with all of them on the production kernel.
LIBVIRTD_TIMEOUT=${LIBVIRTD_TIMEOUT:-600}
# libvirt runs mdevctl from PATH: Debian's, unpacked (scripts/deps.sh).
[ -z "${MDEVCTL_DIR:-}" ] || PATH=$MDEVCTL_DIR/usr/bin:$PATH
_lv_tmp=
_lv_mounts=()
_lv_mount() {	# mount args... TARGET
	mount "$@" && _lv_mounts=("${@: -1}" "${_lv_mounts[@]}")
}
libvirtd_start() {	# [nodedev]: 0 when virsh can connect; says why not
	local d drv=/usr/lib/x86_64-linux-gnu/libvirt/connection-driver s
	_lv_tmp=$(mktemp -d /run/rust-mdev-libvirt.XXXXXX)
	mountpoint -q /etc/mdevctl.d || {
		mkdir -p /etc/mdevctl.d &&
		_lv_mount -t tmpfs -o mode=755 libvirt-test /etc/mdevctl.d &&
		mkdir -p /etc/mdevctl.d/scripts.d/callouts /etc/mdevctl.d/scripts.d/notifiers
	} || return 1
	_lv_mount -t tmpfs -o mode=755 libvirt-test /var/log || return 1
	mkdir -p /var/log/libvirt/qemu
	for d in /etc/libvirt /var/lib/libvirt; do
		mkdir -p "$_lv_tmp$d"
		cp -a "$d/." "$_lv_tmp$d/" && _lv_mount --bind "$_lv_tmp$d" "$d" || return 1
	done
	rm -f /etc/libvirt/qemu/networks/autostart/*.xml
	# LIBVIRTD_QEMU_CONF: lines added to the copy's qemu.conf
	[ -z "${LIBVIRTD_QEMU_CONF:-}" ] ||
		printf '%s\n' "$LIBVIRTD_QEMU_CONF" >> /etc/libvirt/qemu.conf
	if [ "${1:-}" = nodedev ]; then
		mkdir -p "$_lv_tmp/drivers"
		cp "$drv/libvirt_driver_nodedev.so" "$_lv_tmp/drivers/" &&
			_lv_mount --bind "$_lv_tmp/drivers" "$drv" || return 1
		export LIBVIRT_DEFAULT_URI=nodedev:///system
	else
		export LIBVIRT_DEFAULT_URI=qemu:///system
	fi
	s=$(date +%s)
	libvirtd -d --pid-file "$_lv_tmp/libvirtd.pid" || { echo "libvirtd -d failed"; return 1; }
	# Event-driven: virsh connects as soon as the daemon's drivers are up.
	# (virsh version needs a hypervisor driver: nodedev-list for the other)
	local probe=(version)
	[ "${1:-}" != nodedev ] || probe=(nodedev-list)
	until virsh "${probe[@]}" > "$_lv_tmp/version" 2>&1; do
		if [ $(($(date +%s) - s)) -ge "$LIBVIRTD_TIMEOUT" ]; then
			echo "libvirtd not up after LIBVIRTD_TIMEOUT=$LIBVIRTD_TIMEOUT s:"
			cat "$_lv_tmp/version"
			tail -n 20 /var/log/libvirt/libvirtd.log 2>/dev/null
			return 1
		fi
		sleep 0.5
	done
	LIBVIRTD_SECS=$(($(date +%s) - s))
}
libvirtd_stop() {
	local m pid
	if [ -n "$_lv_tmp" ] && [ -f "$_lv_tmp/libvirtd.pid" ]; then
		pid=$(cat "$_lv_tmp/libvirtd.pid")
		kill "$pid" 2>/dev/null
		# It exits within a second or two; the guard only bounds a hang.
		# (libvirtd -d is a daemon: pid_alive, not kill -0.)
		if ! pid_gone "$pid" 60; then
			echo "# libvirtd (pid $pid) still runs 60 s after SIGTERM: SIGKILL"
			kill -9 "$pid" 2>/dev/null
		fi
	fi
	# virtlogd, when the QEMU driver started it
	[ -f /run/virtlogd.pid ] && kill "$(cat /run/virtlogd.pid)" 2>/dev/null
	for m in "${_lv_mounts[@]}"; do umount "$m"; done
	_lv_mounts=()
	[ -z "$_lv_tmp" ] || rm -rf "$_lv_tmp"
	_lv_tmp=
}
