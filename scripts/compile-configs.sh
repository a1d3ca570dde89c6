#!/usr/bin/env bash
# Compile what the kernel patch series touches in small configurations that
# the test kernel (KVM=m, VFIO=y, debug options) does not cover, each in its
# own O= directory under $RUST_MDEV_CACHE/compile-configs/:
#
#   kvm-y   KVM and KVM_INTEL built in, KVM_AMD a module, VFIO a module
#   kvm-m   KVM, KVM_INTEL and KVM_AMD modules, VFIO built in, plus kvmgt
#   kvm-n   KVM disabled
#
# All three have VFIO (group, container, cdev), IOMMUFD, VFIO_PCI, VFIO_MDEV
# and the mtty sample, and neither Rust nor debug options, so little more than
# drivers/vfio/, arch/x86/kvm/ (which also builds virt/kvm/, it has no
# Makefile of its own) and samples/vfio-mdev/ is compiled on top of the
# prepare step.  Builds are incremental: a second run only compiles what
# changed in the source tree.
#
# After each build, the object files of drivers/vfio/ must not refer to KVM
# code, neither to a symbol that the KVM objects define nor through
# symbol_get(): VFIO takes its VM references only through the vfio_kvm_ops
# that KVM hands it.
#
# usage: scripts/compile-configs.sh [SRCTREE] [CONFIG...]
#   SRCTREE  kernel source tree (default: $KDIR).  O= builds need a source
#            tree that was never configured in place; for one that was, like
#            the tree scripts/kernel.sh builds, a hard-linked copy cleaned
#            with "make mrproper" is compiled instead.
#   CONFIG   kvm-y, kvm-m and/or kvm-n (default: all three)
# environment: JOBS (default 2), NICE (default 19)
set -euo pipefail
jobs=${JOBS:-2}		# env.sh defaults JOBS to all cores and one more
# shellcheck source=scripts/env.sh
. "$(dirname "$0")/env.sh"

src=$KDIR
case ${1:-} in
kvm-?|"") ;;
*) src=$1; shift ;;
esac
src=$(cd "$src" && pwd)
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(kvm-y kvm-m kvm-n)
out=$RUST_MDEV_CACHE/compile-configs

if [ ! -f "$src/Makefile" ] || [ ! -d "$src/drivers/vfio" ]; then
	die "$src is not a kernel source tree"
fi

# Options shared by every configuration, then those of each one.  A line
# "CONFIG_X=n" means: must not be set.
common=(
	CONFIG_IOMMU_SUPPORT=y CONFIG_IOMMUFD=y
	CONFIG_VFIO_GROUP=y CONFIG_VFIO_CONTAINER=y
	CONFIG_VFIO_DEVICE_CDEV=y CONFIG_VFIO_PCI=m
	CONFIG_SAMPLES=y CONFIG_SAMPLE_VFIO_MDEV_MTTY=m CONFIG_VFIO_MDEV=m
	CONFIG_RUST=n CONFIG_DEBUG_INFO=n CONFIG_KASAN=n CONFIG_PROVE_LOCKING=n
	CONFIG_DEBUG_KMEMLEAK=n
)
options() {
	case $1 in
	kvm-y) echo CONFIG_VFIO=m CONFIG_VFIO_IOMMU_TYPE1=m \
		    CONFIG_VIRTUALIZATION=y CONFIG_KVM=y \
		    CONFIG_KVM_INTEL=y CONFIG_KVM_AMD=m ;;
	kvm-m) echo CONFIG_VFIO=y CONFIG_VFIO_IOMMU_TYPE1=y \
		    CONFIG_VIRTUALIZATION=y CONFIG_KVM=m \
		    CONFIG_KVM_INTEL=m CONFIG_KVM_AMD=m \
		    CONFIG_DRM_I915=m CONFIG_DRM_I915_GVT_KVMGT=m ;;
	kvm-n) echo CONFIG_VFIO=m CONFIG_VFIO_IOMMU_TYPE1=m CONFIG_KVM=n ;;
	*) die "unknown configuration $1 (known: kvm-y kvm-m kvm-n)" ;;
	esac
}
# What to compile; dirs end in /, single objects in .o
targets() {
	case $1 in
	kvm-y) echo drivers/vfio/ arch/x86/kvm/ samples/vfio-mdev/ ;;
	kvm-m) echo drivers/vfio/ arch/x86/kvm/ samples/vfio-mdev/ \
		    drivers/gpu/drm/i915/gvt/kvmgt.o ;;
	kvm-n) echo drivers/vfio/ samples/vfio-mdev/ ;;
	esac
}
for c in "${configs[@]}"; do options "$c" >/dev/null; done

