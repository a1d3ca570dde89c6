#!/usr/bin/env bash
# The API documentation of the Rust abstractions (rust/) and of the driver
# (samples/rust_mtty/, samples/rust_mshm/), with rustdoc, warnings as
# errors: rustdoc.sh [OUTDIR]
# (default build/rustdoc; the entry page is OUTDIR/rust_mtty/index.html,
# the abstractions under OUTDIR/rust_mtty/abstractions/).
#
# The kernel's `make rustdoc` documents the in-tree crates only.  The
# module is one crate, rust_mtty, whose abstractions are a module of it
# (#[path] = "../../rust/mod.rs"), so its documentation is made the way
# the kernel's rust/Makefile makes an in-tree crate's: rustdoc with the
# flags of the crate's own build.  Those are taken from the command line
# Kbuild recorded for the module's object (samples/rust_mtty/
# .rust_mtty.o.cmd; `make module` writes it), with the compiler replaced
# by rustdoc and the options that only make sense for a compilation (the
# output files) left out, run in the kernel tree KDIR as Kbuild does
# (the paths are relative to it; the module must be built against KDIR), with RUSTC_BOOTSTRAP=1 and RUST_MODFILE as
# Kbuild sets them.  -D warnings is added whatever the kernel's
# CONFIG_WERROR: rustdoc's own lints (broken intra-doc links, bare URLs,
# unescaped backticks...) fail it.
set -euo pipefail
. "$(dirname "$0")/env.sh"

out=${1:-$BUILD/rustdoc}
rustdoc=/usr/bin/rustdoc	# the rustc of kmake (env.sh): crates must match
[ -x "$rustdoc" ] || die "no rustdoc beside /usr/bin/rustc (Debian's rustc-web ships it)"

doc_crate() {	# CRATE: samples/CRATE/CRATE.rs, into $out/CRATE (a subshell: it cds)
	local cmdfile=$TOP/samples/$1/.$1.o.cmd
	[ -f "$cmdfile" ] || die "no $cmdfile: build the module first (make module)"

	# The recorded command: "savedcmd_<obj> := RUST_MODFILE=... clippy-driver
	# <flags> <source> ; <objtool ...>".
	mapfile -t args < <(sed -n 's/^savedcmd_[^ ]* := //p' "$cmdfile" | python3 -c '
import shlex, sys
words = shlex.split(sys.stdin.read().split(" ; ")[0])
out, skip = [], False
for w in words:
    if skip:
        skip = False
    elif w == "--out-dir":
        skip = True
    elif w.startswith(("--emit", "-Zbinary_dep_depinfo")):
        pass
    else:
        out.append(w)
for w in out:
    print(w)
')
	[ ${#args[@]} -gt 2 ] || die "no command line in $cmdfile"
	env=()
	while [[ ${args[0]} == *=* ]]; do
		env+=("${args[0]}")
		args=("${args[@]:1}")
	done
	case $(basename "${args[0]}") in
	rustc | clippy-driver) ;;
	*) die "$cmdfile: the command is ${args[0]}, not rustc or clippy-driver" ;;
	esac
	args=("${args[@]:1}")

	cd "$KDIR"
	env "${env[@]}" RUSTC_BOOTSTRAP=1 "$rustdoc" "${args[@]}" -D warnings --output "$out"
	echo "$out/$1/index.html"
}

rm -rf "$out"
mkdir -p "$out"
# The second sample documents its own crate; the abstractions are the same files.
for crate in rust_mtty rust_mshm; do
	(doc_crate "$crate")
done
