// SPDX-License-Identifier: GPL-2.0

//! The 16550A UART behind each BAR.

use super::*;

fn send(m: &mut Card, bar: Region, bytes: &[u8]) {
    for &b in bytes {
        let _ = outb(m, bar, TX, b);
    }
}

#[test]
fn power_on_registers() {
    let m = &mut card(Ports::One);
    let expected = [
        (RX, 0x00),
        (IER, 0x00),
        (IIR, IIR_NO_INT),
        (LCR, 0x00),
        (MCR, 0x00),
        (LSR, LSR_THRE | LSR_TEMT),
        (MSR, MSR_DCD | MSR_DSR | MSR_CTS),
        (SCR, 0x00),
    ];
    for (reg, value) in expected {
        assert_eq!(inb(m, BAR0, reg), value, "register {reg}");
    }
}

#[test]
fn bytes_written_to_thr_come_back_from_rbr() {
    let m = &mut card(Ports::One);
    enable_fifo(m, BAR0, 0);
    assert_eq!(inb(m, BAR0, LSR) & LSR_DR, 0);
    send(m, BAR0, b"hello");
    assert_eq!(inb(m, BAR0, LSR), LSR_DR | LSR_THRE | LSR_TEMT);
    assert_eq!(drain(m, BAR0), b"hello");
    assert_eq!(inb(m, BAR0, LSR), LSR_THRE | LSR_TEMT);
    assert_eq!(inb(m, BAR0, RX), 0, "an empty FIFO reads 0");
}

#[test]
fn fifo_holds_16_bytes_then_overruns() {
    let m = &mut card(Ports::One);
    enable_fifo(m, BAR0, 0);
    let data: Vec<u8> = (0..16).map(|i| b'A' + i).collect();
    send(m, BAR0, &data);
    assert_eq!(inb(m, BAR0, LSR) & LSR_OE, 0, "16 bytes fit");
    send(m, BAR0, b"!");
    assert_eq!(inb(m, BAR0, LSR), LSR_DR | LSR_OE | LSR_THRE | LSR_TEMT);
    assert_eq!(
        inb(m, BAR0, LSR) & LSR_OE,
        0,
        "OE is cleared by reading LSR"
    );
    assert_eq!(drain(m, BAR0), data, "the byte that overran is lost");
    // The ring wraps correctly after a partial drain.
    send(m, BAR0, b"0123456789");
    assert_eq!(inb(m, BAR0, RX), b'0');
    send(m, BAR0, b"abcdefg");
    assert_eq!(inb(m, BAR0, LSR) & LSR_OE, 0);
    assert_eq!(drain(m, BAR0), b"123456789abcdefg");
}

#[test]
fn without_fifo_the_holding_register_is_overwritten() {
    let m = &mut card(Ports::One);
    // FIFOs are off at power-on (16450 mode), as on a real 16550A.
    assert_eq!(inb(m, BAR0, IIR), IIR_NO_INT, "IIR bits 7:6 clear");
    send(m, BAR0, b"ab");
    assert_eq!(inb(m, BAR0, LSR), LSR_DR | LSR_OE | LSR_THRE | LSR_TEMT);
    assert_eq!(drain(m, BAR0), b"b");
}

#[test]
fn fcr_clears_and_switches_fifos() {
    let m = &mut card(Ports::One);
    enable_fifo(m, BAR0, 0);
    assert_eq!(inb(m, BAR0, IIR), IIR_FIFO | IIR_NO_INT);
    send(m, BAR0, b"xyz");
    // Clearing the transmit FIFO leaves the receiver alone.
    let _ = outb(m, BAR0, FCR, FCR_ENABLE | FCR_CLEAR_XMIT);
    assert_eq!(inb(m, BAR0, LSR) & LSR_DR, LSR_DR);
    let _ = outb(m, BAR0, FCR, FCR_ENABLE | FCR_CLEAR_RCVR);
    assert_eq!(inb(m, BAR0, LSR) & LSR_DR, 0, "receive FIFO cleared");
    // Rewriting FCR with the same enable keeps the data.
    send(m, BAR0, b"xyz");
    let _ = outb(m, BAR0, FCR, FCR_ENABLE | FCR_TRIGGER_8);
    assert_eq!(inb(m, BAR0, LSR) & LSR_DR, LSR_DR);
    // Leaving FIFO mode empties the FIFO.
    let _ = outb(m, BAR0, FCR, 0);
    assert_eq!(inb(m, BAR0, LSR) & LSR_DR, 0);
    assert_eq!(inb(m, BAR0, IIR), IIR_NO_INT);
}