# A source tree configured in place makes O= builds refuse to run (and its
# objects would be found through VPATH): compile a cleaned copy of it.
if [ -f "$src/.config" ] || [ -d "$src/include/config" ] ||
   [ -d "$src/arch/x86/include/generated" ]; then
	copy=$out/src
	log "$src is configured in place: compiling a cleaned copy in $copy"
	rm -rf "$copy"
	mkdir -p "$out"
	# Hard links cost no space; make mrproper only unlinks, and O= builds
	# never write to the source tree, so the original stays untouched.
	cp -al "$src" "$copy"
	make -s -C "$copy" LLVM=1 mrproper
	src=$copy
fi

kmake() {
	nice -n "${NICE:-19}" make -C "$src" O="$1" LLVM=1 -j"$jobs" "${@:2}"
}

# Symbols of the object files under a build directory, with nm options
objsyms() {
	[ -d "$1" ] || return 0
	find "$1" -name '*.o' ! -name '*.mod.o' -print0 |
		xargs -0 -r nm -A "${@:2}" | awk '{ print $NF }' | sort -u
}

status=0
for c in "${configs[@]}"; do
	o=$out/$c
	mkdir -p "$o"
	log "$c: configuring in $o"
	read -ra opts <<<"${common[*]} $(options "$c")"
	kmake "$o" -s defconfig
	args=()
	for opt in "${opts[@]}"; do
		name=${opt%%=*}; name=${name#CONFIG_}
		case ${opt#*=} in
		y) args+=(--enable "$name") ;;
		m) args+=(--module "$name") ;;
		n) args+=(--disable "$name") ;;
		esac
	done
	"$src/scripts/config" --file "$o/.config" "${args[@]}"
	kmake "$o" -s olddefconfig
	bad=0
	for opt in "${opts[@]}"; do
		name=${opt%%=*}
		if [ "${opt#*=}" = n ]; then
			! grep -q "^$name=" "$o/.config" || { echo "  $c: wanted $name unset" >&2; bad=1; }
		else
			grep -qx "$opt" "$o/.config" ||
				{ echo "  $c: wanted $opt, got: $(grep "^$name=" "$o/.config" || echo unset)" >&2; bad=1; }
		fi
	done
	[ $bad = 0 ] || die "$c: the options did not take"

	read -ra tgts <<<"$(targets "$c")"
	log "$c: compiling ${tgts[*]} (jobs: $jobs)"
	start=$(date +%s)
	if ! kmake "$o" -s "${tgts[@]}"; then
		echo "FAIL $c: compile error" >&2
		status=1
		continue
	fi

	# VFIO must not refer to KVM code: no symbol that the KVM objects
	# define, and no symbol_get() (a string lookup that leaves only a
	# call to __symbol_get() behind) -- drivers/vfio has no other use
	# for it.
	undef=$(objsyms "$o/drivers/vfio" -u)
	kvmdefs=$( { objsyms "$o/arch/x86/kvm" --defined-only --extern-only
		     objsyms "$o/virt/kvm" --defined-only --extern-only; } | sort -u)
	kvmrefs=$( { comm -12 <(echo "$undef") <(echo "$kvmdefs")
		     grep -xE '__symbol_(get|put)' <<<"$undef" || true; } | xargs)
	if [ -n "$kvmrefs" ]; then
		echo "FAIL $c: drivers/vfio refers to KVM code: $kvmrefs" >&2
		status=1
		continue
	fi
	echo "ok   $c: compiled in $(($(date +%s) - start)) s; drivers/vfio refers to no KVM code"
done
exit $status
