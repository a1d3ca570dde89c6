#!/usr/bin/env bash
# Bring build products up to date: prepare.sh STEP... [VAR=value...]
#   deps         install dependencies               (skipped with a user KDIR)
#   kernel       deps + the cached debug kernel       (skipped with a user KDIR)
#   module       kernel + the out-of-tree Rust module for it
#   tests        module + the selftests
#   kernel-prod  deps + the cached production kernel  (skipped with a user KDIR)
#   module-prod  kernel-prod + the Rust module for it
#   nested       module-prod + the nested guest's kernel and initramfs
#   dkms         DKMS add/build/install of the module into build/dkms, for
#                the kernel DKMS_KERNEL names: prod (default; kernel-prod
#                first) or debug (kernel first)
#   clean        remove this checkout's build products
# Each step runs once, after the steps it needs, and records its time in
# build/times.  Extra VAR=value arguments go to the module builds, which
# always have CLIPPY=1 (below).
set -euo pipefail
. "$(dirname "$0")/env.sh"

declare -A done_steps
nested_secs=0	# time of the steps finished so far, for their callers' own time
step() {	# NAME: run do_NAME once; record its own time, less its steps'
	[ -z "${done_steps[$1]:-}" ] || return 0
	done_steps[$1]=1
	local s took before=$nested_secs
	s=$(date +%s)
	"do_${1//-/_}"
	took=$(($(date +%s) - s))
	stamp "$1" $((took - (nested_secs - before)))
	nested_secs=$((before + took))
}

do_deps() { [ -n "$KDIR_FROM_USER" ] || "$TOP/scripts/deps.sh"; }
do_kernel() {
	step deps
	[ -n "$KDIR_FROM_USER" ] || "$TOP/scripts/kernel.sh" debug
	[ -f "$KDIR/arch/x86/boot/bzImage" ] || die "no bzImage in KDIR=$KDIR"
}
do_kernel_prod() {
	step deps
	[ -n "$KDIR_FROM_USER" ] || "$TOP/scripts/kernel.sh" prod
	[ -f "$KDIR_PROD/arch/x86/boot/bzImage" ] || die "no bzImage in KDIR_PROD=$KDIR_PROD"
}

build_module() {	# TREE DIR
	local tree=$1 dir=$2
	log "building the Rust module against $tree"
	if [ -z "${RUST_MDEV_PATCHES:-}" ]; then
		kmake "$tree" M="$dir" "${extra[@]}" modules
	elif ! kmake "$tree" M="$dir" "${extra[@]}" modules; then
		# A partial series (the unpatched baseline) may lack what the
		# Rust module needs; the C sample's tests still run.
		kmake "$tree" M="$dir" clean >/dev/null 2>&1 || true
		log "the Rust module does not build with RUST_MDEV_PATCHES=$RUST_MDEV_PATCHES; going on without it"
	fi
}
do_module() {
	step kernel
	build_module "$KDIR" "$TOP"
}
do_module_prod() {
	step kernel-prod
	if [ "$KDIR_PROD" = "$KDIR" ]; then
		# One tree for both (a KDIR of one's own): one module.
		step module
		mkdir -p "$(dirname "$MODULE_KO_PROD")"
		cp "$MODULE_KO" "$MODULE_KO_PROD"
		mkdir -p "$(dirname "$MSHM_KO_PROD")"
		cp "$MSHM_KO" "$MSHM_KO_PROD"
		return
	fi
	# 6.12 builds an external module in its source directory: the one
	# for the other kernel is built in a copy of the sources.
	local dir
	dir=$(dirname "$MODULE_KO_PROD")
	mkdir -p "$dir"
	rsync -a --delete --include='*/' --include=Kbuild --include='*.rs' \
		--include='*.h' --exclude='model-tests/' --exclude='*' \
		--prune-empty-dirs "$TOP/Kbuild" "$TOP/rust" "$TOP/samples" "$dir/"
	build_module "$KDIR_PROD" "$dir"
}
do_dkms() {
	case ${DKMS_KERNEL:-prod} in
	prod) step kernel-prod; DKMS_KDIR=$KDIR_PROD "$TOP/scripts/dkms.sh" ;;
	debug) step kernel; DKMS_KDIR=$KDIR "$TOP/scripts/dkms.sh" ;;
	*) die "DKMS_KERNEL=$DKMS_KERNEL: prod or debug" ;;
	esac
}
do_tests() {
	step module
	log "building the selftests"
	make -s -C "$TOP/selftests" KDIR="$KDIR" O="$BUILD/selftests"
}
do_nested() {
	step module-prod
	"$TOP/scripts/mk-l2-initramfs.sh" "$BUILD/l2-initramfs.cpio.gz"
	"$TOP/scripts/l2-kernel.sh" > "$BUILD/l2-bzimage-path"
}
do_clean() {
	kmake "$KDIR" M="$TOP" clean >/dev/null 2>&1 || true
	rm -rf "$BUILD"
}

# The module is always compiled by clippy-driver (the same code, with the
# lints, as errors under CONFIG_WERROR): so the clippy gate (gates.sh) finds
# it up to date instead of rebuilding it, and a lint fails the build.
steps=(); extra=(CLIPPY=1)
for a in "$@"; do
	case "$a" in
	*=*) extra+=("$a") ;;
	*) steps+=("$a") ;;
	esac
done
for s in "${steps[@]}"; do step "$s"; done
