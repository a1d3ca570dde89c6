// SPDX-License-Identifier: GPL-2.0

//! VFIO_DEVICE_RESET.

use super::*;

/// Puts every register of `bar` away from its power-on value.
fn scribble(m: &mut Card, bar: Region) {
    enable_fifo(m, bar, FCR_TRIGGER_4);
    let _ = outb(m, bar, LCR, LCR_DLAB);
    let _ = outb(m, bar, DLL, 0x0c);
    let _ = outb(m, bar, DLM, 0x01);
    let _ = outb(m, bar, LCR, LCR_8N1);
    let _ = outb(m, bar, IER, 0x0f);
    let _ = outb(m, bar, MCR, MCR_LOOP | MCR_DTR);
    let _ = outb(m, bar, SCR, 0x77);
    for b in 0..20 {
        let _ = outb(m, bar, TX, b);
    }
}

#[test]
fn reset_returns_the_uarts_to_power_on() {
    let m = &mut card(Ports::Two);
    let mut fresh = card(Ports::Two);
    for bar in [BAR0, BAR1] {
        scribble(m, bar);
    }
    assert!(status_interrupt(m));
    m.reset();
    assert!(!status_interrupt(m), "no pending source");
    for bar in [BAR0, BAR1] {
        for reg in 0..8 {
            assert_eq!(
                inb(m, bar, reg),
                inb(&mut fresh, bar, reg),
                "{bar:?} reg {reg}"
            );
        }
        assert_eq!(
            inb(m, bar, LSR),
            LSR_THRE | LSR_TEMT,
            "FIFO empty, no overrun"
        );
        assert_eq!(inb(m, bar, IIR), IIR_NO_INT, "FIFOs off");
        let _ = outb(m, bar, LCR, LCR_DLAB);
        assert_eq!(
            (inb(m, bar, DLL), inb(m, bar, DLM)),
            (0, 0),
            "divisor latch"
        );
    }
}

#[test]
fn reset_keeps_config_space_and_irq_setup() {
    let m = &mut card(Ports::Two);
    let _ = cfg_write(m, PCI_BAR0, 4, 0xc000);
    let _ = cfg_write(m, PCI_BAR1, 4, 0xc008);
    let _ = cfg_write(m, PCI_INTERRUPT_LINE, 1, 0x0a);
    let _ = cfg_write(m, PCI_COMMAND, 2, COMMAND_IO | COMMAND_MASTER);
    let _ = cfg_write(m, MSI_CAP + 4, 4, 0xfee0_0000);
    let mut before = [0u8; 256];
    for offset in (0..256).step_by(4) {
        before[offset..offset + 4].copy_from_slice(&cfg_read(m, offset as u64, 4).to_le_bytes());
    }
    assert_eq!(m.irq_enable(IrqIndex::Intx), Ok(None));
    assert_eq!(outb(m, BAR0, IER, IER_THRI), Some(IrqIndex::Intx));
    m.reset();
    for offset in (0..256).step_by(4) {
        let word = u32::from_le_bytes(before[offset..offset + 4].try_into().unwrap());
        assert_eq!(cfg_read(m, offset as u64, 4), word, "config {offset:#x}");
    }
    assert_eq!(m.irq_active(), Some(IrqIndex::Intx));
    // The condition went away with the reset: unmasking is quiet, and the
    // card works on.
    assert_eq!(m.irq_unmask(IrqIndex::Intx), Ok(None));
    assert_eq!(outb(m, BAR1, IER, IER_THRI), Some(IrqIndex::Intx));
}

#[test]
fn reset_drops_received_data() {
    let m = &mut card(Ports::One);
    enable_fifo(m, BAR0, 0);
    let _ = outb(m, BAR0, TX, b'x');
    m.reset();
    enable_fifo(m, BAR0, 0);
    assert_eq!(drain(m, BAR0), b"");
}
