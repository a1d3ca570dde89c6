// SPDX-License-Identifier: GPL-2.0

//! Rust mediated device sample: an emulated PCI serial card.
//!
//! The Rust counterpart of `samples/vfio-mdev/mtty.c`.  The parent device
//! `rust_mtty` offers two mdev types, `rust_mtty-1` (one 16550A port) and
//! `rust_mtty-2` (two ports), whose instances share a pool of ports (24, as
//! `mtty`'s, unless the module parameter `pool_ports` says otherwise).  Each
//! instance is a VFIO PCI device (4348:3253) with config space, one 8-byte
//! I/O BAR per port, and INTx (auto-masked) or MSI through eventfds.
//!
//! The module has three parts:
//!
//! - the crate [`rust_mdev`] (`../../rust/`): generic, safe wrappers of
//!   VFIO, mdev, eventfd and the VM reference, a library crate of its own
//!   that this crate is compiled against (`--extern rust_mdev`, see the
//!   top-level `Kbuild`) and whose object is linked into the module;
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
    c_str,
    prelude::*,
    str::CStr,
    sync::{new_mutex, Arc, Mutex},
};

mod model;

use rust_mdev::{
    class::ClassDevice,
    eventfd::EventFd,
    mdev,
    sysfs::SysfsBuffer,
    vfio::{
        self,
        pci::{Description, IrqAction, IrqInfo, IrqRequest, RegionInfo},
        virqfd::{self, VirqFd},
    },
    vm::{Vm, VmRef},
};
// The model names regions and interrupts with the abstraction's types.
use model::{Area, Core, IrqError, PortChange, Ports, Uart};
use rust_mdev::vfio::pci as vfio_pci;
use vfio_pci::{IrqIndex, Region};

module! {
    type: RustMttyModule,
    name: "rust_mtty",
    author: "rust-mdev developers",
    description: "Emulated PCI serial card as a VFIO mediated device (Rust mtty)",
    license: "GPL v2",
}

/// Name of the driver, of the parent device and of its class, hence the
/// prefix of the type names.
const NAME: &CStr = c_str!("rust_mtty");

rust_mdev::module_param_uint!(
    POOL_PORTS,
    "pool_ports",
    24,
    "Ports shared by all instances (1-4096, default 24, as mtty's)"
);

/// The largest pool `pool_ports` may ask for.
const POOL_PORTS_MAX: u32 = 4096;

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

/// What VFIO user space sees of a card with `ports` ports: the regions the
/// model has (config space also takes runs of dwords: QEMU reads it whole),
/// INTx (level-triggered, auto-masked), MSI, and the device request.
const fn description(ports: Ports) -> Description {
    let mut desc = Description::new()
        .irq(IrqIndex::Intx, IrqInfo::level(1))
        .irq(IrqIndex::Msi, IrqInfo::edge(1))
        .irq(IrqIndex::Req, IrqInfo::edge(1));
    let mut i = 0;
    while i < Region::ALL.len() {
        let region = Region::ALL[i];
        let size = model::region_size(ports, region);
        if size != 0 {
            let info = RegionInfo::read_write(size);
            let info = match region {
                Region::Config => info.with_dword_runs(),
                _ => info,
            };
            desc = desc.region(region, info);
        }
        i += 1;
    }
    desc
}

/// The descriptions of the two types.
static ONE_PORT: Description = description(Ports::One);
static TWO_PORTS: Description = description(Ports::Two);

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

/// An mdev instance, from its creation to its removal.
#[pin_data]
struct Instance {
    ports: Ports,
    _reservation: PortReservation,
    /// Whether the open device holds a VM reference (for `vm_state`).
    #[pin]
    vm_attached: Mutex<bool>,
}

/// An open instance, from the first open of its VFIO device to the last
/// close.
#[pin_data]
struct OpenDevice {
    /// Shared with the INTx unmask irqfd, whose handler locks its core.
    state: Arc<OpenState>,
    /// The INTx unmask irqfd, under a lock of its own that serialises
    /// `VFIO_DEVICE_SET_IRQS` and is taken before `state`'s locks: dropping
    /// the irqfd waits for its handler, which locks `state.core`, so it is
    /// never dropped with `state.core` locked.
    #[pin]
    intx_unmask: Mutex<Option<VirqFd<IntxUnmask>>>,
    /// The VM the device is used by, held while the device is open.  Only
    /// held: holding it is what keeps the VM (and, through the reference
    /// ops, `kvm_amd`) alive while the device is in use.
    vm: Option<Vm>,
}