#[test]
fn rx_interrupt_by_trigger_level_or_timeout() {
    let cases = [
        (0u8, 1usize),
        (FCR_TRIGGER_4, 4),
        (FCR_TRIGGER_8, 8),
        (FCR_TRIGGER_14, 14),
    ];
    for (trigger, level) in cases {
        let m = &mut card(Ports::One);
        enable_fifo(m, BAR0, trigger);
        let _ = outb(m, BAR0, IER, IER_RDI);
        assert_eq!(inb(m, BAR0, IIR), IIR_FIFO | IIR_NO_INT);
        for n in 1..=16 {
            send(m, BAR0, b"x");
            let id = if n < level { IIR_RX_TIMEOUT } else { IIR_RDI };
            assert_eq!(inb(m, BAR0, IIR), IIR_FIFO | id, "level {level}, {n} bytes");
        }
        assert_eq!(drain(m, BAR0).len(), 16);
        assert_eq!(inb(m, BAR0, IIR), IIR_FIFO | IIR_NO_INT);
    }
}

#[test]
fn iir_reports_sources_in_16550_priority_order() {
    let m = &mut card(Ports::One);
    enable_fifo(m, BAR0, 0);
    // Modem status change, THR empty, data and an overrun, all at once.
    let _ = outb(m, BAR0, MCR, MCR_LOOP);
    send(m, BAR0, &[0u8; 17]);
    let _ = outb(m, BAR0, IER, IER_RDI | IER_THRI | IER_RLSI | IER_MSI);
    assert_eq!(inb(m, BAR0, IIR), IIR_FIFO | IIR_RLSI, "1: line status");
    assert_eq!(inb(m, BAR0, LSR) & LSR_OE, LSR_OE);
    assert_eq!(inb(m, BAR0, IIR), IIR_FIFO | IIR_RDI, "2: received data");
    assert_eq!(drain(m, BAR0).len(), 16);
    assert_eq!(inb(m, BAR0, IIR), IIR_FIFO | IIR_THRI, "3: THR empty");
    assert_eq!(inb(m, BAR0, IIR), IIR_FIFO | IIR_MSI, "4: modem status");
    assert_ne!(inb(m, BAR0, MSR) & 0x0f, 0);
    assert_eq!(inb(m, BAR0, IIR), IIR_FIFO | IIR_NO_INT);
}

#[test]
fn ier_gates_each_source() {
    // Each source, alone, is reported only when its IER bit is set.
    type Make = fn(&mut Card);
    let sources: [(u8, u8, Make); 4] = [
        (IER_RLSI, IIR_RLSI, |m| send(m, BAR0, &[0; 17])),
        (IER_RDI, IIR_RDI, |m| send(m, BAR0, b"x")),
        (IER_THRI, IIR_THRI, |_| ()),
        (IER_MSI, IIR_MSI, |m| {
            let _ = outb(m, BAR0, MCR, MCR_LOOP);
        }),
    ];
    for (ier, iir, make) in sources {
        let m = &mut card(Ports::One);
        enable_fifo(m, BAR0, 0);
        make(m);
        assert_eq!(inb(m, BAR0, IIR) & 0x0f, IIR_NO_INT, "IER 0");
        let _ = outb(m, BAR0, IER, 0x0f & !ier);
        assert_ne!(inb(m, BAR0, IIR) & 0x0f, iir, "IER {ier:#x} clear");
        let _ = outb(m, BAR0, IER, ier);
        assert_eq!(inb(m, BAR0, IIR) & 0x0f, iir, "IER {ier:#x} set");
    }
}

