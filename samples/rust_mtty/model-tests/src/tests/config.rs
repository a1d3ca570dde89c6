// SPDX-License-Identifier: GPL-2.0

//! PCI config space: identity, read-only fields, BARs, Command, MSI.

use super::*;

/// mtty's config space, transcribed from `mtty_create_config_space()`.
fn mtty_config(ports: Ports) -> [u8; 256] {
    let mut c = [0u8; 256];
    c[0x00..0x04].copy_from_slice(&0x3253_4348u32.to_le_bytes());
    c[0x04..0x06].copy_from_slice(&0x0001u16.to_le_bytes());
    c[0x06..0x08].copy_from_slice(&0x0200u16.to_le_bytes());
    c[0x08] = 0x10;
    c[0x09] = 0x02;
    c[0x0a] = 0x00;
    c[0x0b] = 0x07;
    c[0x10..0x14].copy_from_slice(&1u32.to_le_bytes());
    if ports == Ports::Two {
        c[0x14..0x18].copy_from_slice(&1u32.to_le_bytes());
    }
    c[0x2c..0x30].copy_from_slice(&0x3253_4348u32.to_le_bytes());
    c[0x34] = 0x00;
    c[0x3d] = 0x01;
    c[0x40] = 0x23;
    c[0x43] = 0x80;
    c[0x44] = 0x23;
    c[0x48] = 0x23;
    c[0x4c] = 0x23;
    c[0x60..0x6f].copy_from_slice(b"PCI Serial/UART");
    c
}

/// Reads all of config space the way the glue splits a 256-byte pread.
fn dump(m: &mut Card) -> [u8; 256] {
    let mut out = [0u8; 256];
    for (offset, range) in crate::model::accesses(0, out.len()) {
        let irq = m
            .read(CONFIG, offset, &mut out[range])
            .expect("config read");
        assert_eq!(irq, None);
    }
    out
}

#[test]
fn config_space_is_mttys_plus_the_msi_capability() {
    for ports in [Ports::One, Ports::Two] {
        let mut expected = mtty_config(ports);
        // Documented differences: a capability list with MSI at 0x80.
        expected[0x06] |= 0x10;
        expected[0x34] = 0x80;
        expected[0x80] = 0x05;
        let got = dump(&mut card(ports));
        for (offset, (g, e)) in got.iter().zip(expected.iter()).enumerate() {
            assert_eq!(g, e, "{ports:?}: byte {offset:#04x}");
        }
    }
}

#[test]
fn identity_fields() {
    let m = &mut card(Ports::Two);
    // (offset, width, value, what)
    let fields = [
        (0x00, 2, 0x4348, "vendor"),
        (0x02, 2, 0x3253, "device"),
        (0x08, 4, 0x0700_0210, "class 0x070002, revision 0x10"),
        (0x0e, 1, 0x00, "type 0 header, single function"),
        (0x2c, 2, 0x4348, "subsystem vendor"),
        (0x2e, 2, 0x3253, "subsystem"),
        (0x3d, 1, 0x01, "INTA"),
        (0x06, 2, 0x0210, "status: capability list, DEVSEL medium"),
        (0x34, 1, 0x80, "capability pointer"),
    ];
    for (offset, width, value, what) in fields {
        assert_eq!(cfg_read(m, offset, width), value, "{what}");
    }
}

#[test]
fn sub_dword_reads_agree_with_dword_reads() {
    let m = &mut card(Ports::Two);
    for offset in (0..256u64).step_by(4) {
        let dword = cfg_read(m, offset, 4);
        let lo = cfg_read(m, offset, 2);
        let hi = cfg_read(m, offset + 2, 2);
        assert_eq!(dword, lo | hi << 16, "offset {offset:#x}");
        for i in 0..4 {
            assert_eq!(cfg_read(m, offset + i, 1), (dword >> (8 * i)) & 0xff);
        }
    }
}

