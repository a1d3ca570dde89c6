// SPDX-License-Identifier: GPL-2.0

//! Migration: the payload that `save` writes and `load` checks and applies.
//!
//! The layout is written out here from `Documentation/migration.rst`, not
//! taken from the model.  "Unchanged" is checked on twins: two cards built
//! by the same steps, one of which was given the payload, must save the
//! same bytes and answer the same long sequence of accesses identically.

use super::*;
use crate::model::{IrqError, StateError, STATE_MAX};

const INTX: Option<IrqIndex> = Some(IrqIndex::Intx);
const MSI: Option<IrqIndex> = Some(IrqIndex::Msi);

// The payload (`Documentation/migration.rst`).
const SIZE_ONE: usize = 298;
const SIZE_TWO: usize = 330;
const VERSION_AT: usize = 4;
const PORTS_AT: usize = 6;
const RESERVED_AT: usize = 7;
const CONFIG_AT: usize = 8;
const IRQ_AT: usize = 264;
const MASKED_AT: usize = 265;
const UARTS_AT: usize = 266;
const BLOCK: usize = 32;

// A UART block.
const B_RX: usize = 0;
const B_COUNT: usize = 16;
const B_IER: usize = 17;
const B_LCR: usize = 18;
const B_MCR: usize = 19;
const B_SCR: usize = 20;
const B_DLL: usize = 21;
const B_DLM: usize = 22;
const B_FIFO: usize = 23;
const B_TRIGGER: usize = 24;
const B_OVERRUN: usize = 25;
const B_THRE: usize = 26;
const B_LINES: usize = 27;
const B_DELTAS: usize = 28;
const B_RESERVED: usize = 29;

const PCI_MSI_FLAGS: u64 = MSI_CAP + 2;
const PCI_MSI_ADDRESS: u64 = MSI_CAP + 4;
const PCI_MSI_DATA: u64 = MSI_CAP + 8;

fn size(ports: Ports) -> usize {
    match ports {
        Ports::One => SIZE_ONE,
        Ports::Two => SIZE_TWO,
    }
}

fn bars(ports: Ports) -> &'static [Region] {
    match ports {
        Ports::One => &[BAR0],
        Ports::Two => &[BAR0, BAR1],
    }
}

/// Offset of byte `field` of port `port`'s block.
fn at(port: usize, field: usize) -> usize {
    UARTS_AT + port * BLOCK + field
}

/// The payload of `m`, checking the length `save` reports.
fn save(m: &Card) -> Vec<u8> {
    let mut buf = [0u8; STATE_MAX];
    let n = m.save(&mut buf).expect("save into STATE_MAX bytes");
    assert_eq!(n, m.state_size());
    buf[..n].to_vec()
}

/// A xorshift64 generator: deterministic, no crates.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn byte(&mut self) -> u8 {
        self.next() as u8
    }

    fn index(&mut self) -> IrqIndex {
        if self.next() & 1 == 0 {
            IrqIndex::Intx
        } else {
            IrqIndex::Msi
        }
    }
}

/// Drives port `bar` into a rich state: divisor latch, LCR, SCR, FIFOs
/// with trigger level 8 holding 12 bytes in a wrapped ring (head 11), an
/// overrun not yet read, THRE armed, modem deltas TERI and DDCD pending.
fn rich_fifo_port(m: &mut Card, bar: Region) {
    enable_fifo(m, bar, FCR_TRIGGER_8);
    let _ = outb(m, bar, LCR, LCR_DLAB);
    let _ = outb(m, bar, DLL, 0x0c);
    let _ = outb(m, bar, DLM, 0x01);
    let _ = outb(m, bar, LCR, 0x1b);
    let _ = outb(m, bar, SCR, 0x5a);
    for b in b"0123456789" {
        let _ = outb(m, bar, TX, *b);
    }
    for _ in 0..7 {
        let _ = inb(m, bar, RX);
    }
    // Three left at head 7; 13 fit, the 14th overruns.
    for b in b"abcdefghijklmn" {
        let _ = outb(m, bar, TX, *b);
    }
    for _ in 0..4 {
        let _ = inb(m, bar, RX);
    }
    // Loopback with RI, then back: DCD fell and rose, RI fell.
    let _ = outb(m, bar, MCR, MCR_LOOP | MCR_OUT1 | MCR_DTR | MCR_RTS);
    let _ = outb(m, bar, MCR, MCR_OUT2 | MCR_DTR | MCR_RTS);
    let _ = outb(m, bar, IER, IER_RDI | IER_THRI | IER_RLSI | IER_MSI);
}

/// Port `bar` in 16450 mode with auto flow control: one byte held, an
/// overrun, CTS dropped by the full holding register (DCTS pending).
fn rich_16450_port(m: &mut Card, bar: Region) {
    let _ = outb(m, bar, LCR, 0x07);
    let _ = outb(m, bar, SCR, 0xa5);
    let _ = outb(m, bar, MCR, MCR_AFE | MCR_DTR);
    let _ = outb(m, bar, TX, b'x');
    let _ = outb(m, bar, TX, b'y');
    let _ = outb(m, bar, IER, IER_RLSI | IER_MSI);
}

/// Config space away from power-on in every writable field.
fn rich_config(m: &mut Card, ports: Ports) {
    let _ = cfg_write(m, PCI_BAR0, 4, 0xc000);
    if ports == Ports::Two {
        let _ = cfg_write(m, PCI_BAR1, 4, 0xffff_ffff);
    }
    let _ = cfg_write(m, PCI_INTERRUPT_LINE, 1, 0x0a);
    let _ = cfg_write(m, PCI_MSI_ADDRESS, 4, 0xfee0_1004);
    let _ = cfg_write(m, PCI_MSI_DATA, 2, 0x4041);
    let _ = cfg_write(m, PCI_MSI_FLAGS, 2, 0x0001);
    let _ = cfg_write(m, PCI_COMMAND, 2, COMMAND_IO | COMMAND_MASTER);
}

