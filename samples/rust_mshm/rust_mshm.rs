// SPDX-License-Identifier: GPL-2.0

//! Rust mediated device sample: an emulated PCI device with shared memory.
//!
//! The second driver on the abstractions (the crate `rust_mdev`), chosen to use
//! what `rust_mtty` does not: a region user space maps.  The parent device
//! `rust_mshm` offers one mdev type, `rust_mshm-4`, of which at most
//! four exist at a time (counted by the mdev core).  Each
//! instance is a VFIO PCI device (f1d0:5348, made up) with
//!
//! - config space: a type 0 header without capabilities, INTA#;
//! - BAR0: a page of registers, trapped (`read()`/`write()`), with an ID, a
//!   scratch register, a doorbell that raises INTx, and the checksum of BAR2
//!   (the register map is in `model.rs`);
//! - BAR2: four pages of memory, read and written through `read()` and
//!   `write()`, of which the last three can also be mapped with `mmap()`:
//!   the region has `VFIO_REGION_INFO_FLAG_MMAP` and a sparse mmap
//!   capability with one area, the first page staying trapped;
//! - INTx (level-triggered, auto-masked, unmasked by user space or through an
//!   eventfd: KVM's resampling irqfd) and the device request interrupt.
//!
//! The memory is allocated zeroed on the first open and freed on the last
//! close; a mapping holds the device file open, so the last close comes
//! after the last `munmap()` (`Documentation/rust-mshm.rst`).

use kernel::{c_str, page, prelude::*, str::CStr, sync::new_mutex, sync::Arc, sync::Mutex};

mod model;

use model::{Checksum, Effect, Registers};
use rust_mdev::{
    class::ClassDevice,
    eventfd::EventFd,
    mdev,
    shared_pages::SharedPages,
    sysfs::SysfsBuffer,
    vfio::pci::{
        self as vfio_pci,
        config::{ConfigSpace, CONFIG_SPACE_SIZE},
        Description, IrqAction, IrqIndex, IrqInfo, IrqRequest, MmapArea, Region, RegionInfo,
    },
    vfio::virqfd::{self, VirqFd},
    vm::VmRef,
    vma::VmaNew,
};

/// Name of the driver, of the parent device and of its class.
const NAME: &CStr = c_str!("rust_mshm");

/// The most instances that exist at a time.
const MAX_INSTANCES: u32 = 4;

// BAR2 is mapped page by page: the model's page is the kernel's.
const _: () = assert!(model::PAGE_SIZE == page::PAGE_SIZE as u64);

/// The one type: `rust_mshm-4`, after its four pages of memory.
static TYPES: [mdev::Type<()>; 1] = [mdev::Type {
    sysfs_name: c_str!("4"),
    pretty_name: c_str!("Shared memory, 4 pages"),
    data: (),
}];

/// The part of BAR2 user space may map: all but the trapped first page.
static BAR2_MMAP: [MmapArea; 1] = [MmapArea::new(
    model::MEM_TRAPPED,
    model::MEM_SIZE - model::MEM_TRAPPED,
)];

/// What VFIO user space sees of an instance.
static DESCRIPTION: Description = Description::new()
    .region(Region::Bar0, RegionInfo::read_write(model::REGS_SIZE))
    .region(
        Region::Bar2,
        RegionInfo::read_write(model::MEM_SIZE)
            .with_dword_runs()
            .with_mmap(&BAR2_MMAP),
    )
    .region(
        Region::Config,
        RegionInfo::read_write(CONFIG_SPACE_SIZE as u64).with_dword_runs(),
    )
    .irq(IrqIndex::Intx, IrqInfo::level(1))
    .irq(IrqIndex::Req, IrqInfo::edge(1));

/// An open instance: the device, from the first open to the last close.
#[pin_data]
struct OpenDevice {
    /// Shared with the INTx unmask irqfd, whose handler locks it.
    state: Arc<Mutex<OpenState>>,
    /// The INTx unmask irqfd, under a lock of its own taken before
    /// `state`'s: dropping the irqfd waits for its handler, which locks
    /// `state`, so it is never dropped with `state` locked.
    #[pin]
    intx_unmask: Mutex<Option<VirqFd<IntxUnmask>>>,
}

