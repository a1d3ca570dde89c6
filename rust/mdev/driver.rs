// SPDX-License-Identifier: GPL-2.0

//! The mdev driver: what a vendor driver implements, and its registration.

use super::{parent::ParentRaw, types::TypeSlot, Device, Type};
use crate::{
    sysfs::{self, AttributeTable, SysfsBuffer},
    try_ffi_init, vfio,
};
use core::{marker::PhantomData, mem::MaybeUninit};
use kernel::{
    bindings,
    error::{to_result, VTABLE_DEFAULT_ERROR},
    ffi::{c_char, c_int, c_uint},
    prelude::*,
    str::CStr,
    types::{ForeignOwnable, Opaque},
    ThisModule,
};

/// The function that shows a sysfs attribute of an instance of driver `T`.
pub type ShowFn<T> =
    fn(&Device, &vfio::Registration<<T as Driver>::Vfio>, &mut SysfsBuffer) -> Result;

/// The sysfs attributes of the instances of driver `T`, as a kind of
/// [`sysfs::Attribute`]: shown by a [`ShowFn`].
///
/// Only a type: it has no values.
pub struct InstanceAttributes<T>(PhantomData<T>);

impl<T: Driver> sysfs::AttributeKind for InstanceAttributes<T> {
    type Show = ShowFn<T>;
}

/// A read-only sysfs attribute of the instances of driver `T`.
pub type Attribute<T> = sysfs::Attribute<InstanceAttributes<T>>;

/// A group of sysfs attributes of the instances of driver `T`.
pub type AttributeGroup<T> = sysfs::AttributeGroup<InstanceAttributes<T>>;

