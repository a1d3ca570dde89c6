// SPDX-License-Identifier: GPL-2.0

//! The VFIO PCI device API (`vfio-pci`): region and interrupt indices, and
//! where each region lives in the device file.
//!
//! C header: [`include/uapi/linux/vfio.h`](srctree/include/uapi/linux/vfio.h)

use kernel::{bindings, prelude::*, str::CStr};

/// The device API string of VFIO PCI devices (`device_api` in sysfs).
pub const DEVICE_API: &CStr = match CStr::from_bytes_with_nul(bindings::VFIO_DEVICE_API_PCI_STRING)
{
    Ok(s) => s,
    Err(_) => panic!("VFIO_DEVICE_API_PCI_STRING is not a C string"),
};

/// The number of region indices of a VFIO PCI device.
pub const NUM_REGIONS: u32 = bindings::VFIO_PCI_NUM_REGIONS;

/// The number of interrupt indices of a VFIO PCI device.
pub const NUM_IRQS: u32 = bindings::VFIO_PCI_NUM_IRQS;

/// A region of a VFIO PCI device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    /// Base address register `0..=5`.
    Bar(u8),
    /// The expansion ROM.
    Rom,
    /// The PCI configuration space.
    Config,
    /// The legacy VGA ranges.
    Vga,
}

impl Region {
    /// Returns the region with VFIO index `index`, if there is one.
    pub fn from_index(index: u32) -> Option<Self> {
        Some(match index {
            bindings::VFIO_PCI_BAR0_REGION_INDEX..=bindings::VFIO_PCI_BAR5_REGION_INDEX => {
                // The range has six elements, so this fits in a `u8`.
                Self::Bar((index - bindings::VFIO_PCI_BAR0_REGION_INDEX) as u8)
            }
            bindings::VFIO_PCI_ROM_REGION_INDEX => Self::Rom,
            bindings::VFIO_PCI_CONFIG_REGION_INDEX => Self::Config,
            bindings::VFIO_PCI_VGA_REGION_INDEX => Self::Vga,
            _ => return None,
        })
    }

    /// Returns the VFIO index of the region.
    pub fn index(self) -> u32 {
        match self {
            Self::Bar(bar) => bindings::VFIO_PCI_BAR0_REGION_INDEX + u32::from(bar),
            Self::Rom => bindings::VFIO_PCI_ROM_REGION_INDEX,
            Self::Config => bindings::VFIO_PCI_CONFIG_REGION_INDEX,
            Self::Vga => bindings::VFIO_PCI_VGA_REGION_INDEX,
        }
    }

    /// Returns the file offset at which the region starts.
    ///
    /// This is what `VFIO_DEVICE_GET_REGION_INFO` reports as `offset`.
    pub fn file_offset(self) -> u64 {
        u64::from(self.index()) << RegionPos::OFFSET_SHIFT
    }
}

/// A position in the device file, decoded as a region and an offset in it.
///
/// This is the `vfio-pci` convention (`VFIO_PCI_OFFSET_SHIFT` in
/// `include/linux/vfio_pci_core.h`): the region index is in the bits above
/// bit 40, the offset within the region in the bits below.  A driver that
/// uses [`Region::file_offset`] in `VFIO_DEVICE_GET_REGION_INFO` decodes its
/// read and write positions with this type.
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

    /// Decodes file position `pos`.
    ///
    /// Fails with `EINVAL` if the index is not a region of a PCI device.
    pub fn decode(pos: u64) -> Result<Self> {
        let index = u32::try_from(pos >> Self::OFFSET_SHIFT).map_err(|_| EINVAL)?;
        Ok(Self {
            region: Region::from_index(index).ok_or(EINVAL)?,
            offset: pos & ((1u64 << Self::OFFSET_SHIFT) - 1),
        })
    }
}

/// An interrupt index of a VFIO PCI device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Irq {
    /// The legacy INTx interrupt.
    Intx,
    /// MSI.
    Msi,
    /// MSI-X.
    Msix,
    /// The error (AER) notification.
    Err,
    /// The device request notification.
    Req,
}

impl Irq {
    /// Returns the interrupt with VFIO index `index`, if there is one.
    pub fn from_index(index: u32) -> Option<Self> {
        Some(match index {
            bindings::VFIO_PCI_INTX_IRQ_INDEX => Self::Intx,
            bindings::VFIO_PCI_MSI_IRQ_INDEX => Self::Msi,
            bindings::VFIO_PCI_MSIX_IRQ_INDEX => Self::Msix,
            bindings::VFIO_PCI_ERR_IRQ_INDEX => Self::Err,
            bindings::VFIO_PCI_REQ_IRQ_INDEX => Self::Req,
            _ => return None,
        })
    }

    /// Returns the VFIO index of the interrupt.
    pub fn index(self) -> u32 {
        match self {
            Self::Intx => bindings::VFIO_PCI_INTX_IRQ_INDEX,
            Self::Msi => bindings::VFIO_PCI_MSI_IRQ_INDEX,
            Self::Msix => bindings::VFIO_PCI_MSIX_IRQ_INDEX,
            Self::Err => bindings::VFIO_PCI_ERR_IRQ_INDEX,
            Self::Req => bindings::VFIO_PCI_REQ_IRQ_INDEX,
        }
    }
}