#[test]
fn read_only_fields_ignore_writes() {
    for ports in [Ports::One, Ports::Two] {
        let m = &mut card(ports);
        let before = dump(m);
        // Everything but Command, the BARs, Interrupt Line and the MSI
        // registers, with all ones and then all zeros, in every size.
        let writable = |o: u64| matches!(o, 0x04..=0x05 | 0x10..=0x17 | 0x3c | 0x82..=0x8b);
        for value in [0xffff_ffffu32, 0] {
            for len in [1usize, 2, 4] {
                for offset in (0..256u64).step_by(len) {
                    if (offset..offset + len as u64).any(writable) {
                        continue;
                    }
                    assert_eq!(cfg_write(m, offset, len, value), None);
                }
            }
        }
        assert_eq!(dump(m), before, "{ports:?}");
    }
}

#[test]
fn bar_sizing_one_port() {
    let m = &mut card(Ports::One);
    let _ = cfg_write(m, PCI_BAR0, 4, 0xffff_ffff);
    assert_eq!(cfg_read(m, PCI_BAR0, 4), 0xffff_fff9, "8-byte I/O BAR");
    let _ = cfg_write(m, PCI_BAR0, 4, 0xc000);
    assert_eq!(cfg_read(m, PCI_BAR0, 4), 0xc001);
    // The I/O indicator and the reserved bit cannot be changed.
    let _ = cfg_write(m, PCI_BAR0, 4, 0xc0f6);
    assert_eq!(cfg_read(m, PCI_BAR0, 4), 0xc0f1);
    // Byte writes touch one byte of the BAR.
    let _ = cfg_write(m, PCI_BAR0 + 1, 1, 0xd0);
    assert_eq!(cfg_read(m, PCI_BAR0, 4), 0xd0f1);
    // BAR1 does not exist on the one-port card.
    let _ = cfg_write(m, PCI_BAR1, 4, 0xffff_ffff);
    assert_eq!(cfg_read(m, PCI_BAR1, 4), 0);
}

#[test]
fn bar_sizing_two_ports() {
    let m = &mut card(Ports::Two);
    for bar in [PCI_BAR0, PCI_BAR1] {
        let _ = cfg_write(m, bar, 4, 0xffff_ffff);
        assert_eq!(cfg_read(m, bar, 4), 0xffff_fff9, "BAR at {bar:#x}");
    }
    let _ = cfg_write(m, PCI_BAR0, 4, 0xc000);
    let _ = cfg_write(m, PCI_BAR1, 4, 0xc008);
    assert_eq!(cfg_read(m, PCI_BAR0, 4), 0xc001);
    assert_eq!(cfg_read(m, PCI_BAR1, 4), 0xc009);
}

#[test]
fn unused_bars_and_rom_read_zero() {
    for ports in [Ports::One, Ports::Two] {
        let m = &mut card(ports);
        for offset in [0x18u64, 0x1c, 0x20, 0x24, 0x30] {
            let _ = cfg_write(m, offset, 4, 0xffff_ffff);
            assert_eq!(cfg_read(m, offset, 4), 0, "{ports:?} {offset:#x}");
        }
    }
}

#[test]
fn command_register_is_honoured() {
    let m = &mut card(Ports::One);
    assert_eq!(
        cfg_read(m, PCI_COMMAND, 2),
        COMMAND_IO,
        "power-on: I/O enabled, as mtty"
    );
    let _ = cfg_write(m, PCI_COMMAND, 2, 0);
    assert_eq!(cfg_read(m, PCI_COMMAND, 2), 0);
    let all = COMMAND_IO | COMMAND_MASTER | COMMAND_INTX_DISABLE;
    let _ = cfg_write(m, PCI_COMMAND, 2, all);
    assert_eq!(cfg_read(m, PCI_COMMAND, 2), all);
    // Memory space, parity, SERR... are not implemented and stay 0.
    let _ = cfg_write(m, PCI_COMMAND, 2, 0xffff);
    assert_eq!(cfg_read(m, PCI_COMMAND, 2), all);
    // A dword write at 0x04 changes Command but not Status.
    let _ = cfg_write(m, PCI_COMMAND, 4, 0xffff_0000 | COMMAND_IO);
    assert_eq!(cfg_read(m, PCI_COMMAND, 4), 0x0210_0000 | COMMAND_IO);
}

