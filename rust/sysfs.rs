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
/// At most `PAGE_SIZE - 1` bytes fit, as with `sysfs_emit()`, which keeps
/// the last byte of the page for the terminating NUL: sysfs itself treats a
/// `show` that returns `PAGE_SIZE` as a bug (it logs "fill_read_buffer:
/// ... returned bad count" and cuts the text to `PAGE_SIZE - 1`).
///
/// # Invariants
///
/// `buf` points to `PAGE_SIZE` writable bytes that nothing else accesses while
/// this object exists, and `len < PAGE_SIZE`.
pub struct SysfsBuffer {
    buf: *mut u8,
    len: usize,
}

impl SysfsBuffer {
    /// The most text a `show` may return.
    const MAX_LEN: usize = PAGE_SIZE - 1;

    /// Returns the length after appending `add` bytes to `len`, if that
    /// fits.
    const fn end(len: usize, add: usize) -> Option<usize> {
        match len.checked_add(add) {
            Some(end) if end <= Self::MAX_LEN => Some(end),
            _ => None,
        }
    }

    /// The limit, checked at build time: `PAGE_SIZE - 1` bytes fit, in one
    /// piece or in two; `PAGE_SIZE` bytes do not, nor does one more byte
    /// after a full buffer; a length that overflows is refused.
    const LIMITS_OK: () = {
        assert!(matches!(Self::end(0, PAGE_SIZE - 1), Some(n) if n == PAGE_SIZE - 1));
        assert!(matches!(Self::end(PAGE_SIZE - 2, 1), Some(n) if n == PAGE_SIZE - 1));
        assert!(Self::end(0, PAGE_SIZE).is_none());
        assert!(Self::end(PAGE_SIZE - 1, 1).is_none());
        assert!(Self::end(1, usize::MAX).is_none());
    };

    /// Creates a buffer over the page sysfs passed to a `show` callback.
    ///
    /// # Safety
    ///
    /// `buf` must be the buffer of a sysfs `show` callback (`PAGE_SIZE` bytes,
    /// exclusively owned by the callback) and the returned object must not be
    /// used after the callback returns.
    pub(crate) unsafe fn from_raw(buf: *mut u8) -> Self {
        let () = Self::LIMITS_OK;
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
        let end = Self::end(self.len, s.len()).ok_or(fmt::Error)?;
        // SAFETY: By the type invariant `buf` has `PAGE_SIZE` writable bytes
        // and `self.len + s.len() < PAGE_SIZE` was checked above; `s` cannot
        // overlap the page, which only this object accesses.
        unsafe { core::ptr::copy_nonoverlapping(s.as_ptr(), self.buf.add(self.len), s.len()) };
        // INVARIANT: `end < PAGE_SIZE`.
        self.len = end;
        Ok(())
    }
}

/// Converts the result of a `show` implementation to what sysfs expects.
pub(crate) fn show_result(res: Result, buf: &SysfsBuffer) -> isize {
    match res {
        // `len < PAGE_SIZE`, so it fits in an `isize`.
        Ok(()) => buf.len() as isize,
        Err(e) => e.to_errno() as isize,
    }
}
