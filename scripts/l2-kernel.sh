#!/usr/bin/env bash
# Build the nested guest's kernel (kernel/l2-guest.config on tinyconfig)
# from an unpatched copy of the same source, cached next to the test
# kernel.  Prints the bzImage path.
set -euo pipefail
. "$(dirname "$0")/env.sh"
tree=$RUST_MDEV_CACHE/l2-linux
frag=$TOP/kernel/l2-guest.config
if [ ! -f "$tree/.rust-mdev-extracted" ]; then
	[ -f "$KSRC_TARBALL" ] || die "$KSRC_TARBALL missing: run scripts/deps.sh"
	log "extracting the nested guest's kernel source"
	rm -rf "$tree" && mkdir -p "$tree"
	tar -C "$tree" --strip-components=1 -xf "$KSRC_TARBALL"
	touch "$tree/.rust-mdev-extracted"
fi
l2make=(make -C "$tree" LLVM=1 -j"$JOBS")
if ! cmp -s "$frag" "$tree/.rust-mdev-fragment"; then
	log "configuring the nested guest's kernel"
	"${l2make[@]}" -s tinyconfig >/dev/null
	(cd "$tree" && scripts/kconfig/merge_config.sh -m .config "$frag" >/dev/null 2>&1)
	"${l2make[@]}" -s olddefconfig >/dev/null
	while read -r line; do
		case $line in CONFIG_*=*) grep -qxF "$line" "$tree/.config" ||
			die "nested guest kernel: $line did not take effect" ;;
		esac
	done < "$frag"
	cp "$frag" "$tree/.rust-mdev-fragment"
fi
"${l2make[@]}" -s bzImage >&2
echo "$tree/arch/x86/boot/bzImage"