impl OpenDevice {
    /// `VFIO_DEVICE_SET_IRQS` for INTx.
    ///
    /// Unmasking through an eventfd sets the unmask irqfd, as
    /// `vfio_pci_set_intx_unmask()` does: `EINVAL` while INTx has no
    /// trigger; no eventfd removes it.  An eventfd replaces the irqfd set
    /// before (`vfio-pci` answers `EBUSY` unless user space closed that
    /// one's eventfd, as QEMU does before it sets a new one).  The irqfd
    /// goes when INTx loses its trigger (`vfio-pci` keeps it while INTx
    /// stays enabled with no eventfd, which QEMU never asks for), and at
    /// the last close.
    fn set_irqs(&self, request: IrqRequest) -> Result {
        let mut unmask = self.intx_unmask.lock();
        if let IrqAction::SetUnmaskEventFd(fd) = request.action {
            if request.index != IrqIndex::Intx || self.state.lock().intx.is_none() {
                return Err(EINVAL);
            }
            // The irqfd replaced is dropped here, with `state` unlocked.
            *unmask = match fd {
                Some(fd) => Some(VirqFd::new(self.state.clone(), fd)?),
                None => None,
            };
            return Ok(());
        }
        let enabled = {
            let mut state = self.state.lock();
            state.set_irqs(request)?;
            state.intx.is_some()
        };
        if !enabled {
            *unmask = None;
        }
        Ok(())
    }
}

/// The handler of the INTx unmask irqfd: KVM signals its eventfd when the
/// guest has handled the interrupt.
struct IntxUnmask;

impl virqfd::Handler for IntxUnmask {
    type Target = Mutex<OpenState>;

    fn signalled(state: &Mutex<OpenState>) {
        // As `ACTION_UNMASK` without data.  INTx may have been disabled
        // since the eventfd was signalled (the irqfd is removed just
        // after): there is nothing to unmask then.
        state.lock().unmask();
    }
}

/// The state of an open instance.
struct OpenState {
    config: ConfigSpace,
    registers: Registers,
    memory: SharedPages,
    intx: Option<EventFd>,
    /// INTx fired and not yet unmasked by user space (auto-masked).
    masked: bool,
    /// The doorbell rang while INTx could not be raised.
    pending: bool,
}

impl OpenState {
    fn new() -> Result<Self> {
        Ok(Self {
            config: ConfigSpace::new(&model::HEADER),
            registers: Registers::new(),
            memory: SharedPages::new(model::MEM_PAGES)?,
            intx: None,
            masked: false,
            pending: false,
        })
    }

    /// Unmasks INTx, and raises it if it is pending.  Nothing while INTx
    /// has no trigger.
    fn unmask(&mut self) {
        if self.intx.is_some() {
            self.masked = false;
            self.deliver();
        }
    }

    /// Raises INTx if one is pending and it can be: level-triggered and
    /// auto-masked, so once until user space unmasks it.
    fn deliver(&mut self) {
        if !self.pending || self.masked || self.config.intx_disabled() {
            return;
        }
        if let Some(eventfd) = &self.intx {
            eventfd.signal();
            self.pending = false;
            self.masked = true;
        }
    }

    fn checksum(&self) -> Result<u32> {
        let mut sum = Checksum::new();
        let mut chunk = [0u8; 256];
        for offset in (0..self.memory.size()).step_by(chunk.len()) {
            self.memory.read(offset, &mut chunk)?;
            sum.update(&chunk);
        }
        Ok(sum.value())
    }

    fn read(&mut self, region: Region, offset: u64, buf: &mut [u8]) -> Result {
        let at = usize::try_from(offset).map_err(|_| EINVAL)?;
        match region {
            Region::Config => self.config.read(at, buf).map_err(|()| EINVAL),
            Region::Bar0 => {
                // The reads of `checksum` stay inside the memory: they
                // cannot fail.
                self.registers
                    .read(offset, buf, || self.checksum().unwrap_or(0));
                Ok(())
            }
            Region::Bar2 => self.memory.read(at, buf),
            _ => Err(EINVAL),
        }
    }

    fn write(&mut self, region: Region, offset: u64, data: &[u8]) -> Result {
        let at = usize::try_from(offset).map_err(|_| EINVAL)?;
        match region {
            Region::Config => {
                self.config.write(at, data).map_err(|()| EINVAL)?;
                self.deliver();
                Ok(())
            }
            Region::Bar0 => {
                if self.registers.write(offset, data) == Effect::Doorbell {
                    self.pending = true;
                    self.deliver();
                }
                Ok(())
            }
            Region::Bar2 => self.memory.write(at, data),
            _ => Err(EINVAL),
        }
    }

