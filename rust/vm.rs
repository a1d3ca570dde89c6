// SPDX-License-Identifier: GPL-2.0

//! The VM a VFIO device is used by.
//!
//! When user space (QEMU) adds a VFIO group or device file to a KVM-VFIO
//! device, VFIO records the VM (`struct kvm`) together with the operations
//! table of the KVM module that owns it (`struct vfio_kvm_ops`).  VFIO holds
//! a reference to the VM from before `open_device` until after
//! `close_device`.
//!
//! A vendor driver sees that VM in two forms:
//!
//! - [`VmRef<'a>`]: borrowed for the duration of one callback, backed by
//!   VFIO's own reference; it cannot be stored beyond `'a`;
//! - [`Vm`]: a reference of the driver's own, taken through the operations
//!   table with `vfio_kvm_get()`, which also pins the owner module, and
//!   dropped with `vfio_kvm_put()`.
//!
//! So a driver cannot keep a VM without holding a reference: the only way
//! from a [`VmRef`] to something that outlives the callback is
//! [`VmRef::get`].  The driver never sees a `struct kvm` pointer, and
//! this crate does not depend on KVM's symbols (KVM may be a module that is
//! loaded after VFIO).
//!
//! C header: [`include/linux/vfio.h`](srctree/include/linux/vfio.h)

use core::{marker::PhantomData, ptr::NonNull};
use kernel::{bindings, prelude::*};

/// A VM borrowed from VFIO for the duration of a callback.
///
/// # Invariants
///
/// For the lifetime `'a`, `kvm` points to a VM on which someone else (VFIO)
/// holds a reference, and `ops` points to the operations table of the module
/// that owns the VM, which that reference keeps loaded.
#[derive(Clone, Copy)]
pub struct VmRef<'a> {
    kvm: NonNull<bindings::kvm>,
    ops: NonNull<bindings::vfio_kvm_ops>,
    _p: PhantomData<&'a bindings::vfio_kvm_ops>,
}

impl<'a> VmRef<'a> {
    /// Creates a borrowed VM from VFIO's pointers, if there is a VM.
    ///
    /// # Safety
    ///
    /// If both pointers are non-null, they must satisfy the type invariants
    /// for `'a`.
    pub(crate) unsafe fn from_raw(
        kvm: *mut bindings::kvm,
        ops: *const bindings::vfio_kvm_ops,
    ) -> Option<Self> {
        // INVARIANT: Guaranteed by the safety requirements.
        Some(Self {
            kvm: NonNull::new(kvm)?,
            ops: NonNull::new(ops.cast_mut())?,
            _p: PhantomData,
        })
    }

    /// Takes a reference of the caller's own on the VM.
    ///
    /// This also pins the module that owns the VM until the returned [`Vm`]
    /// is dropped.  Fails with `ENODEV` if the VM is already being destroyed
    /// or its module is going away.
    ///
    /// Named after the C function it calls, `vfio_kvm_get()` (as
    /// `get_device()` takes a reference on a device).
    pub fn get(&self) -> Result<Vm> {
        // SAFETY: By the type invariant both pointers are valid for `'a`.
        if unsafe { bindings::vfio_kvm_get(self.kvm.as_ptr(), self.ops.as_ptr()) } {
            // INVARIANT: `vfio_kvm_get()` succeeded, so this object owns a
            // reference on the VM and on the owner module of `ops`.
            Ok(Vm {
                kvm: self.kvm,
                ops: self.ops,
            })
        } else {
            Err(ENODEV)
        }
    }

    /// Returns whether `self` and `other` are the same VM.
    pub fn is_same(&self, other: &VmRef<'_>) -> bool {
        self.kvm == other.kvm
    }
}

/// A counted reference to a VM.
///
/// # Invariants
///
/// This object owns one reference on the VM `kvm`, taken with
/// `vfio_kvm_get(kvm, ops)`, which also holds a reference on the module that
/// owns `ops`.
pub struct Vm {
    kvm: NonNull<bindings::kvm>,
    ops: NonNull<bindings::vfio_kvm_ops>,
}

// SAFETY: The VM and module reference counts are atomic, and `vfio_kvm_put()`
// may be called on any thread (in process context, see `Drop`).
unsafe impl Send for Vm {}

// SAFETY: `&Vm` only allows taking further references with `vfio_kvm_get()`,
// which is safe to call concurrently.
unsafe impl Sync for Vm {}

impl Vm {
    /// Borrows the VM, as the callbacks see it.
    pub fn as_vm_ref(&self) -> VmRef<'_> {
        // INVARIANT: The reference owned by `self` keeps `kvm` and `ops`
        // valid for as long as `self` is borrowed.
        VmRef {
            kvm: self.kvm,
            ops: self.ops,
            _p: PhantomData,
        }
    }

    /// Takes another reference on the VM.
    ///
    /// This cannot fail while `self` holds a reference, except if the owner
    /// module is being forcibly unloaded; it is fallible rather than
    /// [`Clone`] because the C operation is.
    pub fn try_clone(&self) -> Result<Vm> {
        self.as_vm_ref().get()
    }
}

impl Drop for Vm {
    /// Drops the reference.
    ///
    /// If it was the last reference, this destroys the VM, which sleeps: a
    /// [`Vm`] must be dropped in process context.
    fn drop(&mut self) {
        // SAFETY: By the type invariant this object owns the reference that
        // `vfio_kvm_get(kvm, ops)` took.
        unsafe { bindings::vfio_kvm_put(self.kvm.as_ptr(), self.ops.as_ptr()) };
    }
}
