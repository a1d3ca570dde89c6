// SPDX-License-Identifier: GPL-2.0

//! The VFIO PCI indices the model shares with its driver
//! (`rust/vfio/pci/index.rs`), against `include/uapi/linux/vfio.h`.

use crate::vfio_pci::{IrqIndex, Region, RegionPos, NUM_IRQS, NUM_REGIONS};

#[test]
fn region_indices() {
    // VFIO_PCI_BAR0_REGION_INDEX .. VFIO_PCI_VGA_REGION_INDEX.
    let expected = [
        (Region::Bar0, 0),
        (Region::Bar1, 1),
        (Region::Bar2, 2),
        (Region::Bar3, 3),
        (Region::Bar4, 4),
        (Region::Bar5, 5),
        (Region::Rom, 6),
        (Region::Config, 7),
        (Region::Vga, 8),
    ];
    assert_eq!(NUM_REGIONS, 9);
    assert_eq!(Region::ALL.len(), expected.len());
    for (region, index) in expected {
        assert_eq!(region.index(), index);
        assert_eq!(Region::from_index(index), Some(region));
        assert_eq!(region.file_offset(), u64::from(index) << 40);
    }
    for index in [9, 10, u32::MAX] {
        assert_eq!(Region::from_index(index), None);
    }
    for bar in 0..6 {
        let region = Region::bar(bar).unwrap();
        assert_eq!(region.bar_number(), Some(bar));
        assert_eq!(region.index() as usize, bar);
    }
    assert_eq!(Region::bar(6), None);
    for region in [Region::Rom, Region::Config, Region::Vga] {
        assert_eq!(region.bar_number(), None);
    }
}

#[test]
fn irq_indices() {
    // VFIO_PCI_INTX_IRQ_INDEX .. VFIO_PCI_REQ_IRQ_INDEX.
    let expected = [
        (IrqIndex::Intx, 0),
        (IrqIndex::Msi, 1),
        (IrqIndex::Msix, 2),
        (IrqIndex::Err, 3),
        (IrqIndex::Req, 4),
    ];
    assert_eq!(NUM_IRQS, 5);
    assert_eq!(IrqIndex::ALL.len(), expected.len());
    for (irq, index) in expected {
        assert_eq!(irq.index(), index);
        assert_eq!(IrqIndex::from_index(index), Some(irq));
    }
    for index in [5, 6, u32::MAX] {
        assert_eq!(IrqIndex::from_index(index), None);
    }
}

#[test]
fn file_positions() {
    let pos = |index: u64, offset: u64| (index << 40) | offset;
    assert_eq!(
        RegionPos::decode(pos(7, 0x3c)),
        Some(RegionPos {
            region: Region::Config,
            offset: 0x3c
        })
    );
    assert_eq!(
        RegionPos::decode(pos(1, (1 << 40) - 1)),
        Some(RegionPos {
            region: Region::Bar1,
            offset: (1 << 40) - 1
        })
    );
    for index in [9, 10, 0xff_ffff] {
        assert_eq!(RegionPos::decode(pos(index, 0)), None, "{index}");
    }
    for region in Region::ALL {
        let at = RegionPos::decode(region.file_offset() + 4).unwrap();
        assert_eq!((at.region, at.offset), (region, 4));
    }
}