#[test]
fn io_space_disabled_blocks_bar_access() {
    let m = &mut card(Ports::One);
    let _ = outb(m, BAR0, SCR, 0x5a);
    let _ = cfg_write(m, PCI_COMMAND, 2, 0);
    for reg in 0..8 {
        assert_eq!(
            inb(m, BAR0, reg),
            0xff,
            "register {reg} reads as a master abort"
        );
    }
    // Writes are dropped, including to THR (nothing is looped back).
    let _ = outb(m, BAR0, SCR, 0xa5);
    let _ = outb(m, BAR0, TX, b'x');
    let _ = cfg_write(m, PCI_COMMAND, 2, COMMAND_IO);
    assert_eq!(inb(m, BAR0, SCR), 0x5a);
    assert_eq!(inb(m, BAR0, LSR) & LSR_DR, 0);
}

#[test]
fn interrupt_line_is_writable_pin_is_not() {
    let m = &mut card(Ports::One);
    let _ = cfg_write(m, PCI_INTERRUPT_LINE, 1, 0x0b);
    assert_eq!(cfg_read(m, PCI_INTERRUPT_LINE, 1), 0x0b);
    let _ = cfg_write(m, PCI_INTERRUPT_LINE, 2, 0x0303);
    assert_eq!(
        cfg_read(m, PCI_INTERRUPT_LINE, 2),
        0x0103,
        "line 3, pin still INTA"
    );
}

#[test]
fn msi_capability() {
    let m = &mut card(Ports::One);
    // ID 0x05, end of list, no 64-bit address, one vector, no masking.
    assert_eq!(cfg_read(m, MSI_CAP, 4), 0x0000_0005);
    let _ = cfg_write(m, MSI_CAP, 4, 0xffff_ffff);
    assert_eq!(
        cfg_read(m, MSI_CAP, 4),
        0x0001_0005,
        "only MSI Enable is writable"
    );
    let _ = cfg_write(m, MSI_CAP + 2, 2, 0);
    assert_eq!(cfg_read(m, MSI_CAP + 2, 2), 0);
    let _ = cfg_write(m, MSI_CAP + 4, 4, 0xfee0_100f);
    assert_eq!(
        cfg_read(m, MSI_CAP + 4, 4),
        0xfee0_100c,
        "address is dword-aligned"
    );
    let _ = cfg_write(m, MSI_CAP + 8, 2, 0x4021);
    assert_eq!(cfg_read(m, MSI_CAP + 8, 2), 0x4021);
    let _ = cfg_write(m, MSI_CAP + 10, 2, 0xffff);
    assert_eq!(
        cfg_read(m, MSI_CAP + 10, 2),
        0,
        "nothing past the 32-bit capability"
    );
}

#[test]
fn status_shows_the_interrupt_condition() {
    let m = &mut card(Ports::Two);
    assert!(!status_interrupt(m));
    let _ = outb(m, BAR1, IER, IER_THRI);
    assert!(status_interrupt(m), "THRE pending on port 1");
    assert_eq!(cfg_read(m, PCI_STATUS, 1), 0x18);
    // Interrupt Disable does not hide the condition, only INTx.
    let _ = cfg_write(m, PCI_COMMAND, 2, COMMAND_IO | COMMAND_INTX_DISABLE);
    assert!(status_interrupt(m));
    assert_eq!(inb(m, BAR1, IIR), IIR_THRI);
    assert!(!status_interrupt(m), "acknowledged by the IIR read");
    // Status is read-only even while the bit is shown.
    let _ = outb(m, BAR1, IER, 0);
    let _ = cfg_write(m, PCI_STATUS, 2, 0xffff);
    assert_eq!(cfg_read(m, PCI_STATUS, 2), 0x0210);
}