/// A card in a rich state with `index` active (INTx: fired and masked).
fn rich_card_with(ports: Ports, index: Option<IrqIndex>) -> Card {
    let mut m = card(ports);
    if let Some(index) = index {
        assert_eq!(m.irq_enable(index), Ok(None));
    }
    rich_config(&mut m, ports);
    rich_fifo_port(&mut m, BAR0);
    if ports == Ports::Two {
        rich_16450_port(&mut m, BAR1);
    }
    m
}

fn rich_card(ports: Ports) -> Card {
    rich_card_with(ports, INTX)
}

/// Another state: INTx active and unmasked, a few bytes received, some
/// config written.  Error cases load into this card, so that a partly
/// applied payload would show.
fn other_card(ports: Ports) -> Card {
    let mut m = card(ports);
    assert_eq!(m.irq_enable(IrqIndex::Intx), Ok(None));
    let _ = cfg_write(&mut m, PCI_BAR0, 4, 0xe000);
    let _ = cfg_write(&mut m, PCI_INTERRUPT_LINE, 1, 0x05);
    for &bar in bars(ports) {
        enable_fifo(&mut m, bar, FCR_TRIGGER_4);
        let _ = outb(&mut m, bar, SCR, 0x33);
        for b in b"hey" {
            let _ = outb(&mut m, bar, TX, *b);
        }
        let _ = outb(&mut m, bar, MCR, MCR_LOOP);
    }
    m
}

/// A long, fixed sequence of accesses and IRQ operations on `m`, with
/// every result: first each register of each port and all of config
/// space, then `steps` pseudo-random operations from `seed`.
fn exercise(m: &mut Card, seed: u64, steps: usize) -> Vec<String> {
    let ports = m.ports();
    let mut log = Vec::new();
    log.push(format!("active {:?}", m.irq_active()));
    for offset in (0..256).step_by(4) {
        let mut buf = [0u8; 4];
        let r = m.read(CONFIG, offset, &mut buf);
        log.push(format!("cfg {offset:#x}: {buf:02x?} {r:?}"));
    }
    for &bar in bars(ports) {
        for reg in [IIR, LSR, MSR, IER, LCR, MCR, SCR, IIR, LSR, MSR] {
            log.push(format!("BAR{bar:?} {reg}: {:?}", inb_irq(m, bar, reg)));
        }
        let lcr = inb(m, bar, LCR);
        log.push(format!(
            "BAR{bar:?} DLAB {:?}",
            outb(m, bar, LCR, lcr | LCR_DLAB)
        ));
        log.push(format!("BAR{bar:?} DLL {:?}", inb_irq(m, bar, DLL)));
        log.push(format!("BAR{bar:?} DLM {:?}", inb_irq(m, bar, DLM)));
        log.push(format!(
            "BAR{bar:?} !DLAB {:?}",
            outb(m, bar, LCR, lcr & !LCR_DLAB)
        ));
        for _ in 0..17 {
            log.push(format!("BAR{bar:?} IIR {:?}", inb_irq(m, bar, IIR)));
            log.push(format!("BAR{bar:?} LSR {:?}", inb_irq(m, bar, LSR)));
            log.push(format!("BAR{bar:?} RX {:?}", inb_irq(m, bar, RX)));
            log.push(format!("BAR{bar:?} MSR {:?}", inb_irq(m, bar, MSR)));
        }
        log.push(format!("BAR{bar:?} LCR {:?}", outb(m, bar, LCR, lcr)));
    }
    let mut rng = Rng(seed);
    for step in 0..steps {
        let bar = *bars(ports).get(rng.below(ports.count())).unwrap();
        let entry = match rng.below(20) {
            0..=5 => {
                let reg = rng.below(8) as u64;
                format!("in {bar:?} {reg}: {:?}", inb_irq(m, bar, reg))
            }
            6 => {
                let len = [2, 4][rng.below(2)];
                let offset = (rng.below(8 / len) * len) as u64;
                let mut buf = [0u8; 4];
                let r = m.read(bar, offset, &mut buf[..len]);
                format!("in{len} {bar:?} {offset}: {buf:02x?} {r:?}")
            }
            7..=11 => {
                let reg = rng.below(8) as u64;
                // TX more often, to fill and overrun the FIFOs.
                let reg = if rng.below(3) == 0 { TX } else { reg };
                let value = rng.byte();
                format!(
                    "out {bar:?} {reg} {value:#x}: {:?}",
                    outb(m, bar, reg, value)
                )
            }
            12 => {
                let offset = (rng.below(64) * 4) as u64;
                format!("cfg {offset:#x}: {:#x}", cfg_read(m, offset, 4))
            }
            13 => {
                let (offset, len, value) = match rng.below(4) {
                    // Mostly with I/O Space on, so the UARTs stay reachable.
                    0 => {
                        let io = u32::from(rng.below(4) != 0);
                        let bits = rng.next() as u32 & (COMMAND_MASTER | COMMAND_INTX_DISABLE);
                        (PCI_COMMAND, 2, io | bits)
                    }
                    1 => (PCI_INTERRUPT_LINE, 1, rng.byte().into()),
                    2 => (PCI_MSI_DATA, 2, rng.next() as u32),
                    _ => (PCI_BAR0, 4, rng.next() as u32),
                };
                format!(
                    "cfgw {offset:#x} {value:#x}: {:?}",
                    cfg_write(m, offset, len, value)
                )
            }
            14 | 15 => format!("unmask: {:?}", m.irq_unmask(IrqIndex::Intx)),
            16 => format!("mask: {:?}", m.irq_mask(IrqIndex::Intx)),
            17 => {
                let index = rng.index();
                format!("trigger {index:?}: {:?}", m.irq_trigger(index))
            }
            18 => {
                let (off, on) = (rng.index(), rng.index());
                let disabled = m.irq_disable(off);
                format!("swap {off:?} {on:?}: {disabled:?} {:?}", m.irq_enable(on))
            }
            _ => {
                if rng.below(10) == 0 {
                    m.reset();
                    "reset".to_string()
                } else {
                    format!("active {:?}", m.irq_active())
                }
            }
        };
        log.push(format!("{step}: {entry}"));
    }
    log.push(format!("active {:?}", m.irq_active()));
    log
}

