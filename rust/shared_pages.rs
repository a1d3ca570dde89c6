// SPDX-License-Identifier: GPL-2.0

//! Pages of memory that a driver shares with user space.
//!
//! [`SharedPages`] is RAM-like device memory: the driver reads and writes it
//! (for the `read`/`write` path of a region, or to compute something from
//! it) and maps it into user space from an `mmap` callback
//! ([`SharedPages::map`]).
//!
//! # Lifetime
//!
//! Each page is owned by the [`SharedPages`] and, while it is mapped, also
//! by every mapping of it: [`VmaNew::insert_page`] takes a page reference
//! that the mapping drops when it is unmapped.  Dropping the
//! [`SharedPages`] only drops its own reference, so a page is freed when the
//! object is gone *and* the last mapping of it is unmapped, whichever comes
//! last; a process never sees a freed page through a mapping.
//!
//! # Memory shared with user space
//!
//! User space may write a mapped page at any time, also while the kernel
//! copies it.  The pages are therefore treated like user memory: they are
//! only copied, as bytes, with no reference to their contents ever formed,
//! and a copy that races with a user write may see some of the old and some
//! of the new bytes (every bit pattern is a valid `u8`).  The kernel's own
//! accesses are ordered by `&mut self` for writes.

use super::vma::VmaNew;
use kernel::{
    alloc::flags::__GFP_ZERO,
    page::{Page, PAGE_SIZE},
    prelude::*,
};

/// Zeroed pages of memory that can be mapped into user space.
///
/// # Invariants
///
/// `pages` holds order-0 pages from the page allocator (`Page`).
pub struct SharedPages {
    pages: KVec<Page>,
}

impl SharedPages {
    /// Allocates `count` zeroed pages.
    pub fn new(count: usize) -> Result<Self> {
        let mut pages = KVec::with_capacity(count, GFP_KERNEL)?;
        for _ in 0..count {
            pages.push(Page::alloc_page(GFP_KERNEL | __GFP_ZERO)?, GFP_KERNEL)?;
        }
        Ok(Self { pages })
    }

    /// Returns the size of the memory in bytes.
    pub fn size(&self) -> usize {
        self.pages.len() * PAGE_SIZE
    }

    /// Calls `f` with each page piece of `len` bytes at `offset`: the page,
    /// the offset in it, the offset in the caller's buffer and the length.
    /// `EINVAL` if the range is not inside the memory.
    fn pieces(
        &self,
        offset: usize,
        len: usize,
        mut f: impl FnMut(&Page, usize, usize, usize) -> Result,
    ) -> Result {
        let end = offset.checked_add(len).ok_or(EINVAL)?;
        if end > self.size() {
            return Err(EINVAL);
        }
        let mut done = 0;
        while done < len {
            let pos = offset + done;
            let in_page = pos % PAGE_SIZE;
            let piece = (PAGE_SIZE - in_page).min(len - done);
            let page = self.pages.get(pos / PAGE_SIZE).ok_or(EINVAL)?;
            f(page, in_page, done, piece)?;
            done += piece;
        }
        Ok(())
    }

    /// Copies `buf.len()` bytes at `offset` into `buf`; `EINVAL` if they are
    /// not all inside the memory.
    pub fn read(&self, offset: usize, buf: &mut [u8]) -> Result {
        let len = buf.len();
        let dst = buf.as_mut_ptr();
        self.pieces(offset, len, |page, in_page, at, piece| {
            // SAFETY: `at + piece <= buf.len()` (`pieces`), so `dst + at` is
            // valid for writing `piece` bytes.  A concurrent write to the page
            // can only come from user space (writes from the kernel need
            // `&mut self`), which the module documentation allows for.
            unsafe { page.read_raw(dst.add(at), in_page, piece) }
        })
    }

    /// Copies `data` to `offset`; `EINVAL` if it does not all fit inside the
    /// memory.
    pub fn write(&mut self, offset: usize, data: &[u8]) -> Result {
        let src = data.as_ptr();
        self.pieces(offset, data.len(), |page, in_page, at, piece| {
            // SAFETY: `at + piece <= data.len()` (`pieces`), so `src + at` is
            // valid for reading `piece` bytes.  No other kernel access runs
            // (`&mut self`); user space may access the page concurrently, which
            // the module documentation allows for.
            unsafe { page.write_raw(src.add(at), in_page, piece) }
        })
    }

    /// Maps the pages from byte `offset` (page-aligned) on into `vma`, one
    /// page per page of the VMA, from its start; `EINVAL` if `offset` is not
    /// aligned or the VMA reaches past the memory.
    ///
    /// The mapping holds the pages it maps (see the module documentation).
    pub fn map(&self, vma: &VmaNew, offset: usize) -> Result {
        if offset % PAGE_SIZE != 0 || vma.len() % PAGE_SIZE != 0 {
            return Err(EINVAL);
        }
        let first = offset / PAGE_SIZE;
        let count = vma.len() / PAGE_SIZE;
        let pages = first
            .checked_add(count)
            .and_then(|end| self.pages.get(first..end))
            .ok_or(EINVAL)?;
        for (i, page) in pages.iter().enumerate() {
            vma.insert_page(vma.start() + i * PAGE_SIZE, page)?;
        }
        Ok(())
    }
}
