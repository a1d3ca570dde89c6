// SPDX-License-Identifier: GPL-2.0

//! An mdev parent: the device the instances hang off.

use super::{types::TypeSlot, Driver, DriverRegistration, Type};
use crate::{raw_device, try_ffi_init};
use core::{
    ptr::addr_of_mut,
    sync::atomic::{AtomicI32, Ordering},
};
use kernel::{
    bindings, device::Device, error::to_result, ffi::c_uint, prelude::*, sync::Arc, types::Opaque,
};

/// The part of a [`Parent`] that the mdev core's `struct mdev_parent`
/// pointers lead to.
///
/// # Invariants
///
/// `raw` is at offset 0.
#[pin_data]
#[repr(C)]
pub(super) struct ParentRaw<T: Driver> {
    #[pin]
    raw: Opaque<bindings::mdev_parent>,
    data: T::ParentData,
}

impl<T: Driver> ParentRaw<T> {
    /// Returns the data of the parent of type `mtype`.
    ///
    /// # Safety
    ///
    /// `mtype` must be a type registered by a [`Parent<T, _>`] that stays
    /// registered for `'a`.
    pub(super) unsafe fn data_of<'a>(mtype: *mut bindings::mdev_type) -> &'a T::ParentData {
        // SAFETY: The mdev core set `parent` when it registered the type, to
        // the `raw` field of a `ParentRaw<T>` (at offset 0, by the type
        // invariant), which lives for `'a` by the safety requirements.
        unsafe { &(*(*mtype).parent.cast::<Self>()).data }
    }
}

/// How often a parent being dropped looks for the release of its types.
const POLL_MS: u32 = 20;

/// A registered mdev parent: a device with the types of driver `T`.
///
/// The parent device is `P`, something that gives a
/// [`kernel::device::Device`] (for example a
/// [`ClassDevice`](crate::class::ClassDevice)) and holds it while the
/// parent is registered.
///
/// Dropping it unregisters the parent, which removes all its instances (each
/// removal waits until user space has closed the instance), then drops the
/// parent device and the parent's reference to the driver registration.
///
/// The mdev core releases an instance's `struct device` and a type's
/// kobject when their last reference goes, which may be after
/// `mdev_unregister_parent()` removed them (something else held them, or
/// `CONFIG_DEBUG_KOBJECT_RELEASE` delayed the release by up to 4 s), and
/// those releases read the types, the parent and the driver, which this
/// object owns.  Each type holds a reference on the parent device until its
/// release, and each instance holds its type until its own release; so
/// after unregistering, the drop waits until the parent device's reference
/// count is back where it was before the registration, and only then frees
/// the types, the parent and (with the last [`Arc`]) the driver.  The C
/// `mtty` sample does not wait: its types are static, and a release after
/// the module is gone reads freed memory.
///
/// # Invariants
///
/// `inner.raw` is registered with `mdev_register_parent()` for the device of
/// `device`, the driver of `driver` and the types of `type_slots` (through
/// `type_ptrs`), whose buffers are never reallocated.
#[pin_data(PinnedDrop)]
pub struct Parent<T: Driver, P: AsRef<Device> + Send + Sync> {
    #[pin]
    inner: ParentRaw<T>,
    type_slots: KVec<TypeSlot<T::TypeData>>,
    type_ptrs: KVec<*mut bindings::mdev_type>,
    device: P,
    driver: Arc<DriverRegistration<T>>,
    /// The reference count of the parent device before registration.
    base_refs: i32,
}

/// Returns the reference count of `dev`.
fn device_refs(dev: &Device) -> i32 {
    // SAFETY: `dev` is a valid `struct device` while it is borrowed; its
    // `refcount_t` is an `atomic_t`, an `int` that the kernel only accesses
    // atomically.
    let counter = unsafe {
        AtomicI32::from_ptr(addr_of_mut!(
            (*raw_device(dev)).kobj.kref.refcount.refs.counter
        ))
    };
    // Acquire: pairs with the release of a `put_device()`, after which the
    // releasing code no longer reads what the reference protected.
    counter.load(Ordering::Acquire)
}

