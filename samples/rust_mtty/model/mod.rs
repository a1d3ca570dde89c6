// SPDX-License-Identifier: GPL-2.0

//! Device model of the rust_mtty card: a PCI serial card with one or two
//! 16550A UARTs whose transmitters are looped back to their receivers.
//!
//! C reference: `samples/vfio-mdev/mtty.c`.  This module is plain `core`
//! Rust: no kernel calls, no allocation, no `unsafe`, no panic reachable
//! from guest or user input.  It never signals anything itself: every
//! operation that can raise an interrupt returns the VFIO IRQ index whose
//! eventfd the caller must signal.  The caller serialises all calls (one
//! lock around the [`Card`]) and may signal the eventfd under that lock.
//! The same files build in the kernel crate (`mod model;` in
//! `rust_mtty.rs`) and on the host (`model-tests/`, `cargo test`).
//!
//! # API (everything is `pub(crate)`)
//!
//! `pub(crate)`, not `pub`, because the kernel builds with
//! `-Wunreachable_pub`.  The kernel crate also reports dead code: every item
//! below is either used by the model itself or meant for the glue, and the
//! host tests use all of them.
//!
//! - [`Ports`]: `One` or `Two`, the two mdev types; [`Ports::count`] gives
//!   the number of ports an instance takes from the shared pool.
//! - [`Card::new(ports)`](Card::new): a powered-on card.
//! - [`Region`] and [`IrqIndex`] are the driver's own types, from the VFIO
//!   PCI abstraction (`rust/vfio/pci/index.rs`, plain `core` Rust too): the
//!   VFIO numbers are written in that one place.
//! - [`region_size(ports, region)`](region_size): `0x100` for config
//!   space, 8 for BAR0 (and BAR1 of a two-port card), 0 for every region
//!   the card does not have.  The driver describes these regions to VFIO
//!   (readable and writable; config space also takes runs of dwords), and
//!   the abstraction checks every access against that description before
//!   the model sees it.
//! - [`Card::read(region, offset, buf)`](Card::read) and
//!   [`Card::write(region, offset, data)`](Card::write): one access of
//!   `buf.len()` bytes at `offset` inside `region`.  The length must
//!   be 1, 2 or 4 and `offset` a multiple of it; the access must lie inside
//!   a region of non-zero size.  Otherwise the call changes nothing and
//!   returns an [`AccessError`] (the glue returns `-EINVAL`).  Data is
//!   little-endian, as VFIO presents it.  `Ok(Some(index))`: signal the
//!   eventfd of that IRQ index now.  Reads have side effects (reading RBR
//!   pops the FIFO, IIR acknowledges THRE, LSR clears OE, MSR clears the
//!   deltas), so the glue must not retry or read ahead.
//! - [`access_len(offset, remaining)`](access_len): how the glue cuts a
//!   user read/write of `remaining` bytes at `offset` into valid accesses,
//!   as `mtty_read()` does: 4 if `offset` is 4-aligned and `remaining >= 4`,
//!   else 2 if 2-aligned and `remaining >= 2`, else 1 (0 if `remaining` is
//!   0).  A piece cut this way is always a valid length and alignment.
//!   [`accesses(offset, len)`](accesses) yields the whole sequence of
//!   pieces, each as its offset and its range in the user's buffer.
//! - [`Card::reset`]: `VFIO_DEVICE_RESET`; see "Reset" below.  Cannot raise
//!   an interrupt.
//! - [`irq::supported`]: the interrupt indices the card has, INTx and MSI,
//!   one vector each; INTx is maskable and auto-masked.  Any other index
//!   is [`IrqError::Unsupported`].
//! - `VFIO_DEVICE_SET_IRQS`, after the glue has validated `start == 0` and
//!   `count` (and handled the eventfds, which the model never sees):
//!   - [`Card::irq_enable(index)`](Card::irq_enable): an eventfd was set for
//!     `index` (ACTION_TRIGGER, DATA_EVENTFD, fd >= 0).  Fails with
//!     [`IrqError::Busy`] if the other index is active.  Enabling the active
//!     index again (eventfd swap) keeps its state.  Enabling INTx while the
//!     line is asserted returns `Some(Intx)`, as real hardware would fire.
//!   - [`Card::irq_disable(index)`](Card::irq_disable): the eventfd was
//!     removed (count 0 with DATA_NONE, or fd -1).  [`IrqError::NotActive`]
//!     if `index` is not the active index.
//!   - [`Card::irq_mask(index)`](Card::irq_mask) /
//!     [`Card::irq_unmask(index)`](Card::irq_unmask): ACTION_MASK/UNMASK with
//!     DATA_NONE or a true DATA_BOOL.  INTx only ([`IrqError::Unsupported`]
//!     for MSI: `-ENOTTY`), and only while INTx is active
//!     ([`IrqError::NotActive`]).  Unmasking while the interrupt condition
//!     still holds returns `Some(Intx)` (level-triggered re-fire).
//!   - [`Card::irq_trigger(index)`](Card::irq_trigger): ACTION_TRIGGER with
//!     DATA_NONE or a true DATA_BOOL (loopback test): `Some(index)` if
//!     `index` is active, whatever the mask, as vfio-pci does; the mask
//!     state is not changed.  [`IrqError::NotActive`] otherwise.
//!   - [`Card::irq_active`]: the active index, if any.
//! - Migration (`VFIO_MIGRATION_STOP_COPY`), see "Migration" below:
//!   - [`STATE_MAX`]: the largest payload of any card (330 bytes, two
//!     ports), for `Operations::MIGRATION_STATE_MAX`.
//!   - [`Card::state_size`]: the payload size of this card (298 bytes for
//!     one port, 330 for two).
//!   - [`Card::save(out)`](Card::save): writes the payload at the start of
//!     `out` and returns its length, `None` (nothing written) if `out` is
//!     shorter than [`Card::state_size`].  No side effect: the card is not
//!     changed (no FIFO pop, no acknowledgement), so a pre-copy save may
//!     run while the device runs.
//!   - [`Card::load(payload)`](Card::load): replaces the card's state with
//!     `payload`.  Checks everything first: on any [`StateError`] the card
//!     is unchanged.  Cannot raise an interrupt.
//! - [`AccessError`], [`IrqError`] and [`StateError`]: `-EINVAL`, except
//!   [`IrqError::Unsupported`]: `-ENOTTY`.
//!
//! # Interrupt delivery
//!
//! The card has one interrupt condition: some enabled source (IER) of some
//! port is pending.  Status bit 3 (Interrupt Status) of config space shows
//! it.  INTx is level-triggered: while the condition holds, INTx is not
//! masked and Command bit 10 (Interrupt Disable) is clear, the model
//! returns `Some(Intx)` once and masks INTx (VFIO auto-masking); the user
//! unmasks it after handling it, and the model fires again at that point
//! if the condition still holds.  MSI is edge-triggered: any access that
//! makes a source pending that was not pending before returns `Some(Msi)`.
//! MSI delivery does not depend on the MSI Enable bit or Bus Master Enable:
//! with VFIO the user chooses the delivery by the active IRQ index (QEMU
//! virtualises the MSI capability), as with mtty.
//!
//! # Config space
//!
//! As mtty: 4348:3253, subsystem 4348:3253, revision 0x10, class 0x070002
//! (16550-compatible serial), interrupt pin INTA, BAR0 (BAR1 for two ports)
//! an 8-byte I/O BAR, all other BARs and the expansion ROM absent (read 0),
//! mtty's vendor-specific bytes at 0x40..0x6f.  Added: an MSI capability
//! (32-bit address, one vector, no per-vector mask) at 0x80, so a guest
//! can choose MSI.  Writable: Command bits I/O Space, Bus Master and
//! Interrupt Disable (mtty drops Command writes); BAR address bits (writing
//! all ones reads back the size mask `0xfffffff9`); Interrupt Line; MSI
//! Enable, Message Address and Message Data.  Every other bit is read-only
//! and writes to it are ignored.  Command powers on as 0x0001 (I/O Space
//! enabled), as mtty, so a VFIO user can use the BARs without programming
//! config space first.  While I/O Space is disabled, BAR reads return 0xff
//! for every byte and BAR writes are ignored (a master abort on real
//! hardware); both still succeed.
//!
//! # UART
//!
//! Each BAR is one 16550A: RBR/THR, IER, IIR/FCR, LCR, MCR, LSR, MSR, SCR,
//! and DLL/DLM when LCR.DLAB is set.  A 2- or 4-byte BAR access is a
//! sequence of byte accesses to consecutive registers, lowest first.  Bytes
//! written to THR are transmitted at once into the port's own receive FIFO
//! (16 bytes with FCR.0 set, 1 byte without, as on a 16550A: FIFOs are off
//! at power-on, unlike mtty which starts with 16); a byte that finds the
//! FIFO full is lost and sets LSR.OE (in non-FIFO mode it overwrites RBR).
//! IIR reports, in 16550 priority order: receiver line status (OE, until
//! LSR is read), received data (code 0x04 at or above the FCR trigger
//! level, else the character timeout 0x0c at once: the model has no clock,
//! so the timeout is immediate), THR empty (armed by raising IER.THRI and
//! by every THR write, cleared by reading IIR while it is the reported
//! source or by clearing IER.THRI), modem status (MSR delta bits, until MSR
//! is read).  IIR bits 7:6 read 11 when the FIFOs are enabled.  MSR: with
//! MCR.LOOP set, CTS/DSR/RI/DCD follow RTS/DTR/OUT1/OUT2; without, the
//! lines are those of an always-ready loopback plug: DSR and DCD set, CTS
//! set unless MCR bit 5 (auto flow control, kept from mtty) is set and the
//! receive FIFO is full.  The interrupt line is not gated by MCR.OUT2 (a
//! PCI card has no ISA OUT2 gate; mtty does not gate either).
//!
//! # Reset
//!
//! [`Card::reset`] returns every UART to its power-on state (FIFOs emptied,
//! no pending source, divisor latch 0).  Config space and the VFIO IRQ
//! state are kept: VFIO_DEVICE_RESET of vfio-pci is `pci_reset_function()`,
//! which saves and restores config space around the function reset, and
//! leaves the IRQ setup to the user (QEMU disables it before resetting and
//! re-programs Command and BARs afterwards).  With every source cleared the
//! interrupt condition is gone, so a masked INTx stays quiet when unmasked.
//!
//! # Migration
//!
//! The payload (`state.rs`, format version 1, all fields little-endian; the
//! same tables are in `Documentation/migration.rst`):
//!
//! | offset | size   | field |
//! |--------|--------|-------|
//! | 0      | 4      | magic `RMTY` (`52 4d 54 59`) |
//! | 4      | 2      | format version, 1 |
//! | 6      | 1      | ports: 1 or 2 |
//! | 7      | 1      | reserved, 0 |
//! | 8      | 256    | config space as stored: what the guest wrote, without Status bit 3 |
//! | 264    | 1      | active VFIO IRQ index: 0 none, 1 INTx, 2 MSI |
//! | 265    | 1      | INTx masked: 0 or 1 |
//! | 266    | 32 * n | one UART block per port, BAR0's first |
//!
//! A UART block:
//!
//! | offset | size | field |
//! |--------|------|-------|
//! | 0      | 16   | receive FIFO, oldest byte first; 0 past the count |
//! | 16     | 1    | bytes in the receive FIFO: 0..=16 with FIFOs, 0..=1 without |
//! | 17     | 1    | IER (bits 3:0) |
//! | 18     | 1    | LCR |
//! | 19     | 1    | MCR (bits 5:0) |
//! | 20     | 1    | SCR |
//! | 21     | 1    | DLL |
//! | 22     | 1    | DLM |
//! | 23     | 1    | FIFOs enabled (FCR.0): 0 or 1 |
//! | 24     | 1    | receive trigger level: 1, 4, 8 or 14 with FIFOs, 1 without |
//! | 25     | 1    | LSR.OE pending: 0 or 1 |
//! | 26     | 1    | THR empty interrupt armed: 0 or 1 |
//! | 27     | 1    | modem input lines (MSR bits 7:4) as last sampled |
//! | 28     | 1    | MSR delta bits (3:0) not yet read |
//! | 29     | 3    | reserved, 0 |
//!
//! Every byte of a payload is determined by the card's state (the FIFO is
//! stored from its oldest byte, unused bytes are 0), so a payload that
//! loads is the one a [`Card::save`] of the loaded card writes, and a card
//! restored from a payload answers every register read and raises every
//! interrupt exactly as the saved card would have.  [`Card::load`] checks,
//! in this order: the magic ([`StateError::BadMagic`]), the version
//! ([`StateError::BadVersion`]), the ports byte against the card's own
//! ([`StateError::WrongType`]), the length, which must be exactly
//! [`Card::state_size`] ([`StateError::BadLength`]; so is a payload
//! shorter than the 8-byte header), then that no card can be in any other
//! state ([`StateError::Inconsistent`]): a non-zero reserved byte; a config
//! byte whose read-only bits differ from this card type's power-on value;
//! an IRQ index byte above 2, a mask byte above 1, or INTx masked while
//! INTx is not the active index; INTx active, unmasked and asserted (the
//! model would have fired and auto-masked it); in a UART block, a flag
//! byte other than 0 or 1, a count or a trigger level out of range, a
//! non-zero FIFO byte past the count, IER, MCR or delta bits a 16550A does
//! not have, or modem lines other than those the restored MCR and FIFO
//! give (the model samples them after every access).
//!
//! The IRQ state is not the payload's.  The active index and its eventfds
//! belong to the VFIO user, which sets them up on the destination with
//! `VFIO_DEVICE_SET_IRQS` before and after resuming (as QEMU does), so
//! [`Card::load`] never changes the destination's active index, and takes
//! the saved INTx mask only if the destination's active index equals the
//! saved one (which matters for INTx only: with MSI or no index active,
//! INTx is unmasked on both sides); otherwise the destination's IRQ state
//! stays exactly as it is.  The saved index is still checked.  If the
//! destination keeps an active, unmasked INTx while the restored card
//! asserts the line, INTx fires at the next BAR access, config write or
//! unmask, as level-triggered delivery does.  Config space and the UARTs
//! are always the payload's; Status bit 3 follows the restored UARTs.

