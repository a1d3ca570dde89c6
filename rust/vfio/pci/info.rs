// SPDX-License-Identifier: GPL-2.0

//! The description of a VFIO PCI device: its regions and interrupts.

use super::{IrqIndex, MmapArea, Region, NUM_IRQS, NUM_REGIONS};
use kernel::bindings;

/// How a region may be accessed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionInfo {
    pub(super) size: u64,
    pub(super) flags: u32,
    pub(super) dword_runs: bool,
    /// The parts user space may map, with `VFIO_REGION_INFO_FLAG_MMAP`
    /// (see `RegionInfo::with_mmap`).
    pub(super) mmap: &'static [MmapArea],
}

impl RegionInfo {
    /// A region the device does not have: size 0, no access.
    pub const ABSENT: Self = Self {
        size: 0,
        flags: 0,
        dword_runs: false,
        mmap: &[],
    };

    /// A region of `size` bytes that can be read and written, one register
    /// access (1, 2 or 4 bytes, naturally aligned) at a time.
    pub const fn read_write(size: u64) -> Self {
        Self {
            size,
            flags: bindings::VFIO_REGION_INFO_FLAG_READ | bindings::VFIO_REGION_INFO_FLAG_WRITE,
            dword_runs: false,
            mmap: &[],
        }
    }

    /// A region of `size` bytes that can only be read, one register access
    /// at a time.
    pub const fn read_only(size: u64) -> Self {
        Self {
            size,
            flags: bindings::VFIO_REGION_INFO_FLAG_READ,
            dword_runs: false,
            mmap: &[],
        }
    }

    /// The same region, which also takes a run of aligned dwords in one
    /// access: QEMU reads the whole PCI config space in one go.
    pub const fn with_dword_runs(self) -> Self {
        Self {
            dword_runs: true,
            ..self
        }
    }

    /// Returns the size of the region.
    pub const fn size(&self) -> u64 {
        self.size
    }

    /// Checks an access of `len` bytes at `offset` (`EINVAL` if it is not
    /// allowed) and whether the region may be written (`write`) or read.
    #[inline]
    pub(super) fn check(&self, offset: u64, len: usize, write: bool) -> Result<(), ()> {
        let wanted = if write {
            bindings::VFIO_REGION_INFO_FLAG_WRITE
        } else {
            bindings::VFIO_REGION_INFO_FLAG_READ
        };
        let len64 = len as u64;
        // A power of two: a mask, not a division (a helper call under TCG).
        let single = matches!(len, 1 | 2 | 4) && offset & (len64 - 1) == 0;
        let dwords = self.dword_runs && len % 4 == 0 && offset % 4 == 0;
        let end = offset.checked_add(len64).ok_or(())?;
        if !(single || dwords) || self.size == 0 || end > self.size || self.flags & wanted == 0 {
            return Err(());
        }
        Ok(())
    }
}

/// The interrupts of an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IrqInfo {
    pub(super) count: u32,
    pub(super) flags: u32,
}

impl IrqInfo {
    /// An index the device does not have: no interrupt.
    pub const ABSENT: Self = Self { count: 0, flags: 0 };

    /// `count` edge-triggered interrupts signalled through eventfds, which
    /// user space cannot mask and sets up all at once
    /// (`VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE`): MSI, or a
    /// notification such as the device request.
    pub const fn edge(count: u32) -> Self {
        Self {
            count,
            flags: bindings::VFIO_IRQ_INFO_EVENTFD | bindings::VFIO_IRQ_INFO_NORESIZE,
        }
    }

    /// `count` level-triggered interrupts, masked by the device when they
    /// fire until user space unmasks them
    /// (`VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
    /// VFIO_IRQ_INFO_AUTOMASKED`): INTx.
    pub const fn level(count: u32) -> Self {
        Self {
            count,
            flags: bindings::VFIO_IRQ_INFO_EVENTFD
                | bindings::VFIO_IRQ_INFO_MASKABLE
                | bindings::VFIO_IRQ_INFO_AUTOMASKED,
        }
    }

    /// Returns the number of interrupts of the index.
    pub const fn count(&self) -> u32 {
        self.count
    }

    /// Whether user space may mask and unmask the interrupts.
    pub const fn maskable(&self) -> bool {
        self.flags & bindings::VFIO_IRQ_INFO_MASKABLE != 0
    }
}

/// What a VFIO PCI device has: its regions and its interrupts.
///
/// Built once, usually as a constant:
///
/// ```ignore
/// const DEVICE: Description = Description::new()
///     .region(Region::Bar0, RegionInfo::read_write(8))
///     .region(Region::Config, RegionInfo::read_write(256).with_dword_runs())
///     .irq(IrqIndex::Intx, IrqInfo::level(1))
///     .irq(IrqIndex::Msi, IrqInfo::edge(1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Description {
    pub(super) regions: [RegionInfo; NUM_REGIONS as usize],
    pub(super) irqs: [IrqInfo; NUM_IRQS as usize],
}

impl Description {
    /// A device without regions or interrupts.
    pub const fn new() -> Self {
        Self {
            regions: [RegionInfo::ABSENT; NUM_REGIONS as usize],
            irqs: [IrqInfo::ABSENT; NUM_IRQS as usize],
        }
    }

    /// The same device with region `region`.
    pub const fn region(mut self, region: Region, info: RegionInfo) -> Self {
        self.regions[region.index() as usize] = info;
        self
    }

    /// The same device with the interrupts of `index`.
    pub const fn irq(mut self, index: IrqIndex, info: IrqInfo) -> Self {
        self.irqs[index.index() as usize] = info;
        self
    }

    /// Returns region `region`.
    #[inline]
    pub const fn region_info(&self, region: Region) -> RegionInfo {
        self.regions[region.index() as usize]
    }

    /// Returns the interrupts of `index`.
    pub const fn irq_info(&self, index: IrqIndex) -> IrqInfo {
        self.irqs[index.index() as usize]
    }
}

impl Default for Description {
    fn default() -> Self {
        Self::new()
    }
}
