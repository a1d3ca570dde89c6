#!/usr/bin/env bash
# Bring build products up to date: prepare.sh STEP... [VAR=value...]
#   deps      install dependencies            (skipped with a user KDIR)
#   kernel    deps + the cached patched kernel (skipped with a user KDIR)
#   module    kernel + the out-of-tree Rust module
#   tests     module + selftests + the nested guest's kernel and initramfs
#   clean     remove this checkout's build products
# Extra VAR=value arguments go to the module build (e.g. CLIPPY=1).
set -euo pipefail
. "$(dirname "$0")/env.sh"

do_deps() { [ -n "$KDIR_FROM_USER" ] || "$TOP/scripts/deps.sh"; }
do_kernel() {
	do_deps
	[ -n "$KDIR_FROM_USER" ] || "$TOP/scripts/kernel.sh"
	[ -f "$KDIR/arch/x86/boot/bzImage" ] || die "no bzImage in KDIR=$KDIR"
}
do_module() {
	do_kernel
	log "building the Rust module"
	if [ -z "${RUST_MDEV_PATCHES:-}" ]; then
		"${KMAKE[@]}" M="$TOP" "${extra[@]}" modules
	elif ! "${KMAKE[@]}" M="$TOP" "${extra[@]}" modules; then
		# A partial series (the unpatched baseline) may lack what the
		# Rust module needs; the C sample's tests still run.
		"${KMAKE[@]}" M="$TOP" clean >/dev/null 2>&1 || true
		log "the Rust module does not build with RUST_MDEV_PATCHES=$RUST_MDEV_PATCHES; going on without it"
	fi
}
do_tests() {
	do_module
	log "building the selftests"
	make -s -C "$TOP/selftests" KDIR="$KDIR" O="$BUILD/selftests"
	"$TOP/scripts/mk-l2-initramfs.sh" "$BUILD/l2-initramfs.cpio.gz"
	"$TOP/scripts/l2-kernel.sh" > "$BUILD/l2-bzimage-path"
}
do_clean() {
	"${KMAKE[@]}" M="$TOP" clean >/dev/null 2>&1 || true
	rm -rf "$BUILD"
}

steps=(); extra=()
for a in "$@"; do
	case "$a" in
	*=*) extra+=("$a") ;;
	*) steps+=("$a") ;;
	esac
done
for s in "${steps[@]}"; do "do_$s"; done
