// SPDX-License-Identifier: GPL-2.0

//! The operations of an emulated VFIO PCI device, and the adapter that
//! implements the VFIO device on top of them.

use super::{
    super::{
        self as vfio,
        ioctl::{self, IoctlArg, IrqData, IrqSet},
    },
    mmap::{mmap_target, region_info_caps},
    Description, IrqIndex, Region, RegionPos, NUM_IRQS, NUM_REGIONS,
};
use crate::{eventfd::EventFd, vm::VmRef, vma::VmaNew};
use core::{marker::PhantomData, ops::Deref};
use kernel::{
    bindings,
    error::VTABLE_DEFAULT_ERROR,
    new_mutex,
    prelude::*,
    str::CStr,
    sync::Mutex,
    uaccess::{UserPtr, UserSliceReader, UserSliceWriter},
};

/// A VFIO device whose driver implements [`Operations`].
pub type Device<T> = vfio::Device<Pci<T>>;

/// The operations of an emulated PCI device.
///
/// The driver implements this trait and uses [`Pci<Self>`](Pci) wherever a
/// VFIO device's [`vfio::Operations`] are wanted (as `mdev::Driver::Vfio`).
/// The lifetimes of [`Operations::Data`] and [`Operations::OpenData`] are
/// those of [`vfio::Operations`].
#[vtable]
pub trait Operations: Sized + 'static {
    /// The name of the operations, for diagnostics.
    const NAME: &'static CStr;

    /// State of one device, from registration until the device is released.
    ///
    /// The device's data is a [`DeviceData`] around it, which
    /// dereferences to it.
    type Data: Send + Sync;

    /// State of an open device, from the first open to the last close.
    type OpenData: Send + Sync;

    /// Returns what the device has.  It must not change while the device
    /// is registered: it is typically a constant chosen by the device's
    /// type.
    fn description(dev: &Device<Self>) -> &Description;

    /// Called on the first open of the device; see
    /// [`vfio::Operations::open_device`].
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

    /// Reads `buf.len()` bytes at `offset` of `region`.
    ///
    /// The access was checked against the description: the region exists,
    /// may be read, and the access is one register access of 1, 2 or 4
    /// naturally aligned bytes, or a run of aligned dwords in a region
    /// that takes them ([`super::RegionInfo::with_dword_runs`]), within
    /// the region.  A run may be split into pieces.
    fn read(
        dev: &Device<Self>,
        open: &Self::OpenData,
        region: Region,
        offset: u64,
        buf: &mut [u8],
    ) -> Result;

    /// Writes `data` at `offset` of `region`, checked as for
    /// [`Operations::read`].
    fn write(
        dev: &Device<Self>,
        open: &Self::OpenData,
        region: Region,
        offset: u64,
        data: &[u8],
    ) -> Result;

    /// Carries out a `VFIO_DEVICE_SET_IRQS` request, validated against the
    /// description as [`IrqRequest`] says.
    fn set_irqs(dev: &Device<Self>, open: &Self::OpenData, request: IrqRequest) -> Result;

    /// Maps `vma.len()` bytes at `offset` of `region` into `vma`, from its
    /// start (see [`VmaNew`], and
    /// [`SharedPages`](crate::shared_pages::SharedPages) for memory).
    ///
    /// The mapping was checked against the description: it is shared, the
    /// region is mappable ([`super::RegionInfo::with_mmap`]) and the
    /// mapping lies inside one of its areas, page-aligned, and asks for no
    /// access the region does not allow; anything else was refused with
    /// `EINVAL`.  Without this method no region is reported mappable and
    /// every `mmap()` fails with `EINVAL`.
    fn mmap(
        _dev: &Device<Self>,
        _open: &Self::OpenData,
        _region: Region,
        _offset: u64,
        _vma: &VmaNew,
    ) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `VFIO_DEVICE_RESET`.  A driver that implements it has
    /// `VFIO_DEVICE_FLAGS_RESET` in `VFIO_DEVICE_GET_INFO`; without it the
    /// ioctl is `ENOTTY`.
    fn reset(_dev: &Device<Self>, _open: &Self::OpenData) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// See [`vfio::Operations::DMA_FREE`].
    const DMA_FREE: bool = false;

    /// See [`vfio::Operations::MIGRATION_STATE_MAX`].
    const MIGRATION_STATE_MAX: usize = 64 * 1024;

    /// See [`vfio::Operations::migration_save`].
    fn migration_save(_dev: &Device<Self>, _open: &Self::OpenData, _out: &mut KVec<u8>) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// See [`vfio::Operations::migration_load`].
    fn migration_load(_dev: &Device<Self>, _open: &Self::OpenData, _state: &[u8]) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// See [`vfio::Operations::migration_resumed`].
    fn migration_resumed(_dev: &Device<Self>, _open: &Self::OpenData) {}
}

