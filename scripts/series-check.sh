#!/usr/bin/env bash
# Check that every patch of the series builds on its own: apply
# kernel/patches/0001..0005 one at a time to a pristine copy of the source
# and, after each, compile what the series touches in the configurations of
# scripts/compile-configs.sh (KVM=y, KVM=m with VFIO built in, KVM
# disabled).  Before "vfio: Hold the VM through the reference ops from
# KVM", drivers/vfio still uses symbol_get(), which compile-configs.sh
# reports; that is expected and only a compile error fails this script.
#
# The Rust bindings patch (0006) needs a Rust-enabled build: the unpatched
# baseline (RUST_MDEV_PATCHES="0006-*", see Documentation/testing.rst)
# builds it on its own, the test kernel with the whole series.
#
# Work tree and build directories: $RUST_MDEV_CACHE/series-check/.
set -euo pipefail
. "$(dirname "$0")/env.sh"
work=$RUST_MDEV_CACHE/series-check
src=$work/src
[ -f "$KSRC_TARBALL" ] || die "$KSRC_TARBALL missing: run scripts/deps.sh"
log "extracting a pristine source tree into $src"
rm -rf "$src" && mkdir -p "$src"
tar -C "$src" --strip-components=1 -xf "$KSRC_TARBALL"

status=0
for p in "$TOP"/kernel/patches/000[1-5]-*.patch; do
	log "applying $(basename "$p")"
	patch -d "$src" -p1 -s -f --no-backup-if-mismatch < "$p" ||
		die "$(basename "$p") does not apply on top of the previous ones"
	out=$(RUST_MDEV_CACHE=$work "$TOP/scripts/compile-configs.sh" "$src" 2>&1) || true
	grep -E '^(ok|FAIL) ' <<<"$out" | sed 's/^/    /'
	if grep -q '^FAIL .*compile error' <<<"$out"; then
		grep -E 'error' <<<"$out" | head -20 >&2
		status=1
	fi
done
[ $status = 0 ] && log "every patch compiles on its own" || log "a patch does not compile on its own"
exit $status
