// SPDX-License-Identifier: GPL-2.0

//! The region and interrupt indices of a VFIO PCI device, and where each
//! region lives in the device file.
//!
//! This file makes no kernel call and uses nothing but `core`, so that a
//! device model which is also tested on the host (as `rust_mtty`'s is) can
//! name regions and interrupts with the very types its driver uses.  The
//! numbers are those of `include/uapi/linux/vfio.h`, a stable ABI; they are
//! written here once, and the kernel build checks each of them against the
//! bindings (`super`, the `pci` module).

#![forbid(unsafe_code)]

/// The number of region indices of a VFIO PCI device
/// (`VFIO_PCI_NUM_REGIONS`).
pub const NUM_REGIONS: u32 = 9;

/// The number of interrupt indices of a VFIO PCI device
/// (`VFIO_PCI_NUM_IRQS`).
pub const NUM_IRQS: u32 = 5;

/// A region of a VFIO PCI device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    /// Base address register 0 (`VFIO_PCI_BAR0_REGION_INDEX`).
    Bar0,
    /// Base address register 1.
    Bar1,
    /// Base address register 2.
    Bar2,
    /// Base address register 3.
    Bar3,
    /// Base address register 4.
    Bar4,
    /// Base address register 5.
    Bar5,
    /// The expansion ROM (`VFIO_PCI_ROM_REGION_INDEX`).
    Rom,
    /// The PCI configuration space (`VFIO_PCI_CONFIG_REGION_INDEX`).
    Config,
    /// The legacy VGA ranges (`VFIO_PCI_VGA_REGION_INDEX`).
    Vga,
}

impl Region {
    /// Every region, in the order of their indices.
    pub const ALL: [Self; NUM_REGIONS as usize] = [
        Self::Bar0,
        Self::Bar1,
        Self::Bar2,
        Self::Bar3,
        Self::Bar4,
        Self::Bar5,
        Self::Rom,
        Self::Config,
        Self::Vga,
    ];

    /// Returns the region with VFIO index `index`, if there is one.
    pub const fn from_index(index: u32) -> Option<Self> {
        if index < NUM_REGIONS {
            Some(Self::ALL[index as usize])
        } else {
            None
        }
    }

    /// Returns the VFIO index of the region.
    pub const fn index(self) -> u32 {
        self as u32
    }

    /// Returns base address register `bar`, if `bar` is `0..=5`.
    pub const fn bar(bar: usize) -> Option<Self> {
        if bar <= 5 {
            Some(Self::ALL[bar])
        } else {
            None
        }
    }

    /// Returns the number of the base address register, if the region is
    /// one.
    #[inline]
    pub const fn bar_number(self) -> Option<usize> {
        let index = self.index() as usize;
        if index <= 5 {
            Some(index)
        } else {
            None
        }
    }

    /// Returns the file offset at which the region starts.
    ///
    /// This is what `VFIO_DEVICE_GET_REGION_INFO` reports as `offset`.
    pub const fn file_offset(self) -> u64 {
        (self.index() as u64) << RegionPos::OFFSET_SHIFT
    }
}

/// A position in the device file, decoded as a region and an offset in it.
///
/// This is the `vfio-pci` convention (`VFIO_PCI_OFFSET_SHIFT` in
/// `include/linux/vfio_pci_core.h`): the region index is in the bits above
/// bit 40, the offset within the region in the bits below.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionPos {
    /// The region.
    pub region: Region,
    /// The offset within the region.
    pub offset: u64,
}

impl RegionPos {
    /// The shift of the region index in a file position.
    pub const OFFSET_SHIFT: u32 = 40;

    /// Decodes file position `pos`; `None` if its index is not a region of a
    /// PCI device.
    #[inline]
    pub const fn decode(pos: u64) -> Option<Self> {
        let index = pos >> Self::OFFSET_SHIFT;
        if index >= NUM_REGIONS as u64 {
            return None;
        }
        match Region::from_index(index as u32) {
            Some(region) => Some(Self {
                region,
                offset: pos & ((1u64 << Self::OFFSET_SHIFT) - 1),
            }),
            None => None,
        }
    }
}

/// An interrupt index of a VFIO PCI device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IrqIndex {
    /// The legacy INTx interrupt (`VFIO_PCI_INTX_IRQ_INDEX`).
    Intx,
    /// MSI (`VFIO_PCI_MSI_IRQ_INDEX`).
    Msi,
    /// MSI-X (`VFIO_PCI_MSIX_IRQ_INDEX`).
    Msix,
    /// The error (AER) notification (`VFIO_PCI_ERR_IRQ_INDEX`).
    Err,
    /// The device request notification (`VFIO_PCI_REQ_IRQ_INDEX`).
    Req,
}

impl IrqIndex {
    /// Every interrupt index, in the order of their numbers.
    pub const ALL: [Self; NUM_IRQS as usize] =
        [Self::Intx, Self::Msi, Self::Msix, Self::Err, Self::Req];

    /// Returns the interrupt index with VFIO number `index`, if there is
    /// one.
    pub const fn from_index(index: u32) -> Option<Self> {
        if index < NUM_IRQS {
            Some(Self::ALL[index as usize])
        } else {
            None
        }
    }

    /// Returns the VFIO number of the interrupt index.
    pub const fn index(self) -> u32 {
        self as u32
    }
}
