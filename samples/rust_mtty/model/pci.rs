// SPDX-License-Identifier: GPL-2.0

//! PCI config space of the card (type 0 header, 256 bytes).
//!
//! The contents and the writable bits are two constant tables per variant;
//! a write changes only the bits its table marks writable, which is all the
//! emulation a config register of this card needs.

use super::Ports;

/// Size of config space, in bytes.
pub(crate) const CONFIG_SPACE_SIZE: usize = 0x100;

pub(crate) type Space = [u8; CONFIG_SPACE_SIZE];

// Register offsets (`include/uapi/linux/pci_regs.h`).
const PCI_VENDOR_ID: usize = 0x00;
const PCI_DEVICE_ID: usize = 0x02;
const PCI_COMMAND: usize = 0x04;
const PCI_STATUS: usize = 0x06;
const PCI_REVISION_ID: usize = 0x08;
const PCI_CLASS_PROG: usize = 0x09;
const PCI_CLASS_DEVICE: usize = 0x0a;
const PCI_BASE_ADDRESS_0: usize = 0x10;
const PCI_BASE_ADDRESS_1: usize = 0x14;
const PCI_SUBSYSTEM_VENDOR_ID: usize = 0x2c;
const PCI_SUBSYSTEM_ID: usize = 0x2e;
const PCI_CAPABILITY_LIST: usize = 0x34;
const PCI_INTERRUPT_LINE: usize = 0x3c;
const PCI_INTERRUPT_PIN: usize = 0x3d;

// Command and Status bits.
const PCI_COMMAND_IO: u16 = 0x0001;
const PCI_COMMAND_MASTER: u16 = 0x0004;
const PCI_COMMAND_INTX_DISABLE: u16 = 0x0400;
const PCI_STATUS_INTERRUPT: u16 = 0x0008;
const PCI_STATUS_CAP_LIST: u16 = 0x0010;
const PCI_STATUS_DEVSEL_MEDIUM: u16 = 0x0200;

/// Identity, as mtty.
const VENDOR_ID: u16 = 0x4348;
const DEVICE_ID: u16 = 0x3253;
const REVISION: u8 = 0x10;
/// Programming interface: 16550-compatible serial controller.
const CLASS_PROG_16550: u8 = 0x02;
/// Base class 0x07 (simple communication), sub-class 0x00 (serial).
const CLASS_SERIAL: u16 = 0x0700;
/// Interrupt pin INTA#.
const INTERRUPT_PIN_INTA: u8 = 0x01;
/// Interrupt Line is a plain read/write byte for the OS.
const INTERRUPT_LINE_MASK: u8 = 0xff;

/// Command at power-on: I/O Space enabled, as mtty.
const COMMAND_POWER_ON: u16 = PCI_COMMAND_IO;
/// Command bits the card implements; the others are hardwired to 0 (there
/// is no memory BAR, no parity or system error reporting).
const COMMAND_WRITABLE: u16 = PCI_COMMAND_IO | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE;
const STATUS: u16 = PCI_STATUS_DEVSEL_MEDIUM | PCI_STATUS_CAP_LIST;

/// An I/O BAR: bit 0 set, address bits above the BAR size.
const PCI_BASE_ADDRESS_SPACE_IO: u32 = 0x1;
/// Size of each I/O BAR: one UART's eight registers.
const IO_BAR_SIZE: u32 = super::uart::REGISTER_COUNT as u32;
const IO_BAR_ADDRESS_MASK: u32 = !(IO_BAR_SIZE - 1);

// The MSI capability: 32-bit message address, one vector, no masking.
const MSI_CAP_POINTER: u8 = 0x80;
const MSI_CAP: usize = MSI_CAP_POINTER as usize;
const PCI_CAP_ID_MSI: u8 = 0x05;
const PCI_CAP_LIST_NEXT: usize = 1;
const PCI_MSI_FLAGS: usize = 2;
const PCI_MSI_ADDRESS_LO: usize = 4;
const PCI_MSI_DATA_32: usize = 8;
const PCI_MSI_FLAGS_ENABLE: u16 = 0x0001;
/// The message address is dword-aligned.
const MSI_ADDRESS_MASK: u32 = !0x3;
const MSI_DATA_MASK: u16 = 0xffff;