/// What a `VFIO_DEVICE_SET_IRQS` request asks of the interrupts
/// `start..start + count` of an index.
pub enum IrqAction {
    /// Remove every trigger of the index (`ACTION_TRIGGER | DATA_NONE` with
    /// `count == 0`): the index is no longer used.
    Disable,
    /// Set the triggers of the interrupts, one element per interrupt:
    /// `Some` sets an eventfd, `None` removes the trigger (`ACTION_TRIGGER
    /// | DATA_EVENTFD`).  Every eventfd was taken before the driver is
    /// called, so a bad descriptor changes nothing.
    SetTriggers(KVec<Option<EventFd>>),
    /// Fire the interrupts, as the device would (`ACTION_TRIGGER` with
    /// `DATA_NONE`, or `DATA_BOOL` for the interrupts set to true).
    Trigger,
    /// Mask the interrupts (`ACTION_MASK`), on a maskable index.
    Mask,
    /// Unmask the interrupts (`ACTION_UNMASK`), on a maskable index.
    Unmask,
    /// Set (`Some`, a file descriptor of the calling process for
    /// [`VirqFd::new`](crate::vfio::virqfd::VirqFd::new)) or remove
    /// (`None`, a negative number) an eventfd that unmasks the interrupt
    /// when it is signalled (`ACTION_UNMASK | DATA_EVENTFD`, irqfd
    /// unmask), on a maskable index with one interrupt.
    SetUnmaskEventFd(Option<i32>),
}

/// A validated `VFIO_DEVICE_SET_IRQS` request.
///
/// `vfio-pci`'s rules, which the adapter applies before the driver is
/// called:
///
/// - the index exists and `start..start + count` lies within its
///   interrupts (`EINVAL`);
/// - masking and unmasking need a maskable index (`ENOTTY`); masking
///   through an eventfd is not supported (`ENOTTY`), unmasking through one
///   needs exactly one interrupt (`EINVAL`);
/// - `count == 0` only with `ACTION_TRIGGER | DATA_NONE`, which disables
///   the index (`EINVAL` otherwise);
/// - a negative descriptor removes a trigger; on the error index, which
///   has a single trigger, only -1 does (`EINVAL` for other negative
///   numbers);
/// - with `DATA_BOOL`, the driver is called once for each interrupt set to
///   true, with `count == 1`, and not at all if none is;
/// - the device request index ([`IrqIndex::Req`]), if the description has
///   it, never reaches the driver: the adapter keeps its trigger
///   ([`DeviceData`]) and signals it when VFIO asks for the device.
pub struct IrqRequest {
    /// The interrupt index.
    pub index: IrqIndex,
    /// The first interrupt.
    pub start: u32,
    /// The number of interrupts (0 only for [`IrqAction::Disable`]).
    pub count: u32,
    /// What to do with them.
    pub action: IrqAction,
}

/// The data of an emulated PCI device: the driver's own, and what the
/// adapter keeps for every device.
///
/// It dereferences to the driver's data.  The adapter keeps the trigger of
/// the device request interrupt (`VFIO_PCI_REQ_IRQ_INDEX`) here, not in
/// the open data, because VFIO asks for the device from any context, open
/// or not (see [`vfio::Operations::request`]).
#[pin_data]
pub struct DeviceData<D> {
    #[pin]
    data: D,
    /// The eventfd user space set for device requests; cleared on the last
    /// close, like the other triggers.
    #[pin]
    request: Mutex<Option<EventFd>>,
}

