// SPDX-License-Identifier: GPL-2.0

//! Rust mediated device sample: an emulated PCI serial card.
//!
//! The Rust counterpart of `samples/vfio-mdev/mtty.c`.  The parent device
//! `rust_mtty` offers two mdev types, `rust_mtty-1` (one 16550A port) and
//! `rust_mtty-2` (two ports), whose instances share a pool of 24 ports.  Each
//! instance is a VFIO PCI device (4348:3253) with config space, one 8-byte
//! I/O BAR per port, and INTx (auto-masked) or MSI through eventfds.
//!
//! The crate has three parts:
//!
//! - `abstractions` (`../../rust/`): generic, safe wrappers of VFIO, mdev,
//!   eventfd and the VM reference; compiled into this crate because an
//!   out-of-tree Rust module is a single crate;
//! - `model` (`model/`): the device itself (PCI config space, UARTs,
//!   interrupt state) as plain Rust without kernel calls, also tested on the
//!   host;
//! - this file: the glue between the two.
//!
//! # Behaviour
//!
//! - The card is created afresh on the first open of an instance and
//!   dropped on its last close, with its eventfds and VM reference: like a
//!   `vfio-pci` device, which is reset when it is opened.
//! - Reads and writes: one register access of 1, 2 or 4 naturally aligned
//!   bytes, or, in config space only, a run of aligned dwords (QEMU reads
//!   the whole config space in one go), within a region of non-zero size;
//!   anything else is `EINVAL` and has no effect.  `mtty` instead splits any
//!   access into pieces, unaligned ones included.
//! - INTx is auto-masked when it fires.  User space unmasks it with
//!   `VFIO_IRQ_SET_ACTION_UNMASK`, or has it unmasked when an eventfd it
//!   gives with that action is signalled (an irqfd, as in `vfio-pci`): KVM's
//!   resampling irqfd signals it when the guest has handled the interrupt,
//!   so that INTx is unmasked without a trip through QEMU.
//! - Per-instance sysfs file `rust_mtty/vm_state`: `vm: none|attached` (the
//!   driver holds a reference to the VM that user space attached to the
//!   device) and `open_count: N` (VFIO's count of open device files).
//! - The device request interrupt (`VFIO_PCI_REQ_IRQ_INDEX`), as in
//!   `vfio-pci`: when an instance is removed while user space holds it, the
//!   driver signals the eventfd user space set there, at once and every 10
//!   seconds until the device is closed (QEMU then unplugs the device).
//! - VFIO migration v2 (`STOP_COPY`, `P2P`, `PRE_COPY`): the abstractions
//!   run the protocol, the model saves and loads the card
//!   (`Documentation/migration.rst`).  Per-instance sysfs file
//!   `rust_mtty/migration_state` shows the state (`running`, `stop_copy`...).

use kernel::{
    bindings, c_str,
    prelude::*,
    str::CStr,
    sync::{new_mutex, Arc, Mutex},
    uaccess::{UserPtr, UserSliceReader, UserSliceWriter},
};

#[path = "../../rust/mod.rs"]
pub mod abstractions;
mod model;

use abstractions::{
    class::ClassDevice,
    eventfd::EventFd,
    mdev,
    sysfs::SysfsBuffer,
    vfio::{
        self,
        ioctl::{IoctlArg, IrqAction, IrqData, IrqSet},
        pci::{self as vfio_pci, Irq, Region, RegionPos},
        virqfd::{self, VirqFd},
    },
    vm::{Vm, VmRef},
};
use model::{IrqError, IrqIndex, Mtty, Ports};

module! {
    type: RustMtty,
    name: "rust_mtty",
    author: "rust-mdev developers",
    description: "Emulated PCI serial card as a VFIO mediated device (Rust mtty)",
    license: "GPL v2",
}

/// Name of the driver, of the parent device and of its class, hence the
/// prefix of the type names.
const NAME: &CStr = c_str!("rust_mtty");

/// Ports shared by all instances.
const POOL_PORTS: u32 = 24;

/// The largest region of the card (config space), which bounds one access.
const MAX_REGION_SIZE: usize = 0x100;

