// SPDX-License-Identifier: GPL-2.0

//! Unit tests of the device model, through the same calls the kernel glue
//! makes.  Expected values are written out from the PCI and 16550
//! specifications and from mtty.c, not taken from the model's constants.

mod access;
mod config;
mod index;
mod irq;
mod reset;
mod state;
mod uart;

use crate::model::{Card, IrqIndex, Ports, Region};

/// The regions of the card.
const BAR0: Region = Region::Bar0;
const BAR1: Region = Region::Bar1;
const CONFIG: Region = Region::Config;

// 16550 registers and bits (`include/uapi/linux/serial_reg.h`).
const RX: u64 = 0;
const TX: u64 = 0;
const DLL: u64 = 0;
const IER: u64 = 1;
const DLM: u64 = 1;
const IIR: u64 = 2;
const FCR: u64 = 2;
const LCR: u64 = 3;
const MCR: u64 = 4;
const LSR: u64 = 5;
const MSR: u64 = 6;
const SCR: u64 = 7;

const IER_RDI: u8 = 0x01;
const IER_THRI: u8 = 0x02;
const IER_RLSI: u8 = 0x04;
const IER_MSI: u8 = 0x08;

const IIR_NO_INT: u8 = 0x01;
const IIR_MSI: u8 = 0x00;
const IIR_THRI: u8 = 0x02;
const IIR_RDI: u8 = 0x04;
const IIR_RLSI: u8 = 0x06;
const IIR_RX_TIMEOUT: u8 = 0x0c;
const IIR_FIFO: u8 = 0xc0;

const FCR_ENABLE: u8 = 0x01;
const FCR_CLEAR_RCVR: u8 = 0x02;
const FCR_CLEAR_XMIT: u8 = 0x04;
const FCR_TRIGGER_4: u8 = 0x40;
const FCR_TRIGGER_8: u8 = 0x80;
const FCR_TRIGGER_14: u8 = 0xc0;

const LCR_DLAB: u8 = 0x80;
const LCR_8N1: u8 = 0x03;

const MCR_DTR: u8 = 0x01;
const MCR_RTS: u8 = 0x02;
const MCR_OUT1: u8 = 0x04;
const MCR_OUT2: u8 = 0x08;
const MCR_LOOP: u8 = 0x10;
const MCR_AFE: u8 = 0x20;

const LSR_DR: u8 = 0x01;
const LSR_OE: u8 = 0x02;
const LSR_THRE: u8 = 0x20;
const LSR_TEMT: u8 = 0x40;

const MSR_DCTS: u8 = 0x01;
const MSR_DDSR: u8 = 0x02;
const MSR_TERI: u8 = 0x04;
const MSR_DDCD: u8 = 0x08;
const MSR_CTS: u8 = 0x10;
const MSR_DSR: u8 = 0x20;
const MSR_RI: u8 = 0x40;
const MSR_DCD: u8 = 0x80;

// PCI config space (`include/uapi/linux/pci_regs.h`).
const PCI_COMMAND: u64 = 0x04;
const PCI_STATUS: u64 = 0x06;
const PCI_BAR0: u64 = 0x10;
const PCI_BAR1: u64 = 0x14;
const PCI_INTERRUPT_LINE: u64 = 0x3c;
const COMMAND_IO: u32 = 0x0001;
const COMMAND_MASTER: u32 = 0x0004;
const COMMAND_INTX_DISABLE: u32 = 0x0400;
const STATUS_INTERRUPT: u32 = 0x0008;
const MSI_CAP: u64 = 0x80;

fn card(ports: Ports) -> Card {
    Card::new(ports)
}

/// A config read of `len` bytes, little-endian, zero-extended.
fn cfg_read(m: &mut Card, offset: u64, len: usize) -> u32 {
    let mut buf = [0; 4];
    let irq = m
        .read(CONFIG, offset, &mut buf[..len])
        .expect("config read");
    assert_eq!(irq, None, "a config read never interrupts");
    u32::from_le_bytes(buf)
}

fn cfg_write(m: &mut Card, offset: u64, len: usize, value: u32) -> Option<IrqIndex> {
    m.write(CONFIG, offset, &value.to_le_bytes()[..len])
        .expect("config write")
}

/// A byte read of UART register `reg` behind `bar`, with the IRQ result.
fn inb_irq(m: &mut Card, bar: Region, reg: u64) -> (u8, Option<IrqIndex>) {
    let mut buf = [0];
    let irq = m.read(bar, reg, &mut buf).expect("BAR read");
    (buf[0], irq)
}

fn inb(m: &mut Card, bar: Region, reg: u64) -> u8 {
    inb_irq(m, bar, reg).0
}

fn outb(m: &mut Card, bar: Region, reg: u64, value: u8) -> Option<IrqIndex> {
    m.write(bar, reg, &[value]).expect("BAR write")
}

/// Enables the FIFOs of port `bar` with the given FCR trigger bits.
fn enable_fifo(m: &mut Card, bar: Region, trigger: u8) {
    let _ = outb(
        m,
        bar,
        FCR,
        FCR_ENABLE | FCR_CLEAR_RCVR | FCR_CLEAR_XMIT | trigger,
    );
}

/// Reads RBR while LSR.DR is set; returns what was received.
fn drain(m: &mut Card, bar: Region) -> Vec<u8> {
    let mut got = Vec::new();
    while inb(m, bar, LSR) & LSR_DR != 0 {
        got.push(inb(m, bar, RX));
        assert!(got.len() <= 16, "more bytes than the FIFO holds");
    }
    got
}

/// Whether config space shows the interrupt condition (Status bit 3).
fn status_interrupt(m: &mut Card) -> bool {
    cfg_read(m, PCI_STATUS, 2) & STATUS_INTERRUPT != 0
}
