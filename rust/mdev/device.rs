// SPDX-License-Identifier: GPL-2.0

//! An mdev instance.

use core::ptr::addr_of_mut;
use kernel::{bindings, types::Opaque};

/// A mediated device (an instance of a [`Type`](super::Type)).
///
/// # Invariants
///
/// The wrapped `struct mdev_device` is valid for as long as the reference to
/// this object is.
#[repr(transparent)]
pub struct Device(Opaque<bindings::mdev_device>);

impl Device {
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct mdev_device` that stays valid for
    /// `'a`.
    pub(super) unsafe fn from_raw<'a>(ptr: *mut bindings::mdev_device) -> &'a Self {
        // SAFETY: `Device` is a transparent wrapper of `mdev_device`, and the
        // pointee is valid for `'a` by the safety requirements.
        unsafe { &*ptr.cast::<Self>() }
    }

    fn as_raw(&self) -> *mut bindings::mdev_device {
        self.0.get()
    }

    /// Returns the C `struct device` of the instance, valid while `self` is
    /// borrowed.
    pub(crate) fn raw_device(&self) -> *mut bindings::device {
        // SAFETY: By the type invariant the `mdev_device` is valid.
        unsafe { addr_of_mut!((*self.as_raw()).dev) }
    }
}

impl AsRef<kernel::device::Device> for Device {
    fn as_ref(&self) -> &kernel::device::Device {
        // SAFETY: The embedded `struct device` is valid while `&self` is
        // (type invariant), and the mdev core holds a reference on it while
        // the instance exists.
        unsafe { kernel::device::Device::as_ref(self.raw_device()) }
    }
}