/// `a` and `b` behave identically from now on.
fn assert_same_behaviour(a: &mut Card, b: &mut Card, what: &str) {
    for seed in [0x9e37_79b9_7f4a_7c15, 0x2545_f491_4f6c_dd1d] {
        let (la, lb) = (exercise(a, seed, 600), exercise(b, seed, 600));
        for (i, (x, y)) in la.iter().zip(&lb).enumerate() {
            assert_eq!(x, y, "{what}: entry {i}");
        }
        assert_eq!(la.len(), lb.len(), "{what}");
    }
}

/// Loads `payload` into a card built by `target`, expects `expected`,
/// and checks the outcome: on error the card equals an untouched twin;
/// on success it saves `payload` back, with its own IRQ bytes if its
/// active index is not the payload's.
fn check_load(
    target: fn(Ports) -> Card,
    ports: Ports,
    payload: &[u8],
    expected: Result<(), StateError>,
    what: &str,
) {
    let mut m = target(ports);
    let mut twin = target(ports);
    let before = save(&m);
    assert_eq!(m.load(payload), expected, "{what}");
    if expected.is_err() {
        assert_eq!(save(&m), before, "{what}: saved state changed");
        assert_same_behaviour(&mut m, &mut twin, what);
        return;
    }
    let mut want = payload.to_vec();
    if before[IRQ_AT] != payload[IRQ_AT] {
        want[IRQ_AT..UARTS_AT].copy_from_slice(&before[IRQ_AT..UARTS_AT]);
    }
    assert_eq!(save(&m), want, "{what}: not canonical");
}

#[test]
fn payload_sizes() {
    assert_eq!(STATE_MAX, SIZE_TWO);
    assert_eq!(card(Ports::One).state_size(), SIZE_ONE);
    assert_eq!(card(Ports::Two).state_size(), SIZE_TWO);
    for ports in [Ports::One, Ports::Two] {
        let m = rich_card(ports);
        let n = size(ports);
        let mut short = vec![0xee; n - 1];
        assert_eq!(m.save(&mut short), None, "{ports:?}: one byte short");
        assert!(short.iter().all(|&b| b == 0xee), "nothing written");
        assert_eq!(m.save(&mut []), None);
        let mut long = vec![0xee; n + 5];
        assert_eq!(m.save(&mut long), Some(n));
        assert_eq!(&long[n..], &[0xee; 5], "{ports:?}: only n bytes written");
        assert_eq!(&long[..n], &save(&m)[..]);
    }
}