// SAFETY: The parent may be unregistered on any thread; `P` is `Send`, type
// data is `Send + Sync`, and the raw pointers are only used by the mdev core.
unsafe impl<T: Driver, P: AsRef<Device> + Send + Sync> Send for Parent<T, P> {}

// SAFETY: `&Parent` only gives `&P`, which is `Sync`.
unsafe impl<T: Driver, P: AsRef<Device> + Send + Sync> Sync for Parent<T, P> {}

impl<T: Driver, P: AsRef<Device> + Send + Sync> Parent<T, P> {
    /// Registers `device` as a parent of instances of `types`, bound to the
    /// driver `driver`, with parent data `data`.
    pub fn new(
        device: P,
        driver: Arc<DriverRegistration<T>>,
        types: &'static [Type<T::TypeData>],
        data: T::ParentData,
    ) -> impl PinInit<Self, Error> {
        // The fields are initialised in this order; the parent is
        // registered last, when everything it points to is in place, and
        // on failure the fields initialised so far are dropped in reverse.
        try_pin_init!(Self {
            type_slots: {
                let mut slots = KVec::with_capacity(types.len(), GFP_KERNEL)?;
                for ty in types {
                    slots.push(TypeSlot::new(ty), GFP_KERNEL)?;
                }
                slots
            },
            type_ptrs: {
                let mut ptrs = KVec::with_capacity(type_slots.len(), GFP_KERNEL)?;
                for slot in type_slots.iter() {
                    ptrs.push(slot.as_raw(), GFP_KERNEL)?;
                }
                ptrs
            },
            driver,
            device,
            base_refs: device_refs((*device).as_ref()),
            inner <- {
                let nr_types = c_uint::try_from(type_ptrs.len()).map_err(|_| EINVAL)?;
                let type_array = type_ptrs.as_mut_ptr();
                let dev = raw_device((*device).as_ref());
                let drv = driver.as_raw();
                try_pin_init!(ParentRaw::<T> {
                    data,
                    raw <- try_ffi_init(move |raw| {
                        // SAFETY: `raw` is pinned memory, which
                        // `mdev_register_parent()` initialises; `dev` is
                        // held by the field `device`, the driver is
                        // registered, and the types live in the buffer of
                        // the field `type_slots` until `PinnedDrop`
                        // unregisters the parent.
                        // INVARIANT: Registered on success.
                        to_result(unsafe {
                            bindings::mdev_register_parent(raw, dev, drv, type_array, nr_types)
                        })
                    }),
                }? Error)
            },
        }? Error)
    }

    /// Returns the parent device.
    pub fn device(&self) -> &P {
        &self.device
    }

    /// Returns the parent data.
    pub fn data(&self) -> &T::ParentData {
        &self.inner.data
    }
}

#[pinned_drop]
impl<T: Driver, P: AsRef<Device> + Send + Sync> PinnedDrop for Parent<T, P> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariant the parent is registered.  This
        // removes every instance and the types' sysfs directories; the types'
        // memory, the device and the driver are dropped afterwards, in field
        // order.
        unsafe { bindings::mdev_unregister_parent(self.inner.raw.get()) };

        // Wait for the releases of the instances and types, which read this
        // object (see above): the last thing each type's release does is to
        // put its reference on the parent device.
        let dev = self.device.as_ref();
        let mut waited_ms = 0u32;
        while device_refs(dev) > self.base_refs {
            // SAFETY: Sleeping is allowed here (the drop of a parent runs
            // in process context, like `mdev_unregister_parent()`).
            unsafe { bindings::msleep(POLL_MS) };
            waited_ms = waited_ms.saturating_add(POLL_MS);
            if waited_ms % 10_000 == 0 {
                pr_warn!(
                    "mdev parent: {} reference(s) to the parent device still held after {} s\n",
                    device_refs(dev).saturating_sub(self.base_refs),
                    waited_ms / 1000
                );
            }
        }
    }
}
