// SPDX-License-Identifier: GPL-2.0

//! The types of mdev instances a parent offers.

use core::mem::MaybeUninit;
use kernel::{bindings, str::CStr, types::Opaque};

/// A type of mediated device.
///
/// The type appears as `mdev_supported_types/<parent class>-<sysfs_name>`.
pub struct Type<D: 'static> {
    /// The suffix of the type's directory name.
    pub sysfs_name: &'static CStr,
    /// The human readable name (the `name` attribute).
    pub pretty_name: &'static CStr,
    /// The driver's data for this type.
    pub data: D,
}

/// A [`Type`] as registered with the mdev core.
///
/// # Invariants
///
/// `raw` is at offset 0, and its `sysfs_name`/`pretty_name` are those of `ty`.
#[repr(C)]
pub(super) struct TypeSlot<D: 'static> {
    raw: Opaque<bindings::mdev_type>,
    ty: &'static Type<D>,
}

impl<D: 'static> TypeSlot<D> {
    pub(super) fn new(ty: &'static Type<D>) -> Self {
        // SAFETY: All zeros is a valid `mdev_type`: pointers and a kobject the
        // mdev core initialises on registration.
        let mut raw: bindings::mdev_type = unsafe { MaybeUninit::zeroed().assume_init() };
        raw.sysfs_name = ty.sysfs_name.as_char_ptr();
        raw.pretty_name = ty.pretty_name.as_char_ptr();
        // INVARIANT: The names are those of `ty`.
        Self {
            raw: Opaque::new(raw),
            ty,
        }
    }

    /// Returns the `struct mdev_type` to register.
    pub(super) fn as_raw(&self) -> *mut bindings::mdev_type {
        self.raw.get()
    }

    /// Returns the type registered as `raw`.
    ///
    /// # Safety
    ///
    /// `raw` must be the `raw` field of a live `TypeSlot<D>`, which lives as
    /// long as the registration of its parent.
    pub(super) unsafe fn type_of(raw: *mut bindings::mdev_type) -> &'static Type<D> {
        // SAFETY: By the type invariant `raw` is at offset 0 of the slot, and
        // the slot is live by the safety requirements.
        unsafe { (*raw.cast::<Self>()).ty }
    }
}
