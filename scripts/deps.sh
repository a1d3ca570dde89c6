#!/usr/bin/env bash
# Install what the build and the tests need.  Idempotent and quick when
# everything is present: each step runs only if its tool is missing.
set -euo pipefail
. "$(dirname "$0")/env.sh"

debs=(linux-source-6.12 rustc-web rust-web-src rust-web-clippy rustfmt-web
      clang lld llvm libclang-dev
      busybox-static bc flex bison libelf-dev libssl-dev
      cpio dwarves make gcc libc6-dev kmod python3-venv rsync
      python3-sphinx gdb)

SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
apt_updated=
apt_install() {	# [apt-get install options] PACKAGE...
	[ -n "$apt_updated" ] || $SUDO apt-get update -qq
	apt_updated=1
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# The packages of PACKAGE... not installed, into the array `missing`.
find_missing() {
	local p
	missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
}

find_missing "${debs[@]}"
if [ ${#missing[@]} -gt 0 ]; then
	log "installing Debian packages: ${missing[*]}"
	apt_install "${missing[@]}"
fi

# QEMU from bookworm-backports (10.x): bookworm's 7.2 speaks only the
# removed VFIO migration v1 protocol, and its TCG emulation of SVM is what
# the nested guest runs on.  The suite is added beside the sources that
# already serve bookworm, with their mirror and keyring.
qemu_major() {
	local v
	v=$(qemu-system-x86_64 --version 2>/dev/null | sed -n 's/^QEMU emulator version \([0-9]*\)\..*/\1/p')
	echo "${v:-0}"
}
if [ "$(qemu_major)" -lt "$QEMU_MIN_MAJOR" ]; then
	if ! apt-cache policy 2>/dev/null | grep -q 'bookworm-backports/main'; then
		log "adding bookworm-backports to apt's sources"
		"$TOP/scripts/apt-backports.py" | $SUDO tee /etc/apt/sources.list.d/rust-mdev-backports.sources >/dev/null
		apt_updated=
	fi
	log "installing QEMU >= $QEMU_MIN_MAJOR from bookworm-backports"
	apt_install -t bookworm-backports qemu-system-x86
	[ "$(qemu_major)" -ge "$QEMU_MIN_MAJOR" ] ||
		die "qemu-system-x86_64 is $(qemu-system-x86_64 --version | head -1), need >= $QEMU_MIN_MAJOR"
fi

# The tools users drive mediated devices with, and DKMS (the tests:
# mdevctl, libvirt_nodedev, libvirt, dkms in selftests/TESTS).  Without
# recommends: dkms's would bring the headers of Debian's own kernel,
# libvirt's a second QEMU and mdevctl.  Installing libvirt-daemon-system
# starts its services where an init system runs: a policy-rc.d that
# denies it is in place for the install (Debian's way for containers and
# chroots), unless the machine has one.
tools=(dkms libvirt-daemon-system libvirt-clients)
find_missing "${tools[@]}"
if [ ${#missing[@]} -gt 0 ]; then
	log "installing Debian packages: ${missing[*]}"
	policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\n# rust-mdev deps.sh: no service starts during its install\nexit 101\n' |
			$SUDO tee "$policy" >/dev/null
		$SUDO chmod 755 "$policy"
	fi
	rc=0
	apt_install --no-install-recommends "${missing[@]}" || rc=$?
	[ -z "$policy" ] || $SUDO rm -f "$policy"
	[ $rc = 0 ] || die "apt-get install ${missing[*]} failed"
fi
unpack_deb() {	# PACKAGE DIR: Debian's PACKAGE, unpacked into DIR
	local d
	log "unpacking Debian's $1 into $2"
	[ -n "$apt_updated" ] || $SUDO apt-get update -qq
	apt_updated=1
	d=$(mktemp -d)
	chmod 755 "$d"
	# apt fetches as the user _apt where it can
	[ "$(id -u)" != 0 ] || chown _apt "$d" 2>/dev/null || true
	(cd "$d" && apt-get download -qq "$1") &&
		mkdir -p "$2" && dpkg-deb -x "$d/$1"_*.deb "$2" ||
		{ rm -rf "$d"; die "could not unpack $1"; }
	rm -rf "$d"
}
# mdevctl and udevd are unpacked from their packages into the cache
# (MDEVCTL_DIR, UDEV_DIR), not installed: mdevctl depends on udev, and
# with udev on the host virtme-ng's init starts udevd in every test VM,
# whose coldplug slowed the boot of a test VM on the production kernel
# from 12 s to 30 s and kept one on the debug kernel from reaching the
# tests in 16 minutes (Documentation/testing.rst, "The tools users run").
# The tools' tests start the unpacked udevd themselves, for their own
# duration (selftests/smoke/udevd.sh).  A machine that has them installed
# uses its own.
if ! command -v mdevctl >/dev/null 2>&1 && [ ! -x "$MDEVCTL_DIR/usr/bin/mdevctl" ]; then
	unpack_deb mdevctl "$MDEVCTL_DIR"
fi
if [ -n "$UDEV_DIR" ] && [ ! -x "$UDEV_DIR/lib/systemd/systemd-udevd" ]; then
	unpack_deb udev "$UDEV_DIR"
	# udevadm is udevd when started by that name; the package's link
	# is absolute (/bin/udevadm), which is not there.
	ln -sfn ../../bin/udevadm "$UDEV_DIR/lib/systemd/systemd-udevd"
fi

# Debian's bindgen is too old for 6.12 (needs >= 0.65.1).
if ! "$BINDGEN" --version >/dev/null 2>&1; then
	log "installing bindgen-cli with cargo"
	cargo install --locked bindgen-cli
fi

# Debian's Python is externally managed (PEP 668): virtme-ng goes into a
# virtual environment in the cache, whose bin/ env.sh puts on PATH.
if ! command -v vng >/dev/null 2>&1; then
	log "installing virtme-ng with pip into $VENV"
	/usr/bin/python3 -m venv "$VENV"
	"$VENV/bin/pip" install -q virtme-ng
fi
