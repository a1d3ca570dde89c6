// SPDX-License-Identifier: GPL-2.0

//! Host-side checks of the rust_mtty device model (`samples/rust_mtty/model/`).
//!
//! The library build compiles the model exactly as the kernel crate does:
//! `#![no_std]`, edition 2021, as a private module, which proves it needs
//! nothing but `core`.  The test build adds the unit tests in `tests/`.

#![cfg_attr(not(test), no_std)]
// Without the tests nothing calls the model; the test build checks dead code.
#![cfg_attr(not(test), allow(dead_code))]

// The VFIO PCI indices the model and its driver share: kernel-free, so the
// abstraction's own file builds here as it is.
#[path = "../../../../rust/vfio/pci/index.rs"]
pub mod vfio_pci;

#[path = "../../model/mod.rs"]
mod model;

#[cfg(test)]
mod tests;