impl OpenDevice {
    /// `VFIO_DEVICE_SET_IRQS` for INTx or MSI.
    ///
    /// Unmasking INTx through an eventfd sets the unmask irqfd, as
    /// `vfio_pci_set_intx_unmask()` does: `EINVAL` while INTx is not
    /// enabled; no eventfd removes it.  An eventfd replaces the irqfd set
    /// before (`vfio-pci` answers `EBUSY` unless user space closed that
    /// one's eventfd, as QEMU does before it sets a new one).  The irqfd
    /// goes when INTx is disabled, and at the last close.
    fn set_irqs(&self, request: IrqRequest) -> Result {
        let mut unmask = self.intx_unmask.lock();
        let index = request.index;
        if let IrqAction::SetUnmaskEventFd(fd) = request.action {
            // The abstraction refused it on MSI, which is not maskable.
            if self.state.core.lock().core.irq_active() != Some(index) {
                return Err(EINVAL);
            }
            // The irqfd replaced is dropped here, with `state` unlocked.
            *unmask = match fd {
                Some(fd) => Some(VirqFd::new(self.state.clone(), fd)?),
                None => None,
            };
            return Ok(());
        }
        let intx_enabled = {
            let mut core = self.state.core.lock();
            core.set_irqs(request)?;
            core.core.irq_active() == Some(IrqIndex::Intx)
        };
        if !intx_enabled {
            *unmask = None;
        }
        Ok(())
    }
}

/// The handler of the INTx unmask irqfd: KVM signals its eventfd when the
/// guest has handled the interrupt.
struct IntxUnmask;

impl virqfd::Handler for IntxUnmask {
    type Target = OpenState;

    fn signalled(state: &OpenState) {
        let mut core = state.core.lock();
        // As `ACTION_UNMASK` without data.  INTx may have been disabled
        // since the eventfd was signalled (the irqfd is removed just after):
        // there is nothing to unmask then.
        if let Ok(irq) = core.core.irq_unmask(IrqIndex::Intx) {
            core.signal(irq);
        }
    }
}

/// A port of an open card: its UART, and whether I/O Space is enabled (a
/// copy of the core's, which is only changed with every port locked).
struct PortState {
    uart: Uart,
    io_enabled: bool,
}

impl PortState {
    fn new(core: &Core) -> Self {
        Self {
            uart: Uart::new(),
            io_enabled: core.io_enabled(),
        }
    }
}

/// The emulated card of an open instance: each port under a lock of its
/// own, so that the two ports of a card can be used at once, and the rest
/// under a third (`model::Core`).
///
/// Lock order: `port0`, `port1`, `core`.  A port access takes its port's
/// lock, and the core's only if it changed the port's interrupt sources
/// (to deliver the interrupt); config space and interrupt requests take
/// the core's; what changes I/O Space (a config space write, a load) or
/// every UART (reset) takes all three.
///
/// # Invariants
///
/// The core's pending sources of each port are those of its UART
/// whenever the port's lock is free, and each port's `io_enabled` is the
/// core's whenever the core's lock is free.
#[pin_data]
struct OpenState {
    ports: Ports,
    #[pin]
    port0: Mutex<PortState>,
    #[pin]
    port1: Mutex<PortState>,
    #[pin]
    core: Mutex<CoreState>,
}

impl OpenState {
    /// A powered-on card with `ports` ports.
    fn new(ports: Ports) -> impl PinInit<Self> {
        let core = Core::new(ports);
        // Two call sites, two lock classes: `port1` is taken with `port0`
        // held.
        pin_init!(OpenState {
            ports,
            port0 <- new_mutex!(PortState::new(&core)),
            port1 <- new_mutex!(PortState::new(&core)),
            core <- new_mutex!(CoreState {
                core,
                intx: None,
                msi: None,
            }),
        })
    }

    /// The lock of port `port`.
    fn port(&self, port: usize) -> Result<&Mutex<PortState>> {
        match port {
            0 => Ok(&self.port0),
            1 => Ok(&self.port1),
            _ => Err(EINVAL),
        }
    }

    /// Runs `f` with every lock held, in order.
    fn with_all<R>(&self, f: impl FnOnce([&mut PortState; 2], &mut CoreState) -> R) -> R {
        let mut port0 = self.port0.lock();
        let mut port1 = self.port1.lock();
        let mut core = self.core.lock();
        f([&mut port0, &mut port1], &mut core)
    }