#[test]
fn ier_keeps_the_low_nibble() {
    let m = &mut card(Ports::One);
    let _ = outb(m, BAR0, IER, 0xff);
    assert_eq!(inb(m, BAR0, IER), 0x0f);
    let _ = outb(m, BAR0, IER, 0x00);
    assert_eq!(inb(m, BAR0, IER), 0x00);
}

#[test]
fn thre_interrupt_is_acknowledged_by_reading_iir() {
    let m = &mut card(Ports::One);
    enable_fifo(m, BAR0, 0);
    let _ = outb(m, BAR0, IER, IER_THRI);
    assert_eq!(inb(m, BAR0, IIR), IIR_FIFO | IIR_THRI);
    assert_eq!(inb(m, BAR0, IIR), IIR_FIFO | IIR_NO_INT, "acknowledged");
    assert_eq!(inb(m, BAR0, LSR) & LSR_THRE, LSR_THRE, "THR is still empty");
    // Every THR write re-arms it (the byte leaves THR at once).
    send(m, BAR0, b"a");
    assert_eq!(inb(m, BAR0, IIR), IIR_FIFO | IIR_THRI);
    assert_eq!(inb(m, BAR0, IIR), IIR_FIFO | IIR_NO_INT);
    // So does raising IER.THRI again; clearing it disarms.
    let _ = outb(m, BAR0, IER, 0);
    let _ = outb(m, BAR0, IER, IER_THRI);
    assert_eq!(inb(m, BAR0, IIR), IIR_FIFO | IIR_THRI);
    let _ = outb(m, BAR0, IER, IER_THRI);
    assert_eq!(
        inb(m, BAR0, IIR),
        IIR_FIFO | IIR_NO_INT,
        "rewriting THRI is no edge"
    );
    send(m, BAR0, b"b");
    let _ = outb(m, BAR0, IER, 0);
    let _ = outb(m, BAR0, IER, IER_RDI);
    assert_eq!(inb(m, BAR0, IIR), IIR_FIFO | IIR_RDI);
    // A higher-priority source hides THRE: that IIR read does not ack it.
    let _ = outb(m, BAR0, IER, IER_RDI | IER_THRI);
    assert_eq!(inb(m, BAR0, IIR), IIR_FIFO | IIR_RDI);
    assert_eq!(drain(m, BAR0), b"ab");
    assert_eq!(inb(m, BAR0, IIR), IIR_FIFO | IIR_THRI);
}

#[test]
fn divisor_latch_behind_dlab() {
    let m = &mut card(Ports::One);
    enable_fifo(m, BAR0, 0);
    let _ = outb(m, BAR0, IER, IER_RDI);
    let _ = outb(m, BAR0, LCR, LCR_DLAB | LCR_8N1);
    assert_eq!(inb(m, BAR0, LCR), LCR_DLAB | LCR_8N1);
    let _ = outb(m, BAR0, DLL, 0x0c);
    let _ = outb(m, BAR0, DLM, 0x01);
    assert_eq!(inb(m, BAR0, DLL), 0x0c);
    assert_eq!(inb(m, BAR0, DLM), 0x01);
    assert_eq!(
        inb(m, BAR0, LSR) & LSR_DR,
        0,
        "a DLL write is not transmitted"
    );
    // IIR and FCR ignore DLAB.
    assert_eq!(inb(m, BAR0, IIR), IIR_FIFO | IIR_NO_INT);
    let _ = outb(m, BAR0, FCR, 0);
    assert_eq!(inb(m, BAR0, IIR), IIR_NO_INT);
    let _ = outb(m, BAR0, FCR, FCR_ENABLE);
    let _ = outb(m, BAR0, LCR, LCR_8N1);
    assert_eq!(inb(m, BAR0, IER), IER_RDI, "IER was not overwritten by DLM");
    send(m, BAR0, b"q");
    assert_eq!(inb(m, BAR0, RX), b'q');
    // The latch survives DLAB toggles (mtty clears it; a 16550 does not).
    let _ = outb(m, BAR0, LCR, LCR_DLAB);
    assert_eq!(inb(m, BAR0, DLL), 0x0c);
    assert_eq!(inb(m, BAR0, DLM), 0x01);
}