impl<D> DeviceData<D> {
    /// Initialises the data of a device with the driver's `data`.
    pub fn new(data: impl PinInit<D, Error>) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            data <- data,
            request <- new_mutex!(None),
        }? Error)
    }
}

impl<D> Deref for DeviceData<D> {
    type Target = D;

    fn deref(&self) -> &D {
        &self.data
    }
}

/// `VFIO_DEVICE_SET_IRQS` for the device request index, as `vfio-pci` does
/// it for its request and error triggers
/// (`vfio_pci_set_ctx_trigger_single()`): `ACTION_TRIGGER` only (`ENOTTY`
/// otherwise); an eventfd sets the trigger and -1 removes it (other negative
/// numbers are `EINVAL`); `DATA_NONE` with count 1 or `DATA_BOOL` true
/// signal it (a test of the channel), `DATA_NONE` with count 0 removes it;
/// `DATA_NONE` without a trigger is `EINVAL`.
fn set_request(slot: &Mutex<Option<EventFd>>, set: IrqSet) -> Result {
    if set.action != ioctl::IrqAction::Trigger {
        return Err(ENOTTY);
    }
    match set.data {
        IrqData::EventFd(fds) => match fds.first() {
            Some(&fd) if fd >= 0 => {
                // Taken before the lock: a bad descriptor changes nothing.
                let eventfd = EventFd::from_fd(fd)?;
                *slot.lock() = Some(eventfd);
            }
            Some(-1) => *slot.lock() = None,
            _ => return Err(EINVAL),
        },
        IrqData::None => {
            let mut trigger = slot.lock();
            let eventfd = trigger.as_ref().ok_or(EINVAL)?;
            if set.count == 0 {
                *trigger = None;
            } else {
                eventfd.signal();
            }
        }
        IrqData::Bool(values) => {
            if values.first().copied().ok_or(EINVAL)? {
                if let Some(eventfd) = slot.lock().as_ref() {
                    eventfd.signal();
                }
            }
        }
    }
    Ok(())
}

/// The VFIO device operations of an emulated PCI device `T`.
pub struct Pci<T: Operations>(PhantomData<T>);

/// The largest piece of an access the adapter hands the driver at once; a
/// longer run of dwords is split.
const CHUNK: usize = 256;

/// The largest access that gets a small scratch buffer.
const SMALL: usize = 8;

impl<T: Operations> Pci<T> {
    /// Decodes and checks an access of `len` bytes at file position `pos`.
    fn access(dev: &Device<T>, pos: u64, len: usize, write: bool) -> Result<(Region, u64)> {
        let RegionPos { region, offset } = RegionPos::decode(pos).ok_or(EINVAL)?;
        T::description(dev)
            .region_info(region)
            .check(offset, len, write)
            .map_err(|()| EINVAL)?;
        Ok((region, offset))
    }

    /// Checks an access of `len` bytes at file position `pos` (a write if
    /// `write`) and runs `io` on its pieces, at most [`CHUNK`] bytes each,
    /// in a scratch buffer.  An empty access does nothing.
    fn pieces(
        dev: &Device<T>,
        pos: u64,
        len: usize,
        write: bool,
        mut io: impl FnMut(Region, u64, &mut [u8]) -> Result,
    ) -> Result<usize> {
        if len == 0 {
            return Ok(0);
        }
        let (region, offset) = Self::access(dev, pos, len, write)?;
        // A register access (1, 2 or 4 bytes) gets a scratch buffer of its
        // own size to zero, not the whole chunk.
        if len <= SMALL {
            let mut small = [0u8; SMALL];
            io(region, offset, small.get_mut(..len).ok_or(EINVAL)?)?;
            return Ok(len);
        }
        let mut scratch = [0u8; CHUNK];
        let mut done = 0;
        while done < len {
            let piece = scratch.get_mut(..CHUNK.min(len - done)).ok_or(EINVAL)?;
            io(region, offset + done as u64, piece)?;
            done += piece.len();
        }
        Ok(len)
    }