    /// Runs `f`, which may change I/O Space, with every lock held, and
    /// copies I/O Space to the ports.
    fn with_all_io<R>(&self, f: impl FnOnce([&mut Uart; 2], &mut CoreState) -> R) -> R {
        self.with_all(|[port0, port1], core| {
            let ret = f([&mut port0.uart, &mut port1.uart], core);
            // INVARIANT: the ports follow the core's I/O Space.
            let io_enabled = core.core.io_enabled();
            port0.io_enabled = io_enabled;
            port1.io_enabled = io_enabled;
            ret
        })
    }

    /// Delivers what a change of port `port`'s interrupt sources raises;
    /// called with the port's lock held.
    fn port_changed(&self, port: usize, change: Option<PortChange>) {
        if let Some(change) = change {
            let mut core = self.core.lock();
            // INVARIANT: reported before the port's lock is released.
            let irq = core.core.port_changed(port, change);
            core.signal(irq);
        }
    }

    /// Runs `access` on port `n` under its lock and delivers what it
    /// changed.  A port access is one register access: the description has
    /// no dword runs on the BARs, so the adapter let only 1, 2 or 4 aligned
    /// bytes through, which the model checks again.
    fn port_access(
        &self,
        n: usize,
        access: impl FnOnce(&mut PortState) -> Result<Option<PortChange>, model::AccessError>,
    ) -> Result {
        let mut port = self.port(n)?.lock();
        let change = access(&mut port).map_err(|_| EINVAL)?;
        self.port_changed(n, change);
        Ok(())
    }

    /// Reads `buf.len()` bytes at `offset` of `region`, as a sequence of
    /// naturally aligned register accesses.
    fn read(&self, region: Region, offset: u64, buf: &mut [u8]) -> Result {
        match Area::of(self.ports, region).map_err(|_| EINVAL)? {
            Area::Config => {
                let core = self.core.lock();
                config_accesses(offset, buf.len(), |pos, range| {
                    let piece = buf.get_mut(range).ok_or(EINVAL)?;
                    core.core.config_read(pos, piece).map_err(|_| EINVAL)
                })
            }
            Area::Port(n) => self.port_access(n, |port| {
                model::port_read(&mut port.uart, port.io_enabled, offset, buf)
            }),
        }
    }

    /// Writes `data` at `offset` of `region`, as `read` does.
    fn write(&self, region: Region, offset: u64, data: &[u8]) -> Result {
        match Area::of(self.ports, region).map_err(|_| EINVAL)? {
            // It may change I/O Space.
            Area::Config => self.with_all_io(|_, core| {
                config_accesses(offset, data.len(), |pos, range| {
                    let piece = data.get(range).ok_or(EINVAL)?;
                    let irq = core.core.config_write(pos, piece);
                    core.signal(irq.map_err(|_| EINVAL)?);
                    Ok(())
                })
            }),
            Area::Port(n) => self.port_access(n, |port| {
                model::port_write(&mut port.uart, port.io_enabled, offset, data)
            }),
        }
    }

    /// `VFIO_DEVICE_RESET`: every UART back to power-on state.
    fn reset(&self) {
        self.with_all(|ports, core| {
            for (n, port) in ports.into_iter().enumerate() {
                port.uart = Uart::new();
                // INVARIANT: reported before the port's lock is released.
                core.core.port_reset(n);
            }
        })
    }
}

/// Runs `access` on each register access (its offset, and its range in
/// the user's buffer) of a config space access of `len` bytes at `offset`:
/// one register access at once, a run of dwords (QEMU reads the whole
/// space at once) cut by `model::accesses`.
fn config_accesses(
    offset: u64,
    len: usize,
    mut access: impl FnMut(u64, core::ops::Range<usize>) -> Result,
) -> Result {
    if model::access_len(offset, len) == len {
        return access(offset, 0..len);
    }
    for (pos, range) in model::accesses(offset, len) {
        access(pos, range)?;
    }
    Ok(())
}

/// The core of an open card (all but its UARTs) and its interrupt
/// triggers.
struct CoreState {
    core: Core,
    intx: Option<EventFd>,
    msi: Option<EventFd>,
}

