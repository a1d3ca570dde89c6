// SPDX-License-Identifier: GPL-2.0

//! One 16550A UART whose transmitter is wired to its own receiver.
//!
//! Register and bit names follow `include/uapi/linux/serial_reg.h`.  The
//! model has no clock: a byte written to THR is on the wire and in the
//! receive FIFO at once, and the receive character timeout is immediate.

/// Number of registers, which is the size of the port's I/O BAR.
pub(crate) const REGISTER_COUNT: u8 = 8;

// Register offsets; the second name applies with LCR.DLAB set, or to writes.
/// RBR (read), THR (write); DLL with DLAB.
const UART_RX_TX: usize = 0;
/// IER; DLM with DLAB.
const UART_IER: usize = 1;
/// IIR (read), FCR (write); not affected by DLAB.
const UART_IIR_FCR: usize = 2;
const UART_LCR: usize = 3;
const UART_MCR: usize = 4;
const UART_LSR: usize = 5;
const UART_MSR: usize = 6;
const UART_SCR: usize = 7;

const UART_IER_RDI: u8 = 0x01;
const UART_IER_THRI: u8 = 0x02;
const UART_IER_RLSI: u8 = 0x04;
const UART_IER_MSI: u8 = 0x08;
/// IER bits a 16550A implements.
const UART_IER_MASK: u8 = 0x0f;

const UART_IIR_NO_INT: u8 = 0x01;
const UART_IIR_MSI: u8 = 0x00;
const UART_IIR_THRI: u8 = 0x02;
const UART_IIR_RDI: u8 = 0x04;
const UART_IIR_RLSI: u8 = 0x06;
const UART_IIR_RX_TIMEOUT: u8 = 0x0c;
const UART_IIR_FIFO_ENABLED: u8 = 0xc0;

const UART_FCR_ENABLE_FIFO: u8 = 0x01;
const UART_FCR_CLEAR_RCVR: u8 = 0x02;
const UART_FCR_TRIGGER_MASK: u8 = 0xc0;
const UART_FCR_TRIGGER_1: u8 = 0x00;
const UART_FCR_TRIGGER_4: u8 = 0x40;
const UART_FCR_TRIGGER_8: u8 = 0x80;

const UART_LCR_DLAB: u8 = 0x80;

const UART_MCR_DTR: u8 = 0x01;
const UART_MCR_RTS: u8 = 0x02;
const UART_MCR_OUT1: u8 = 0x04;
const UART_MCR_OUT2: u8 = 0x08;
const UART_MCR_LOOP: u8 = 0x10;
/// Auto flow control enable (16750); kept because mtty honours it.
const UART_MCR_AFE: u8 = 0x20;
const UART_MCR_MASK: u8 = 0x3f;

const UART_LSR_DR: u8 = 0x01;
const UART_LSR_OE: u8 = 0x02;
const UART_LSR_THRE: u8 = 0x20;
const UART_LSR_TEMT: u8 = 0x40;

const UART_MSR_DCTS: u8 = 0x01;
const UART_MSR_DDSR: u8 = 0x02;
const UART_MSR_TERI: u8 = 0x04;
const UART_MSR_DDCD: u8 = 0x08;
const UART_MSR_CTS: u8 = 0x10;
const UART_MSR_DSR: u8 = 0x20;
const UART_MSR_RI: u8 = 0x40;
const UART_MSR_DCD: u8 = 0x80;
/// The MSR delta bits (3:0).
const UART_MSR_DELTAS: u8 = UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_TERI | UART_MSR_DDCD;

/// Depth of the receive FIFO (a power of two).
pub(crate) const FIFO_DEPTH: usize = 16;
/// Depth of the receiver without FIFO (16450 mode): the holding register.
const HOLDING_REGISTER_DEPTH: usize = 1;
const _: () = assert!(FIFO_DEPTH.is_power_of_two());

// Interrupt sources, as bits of `Uart::pending()`.
const SOURCE_LINE_STATUS: u8 = 0x1;
const SOURCE_RX_DATA: u8 = 0x2;
const SOURCE_THR_EMPTY: u8 = 0x4;
const SOURCE_MODEM_STATUS: u8 = 0x8;

/// The receive FIFO, a ring of `FIFO_DEPTH` bytes.
///
/// # Invariants
///
/// `head < FIFO_DEPTH` and `len <= FIFO_DEPTH`.
struct Fifo {
    bytes: [u8; FIFO_DEPTH],
    head: usize,
    len: usize,
}

impl Fifo {
    const fn new() -> Self {
        Fifo {
            bytes: [0; FIFO_DEPTH],
            head: 0,
            len: 0,
        }
    }

