// SPDX-License-Identifier: GPL-2.0

//! A standalone device in a class of its own.
//!
//! A driver that emulates devices (an mdev vendor driver such as `mtty`) has
//! no hardware device to hang its instances off, so it creates one: a class
//! and a single device in it.  Both objects are allocated and released by the
//! driver core (`class_create()`, `device_create()`), so no release function of
//! the module can be called after the module is gone.
//!
//! C header: [`include/linux/device/class.h`](srctree/include/linux/device/class.h)

use core::ptr::NonNull;
use kernel::{bindings, device::Device, error::from_err_ptr, prelude::*, str::CStr};

/// A registered class with one registered device in it.
///
/// The device is named `device_name` and appears as
/// `/sys/class/<class_name>/<device_name>`.  For a device without a driver or
/// bus, `dev_driver_string()` is the class name, which is what the mdev core
/// uses as prefix of the type directories (`<class_name>-<type>`).
///
/// # Invariants
///
/// `class` is a class created by `class_create()` and not yet destroyed;
/// `dev` is a device created by `device_create()` in `class` and not yet
/// unregistered.  This object owns both registrations.
pub struct ClassDevice {
    class: NonNull<bindings::class>,
    dev: NonNull<bindings::device>,
}

// SAFETY: The class and the device are driver core objects that may be
// unregistered from any thread.
unsafe impl Send for ClassDevice {}

// SAFETY: `&ClassDevice` only gives out the device pointer; the driver core
// synchronises its own accesses to the device.
unsafe impl Sync for ClassDevice {}

impl ClassDevice {
    /// Creates the class `class_name` and registers the device `device_name`
    /// in it.
    pub fn new(class_name: &'static CStr, device_name: &CStr) -> Result<Self> {
        // SAFETY: `class_name` is a NUL-terminated string that lives for the
        // whole life of the module, hence of the class.
        let class = from_err_ptr(unsafe { bindings::class_create(class_name.as_char_ptr()) })?;
        let class = NonNull::new(class).ok_or(ENOMEM)?;

        // SAFETY: `class` is a live class, the device has no parent, no
        // device number and no driver data, and the format string takes one
        // NUL-terminated string, which `device_name` is; the name is copied.
        let dev = from_err_ptr(unsafe {
            bindings::device_create(
                class.as_ptr(),
                core::ptr::null_mut(),
                0,
                core::ptr::null_mut(),
                kernel::c_str!("%s").as_char_ptr(),
                device_name.as_char_ptr(),
            )
        })
        .and_then(|dev| NonNull::new(dev).ok_or(ENOMEM));
        let dev = match dev {
            Ok(dev) => dev,
            Err(e) => {
                // SAFETY: `class` was created above and has no devices.
                unsafe { bindings::class_destroy(class.as_ptr()) };
                return Err(e);
            }
        };

        // INVARIANT: Both objects were created above.
        Ok(Self { class, dev })
    }
}

impl AsRef<Device> for ClassDevice {
    fn as_ref(&self) -> &Device {
        // SAFETY: By the type invariant `dev` is registered, and it stays
        // registered (and referenced) until `self` is dropped, so for longer
        // than the borrow.
        unsafe { Device::as_ref(self.dev.as_ptr()) }
    }
}

impl Drop for ClassDevice {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `dev` is registered and owned by this
        // object; other references to it (for example from mdev types) keep
        // the memory alive, and its release function belongs to the driver
        // core.
        unsafe { bindings::device_unregister(self.dev.as_ptr()) };
        // SAFETY: By the type invariant `class` is live and owned by this
        // object, and its only device was unregistered above.
        unsafe { bindings::class_destroy(self.class.as_ptr()) };
    }
}