#![forbid(unsafe_code)]
#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented,
    clippy::cast_possible_truncation
)]

mod irq;
mod pci;
mod state;
mod uart;

pub(crate) use crate::vfio_pci::{IrqIndex, Region};
pub(crate) use irq::IrqError;

use core::ops::Range;

use irq::IrqState;
use pci::ConfigSpace;
pub(crate) use uart::Uart;

/// What a read of a BAR returns while I/O Space is disabled (master abort).
const MASTER_ABORT: u8 = 0xff;

/// The card's variant: how many serial ports (and I/O BARs) it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ports {
    /// One port, on BAR0 (mdev type `rust_mtty-1`).
    One,
    /// Two ports, on BAR0 and BAR1 (mdev type `rust_mtty-2`).
    Two,
}

impl Ports {
    /// The most ports a card has.
    const MAX: usize = 2;

    /// Number of ports, which is also the number of I/O BARs.
    pub(crate) const fn count(self) -> usize {
        match self {
            Ports::One => 1,
            Ports::Two => 2,
        }
    }
}

/// Why a region access was refused.  The glue returns `-EINVAL` for all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AccessError {
    /// The region index is not a region of this card (or has size 0).
    NoSuchRegion,
    /// The length is not 1, 2 or 4.
    BadLength,
    /// The offset is not a multiple of the length.
    Misaligned,
    /// The access does not lie inside the region.
    OutOfRange,
}

