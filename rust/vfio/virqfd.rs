// SPDX-License-Identifier: GPL-2.0

//! Irqfds: eventfds that call into the driver when they are signalled.
//!
//! User space hands VFIO an eventfd with `VFIO_DEVICE_SET_IRQS` to have the
//! driver act when something else signals it, without a system call in
//! between.  The main user is KVM's resampling irqfd: when the guest ends the
//! interrupt handler of a level-triggered INTx, KVM signals the "resample"
//! eventfd, which QEMU passes to VFIO with `VFIO_IRQ_SET_ACTION_UNMASK`, and
//! the driver unmasks INTx (`vfio_pci_set_intx_unmask()` in `vfio-pci`).
//!
//! [`VirqFd`] wraps VFIO's generic irqfd (`vfio_virqfd_enable()`).  Its
//! [`Handler`] runs in process context, from a workqueue, so it may take the
//! driver's sleeping locks.  It needs `CONFIG_VFIO_VIRQFD`, a hidden option
//! that `VFIO_PCI_CORE` and `VFIO_PLATFORM` select.
//!
//! C header: [`include/linux/vfio.h`](srctree/include/linux/vfio.h)

use core::{marker::PhantomData, ptr};
use kernel::{bindings, error::to_result, ffi::c_void, prelude::*, sync::Arc, types::Opaque};

/// What an irqfd does when its eventfd is signalled.
///
/// Types implementing this trait are only used as type parameters of
/// [`VirqFd`].
pub trait Handler: 'static {
    /// The state the handler acts on, shared with the rest of the driver.
    type Target: Send + Sync;

    /// Called after the eventfd was signalled, once for one or several
    /// signals.
    ///
    /// It runs in process context, on a workqueue, and may sleep.  The
    /// [`VirqFd`] it belongs to waits for it when it is dropped: the handler
    /// must not take a lock that is held where that [`VirqFd`] is dropped,
    /// nor drop it itself.
    fn signalled(target: &Self::Target);
}

/// An irqfd: an eventfd of user space that has [`Handler::signalled`]
/// called with a target after it is signalled, until it is dropped.
///
/// Dropping it waits for a running [`Handler::signalled`] to return (it
/// calls `vfio_virqfd_disable()`, which flushes VFIO's irqfd workqueue), so
/// it must not be dropped while holding a lock the handler takes: keep it
/// under a lock of its own, or take it out of the handler's lock and drop it
/// after the unlock.  Nor must it be stored in its own target, which would
/// be a reference cycle.
///
/// User space may close the eventfd at any time: VFIO then shuts the irqfd
/// down by itself (`EPOLLHUP`), and the handler is not called any more.  The
/// [`VirqFd`] stays valid; dropping it then only waits for that shutdown to
/// complete.
///
/// # Invariants
///
/// `inner.slot` is the `struct virqfd **` that `vfio_virqfd_enable()` was
/// given, with a pointer to `*inner.target` as `opaque` and `thread_fn::<H>`
/// as `thread`.  Until `vfio_virqfd_disable()` returns on it, VFIO may
/// write the slot (under its own lock), keep a pointer to it, and call
/// `thread_fn::<H>` with that `opaque`; `inner` is pinned, and neither it
/// nor the target it holds a reference to is freed before [`VirqFd`]'s
/// `drop` has called `vfio_virqfd_disable()`.
pub struct VirqFd<H: Handler> {
    inner: Pin<KBox<Inner<H>>>,
}

/// The part of a [`VirqFd`] that VFIO points to.
struct Inner<H: Handler> {
    /// `struct virqfd *`, owned by VFIO: set by `vfio_virqfd_enable()`,
    /// cleared under VFIO's lock by `vfio_virqfd_disable()` or when the
    /// eventfd is closed.  Never read from Rust.
    slot: Opaque<*mut bindings::virqfd>,
    /// What the handler acts on; `opaque` points to it.
    target: Arc<H::Target>,
    _handler: PhantomData<fn(&H::Target)>,
}

// SAFETY: The slot is only accessed by VFIO's functions, under VFIO's own
// spinlock, from whatever thread; `target` is an `Arc` of a `Send + Sync`
// type.  Dropping a `VirqFd` on another thread than the one that created it
// is what `vfio_virqfd_disable()` allows.
unsafe impl<H: Handler> Send for VirqFd<H> {}

// SAFETY: `&VirqFd` gives access to nothing: there is no method taking
// `&self`.
unsafe impl<H: Handler> Sync for VirqFd<H> {}

impl<H: Handler> VirqFd<H> {
    /// Makes file descriptor `fd` of the current process an irqfd that
    /// calls [`Handler::signalled`] with `target`.
    ///
    /// If the eventfd is already signalled, the handler is called at once
    /// (from the workqueue), as for a signal that comes later.
    ///
    /// Fails with `EBADF` if `fd` is not an open file descriptor (negative
    /// values included), `EINVAL` if it is not an eventfd, `ENOMEM`: the
    /// errors of `vfio_virqfd_enable()`, which `vfio-pci` returns as they are.
    pub fn new(target: Arc<H::Target>, fd: i32) -> Result<Self> {
        let inner = KBox::pin(
            Inner {
                slot: Opaque::new(ptr::null_mut()),
                target,
                _handler: PhantomData,
            },
            GFP_KERNEL,
        )?;
        let target = ptr::from_ref::<H::Target>(&inner.target).cast_mut();
        // SAFETY: `thread_fn::<H>` is called with `opaque`, a pointer to the
        // `H::Target` that `inner.target` holds a reference to; `inner` is
        // pinned and lives (with its reference) until `drop` has called
        // `vfio_virqfd_disable()`, after which VFIO calls nothing.  The slot
        // is in `inner`, so it is pinned, and it is null as
        // `vfio_virqfd_enable()` requires.  Without a `handler`, `data` is
        // only passed to `thread_fn`, which ignores it.
        to_result(unsafe {
            bindings::vfio_virqfd_enable(
                target.cast::<c_void>(),
                None,
                Some(thread_fn::<H>),
                ptr::null_mut(),
                inner.slot.get(),
                fd,
            )
        })?;
        // INVARIANT: `vfio_virqfd_enable()` succeeded with the slot, opaque
        // and thread function the invariant names.
        Ok(Self { inner })
    }
}

impl<H: Handler> Drop for VirqFd<H> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the slot is the one that
        // `vfio_virqfd_enable()` was given; `vfio_virqfd_disable()` takes
        // VFIO's lock to read and clear it, so it also works when the irqfd
        // already shut down because user space closed the eventfd.  It
        // returns once the shutdown is complete and `thread_fn` has returned;
        // `inner` and the target are dropped only after this.
        unsafe { bindings::vfio_virqfd_disable(self.inner.slot.get()) };
    }
}

/// The `thread` callback of `vfio_virqfd_enable()`: runs the handler, in
/// process context, on the system workqueue.
///
/// # Safety
///
/// `opaque` must point to a valid `H::Target` that stays valid for the
/// duration of the call.
unsafe extern "C" fn thread_fn<H: Handler>(opaque: *mut c_void, _data: *mut c_void) {
    // SAFETY: By the function's safety requirements; `VirqFd::new` passes a
    // pointer to the target that the `VirqFd` keeps alive until
    // `vfio_virqfd_disable()` has waited for this call.
    let target = unsafe { &*opaque.cast::<H::Target>().cast_const() };
    H::signalled(target);
}