    fn get_info(arg: UserPtr) -> Result {
        let mut info = IoctlArg::<bindings::vfio_device_info>::read(arg)?;
        info.flags = bindings::VFIO_DEVICE_FLAGS_PCI;
        if T::HAS_RESET {
            info.flags |= bindings::VFIO_DEVICE_FLAGS_RESET;
        }
        info.num_regions = NUM_REGIONS;
        info.num_irqs = NUM_IRQS;
        info.write_back()
    }

    fn get_region_info(arg: UserPtr, desc: &Description) -> Result {
        let mut info = IoctlArg::<bindings::vfio_region_info>::read(arg)?;
        let region = Region::from_index(info.index).ok_or(EINVAL)?;
        let region_info = desc.region_info(region);
        info.offset = region.file_offset();
        info.size = region_info.size;
        info.flags = region_info.flags;
        region_info_caps(&mut info, arg, &region_info, T::HAS_MMAP)?;
        info.write_back()
    }

    fn get_irq_info(arg: UserPtr, desc: &Description) -> Result {
        let mut info = IoctlArg::<bindings::vfio_irq_info>::read(arg)?;
        let index = IrqIndex::from_index(info.index).ok_or(EINVAL)?;
        let irq_info = desc.irq_info(index);
        info.flags = irq_info.flags;
        info.count = irq_info.count;
        info.write_back()
    }

    fn set_irqs(dev: &Device<T>, open: &T::OpenData, arg: UserPtr) -> Result {
        let desc = T::description(dev);
        let set = IrqSet::read(arg, NUM_IRQS, |index| {
            IrqIndex::from_index(index).map_or(0, |index| desc.irq_info(index).count)
        })?;
        // `IrqSet::read` refused an index the device does not have.
        let index = IrqIndex::from_index(set.index).ok_or(EINVAL)?;
        if index == IrqIndex::Req {
            return set_request(&dev.data().request, set);
        }
        let maskable = desc.irq_info(index).maskable();
        let (start, count) = (set.start, set.count);
        let call = |start, count, action| {
            T::set_irqs(
                dev,
                open,
                IrqRequest {
                    index,
                    start,
                    count,
                    action,
                },
            )
        };
        let act = |action: fn() -> IrqAction| -> Result {
            match &set.data {
                IrqData::None => call(start, count, action()),
                IrqData::Bool(values) => {
                    for (n, _) in (start..).zip(values.iter()).filter(|&(_, &on)| on) {
                        call(n, 1, action())?;
                    }
                    Ok(())
                }
                IrqData::EventFd(_) => Err(EINVAL),
            }
        };
        if set.action != ioctl::IrqAction::Trigger && !maskable {
            return Err(ENOTTY);
        }
        if count == 0 {
            return match (set.action, &set.data) {
                (ioctl::IrqAction::Trigger, IrqData::None) => call(start, 0, IrqAction::Disable),
                _ => Err(EINVAL),
            };
        }
        match (set.action, &set.data) {
            (ioctl::IrqAction::Trigger, IrqData::EventFd(fds)) => {
                let single = matches!(index, IrqIndex::Err | IrqIndex::Req);
                let mut triggers = KVec::with_capacity(fds.len(), GFP_KERNEL)?;
                for &fd in fds.iter() {
                    let trigger = match fd {
                        0.. => Some(EventFd::from_fd(fd)?),
                        -1 => None,
                        _ if single => return Err(EINVAL),
                        _ => None,
                    };
                    triggers.push(trigger, GFP_KERNEL)?;
                }
                call(start, count, IrqAction::SetTriggers(triggers))
            }
            (ioctl::IrqAction::Mask, IrqData::EventFd(_)) => Err(ENOTTY),
            (ioctl::IrqAction::Unmask, IrqData::EventFd(fds)) => {
                let fd = match fds.as_slice() {
                    [fd] => *fd,
                    _ => return Err(EINVAL),
                };
                call(
                    start,
                    count,
                    IrqAction::SetUnmaskEventFd((fd >= 0).then_some(fd)),
                )
            }
            (ioctl::IrqAction::Trigger, _) => act(|| IrqAction::Trigger),
            (ioctl::IrqAction::Mask, _) => act(|| IrqAction::Mask),
            (ioctl::IrqAction::Unmask, _) => act(|| IrqAction::Unmask),
        }
    }
}