impl CoreState {
    /// The trigger of `index`, one of the card's (the description has no
    /// other).
    fn trigger(&mut self, index: IrqIndex) -> Result<&mut Option<EventFd>> {
        match index {
            IrqIndex::Intx => Ok(&mut self.intx),
            IrqIndex::Msi => Ok(&mut self.msi),
            _ => Err(EINVAL),
        }
    }

    /// Signals the interrupt the model asked for, if any.
    fn signal(&mut self, irq: Option<IrqIndex>) {
        if let Some(eventfd) = irq.and_then(|index| self.trigger(index).ok()?.as_ref()) {
            eventfd.signal();
        }
    }

    /// `VFIO_DEVICE_SET_IRQS` for INTx or MSI, validated by the abstraction
    /// against the description: one interrupt each, so `start == 0` and
    /// `count == 1` (0 for `Disable`).
    fn set_irqs(&mut self, request: IrqRequest) -> Result {
        let index = request.index;
        match request.action {
            IrqAction::Disable => {
                self.core.irq_disable(index).map_err(irq_errno)?;
                *self.trigger(index)? = None;
            }
            IrqAction::SetTriggers(triggers) => match triggers.into_iter().next().ok_or(EINVAL)? {
                Some(eventfd) => {
                    let irq = self.core.irq_enable(index).map_err(irq_errno)?;
                    *self.trigger(index)? = Some(eventfd);
                    self.signal(irq);
                }
                // Removing the trigger of the active index disables it;
                // removing none is not an error (as in `vfio-pci`).
                None => match self.core.irq_active() {
                    Some(active) if active == index => {
                        self.core.irq_disable(index).map_err(irq_errno)?;
                        *self.trigger(index)? = None;
                    }
                    Some(_) => return Err(EINVAL),
                    None => {}
                },
            },
            IrqAction::Trigger => {
                let irq = self.core.irq_trigger(index).map_err(irq_errno)?;
                self.signal(irq);
            }
            IrqAction::Mask => self.core.irq_mask(index).map_err(irq_errno)?,
            IrqAction::Unmask => {
                let irq = self.core.irq_unmask(index).map_err(irq_errno)?;
                self.signal(irq);
            }
            // `OpenDevice::set_irqs` handles the unmask irqfd.
            IrqAction::SetUnmaskEventFd(_) => return Err(EINVAL),
        }
        Ok(())
    }
}

/// The errno of a refused interrupt request.
fn irq_errno(e: IrqError) -> Error {
    match e {
        IrqError::NotActive | IrqError::Busy => EINVAL,
        IrqError::Unsupported => ENOTTY,
    }
}

/// The VFIO device of an instance: an emulated PCI device.
struct VfioOps;

#[vtable]
impl vfio_pci::Operations for VfioOps {
    const NAME: &'static CStr = c_str!("vfio-rust-mtty");

    type Data = Instance;
    type OpenData = OpenDevice;

    fn description(dev: &vfio_pci::Device<Self>) -> &Description {
        match dev.data().ports {
            Ports::One => &ONE_PORT,
            Ports::Two => &TWO_PORTS,
        }
    }