    /// Appends `byte`; false (and nothing stored) if `capacity` bytes are
    /// already queued.
    fn push(&mut self, byte: u8, capacity: usize) -> bool {
        if self.len >= capacity.min(FIFO_DEPTH) {
            return false;
        }
        let tail = self.head.wrapping_add(self.len) & (FIFO_DEPTH - 1);
        match self.bytes.get_mut(tail) {
            Some(slot) => *slot = byte,
            None => return false,
        }
        // INVARIANT: `len < FIFO_DEPTH` was checked above.
        self.len = self.len.saturating_add(1);
        true
    }

    /// Removes and returns the oldest byte.
    fn pop(&mut self) -> Option<u8> {
        if self.len == 0 {
            return None;
        }
        let byte = self.bytes.get(self.head).copied();
        // INVARIANT: the mask keeps `head` in range; `len > 0`.
        self.head = self.head.wrapping_add(1) & (FIFO_DEPTH - 1);
        self.len = self.len.saturating_sub(1);
        byte
    }

    fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }

    /// The queued bytes, oldest first, followed by zeros.
    fn contents(&self) -> [u8; FIFO_DEPTH] {
        let mut out = [0; FIFO_DEPTH];
        for (i, dst) in out.iter_mut().take(self.len).enumerate() {
            let index = self.head.wrapping_add(i) & (FIFO_DEPTH - 1);
            *dst = self.bytes.get(index).copied().unwrap_or(0);
        }
        out
    }
}

/// Every field of a [`Uart`] as plain values, the FIFO normalised (oldest
/// byte first): what the migration payload holds (`state.rs`).
/// [`Uart::state`] makes one, [`Uart::from_state`] checks one and builds
/// the UART back.
pub(crate) struct UartState {
    /// The received bytes, oldest first; zero past `rx_len`.
    pub(crate) rx: [u8; FIFO_DEPTH],
    /// Number of received bytes queued.
    pub(crate) rx_len: u8,
    pub(crate) ier: u8,
    pub(crate) lcr: u8,
    pub(crate) mcr: u8,
    pub(crate) scr: u8,
    pub(crate) dll: u8,
    pub(crate) dlm: u8,
    pub(crate) fifo_enabled: bool,
    pub(crate) trigger_level: u8,
    pub(crate) overrun: bool,
    pub(crate) thre_pending: bool,
    pub(crate) modem_lines: u8,
    pub(crate) modem_deltas: u8,
}

/// One UART.
pub(crate) struct Uart {
    rx: Fifo,
    ier: u8,
    lcr: u8,
    mcr: u8,
    scr: u8,
    dll: u8,
    dlm: u8,
    /// FCR.0: FIFOs enabled (16 bytes deep) rather than one holding register.
    fifo_enabled: bool,
    /// Received bytes at which IIR reports "data available", not timeout.
    trigger_level: usize,
    /// LSR.OE: a received byte was lost; cleared by reading LSR.
    overrun: bool,
    /// The THR empty interrupt is armed; IER.THRI gates it.
    thre_pending: bool,
    /// Modem input lines (MSR bits 7:4) when MSR last changed.
    modem_lines: u8,
    /// MSR delta bits (3:0) since MSR was last read.
    modem_deltas: u8,
}

impl Uart {
    /// A UART after power-on or reset.
    pub(crate) fn new() -> Self {
        let mut uart = Uart {
            rx: Fifo::new(),
            ier: 0,
            lcr: 0,
            mcr: 0,
            scr: 0,
            dll: 0,
            dlm: 0,
            fifo_enabled: false,
            trigger_level: HOLDING_REGISTER_DEPTH,
            overrun: false,
            thre_pending: false,
            modem_lines: 0,
            modem_deltas: 0,
        };
        uart.modem_lines = uart.modem_inputs();
        uart
    }

    /// A snapshot of every field, without side effects.
    pub(crate) fn state(&self) -> UartState {
        UartState {
            rx: self.rx.contents(),
            // `len <= FIFO_DEPTH` and `trigger_level <= 14`: both fit.
            rx_len: u8::try_from(self.rx.len).unwrap_or(u8::MAX),
            ier: self.ier,
            lcr: self.lcr,
            mcr: self.mcr,
            scr: self.scr,
            dll: self.dll,
            dlm: self.dlm,
            fifo_enabled: self.fifo_enabled,
            trigger_level: u8::try_from(self.trigger_level).unwrap_or(u8::MAX),
            overrun: self.overrun,
            thre_pending: self.thre_pending,
            modem_lines: self.modem_lines,
            modem_deltas: self.modem_deltas,
        }
    }