#[test]
fn payload_layout() {
    for ports in [Ports::One, Ports::Two] {
        let m = &mut rich_card(ports);
        let p = save(m);
        assert_eq!(p.len(), size(ports));
        assert_eq!(&p[0..4], &[0x52, 0x4d, 0x54, 0x59], "magic");
        assert_eq!(&p[VERSION_AT..VERSION_AT + 2], &[1, 0], "version");
        assert_eq!(p[PORTS_AT], ports.count() as u8);
        assert_eq!(p[RESERVED_AT], 0);
        // Config space as read, without the interrupt status bit.
        assert!(status_interrupt(m));
        for offset in (0..256).step_by(4) {
            let mut word = cfg_read(m, offset as u64, 4);
            if offset == 4 {
                word &= !(STATUS_INTERRUPT << 16);
            }
            let stored = &p[CONFIG_AT + offset..CONFIG_AT + offset + 4];
            assert_eq!(stored, word.to_le_bytes(), "config {offset:#x}");
        }
        assert_eq!(&p[CONFIG_AT + 0x10..CONFIG_AT + 0x14], &[0x01, 0xc0, 0, 0]);
        assert_eq!(&p[IRQ_AT..UARTS_AT], &[1, 1], "INTx active, masked");
        // Port 0: the FIFO normalised, oldest byte first.
        let b0 = &p[at(0, 0)..at(0, BLOCK)];
        assert_eq!(&b0[B_RX..B_RX + 12], b"bcdefghijklm");
        assert_eq!(&b0[B_RX + 12..B_RX + 16], &[0; 4]);
        assert_eq!(b0[B_COUNT], 12);
        assert_eq!(b0[B_IER], 0x0f);
        assert_eq!(b0[B_LCR], 0x1b);
        assert_eq!(b0[B_MCR], MCR_OUT2 | MCR_DTR | MCR_RTS);
        assert_eq!(b0[B_SCR], 0x5a);
        assert_eq!((b0[B_DLL], b0[B_DLM]), (0x0c, 0x01));
        assert_eq!((b0[B_FIFO], b0[B_TRIGGER]), (1, 8));
        assert_eq!((b0[B_OVERRUN], b0[B_THRE]), (1, 1));
        assert_eq!(b0[B_LINES], MSR_DCD | MSR_DSR | MSR_CTS);
        assert_eq!(b0[B_DELTAS], MSR_TERI | MSR_DDCD);
        assert_eq!(&b0[B_RESERVED..], &[0; 3]);
        if ports == Ports::Two {
            let b1 = &p[at(1, 0)..at(1, BLOCK)];
            assert_eq!(&b1[B_RX..B_RX + 16], b"y\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
            assert_eq!(b1[B_COUNT], 1);
            assert_eq!((b1[B_FIFO], b1[B_TRIGGER]), (0, 1));
            assert_eq!((b1[B_OVERRUN], b1[B_THRE]), (1, 1));
            assert_eq!(b1[B_MCR], MCR_AFE | MCR_DTR);
            assert_eq!(b1[B_LINES], MSR_DCD | MSR_DSR, "CTS dropped");
            assert_eq!(b1[B_DELTAS], MSR_DCTS);
            assert_eq!(
                &p[CONFIG_AT + 0x14..CONFIG_AT + 0x18],
                &[0xf9, 0xff, 0xff, 0xff]
            );
        }
    }
}

fn round_trip(ports: Ports, index: Option<IrqIndex>) {
    let what = format!("{ports:?}, {index:?}");
    let mut src = rich_card_with(ports, index);
    let payload = save(&src);
    let mut dst = card(ports);
    if let Some(index) = index {
        assert_eq!(dst.irq_enable(index), Ok(None));
    }
    assert_eq!(dst.load(&payload), Ok(()), "{what}");
    assert_eq!(save(&dst), payload, "{what}");
    assert_eq!(dst.irq_active(), index);
    assert_same_behaviour(&mut src, &mut dst, &what);
}

/// A loaded INTx that fired and is still asserted is announced once when
/// the destination runs; nothing for MSI, nothing once the line is low or
/// unmasked.
#[test]
fn resumed_announces_a_masked_asserted_intx() {
    for ports in [Ports::One, Ports::Two] {
        let mut src = rich_card_with(ports, INTX);
        assert_eq!(src.resumed(), INTX, "{ports:?}: rich card, INTx");
        let mut dst = card(ports);
        assert_eq!(dst.irq_enable(IrqIndex::Intx), Ok(None));
        assert_eq!(dst.resumed(), None, "{ports:?}: before the load");
        assert_eq!(dst.load(&save(&src)), Ok(()));
        assert_eq!(dst.resumed(), INTX, "{ports:?}: after the load");
        // Announcing does not unmask: the user's unmask fires it again.
        assert_eq!(dst.resumed(), INTX, "{ports:?}: asked twice");
        assert_eq!(dst.irq_unmask(IrqIndex::Intx), Ok(INTX));

        let mut msi = rich_card_with(ports, Some(IrqIndex::Msi));
        assert_eq!(msi.resumed(), None, "{ports:?}: MSI");
        assert_eq!(other_card(ports).resumed(), None, "{ports:?}: unmasked");
    }
    // Masked with the line low: nothing to announce.
    let mut m = card(Ports::One);
    assert_eq!(m.irq_enable(IrqIndex::Intx), Ok(None));
    assert_eq!(m.irq_mask(IrqIndex::Intx), Ok(()));
    assert_eq!(m.resumed(), None);
}

#[test]
fn round_trip_one_port() {
    round_trip(Ports::One, INTX);
    round_trip(Ports::One, MSI);
    round_trip(Ports::One, None);
}

#[test]
fn round_trip_two_ports() {
    round_trip(Ports::Two, INTX);
    round_trip(Ports::Two, MSI);
    round_trip(Ports::Two, None);
}

#[test]
fn round_trip_of_a_card_at_power_on() {
    for ports in [Ports::One, Ports::Two] {
        let mut src = card(ports);
        let mut dst = other_card(ports);
        assert_eq!(dst.irq_disable(IrqIndex::Intx), Ok(()));
        assert_eq!(dst.load(&save(&src)), Ok(()));
        assert_eq!(save(&dst), save(&src));
        assert_same_behaviour(&mut src, &mut dst, "power-on");
    }
}

#[test]
fn save_has_no_side_effects() {
    for ports in [Ports::One, Ports::Two] {
        let mut saved = rich_card(ports);
        let mut twin = rich_card(ports);
        let first = save(&saved);
        assert_eq!(save(&saved), first, "{ports:?}: same bytes twice");
        assert_same_behaviour(&mut saved, &mut twin, "after save");
    }
}

#[test]
fn load_of_a_saved_card_into_itself_changes_nothing() {
    let mut m = rich_card(Ports::Two);
    let mut twin = rich_card(Ports::Two);
    assert_eq!(m.load(&save(&twin)), Ok(()));
    assert_same_behaviour(&mut m, &mut twin, "self load");
}

#[test]
fn bad_magic() {
    for ports in [Ports::One, Ports::Two] {
        let good = save(&rich_card(ports));
        for (i, what) in ["magic 0", "magic 1", "magic 2", "magic 3"]
            .iter()
            .enumerate()
        {
            let mut p = good.clone();
            p[i] ^= 0x20;
            check_load(other_card, ports, &p, Err(StateError::BadMagic), what);
        }
        let mut p = good.clone();
        p[..4].copy_from_slice(b"MTTY");
        check_load(other_card, ports, &p, Err(StateError::BadMagic), "MTTY");
        // The magic is checked before the length.
        check_load(
            other_card,
            ports,
            &p[..8],
            Err(StateError::BadMagic),
            "short",
        );
    }
}

#[test]
fn bad_version() {
    for ports in [Ports::One, Ports::Two] {
        let good = save(&rich_card(ports));
        for version in [0u16, 2, 0x0100, 0xffff] {
            let mut p = good.clone();
            p[VERSION_AT..VERSION_AT + 2].copy_from_slice(&version.to_le_bytes());
            let what = format!("version {version:#x}");
            check_load(other_card, ports, &p, Err(StateError::BadVersion), &what);
        }
    }
}

#[test]
fn wrong_type() {
    let one = save(&rich_card(Ports::One));
    let two = save(&rich_card(Ports::Two));
    check_load(
        other_card,
        Ports::Two,
        &one,
        Err(StateError::WrongType),
        "1 into 2",
    );
    check_load(
        other_card,
        Ports::One,
        &two,
        Err(StateError::WrongType),
        "2 into 1",
    );
    for (ports, good) in [(Ports::One, &one), (Ports::Two, &two)] {
        for value in [0u8, 3, 0x81, 0xff] {
            let mut p = good.clone();
            p[PORTS_AT] = value;
            let what = format!("ports byte {value}");
            check_load(other_card, ports, &p, Err(StateError::WrongType), &what);
        }
    }
}

#[test]
fn bad_length() {
    for ports in [Ports::One, Ports::Two] {
        let good = save(&rich_card(ports));
        let n = good.len();
        let mut extended = good.clone();
        extended.push(0);
        check_load(
            other_card,
            ports,
            &extended,
            Err(StateError::BadLength),
            "n + 1",
        );
        check_load(
            other_card,
            ports,
            &good[..n - 1],
            Err(StateError::BadLength),
            "n - 1",
        );
        for len in [0, 1, 4, 7, 8, IRQ_AT, UARTS_AT, n - BLOCK] {
            let what = format!("{len} bytes");
            check_load(
                other_card,
                ports,
                &good[..len],
                Err(StateError::BadLength),
                &what,
            );
        }
        let mut doubled = good.clone();
        doubled.extend_from_slice(&good);
        check_load(
            other_card,
            ports,
            &doubled,
            Err(StateError::BadLength),
            "twice",
        );
    }
}

/// Whether bit `bit` of config byte `offset` is writable (the table of the
/// module documentation and `config.rs`).
fn config_bit_writable(ports: Ports, offset: usize, bit: u8) -> bool {
    let mask: u8 = match offset {
        0x04 => 0x05,
        0x05 => 0x04,
        0x10 => 0xf8,
        0x11..=0x13 => 0xff,
        0x14 if ports == Ports::Two => 0xf8,
        0x15..=0x17 if ports == Ports::Two => 0xff,
        0x3c => 0xff,
        0x82 => 0x01,
        0x84 => 0xfc,
        0x85..=0x87 => 0xff,
        0x88 | 0x89 => 0xff,
        _ => 0,
    };
    mask & bit != 0
}

#[test]
fn config_read_only_bits() {
    // Every bit of config space, flipped alone.  The payload has INTx
    // masked, so no flip can make INTx "active, unmasked and asserted".
    for ports in [Ports::One, Ports::Two] {
        let good = save(&rich_card(ports));
        let mut accepted = 0;
        for offset in 0..256 {
            for shift in 0..8 {
                let bit = 1u8 << shift;
                let mut p = good.clone();
                p[CONFIG_AT + offset] ^= bit;
                let expected = if config_bit_writable(ports, offset, bit) {
                    accepted += 1;
                    Ok(())
                } else {
                    Err(StateError::Inconsistent)
                };
                let what = format!("{ports:?}: config {offset:#04x} bit {shift}");
                let mut m = other_card(ports);
                let before = save(&m);
                assert_eq!(m.load(&p), expected, "{what}");
                let after = save(&m);
                match expected {
                    Ok(()) => assert_eq!(after[CONFIG_AT..IRQ_AT], p[CONFIG_AT..IRQ_AT], "{what}"),
                    Err(_) => assert_eq!(after, before, "{what}: changed"),
                }
            }
        }
        // Command 3, BAR 29 each, Interrupt Line 8, MSI 1 + 30 + 16.
        let writable_bits = if ports == Ports::One { 87 } else { 116 };
        assert_eq!(accepted, writable_bits);
        // The twin check, for a few of them.
        for (offset, bit) in [
            (0x00, 0x01),
            (0x06, 0x08),
            (0x10, 0x01),
            (0x34, 0x80),
            (0x83, 0x01),
        ] {
            let mut p = good.clone();
            p[CONFIG_AT + offset] ^= bit;
            let what = format!("config {offset:#x}");
            check_load(other_card, ports, &p, Err(StateError::Inconsistent), &what);
        }
    }
}

/// A mutation of a valid payload and what `load` must say.
type Case = (&'static str, fn(&mut [u8]), Result<(), StateError>);

const INCONSISTENT: Result<(), StateError> = Err(StateError::Inconsistent);

/// Header and IRQ bytes.
const HEADER_AND_IRQ_CASES: &[Case] = &[
    ("reserved header byte", |p| p[RESERVED_AT] = 1, INCONSISTENT),
    (
        "reserved header byte 0x80",
        |p| p[RESERVED_AT] = 0x80,
        INCONSISTENT,
    ),
    ("active index 3", |p| p[IRQ_AT] = 3, INCONSISTENT),
    ("active index 0xff", |p| p[IRQ_AT] = 0xff, INCONSISTENT),
    ("masked 2", |p| p[MASKED_AT] = 2, INCONSISTENT),
    ("masked 0xff", |p| p[MASKED_AT] = 0xff, INCONSISTENT),
    ("masked without an index", |p| p[IRQ_AT] = 0, INCONSISTENT),
    ("masked with MSI", |p| p[IRQ_AT] = 2, INCONSISTENT),
    (
        "no index",
        |p| p[IRQ_AT..UARTS_AT].copy_from_slice(&[0, 0]),
        Ok(()),
    ),
    (
        "MSI",
        |p| p[IRQ_AT..UARTS_AT].copy_from_slice(&[2, 0]),
        Ok(()),
    ),
    // The rich card asserts INTx: unmasked, the model would have fired.
    (
        "INTx unmasked while asserted",
        |p| p[MASKED_AT] = 0,
        INCONSISTENT,
    ),
    (
        "INTx unmasked, Interrupt Disable set",
        |p| {
            p[MASKED_AT] = 0;
            p[CONFIG_AT + 5] |= 0x04;
        },
        Ok(()),
    ),
    (
        "INTx unmasked, no source enabled",
        |p| {
            p[MASKED_AT] = 0;
            p[at(0, B_IER)] = 0;
            if p.len() == SIZE_TWO {
                p[at(1, B_IER)] = 0;
            }
        },
        Ok(()),
    ),
];

/// Port 0's block: FIFOs on, trigger 8, 12 bytes, no loopback, no AFE.
const UART_CASES: &[Case] = &[
    ("reserved byte 29", |p| p[at(0, 29)] = 1, INCONSISTENT),
    ("reserved byte 30", |p| p[at(0, 30)] = 0x40, INCONSISTENT),
    ("reserved byte 31", |p| p[at(0, 31)] = 0xff, INCONSISTENT),
    ("FIFO flag 2", |p| p[at(0, B_FIFO)] = 2, INCONSISTENT),
    ("overrun flag 2", |p| p[at(0, B_OVERRUN)] = 2, INCONSISTENT),
    ("THRE flag 0xff", |p| p[at(0, B_THRE)] = 0xff, INCONSISTENT),
    ("overrun clear", |p| p[at(0, B_OVERRUN)] = 0, Ok(())),
    ("THRE clear", |p| p[at(0, B_THRE)] = 0, Ok(())),
    ("count 17", |p| p[at(0, B_COUNT)] = 17, INCONSISTENT),
    ("count 0xff", |p| p[at(0, B_COUNT)] = 0xff, INCONSISTENT),
    ("count 16", |p| p[at(0, B_COUNT)] = 16, Ok(())),
    (
        "byte past the count",
        |p| p[at(0, B_RX + 15)] = 1,
        INCONSISTENT,
    ),
    (
        "count below the bytes",
        |p| p[at(0, B_COUNT)] = 11,
        INCONSISTENT,
    ),
    (
        "count 0, bytes cleared",
        |p| {
            p[at(0, B_COUNT)] = 0;
            p[at(0, B_RX)..at(0, B_RX + 16)].fill(0);
        },
        Ok(()),
    ),
    ("trigger 0", |p| p[at(0, B_TRIGGER)] = 0, INCONSISTENT),
    ("trigger 2", |p| p[at(0, B_TRIGGER)] = 2, INCONSISTENT),
    ("trigger 15", |p| p[at(0, B_TRIGGER)] = 15, INCONSISTENT),
    ("trigger 16", |p| p[at(0, B_TRIGGER)] = 16, INCONSISTENT),
    ("trigger 1", |p| p[at(0, B_TRIGGER)] = 1, Ok(())),
    ("trigger 4", |p| p[at(0, B_TRIGGER)] = 4, Ok(())),
    ("trigger 14", |p| p[at(0, B_TRIGGER)] = 14, Ok(())),
    ("no FIFO, trigger 8", |p| p[at(0, B_FIFO)] = 0, INCONSISTENT),
    (
        "no FIFO, 12 bytes",
        |p| {
            p[at(0, B_FIFO)] = 0;
            p[at(0, B_TRIGGER)] = 1;
        },
        INCONSISTENT,
    ),
    (
        "no FIFO, 2 bytes",
        |p| {
            p[at(0, B_FIFO)] = 0;
            p[at(0, B_TRIGGER)] = 1;
            p[at(0, B_COUNT)] = 2;
            p[at(0, B_RX + 2)..at(0, B_RX + 16)].fill(0);
        },
        INCONSISTENT,
    ),
    (
        "no FIFO, 1 byte",
        |p| {
            p[at(0, B_FIFO)] = 0;
            p[at(0, B_TRIGGER)] = 1;
            p[at(0, B_COUNT)] = 1;
            p[at(0, B_RX + 1)..at(0, B_RX + 16)].fill(0);
        },
        Ok(()),
    ),
    (
        "no FIFO, trigger 4",
        |p| {
            p[at(0, B_FIFO)] = 0;
            p[at(0, B_TRIGGER)] = 4;
            p[at(0, B_COUNT)] = 1;
            p[at(0, B_RX + 1)..at(0, B_RX + 16)].fill(0);
        },
        INCONSISTENT,
    ),
    ("IER bit 4", |p| p[at(0, B_IER)] = 0x1f, INCONSISTENT),
    ("IER bit 7", |p| p[at(0, B_IER)] = 0x80, INCONSISTENT),
    ("IER 0", |p| p[at(0, B_IER)] = 0, Ok(())),
    ("MCR bit 6", |p| p[at(0, B_MCR)] |= 0x40, INCONSISTENT),
    ("MCR bit 7", |p| p[at(0, B_MCR)] |= 0x80, INCONSISTENT),
    ("MCR 0", |p| p[at(0, B_MCR)] = 0, Ok(())),
    ("delta bit 4", |p| p[at(0, B_DELTAS)] = 0x10, INCONSISTENT),
    ("delta bit 7", |p| p[at(0, B_DELTAS)] = 0x8f, INCONSISTENT),
    ("all deltas", |p| p[at(0, B_DELTAS)] = 0x0f, Ok(())),
    ("no delta", |p| p[at(0, B_DELTAS)] = 0, Ok(())),
    (
        "lines without CTS",
        |p| p[at(0, B_LINES)] ^= MSR_CTS,
        INCONSISTENT,
    ),
    (
        "lines with RI",
        |p| p[at(0, B_LINES)] |= MSR_RI,
        INCONSISTENT,
    ),
    (
        "lines with a delta bit",
        |p| p[at(0, B_LINES)] |= 0x01,
        INCONSISTENT,
    ),
    ("lines 0", |p| p[at(0, B_LINES)] = 0, INCONSISTENT),
    // Loopback of DTR, RTS and OUT2 gives the plug's lines; of DTR alone,
    // not.
    (
        "loopback, same lines",
        |p| p[at(0, B_MCR)] |= MCR_LOOP,
        Ok(()),
    ),
    (
        "loopback, lines of the plug",
        |p| p[at(0, B_MCR)] = MCR_LOOP | MCR_DTR,
        INCONSISTENT,
    ),
    (
        "loopback, lines from MCR",
        |p| {
            p[at(0, B_MCR)] = MCR_LOOP | MCR_OUT1 | MCR_RTS;
            p[at(0, B_LINES)] = MSR_RI | MSR_CTS;
        },
        Ok(()),
    ),
    (
        "AFE with a full FIFO, CTS still up",
        |p| {
            p[at(0, B_MCR)] |= MCR_AFE;
            p[at(0, B_COUNT)] = 16;
        },
        INCONSISTENT,
    ),
    (
        "AFE with a full FIFO, CTS down",
        |p| {
            p[at(0, B_MCR)] |= MCR_AFE;
            p[at(0, B_COUNT)] = 16;
            p[at(0, B_LINES)] &= !MSR_CTS;
        },
        Ok(()),
    ),
    (
        "AFE with room, CTS down",
        |p| {
            p[at(0, B_MCR)] |= MCR_AFE;
            p[at(0, B_LINES)] &= !MSR_CTS;
        },
        INCONSISTENT,
    ),
    ("any LCR", |p| p[at(0, B_LCR)] = 0xff, Ok(())),
    ("any SCR", |p| p[at(0, B_SCR)] = 0x00, Ok(())),
    ("any DLL", |p| p[at(0, B_DLL)] = 0xff, Ok(())),
    ("any DLM", |p| p[at(0, B_DLM)] = 0x80, Ok(())),
];

#[test]
fn inconsistent_header_and_irq_bytes() {
    for ports in [Ports::One, Ports::Two] {
        let good = save(&rich_card(ports));
        for &(what, mutate, expected) in HEADER_AND_IRQ_CASES {
            let mut p = good.clone();
            mutate(&mut p);
            check_load(
                other_card,
                ports,
                &p,
                expected,
                &format!("{ports:?}: {what}"),
            );
        }
    }
}

#[test]
fn inconsistent_uart_blocks() {
    for ports in [Ports::One, Ports::Two] {
        let good = save(&rich_card(ports));
        for &(what, mutate, expected) in UART_CASES {
            let mut p = good.clone();
            mutate(&mut p);
            check_load(
                other_card,
                ports,
                &p,
                expected,
                &format!("{ports:?}: {what}"),
            );
            if ports == Ports::Two {
                // The same in port 1's place, on a card whose two ports are
                // both in port 0's state.
                let mut both = good.clone();
                both.copy_within(at(0, 0)..at(0, BLOCK), at(1, 0));
                let mut p = both.clone();
                mutate(&mut p);
                p.copy_within(at(0, 0)..at(0, BLOCK), at(1, 0));
                p[at(0, 0)..at(0, BLOCK)].copy_from_slice(&both[at(0, 0)..at(0, BLOCK)]);
                check_load(other_card, ports, &p, expected, &format!("port 1: {what}"));
            }
        }
    }
}

#[test]
fn the_destination_keeps_its_own_irq_state() {
    for ports in [Ports::One, Ports::Two] {
        // Saved: INTx active and masked, the line asserted.
        let intx = save(&rich_card(ports));

        // MSI active on the destination: stays MSI, edges still come.
        let m = &mut card(ports);
        assert_eq!(m.irq_enable(IrqIndex::Msi), Ok(None));
        assert_eq!(m.load(&intx), Ok(()));
        assert_eq!(m.irq_active(), MSI);
        assert_eq!(&save(m)[IRQ_AT..UARTS_AT], &[2, 0]);
        assert_eq!(m.irq_mask(IrqIndex::Intx), Err(IrqError::NotActive));
        assert_eq!(inb(m, BAR0, IIR) & 0x0f, IIR_RLSI);
        assert_eq!(inb(m, BAR0, LSR) & LSR_OE, LSR_OE);
        for _ in 12..16 {
            assert_eq!(outb(m, BAR0, TX, b'z'), None, "no new source");
        }
        assert_eq!(outb(m, BAR0, TX, b'z'), MSI, "a new overrun: an edge");

        // Nothing active: stays so, nothing is signalled.
        let m = &mut card(ports);
        assert_eq!(m.load(&intx), Ok(()));
        assert_eq!(m.irq_active(), None);
        assert_eq!(&save(m)[IRQ_AT..UARTS_AT], &[0, 0]);
        assert_eq!(outb(m, BAR0, TX, b'z'), None);
        assert!(status_interrupt(m), "the condition came with the UARTs");
        // Enabling INTx now fires at once: the line is asserted.
        assert_eq!(m.irq_enable(IrqIndex::Intx), Ok(INTX));

        // INTx active and unmasked on the destination, saved with no
        // index: INTx stays unmasked, and the asserted line fires it when
        // the card resumes; an access that changes no source has nothing
        // to deliver.
        let none = save(&rich_card_with(ports, None));
        let m = &mut card(ports);
        assert_eq!(m.irq_enable(IrqIndex::Intx), Ok(None));
        assert_eq!(m.load(&none), Ok(()));
        assert_eq!(m.irq_active(), INTX);
        assert_eq!(&save(m)[IRQ_AT..UARTS_AT], &[1, 0]);
        assert_eq!(inb_irq(m, BAR0, SCR), (0x5a, None), "no source changed");
        assert_eq!(m.resumed(), INTX);
        assert_eq!(&save(m)[IRQ_AT..UARTS_AT], &[1, 1], "auto-masked");
        assert_eq!(m.resumed(), INTX, "announced again, as a masked INTx is");
        assert_eq!(inb_irq(m, BAR0, SCR), (0x5a, None));

        // INTx masked on the destination, saved with MSI: stays masked.
        let msi = save(&rich_card_with(ports, MSI));
        let m = &mut card(ports);
        assert_eq!(m.irq_enable(IrqIndex::Intx), Ok(None));
        assert_eq!(m.irq_mask(IrqIndex::Intx), Ok(()));
        assert_eq!(m.load(&msi), Ok(()));
        assert_eq!(&save(m)[IRQ_AT..UARTS_AT], &[1, 1]);
        assert_eq!(m.irq_unmask(IrqIndex::Intx), Ok(INTX), "asserted");

        // INTx on both sides: the saved mask is taken, either way.
        let m = &mut card(ports);
        assert_eq!(m.irq_enable(IrqIndex::Intx), Ok(None));
        assert_eq!(m.load(&intx), Ok(()));
        assert_eq!(&save(m)[IRQ_AT..UARTS_AT], &[1, 1]);
        assert_eq!(outb(m, BAR0, TX, b'z'), None, "masked");
        let mut quiet = card(ports);
        assert_eq!(quiet.irq_enable(IrqIndex::Intx), Ok(None));
        let unmasked = save(&quiet);
        assert_eq!(&unmasked[IRQ_AT..UARTS_AT], &[1, 0]);
        let m = &mut card(ports);
        assert_eq!(m.irq_enable(IrqIndex::Intx), Ok(None));
        assert_eq!(m.irq_mask(IrqIndex::Intx), Ok(()));
        assert_eq!(m.load(&unmasked), Ok(()));
        assert_eq!(&save(m)[IRQ_AT..UARTS_AT], &[1, 0], "unmasked");
        assert_eq!(outb(m, BAR0, IER, IER_THRI), INTX);
    }
}

#[test]
fn fuzzed_payloads() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    for ports in [Ports::One, Ports::Two] {
        let sources = [
            save(&rich_card(ports)),
            save(&rich_card_with(ports, MSI)),
            save(&other_card(ports)),
            save(&card(ports)),
        ];
        let (mut accepted, mut refused) = (0, 0);
        for round in 0..4000 {
            let mut p = sources[rng.below(sources.len())].clone();
            for _ in 0..1 + rng.below(3) {
                // Half of the mutations hit the header, IRQ and UART bytes.
                let offset = if rng.below(2) == 0 {
                    rng.below(p.len())
                } else {
                    match rng.below(3) {
                        0 => rng.below(8),
                        _ => IRQ_AT + rng.below(p.len() - IRQ_AT),
                    }
                };
                match rng.below(4) {
                    0 => p[offset] ^= 1 << rng.below(8),
                    1 => p[offset] = rng.byte(),
                    2 => p[offset] = [0, 1, 2, 4, 8, 14, 16, 0xff][rng.below(8)],
                    _ => p[offset] = p[offset].wrapping_add(1),
                }
            }
            match rng.below(40) {
                0 => p.truncate(rng.below(p.len())),
                1 => p.push(rng.byte()),
                _ => {}
            }
            let mut m = other_card(ports);
            let before = save(&m);
            match m.load(&p) {
                Ok(()) => {
                    accepted += 1;
                    let mut want = p.clone();
                    if before[IRQ_AT] != p[IRQ_AT] {
                        want[IRQ_AT..UARTS_AT].copy_from_slice(&before[IRQ_AT..UARTS_AT]);
                    }
                    assert_eq!(save(&m), want, "round {round}: not canonical");
                    let _ = exercise(&mut m, round + 1, 50);
                }
                Err(e) => {
                    refused += 1;
                    assert_eq!(save(&m), before, "round {round}: {e:?} changed the card");
                    if round % 50 == 0 {
                        let mut twin = other_card(ports);
                        assert_same_behaviour(&mut m, &mut twin, "fuzz");
                    }
                }
            }
        }
        assert!(
            accepted > 100 && refused > 100,
            "{ports:?}: {accepted} accepted, {refused} refused"
        );
    }
}
