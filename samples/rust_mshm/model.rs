// SPDX-License-Identifier: GPL-2.0

//! The shared-memory device itself, without kernel calls: its identity and
//! BARs, and the registers of BAR0.
//!
//! The register map (BAR0, 32-bit little-endian registers; an access of 1
//! or 2 bytes reaches those bytes of the register):
//!
//! | offset | name       | access | contents                                  |
//! |--------|------------|--------|-------------------------------------------|
//! | 0x00   | `ID`       | RO     | [`MAGIC`], "MSHM"                          |
//! | 0x04   | `VERSION`  | RO     | [`VERSION`]                               |
//! | 0x08   | `MEM_SIZE` | RO     | the size of BAR2 in bytes                 |
//! | 0x0c   | `SCRATCH`  | RW     | kept, reset to 0                          |
//! | 0x10   | `DOORBELL` | RW     | a write raises INTx; reads the count      |
//! | 0x14   | `CHECKSUM` | RO     | FNV-1a (32 bits) of the whole of BAR2     |
//!
//! Other offsets of the page read 0 and ignore writes.

use crate::vfio_pci::config::{Bar, Header};

/// The size of a page of the device (of the kernel's page size, checked by
/// the driver): BAR2 is mapped page by page.
pub(crate) const PAGE_SIZE: u64 = 4096;

/// BAR0: one page of registers.
pub(crate) const REGS_SIZE: u64 = PAGE_SIZE;

/// BAR2: pages of memory.  The first page is reached only through
/// `read()`/`write()` (a trapped mailbox, as a real device might keep its
/// MSI-X table in a BAR); the others can also be mapped.
pub(crate) const MEM_PAGES: usize = 4;
pub(crate) const MEM_SIZE: u64 = PAGE_SIZE * MEM_PAGES as u64;
pub(crate) const MEM_TRAPPED: u64 = PAGE_SIZE;

/// `ID`: "MSHM" in memory order.
pub(crate) const MAGIC: u32 = u32::from_le_bytes(*b"MSHM");
/// `VERSION`: 1.0.
pub(crate) const VERSION: u32 = 0x0001_0000;

/// The registers, one dword each from offset 0, in this order.
#[derive(Clone, Copy)]
enum Reg {
    Id,
    Version,
    MemSize,
    Scratch,
    Doorbell,
    Checksum,
}

impl Reg {
    /// The register of the dword at `offset`, if there is one.
    fn at(offset: u64) -> Option<Self> {
        use Reg::*;
        const MAP: [Reg; 6] = [Id, Version, MemSize, Scratch, Doorbell, Checksum];
        MAP.get(usize::try_from(offset / 4).ok()?).copied()
    }
}

/// The identity and BARs.  The IDs f1d0:5348 are made up for this sample
/// (not checked against the PCI-SIG's list, and not to be used outside
/// tests); no guest driver claims them.  Class 0x0580: other memory
/// controller.
pub(crate) const HEADER: Header = Header {
    vendor: 0xf1d0,
    device: 0x5348,
    revision: 1,
    class: 0x05_80_00,
    subsystem_vendor: 0xf1d0,
    subsystem: 0x5348,
    bars: [
        Bar::Memory32 {
            size: REGS_SIZE as u32,
            prefetchable: false,
        },
        Bar::None,
        Bar::Memory32 {
            size: MEM_SIZE as u32,
            prefetchable: true,
        },
        Bar::None,
        Bar::None,
        Bar::None,
    ],
    interrupt_pin: 1,
};

/// FNV-1a, 32 bits: what `CHECKSUM` reads.
pub(crate) struct Checksum(u32);

impl Checksum {
    pub(crate) fn new() -> Self {
        Self(0x811c_9dc5)
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u32::from(b)).wrapping_mul(0x0100_0193);
        }
    }

    pub(crate) fn value(&self) -> u32 {
        self.0
    }
}

/// What a register write asks of the device.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Nothing beyond the register.
    None,
    /// The doorbell rang: raise the interrupt.
    Doorbell,
}

/// The registers of BAR0.
pub(crate) struct Registers {
    scratch: u32,
    doorbells: u32,
}

impl Registers {
    pub(crate) fn new() -> Self {
        Self {
            scratch: 0,
            doorbells: 0,
        }
    }

    /// Reads `buf.len()` bytes (1, 2 or 4, naturally aligned: checked by
    /// the abstraction) at `offset`; `checksum` computes `CHECKSUM`, only
    /// when it is read.
    pub(crate) fn read(&self, offset: u64, buf: &mut [u8], checksum: impl FnOnce() -> u32) {
        let value = match Reg::at(offset) {
            Some(Reg::Id) => MAGIC,
            Some(Reg::Version) => VERSION,
            Some(Reg::MemSize) => MEM_SIZE as u32,
            Some(Reg::Scratch) => self.scratch,
            Some(Reg::Doorbell) => self.doorbells,
            Some(Reg::Checksum) => checksum(),
            None => 0,
        };
        let bytes = value.to_le_bytes();
        let shift = (offset & 3) as usize;
        for (dst, src) in buf.iter_mut().zip(bytes.iter().skip(shift)) {
            *dst = *src;
        }
    }

    /// Writes `data` at `offset`, as [`Registers::read`] reads.
    pub(crate) fn write(&mut self, offset: u64, data: &[u8]) -> Effect {
        match Reg::at(offset) {
            Some(Reg::Scratch) => {
                let mut bytes = self.scratch.to_le_bytes();
                let shift = (offset & 3) as usize;
                for (dst, src) in bytes.iter_mut().skip(shift).zip(data) {
                    *dst = *src;
                }
                self.scratch = u32::from_le_bytes(bytes);
                Effect::None
            }
            Some(Reg::Doorbell) => {
                self.doorbells = self.doorbells.wrapping_add(1);
                Effect::Doorbell
            }
            _ => Effect::None,
        }
    }
}