/// Why [`Card::load`] refused a migration payload.  The glue returns
/// `-EINVAL` for all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StateError {
    /// The payload does not start with the magic `RMTY`.
    BadMagic,
    /// The payload is of a format version other than 1.
    BadVersion,
    /// The payload is of a card with another number of ports (or of no
    /// card at all).
    WrongType,
    /// The payload is not exactly [`Card::state_size`] bytes long.
    BadLength,
    /// A field is out of range or contradicts another: no card can be in
    /// that state.
    Inconsistent,
}

/// The largest migration payload of any card: [`Card::state_size`] of a
/// two-port card.
pub(crate) const STATE_MAX: usize = state::state_size(Ports::Two);

/// How many bytes of a user access of `remaining` bytes at `offset` the
/// glue passes to one [`Card::read`] or [`Card::write`]: the largest of
/// 4, 2 and 1 that divides `offset` and is at most `remaining` (0 when
/// `remaining` is 0).
pub(crate) const fn access_len(offset: u64, remaining: usize) -> usize {
    if remaining >= 4 && offset & 3 == 0 {
        4
    } else if remaining >= 2 && offset & 1 == 0 {
        2
    } else if remaining >= 1 {
        1
    } else {
        0
    }
}

/// The pieces, cut by [`access_len`], of a user access of `len` bytes at
/// `offset`: each piece's offset and its range within the user's buffer,
/// in order.
pub(crate) fn accesses(offset: u64, len: usize) -> impl Iterator<Item = (u64, Range<usize>)> {
    let mut done: usize = 0;
    core::iter::from_fn(move || {
        let pos = offset.wrapping_add(done as u64);
        let piece = access_len(pos, len.checked_sub(done)?);
        // `piece <= len - done`, so this cannot overflow.
        let end = done.checked_add(piece).filter(|_| piece != 0)?;
        let range = done..end;
        done = end;
        Some((pos, range))
    })
}

