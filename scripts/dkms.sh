#!/usr/bin/env bash
# DKMS on the host, for the test `dkms` (selftests/smoke/dkms.sh, which
# loads the result in the test VM): from a clean clone of this repository
# (its HEAD: what is committed), `dkms add`, `dkms build` and `dkms
# install` of rust_mtty for the kernel of the VM that runs the test
# (DKMS_KDIR, its release: the production kernel's tree in make check, see
# scripts/check.sh; default KDIR), with the repository's dkms.conf.
#
# Everything stays in build/dkms: DKMS's tree (--dkmstree, instead of
# /var/lib/dkms), its sources (--sourcetree, instead of /usr/src) and the
# modules it installs (--installtree, instead of /lib/modules: the test
# kernel has no /lib/modules/<release> on the host, and the test VM sees
# the host's).  --kernelsourcedir is the kernel tree, and depmod is not
# run (--no-depmod: it would be for the host's module tree).
#
# Each step's exit status, time and output go to build/dkms/steps and
# build/dkms/<step>.log for the test to report; this script fails only if
# it cannot try.
set -uo pipefail
. "$(dirname "$0")/env.sh"

out=$BUILD/dkms
rm -rf "$out"
mkdir -p "$out/tree" "$out/src" "$out/modules"
: > "$out/steps"
step() {	# NAME COMMAND...: run it, record "NAME RC SECONDS"
	local name=$1 s rc=0
	shift
	s=$(date +%s)
	"$@" > "$out/$name.log" 2>&1 || rc=$?
	echo "$name $rc $(($(date +%s) - s))" >> "$out/steps"
	[ $rc = 0 ] || log "dkms: $name failed ($rc), see $out/$name.log"
	return $rc
}

if ! command -v dkms > /dev/null; then
	echo "skip dkms is not installed (scripts/deps.sh installs it)" > "$out/steps"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "skip dkms add needs root" > "$out/steps"
	exit 0
fi
KDIR=${DKMS_KDIR:-$KDIR}
krel=$(cat "$KDIR/include/config/kernel.release") || die "no kernel release in $KDIR"
echo "$krel" > "$out/release"
dkms --version > "$out/version" 2>&1
# The kernel's directory in the install tree: dkms install refuses a
# kernel whose module directory does not exist.
mkdir -p "$out/modules/$krel"
trees=(--dkmstree "$out/tree" --sourcetree "$out/src" --installtree "$out/modules")
kernel=(-k "$krel" --kernelsourcedir "$KDIR")
# The kernel's Rust crates were built by Debian's rustc (env.sh's kmake):
# dkms.conf passes RUSTC to make.
export RUSTC=/usr/bin/rustc

log "DKMS: add, build and install rust_mtty for $krel from a clean clone, in $out"
step clone git clone -q "$TOP" "$out/clone" &&
	step add dkms add "${trees[@]}" "$out/clone" &&
	step build dkms build rust_mtty/1.0 "${kernel[@]}" "${trees[@]}" &&
	step install dkms install rust_mtty/1.0 "${kernel[@]}" "${trees[@]}" --no-depmod &&
	step status dkms status "${trees[@]}"
exit 0