/// mtty's vendor-specific bytes, kept so both drivers look the same.
const VENDOR_SPECIFIC: [(usize, &[u8]); 5] = [
    (0x40, &[0x23, 0x00, 0x00, 0x80]),
    (0x44, &[0x23]),
    (0x48, &[0x23]),
    (0x4c, &[0x23]),
    (0x60, b"PCI Serial/UART"),
];

/// Stores `bytes` at `offset` of `space`.
///
/// Only evaluated in the constant tables below: an offset out of range
/// fails the build instead of panicking.
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const fn put(mut space: Space, offset: usize, bytes: &[u8]) -> Space {
    let mut i = 0;
    while i < bytes.len() {
        space[offset + i] = bytes[i];
        i += 1;
    }
    space
}

/// Stores each `(offset, bytes)` of `entries`, like [`put`].
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const fn put_all(mut space: Space, entries: &[(usize, &[u8])]) -> Space {
    let mut i = 0;
    while i < entries.len() {
        space = put(space, entries[i].0, entries[i].1);
        i += 1;
    }
    space
}

const fn put16(space: Space, offset: usize, value: u16) -> Space {
    put(space, offset, &value.to_le_bytes())
}

const fn put32(space: Space, offset: usize, value: u32) -> Space {
    put(space, offset, &value.to_le_bytes())
}

/// Config space at power-on of a card with `ports` ports.
const fn power_on(ports: Ports) -> Space {
    let mut s = [0; CONFIG_SPACE_SIZE];
    s = put16(s, PCI_VENDOR_ID, VENDOR_ID);
    s = put16(s, PCI_DEVICE_ID, DEVICE_ID);
    s = put16(s, PCI_COMMAND, COMMAND_POWER_ON);
    s = put16(s, PCI_STATUS, STATUS);
    s = put(s, PCI_REVISION_ID, &[REVISION]);
    s = put(s, PCI_CLASS_PROG, &[CLASS_PROG_16550]);
    s = put16(s, PCI_CLASS_DEVICE, CLASS_SERIAL);
    s = put32(s, PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_SPACE_IO);
    if let Ports::Two = ports {
        s = put32(s, PCI_BASE_ADDRESS_1, PCI_BASE_ADDRESS_SPACE_IO);
    }
    s = put16(s, PCI_SUBSYSTEM_VENDOR_ID, VENDOR_ID);
    s = put16(s, PCI_SUBSYSTEM_ID, DEVICE_ID);
    s = put(s, PCI_CAPABILITY_LIST, &[MSI_CAP_POINTER]);
    s = put(s, PCI_INTERRUPT_PIN, &[INTERRUPT_PIN_INTA]);
    s = put_all(s, &VENDOR_SPECIFIC);
    s = put(s, MSI_CAP, &[PCI_CAP_ID_MSI, 0]);
    s
}

/// The writable bits of a card with `ports` ports.
const fn writable(ports: Ports) -> Space {
    let mut s = [0; CONFIG_SPACE_SIZE];
    s = put16(s, PCI_COMMAND, COMMAND_WRITABLE);
    s = put32(s, PCI_BASE_ADDRESS_0, IO_BAR_ADDRESS_MASK);
    if let Ports::Two = ports {
        s = put32(s, PCI_BASE_ADDRESS_1, IO_BAR_ADDRESS_MASK);
    }
    s = put(s, PCI_INTERRUPT_LINE, &[INTERRUPT_LINE_MASK]);
    s = put16(s, MSI_CAP + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE);
    s = put32(s, MSI_CAP + PCI_MSI_ADDRESS_LO, MSI_ADDRESS_MASK);
    s = put16(s, MSI_CAP + PCI_MSI_DATA_32, MSI_DATA_MASK);
    s
}