/// A part of the card a region's accesses go to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Area {
    /// PCI config space ([`Core::config_read`], [`Core::config_write`]).
    Config,
    /// The I/O BAR of port `n` (BAR`n`): [`port_read`], [`port_write`].
    Port(usize),
}

impl Area {
    /// The area of a card with `ports` ports behind `region`, or
    /// [`AccessError::NoSuchRegion`].
    pub(crate) const fn of(ports: Ports, region: Region) -> Result<Self, AccessError> {
        match (region, region.bar_number()) {
            (Region::Config, _) => Ok(Area::Config),
            (_, Some(port)) if port < ports.count() => Ok(Area::Port(port)),
            _ => Err(AccessError::NoSuchRegion),
        }
    }

    const fn size(self) -> u64 {
        match self {
            Area::Config => pci::CONFIG_SPACE_SIZE as u64,
            Area::Port(_) => uart::REGISTER_COUNT as u64,
        }
    }
}

/// The size of `region` on a card with `ports` ports, 0 for a region the
/// card does not have: what the driver describes to VFIO.
pub(crate) const fn region_size(ports: Ports, region: Region) -> u64 {
    match Area::of(ports, region) {
        Ok(area) => area.size(),
        Err(_) => 0,
    }
}

/// Checks one access of `len` bytes at `offset` in a region of `size`
/// bytes and returns the offset as an index.
fn check_access(offset: u64, len: usize, size: u64) -> Result<usize, AccessError> {
    if !matches!(len, 1 | 2 | 4) {
        return Err(AccessError::BadLength);
    }
    if access_len(offset, len) != len {
        return Err(AccessError::Misaligned);
    }
    let len = u64::try_from(len).map_err(|_| AccessError::BadLength)?;
    match offset.checked_add(len) {
        Some(end) if end <= size => usize::try_from(offset).map_err(|_| AccessError::OutOfRange),
        _ => Err(AccessError::OutOfRange),
    }
}