#[vtable]
impl<T: Operations> vfio::Operations for Pci<T> {
    const NAME: &'static CStr = T::NAME;

    type Data = DeviceData<T::Data>;
    type OpenData = T::OpenData;

    fn open_device<'a>(
        dev: &'a Device<T>,
        vm: Option<VmRef<'a>>,
    ) -> impl PinInit<T::OpenData, Error> + 'a {
        T::open_device(dev, vm)
    }

    fn close_device(dev: &Device<T>, open: Pin<KBox<T::OpenData>>) {
        // Like the interrupt triggers, the request trigger ends with the
        // open.
        *dev.data().request.lock() = None;
        T::close_device(dev, open)
    }

    fn read(
        dev: &Device<T>,
        open: &T::OpenData,
        mut buf: UserSliceWriter,
        pos: u64,
    ) -> Result<usize> {
        Self::pieces(dev, pos, buf.len(), false, |region, offset, piece| {
            T::read(dev, open, region, offset, piece)?;
            // Copied out after the driver returned: this may fault.
            buf.write_slice(piece)
        })
    }

    fn write(
        dev: &Device<T>,
        open: &T::OpenData,
        mut buf: UserSliceReader,
        pos: u64,
    ) -> Result<usize> {
        Self::pieces(dev, pos, buf.len(), true, |region, offset, piece| {
            // Copied in before the driver is called: this may fault.
            buf.read_slice(piece)?;
            T::write(dev, open, region, offset, piece)
        })
    }

    fn mmap(dev: &Device<T>, open: &T::OpenData, vma: &VmaNew) -> Result {
        if !T::HAS_MMAP {
            return Err(EINVAL);
        }
        let (region, offset) = mmap_target(T::description(dev), vma)?;
        // The driver fills the VMA it was given, no more.
        vma.set_dontexpand();
        T::mmap(dev, open, region, offset, vma)
    }

    fn ioctl(dev: &Device<T>, open: &T::OpenData, cmd: u32, arg: UserPtr) -> Result<isize> {
        let desc = T::description(dev);
        match cmd {
            bindings::VFIO_DEVICE_GET_INFO => Self::get_info(arg)?,
            bindings::VFIO_DEVICE_GET_REGION_INFO => Self::get_region_info(arg, desc)?,
            bindings::VFIO_DEVICE_GET_IRQ_INFO => Self::get_irq_info(arg, desc)?,
            bindings::VFIO_DEVICE_SET_IRQS => Self::set_irqs(dev, open, arg)?,
            bindings::VFIO_DEVICE_RESET if T::HAS_RESET => T::reset(dev, open)?,
            _ => return Err(ENOTTY),
        }
        Ok(0)
    }

    fn request(dev: &Device<T>, count: u32) {
        // What `vfio_pci_core_request()` does, with its messages.
        if let Some(eventfd) = dev.data().request.lock().as_ref() {
            if count % 10 == 0 {
                pr_notice!(
                    "{}: relaying device request to user (#{})\n",
                    dev.name(),
                    count
                );
            }
            eventfd.signal();
        } else if count == 0 {
            pr_warn!(
                "{}: no device request channel registered, blocked until released by user\n",
                dev.name()
            );
        }
    }

    const DMA_FREE: bool = T::DMA_FREE;
    const MIGRATION_STATE_MAX: usize = T::MIGRATION_STATE_MAX;
    const HAS_MIGRATION_SAVE: bool = T::HAS_MIGRATION_SAVE;
    const HAS_MIGRATION_LOAD: bool = T::HAS_MIGRATION_LOAD;

    fn migration_save(dev: &Device<T>, open: &T::OpenData, out: &mut KVec<u8>) -> Result {
        T::migration_save(dev, open, out)
    }

    fn migration_load(dev: &Device<T>, open: &T::OpenData, state: &[u8]) -> Result {
        T::migration_load(dev, open, state)
    }

    fn migration_resumed(dev: &Device<T>, open: &T::OpenData) {
        T::migration_resumed(dev, open)
    }
}
