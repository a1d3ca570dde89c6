// SPDX-License-Identifier: GPL-2.0

//! An emulated PCI configuration space with a type 0 header, built from a
//! declaration of the device's identity and base address registers.
//!
//! Like [`super::index`], this file makes no kernel call and uses nothing
//! but `core`, so that a device model tested on the host can use it.  The
//! register offsets are those of `include/uapi/linux/pci_regs.h`.
//!
//! The emulation is two tables of 256 bytes, the contents at power-on and
//! the bits a write may change: a write changes only those bits.  That is
//! enough for a header without capabilities: a base address register
//! reads back its size when all ones are written (the bits below the size
//! are not writable), and the Command register keeps only the decoding
//! bits the BARs need and Interrupt Disable.

#![forbid(unsafe_code)]

/// The size of the configuration space (conventional PCI), in bytes.
pub const CONFIG_SPACE_SIZE: usize = 0x100;

const VENDOR_ID: usize = 0x00;
const DEVICE_ID: usize = 0x02;
const COMMAND: usize = 0x04;
const REVISION_ID: usize = 0x08;
const CLASS_REVISION: usize = 0x08;
const BASE_ADDRESS_0: usize = 0x10;
const SUBSYSTEM_VENDOR_ID: usize = 0x2c;
const SUBSYSTEM_ID: usize = 0x2e;
const INTERRUPT_LINE: usize = 0x3c;
const INTERRUPT_PIN: usize = 0x3d;

const COMMAND_IO: u16 = 0x0001;
const COMMAND_MEMORY: u16 = 0x0002;
const COMMAND_INTX_DISABLE: u16 = 0x0400;
const BAR_SPACE_IO: u32 = 0x1;
const BAR_MEM_PREFETCH: u32 = 0x8;

/// A base address register of a type 0 header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bar {
    /// No BAR: reads as 0, not writable.
    None,
    /// A 32-bit memory BAR of `size` bytes (a power of two, at least 16),
    /// prefetchable or not.
    Memory32 {
        /// The size in bytes.
        size: u32,
        /// Whether reads have no side effects (bit 3).
        prefetchable: bool,
    },
    /// An I/O BAR of `size` bytes (a power of two, at least 4).
    Io {
        /// The size in bytes.
        size: u32,
    },
}

impl Bar {
    /// The value at power-on and the writable bits of the register.
    const fn register(self) -> (u32, u32) {
        match self {
            Bar::None => (0, 0),
            Bar::Memory32 { size, prefetchable } => {
                let flags = if prefetchable { BAR_MEM_PREFETCH } else { 0 };
                (flags, !size.wrapping_sub(1) & !0xf)
            }
            Bar::Io { size } => (BAR_SPACE_IO, !size.wrapping_sub(1) & !0x3),
        }
    }
}

/// What a type 0 header says about a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Vendor ID.
    pub vendor: u16,
    /// Device ID.
    pub device: u16,
    /// Revision ID.
    pub revision: u8,
    /// Class code: base class, sub-class and programming interface, as the
    /// 24 bits `0xBBSSPP`.
    pub class: u32,
    /// Subsystem vendor ID.
    pub subsystem_vendor: u16,
    /// Subsystem ID.
    pub subsystem: u16,
    /// The six base address registers.
    pub bars: [Bar; 6],
    /// Interrupt pin: 0 for none, 1 for INTA#.
    pub interrupt_pin: u8,
}

/// The 256 bytes of a configuration space.
type Bytes = [u8; CONFIG_SPACE_SIZE];

/// Returns `table` with `value` (little-endian) at `offset`.
///
/// Only evaluated in constants, where an offset out of range fails the
/// build.
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const fn with_le(mut table: Bytes, offset: usize, value: u32, len: usize) -> Bytes {
    let bytes = value.to_le_bytes();
    let mut i = 0;
    while i < len {
        table[offset + i] = bytes[i];
        i += 1;
    }
    table
}

impl Header {
    /// The contents at power-on and the writable bits.
    const fn tables(&self) -> (Bytes, Bytes) {
        let (mut value, mut mask) = ([0; CONFIG_SPACE_SIZE], [0; CONFIG_SPACE_SIZE]);
        let mut command = COMMAND_INTX_DISABLE;
        let mut i = 0;
        while i < self.bars.len() {
            let (bits, writable) = self.bars[i].register();
            let at = BASE_ADDRESS_0 + 4 * i;
            value = with_le(value, at, bits, 4);
            mask = with_le(mask, at, writable, 4);
            command |= match self.bars[i] {
                Bar::None => 0,
                Bar::Memory32 { .. } => COMMAND_MEMORY,
                Bar::Io { .. } => COMMAND_IO,
            };
            i += 1;
        }
        value = with_le(value, VENDOR_ID, self.vendor as u32, 2);
        value = with_le(value, DEVICE_ID, self.device as u32, 2);
        value = with_le(value, CLASS_REVISION, self.class << 8, 4);
        value = with_le(value, REVISION_ID, self.revision as u32, 1);
        value = with_le(value, SUBSYSTEM_VENDOR_ID, self.subsystem_vendor as u32, 2);
        value = with_le(value, SUBSYSTEM_ID, self.subsystem as u32, 2);
        value = with_le(value, INTERRUPT_PIN, self.interrupt_pin as u32, 1);
        mask = with_le(mask, COMMAND, command as u32, 2);
        if self.interrupt_pin != 0 {
            mask = with_le(mask, INTERRUPT_LINE, 0xff, 1);
        }
        (value, mask)
    }
}

/// The configuration space of one device.
#[derive(Clone, Debug)]
pub struct ConfigSpace {
    bytes: Bytes,
    power_on: Bytes,
    writable: Bytes,
}

impl ConfigSpace {
    /// The configuration space of `header` at power-on.
    pub const fn new(header: &Header) -> Self {
        let (power_on, writable) = header.tables();
        Self {
            bytes: power_on,
            power_on,
            writable,
        }
    }

    /// Back to the power-on contents.
    pub fn reset(&mut self) {
        self.bytes = self.power_on;
    }

    /// Fills `buf` from `offset`; `Err` if the range is not inside the space.
    #[allow(clippy::result_unit_err)]
    pub fn read(&self, offset: usize, buf: &mut [u8]) -> Result<(), ()> {
        let end = offset.checked_add(buf.len()).ok_or(())?;
        buf.copy_from_slice(self.bytes.get(offset..end).ok_or(())?);
        Ok(())
    }

    /// Writes `data` at `offset`, changing only the writable bits; `Err` if
    /// the range is not inside the space.
    #[allow(clippy::result_unit_err)]
    pub fn write(&mut self, offset: usize, data: &[u8]) -> Result<(), ()> {
        let end = offset.checked_add(data.len()).ok_or(())?;
        let bytes = self.bytes.get_mut(offset..end).ok_or(())?;
        let masks = self.writable.get(offset..end).ok_or(())?;
        for ((byte, &mask), &value) in bytes.iter_mut().zip(masks).zip(data) {
            *byte = (*byte & !mask) | (value & mask);
        }
        Ok(())
    }

    /// Returns the Command register.
    pub fn command(&self) -> u16 {
        let low = self.bytes.get(COMMAND).copied().unwrap_or(0);
        let high = self.bytes.get(COMMAND + 1).copied().unwrap_or(0);
        u16::from_le_bytes([low, high])
    }

    /// Whether the guest set Interrupt Disable: INTx must not be raised.
    pub fn intx_disabled(&self) -> bool {
        self.command() & COMMAND_INTX_DISABLE != 0
    }
}
