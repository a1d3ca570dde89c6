// SPDX-License-Identifier: GPL-2.0

//! The migration payload of a card: [`Card::save`] writes it,
//! [`Card::load`] checks it and applies it.
//!
//! The layout is in the module documentation of `mod.rs` and in
//! `Documentation/migration.rst`.  A payload is canonical: every byte of it
//! is determined by the card's state, so a payload that loads is exactly
//! the one a `save()` of the loaded card writes (except the IRQ bytes when
//! the destination keeps its own IRQ state).

use super::irq::IrqState;
use super::pci::{self, ConfigSpace};
use super::uart::{self, Uart, UartState};
#[cfg(test)]
use super::Card;
use super::{Core, IrqIndex, Ports, StateError};

/// The first four bytes of every payload.
const MAGIC: [u8; 4] = *b"RMTY";
/// The format this code writes, and the only one it reads.
const VERSION: u16 = 1;
/// Magic, version, ports, reserved.
const HEADER_SIZE: usize = 8;
/// Config space follows the header.
const CONFIG_OFFSET: usize = HEADER_SIZE;
/// Active IRQ index and INTx mask follow config space.
const IRQ_OFFSET: usize = CONFIG_OFFSET + pci::CONFIG_SPACE_SIZE;
const IRQ_SIZE: usize = 2;
/// One block per port follows the IRQ state.
const UARTS_OFFSET: usize = IRQ_OFFSET + IRQ_SIZE;
/// The size of one port's block.
const UART_BLOCK_SIZE: usize = 32;
/// A UART block: 16 FIFO bytes, the count, 12 registers and flags, then
/// reserved zeros.
const UART_RESERVED: usize = 3;

/// Payload size of a one-port card.
const STATE_SIZE_ONE: usize = UARTS_OFFSET + UART_BLOCK_SIZE;
/// Payload size of a two-port card.
const STATE_SIZE_TWO: usize = UARTS_OFFSET + Ports::MAX * UART_BLOCK_SIZE;

// The offsets of `Documentation/migration.rst`.
const _: () = assert!(CONFIG_OFFSET == 8 && IRQ_OFFSET == 264 && UARTS_OFFSET == 266);
const _: () = assert!(uart::FIFO_DEPTH + 13 + UART_RESERVED == UART_BLOCK_SIZE);

// Values of the active IRQ index byte.
const IRQ_NONE: u8 = 0;
const IRQ_INTX: u8 = 1;
const IRQ_MSI: u8 = 2;

/// Writes byte slices one after the other into a buffer.
struct Writer<'a>(core::slice::IterMut<'a, u8>);

impl Writer<'_> {
    /// Appends `bytes`; whatever does not fit is dropped (callers size the
    /// buffer first).
    fn put(&mut self, bytes: &[u8]) {
        // `bytes` first: `zip` must not take a slot it has no byte for.
        for (&src, dst) in bytes.iter().zip(&mut self.0) {
            *dst = src;
        }
    }
}

/// Reads bytes one after the other from a buffer.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    /// The next byte.
    fn byte(&mut self) -> Result<u8, StateError> {
        let (&byte, rest) = self.0.split_first().ok_or(StateError::BadLength)?;
        self.0 = rest;
        Ok(byte)
    }
}

/// The payload size of a card with `ports` ports.
pub(super) const fn state_size(ports: Ports) -> usize {
    match ports {
        Ports::One => STATE_SIZE_ONE,
        Ports::Two => STATE_SIZE_TWO,
    }
}

/// The value of the ports byte.
const fn ports_byte(ports: Ports) -> u8 {
    match ports {
        Ports::One => 1,
        Ports::Two => 2,
    }
}

fn irq_byte(active: Option<IrqIndex>) -> u8 {
    match active {
        Some(IrqIndex::Intx) => IRQ_INTX,
        Some(IrqIndex::Msi) => IRQ_MSI,
        // No other index is ever active (`irq::supported`).
        _ => IRQ_NONE,
    }
}

/// A boolean byte: 0 or 1.
fn decode_bool(byte: u8) -> Result<bool, StateError> {
    match byte {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(StateError::Inconsistent),
    }
}

/// The 32-byte block of one UART.
fn encode_uart(state: &UartState) -> [u8; UART_BLOCK_SIZE] {
    let mut block = [0; UART_BLOCK_SIZE];
    let mut w = Writer(block.iter_mut());
    w.put(&state.rx);
    w.put(&[
        state.rx_len,
        state.ier,
        state.lcr,
        state.mcr,
        state.scr,
        state.dll,
        state.dlm,
        u8::from(state.fifo_enabled),
        state.trigger_level,
        u8::from(state.overrun),
        u8::from(state.thre_pending),
        state.modem_lines,
        state.modem_deltas,
    ]);
    // The reserved bytes stay 0.
    block
}

/// The UART of a 32-byte block, fully checked.
fn decode_uart(block: &[u8]) -> Result<Uart, StateError> {
    let mut r = Reader(block);
    let mut rx = [0; uart::FIFO_DEPTH];
    for byte in &mut rx {
        *byte = r.byte()?;
    }
    let state = UartState {
        rx,
        rx_len: r.byte()?,
        ier: r.byte()?,
        lcr: r.byte()?,
        mcr: r.byte()?,
        scr: r.byte()?,
        dll: r.byte()?,
        dlm: r.byte()?,
        fifo_enabled: decode_bool(r.byte()?)?,
        trigger_level: r.byte()?,
        overrun: decode_bool(r.byte()?)?,
        thre_pending: decode_bool(r.byte()?)?,
        modem_lines: r.byte()?,
        modem_deltas: r.byte()?,
    };
    // What is left is reserved.
    if r.0.iter().any(|&byte| byte != 0) {
        return Err(StateError::Inconsistent);
    }
    Uart::from_state(&state).ok_or(StateError::Inconsistent)
}