#[test]
fn lcr_mcr_scr_read_back() {
    let m = &mut card(Ports::One);
    let _ = outb(m, BAR0, LCR, 0x1b);
    assert_eq!(inb(m, BAR0, LCR), 0x1b);
    let _ = outb(m, BAR0, MCR, 0xff);
    assert_eq!(inb(m, BAR0, MCR), 0x3f, "MCR bits 7:6 are not implemented");
    for v in [0x00u8, 0x55, 0xaa, 0xff] {
        let _ = outb(m, BAR0, SCR, v);
        assert_eq!(inb(m, BAR0, SCR), v);
    }
}

#[test]
fn lsr_and_msr_ignore_writes() {
    let m = &mut card(Ports::One);
    let _ = outb(m, BAR0, LSR, 0xff);
    let _ = outb(m, BAR0, MSR, 0x00);
    assert_eq!(inb(m, BAR0, LSR), LSR_THRE | LSR_TEMT);
    assert_eq!(inb(m, BAR0, MSR), MSR_DCD | MSR_DSR | MSR_CTS);
}

#[test]
fn msr_follows_mcr_in_loopback_mode() {
    let cases = [
        (MCR_RTS, MSR_CTS),
        (MCR_DTR, MSR_DSR),
        (MCR_OUT1, MSR_RI),
        (MCR_OUT2, MSR_DCD),
        (MCR_RTS | MCR_DTR | MCR_OUT1 | MCR_OUT2, 0xf0),
        // The 8250 driver's loopback probe expects DCD | CTS.
        (MCR_OUT2 | MCR_RTS, MSR_DCD | MSR_CTS),
    ];
    for (mcr, lines) in cases {
        let m = &mut card(Ports::One);
        let _ = outb(m, BAR0, MCR, MCR_LOOP | mcr);
        assert_eq!(inb(m, BAR0, MSR) & 0xf0, lines, "MCR {mcr:#x}");
    }
}

#[test]
fn msr_delta_bits() {
    let m = &mut card(Ports::One);
    assert_eq!(
        inb(m, BAR0, MSR),
        MSR_DCD | MSR_DSR | MSR_CTS,
        "no deltas at power-on"
    );
    // Loopback with all outputs low: CTS, DSR and DCD drop.
    let _ = outb(m, BAR0, MCR, MCR_LOOP);
    assert_eq!(inb(m, BAR0, MSR), MSR_DCTS | MSR_DDSR | MSR_DDCD);
    assert_eq!(inb(m, BAR0, MSR), 0, "deltas are cleared by reading MSR");
    // RI: only the trailing edge counts.
    let _ = outb(m, BAR0, MCR, MCR_LOOP | MCR_OUT1);
    assert_eq!(inb(m, BAR0, MSR), MSR_RI);
    let _ = outb(m, BAR0, MCR, MCR_LOOP);
    assert_eq!(inb(m, BAR0, MSR), MSR_TERI);
    // A change that is undone before MSR is read still shows its delta.
    let _ = outb(m, BAR0, MCR, MCR_LOOP | MCR_DTR);
    let _ = outb(m, BAR0, MCR, MCR_LOOP);
    assert_eq!(inb(m, BAR0, MSR), MSR_DDSR);
}

#[test]
fn auto_flow_control_drops_cts_when_the_fifo_is_full() {
    let m = &mut card(Ports::One);
    enable_fifo(m, BAR0, 0);
    let _ = outb(m, BAR0, MCR, MCR_AFE | MCR_RTS);
    send(m, BAR0, &[7; 15]);
    assert_eq!(inb(m, BAR0, MSR) & MSR_CTS, MSR_CTS);
    send(m, BAR0, &[7]);
    assert_eq!(
        inb(m, BAR0, MSR),
        MSR_DCTS | MSR_DSR | MSR_DCD,
        "full: CTS drops"
    );
    assert_eq!(inb(m, BAR0, RX), 7);
    assert_eq!(
        inb(m, BAR0, MSR),
        MSR_DCTS | MSR_CTS | MSR_DSR | MSR_DCD,
        "room again"
    );
}

