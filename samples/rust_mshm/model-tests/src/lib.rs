// SPDX-License-Identifier: GPL-2.0

//! Host-side checks of the rust_mshm device model (`samples/rust_mshm/model.rs`)
//! and of `rust/vfio/pci/config.rs`, compiled as the kernel crate compiles
//! them: `#![no_std]`, at the paths the driver names them by.

#![cfg_attr(not(test), no_std)]
#![cfg_attr(not(test), allow(dead_code))]

#[path = "../../../../rust/vfio/pci/config.rs"]
pub mod config;

/// The kernel-free part of `rust_mdev::vfio::pci`, at the path the driver
/// names it by (`vfio_pci`).
pub mod vfio_pci {
    pub use crate::config;
}

#[path = "../../model.rs"]
mod model;

#[cfg(test)]
mod tests {
    use crate::model::{Checksum, Effect, Registers, HEADER, MAGIC, MEM_SIZE, VERSION};
    use crate::vfio_pci::config::ConfigSpace;

    fn dword(space: &ConfigSpace, offset: usize) -> u32 {
        let mut b = [0; 4];
        space.read(offset, &mut b).unwrap();
        u32::from_le_bytes(b)
    }

    #[test]
    fn header_ids_and_class() {
        let space = ConfigSpace::new(&HEADER);
        assert_eq!(dword(&space, 0), 0x5348_f1d0);
        assert_eq!(dword(&space, 8), 0x0580_0001);
        assert_eq!(dword(&space, 0x3c) >> 8 & 0xff, 1);
    }

    #[test]
    fn bars_read_back_their_size() {
        let mut space = ConfigSpace::new(&HEADER);
        for bar in 0..6 {
            space.write(0x10 + 4 * bar, &[0xff; 4]).unwrap();
        }
        assert_eq!(dword(&space, 0x10), 0xffff_f000);
        assert_eq!(dword(&space, 0x14), 0);
        assert_eq!(dword(&space, 0x18), !(MEM_SIZE as u32 - 1) | 0x8);
        assert_eq!(dword(&space, 0x1c), 0);
        space.reset();
        assert_eq!(dword(&space, 0x10), 0);
    }

    #[test]
    fn only_writable_bits_change() {
        let mut space = ConfigSpace::new(&HEADER);
        space.write(0, &[0; 4]).unwrap();
        assert_eq!(dword(&space, 0), 0x5348_f1d0);
        space.write(4, &[0xff, 0xff]).unwrap();
        // Memory decoding (bit 1) and Interrupt Disable (bit 10) only.
        assert_eq!(space.command(), 0x0402);
        assert!(space.intx_disabled());
        assert!(space.read(0xff, &mut [0; 2]).is_err());
        assert!(space.write(0x100, &[0]).is_err());
    }

    #[test]
    fn registers() {
        let mut regs = Registers::new();
        let read = |regs: &Registers, offset, len| {
            let mut b = [0; 4];
            regs.read(offset, &mut b[..len], || 0x1234_5678);
            u32::from_le_bytes(b)
        };
        assert_eq!(read(&regs, 0, 4), MAGIC);
        assert_eq!(read(&regs, 4, 4), VERSION);
        assert_eq!(read(&regs, 8, 4), MEM_SIZE as u32);
        assert_eq!(read(&regs, 0x14, 4), 0x1234_5678);
        assert_eq!(read(&regs, 0x16, 2), 0x1234);
        assert_eq!(regs.write(0x0c, &[1, 2, 3, 4]), Effect::None);
        assert_eq!(regs.write(0x0d, &[9]), Effect::None);
        assert_eq!(read(&regs, 0x0c, 4), 0x0403_0901);
        assert_eq!(regs.write(0x10, &[0; 4]), Effect::Doorbell);
        assert_eq!(read(&regs, 0x10, 4), 1);
        assert_eq!(regs.write(0, &[0; 4]), Effect::None);
        assert_eq!(read(&regs, 0, 4), MAGIC);
        assert_eq!(read(&regs, 0xffc, 4), 0);
    }

    #[test]
    fn layout() {
        use crate::model::{MEM_PAGES, MEM_TRAPPED, PAGE_SIZE, REGS_SIZE};
        assert_eq!(REGS_SIZE, PAGE_SIZE);
        assert_eq!(MEM_SIZE, MEM_PAGES as u64 * PAGE_SIZE);
        // A whole trapped page, and something left to map.
        assert_eq!(MEM_TRAPPED % PAGE_SIZE, 0);
        assert_ne!(MEM_SIZE.saturating_sub(MEM_TRAPPED), 0);
    }

    #[test]
    fn checksum_is_fnv1a() {
        let mut sum = Checksum::new();
        sum.update(b"a");
        assert_eq!(sum.value(), 0xe40c_292c);
        let mut zeros = Checksum::new();
        zeros.update(&[]);
        assert_eq!(zeros.value(), 0x811c_9dc5);
    }
}
