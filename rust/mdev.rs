// SPDX-License-Identifier: GPL-2.0

//! Mediated devices (mdev): drivers, types and parents.
//!
//! An mdev vendor driver has three parts:
//!
//! - a [`Driver`]: the `struct mdev_driver` that is bound to every instance;
//!   its `probe` gives the data of the instance's VFIO device, which this
//!   module registers (a [`vfio::Registration`]) and owns until `remove`;
//! - a set of types ([`Type`]), the kinds of instances user space can create
//!   under `mdev_supported_types/`;
//! - a [`Parent`]: a device the instances hang off, registered with the
//!   types and the driver.
//!
//! Teardown order is enforced by ownership: a [`Parent`] holds the
//! [`DriverRegistration`] (through an [`Arc`]) and the parent device, and its
//! drop unregisters the parent first, which removes every remaining instance
//! (calling [`Driver::remove`]), then releases the parent device, and only then
//! may the driver be unregistered.
//!
//! # The VFIO registration lives exactly while the instance is bound
//!
//! VFIO pins `dev->driver->owner` of an instance at every first open of its
//! VFIO device, so the device must only be registered while the instance is
//! bound: an open after the instance was unbound dereferences a null
//! `dev->driver`.  The types enforce it.  `vfio::Registration::new` is
//! private to these abstractions; this module calls it in the instance's
//! probe with the initialiser [`Driver::probe`] returns, keeps the
//! registration in the instance's driver data, and drops it (unregistering
//! the VFIO device, which waits for its users) in the instance's remove,
//! after [`Driver::remove`].  Driver code only ever borrows the
//! registration (in `remove` and in the attributes, for the duration of the
//! call), so safe code cannot keep one past remove, move it elsewhere or
//! leak it.
//!
//! C header: [`include/linux/mdev.h`](srctree/include/linux/mdev.h)

use super::{raw_device, sysfs::SysfsBuffer, try_ffi_init, vfio};
use core::{
    marker::PhantomData,
    mem::MaybeUninit,
    ptr::{addr_of_mut, null, null_mut},
    sync::atomic::{AtomicI32, Ordering},
};
use kernel::{
    bindings, device,
    error::{to_result, VTABLE_DEFAULT_ERROR},
    ffi::{c_char, c_int, c_uint},
    prelude::*,
    str::CStr,
    sync::Arc,
    types::{ForeignOwnable, Opaque},
    ThisModule,
};

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

/// A mediated device (an instance of a [`Type`]).
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
    unsafe fn from_raw<'a>(ptr: *mut bindings::mdev_device) -> &'a Self {
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

impl AsRef<device::Device> for Device {
    fn as_ref(&self) -> &device::Device {
        // SAFETY: The embedded `struct device` is valid while `&self` is
        // (type invariant), and the mdev core holds a reference on it while
        // the instance exists.
        unsafe { device::Device::as_ref(self.raw_device()) }
    }
}

/// A read-only sysfs attribute of the instances of driver `T`.
pub struct Attribute<T: Driver> {
    /// The file name.
    pub name: &'static CStr,
    /// Writes the file's contents.
    pub show: fn(&Device, &vfio::Registration<T::Vfio>, &mut SysfsBuffer) -> Result,
}

/// A group of sysfs attributes of the instances of driver `T`.
pub struct AttributeGroup<T: Driver> {
    /// The name of the group's directory, or `None` for the device's own
    /// directory.
    pub name: Option<&'static CStr>,
    /// The attributes.
    pub attributes: &'static [Attribute<T>],
}

/// An mdev vendor driver.
#[vtable]
pub trait Driver: Sized + 'static {
    /// The name of the driver.
    const NAME: &'static CStr;

    /// The device API of the instances (the `device_api` attribute of the
    /// types), for example [`pci::DEVICE_API`](super::vfio::pci::DEVICE_API).
    const DEVICE_API: &'static CStr;

    /// The maximum number of instances, if the driver has no
    /// [`Driver::get_available`].
    const MAX_INSTANCES: u32 = 0;

    /// Attributes every instance has in sysfs while it is bound.
    const ATTRIBUTE_GROUPS: &'static [AttributeGroup<Self>] = &[];

    /// The data of each [`Type`].
    type TypeData: Send + Sync + 'static;

    /// The data of each [`Parent`], shared by its instances (for example a
    /// pool of resources the instances are carved from).
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

/// A [`Type`] as registered with the mdev core.
///
/// # Invariants
///
/// `raw` is at offset 0, and its `sysfs_name`/`pretty_name` are those of `ty`.
#[repr(C)]
struct TypeSlot<D: 'static> {
    raw: Opaque<bindings::mdev_type>,
    ty: &'static Type<D>,
}