/// The mdev types: the number of ports of an instance.
static TYPES: [mdev::Type<Ports>; 2] = [
    mdev::Type {
        sysfs_name: c_str!("1"),
        pretty_name: c_str!("Single port serial"),
        data: Ports::One,
    },
    mdev::Type {
        sysfs_name: c_str!("2"),
        pretty_name: c_str!("Dual port serial"),
        data: Ports::Two,
    },
];

/// The number of ports of a type, as counted in the pool.
fn port_count(ports: Ports) -> u32 {
    // One or two.
    ports.count() as u32
}

/// The pool of ports the instances of the parent are carved from.
type PortPool = Arc<Mutex<u32>>;

/// Ports taken from the pool, given back when dropped.
struct PortReservation {
    pool: PortPool,
    ports: u32,
}

impl PortReservation {
    /// Takes `ports` ports from `pool`, or fails with `ENOSPC`.
    fn new(pool: &PortPool, ports: u32) -> Result<Self> {
        let mut available = pool.lock();
        *available = available.checked_sub(ports).ok_or(ENOSPC)?;
        Ok(Self {
            pool: pool.clone(),
            ports,
        })
    }
}

impl Drop for PortReservation {
    fn drop(&mut self) {
        let mut available = self.pool.lock();
        *available = available.saturating_add(self.ports);
    }
}

/// The state of one instance, from creation to removal.
#[pin_data]
struct Instance {
    ports: Ports,
    _reservation: PortReservation,
    /// Whether the open device holds a VM reference (for `vm_state`).
    #[pin]
    vm_attached: Mutex<bool>,
    /// The device request trigger (`VFIO_PCI_REQ_IRQ_INDEX`).  Here and not
    /// in the open data because VFIO asks for the device from any context,
    /// open or not; set while the device is open, dropped on the last close.
    #[pin]
    request: Mutex<Option<EventFd>>,
}

