// SPDX-License-Identifier: GPL-2.0

//! Eventfd contexts.
//!
//! An eventfd is how VFIO delivers interrupts to user space: the user passes
//! eventfd file descriptors in `VFIO_DEVICE_SET_IRQS` and the driver signals
//! them.
//!
//! C header: [`include/linux/eventfd.h`](srctree/include/linux/eventfd.h)

use core::ptr::NonNull;
use kernel::{bindings, error::from_err_ptr, prelude::*};

/// A reference to an eventfd context.
///
/// The reference is taken from a file descriptor of the current process and
/// stays valid when the process closes the descriptor.
///
/// # Invariants
///
/// `ctx` points to an eventfd context on which this object holds a reference
/// (taken by `eventfd_ctx_fdget`, dropped by `eventfd_ctx_put`).
pub struct EventFd {
    ctx: NonNull<bindings::eventfd_ctx>,
}

// SAFETY: The context is reference counted with atomic operations, and the
// reference may be dropped on any thread.
unsafe impl Send for EventFd {}

// SAFETY: `eventfd_signal` takes the context's own spinlock, so it can be
// called concurrently from several threads through `&EventFd`.
unsafe impl Sync for EventFd {}

impl EventFd {
    /// Takes a reference to the eventfd context behind file descriptor `fd`
    /// of the current process.
    ///
    /// Fails with `EBADF` if `fd` is not an open file descriptor (negative
    /// values included) and with `EINVAL` if it is not an eventfd.
    pub fn from_fd(fd: i32) -> Result<Self> {
        // SAFETY: `eventfd_ctx_fdget` accepts any integer and validates it.
        let ctx = from_err_ptr(unsafe { bindings::eventfd_ctx_fdget(fd) })?;
        let ctx = NonNull::new(ctx).ok_or(EBADF)?;
        // INVARIANT: `eventfd_ctx_fdget` returned a referenced context.
        Ok(Self { ctx })
    }

    /// Adds one to the eventfd counter and wakes up its waiters.
    ///
    /// This can be called in any context, including atomic context.
    pub fn signal(&self) {
        // SAFETY: By the type invariant `ctx` is a valid, referenced context.
        unsafe { bindings::eventfd_signal(self.ctx.as_ptr()) };
    }

    /// Returns whether `self` and `other` refer to the same eventfd.
    pub fn is_same(&self, other: &EventFd) -> bool {
        self.ctx == other.ctx
    }
}

impl Drop for EventFd {
    fn drop(&mut self) {
        // SAFETY: By the type invariant this object owns one reference.
        unsafe { bindings::eventfd_ctx_put(self.ctx.as_ptr()) };
    }
}