impl<D: 'static> TypeSlot<D> {
    fn new(ty: &'static Type<D>) -> Self {
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
    fn as_raw(&self) -> *mut bindings::mdev_type {
        self.raw.get()
    }

    /// Returns the type registered as `raw`.
    ///
    /// # Safety
    ///
    /// `raw` must be the `raw` field of a live `TypeSlot<D>`, which lives as
    /// long as the registration of its parent.
    unsafe fn type_of(raw: *mut bindings::mdev_type) -> &'static Type<D> {
        // SAFETY: By the type invariant `raw` is at offset 0 of the slot, and
        // the slot is live by the safety requirements.
        unsafe { (*raw.cast::<Self>()).ty }
    }
}

/// The part of a [`Parent`] that the mdev core's `struct mdev_parent`
/// pointers lead to.
///
/// # Invariants
///
/// `raw` is at offset 0.
#[pin_data]
#[repr(C)]
struct ParentRaw<T: Driver> {
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
    unsafe fn data_of<'a>(mtype: *mut bindings::mdev_type) -> &'a T::ParentData {
        // SAFETY: The mdev core set `parent` when it registered the type, to
        // the `raw` field of a `ParentRaw<T>` (at offset 0, by the type
        // invariant), which lives for `'a` by the safety requirements.
        unsafe { &(*(*mtype).parent.cast::<Self>()).data }
    }
}

/// A sysfs attribute as registered with the driver core.
///
/// # Invariants
///
/// `raw` is at offset 0.
#[repr(C)]
struct AttrSlot<T: Driver> {
    raw: Opaque<bindings::device_attribute>,
    attr: &'static Attribute<T>,
}

/// A lockdep class key for the attributes, which are not static.
#[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
struct StaticLockClassKey(Opaque<bindings::lock_class_key>);

// SAFETY: Lockdep synchronises its own use of class keys.
#[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
unsafe impl Sync for StaticLockClassKey {}

/// The lock class of the `kn->active` reference of every attribute file, as
/// `sysfs_attr_init()` provides in C.
#[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
static ATTRIBUTE_KEY: StaticLockClassKey = StaticLockClassKey(Opaque::uninit());

/// The C view of [`Driver::ATTRIBUTE_GROUPS`]: `dev_groups` of the driver.
///
/// # Invariants
///
/// The buffers of the vectors are never reallocated; `group_ptrs` is a
/// null-terminated array of pointers into `groups`, whose `attrs` point to
/// null-terminated runs of `attr_ptrs`, which point into `attrs`.  If there
/// are no groups, `group_ptrs` is empty.
struct AttributeTable<T: Driver> {
    attrs: KVec<AttrSlot<T>>,
    attr_ptrs: KVec<*mut bindings::attribute>,
    groups: KVec<bindings::attribute_group>,
    group_ptrs: KVec<*const bindings::attribute_group>,
}

