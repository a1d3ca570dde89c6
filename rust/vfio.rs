// SPDX-License-Identifier: GPL-2.0

//! VFIO devices without an IOMMU of their own (emulated-IOMMU devices).
//!
//! A driver describes its device with the [`Operations`] trait; the mdev
//! abstraction registers each bound instance (`Registration::new`, private
//! to these abstractions).  The device is registered with
//! `vfio_register_emulated_iommu_dev()`, so user space can use it through the
//! VFIO group/container path and through the iommufd device (cdev) path; the
//! iommufd callbacks are the exported `vfio_iommufd_emulated_*()` helpers.
//!
//! # Lifetimes
//!
//! - [`Operations::Data`] is created with the device and dropped when the
//!   [`Registration`] is dropped, after the device is unregistered (when no
//!   file of it is left and VFIO calls no callback any more).  The memory of
//!   the device is freed by VFIO when the last reference to its `struct
//!   device` goes, which may be later; nothing of the module is used then
//!   (see [`Registration`]'s `Drop`).
//! - [`Operations::OpenData`] is created by [`Operations::open_device`] on the
//!   first open of the device and dropped on the last close.  It is only
//!   reachable from the I/O callbacks ([`Operations::read`],
//!   [`Operations::write`], [`Operations::ioctl`], [`Operations::mmap`]),
//!   which VFIO only calls on an open device and never concurrently with the
//!   first open or the last close.  Anything taken at open time (eventfds, a
//!   VM reference) therefore cannot outlive the open; a mapping of the
//!   device holds its file, so the open lasts until the last `munmap()`.
//! - The VM given to `open_device` is a [`VmRef`] borrowed for that call; to
//!   keep it, the driver takes its own reference with [`VmRef::get`],
//!   typically into its `OpenData`.
//!
//! C header: [`include/linux/vfio.h`](srctree/include/linux/vfio.h)

pub mod ioctl;
pub mod migration;
pub mod pci;
pub mod virqfd;

use crate::{mdev, vm::VmRef, vma::VmaNew};
use core::{
    cell::UnsafeCell,
    marker::PhantomData,
    mem::{align_of, size_of, MaybeUninit},
    ptr::{addr_of_mut, NonNull},
};
use kernel::{
    bindings,
    error::{from_err_ptr, VTABLE_DEFAULT_ERROR},
    ffi::{c_char, c_int, c_long, c_uint, c_ulong},
    new_mutex,
    prelude::*,
    str::CStr,
    sync::Mutex,
    types::Opaque,
    uaccess::{UserPtr, UserSlice, UserSliceReader, UserSliceWriter},
};
use migration::{MigCtl, MigState, MigVTable};