/// What an access changed in a port's interrupt sources: the port's
/// pending sources now, and whether one became pending (an MSI edge).
/// Hand it to [`Core::port_changed`].
#[must_use = "the change must be handed to Core::port_changed"]
#[derive(Clone, Copy, Debug)]
pub(crate) struct PortChange {
    pending: u8,
    new_event: bool,
}

/// Runs `access` on `uart` (with whether I/O Space is enabled): the change
/// of its pending sources, `None` if they did not change.
fn port_access(
    uart: &mut Uart,
    io_enabled: bool,
    access: impl FnOnce(&mut Uart, bool),
) -> Option<PortChange> {
    let before = uart.pending();
    access(uart, io_enabled);
    let pending = uart.pending();
    (pending != before).then_some(PortChange {
        pending,
        new_event: pending & !before != 0,
    })
}

/// Reads `buf.len()` bytes at `offset` of a port's BAR, on its UART; see
/// the module documentation for the rules.  `io_enabled` is
/// [`Core::io_enabled`].  `Ok(Some(change))`: the port's interrupt sources
/// changed, hand `change` to [`Core::port_changed`].
#[must_use = "a change must be handed to Core::port_changed"]
pub(crate) fn port_read(
    uart: &mut Uart,
    io_enabled: bool,
    offset: u64,
    buf: &mut [u8],
) -> Result<Option<PortChange>, AccessError> {
    let start = check_access(offset, buf.len(), Area::Port(0).size())?;
    Ok(port_access(uart, io_enabled, |uart, io_enabled| {
        for (reg, byte) in (start..).zip(buf.iter_mut()) {
            *byte = if io_enabled {
                uart.read(reg)
            } else {
                MASTER_ABORT
            };
        }
    }))
}