impl Core {
    /// Size of this card's migration payload.
    pub(crate) fn state_size(&self) -> usize {
        state_size(self.ports)
    }

    /// Writes the migration payload of this card, whose UARTs are `uarts`,
    /// at the start of `out` and returns its length
    /// ([`Core::state_size`]); `None`, with `out` untouched, if `out` is
    /// shorter.  Changes nothing in the card.
    pub(crate) fn save(&self, uarts: [&Uart; Ports::MAX], out: &mut [u8]) -> Option<usize> {
        let size = self.state_size();
        let out = out.get_mut(..size)?;
        let mut w = Writer(out.iter_mut());
        w.put(&MAGIC);
        w.put(&VERSION.to_le_bytes());
        w.put(&[ports_byte(self.ports), 0]);
        w.put(self.config.saved());
        w.put(&[
            irq_byte(self.irq.active()),
            u8::from(self.irq.intx_masked()),
        ]);
        for uart in uarts.iter().take(self.ports.count()) {
            w.put(&encode_uart(&uart.state()));
        }
        Some(size)
    }

    /// Replaces the state of this card, whose UARTs are `uarts`, with
    /// `payload`, which a [`Core::save`] of a card of the same type wrote.
    /// Everything is checked before anything changes: on error the card is
    /// unchanged.  The IRQ state is the destination's: the saved INTx mask
    /// is taken only if this card's active IRQ index is the saved one (see
    /// the module documentation).
    pub(crate) fn load(
        &mut self,
        uarts: [&mut Uart; Ports::MAX],
        payload: &[u8],
    ) -> Result<(), StateError> {
        let header: &[u8; HEADER_SIZE] = payload
            .get(..HEADER_SIZE)
            .and_then(|header| header.try_into().ok())
            .ok_or(StateError::BadLength)?;
        let [m0, m1, m2, m3, v0, v1, ports, reserved] = *header;
        if [m0, m1, m2, m3] != MAGIC {
            return Err(StateError::BadMagic);
        }
        if u16::from_le_bytes([v0, v1]) != VERSION {
            return Err(StateError::BadVersion);
        }
        if ports != ports_byte(self.ports) {
            return Err(StateError::WrongType);
        }
        if payload.len() != self.state_size() {
            return Err(StateError::BadLength);
        }
        if reserved != 0 {
            return Err(StateError::Inconsistent);
        }

        let config: &pci::Space = payload
            .get(CONFIG_OFFSET..IRQ_OFFSET)
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(StateError::BadLength)?;
        let config = ConfigSpace::restore(self.ports, config).ok_or(StateError::Inconsistent)?;

        let irq = payload
            .get(IRQ_OFFSET..UARTS_OFFSET)
            .ok_or(StateError::BadLength)?;
        let (active, intx_masked) = match *irq {
            [IRQ_NONE, masked] => (None, masked),
            [IRQ_INTX, masked] => (Some(IrqIndex::Intx), masked),
            [IRQ_MSI, masked] => (Some(IrqIndex::Msi), masked),
            _ => return Err(StateError::Inconsistent),
        };
        let intx_masked = decode_bool(intx_masked)?;
        if intx_masked && active != Some(IrqIndex::Intx) {
            return Err(StateError::Inconsistent);
        }

        let mut loaded = [Uart::new(), Uart::new()];
        let blocks = payload
            .get(UARTS_OFFSET..)
            .ok_or(StateError::BadLength)?
            .chunks_exact(UART_BLOCK_SIZE);
        // The length check above makes this exactly `ports.count()` blocks.
        for (uart, block) in loaded.iter_mut().zip(blocks) {
            *uart = decode_uart(block)?;
        }

        let restored = Core {
            ports: self.ports,
            config,
            irq: IrqState::new(),
            pending: [loaded[0].pending(), loaded[1].pending()],
        };
        // An active, unmasked INTx with the line asserted is no state: the
        // source fired it and auto-masked it when the line rose.
        if active == Some(IrqIndex::Intx) && !intx_masked && restored.intx_level() {
            return Err(StateError::Inconsistent);
        }

        self.config = restored.config;
        // INVARIANT: the pending sources of the UARTs loaded.
        self.pending = restored.pending;
        for (uart, loaded) in uarts.into_iter().zip(loaded) {
            *uart = loaded;
        }
        self.irq.restore(active, intx_masked);
        Ok(())
    }
}

#[cfg(test)]
impl Card {
    /// [`Core::state_size`].
    pub(crate) fn state_size(&self) -> usize {
        self.core.state_size()
    }

    /// [`Core::save`] with this card's UARTs.
    pub(crate) fn save(&self, out: &mut [u8]) -> Option<usize> {
        self.core.save(self.uarts.each_ref(), out)
    }

    /// [`Core::load`] with this card's UARTs.
    pub(crate) fn load(&mut self, payload: &[u8]) -> Result<(), StateError> {
        // INVARIANT: `Core::load` reports the loaded UARTs' sources.
        self.core.load(self.uarts.each_mut(), payload)
    }
}