/// `VFIO_DEVICE_SET_IRQS` for the device request index, as `vfio-pci` does
/// it for its request and error triggers: `ACTION_TRIGGER` only
/// (`ENOTTY` otherwise); an eventfd sets the trigger and -1 removes it
/// (other negative numbers are `EINVAL`); `DATA_NONE` with count 1 or
/// `DATA_BOOL` true signal it (a test of the channel), `DATA_NONE` with
/// count 0 removes it; `DATA_NONE` without a trigger is `EINVAL`.
fn set_request(slot: &Mutex<Option<EventFd>>, set: IrqSet) -> Result {
    if set.action != IrqAction::Trigger {
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

/// The state of an open instance, from first open to last close.
#[pin_data]
struct OpenInstance {
    /// Shared with the INTx unmask irqfd, whose handler locks it.
    card: Arc<Mutex<Card>>,
    /// The INTx unmask irqfd, under a lock of its own that serialises
    /// `VFIO_DEVICE_SET_IRQS` and is taken before the card's: dropping the
    /// irqfd waits for its handler, so it is never dropped with the card
    /// locked.
    #[pin]
    intx_unmask: Mutex<Option<VirqFd<IntxUnmask>>>,
    /// The VM the device is used by, held while the device is open.
    _vm: Option<Vm>,
}

impl OpenInstance {
    /// `VFIO_DEVICE_SET_IRQS` for an index the card has.
    ///
    /// `ACTION_UNMASK` with an eventfd sets the INTx unmask irqfd, as
    /// `vfio_pci_set_intx_unmask()` does: ENOTTY for MSI, EINVAL while INTx
    /// is not enabled; a negative number removes it.  An eventfd replaces
    /// the irqfd set before (`vfio-pci` answers EBUSY unless user space
    /// closed that one's eventfd, as QEMU does before it sets a new one).
    /// The irqfd goes when INTx is disabled, and at the last close.
    fn set_irqs(&self, index: IrqIndex, set: IrqSet) -> Result {
        let mut unmask = self.intx_unmask.lock();
        // Validated: a count of 1 is start 0.
        if let (IrqAction::Unmask, IrqData::EventFd(fds), 1) = (set.action, &set.data, set.count) {
            if !index.maskable() {
                return Err(ENOTTY);
            }
            if self.card.lock().model.irq_active() != Some(index) {
                return Err(EINVAL);
            }
            // The irqfd replaced is dropped here, with the card unlocked.
            *unmask = match fds.first() {
                Some(&fd) if fd >= 0 => Some(VirqFd::new(self.card.clone(), fd)?),
                _ => None,
            };
            return Ok(());
        }
        let intx_enabled = {
            let mut card = self.card.lock();
            card.set_irqs(index, set)?;
            card.model.irq_active() == Some(IrqIndex::Intx)
        };
        if !intx_enabled {
            *unmask = None;
        }
        Ok(())
    }
}

/// The handler of the INTx unmask irqfd: KVM signals the eventfd when the
/// guest has handled the interrupt.
struct IntxUnmask;

impl virqfd::Handler for IntxUnmask {
    type Target = Mutex<Card>;

    fn signalled(card: &Mutex<Card>) {
        let mut card = card.lock();
        // As `ACTION_UNMASK` without data.  INTx may have been disabled
        // since the eventfd was signalled (the irqfd is removed just after):
        // there is nothing to unmask then.
        if let Ok(irq) = card.model.irq_unmask(IrqIndex::Intx) {
            card.signal(irq);
        }
    }
}

/// The emulated card and its interrupt triggers.
struct Card {
    model: Mtty,
    intx: Option<EventFd>,
    msi: Option<EventFd>,
}

impl Card {
    fn new(ports: Ports) -> Self {
        Self {
            model: Mtty::new(ports),
            intx: None,
            msi: None,
        }
    }

    fn trigger(&mut self, index: IrqIndex) -> &mut Option<EventFd> {
        match index {
            IrqIndex::Intx => &mut self.intx,
            IrqIndex::Msi => &mut self.msi,
        }
    }

    /// Signals the interrupt the model asked for, if any.
    fn signal(&mut self, irq: Option<IrqIndex>) {
        if let Some(eventfd) = irq.and_then(|index| self.trigger(index).as_ref()) {
            eventfd.signal();
        }
    }

    /// Checks an access of `len` bytes at `offset` of `region`.
    ///
    /// An access is one register access (1, 2 or 4 bytes, naturally
    /// aligned) or, in config space only, a run of aligned dwords (QEMU
    /// reads the whole config space at once).  It must lie within the
    /// region, which must exist.
    fn check_access(&self, region: Region, offset: u64, len: usize) -> Result {
        let single = matches!(len, 1 | 2 | 4) && offset % len as u64 == 0;
        let dwords = region == Region::Config && len % 4 == 0 && offset % 4 == 0;
        if !(single || dwords) {
            return Err(EINVAL);
        }
        let size = self.model.region_size(region.index()).ok_or(EINVAL)?;
        let end = offset.checked_add(len as u64).ok_or(EINVAL)?;
        if size == 0 || end > size {
            return Err(EINVAL);
        }
        Ok(())
    }

    /// Reads `buf.len()` bytes at `offset` of `region`, as a sequence of
    /// naturally aligned register accesses.
    fn read(&mut self, region: Region, offset: u64, buf: &mut [u8]) -> Result {
        for (pos, range) in model::accesses(offset, buf.len()) {
            let piece = buf.get_mut(range).ok_or(EINVAL)?;
            let irq = self.model.read(region.index(), pos, piece);
            self.signal(irq.map_err(|_| EINVAL)?);
        }
        Ok(())
    }

    /// Writes `data` at `offset` of `region`, as `read` does.
    fn write(&mut self, region: Region, offset: u64, data: &[u8]) -> Result {
        for (pos, range) in model::accesses(offset, data.len()) {
            let piece = data.get(range).ok_or(EINVAL)?;
            let irq = self.model.write(region.index(), pos, piece);
            self.signal(irq.map_err(|_| EINVAL)?);
        }
        Ok(())
    }

    /// `VFIO_DEVICE_SET_IRQS` for an index the card has.
    fn set_irqs(&mut self, index: IrqIndex, set: IrqSet) -> Result {
        let model = &mut self.model;
        if set.count == 0 {
            // Only "no interrupts" is meaningful: remove the trigger.
            if set.action != IrqAction::Trigger || !matches!(set.data, IrqData::None) {
                return Err(EINVAL);
            }
            model.irq_disable(index).map_err(irq_errno)?;
            *self.trigger(index) = None;
            return Ok(());
        }
        // Every index of the card has one interrupt, and the request was
        // validated against that: `start == 0 && count == 1` from here on.
        match (set.action, set.data) {
            (IrqAction::Trigger, IrqData::EventFd(fds)) => match fds.first() {
                Some(&fd) if fd >= 0 => {
                    let eventfd = EventFd::from_fd(fd)?;
                    let irq = model.irq_enable(index).map_err(irq_errno)?;
                    *self.trigger(index) = Some(eventfd);
                    self.signal(irq);
                }
                // A negative descriptor removes the trigger, if there is one
                // (as in `vfio-pci`, removing none is not an error).
                Some(_) => match model.irq_active() {
                    Some(active) if active == index => {
                        model.irq_disable(index).map_err(irq_errno)?;
                        *self.trigger(index) = None;
                    }
                    Some(_) => return Err(EINVAL),
                    None => {}
                },
                None => return Err(EINVAL),
            },
            (action, data) => {
                if !applies(&data)? {
                    return Ok(());
                }
                let irq = match action {
                    IrqAction::Trigger => model.irq_trigger(index),
                    IrqAction::Mask => model.irq_mask(index).map(|()| None),
                    IrqAction::Unmask => model.irq_unmask(index),
                }
                .map_err(irq_errno)?;
                self.signal(irq);
            }
        }
        Ok(())
    }
}

/// Whether a request with `data` applies: always without data, if true with
/// a boolean.  Masking through an eventfd (irqfd) is not supported
/// (`ENOTTY`, as `vfio-pci` answers); `OpenInstance::set_irqs` handles
/// unmasking through one.
fn applies(data: &IrqData) -> Result<bool> {
    match data {
        IrqData::None => Ok(true),
        IrqData::Bool(values) => Ok(values.first().copied().unwrap_or(false)),
        IrqData::EventFd(_) => Err(ENOTTY),
    }
}

/// The errno of a refused interrupt request.
fn irq_errno(e: IrqError) -> Error {
    match e {
        IrqError::NotActive | IrqError::Busy => EINVAL,
        IrqError::Unsupported => ENOTTY,
    }
}

/// The VFIO operations of an instance.
struct MttyVfio;

/// Runs `io` on a scratch buffer for a user access of `len` bytes at the
/// VFIO file position `pos`: the common part of `read` and `write`.  An
/// empty access does nothing; a bad position, or one longer than any
/// region, is `EINVAL`.
fn with_scratch(
    pos: u64,
    len: usize,
    io: impl FnOnce(RegionPos, &mut [u8]) -> Result,
) -> Result<usize> {
    if len == 0 {
        return Ok(0);
    }
    let at = RegionPos::decode(pos)?;
    let mut bytes = [0u8; MAX_REGION_SIZE];
    io(at, bytes.get_mut(..len).ok_or(EINVAL)?)?;
    Ok(len)
}

#[vtable]
impl vfio::Operations for MttyVfio {
    const NAME: &'static CStr = c_str!("vfio-rust-mtty");

    type Data = Instance;
    type OpenData = OpenInstance;

    fn open_device<'a>(
        dev: &'a vfio::Device<Self>,
        vm: Option<VmRef<'a>>,
    ) -> impl PinInit<OpenInstance, Error> + 'a {
        let instance = dev.data();
        // A VM that is already being destroyed is as good as none for a
        // serial card: open without it.
        let vm = vm.and_then(|vm| vm.to_owned().ok());
        try_pin_init!(OpenInstance {
            card: Arc::pin_init(new_mutex!(Card::new(instance.ports)), GFP_KERNEL)?,
            intx_unmask <- new_mutex!(None),
            // Last, so that the flag is only set when the open succeeds.
            _vm: {
                *instance.vm_attached.lock() = vm.is_some();
                vm
            },
        }? Error)
    }

    fn close_device(dev: &vfio::Device<Self>, open: Pin<KBox<OpenInstance>>) {
        *dev.data().vm_attached.lock() = false;
        // Like the interrupt triggers, the request trigger ends with the
        // open.
        *dev.data().request.lock() = None;
        drop(open);
    }

    fn request(dev: &vfio::Device<Self>, count: u32) {
        // The messages of `vfio_pci_core_request()`.
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

    fn read(
        _dev: &vfio::Device<Self>,
        open: &OpenInstance,
        mut buf: UserSliceWriter,
        pos: u64,
    ) -> Result<usize> {
        with_scratch(pos, buf.len(), |RegionPos { region, offset }, data| {
            {
                let mut card = open.card.lock();
                card.check_access(region, offset, data.len())?;
                card.read(region, offset, data)?;
            }
            // Copied out after the lock is dropped: this may fault.
            buf.write_slice(data)
        })
    }

    fn write(
        _dev: &vfio::Device<Self>,
        open: &OpenInstance,
        mut buf: UserSliceReader,
        pos: u64,
    ) -> Result<usize> {
        with_scratch(pos, buf.len(), |RegionPos { region, offset }, data| {
            // Copied in before the lock is taken: this may fault.
            buf.read_slice(data)?;
            let mut card = open.card.lock();
            card.check_access(region, offset, data.len())?;
            card.write(region, offset, data)
        })
    }

    const DMA_FREE: bool = true;
    const MIGRATION_STATE_MAX: usize = model::STATE_MAX;

    fn migration_save(
        _dev: &vfio::Device<Self>,
        open: &OpenInstance,
        out: &mut KVec<u8>,
    ) -> Result {
        let mut state = [0u8; model::STATE_MAX];
        let len = open.card.lock().model.save(&mut state).ok_or(EINVAL)?;
        out.extend_from_slice(state.get(..len).ok_or(EINVAL)?, GFP_KERNEL)?;
        Ok(())
    }

    fn migration_load(_dev: &vfio::Device<Self>, open: &OpenInstance, state: &[u8]) -> Result {
        // The model checks the whole payload before it changes anything.
        open.card.lock().model.load(state).map_err(|_| EINVAL)
    }

    fn ioctl(
        dev: &vfio::Device<Self>,
        open: &OpenInstance,
        cmd: u32,
        arg: UserPtr,
    ) -> Result<isize> {
        match cmd {
            bindings::VFIO_DEVICE_GET_INFO => {
                let mut info = IoctlArg::<bindings::vfio_device_info>::read(arg)?;
                info.flags = bindings::VFIO_DEVICE_FLAGS_PCI | bindings::VFIO_DEVICE_FLAGS_RESET;
                info.num_regions = vfio_pci::NUM_REGIONS;
                info.num_irqs = vfio_pci::NUM_IRQS;
                info.write_back()?;
            }
            bindings::VFIO_DEVICE_GET_REGION_INFO => {
                let mut info = IoctlArg::<bindings::vfio_region_info>::read(arg)?;
                let region = Region::from_index(info.index).ok_or(EINVAL)?;
                let size = open
                    .card
                    .lock()
                    .model
                    .region_size(region.index())
                    .ok_or(EINVAL)?;
                info.offset = region.file_offset();
                info.size = size;
                // No capability chain.
                info.cap_offset = 0;
                info.flags = if size == 0 {
                    0
                } else {
                    bindings::VFIO_REGION_INFO_FLAG_READ | bindings::VFIO_REGION_INFO_FLAG_WRITE
                };
                info.write_back()?;
            }
            bindings::VFIO_DEVICE_GET_IRQ_INFO => {
                let mut info = IoctlArg::<bindings::vfio_irq_info>::read(arg)?;
                if info.index >= vfio_pci::NUM_IRQS {
                    return Err(EINVAL);
                }
                let (flags, count) = match IrqIndex::from_vfio(info.index) {
                    // One request interrupt, as in `vfio-pci`.
                    None if Irq::from_index(info.index) == Some(Irq::Req) => (
                        bindings::VFIO_IRQ_INFO_EVENTFD | bindings::VFIO_IRQ_INFO_NORESIZE,
                        1,
                    ),
                    Some(index) if index.maskable() => (
                        bindings::VFIO_IRQ_INFO_EVENTFD
                            | bindings::VFIO_IRQ_INFO_MASKABLE
                            | bindings::VFIO_IRQ_INFO_AUTOMASKED,
                        index.count(),
                    ),
                    Some(index) => (
                        bindings::VFIO_IRQ_INFO_EVENTFD | bindings::VFIO_IRQ_INFO_NORESIZE,
                        index.count(),
                    ),
                    None => (0, 0),
                };
                info.flags = flags;
                info.count = count;
                info.write_back()?;
            }
            bindings::VFIO_DEVICE_SET_IRQS => {
                let set = IrqSet::read(arg, vfio_pci::NUM_IRQS, |index| {
                    match Irq::from_index(index) {
                        Some(Irq::Req) => 1,
                        _ => IrqIndex::from_vfio(index).map_or(0, IrqIndex::count),
                    }
                })?;
                if Irq::from_index(set.index) == Some(Irq::Req) {
                    return set_request(&dev.data().request, set).map(|()| 0);
                }
                // The validation above refused indices without interrupts.
                let index = IrqIndex::from_vfio(set.index).ok_or(EINVAL)?;
                open.set_irqs(index, set)?;
            }
            bindings::VFIO_DEVICE_RESET => open.card.lock().model.reset(),
            _ => return Err(ENOTTY),
        }
        Ok(0)
    }
}

/// The mdev driver of the instances.
struct MttyDriver;

#[vtable]
impl mdev::Driver for MttyDriver {
    const NAME: &'static CStr = NAME;
    const DEVICE_API: &'static CStr = vfio_pci::DEVICE_API;
    const ATTRIBUTE_GROUPS: &'static [mdev::AttributeGroup<Self>] = &[mdev::AttributeGroup {
        name: Some(c_str!("rust_mtty")),
        attributes: &[
            mdev::Attribute {
                name: c_str!("vm_state"),
                show: show_vm_state,
            },
            mdev::Attribute {
                name: c_str!("migration_state"),
                show: show_migration_state,
            },
        ],
    }];

    type TypeData = Ports;
    type ParentData = PortPool;
    type Vfio = MttyVfio;

    fn probe<'a>(
        _mdev: &'a mdev::Device,
        pool: &'a PortPool,
        ty: &'static mdev::Type<Ports>,
    ) -> impl PinInit<Instance, Error> + 'a {
        try_pin_init!(Instance {
            ports: ty.data,
            _reservation: PortReservation::new(pool, port_count(ty.data))?,
            vm_attached <- new_mutex!(false),
            request <- new_mutex!(None),
        }? Error)
    }

    fn get_available(pool: &PortPool, ty: &'static mdev::Type<Ports>) -> u32 {
        *pool.lock() / port_count(ty.data)
    }

    fn show_description(ty: &'static mdev::Type<Ports>, buf: &mut SysfsBuffer) -> Result {
        buf.emit(format_args!(
            "{} 16550A serial port(s), taken from a pool of {} ports shared by all types\n",
            port_count(ty.data),
            POOL_PORTS
        ))
    }
}