/// Writes `data` at `offset` of a port's BAR, on its UART, as
/// [`port_read`] does.
#[must_use = "a change must be handed to Core::port_changed"]
pub(crate) fn port_write(
    uart: &mut Uart,
    io_enabled: bool,
    offset: u64,
    data: &[u8],
) -> Result<Option<PortChange>, AccessError> {
    let start = check_access(offset, data.len(), Area::Port(0).size())?;
    Ok(port_access(uart, io_enabled, |uart, io_enabled| {
        if io_enabled {
            for (reg, &byte) in (start..).zip(data) {
                uart.write(reg, byte);
            }
        }
    }))
}

/// A card but its UARTs: config space, the VFIO IRQ state, and the
/// pending interrupt sources of each UART as last reported.
///
/// The UARTs are kept apart so that the two ports of a card can be used at
/// once, each under a lock of its own ([`port_read`], [`port_write`]);
/// only an access that changes a port's interrupt sources needs the
/// `Core` ([`Core::port_changed`]).  [`Card`] is the two together, for a
/// caller with one lock.
///
/// # Invariants
///
/// `pending[n]` is what the caller last reported of port `n` (0 at power
/// on, after [`Core::port_reset`] and as loaded); only the first
/// `ports.count()` entries are ever non-zero.
pub(crate) struct Core {
    ports: Ports,
    config: ConfigSpace,
    irq: IrqState,
    pending: [u8; Ports::MAX],
}

impl Core {
    /// The powered-on card with `ports` ports, but its UARTs (each
    /// `Uart::new()`).
    pub(crate) fn new(ports: Ports) -> Self {
        Core {
            ports,
            config: ConfigSpace::new(ports),
            irq: IrqState::new(),
            pending: [0; Ports::MAX],
        }
    }

    /// Whether I/O Space is enabled: what [`port_read`] and [`port_write`]
    /// take.  Only a config space write or a load changes it.
    pub(crate) fn io_enabled(&self) -> bool {
        self.config.io_enabled()
    }

    /// Reads `buf.len()` bytes at `offset` of config space.
    pub(crate) fn config_read(&self, offset: u64, buf: &mut [u8]) -> Result<(), AccessError> {
        let start = check_access(offset, buf.len(), Area::Config.size())?;
        self.config.read(start, buf, self.interrupt_pending());
        Ok(())
    }

    /// Writes `data` at `offset` of config space.  `Ok(Some(i))`: signal
    /// IRQ index `i`.
    #[must_use = "the returned IRQ index must be signalled"]
    pub(crate) fn config_write(
        &mut self,
        offset: u64,
        data: &[u8],
    ) -> Result<Option<IrqIndex>, AccessError> {
        let start = check_access(offset, data.len(), Area::Config.size())?;
        self.config.write(start, data);
        // Clearing Interrupt Disable can let an asserted INTx through.
        Ok(self.deliver(false))
    }

    /// Port `port`'s interrupt sources changed (what [`port_read`] or
    /// [`port_write`] returned): the IRQ index to signal, if any.
    #[must_use = "the returned IRQ index must be signalled"]
    pub(crate) fn port_changed(&mut self, port: usize, change: PortChange) -> Option<IrqIndex> {
        if port >= self.ports.count() {
            return None;
        }
        // INVARIANT: a port of the card, as reported.
        *self.pending.get_mut(port)? = change.pending;
        self.deliver(change.new_event)
    }