#[test]
fn ports_are_independent() {
    let m = &mut card(Ports::Two);
    enable_fifo(m, BAR0, 0);
    enable_fifo(m, BAR1, 0);
    send(m, BAR0, b"zero");
    send(m, BAR1, b"one");
    let _ = outb(m, BAR1, SCR, 1);
    assert_eq!(inb(m, BAR0, SCR), 0);
    assert_eq!(drain(m, BAR1), b"one");
    assert_eq!(drain(m, BAR0), b"zero");
}

/// The register sequences of the Linux 8250 driver's probe
/// (`autoconfig()`, `autoconfig_16550a()`) and startup tests
/// (`serial8250_do_startup()`): the card must come out as a 16550A with
/// working THRE interrupts.
#[test]
fn linux_8250_probe_finds_a_16550a() {
    let m = &mut card(Ports::One);
    // autoconfig(): IER existence test.
    let _ = outb(m, BAR0, IER, 0);
    assert_eq!(inb(m, BAR0, IER) & 0x0f, 0);
    let _ = outb(m, BAR0, IER, 0x0f);
    assert_eq!(inb(m, BAR0, IER) & 0x0f, 0x0f);
    let _ = outb(m, BAR0, IER, 0);
    // Loopback test (skipped by 8250_pci's UPF_SKIP_TEST, but it passes).
    let _ = outb(m, BAR0, MCR, MCR_LOOP | 0x0a);
    assert_eq!(inb(m, BAR0, MSR) & 0xf0, MSR_DCD | MSR_CTS);
    let _ = outb(m, BAR0, MCR, 0);
    // EFR at offset 2 with LCR 0xbf is IIR here: non-zero, so no EFR.
    let _ = outb(m, BAR0, LCR, 0xbf);
    let _ = outb(m, BAR0, 2, 0);
    let _ = outb(m, BAR0, LCR, 0);
    let _ = outb(m, BAR0, FCR, FCR_ENABLE);
    assert_eq!(inb(m, BAR0, IIR) >> 6, 3, "FIFO bits: a 16550A");
    for lcr in [0x80, 0xbf] {
        let _ = outb(m, BAR0, LCR, lcr);
        assert_ne!(inb(m, BAR0, 2), 0, "no EFR with LCR {lcr:#x}");
    }
    // Not a 16750: IIR bit 5 stays clear with the 64-byte FIFO bit.
    let _ = outb(m, BAR0, LCR, 0);
    let _ = outb(m, BAR0, FCR, FCR_ENABLE | 0x20);
    assert_eq!(inb(m, BAR0, IIR) & 0xe0, 0xc0);
    let _ = outb(m, BAR0, FCR, FCR_ENABLE);
    // serial8250_do_startup(): THRE is re-asserted when THRI is toggled.
    let _ = outb(m, BAR0, IER, IER_THRI);
    let iir1 = inb(m, BAR0, IIR);
    let _ = outb(m, BAR0, IER, 0);
    let _ = outb(m, BAR0, IER, IER_THRI);
    let iir = inb(m, BAR0, IIR);
    let _ = outb(m, BAR0, IER, 0);
    assert_eq!(iir1 & IIR_NO_INT, 0);
    assert_eq!(iir & IIR_NO_INT, 0, "no UART_BUG_THRE");
    // UART_BUG_TXEN test: THRI raises an interrupt while TEMT.
    let _ = outb(m, BAR0, IER, IER_THRI);
    assert_ne!(inb(m, BAR0, LSR) & LSR_TEMT, 0);
    assert_eq!(inb(m, BAR0, IIR) & IIR_NO_INT, 0, "no UART_BUG_TXEN");
    // The LSR safety check: LSR never reads 0xff with I/O enabled.
    assert_ne!(inb(m, BAR0, LSR), 0xff);
}