const POWER_ON_ONE: Space = power_on(Ports::One);
const POWER_ON_TWO: Space = power_on(Ports::Two);
static WRITABLE_ONE: Space = writable(Ports::One);
static WRITABLE_TWO: Space = writable(Ports::Two);

// The capability list ends after MSI.
const _: () = assert!(POWER_ON_ONE[MSI_CAP + PCI_CAP_LIST_NEXT] == 0);

/// Config space of one card.
pub(crate) struct ConfigSpace {
    bytes: Space,
    writable: &'static Space,
}

impl ConfigSpace {
    /// Power-on config space of a card with `ports` ports.
    pub(crate) fn new(ports: Ports) -> Self {
        match ports {
            Ports::One => ConfigSpace {
                bytes: POWER_ON_ONE,
                writable: &WRITABLE_ONE,
            },
            Ports::Two => ConfigSpace {
                bytes: POWER_ON_TWO,
                writable: &WRITABLE_TWO,
            },
        }
    }

    /// The stored bytes, as the guest wrote them: what every read returns,
    /// except Status bit 3, which [`ConfigSpace::read`] adds from the
    /// device's interrupt condition and which is never stored.
    pub(crate) fn saved(&self) -> &Space {
        &self.bytes
    }

    /// The config space of a card with `ports` ports whose stored bytes
    /// are `bytes` (as [`ConfigSpace::saved`] returned them), or `None` if
    /// a read-only bit differs from its power-on value: no guest write can
    /// produce such bytes.
    pub(crate) fn restore(ports: Ports, bytes: &Space) -> Option<Self> {
        let mut space = ConfigSpace::new(ports);
        let power_on = space.bytes.iter().zip(space.writable.iter());
        let read_only_kept = bytes
            .iter()
            .zip(power_on)
            .all(|(&saved, (&power_on, &mask))| (saved ^ power_on) & !mask == 0);
        if !read_only_kept {
            return None;
        }
        space.bytes = *bytes;
        Some(space)
    }

    fn command(&self) -> u16 {
        let mut command = [0; 2];
        for (dst, src) in command.iter_mut().zip(self.bytes.iter().skip(PCI_COMMAND)) {
            *dst = *src;
        }
        u16::from_le_bytes(command)
    }

    /// Whether the guest enabled I/O Space decoding.
    pub(crate) fn io_enabled(&self) -> bool {
        self.command() & PCI_COMMAND_IO != 0
    }

    /// Whether the guest set Interrupt Disable (INTx must not be raised).
    pub(crate) fn intx_disabled(&self) -> bool {
        self.command() & PCI_COMMAND_INTX_DISABLE != 0
    }

    /// Fills `buf` from `start`; `interrupt` is the device's interrupt
    /// condition, shown as Status bit 3.  Bytes past the end read 0 (the
    /// caller has checked the range).
    pub(crate) fn read(&self, start: usize, buf: &mut [u8], interrupt: bool) {
        let [status_interrupt, _] = PCI_STATUS_INTERRUPT.to_le_bytes();
        let source = self.bytes.get(start..).unwrap_or_default();
        let mut source = source.iter();
        for dst in buf.iter_mut() {
            *dst = source.next().copied().unwrap_or(0);
        }
        if interrupt {
            if let Some(status) = PCI_STATUS.checked_sub(start).and_then(|i| buf.get_mut(i)) {
                *status |= status_interrupt;
            }
        }
    }

    /// Writes `data` at `start`, changing only writable bits.  Bytes past
    /// the end are dropped (the caller has checked the range).
    pub(crate) fn write(&mut self, start: usize, data: &[u8]) {
        let targets = self.bytes.iter_mut().zip(self.writable.iter()).skip(start);
        for ((byte, &mask), &value) in targets.zip(data) {
            *byte = (*byte & !mask) | (value & mask);
        }
    }
}