    /// Port `port`'s UART was reset (`Uart::new()`): none of its sources is
    /// pending.  Cannot raise an interrupt.
    pub(crate) fn port_reset(&mut self, port: usize) {
        if let Some(pending) = self.pending.get_mut(port) {
            *pending = 0;
        }
    }

    /// Whether any enabled interrupt source of any port is pending.
    fn interrupt_pending(&self) -> bool {
        self.pending.iter().any(|&pending| pending != 0)
    }

    /// Level of INTx as VFIO sees it: the interrupt condition, unless the
    /// guest set Interrupt Disable.
    fn intx_level(&self) -> bool {
        self.interrupt_pending() && !self.config.intx_disabled()
    }

    /// The IRQ index to signal after an access; `new_event` says whether a
    /// source became pending (an MSI edge).
    fn deliver(&mut self, new_event: bool) -> Option<IrqIndex> {
        let level = self.intx_level();
        self.irq.update(level, new_event)
    }

    /// The IRQ index to signal when a loaded state starts running on the
    /// destination (`vfio::Operations::migration_resumed`), INTx if it is
    /// active and its line asserted:
    /// - masked (it fired on the source and was not unmasked yet): the
    ///   destination's eventfd is new, so the line is announced on it
    ///   once; INTx stays masked;
    /// - unmasked (the destination's own IRQ state, see [`Core::load`]):
    ///   it fires and is auto-masked, as on any change of the card.  This
    ///   is the only way a card is left with an unmasked, active INTx and
    ///   its line asserted, so an access that changes no interrupt source
    ///   never has anything to deliver.
    #[must_use = "the returned IRQ index must be signalled"]
    pub(crate) fn resumed(&mut self) -> Option<IrqIndex> {
        if self.irq.active() == Some(IrqIndex::Intx) && self.irq.intx_masked() && self.intx_level()
        {
            return Some(IrqIndex::Intx);
        }
        self.deliver(false)
    }

    /// The active VFIO IRQ index, if any.
    pub(crate) fn irq_active(&self) -> Option<IrqIndex> {
        self.irq.active()
    }

    /// An eventfd was set for `index`.  `Ok(Some(Intx))` if INTx is
    /// enabled while its line is asserted.
    #[must_use = "the returned IRQ index must be signalled"]
    pub(crate) fn irq_enable(&mut self, index: IrqIndex) -> Result<Option<IrqIndex>, IrqError> {
        let level = self.intx_level();
        self.irq.enable(index, level)
    }

    /// The eventfd of `index` was removed; `index` is no longer active.
    pub(crate) fn irq_disable(&mut self, index: IrqIndex) -> Result<(), IrqError> {
        self.irq.disable(index)
    }

    /// Masks INTx.
    pub(crate) fn irq_mask(&mut self, index: IrqIndex) -> Result<(), IrqError> {
        self.irq.mask(index)
    }

    /// Unmasks INTx.  `Ok(Some(Intx))` if the line is still asserted: INTx
    /// fires again and is masked again.
    #[must_use = "the returned IRQ index must be signalled"]
    pub(crate) fn irq_unmask(&mut self, index: IrqIndex) -> Result<Option<IrqIndex>, IrqError> {
        let level = self.intx_level();
        self.irq.unmask(index, level)
    }

    /// A user-requested trigger (loopback test): `Ok(Some(index))` if
    /// `index` is active.
    #[must_use = "the returned IRQ index must be signalled"]
    pub(crate) fn irq_trigger(&self, index: IrqIndex) -> Result<Option<IrqIndex>, IrqError> {
        self.irq.trigger(index)
    }
}

/// One emulated card: the [`Core`] and its UARTs, as one value, for the
/// host tests.  A method of `Card` is the same method of [`Core`], or a
/// port function followed by [`Core::port_changed`], as the driver's glue
/// calls them under its locks.
///
/// # Invariants
///
/// `core`'s pending sources are those of `uarts`.
#[cfg(test)]
pub(crate) struct Card {
    core: Core,
    uarts: [Uart; Ports::MAX],
}

