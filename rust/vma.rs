// SPDX-License-Identifier: GPL-2.0

//! A virtual memory area that an `mmap` callback is setting up.
//!
//! When user space maps a device file, the kernel creates the VMA and hands
//! it to the driver's `mmap` callback, with the process's `mmap_lock` held
//! for writing, before any other thread can see it.  [`VmaNew`] is that
//! VMA, valid for the duration of the callback: the driver reads where it
//! is and how it may be accessed, and fills it with pages.
//!
//! The name follows `VmaNew` of the kernel crate's later `mm::virt` module,
//! which this is a small subset of for 6.12.
//!
//! C header: [`include/linux/mm.h`](srctree/include/linux/mm.h)

use kernel::{
    bindings,
    ffi::c_ulong,
    page::{Page, PAGE_SIZE},
    prelude::*,
    types::Opaque,
};

/// A VMA being set up by an `mmap` callback.
///
/// # Invariants
///
/// The `vm_area_struct` is valid for the lifetime of the reference, the
/// `mmap_lock` of its address space is held for writing, and the VMA is not
/// yet visible to page faults or other threads (an `mmap` callback).
#[repr(transparent)]
pub struct VmaNew(Opaque<bindings::vm_area_struct>);

impl VmaNew {
    /// Returns the VMA behind `vma`.
    ///
    /// # Safety
    ///
    /// `vma` must be the VMA an `mmap` callback received, and `'a` must not
    /// outlive that callback.
    pub(crate) unsafe fn from_raw<'a>(vma: *mut bindings::vm_area_struct) -> &'a Self {
        // SAFETY: `VmaNew` is a transparent wrapper of the C structure, and by
        // the safety requirements it is valid for `'a` in the state the type
        // invariants describe.
        unsafe { &*vma.cast::<Self>() }
    }

    fn as_raw(&self) -> *mut bindings::vm_area_struct {
        self.0.get()
    }

    fn flags(&self) -> c_ulong {
        // SAFETY: The VMA is valid (type invariant); `vm_flags` is only
        // written with the `mmap_lock` held for writing, which the caller of
        // the callback holds, so nobody changes it under us.
        unsafe { (*self.as_raw()).__bindgen_anon_2.vm_flags }
    }

    /// Returns the first user address of the VMA.
    pub fn start(&self) -> usize {
        // SAFETY: The VMA is valid (type invariant) and its range is fixed
        // while the `mmap_lock` is held.
        unsafe { (*self.as_raw()).__bindgen_anon_1.__bindgen_anon_1.vm_start }
    }

    /// Returns the size of the VMA in bytes (a whole number of pages).
    pub fn len(&self) -> usize {
        // SAFETY: As in `start`.
        let end = unsafe { (*self.as_raw()).__bindgen_anon_1.__bindgen_anon_1.vm_end };
        end.saturating_sub(self.start())
    }

    /// Whether the VMA is empty; never true for a VMA the kernel created.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Returns the offset in the file of the start of the VMA, in pages
    /// (`vm_pgoff`: the `offset` argument of `mmap()` divided by the page
    /// size).
    pub fn pgoff(&self) -> usize {
        // SAFETY: As in `start`.
        unsafe { (*self.as_raw()).vm_pgoff }
    }

    /// Whether writes through the mapping reach the file (`MAP_SHARED`):
    /// `VM_SHARED`.
    pub fn is_shared(&self) -> bool {
        self.flags() & bindings::VM_SHARED as c_ulong != 0
    }

    /// Whether the mapping may be read (`PROT_READ`): `VM_READ`.
    pub fn is_readable(&self) -> bool {
        self.flags() & bindings::VM_READ as c_ulong != 0
    }

    /// Whether the mapping may be written (`PROT_WRITE`): `VM_WRITE`.
    pub fn is_writable(&self) -> bool {
        self.flags() & bindings::VM_WRITE as c_ulong != 0
    }

    /// Keeps `mremap()` from growing the mapping past what the driver
    /// filled (`VM_DONTEXPAND`).
    pub fn set_dontexpand(&self) {
        let flags = self.flags() | bindings::VM_DONTEXPAND as c_ulong;
        // SAFETY: The VMA is valid and not yet visible to anyone else, and the
        // `mmap_lock` is held for writing (type invariants): this is the state
        // in which `vm_flags_init()` writes `__vm_flags` directly.
        unsafe { (*self.as_raw()).__bindgen_anon_2.__vm_flags = flags };
    }

    /// Maps `page` at user address `addr`, which must be a page-aligned
    /// address inside the VMA (`EFAULT` otherwise, `EINVAL` if it is not
    /// aligned).
    ///
    /// The mapping takes its own reference to the page (`vm_insert_page()`):
    /// the page stays allocated as long as it is mapped, even after `page` is
    /// dropped.  The first call marks the VMA `VM_MIXEDMAP`.
    pub fn insert_page(&self, addr: usize, page: &Page) -> Result {
        if addr % PAGE_SIZE != 0 {
            return Err(EINVAL);
        }
        // SAFETY: The VMA is valid and the `mmap_lock` is held for writing, as
        // `vm_insert_page()` needs to set `VM_MIXEDMAP`.  `page` is an order-0
        // page from the page allocator (`Page`'s invariant), not a slab page,
        // which is what `vm_insert_page()` takes; it checks `addr` itself.
        let ret = unsafe { bindings::vm_insert_page(self.as_raw(), addr, page.as_ptr()) };
        if ret < 0 {
            return Err(Error::from_errno(ret));
        }
        Ok(())
    }
}