/// An mdev vendor driver.
#[vtable]
pub trait Driver: Sized + 'static {
    /// The name of the driver.
    const NAME: &'static CStr;

    /// The device API of the instances (the `device_api` attribute of the
    /// types), for example [`pci::DEVICE_API`](crate::vfio::pci::DEVICE_API).
    const DEVICE_API: &'static CStr;

    /// The maximum number of instances, if the driver has no
    /// [`Driver::get_available`].
    const MAX_INSTANCES: u32 = 0;

    /// Attributes every instance has in sysfs while it is bound.
    const ATTRIBUTE_GROUPS: &'static [AttributeGroup<Self>] = &[];

    /// The data of each [`Type`].
    type TypeData: Send + Sync + 'static;

    /// The data of each [`Parent`](super::Parent), shared by its instances
    /// (for example a pool of resources the instances are carved from).
    type ParentData: Send + Sync + 'static;

    /// The VFIO operations of the instances.
    ///
    /// Every instance is a VFIO device of these operations, registered from
    /// probe to remove; its [`vfio::Operations::Data`] is the state of the
    /// instance.
    type Vfio: vfio::Operations;

    /// Returns the initialiser of the state of a new instance of type `ty`
    /// of a parent with data `parent`.
    ///
    /// The abstraction initialises the state in the instance's VFIO device
    /// and registers the device; an error of the initialiser fails the
    /// probe.
    fn probe<'a>(
        mdev: &'a Device,
        parent: &'a Self::ParentData,
        ty: &'static Type<Self::TypeData>,
    ) -> impl PinInit<InstanceData<Self>, Error> + 'a;

    /// Called when an instance is removed, before its VFIO device is
    /// unregistered (which waits until user space has closed it, calling
    /// [`vfio::Operations::request`] meanwhile).  The default does nothing.
    fn remove(_mdev: &Device, _vfio: &vfio::Registration<Self::Vfio>) {}

    /// Returns how many more instances of type `ty` can be created on a
    /// parent with data `parent`.
    ///
    /// When the driver provides this, the mdev core does not count instances
    /// itself: [`Driver::probe`] must refuse instances beyond the limit.
    fn get_available(_parent: &Self::ParentData, _ty: &'static Type<Self::TypeData>) -> u32 {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Writes the description of type `ty` (the `description` attribute).
    fn show_description(_ty: &'static Type<Self::TypeData>, _buf: &mut SysfsBuffer) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// The state of an instance of driver `T`: the data of its VFIO device.
pub type InstanceData<T> = <<T as Driver>::Vfio as vfio::Operations>::Data;

/// What the driver data of a bound instance of driver `T` holds.
type Bound<T> = KBox<vfio::Registration<<T as Driver>::Vfio>>;

/// A registered mdev driver.
///
/// # Invariants
///
/// `raw` is registered with `mdev_register_driver()`; its `dev_groups` point
/// into `attributes`.
#[pin_data(PinnedDrop)]
pub struct DriverRegistration<T: Driver> {
    #[pin]
    raw: Opaque<bindings::mdev_driver>,
    attributes: AttributeTable<InstanceAttributes<T>>,
    _p: PhantomData<T>,
}

// SAFETY: The driver may be unregistered on any thread; the raw pointers of
// the attribute table are only read by the driver core.
unsafe impl<T: Driver> Send for DriverRegistration<T> {}

// SAFETY: `&DriverRegistration<T>` gives no access to anything.
unsafe impl<T: Driver> Sync for DriverRegistration<T> {}

impl<T: Driver> DriverRegistration<T> {
    /// Registers the driver `T` of module `module`.
    pub fn new(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            attributes: AttributeTable::new(T::ATTRIBUTE_GROUPS, Self::show_attribute)?,
            _p: PhantomData,
            // Registered last: the driver core reads the attribute table
            // from then on.
            raw <- {
                let dev_groups = attributes.dev_groups();
                try_ffi_init(move |raw: *mut bindings::mdev_driver| {
                    // SAFETY: All zeros is a valid `mdev_driver`.
                    let mut drv: bindings::mdev_driver =
                        unsafe { MaybeUninit::zeroed().assume_init() };
                    drv.device_api = T::DEVICE_API.as_char_ptr();
                    drv.max_instances = T::MAX_INSTANCES;
                    drv.probe = Some(Self::probe);
                    drv.remove = Some(Self::remove);
                    drv.get_available = if T::HAS_GET_AVAILABLE {
                        Some(Self::get_available)
                    } else {
                        None
                    };
                    drv.show_description = if T::HAS_SHOW_DESCRIPTION {
                        Some(Self::show_description)
                    } else {
                        None
                    };
                    drv.driver.name = T::NAME.as_char_ptr();
                    drv.driver.owner = module.as_ptr();
                    drv.driver.dev_groups = dev_groups;
                    // SAFETY: `raw` is valid for writes.
                    unsafe { raw.write(drv) };
                    // SAFETY: `raw` is a filled-in driver in pinned memory
                    // that stays registered until `PinnedDrop` unregisters
                    // it; its `dev_groups` point into the table of the
                    // field `attributes`, whose buffers do not move.
                    // INVARIANT: Registered on success; on failure the
                    // fields written so far are dropped.
                    to_result(unsafe { bindings::mdev_register_driver(raw) })
                })
            },
        }? Error)
    }

    pub(super) fn as_raw(&self) -> *mut bindings::mdev_driver {
        self.raw.get()
    }

    /// # Safety
    ///
    /// Called by the mdev core for a device created from a type registered
    /// with a [`Parent`](super::Parent) of this driver.
    unsafe extern "C" fn probe(mdev: *mut bindings::mdev_device) -> c_int {
        // SAFETY: The mdev core passes a valid device for the call.
        let dev = unsafe { Device::from_raw(mdev) };
        // SAFETY: The type was registered by a `Parent<T, _>`, whose slots
        // outlive its instances.
        let (ty, parent) = unsafe {
            let mtype = (*mdev).type_;
            (
                TypeSlot::<T::TypeData>::type_of(mtype),
                ParentRaw::<T>::data_of(mtype),
            )
        };
        let bound = vfio::Registration::<T::Vfio>::new(dev, T::probe(dev, parent, ty))
            .and_then(|registration| Ok(KBox::new(registration, GFP_KERNEL)?));
        match bound {
            Ok(bound) => {
                // SAFETY: The device is valid; the pointer is taken back in
                // `remove`.
                unsafe {
                    bindings::dev_set_drvdata(dev.raw_device(), bound.into_foreign().cast_mut())
                };
                0
            }
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called by the mdev core for a device that `probe` succeeded on.
    unsafe extern "C" fn remove(mdev: *mut bindings::mdev_device) {
        // SAFETY: The mdev core passes a valid device for the call.
        let dev = unsafe { Device::from_raw(mdev) };
        // SAFETY: `probe` stored the result of `into_foreign`, and the
        // attributes, the only other users, were removed before this call.
        let bound =
            unsafe { Bound::<T>::from_foreign(bindings::dev_get_drvdata(dev.raw_device())) };
        T::remove(dev, &bound);
        // Unregisters the VFIO device: no VFIO callback runs after this.
        drop(bound);
    }

    /// # Safety
    ///
    /// Called by the mdev core for a type registered with a
    /// [`Parent`](super::Parent) of this driver.
    unsafe extern "C" fn get_available(mtype: *mut bindings::mdev_type) -> c_uint {
        // SAFETY: As in `probe`.
        let (ty, parent) = unsafe {
            (
                TypeSlot::<T::TypeData>::type_of(mtype),
                ParentRaw::<T>::data_of(mtype),
            )
        };
        T::get_available(parent, ty)
    }

    /// # Safety
    ///
    /// As for `get_available`; `buf` is the sysfs page.
    unsafe extern "C" fn show_description(
        mtype: *mut bindings::mdev_type,
        buf: *mut c_char,
    ) -> isize {
        // SAFETY: As in `probe`.
        let ty = unsafe { TypeSlot::<T::TypeData>::type_of(mtype) };
        // SAFETY: `buf` is the page sysfs gives to `show`, and `out` does not
        // outlive the callback.
        let mut out = unsafe { SysfsBuffer::from_raw(buf.cast()) };
        let res = T::show_description(ty, &mut out);
        sysfs::show_result(res, &out)
    }

    /// # Safety
    ///
    /// Must only be called by the driver core as `show` of an attribute of
    /// the table of this registration, on a device bound to the driver `T`.
    unsafe extern "C" fn show_attribute(
        dev: *mut bindings::device,
        attr: *mut bindings::device_attribute,
        buf: *mut c_char,
    ) -> isize {
        // SAFETY: The attribute is one of the table of this registration,
        // which lives as long as the driver is registered.
        let attr = unsafe { AttributeTable::<InstanceAttributes<T>>::attribute(attr) };
        // SAFETY: Devices bound to `T` are mdev devices, and the driver core
        // holds a reference for the duration of the callback.
        let mdev = unsafe { Device::from_raw(bindings::to_mdev_device(dev)) };
        // SAFETY: The driver core adds `dev_groups` after a successful probe,
        // which set the driver data, and removes them before `remove`, which
        // takes it back; so the data is live and not taken during the call.
        let data = unsafe { Bound::<T>::borrow(bindings::dev_get_drvdata(dev)) };
        // SAFETY: `buf` is the page sysfs gives to `show`, and `out` does not
        // outlive the callback.
        let mut out = unsafe { SysfsBuffer::from_raw(buf.cast()) };
        let res = (attr.show)(mdev, data, &mut out);
        sysfs::show_result(res, &out)
    }
}

#[pinned_drop]
impl<T: Driver> PinnedDrop for DriverRegistration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariant the driver is registered.  Every
        // parent holds an `Arc` of this registration, so none is left and no
        // instance is bound.
        unsafe { bindings::mdev_unregister_driver(self.as_raw()) };
    }
}