#[cfg(test)]
impl Card {
    /// A powered-on card with `ports` ports.
    pub(crate) fn new(ports: Ports) -> Self {
        Card {
            core: Core::new(ports),
            uarts: [Uart::new(), Uart::new()],
        }
    }

    /// The variant this card was created with.
    pub(crate) fn ports(&self) -> Ports {
        self.core.ports
    }

    /// Reads `buf.len()` bytes at `offset` of `region`; see the
    /// module documentation for the rules.  `Ok(Some(i))`: signal IRQ
    /// index `i`.
    #[must_use = "the returned IRQ index must be signalled"]
    pub(crate) fn read(
        &mut self,
        region: Region,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<Option<IrqIndex>, AccessError> {
        match Area::of(self.core.ports, region)? {
            Area::Config => self.core.config_read(offset, buf).map(|()| None),
            Area::Port(port) => {
                let io_enabled = self.core.io_enabled();
                let uart = self.uarts.get_mut(port).ok_or(AccessError::NoSuchRegion)?;
                let change = port_read(uart, io_enabled, offset, buf)?;
                // INVARIANT: the change is reported.
                Ok(change.and_then(|change| self.core.port_changed(port, change)))
            }
        }
    }

    /// Writes `data` at `offset` of `region`; see the module
    /// documentation for the rules.  `Ok(Some(i))`: signal IRQ index `i`.
    #[must_use = "the returned IRQ index must be signalled"]
    pub(crate) fn write(
        &mut self,
        region: Region,
        offset: u64,
        data: &[u8],
    ) -> Result<Option<IrqIndex>, AccessError> {
        match Area::of(self.core.ports, region)? {
            Area::Config => self.core.config_write(offset, data),
            Area::Port(port) => {
                let io_enabled = self.core.io_enabled();
                let uart = self.uarts.get_mut(port).ok_or(AccessError::NoSuchRegion)?;
                let change = port_write(uart, io_enabled, offset, data)?;
                // INVARIANT: the change is reported.
                Ok(change.and_then(|change| self.core.port_changed(port, change)))
            }
        }
    }

    /// `VFIO_DEVICE_RESET`: every UART back to power-on state; config space
    /// and the VFIO IRQ state are kept (see the module documentation).
    pub(crate) fn reset(&mut self) {
        for (port, uart) in self.uarts.iter_mut().enumerate() {
            *uart = Uart::new();
            // INVARIANT: reported.
            self.core.port_reset(port);
        }
    }

    /// [`Core::resumed`].
    #[must_use = "the returned IRQ index must be signalled"]
    pub(crate) fn resumed(&mut self) -> Option<IrqIndex> {
        self.core.resumed()
    }

    /// [`Core::irq_active`].
    pub(crate) fn irq_active(&self) -> Option<IrqIndex> {
        self.core.irq_active()
    }

    /// [`Core::irq_enable`].
    #[must_use = "the returned IRQ index must be signalled"]
    pub(crate) fn irq_enable(&mut self, index: IrqIndex) -> Result<Option<IrqIndex>, IrqError> {
        self.core.irq_enable(index)
    }

    /// [`Core::irq_disable`].
    pub(crate) fn irq_disable(&mut self, index: IrqIndex) -> Result<(), IrqError> {
        self.core.irq_disable(index)
    }

    /// [`Core::irq_mask`].
    pub(crate) fn irq_mask(&mut self, index: IrqIndex) -> Result<(), IrqError> {
        self.core.irq_mask(index)
    }

    /// [`Core::irq_unmask`].
    #[must_use = "the returned IRQ index must be signalled"]
    pub(crate) fn irq_unmask(&mut self, index: IrqIndex) -> Result<Option<IrqIndex>, IrqError> {
        self.core.irq_unmask(index)
    }

    /// [`Core::irq_trigger`].
    #[must_use = "the returned IRQ index must be signalled"]
    pub(crate) fn irq_trigger(&self, index: IrqIndex) -> Result<Option<IrqIndex>, IrqError> {
        self.core.irq_trigger(index)
    }
}