    fn open_device<'a>(
        dev: &'a vfio_pci::Device<Self>,
        vm: Option<VmRef<'a>>,
    ) -> impl PinInit<OpenDevice, Error> + 'a {
        let instance = dev.data();
        // A VM that is already being destroyed is as good as none for a
        // serial card: open without it.
        let vm = vm.and_then(|vm| vm.get().ok());
        try_pin_init!(OpenDevice {
            state: Arc::pin_init(OpenState::new(instance.ports), GFP_KERNEL)?,
            intx_unmask <- new_mutex!(None),
            // Last, so that the flag is only set when the open succeeds.
            vm: {
                *instance.vm_attached.lock() = vm.is_some();
                vm
            },
        }? Error)
    }

    fn close_device(dev: &vfio_pci::Device<Self>, open: Pin<KBox<OpenDevice>>) {
        *dev.data().vm_attached.lock() = false;
        // The VM reference goes with the open data.
        drop(open);
    }

    fn read(
        _dev: &vfio_pci::Device<Self>,
        open: &OpenDevice,
        region: Region,
        offset: u64,
        buf: &mut [u8],
    ) -> Result {
        open.state.read(region, offset, buf)
    }

    fn write(
        _dev: &vfio_pci::Device<Self>,
        open: &OpenDevice,
        region: Region,
        offset: u64,
        data: &[u8],
    ) -> Result {
        open.state.write(region, offset, data)
    }

    fn set_irqs(_dev: &vfio_pci::Device<Self>, open: &OpenDevice, request: IrqRequest) -> Result {
        open.set_irqs(request)
    }

    fn reset(_dev: &vfio_pci::Device<Self>, open: &OpenDevice) -> Result {
        open.state.reset();
        Ok(())
    }

    const DMA_FREE: bool = true;
    const MIGRATION_STATE_MAX: usize = model::STATE_MAX;

    fn migration_save(
        _dev: &vfio_pci::Device<Self>,
        open: &OpenDevice,
        out: &mut KVec<u8>,
    ) -> Result {
        let mut state = [0u8; model::STATE_MAX];
        let len = open
            .state
            .with_all(|[port0, port1], core| core.core.save([&port0.uart, &port1.uart], &mut state))
            .ok_or(EINVAL)?;
        out.extend_from_slice(state.get(..len).ok_or(EINVAL)?, GFP_KERNEL)?;
        Ok(())
    }

    fn migration_load(_dev: &vfio_pci::Device<Self>, open: &OpenDevice, state: &[u8]) -> Result {
        // The model checks the whole payload before it changes anything.
        open.state
            .with_all_io(|uarts, core| core.core.load(uarts, state))
            .map_err(|_| EINVAL)
    }

    fn migration_resumed(_dev: &vfio_pci::Device<Self>, open: &OpenDevice) {
        // An INTx that fired on the source and is still asserted is
        // announced on the destination's own trigger.
        let mut core = open.state.core.lock();
        let irq = core.core.resumed();
        core.signal(irq);
    }
}

/// The VFIO operations of the instances, as a VFIO device sees them.
type Vfio = vfio_pci::Pci<VfioOps>;

/// The mdev driver of the instances.
struct MdevDriver;

#[vtable]
impl mdev::Driver for MdevDriver {
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
    type Vfio = Vfio;

    fn probe<'a>(
        _mdev: &'a mdev::Device,
        pool: &'a PortPool,
        ty: &'static mdev::Type<Ports>,
    ) -> impl PinInit<vfio_pci::DeviceData<Instance>, Error> + 'a {
        vfio_pci::DeviceData::new(try_pin_init!(Instance {
            ports: ty.data,
            _reservation: PortReservation::new(pool, port_count(ty.data))?,
            vm_attached <- new_mutex!(false),
        }? Error))
    }

    fn get_available(pool: &PortPool, ty: &'static mdev::Type<Ports>) -> u32 {
        *pool.lock() / port_count(ty.data)
    }

    fn show_description(ty: &'static mdev::Type<Ports>, buf: &mut SysfsBuffer) -> Result {
        buf.emit(format_args!(
            "{} 16550A serial port(s), taken from a pool of {} ports shared by all types\n",
            port_count(ty.data),
            POOL_PORTS.get()
        ))
    }
}

/// `rust_mtty/vm_state`: whether the instance holds a VM, and how many files
/// have it open.
fn show_vm_state(
    _mdev: &mdev::Device,
    registration: &vfio::Registration<Vfio>,
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
    registration: &vfio::Registration<Vfio>,
    buf: &mut SysfsBuffer,
) -> Result {
    let state = registration.migration_state().ok_or(EINVAL)?;
    buf.emit(format_args!("{}\n", state.name()))
}

/// The module: the parent device and its types, and the mdev driver.
struct RustMttyModule {
    _parent: Pin<KBox<mdev::Parent<MdevDriver, ClassDevice>>>,
}

impl kernel::Module for RustMttyModule {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let driver = Arc::pin_init(
            mdev::DriverRegistration::<MdevDriver>::new(module),
            GFP_KERNEL,
        )?;
        let pool_ports = POOL_PORTS.get();
        if !(1..=POOL_PORTS_MAX).contains(&pool_ports) {
            pr_err!("pool_ports={pool_ports}: must be 1 to {POOL_PORTS_MAX}\n");
            return Err(EINVAL);
        }
        let device = ClassDevice::new(NAME, NAME)?;
        let pool = Arc::pin_init(new_mutex!(pool_ports), GFP_KERNEL)?;
        let parent = KBox::pin_init(mdev::Parent::new(device, driver, &TYPES, pool), GFP_KERNEL)?;
        Ok(Self { _parent: parent })
    }
}
