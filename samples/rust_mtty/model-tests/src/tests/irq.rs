// SPDX-License-Identifier: GPL-2.0

//! VFIO interrupt delivery: IRQ indexes, INTx auto-masking, MSI edges.

use super::*;
use crate::model::IrqError;

const INTX: Option<IrqIndex> = Some(IrqIndex::Intx);
const MSI: Option<IrqIndex> = Some(IrqIndex::Msi);

/// A one-port card with FIFOs on and INTx enabled.
fn intx_card() -> Card {
    let mut m = card(Ports::One);
    enable_fifo(&mut m, BAR0, 0);
    assert_eq!(m.irq_enable(IrqIndex::Intx), Ok(None));
    m
}

#[test]
fn only_intx_and_msi() {
    for index in [IrqIndex::Msix, IrqIndex::Err, IrqIndex::Req] {
        let m = &mut card(Ports::One);
        assert_eq!(m.irq_enable(index), Err(IrqError::Unsupported), "{index:?}");
        assert_eq!(m.irq_mask(index), Err(IrqError::Unsupported), "{index:?}");
        assert_eq!(m.irq_unmask(index), Err(IrqError::Unsupported), "{index:?}");
        assert_eq!(m.irq_active(), None);
    }
    // Only INTx can be masked.
    let m = &mut card(Ports::One);
    assert_eq!(m.irq_enable(IrqIndex::Msi), Ok(None));
    assert_eq!(m.irq_mask(IrqIndex::Msi), Err(IrqError::Unsupported));
    assert_eq!(m.irq_unmask(IrqIndex::Msi), Err(IrqError::Unsupported));
}

#[test]
fn nothing_is_signalled_without_an_active_index() {
    let m = &mut card(Ports::One);
    assert_eq!(m.irq_active(), None);
    assert_eq!(outb(m, BAR0, IER, IER_THRI | IER_RDI), None);
    assert_eq!(outb(m, BAR0, TX, 1), None);
    assert!(status_interrupt(m), "the condition exists all the same");
}

#[test]
fn intx_fires_once_then_is_auto_masked() {
    let m = &mut intx_card();
    assert_eq!(m.irq_active(), INTX);
    assert_eq!(outb(m, BAR0, IER, IER_RDI | IER_THRI), INTX);
    assert_eq!(outb(m, BAR0, TX, b'a'), None, "masked");
    assert_eq!(inb_irq(m, BAR0, IIR), (IIR_FIFO | IIR_RDI, None));
    // Unmasked while the condition holds: level-triggered, fires again.
    assert_eq!(m.irq_unmask(IrqIndex::Intx), Ok(INTX));
    assert_eq!(m.irq_unmask(IrqIndex::Intx), Ok(INTX), "and again");
    // Handle everything, then unmask: quiet.
    assert_eq!(inb(m, BAR0, RX), b'a');
    assert_eq!(inb(m, BAR0, IIR), IIR_FIFO | IIR_THRI);
    assert_eq!(inb(m, BAR0, IIR), IIR_FIFO | IIR_NO_INT);
    assert_eq!(m.irq_unmask(IrqIndex::Intx), Ok(None));
    // The next event fires at once.
    assert_eq!(outb(m, BAR0, TX, b'b'), INTX);
}

#[test]
fn intx_pending_while_masked_fires_on_unmask() {
    let m = &mut intx_card();
    assert_eq!(m.irq_mask(IrqIndex::Intx), Ok(()));
    assert_eq!(outb(m, BAR0, IER, IER_RDI), None);
    assert_eq!(outb(m, BAR0, TX, b'x'), None, "masked by the user");
    assert_eq!(m.irq_unmask(IrqIndex::Intx), Ok(INTX));
    assert_eq!(outb(m, BAR0, TX, b'y'), None, "auto-masked");
}

#[test]
fn intx_condition_gone_before_unmask_does_not_fire() {
    let m = &mut intx_card();
    assert_eq!(outb(m, BAR0, IER, IER_RDI), None);
    assert_eq!(outb(m, BAR0, TX, b'x'), INTX);
    assert_eq!(inb(m, BAR0, RX), b'x');
    assert_eq!(m.irq_unmask(IrqIndex::Intx), Ok(None));
}

#[test]
fn intx_enable_while_asserted_fires() {
    let m = &mut card(Ports::Two);
    let _ = outb(m, BAR1, IER, IER_THRI);
    assert_eq!(m.irq_enable(IrqIndex::Intx), Ok(INTX));
    // Re-enabling the active index (a new eventfd) keeps the mask.
    assert_eq!(m.irq_enable(IrqIndex::Intx), Ok(None));
    assert_eq!(m.irq_unmask(IrqIndex::Intx), Ok(INTX));
}

#[test]
fn interrupt_disable_holds_intx_back() {
    let m = &mut intx_card();
    let _ = cfg_write(m, PCI_COMMAND, 2, COMMAND_IO | COMMAND_INTX_DISABLE);
    assert_eq!(outb(m, BAR0, IER, IER_THRI), None);
    assert_eq!(
        m.irq_unmask(IrqIndex::Intx),
        Ok(None),
        "disabled, not masked"
    );
    // Clearing Interrupt Disable lets the asserted line through.
    assert_eq!(cfg_write(m, PCI_COMMAND, 2, COMMAND_IO), INTX);
    assert_eq!(
        cfg_write(m, PCI_COMMAND, 2, COMMAND_IO),
        None,
        "auto-masked"
    );
}