impl<T: Driver> AttributeTable<T> {
    fn new() -> Result<Self> {
        let groups = T::ATTRIBUTE_GROUPS;
        let n_attrs = groups.iter().map(|g| g.attributes.len()).sum::<usize>();

        let mut this = Self {
            attrs: KVec::with_capacity(n_attrs, GFP_KERNEL)?,
            attr_ptrs: KVec::with_capacity(n_attrs + groups.len(), GFP_KERNEL)?,
            groups: KVec::with_capacity(groups.len(), GFP_KERNEL)?,
            group_ptrs: KVec::with_capacity(groups.len() + 1, GFP_KERNEL)?,
        };
        if groups.is_empty() {
            return Ok(this);
        }

        // All the pushes below stay within the capacities reserved above, so
        // no buffer is reallocated after pointers into it are taken.
        for attr in groups.iter().flat_map(|g| g.attributes.iter()) {
            // SAFETY: All zeros is a valid `device_attribute`.
            let mut raw: bindings::device_attribute =
                unsafe { MaybeUninit::zeroed().assume_init() };
            raw.attr.name = attr.name.as_char_ptr();
            raw.attr.mode = 0o444;
            #[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
            {
                raw.attr.key = ATTRIBUTE_KEY.0.get();
            }
            raw.show = Some(Self::show);
            this.attrs.push(
                AttrSlot {
                    raw: Opaque::new(raw),
                    attr,
                },
                GFP_KERNEL,
            )?;
        }

        let mut next = 0;
        for group in groups {
            let first = this.attr_ptrs.len();
            let end = next + group.attributes.len();
            for slot in this.attrs.get(next..end).ok_or(EINVAL)? {
                // The `attribute` is the first member of `device_attribute`.
                this.attr_ptrs.push(slot.raw.get().cast(), GFP_KERNEL)?;
            }
            next = end;
            this.attr_ptrs.push(null_mut(), GFP_KERNEL)?;

            // SAFETY: All zeros is a valid `attribute_group`.
            let mut raw: bindings::attribute_group = unsafe { MaybeUninit::zeroed().assume_init() };
            raw.name = group.name.map_or(null(), CStr::as_char_ptr);
            // SAFETY: `first` is within the buffer (it was the length before
            // at least one push).
            raw.attrs = unsafe { this.attr_ptrs.as_mut_ptr().add(first) };
            this.groups.push(raw, GFP_KERNEL)?;
        }

        for group in this.groups.iter() {
            this.group_ptrs
                .push(core::ptr::from_ref(group), GFP_KERNEL)?;
        }
        this.group_ptrs.push(null(), GFP_KERNEL)?;
        // INVARIANT: Built as described, without reallocation.
        Ok(this)
    }

    /// Returns the `dev_groups` array for `struct device_driver`.
    fn dev_groups(&mut self) -> *mut *const bindings::attribute_group {
        if self.group_ptrs.is_empty() {
            null_mut()
        } else {
            self.group_ptrs.as_mut_ptr()
        }
    }

    /// # Safety
    ///
    /// Must only be called by the driver core as `show` of an attribute of
    /// this table, on a device bound to the driver `T`.
    unsafe extern "C" fn show(
        dev: *mut bindings::device,
        attr: *mut bindings::device_attribute,
        buf: *mut c_char,
    ) -> isize {
        // SAFETY: By the type invariant of `AttrSlot` the attribute is at
        // offset 0 of a slot of this table, which lives as long as the driver
        // registration.
        let attr = unsafe { (*attr.cast::<AttrSlot<T>>()).attr };
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
        super::sysfs::show_result(res, &out)
    }
}

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
    attributes: AttributeTable<T>,
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
            attributes: AttributeTable::new()?,
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

    fn as_raw(&self) -> *mut bindings::mdev_driver {
        self.raw.get()
    }

    /// # Safety
    ///
    /// Called by the mdev core for a device created from a type registered
    /// with a [`Parent`] of this driver.
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
    /// Called by the mdev core for a type registered with a [`Parent`] of
    /// this driver.
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
        super::sysfs::show_result(res, &out)
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
pub struct Parent<T: Driver, P: AsRef<device::Device> + Send + Sync> {
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
fn device_refs(dev: &device::Device) -> i32 {
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
unsafe impl<T: Driver, P: AsRef<device::Device> + Send + Sync> Send for Parent<T, P> {}

// SAFETY: `&Parent` only gives `&P`, which is `Sync`.
unsafe impl<T: Driver, P: AsRef<device::Device> + Send + Sync> Sync for Parent<T, P> {}

impl<T: Driver, P: AsRef<device::Device> + Send + Sync> Parent<T, P> {
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
impl<T: Driver, P: AsRef<device::Device> + Send + Sync> PinnedDrop for Parent<T, P> {
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
