#!/usr/bin/env bash
# Install what the build and the tests need.  Idempotent and quick when
# everything is present: each step runs only if its tool is missing.
set -euo pipefail
. "$(dirname "$0")/env.sh"

debs=(linux-source-6.12 rustc-web rust-web-src rust-web-clippy rustfmt-web
      clang lld llvm libclang-dev
      qemu-system-x86 busybox-static bc flex bison libelf-dev libssl-dev
      cpio dwarves make gcc libc6-dev kmod python3-venv rsync)

missing=()
for p in "${debs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing Debian packages: ${missing[*]}"
	SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
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
