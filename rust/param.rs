// SPDX-License-Identifier: GPL-2.0

//! Read-only module parameters.
//!
//! The 6.12 `module!` macro has no parameters (they came in later kernels,
//! `rust/kernel/module_param.rs`).  [`module_param_uint!`](crate::module_param_uint) declares an
//! `unsigned int` parameter the way C's `module_param(name, uint, 0444)`
//! with `MODULE_PARM_DESC()` does: a `struct kernel_param` in the module's
//! `__param` section, whose `param_ops_uint` the module loader calls to
//! parse `insmod foo.ko name=N` before the module's `init` runs, and its
//! `parmtype` and `parm` lines in `.modinfo` (what `modinfo foo.ko` shows).
//!
//! Only read-only parameters exist here: the value is written by the
//! loader before `init` and never again (a parameter without write
//! permission has no sysfs `store`, whatever the caller's capabilities:
//! `add_sysfs_param()` in `kernel/params.c`), so reading it needs no lock.
//! A value the loader cannot parse fails the load with `EINVAL`, as in C;
//! a value out of the driver's range is the driver's to refuse in `init`.
//!
//! C header: [`include/linux/moduleparam.h`](srctree/include/linux/moduleparam.h)

use core::{cell::UnsafeCell, ffi::c_void, ptr};
use kernel::{bindings, str::CStr, types::Opaque};

/// The storage of an `unsigned int` module parameter.
///
/// # Invariants
///
/// `value` is written only by the module loader, through the
/// [`ParamDescriptor`] built by [`module_param_uint!`](crate::module_param_uint), before the module's
/// `init` runs; sysfs can only read it (permission `0444`).
pub struct UintParam {
    value: UnsafeCell<u32>,
}

// SAFETY: After the module loader has parsed the parameters, which happens
// before any code of the module runs, `value` is only read (the type
// invariant).
unsafe impl Sync for UintParam {}

impl UintParam {
    /// A parameter whose value is `default` unless the loader is given one.
    pub const fn new(default: u32) -> Self {
        Self {
            value: UnsafeCell::new(default),
        }
    }

    /// The value of the parameter.
    pub fn get(&self) -> u32 {
        // SAFETY: Nothing writes `value` once the module's code runs (the
        // type invariant), and `self` is only reachable from that code.
        unsafe { ptr::read(self.value.get()) }
    }
}

/// A `struct kernel_param`, placed in the `__param` section by
/// [`module_param_uint!`](crate::module_param_uint).
///
/// # Invariants
///
/// `name` is a NUL-terminated string and `arg` a [`UintParam`], both
/// `'static`; `mod_` is the module the descriptor is linked into.
#[repr(transparent)]
pub struct ParamDescriptor(Opaque<bindings::kernel_param>);

// SAFETY: The loader and sysfs access the descriptor, which is never
// changed, and through it the parameter's storage under the rules of
// `UintParam`.
unsafe impl Sync for ParamDescriptor {}

impl ParamDescriptor {
    /// The descriptor of the read-only `uint` parameter `name`, stored in
    /// `param`, of the module `module`.
    ///
    /// # Safety
    ///
    /// `module` must be the `__this_module` of the module this descriptor
    /// is linked into, and the descriptor must be in its `__param` section
    /// (what [`module_param_uint!`](crate::module_param_uint) does).
    pub const unsafe fn uint(
        name: &'static CStr,
        module: *mut bindings::module,
        param: &'static UintParam,
    ) -> Self {
        Self(Opaque::new(bindings::kernel_param {
            name: name.as_char_ptr(),
            mod_: module,
            // Only the address of the C ops table is taken.
            ops: ptr::addr_of!(bindings::param_ops_uint),
            // 0444: readable in sysfs by everyone, writable by nobody.
            perm: 0o444,
            // As C's `module_param()`: parsed with the other parameters.
            level: -1,
            flags: 0,
            __bindgen_anon_1: bindings::kernel_param__bindgen_ty_1 {
                // `param_ops_uint` writes and reads an `unsigned int` there.
                arg: param.value.get().cast::<c_void>(),
            },
        }))
    }
}

/// A `.modinfo` entry (`tag=value`, NUL-terminated), as an array of the
/// exact length, so that a `static` can hold it.
///
/// `N` must be the length of `text` plus one (a build error otherwise).
pub const fn modinfo<const N: usize>(text: &str) -> [u8; N] {
    let bytes = text.as_bytes();
    assert!(
        bytes.len() + 1 == N,
        "modinfo: N must be the length plus one"
    );
    let mut out = [0u8; N];
    let mut i = 0;
    while i < bytes.len() {
        out[i] = bytes[i];
        i += 1;
    }
    out
}

/// Declares a read-only `unsigned int` module parameter.
///
/// `module_param_uint!(STATIC, "name", default, "description");` declares
/// `static STATIC: UintParam` and registers it as the parameter `name` of
/// the module the calling crate is linked into (`insmod foo.ko name=N`,
/// `/sys/module/foo/parameters/name`, `modinfo foo.ko`).  The module reads
/// it with `STATIC.get()`, in `init` or later.
///
/// ```ignore
/// rust_mdev::module_param_uint!(POOL_PORTS, "pool_ports", 24, "Ports shared by all instances");
/// ```
#[macro_export]
macro_rules! module_param_uint {
    ($storage:ident, $name:literal, $default:expr, $desc:literal) => {
        static $storage: $crate::param::UintParam = $crate::param::UintParam::new($default);

        const _: () = {
            extern "C" {
                // The module's `struct module`, defined by modpost in the
                // module's `.mod.c`.
                static __this_module: ::kernel::types::Opaque<::kernel::bindings::module>;
            }

            #[link_section = "__param"]
            #[used]
            // SAFETY: `__this_module` is this module's, and the descriptor
            // is in its `__param` section.
            static PARAM: $crate::param::ParamDescriptor = unsafe {
                $crate::param::ParamDescriptor::uint(
                    ::kernel::c_str!($name),
                    __this_module.get(),
                    &$storage,
                )
            };

            const PARMTYPE: &str = concat!("parmtype=", $name, ":uint");
            #[link_section = ".modinfo"]
            #[used]
            static PARMTYPE_INFO: [u8; PARMTYPE.len() + 1] = $crate::param::modinfo(PARMTYPE);

            const PARM: &str = concat!("parm=", $name, ":", $desc);
            #[link_section = ".modinfo"]
            #[used]
            static PARM_INFO: [u8; PARM.len() + 1] = $crate::param::modinfo(PARM);
        };
    };
}