#[test]
fn msi_fires_on_each_new_source() {
    let m = &mut card(Ports::One);
    enable_fifo(m, BAR0, 0);
    assert_eq!(m.irq_enable(IrqIndex::Msi), Ok(None));
    assert_eq!(m.irq_active(), MSI);
    assert_eq!(outb(m, BAR0, IER, IER_RDI | IER_THRI), MSI, "THRE");
    assert_eq!(outb(m, BAR0, TX, 1), MSI, "data");
    assert_eq!(outb(m, BAR0, TX, 2), None, "no new source");
    assert_eq!(inb_irq(m, BAR0, RX), (1, None));
    assert_eq!(inb_irq(m, BAR0, RX), (2, None));
    assert_eq!(inb_irq(m, BAR0, IIR), (IIR_FIFO | IIR_THRI, None));
    assert_eq!(outb(m, BAR0, TX, 3), MSI, "THRE and data again");
    // No masking, no auto-masking, no Interrupt Disable for MSI.
    assert_eq!(m.irq_mask(IrqIndex::Msi), Err(IrqError::Unsupported));
    assert_eq!(m.irq_unmask(IrqIndex::Msi), Err(IrqError::Unsupported));
    let _ = cfg_write(m, PCI_COMMAND, 2, COMMAND_IO | COMMAND_INTX_DISABLE);
    assert_eq!(inb(m, BAR0, RX), 3);
    assert_eq!(outb(m, BAR0, TX, 4), MSI);
    // A second port's events are signalled too.
    let m = &mut card(Ports::Two);
    assert_eq!(m.irq_enable(IrqIndex::Msi), Ok(None));
    assert_eq!(outb(m, BAR1, IER, IER_THRI), MSI);
}

#[test]
fn one_index_at_a_time() {
    let m = &mut card(Ports::One);
    assert_eq!(m.irq_disable(IrqIndex::Intx), Err(IrqError::NotActive));
    assert_eq!(m.irq_mask(IrqIndex::Intx), Err(IrqError::NotActive));
    assert_eq!(m.irq_unmask(IrqIndex::Intx), Err(IrqError::NotActive));
    assert_eq!(m.irq_enable(IrqIndex::Intx), Ok(None));
    assert_eq!(m.irq_enable(IrqIndex::Msi), Err(IrqError::Busy));
    assert_eq!(m.irq_disable(IrqIndex::Msi), Err(IrqError::NotActive));
    assert_eq!(m.irq_disable(IrqIndex::Intx), Ok(()));
    assert_eq!(m.irq_active(), None);
    assert_eq!(m.irq_enable(IrqIndex::Msi), Ok(None));
    assert_eq!(m.irq_enable(IrqIndex::Intx), Err(IrqError::Busy));
    assert_eq!(m.irq_mask(IrqIndex::Intx), Err(IrqError::NotActive));
    assert_eq!(m.irq_disable(IrqIndex::Msi), Ok(()));
    assert_eq!(
        outb(m, BAR0, IER, IER_THRI),
        None,
        "disabled: nothing signalled"
    );
}

#[test]
fn disabling_intx_drops_its_mask() {
    let m = &mut intx_card();
    assert_eq!(outb(m, BAR0, IER, IER_THRI), INTX);
    assert_eq!(m.irq_disable(IrqIndex::Intx), Ok(()));
    assert_eq!(
        m.irq_enable(IrqIndex::Intx),
        Ok(INTX),
        "unmasked, still asserted"
    );
}

#[test]
fn user_trigger_signals_the_active_index() {
    let m = &mut card(Ports::One);
    assert_eq!(m.irq_trigger(IrqIndex::Intx), Err(IrqError::NotActive));
    assert_eq!(m.irq_enable(IrqIndex::Intx), Ok(None));
    assert_eq!(m.irq_trigger(IrqIndex::Msi), Err(IrqError::NotActive));
    assert_eq!(m.irq_mask(IrqIndex::Intx), Ok(()));
    assert_eq!(m.irq_trigger(IrqIndex::Intx), Ok(INTX), "whatever the mask");
    assert_eq!(outb(m, BAR0, IER, IER_THRI), None, "the mask is unchanged");
    assert_eq!(m.irq_unmask(IrqIndex::Intx), Ok(INTX));
    assert_eq!(m.irq_unmask(IrqIndex::Intx), Ok(INTX));
    // Triggering does not mask either.
    let _ = inb(m, BAR0, IIR);
    assert_eq!(m.irq_unmask(IrqIndex::Intx), Ok(None));
    assert_eq!(m.irq_trigger(IrqIndex::Intx), Ok(INTX));
    assert_eq!(outb(m, BAR0, TX, 0), INTX);
    assert_eq!(m.irq_disable(IrqIndex::Intx), Ok(()));
    assert_eq!(m.irq_enable(IrqIndex::Msi), Ok(None));
    assert_eq!(m.irq_trigger(IrqIndex::Msi), Ok(MSI));
}
