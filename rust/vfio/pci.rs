// SPDX-License-Identifier: GPL-2.0

//! The VFIO PCI device API (`vfio-pci`), declaratively.
//!
//! A driver of an emulated PCI device describes its regions and interrupts
//! once, as a [`Description`], and implements [`Operations`]; the adapter
//! [`Pci`] turns that into the VFIO device [`super::Operations`]:
//!
//! - `VFIO_DEVICE_GET_INFO`, `VFIO_DEVICE_GET_REGION_INFO` and
//!   `VFIO_DEVICE_GET_IRQ_INFO` are answered from the description;
//! - reads and writes are decoded (the region index in the bits above bit
//!   40 of the file position, [`RegionPos`]) and checked against the
//!   region's size, permissions and access rule before the driver sees a
//!   typed access ([`Operations::read`], [`Operations::write`]);
//! - `VFIO_DEVICE_SET_IRQS` is validated against the description, with
//!   `vfio-pci`'s rules, and reaches the driver as a typed request
//!   ([`IrqRequest`]) whose eventfds are already taken;
//! - `mmap()` of the device file is checked against the region's mappable
//!   areas ([`RegionInfo::with_mmap`], [`MmapArea`]) before the driver maps
//!   it ([`Operations::mmap`]), and `VFIO_DEVICE_GET_REGION_INFO` reports
//!   the areas in a sparse mmap capability;
//! - `VFIO_DEVICE_RESET` calls [`Operations::reset`] if the driver has it,
//!   and every other ioctl is `ENOTTY`;
//! - the device request interrupt is `vfio-pci`'s: user space sets an
//!   eventfd, which the adapter signals when the device is being removed
//!   while it is open ([`DeviceData`]).
//!
//! The region and interrupt indices ([`Region`], [`IrqIndex`]) are plain
//! Rust in [`index`], so that a device model tested on the host uses the
//! same types as its driver; so is [`config`], an emulated configuration
//! space built from a declared type 0 header.
//!
//! C header: [`include/uapi/linux/vfio.h`](srctree/include/uapi/linux/vfio.h)

pub mod config;
mod device;
pub mod index;
mod info;
mod mmap;

pub use device::{Device, DeviceData, IrqAction, IrqRequest, Operations, Pci};
pub use index::{IrqIndex, Region, RegionPos, NUM_IRQS, NUM_REGIONS};
pub use info::{Description, IrqInfo, RegionInfo};
pub use mmap::MmapArea;

use kernel::{bindings, str::CStr};

/// The device API string of VFIO PCI devices (`device_api` in sysfs).
pub const DEVICE_API: &CStr = match CStr::from_bytes_with_nul(bindings::VFIO_DEVICE_API_PCI_STRING)
{
    Ok(s) => s,
    Err(_) => panic!("VFIO_DEVICE_API_PCI_STRING is not a C string"),
};

// The numbers of `index`, written there without the bindings, are those of
// the uAPI header.
const _: () = {
    assert!(NUM_REGIONS == bindings::VFIO_PCI_NUM_REGIONS);
    assert!(NUM_IRQS == bindings::VFIO_PCI_NUM_IRQS);
    assert!(Region::Bar0.index() == bindings::VFIO_PCI_BAR0_REGION_INDEX);
    assert!(Region::Bar5.index() == bindings::VFIO_PCI_BAR5_REGION_INDEX);
    assert!(Region::Rom.index() == bindings::VFIO_PCI_ROM_REGION_INDEX);
    assert!(Region::Config.index() == bindings::VFIO_PCI_CONFIG_REGION_INDEX);
    assert!(Region::Vga.index() == bindings::VFIO_PCI_VGA_REGION_INDEX);
    assert!(IrqIndex::Intx.index() == bindings::VFIO_PCI_INTX_IRQ_INDEX);
    assert!(IrqIndex::Msi.index() == bindings::VFIO_PCI_MSI_IRQ_INDEX);
    assert!(IrqIndex::Msix.index() == bindings::VFIO_PCI_MSIX_IRQ_INDEX);
    assert!(IrqIndex::Err.index() == bindings::VFIO_PCI_ERR_IRQ_INDEX);
    assert!(IrqIndex::Req.index() == bindings::VFIO_PCI_REQ_IRQ_INDEX);
};
