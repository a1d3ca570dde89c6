// SPDX-License-Identifier: GPL-2.0

//! VFIO interrupt state of the card: which IRQ index the user enabled and
//! the INTx mask, without the eventfds (the glue owns those).

use crate::vfio_pci::IrqIndex;

/// Whether the card has interrupt index `index`: INTx (legacy INTA,
/// level-triggered, auto-masked) and MSI (one vector, edge-triggered).
pub(crate) const fn supported(index: IrqIndex) -> bool {
    matches!(index, IrqIndex::Intx | IrqIndex::Msi)
}

/// Why a `VFIO_DEVICE_SET_IRQS` request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IrqError {
    /// The request is for an index that is not the active one (`-EINVAL`).
    NotActive,
    /// The other index is active; disable it first (`-EINVAL`).
    Busy,
    /// The index is not one of the card's, or cannot be masked or
    /// unmasked (`-ENOTTY`).
    Unsupported,
}

/// The user's IRQ configuration.
///
/// # Invariants
///
/// `intx_masked` is false unless `active` is `Some(IrqIndex::Intx)`.
pub(crate) struct IrqState {
    active: Option<IrqIndex>,
    intx_masked: bool,
}

impl IrqState {
    /// No index active.
    pub(crate) const fn new() -> Self {
        IrqState {
            active: None,
            intx_masked: false,
        }
    }

    /// The active index, if any.
    pub(crate) fn active(&self) -> Option<IrqIndex> {
        self.active
    }

    /// Whether INTx is masked (only ever while INTx is active).
    pub(crate) fn intx_masked(&self) -> bool {
        self.intx_masked
    }

    /// Takes over the INTx mask of a migrated device whose active index
    /// was `active`, if this device has the same active index; otherwise
    /// changes nothing.  The active index (and the eventfds behind it)
    /// belongs to the VFIO user, who sets it up on the destination with
    /// `VFIO_DEVICE_SET_IRQS`.
    pub(crate) fn restore(&mut self, active: Option<IrqIndex>, intx_masked: bool) {
        if self.active == active {
            // INVARIANT: only set while INTx is active.
            self.intx_masked = intx_masked && active == Some(IrqIndex::Intx);
        }
    }

    /// Signals INTx if it is active, unmasked and `intx_level` is
    /// asserted, and auto-masks it.
    fn fire_intx(&mut self, intx_level: bool) -> Option<IrqIndex> {
        if self.active == Some(IrqIndex::Intx) && !self.intx_masked && intx_level {
            self.intx_masked = true;
            return Some(IrqIndex::Intx);
        }
        None
    }

    /// The index to signal after the device changed: INTx by level
    /// (`intx_level`), MSI by edge (`new_event`: a source became pending).
    pub(crate) fn update(&mut self, intx_level: bool, new_event: bool) -> Option<IrqIndex> {
        match self.active {
            Some(IrqIndex::Intx) => self.fire_intx(intx_level),
            Some(IrqIndex::Msi) => new_event.then_some(IrqIndex::Msi),
            // `enable` makes no other index active.
            _ => None,
        }
    }

    /// Makes `index` active (an eventfd was set).  Re-enabling the active
    /// index keeps its mask.
    pub(crate) fn enable(
        &mut self,
        index: IrqIndex,
        intx_level: bool,
    ) -> Result<Option<IrqIndex>, IrqError> {
        if !supported(index) {
            return Err(IrqError::Unsupported);
        }
        match self.active {
            Some(active) if active != index => Err(IrqError::Busy),
            Some(_) => Ok(None),
            None => {
                // INVARIANT: `intx_masked` is false here, as no index was active.
                self.active = Some(index);
                Ok(self.fire_intx(intx_level))
            }
        }
    }

    /// Makes no index active (the eventfd of `index` was removed).
    pub(crate) fn disable(&mut self, index: IrqIndex) -> Result<(), IrqError> {
        if self.active != Some(index) {
            return Err(IrqError::NotActive);
        }
        // INVARIANT: no index is active, so INTx is not masked.
        self.active = None;
        self.intx_masked = false;
        Ok(())
    }

    /// Checks that `index` can be masked now.
    fn check_maskable(&self, index: IrqIndex) -> Result<(), IrqError> {
        // INTx only: it is also auto-masked when it fires.
        if index != IrqIndex::Intx {
            return Err(IrqError::Unsupported);
        }
        if self.active != Some(index) {
            return Err(IrqError::NotActive);
        }
        Ok(())
    }

    /// Masks INTx.
    pub(crate) fn mask(&mut self, index: IrqIndex) -> Result<(), IrqError> {
        self.check_maskable(index)?;
        // INVARIANT: `check_maskable` ensured INTx is active.
        self.intx_masked = true;
        Ok(())
    }

    /// Unmasks INTx and fires it again if `intx_level` is still asserted.
    pub(crate) fn unmask(
        &mut self,
        index: IrqIndex,
        intx_level: bool,
    ) -> Result<Option<IrqIndex>, IrqError> {
        self.check_maskable(index)?;
        self.intx_masked = false;
        Ok(self.fire_intx(intx_level))
    }

    /// A user-requested trigger of `index`: signalled if `index` is active,
    /// whatever the mask, which is left unchanged (as vfio-pci does).
    pub(crate) fn trigger(&self, index: IrqIndex) -> Result<Option<IrqIndex>, IrqError> {
        if self.active != Some(index) {
            return Err(IrqError::NotActive);
        }
        Ok(Some(index))
    }
}