    /// The UART that `state` describes, or `None` if no sequence of
    /// register accesses can produce it: more bytes queued than the
    /// receiver holds (16 with FIFOs, 1 without), non-zero FIFO bytes past
    /// them, a trigger level other than 1, 4, 8 or 14 (1 without FIFOs),
    /// IER, MCR or MSR delta bits a 16550A does not have, or modem lines
    /// other than those the MCR and the FIFO imply (the model samples them
    /// after every access).  `Uart::from_state(&u.state())` behaves
    /// exactly as `u`.
    pub(crate) fn from_state(state: &UartState) -> Option<Self> {
        let capacity = if state.fifo_enabled {
            FIFO_DEPTH
        } else {
            HOLDING_REGISTER_DEPTH
        };
        let trigger_level_valid = if state.fifo_enabled {
            matches!(state.trigger_level, 1 | 4 | 8 | 14)
        } else {
            usize::from(state.trigger_level) == HOLDING_REGISTER_DEPTH
        };
        let len = usize::from(state.rx_len);
        if len > capacity
            || state.rx.iter().skip(len).any(|&byte| byte != 0)
            || !trigger_level_valid
            || state.ier & !UART_IER_MASK != 0
            || state.mcr & !UART_MCR_MASK != 0
            || state.modem_deltas & !UART_MSR_DELTAS != 0
        {
            return None;
        }
        let mut rx = Fifo::new();
        for &byte in state.rx.iter().take(len) {
            if !rx.push(byte, capacity) {
                return None;
            }
        }
        let uart = Uart {
            rx,
            ier: state.ier,
            lcr: state.lcr,
            mcr: state.mcr,
            scr: state.scr,
            dll: state.dll,
            dlm: state.dlm,
            fifo_enabled: state.fifo_enabled,
            trigger_level: usize::from(state.trigger_level),
            overrun: state.overrun,
            thre_pending: state.thre_pending,
            modem_lines: state.modem_lines,
            modem_deltas: state.modem_deltas,
        };
        (uart.modem_inputs() == state.modem_lines).then_some(uart)
    }

    fn dlab(&self) -> bool {
        self.lcr & UART_LCR_DLAB != 0
    }

    /// Bytes the receiver holds before it overruns.
    fn rx_capacity(&self) -> usize {
        if self.fifo_enabled {
            FIFO_DEPTH
        } else {
            HOLDING_REGISTER_DEPTH
        }
    }

    /// The enabled interrupt sources that are pending (`SOURCE_*` bits).
    pub(crate) fn pending(&self) -> u8 {
        // No source enabled, the usual case of a polled port: nothing more
        // to look at (this runs twice for every access of a port).
        if self.ier & (UART_IER_RLSI | UART_IER_RDI | UART_IER_THRI | UART_IER_MSI) == 0 {
            return 0;
        }
        let mut sources = 0;
        if self.ier & UART_IER_RLSI != 0 && self.overrun {
            sources |= SOURCE_LINE_STATUS;
        }
        if self.ier & UART_IER_RDI != 0 && self.rx.len > 0 {
            sources |= SOURCE_RX_DATA;
        }
        if self.ier & UART_IER_THRI != 0 && self.thre_pending {
            sources |= SOURCE_THR_EMPTY;
        }
        if self.ier & UART_IER_MSI != 0 && self.modem_deltas != 0 {
            sources |= SOURCE_MODEM_STATUS;
        }
        sources
    }

    /// IIR: the highest-priority pending source and the FIFO state.
    fn iir(&self) -> u8 {
        let sources = self.pending();
        let id = if sources & SOURCE_LINE_STATUS != 0 {
            UART_IIR_RLSI
        } else if sources & SOURCE_RX_DATA != 0 {
            if self.fifo_enabled && self.rx.len < self.trigger_level {
                UART_IIR_RX_TIMEOUT
            } else {
                UART_IIR_RDI
            }
        } else if sources & SOURCE_THR_EMPTY != 0 {
            UART_IIR_THRI
        } else if sources & SOURCE_MODEM_STATUS != 0 {
            UART_IIR_MSI
        } else {
            UART_IIR_NO_INT
        };
        if self.fifo_enabled {
            id | UART_IIR_FIFO_ENABLED
        } else {
            id
        }
    }

    fn lsr(&self) -> u8 {
        // The transmitter is always empty: bytes leave THR at once.
        let mut lsr = UART_LSR_THRE | UART_LSR_TEMT;
        if self.rx.len > 0 {
            lsr |= UART_LSR_DR;
        }
        if self.overrun {
            lsr |= UART_LSR_OE;
        }
        lsr
    }

    /// The modem input lines (MSR bits 7:4) as they are now.
    fn modem_inputs(&self) -> u8 {
        if self.mcr & UART_MCR_LOOP != 0 {
            let mut lines = 0;
            for (output, input) in [
                (UART_MCR_RTS, UART_MSR_CTS),
                (UART_MCR_DTR, UART_MSR_DSR),
                (UART_MCR_OUT1, UART_MSR_RI),
                (UART_MCR_OUT2, UART_MSR_DCD),
            ] {
                if self.mcr & output != 0 {
                    lines |= input;
                }
            }
            lines
        } else {
            let full = self.rx.len >= self.rx_capacity();
            if self.mcr & UART_MCR_AFE != 0 && full {
                UART_MSR_DSR | UART_MSR_DCD
            } else {
                UART_MSR_DSR | UART_MSR_DCD | UART_MSR_CTS
            }
        }
    }