    /// `VFIO_DEVICE_SET_IRQS` for INTx, the only index that reaches the
    /// driver (the abstraction keeps the request trigger), but for the
    /// unmask eventfd ([`OpenDevice::set_irqs`]).
    fn set_irqs(&mut self, request: IrqRequest) -> Result {
        if request.index != IrqIndex::Intx {
            return Err(EINVAL);
        }
        match request.action {
            IrqAction::Disable => {
                self.intx = None;
                self.masked = false;
                self.pending = false;
            }
            IrqAction::SetTriggers(triggers) => {
                self.intx = triggers.into_iter().next().ok_or(EINVAL)?;
            }
            IrqAction::Trigger => {
                self.pending = true;
                self.deliver();
            }
            IrqAction::Mask => self.masked = true,
            IrqAction::Unmask => self.unmask(),
            // Handled by `OpenDevice::set_irqs`, which never passes it on.
            IrqAction::SetUnmaskEventFd(_) => return Err(EINVAL),
        }
        Ok(())
    }
}

/// The VFIO device of an instance.
struct VfioOps;

/// The device the callbacks receive.
type Dev = vfio_pci::Device<VfioOps>;

#[vtable]
impl vfio_pci::Operations for VfioOps {
    const NAME: &'static CStr = c_str!("vfio-rust-mshm");

    type Data = ();
    type OpenData = OpenDevice;

    fn description(_: &Dev) -> &Description {
        &DESCRIPTION
    }

    fn open_device<'a>(_: &'a Dev, _: Option<VmRef<'a>>) -> impl PinInit<OpenDevice, Error> + 'a {
        try_pin_init!(OpenDevice {
            state: Arc::pin_init(new_mutex!(OpenState::new()?), GFP_KERNEL)?,
            intx_unmask <- new_mutex!(None),
        }? Error)
    }

    fn read(_: &Dev, open: &OpenDevice, region: Region, offset: u64, buf: &mut [u8]) -> Result {
        open.state.lock().read(region, offset, buf)
    }

    fn write(_: &Dev, open: &OpenDevice, region: Region, offset: u64, data: &[u8]) -> Result {
        open.state.lock().write(region, offset, data)
    }

    fn mmap(_: &Dev, open: &OpenDevice, region: Region, offset: u64, vma: &VmaNew) -> Result {
        // The description makes BAR2 the only mappable region.
        if region != Region::Bar2 {
            return Err(EINVAL);
        }
        let at = usize::try_from(offset).map_err(|_| EINVAL)?;
        open.state.lock().memory.map(vma, at)
    }

    fn set_irqs(_: &Dev, open: &OpenDevice, request: IrqRequest) -> Result {
        open.set_irqs(request)
    }

    fn reset(_: &Dev, open: &OpenDevice) -> Result {
        let mut state = open.state.lock();
        state.config.reset();
        state.registers = Registers::new();
        state.masked = false;
        state.pending = false;
        Ok(())
    }

    const DMA_FREE: bool = true;
}

/// The mdev driver of the instances.
struct MdevDriver;

#[vtable]
impl mdev::Driver for MdevDriver {
    const NAME: &'static CStr = NAME;
    const DEVICE_API: &'static CStr = vfio_pci::DEVICE_API;
    const MAX_INSTANCES: u32 = MAX_INSTANCES;

    type TypeData = ();
    type ParentData = ();
    type Vfio = vfio_pci::Pci<VfioOps>;

    fn probe<'a>(
        _mdev: &'a mdev::Device,
        _parent: &'a (),
        _ty: &'static mdev::Type<()>,
    ) -> impl PinInit<vfio_pci::DeviceData<()>, Error> + 'a {
        vfio_pci::DeviceData::new(())
    }

    fn show_description(_ty: &'static mdev::Type<()>, buf: &mut SysfsBuffer) -> Result {
        buf.emit(format_args!(
            "{} pages of shared memory in BAR2 ({} mappable), registers in BAR0; at most {} instances\n",
            model::MEM_PAGES,
            model::MEM_PAGES - 1,
            MAX_INSTANCES
        ))
    }
}

/// The module: the parent device and its type, and the mdev driver.
struct RustMshmModule {
    _parent: Pin<KBox<mdev::Parent<MdevDriver, ClassDevice>>>,
}

impl kernel::Module for RustMshmModule {
    fn init(module: &'static ThisModule) -> Result<Self> {
        // The driver first: the parent's instances are probed by it.
        let driver = mdev::DriverRegistration::<MdevDriver>::new(module);
        let driver = Arc::pin_init(driver, GFP_KERNEL)?;
        let parent = mdev::Parent::new(ClassDevice::new(NAME, NAME)?, driver, &TYPES, ());
        Ok(Self {
            _parent: KBox::pin_init(parent, GFP_KERNEL)?,
        })
    }
}

module! {
    type: RustMshmModule,
    name: "rust_mshm",
    // The second sample on the abstractions (Documentation/rust-mshm.rst).
    author: "rust-mdev developers",
    description: "Emulated PCI device with mappable shared memory as a VFIO mediated device",
    license: "GPL v2",
}
