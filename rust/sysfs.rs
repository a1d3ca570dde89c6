// SPDX-License-Identifier: GPL-2.0

//! Output of sysfs `show` callbacks.
//!
//! C header: [`include/linux/sysfs.h`](srctree/include/linux/sysfs.h)

use core::fmt;
use kernel::{page::PAGE_SIZE, prelude::*};

/// The page a sysfs `show` callback writes its text into.
///
/// Text is written with [`core::fmt::Write`] (for example with `writeln!`),
/// like `sysfs_emit_at()` does in C.  Text that does not fit is an error
/// rather than silently truncated.
///
/// # Invariants
///
/// `buf` points to `PAGE_SIZE` writable bytes that nothing else accesses while
/// this object exists, and `len <= PAGE_SIZE`.
pub struct SysfsBuffer {
    buf: *mut u8,
    len: usize,
}

impl SysfsBuffer {
    /// Creates a buffer over the page sysfs passed to a `show` callback.
    ///
    /// # Safety
    ///
    /// `buf` must be the buffer of a sysfs `show` callback (`PAGE_SIZE` bytes,
    /// exclusively owned by the callback) and the returned object must not be
    /// used after the callback returns.
    pub(crate) unsafe fn from_raw(buf: *mut u8) -> Self {
        // INVARIANT: Guaranteed by the safety requirements.
        Self { buf, len: 0 }
    }

    /// Returns the number of bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Returns whether nothing has been written yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends formatted text, failing with `EFBIG` if it does not fit.
    ///
    /// Use it with [`core::format_args!`]: `buf.emit(format_args!("{}\n", x))?`.
    pub fn emit(&mut self, args: fmt::Arguments<'_>) -> Result {
        fmt::Write::write_fmt(self, args).map_err(|_| EFBIG)
    }
}

impl fmt::Write for SysfsBuffer {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        if end > PAGE_SIZE {
            return Err(fmt::Error);
        }
        // SAFETY: By the type invariant `buf` has `PAGE_SIZE` writable bytes
        // and `self.len + s.len() <= PAGE_SIZE` was checked above; `s` cannot
        // overlap the page, which only this object accesses.
        unsafe { core::ptr::copy_nonoverlapping(s.as_ptr(), self.buf.add(self.len), s.len()) };
        // INVARIANT: `end <= PAGE_SIZE`.
        self.len = end;
        Ok(())
    }
}

/// Converts the result of a `show` implementation to what sysfs expects.
pub(crate) fn show_result(res: Result, buf: &SysfsBuffer) -> isize {
    match res {
        // `len <= PAGE_SIZE`, so it fits in an `isize`.
        Ok(()) => buf.len() as isize,
        Err(e) => e.to_errno() as isize,
    }
}