    /// Latches changes of the modem inputs into the MSR delta bits.
    fn sample_modem_inputs(&mut self) {
        let lines = self.modem_inputs();
        let changed = lines ^ self.modem_lines;
        for (line, delta) in [
            (UART_MSR_CTS, UART_MSR_DCTS),
            (UART_MSR_DSR, UART_MSR_DDSR),
            (UART_MSR_DCD, UART_MSR_DDCD),
        ] {
            if changed & line != 0 {
                self.modem_deltas |= delta;
            }
        }
        // TERI: trailing edge of RI only.
        if changed & self.modem_lines & UART_MSR_RI != 0 {
            self.modem_deltas |= UART_MSR_TERI;
        }
        self.modem_lines = lines;
    }

    /// Sends `byte`: it lands in the receive FIFO at once, and THR is empty
    /// again, which re-arms the THR empty interrupt.
    fn transmit(&mut self, byte: u8) {
        if !self.rx.push(byte, self.rx_capacity()) {
            if !self.fifo_enabled {
                // A 16450-mode receiver overwrites its holding register.
                self.rx.clear();
                let _stored = self.rx.push(byte, HOLDING_REGISTER_DEPTH);
            }
            self.overrun = true;
        }
        self.thre_pending = true;
    }

    fn write_ier(&mut self, value: u8) {
        let ier = value & UART_IER_MASK;
        // As QEMU: raising THRI arms THRE (THR is always empty), clearing
        // it disarms it.
        if (ier ^ self.ier) & UART_IER_THRI != 0 {
            self.thre_pending = ier & UART_IER_THRI != 0;
        }
        self.ier = ier;
    }

    fn write_fcr(&mut self, value: u8) {
        let enable = value & UART_FCR_ENABLE_FIFO != 0;
        if enable != self.fifo_enabled {
            // Switching between FIFO and 16450 mode empties the FIFOs.
            self.rx.clear();
            self.fifo_enabled = enable;
        }
        if !enable {
            // The other bits are only programmed together with FCR.0.
            self.trigger_level = HOLDING_REGISTER_DEPTH;
            return;
        }
        // The transmit FIFO is always empty, so UART_FCR_CLEAR_XMIT has
        // nothing to clear.
        if value & UART_FCR_CLEAR_RCVR != 0 {
            self.rx.clear();
        }
        self.trigger_level = match value & UART_FCR_TRIGGER_MASK {
            UART_FCR_TRIGGER_1 => 1,
            UART_FCR_TRIGGER_4 => 4,
            UART_FCR_TRIGGER_8 => 8,
            // UART_FCR_TRIGGER_14
            _ => 14,
        };
    }

    /// Reads register `reg` (0..8) with its side effects; an unknown
    /// register reads 0.
    pub(crate) fn read(&mut self, reg: usize) -> u8 {
        let value = match reg {
            UART_RX_TX if self.dlab() => self.dll,
            UART_RX_TX => self.rx.pop().unwrap_or(0),
            UART_IER if self.dlab() => self.dlm,
            UART_IER => self.ier,
            UART_IIR_FCR => {
                let iir = self.iir();
                // Reading IIR acknowledges a THR empty interrupt it reports.
                if iir & !UART_IIR_FIFO_ENABLED == UART_IIR_THRI {
                    self.thre_pending = false;
                }
                iir
            }
            UART_LCR => self.lcr,
            UART_MCR => self.mcr,
            UART_LSR => {
                let lsr = self.lsr();
                self.overrun = false;
                lsr
            }
            UART_MSR => {
                let msr = self.modem_lines | self.modem_deltas;
                self.modem_deltas = 0;
                msr
            }
            UART_SCR => self.scr,
            _ => 0,
        };
        // Reading RBR can make room in the FIFO, which moves CTS under AFE.
        self.sample_modem_inputs();
        value
    }

    /// Writes `value` to register `reg` (0..8); LSR, MSR and unknown
    /// registers ignore writes.
    pub(crate) fn write(&mut self, reg: usize, value: u8) {
        match reg {
            UART_RX_TX if self.dlab() => self.dll = value,
            UART_RX_TX => self.transmit(value),
            UART_IER if self.dlab() => self.dlm = value,
            UART_IER => self.write_ier(value),
            UART_IIR_FCR => self.write_fcr(value),
            UART_LCR => self.lcr = value,
            UART_MCR => self.mcr = value & UART_MCR_MASK,
            UART_SCR => self.scr = value,
            // LSR and MSR are read-only.
            _ => {}
        }
        self.sample_modem_inputs();
    }
}