/// `rust_mtty/vm_state`: whether the instance holds a VM, and how many files
/// have it open.
fn show_vm_state(
    _mdev: &mdev::Device,
    registration: &vfio::Registration<MttyVfio>,
    buf: &mut SysfsBuffer,
) -> Result {
    // Take the two locks one after the other: `vm_attached` is taken under
    // VFIO's device set lock, which `open_count()` takes.
    let attached = *registration.data().vm_attached.lock();
    let open_count = registration.open_count();
    buf.emit(format_args!(
        "vm: {}\nopen_count: {}\n",
        if attached { "attached" } else { "none" },
        open_count
    ))
}

/// `rust_mtty/migration_state`: the VFIO migration state of the instance,
/// as the uAPI names it in lower case (`running` while it is not open).
fn show_migration_state(
    _mdev: &mdev::Device,
    registration: &vfio::Registration<MttyVfio>,
    buf: &mut SysfsBuffer,
) -> Result {
    let state = registration.migration_state().ok_or(EINVAL)?;
    buf.emit(format_args!("{}\n", state.name()))
}

struct RustMtty {
    _parent: Pin<KBox<mdev::Parent<MttyDriver, ClassDevice>>>,
}

impl kernel::Module for RustMtty {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let driver = Arc::pin_init(
            mdev::DriverRegistration::<MttyDriver>::new(module),
            GFP_KERNEL,
        )?;
        let device = ClassDevice::new(NAME, NAME)?;
        let pool = Arc::pin_init(new_mutex!(POOL_PORTS), GFP_KERNEL)?;
        let parent = KBox::pin_init(mdev::Parent::new(device, driver, &TYPES, pool), GFP_KERNEL)?;
        Ok(Self { _parent: parent })
    }
}