/// The operations of a VFIO device driver.
///
/// Types implementing this trait are only used as type parameters; the
/// per-device state is [`Operations::Data`].
#[vtable]
pub trait Operations: Sized + 'static {
    /// The name of the operations, for diagnostics.
    const NAME: &'static CStr;

    /// State of one device, from registration until the device is released.
    type Data: Send + Sync;

    /// State of an open device, from the first open to the last close.
    type OpenData: Send + Sync;

    /// Called on the first open of the device.
    ///
    /// `vm` is the VM user space associated with the device (through the
    /// KVM-VFIO device), if any; it is only borrowed for this call.  The
    /// returned initialiser builds the [`Operations::OpenData`] that the I/O
    /// callbacks receive until [`Operations::close_device`].
    fn open_device<'a>(
        dev: &'a Device<Self>,
        vm: Option<VmRef<'a>>,
    ) -> impl PinInit<Self::OpenData, Error> + 'a;

    /// Called on the last close of the device, with the data of the open.
    ///
    /// The default implementation drops `open`.
    fn close_device(_dev: &Device<Self>, open: Pin<KBox<Self::OpenData>>) {
        drop(open);
    }

    /// Reads from the device at file offset `pos` into `buf`.
    ///
    /// Returns the number of bytes read, at most `buf.len()`.
    fn read(
        _dev: &Device<Self>,
        _open: &Self::OpenData,
        _buf: UserSliceWriter,
        _pos: u64,
    ) -> Result<usize> {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Writes `buf` to the device at file offset `pos`.
    ///
    /// Returns the number of bytes written, at most `buf.len()`.
    fn write(
        _dev: &Device<Self>,
        _open: &Self::OpenData,
        _buf: UserSliceReader,
        _pos: u64,
    ) -> Result<usize> {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Handles the device ioctl `cmd` with argument `arg`.
    ///
    /// Unknown commands should fail with `ENOTTY`.  See [`ioctl::IoctlArg`]
    /// for reading the argument.
    fn ioctl(
        _dev: &Device<Self>,
        _open: &Self::OpenData,
        _cmd: u32,
        _arg: UserPtr,
    ) -> Result<isize> {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Maps part of the device into user space (`mmap()` of the device
    /// file).
    ///
    /// `vma` is the new mapping, valid for this call; the driver fills it
    /// (see [`VmaNew`]) or fails, typically with `EINVAL`.  VFIO only calls
    /// it on an open device, and a mapping holds the device file, so the
    /// device stays open (no [`Operations::close_device`]) until every
    /// mapping of it is gone.  Without it, `mmap()` fails with `EINVAL`.
    fn mmap(_dev: &Device<Self>, _open: &Self::OpenData, _vma: &VmaNew) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Asks the user of the device to release it: called when the device is
    /// being removed while user space still holds it.
    ///
    /// VFIO calls it right after the removal starts and again every 10
    /// seconds while a file of the device stays open (`count` is the number
    /// of earlier calls).  A `vfio-pci` device relays the request to user
    /// space through the eventfd set with `VFIO_PCI_REQ_IRQ_INDEX`, and QEMU
    /// then unplugs the device from its guest.  The removal waits, however
    /// long it takes, until every file of the device is closed.
    ///
    /// It may run at any time, concurrently with any other callback and
    /// whether or not the device is open (a cdev file that was opened but
    /// never bound holds the device too), so it only receives the device:
    /// what it uses must live in [`Operations::Data`].
    fn request(_dev: &Device<Self>, _count: u32) {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Whether the device never reads or writes guest memory.
    ///
    /// A device with migration that sets this gets `log_ops` that report no
    /// dirty page, so that a VMM which wants device dirty tracking (QEMU's
    /// `enable-migration=auto`) does not block migration.
    const DMA_FREE: bool = false;

    /// The largest state [`Operations::migration_save`] produces, in bytes;
    /// a resuming stream with a larger record is refused with `EINVAL`.
    const MIGRATION_STATE_MAX: usize = 64 * 1024;

    /// Appends the whole state of the open device to `out`, for VFIO
    /// migration (see [`migration`]).
    ///
    /// Implementing this and [`Operations::migration_load`] gives the device
    /// VFIO migration v2 with `STOP_COPY`, `P2P` and `PRE_COPY`; the
    /// abstraction calls it on entry to `PRE_COPY` and `STOP_COPY`, for
    /// `VFIO_DEVICE_FEATURE_MIG_DATA_SIZE`, and in `PRE_COPY` to find out
    /// whether the device changed.  It must not change the device, and two
    /// calls on an unchanged device must give the same bytes.
    fn migration_save(_dev: &Device<Self>, _open: &Self::OpenData, _out: &mut KVec<u8>) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Replaces the state of the open device with `state`, which
    /// [`Operations::migration_save`] of a compatible device produced.
    ///
    /// It must check everything before it changes anything: on error
    /// (`EINVAL` for a state it refuses) the device is unchanged.
    fn migration_load(_dev: &Device<Self>, _open: &Self::OpenData, _state: &[u8]) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Called when a device that loaded a state ([`Operations::migration_load`])
    /// enters `RUNNING` for the first time since, with the device's migration
    /// lock held.  The default does nothing.
    ///
    /// The interrupt triggers of the destination are new eventfds, set by its
    /// VFIO user; what the source signalled on its own eventfds is known to
    /// the destination's user only if that user migrated it too.  A device
    /// whose loaded state has a level-triggered interrupt asserted and
    /// masked (signalled, not yet unmasked) signals it here once on the
    /// destination's trigger, so that the user learns the line is asserted
    /// and unmasks it in time: QEMU 10.0 does not migrate `vfio-pci`'s own
    /// "INTx pending" flag, and without this the guest's line stays up
    /// with nobody to lower it (`Documentation/migration.rst`).  For a user
    /// that did migrate it, a second signal of an asserted level is no
    /// event.
    fn migration_resumed(_dev: &Device<Self>, _open: &Self::OpenData) {}
}

/// A VFIO device: a `struct vfio_device` followed by the driver's data.
///
/// This is the memory `_vfio_alloc_device()` allocates; the `vfio_device` is
/// at offset 0 as that function requires.  The allocation is owned by the
/// reference count of the embedded `struct device` and freed by VFIO when
/// the last reference goes; the Rust fields are dropped before, when the
/// device is unregistered, and the device has no release callback.
///
/// `vdev.ops` points to `ops`, a copy of the driver's operations table in
/// the device itself, not to the table in the module: VFIO reads
/// `ops->release` when the last reference to the device goes, which can be
/// after the module is unloaded (a sysfs user may hold the device, and
/// `CONFIG_DEBUG_KOBJECT_RELEASE` delays every release by up to 4 s).  The
/// copy is cleared when the device is unregistered, so that nothing in it
/// leads to the module any more.
///
/// # Invariants
///
/// - `vdev` was initialised by `_vfio_alloc_device()` with the operations
///   table `VTable::<T>::OPS`.
/// - Whenever a `&Device<T>` is given out, `data` is initialised.
/// - `data_live` says whether `data` is initialised; it is only written
///   before the device is registered and after it is unregistered.
/// - `vdev.ops` points to `ops`, which is `VTable::<T>::OPS` from
///   registration until the device is unregistered, and all zeros (no
///   callback) after.
/// - `open` is `Some` exactly between a successful [`Operations::open_device`]
///   and the following [`Operations::close_device`].  It is only written in
///   those two callbacks, which VFIO never runs concurrently with each other
///   or with the I/O callbacks.
/// - `mig` is initialised with the device; while the device is not open it
///   is in `RUNNING` without a data session (`close_device` resets it
///   before it drops the open data).
#[repr(C)]
pub struct Device<T: Operations> {
    vdev: Opaque<bindings::vfio_device>,
    ops: Opaque<bindings::vfio_device_ops>,
    data: UnsafeCell<MaybeUninit<T::Data>>,
    data_live: bool,
    open: UnsafeCell<Option<Pin<KBox<T::OpenData>>>>,
    mig: Mutex<MigCtl>,
}

// SAFETY: The VFIO device may be used and released on any thread; `Data` and
// `OpenData` are `Send`.
unsafe impl<T: Operations> Send for Device<T> {}

// SAFETY: `&Device<T>` gives shared access to `Data` and `OpenData`, which are
// `Sync`; the slot holding `OpenData` is only mutated when VFIO guarantees
// that no other callback runs (see the type invariants).
unsafe impl<T: Operations> Sync for Device<T> {}

impl<T: Operations> Device<T> {
    /// `_vfio_alloc_device()` requires the `vfio_device` at offset 0.
    const VFIO_DEVICE_FIRST: () = assert!(core::mem::offset_of!(Self, vdev) == 0);

    /// The allocation comes from `kvzalloc()`, which only guarantees the
    /// alignment of a `u64` (`ARCH_KMALLOC_MINALIGN`).
    const ALIGNMENT_OK: () = assert!(align_of::<Self>() <= align_of::<u64>());

    /// Migration needs both callbacks.
    const MIGRATION_COMPLETE: () = assert!(
        T::HAS_MIGRATION_SAVE == T::HAS_MIGRATION_LOAD,
        "implement both migration_save and migration_load, or neither"
    );

    /// Returns the driver's data of the device.
    pub fn data(&self) -> &T::Data {
        // SAFETY: By the type invariant `data` is initialised while a
        // `&Device<T>` exists, and it is only dropped when the device is
        // unregistered, when no callback runs and no reference is left.
        unsafe { (*self.data.get()).assume_init_ref() }
    }

    fn as_raw(&self) -> *mut bindings::vfio_device {
        self.vdev.get()
    }

    /// Returns the name of the device's parent (for an mdev instance, its
    /// UUID), for messages.
    pub fn name(&self) -> &CStr {
        // SAFETY: The device is alive (type invariant of the reference), so
        // VFIO's pointer to the parent device, which it holds a reference
        // on, is valid; a registered device has a name, which lives as long
        // as the device and is not changed for an mdev instance.
        unsafe { CStr::from_char_ptr((*(*self.as_raw()).dev).kobj.name) }
    }

    /// Drops the Rust fields of a device that VFIO no longer calls and
    /// clears its operations table.
    ///
    /// # Safety
    ///
    /// `dev` must be a device of `T` whose `ops`, `open` and `mig` fields are
    /// initialised, that is not registered (never, or no more), and whose
    /// Rust fields nothing uses any more; it is called once.
    unsafe fn retire(dev: *mut Self) {
        // SAFETY: By the safety requirements nothing else accesses the
        // fields.  `open` is normally empty already (`close_device`).
        unsafe {
            core::ptr::drop_in_place((*dev).open.get());
            core::ptr::drop_in_place(addr_of_mut!((*dev).mig));
            if (*dev).data_live {
                (*dev).data_live = false;
                core::ptr::drop_in_place((*(*dev).data.get()).as_mut_ptr());
            }
        }
        // SAFETY: As above; VFIO only reads the table again for `release`,
        // when the last reference goes, and finds none.
        // INVARIANT: `ops` is all zeros from now on.
        unsafe { Opaque::raw_get(addr_of_mut!((*dev).ops)).write_bytes(0, 1) };
    }

    /// Returns the device behind a `struct vfio_device` of this driver.
    ///
    /// # Safety
    ///
    /// `vdev` must belong to a `Device<T>` whose data is initialised, and the
    /// device must stay alive for `'a`.
    unsafe fn from_raw<'a>(vdev: *mut bindings::vfio_device) -> &'a Self {
        // SAFETY: The `vfio_device` is at offset 0 of `Device<T>` and, by the
        // safety requirements, the rest is initialised and alive for `'a`.
        unsafe { &*vdev.cast::<Self>() }
    }

    /// Returns the data of the open device.
    ///
    /// # Safety
    ///
    /// Must only be called from an I/O or migration callback, where VFIO
    /// keeps the device open and does not run `open_device` or
    /// `close_device`, or by a migration data file through its
    /// [`migration`] source, which `close_device` removes before it takes
    /// the open data.
    unsafe fn open_data(&self) -> Option<&T::OpenData> {
        // SAFETY: By the safety requirements nobody writes `open` while the
        // returned reference, bounded by the callback, exists.
        unsafe { (*self.open.get()).as_deref() }
    }
}

/// A registered VFIO device.
///
/// Dropping it unregisters the device, which waits until user space has
/// closed it (calling [`Operations::request`] meanwhile), and then drops the
/// registration's reference to it.
///
/// Drivers never own one: the mdev abstraction creates it when an instance
/// is probed and drops it when the instance is removed, and lends it to
/// the driver's `remove` and sysfs attributes (see [`mdev::Driver`]).
///
/// # Invariants
///
/// `dev` points to a `Device<T>` with initialised data, registered with VFIO,
/// on which this object owns the initial reference.
pub struct Registration<T: Operations> {
    dev: NonNull<Device<T>>,
    _p: PhantomData<Device<T>>,
}

// SAFETY: Unregistration may happen on any thread, and `Device<T>` is `Send`
// and `Sync`.
unsafe impl<T: Operations> Send for Registration<T> {}

// SAFETY: `&Registration<T>` only gives `&Device<T>`-level access, and
// `Device<T>` is `Sync`.
unsafe impl<T: Operations> Sync for Registration<T> {}

impl<T: Operations> Registration<T> {
    /// Creates a VFIO device for the mdev instance `parent`, initialises its
    /// data with `data` and registers it as an emulated-IOMMU device.
    ///
    /// Only the mdev abstraction calls this, in the probe of an instance,
    /// and it owns the result until the instance's remove drops it: a
    /// driver never owns a `Registration`, it only borrows one (see
    /// [`mdev::Driver`]).  That is what keeps the VFIO device registered
    /// exactly while its parent is bound: VFIO pins the parent's
    /// `dev->driver->owner` at every first open, and an open after the
    /// instance was unbound would dereference a null driver.
    pub(super) fn new(parent: &mdev::Device, data: impl PinInit<T::Data, Error>) -> Result<Self> {
        // Evaluate the layout checks for this `T`.
        let () = Device::<T>::VFIO_DEVICE_FIRST;
        let () = Device::<T>::ALIGNMENT_OK;
        let () = Device::<T>::MIGRATION_COMPLETE;

        // SAFETY: `parent` is a live, bound device for the duration of the
        // call (registration takes a reference on it, as the new device's
        // parent, for as long as the device exists), the size covers the whole
        // `Device<T>` whose first field is the `vfio_device`, and the
        // operations table is a static.
        let vdev = from_err_ptr(unsafe {
            bindings::_vfio_alloc_device(
                size_of::<Device<T>>(),
                parent.raw_device(),
                &VTable::<T>::OPS,
            )
        })?;
        let dev = NonNull::new(vdev.cast::<Device<T>>()).ok_or(ENOMEM)?;
        let raw = dev.as_ptr();

        // SAFETY: `raw` is a fresh allocation of `size_of::<Device<T>>()`
        // bytes, suitably aligned (checked by `ALIGNMENT_OK`), that nothing
        // else accesses before registration.  The Rust fields are written
        // before anything reads them.
        let init = unsafe {
            addr_of_mut!((*raw).ops).write(Opaque::new(VTable::<T>::OPS));
            (*vdev).ops = Opaque::raw_get(addr_of_mut!((*raw).ops));
            addr_of_mut!((*raw).open).write(UnsafeCell::new(None));
            addr_of_mut!((*raw).data_live).write(false);
            match new_mutex!(MigCtl::new(), "vfio_mig").__pinned_init(addr_of_mut!((*raw).mig)) {
                Ok(()) => {}
                Err(infallible) => match infallible {},
            }
            data.__pinned_init(addr_of_mut!((*raw).data).cast::<T::Data>())
        };
        if let Err(e) = init {
            // SAFETY: The device was never registered, `data_live` is false
            // and the other Rust fields are initialised; the allocation holds
            // one reference, not used after this.
            unsafe {
                Device::<T>::retire(raw);
                bindings::vfio_put_device(vdev);
            }
            return Err(e);
        }
        // SAFETY: `data` was initialised above, in memory that never moves.
        // INVARIANT: `data_live` now tells `retire` to drop it.
        unsafe { addr_of_mut!((*raw).data_live).write(true) };

        if T::HAS_MIGRATION_SAVE {
            // SAFETY: The device is not registered yet: nothing else reads
            // these fields.  The tables are promoted to statics.
            unsafe {
                (*vdev).migration_flags = migration::MIGRATION_FLAGS;
                (*vdev).mig_ops = &MigVTable::<T>::MIG_OPS;
                if T::DMA_FREE {
                    (*vdev).log_ops = &MigVTable::<T>::LOG_OPS;
                }
            }
        }

        // SAFETY: `vdev` is an initialised, unregistered VFIO device.
        let ret = unsafe { bindings::vfio_register_emulated_iommu_dev(vdev) };
        if ret != 0 {
            // SAFETY: Registration failed, so nothing else uses the device
            // and the only reference is ours, not used after this.
            unsafe {
                Device::<T>::retire(raw);
                bindings::vfio_put_device(vdev);
            }
            return Err(Error::from_errno(ret));
        }

        // INVARIANT: The device is registered and its initial reference is
        // handed to the new object.
        Ok(Self {
            dev,
            _p: PhantomData,
        })
    }

    fn device(&self) -> &Device<T> {
        // SAFETY: By the type invariant the device is alive while `self` is.
        unsafe { self.dev.as_ref() }
    }

    /// Returns the driver's data of the device.
    pub fn data(&self) -> &T::Data {
        self.device().data()
    }

    /// Returns the migration state of the device, or `None` if the driver
    /// has no migration.  A device that is not open is `RUNNING`.
    pub fn migration_state(&self) -> Option<MigState> {
        T::HAS_MIGRATION_SAVE.then(|| self.device().migration_state())
    }

    /// Returns the number of open file descriptors of the device.
    ///
    /// The count is VFIO's own, from `vfio_device_set_open_count()` under
    /// the lock of the device's set (the device is alone in its set: this
    /// module never assigns a shared one).  VFIO also holds that lock around
    /// `open_device` and `close_device`, which is why this method is only
    /// available on the registration and not on the [`Device`] the
    /// callbacks receive.
    ///
    /// On the cdev (iommufd) path a device can only be open once, so the
    /// count is 0 or 1; on the group path every `VFIO_GROUP_GET_DEVICE_FD`
    /// counts.
    pub fn open_count(&self) -> u32 {
        let vdev = self.device().as_raw();
        // SAFETY: By the type invariant the device is registered, so VFIO has
        // assigned its device set, which outlives the registration.
        let set = unsafe { (*vdev).dev_set };
        // SAFETY: `set` is valid, see above.
        let lock = unsafe { addr_of_mut!((*set).lock) };
        // SAFETY: `lock` is the initialised mutex of the set.  The caller is
        // not inside a VFIO callback of this device (those never see a
        // `Registration`), so it does not hold the lock already.
        unsafe { bindings::mutex_lock(lock) };
        // SAFETY: `set` is valid and its lock is held, as required.
        let count = unsafe { bindings::vfio_device_set_open_count(set) };
        // SAFETY: The lock was taken above.
        unsafe { bindings::mutex_unlock(lock) };
        count
    }
}

impl<T: Operations> Drop for Registration<T> {
    fn drop(&mut self) {
        let vdev = self.device().as_raw();
        // SAFETY: By the type invariant the device is registered.  This waits
        // until every file descriptor is closed, so `close_device` has run
        // when it returns, and VFIO calls no callback after it.
        unsafe { bindings::vfio_unregister_group_dev(vdev) };
        // SAFETY: The device is unregistered and this object, the last user
        // of its Rust fields, goes now.
        unsafe { Device::<T>::retire(self.dev.as_ptr()) };
        // SAFETY: By the type invariant this object owns a reference, which is
        // not used after this call.  When the last reference goes (maybe
        // later, and after the module is unloaded), VFIO finds no release
        // callback in the cleared table and frees the memory itself.
        unsafe { bindings::vfio_put_device(vdev) };
    }
}

/// The C operations table for the driver `T`.
struct VTable<T: Operations>(PhantomData<T>);

impl<T: Operations> VTable<T> {
    const OPS: bindings::vfio_device_ops = bindings::vfio_device_ops {
        name: T::NAME.as_char_ptr().cast_mut(),
        // The Rust fields are dropped when the device is unregistered (see
        // `Device`): no module code runs when its last reference goes.
        release: None,
        open_device: Some(Self::open_device),
        close_device: Some(Self::close_device),
        read: if T::HAS_READ { Some(Self::read) } else { None },
        write: if T::HAS_WRITE {
            Some(Self::write)
        } else {
            None
        },
        ioctl: if T::HAS_IOCTL {
            Some(Self::ioctl)
        } else {
            None
        },
        mmap: if T::HAS_MMAP { Some(Self::mmap) } else { None },
        request: if T::HAS_REQUEST {
            Some(Self::request)
        } else {
            None
        },
        #[cfg(CONFIG_IOMMUFD)]
        bind_iommufd: Some(bindings::vfio_iommufd_emulated_bind),
        #[cfg(CONFIG_IOMMUFD)]
        unbind_iommufd: Some(bindings::vfio_iommufd_emulated_unbind),
        #[cfg(CONFIG_IOMMUFD)]
        attach_ioas: Some(bindings::vfio_iommufd_emulated_attach_ioas),
        #[cfg(CONFIG_IOMMUFD)]
        detach_ioas: Some(bindings::vfio_iommufd_emulated_detach_ioas),
        // SAFETY: All zeros is a valid value for `vfio_device_ops`: every
        // other member is an optional callback.
        ..unsafe { MaybeUninit::zeroed().assume_init() }
    };

    /// # Safety
    ///
    /// `vdev` must be a registered device of `T`, on its first open, with the
    /// device set lock held.
    unsafe extern "C" fn open_device(vdev: *mut bindings::vfio_device) -> c_int {
        // SAFETY: A registered device of `T` has initialised data, and VFIO
        // holds a reference for the duration of the callback.
        let dev = unsafe { Device::<T>::from_raw(vdev) };
        // SAFETY: VFIO sets `kvm` and `kvm_ops` before the first open and
        // keeps its reference on the VM until after `close_device`, so both
        // are valid for this call.
        let vm = unsafe { VmRef::from_raw((*vdev).kvm, (*vdev).kvm_ops) };
        match KBox::try_pin_init(T::open_device(dev, vm), GFP_KERNEL) {
            Ok(open) => {
                // SAFETY: First open: VFIO runs no other callback of this
                // device concurrently, so nothing references `open`.
                // INVARIANT: `open` is `Some` from here to `close_device`.
                unsafe { *dev.open.get() = Some(open) };
                0
            }
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// `vdev` must be a registered device of `T`, on its last close after a
    /// successful open, with the device set lock held.
    unsafe extern "C" fn close_device(vdev: *mut bindings::vfio_device) {
        // SAFETY: As in `open_device`.
        let dev = unsafe { Device::<T>::from_raw(vdev) };
        // The data session ends before the open data it reaches is dropped.
        dev.mig.lock().reset();
        // SAFETY: Last close: no other callback of this device runs, and the
        // data file no longer reaches the device, so nothing references
        // `open`.
        // INVARIANT: `open` is `None` until the next `open_device`.
        let open = unsafe { (*dev.open.get()).take() };
        if let Some(open) = open {
            T::close_device(dev, open);
        }
    }

    /// # Safety
    ///
    /// `vdev` must be an open device of `T` and `vma` the VMA of an `mmap()`
    /// of its file, in its `mmap` callback.
    unsafe extern "C" fn mmap(
        vdev: *mut bindings::vfio_device,
        vma: *mut bindings::vm_area_struct,
    ) -> c_int {
        // SAFETY: As in `open_device`.
        let dev = unsafe { Device::<T>::from_raw(vdev) };
        // SAFETY: VFIO only calls this on an open device (through a file of
        // it, which stays open during the call).
        let Some(open) = (unsafe { dev.open_data() }) else {
            return EINVAL.to_errno();
        };
        // SAFETY: By the safety requirements `vma` is the VMA of this `mmap`
        // callback, and the reference does not outlive it.
        let vma = unsafe { VmaNew::from_raw(vma) };
        match T::mmap(dev, open, vma) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// `vdev` must be a registered device of `T` (VFIO calls this while it
    /// unregisters the device, which still holds its data).
    unsafe extern "C" fn request(vdev: *mut bindings::vfio_device, count: c_uint) {
        // SAFETY: A device of `T` being unregistered has initialised data,
        // and the registration being dropped holds a reference on it.
        let dev = unsafe { Device::<T>::from_raw(vdev) };
        T::request(dev, count);
    }

    /// The part of `read` and `write` that does not depend on the direction:
    /// finds the open device, decodes the position, calls `io` with the
    /// offset and advances the position by what it transferred.
    ///
    /// # Safety
    ///
    /// `vdev` must be an open device of `T` and `ppos` a valid position.
    unsafe fn rw(
        vdev: *mut bindings::vfio_device,
        count: usize,
        ppos: *mut bindings::loff_t,
        io: impl FnOnce(&Device<T>, &T::OpenData, u64) -> Result<usize>,
    ) -> isize {
        // SAFETY: As in `open_device`.
        let dev = unsafe { Device::<T>::from_raw(vdev) };
        // SAFETY: VFIO only calls `read` and `write` on an open device.
        let Some(open) = (unsafe { dev.open_data() }) else {
            return EINVAL.to_errno() as isize;
        };
        // SAFETY: `ppos` is valid for the duration of the call.
        let pos = unsafe { &mut *ppos };
        let Ok(offset) = u64::try_from(*pos) else {
            return EINVAL.to_errno() as isize;
        };
        io_result(io(dev, open, offset), count, pos)
    }

    /// # Safety
    ///
    /// `vdev` must be an open device of `T`; `buf` must be a user pointer
    /// valid for `count` bytes (checked on access) and `ppos` a valid
    /// position.
    unsafe extern "C" fn read(
        vdev: *mut bindings::vfio_device,
        buf: *mut c_char,
        count: usize,
        ppos: *mut bindings::loff_t,
    ) -> isize {
        let writer = UserSlice::new(buf as UserPtr, count).writer();
        // SAFETY: Forwarded from the caller.
        unsafe {
            Self::rw(vdev, count, ppos, |dev, open, off| {
                T::read(dev, open, writer, off)
            })
        }
    }

    /// # Safety
    ///
    /// As for `read`.
    unsafe extern "C" fn write(
        vdev: *mut bindings::vfio_device,
        buf: *const c_char,
        count: usize,
        ppos: *mut bindings::loff_t,
    ) -> isize {
        let reader = UserSlice::new(buf as UserPtr, count).reader();
        // SAFETY: Forwarded from the caller.
        unsafe {
            Self::rw(vdev, count, ppos, |dev, open, off| {
                T::write(dev, open, reader, off)
            })
        }
    }

    /// # Safety
    ///
    /// `vdev` must be an open device of `T`.
    unsafe extern "C" fn ioctl(
        vdev: *mut bindings::vfio_device,
        cmd: c_uint,
        arg: c_ulong,
    ) -> c_long {
        // SAFETY: As in `open_device`.
        let dev = unsafe { Device::<T>::from_raw(vdev) };
        // SAFETY: VFIO only calls this on an open device.
        let Some(open) = (unsafe { dev.open_data() }) else {
            return EINVAL.to_errno() as c_long;
        };
        match T::ioctl(dev, open, cmd, arg as UserPtr) {
            Ok(ret) => {
                // A reset of the device ends any migration (uAPI: it is the
                // way out of ERROR and of RESUMING).
                if cmd == bindings::VFIO_DEVICE_RESET {
                    dev.mig.lock().reset();
                }
                ret as c_long
            }
            Err(e) => e.to_errno() as c_long,
        }
    }
}

/// Converts the result of a read or write callback and advances the position.
#[inline]
fn io_result(res: Result<usize>, count: usize, pos: &mut bindings::loff_t) -> isize {
    let done = match res {
        // A driver cannot transfer more than it was given.
        Ok(done) if done > count => return EIO.to_errno() as isize,
        Ok(done) => done,
        Err(e) => return e.to_errno() as isize,
    };
    // `done <= count`, and VFIO limits `count` to what `ssize_t` and
    // `loff_t` can hold.
    *pos = pos.saturating_add(done as bindings::loff_t);
    done as isize
}
