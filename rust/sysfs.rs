// SPDX-License-Identifier: GPL-2.0

//! Sysfs attributes: the output of `show` callbacks, and attribute tables.
//!
//! - [`SysfsBuffer`]: the page a `show` callback writes its text into;
//! - [`Attribute`] and [`AttributeGroup`]: read-only attributes described by
//!   a driver as static data, whatever kind of device they belong to (an
//!   [`AttributeKind`] says what their `show` functions get); the
//!   abstraction of that kind of device builds the C tables (`dev_groups` of
//!   a `struct device_driver`) from them and calls `show`.
//!
//! C header: [`include/linux/sysfs.h`](srctree/include/linux/sysfs.h)

use core::{
    fmt,
    mem::MaybeUninit,
    ptr::{null, null_mut},
};
use kernel::{bindings, ffi::c_char, page::PAGE_SIZE, prelude::*, str::CStr, types::Opaque};

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

/// The kind of device some sysfs attributes belong to.
///
/// An abstraction implements it for each kind of device whose drivers
/// describe attributes (for example for the instances of an mdev driver,
/// [`mdev::InstanceAttributes`](crate::mdev::InstanceAttributes)).
pub trait AttributeKind: 'static {
    /// The function that writes an attribute's contents: what it gets is
    /// up to the abstraction, which calls it.
    type Show: 'static;
}

/// A read-only sysfs attribute of a device of kind `K`.
pub struct Attribute<K: AttributeKind> {
    /// The file name.
    pub name: &'static CStr,
    /// Writes the file's contents.
    pub show: K::Show,
}

/// A group of sysfs attributes of a device of kind `K`.
pub struct AttributeGroup<K: AttributeKind> {
    /// The name of the group's directory, or `None` for the device's own
    /// directory.
    pub name: Option<&'static CStr>,
    /// The attributes.
    pub attributes: &'static [Attribute<K>],
}

/// The C `show` callback of every attribute of an [`AttributeTable`].
pub(crate) type ShowCallback = unsafe extern "C" fn(
    *mut bindings::device,
    *mut bindings::device_attribute,
    *mut c_char,
) -> isize;

/// An attribute as registered with the driver core.
///
/// # Invariants
///
/// `raw` is at offset 0.
#[repr(C)]
struct AttrSlot<K: AttributeKind> {
    raw: Opaque<bindings::device_attribute>,
    attr: &'static Attribute<K>,
}

/// A lockdep class key for the attributes, which are not static.
#[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
struct StaticLockClassKey(Opaque<bindings::lock_class_key>);

// SAFETY: Lockdep synchronises its own use of class keys.
#[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
unsafe impl Sync for StaticLockClassKey {}

/// The lock class of the `kn->active` reference of every attribute file, as
/// `sysfs_attr_init()` provides in C.
#[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
static ATTRIBUTE_KEY: StaticLockClassKey = StaticLockClassKey(Opaque::uninit());

/// The C view of a driver's attribute groups: the `dev_groups` of a `struct
/// device_driver`.
///
/// # Invariants
///
/// The buffers of the vectors are never reallocated; `group_ptrs` is a
/// null-terminated array of pointers into `groups`, whose `attrs` point to
/// null-terminated runs of `attr_ptrs`, which point into `attrs`.  If there
/// are no groups, `group_ptrs` is empty.
pub(crate) struct AttributeTable<K: AttributeKind> {
    attrs: KVec<AttrSlot<K>>,
    attr_ptrs: KVec<*mut bindings::attribute>,
    groups: KVec<bindings::attribute_group>,
    group_ptrs: KVec<*const bindings::attribute_group>,
}

impl<K: AttributeKind> AttributeTable<K> {
    /// Builds the tables of `groups`, whose files call `show`.
    ///
    /// `show` finds the attribute being shown with
    /// [`AttributeTable::attribute`].
    pub(crate) fn new(groups: &'static [AttributeGroup<K>], show: ShowCallback) -> Result<Self> {
        let n_attrs = groups.iter().map(|g| g.attributes.len()).sum::<usize>();

        let mut this = Self {
            attrs: KVec::with_capacity(n_attrs, GFP_KERNEL)?,
            attr_ptrs: KVec::with_capacity(n_attrs + groups.len(), GFP_KERNEL)?,
            groups: KVec::with_capacity(groups.len(), GFP_KERNEL)?,
            group_ptrs: KVec::with_capacity(groups.len() + 1, GFP_KERNEL)?,
        };
        if groups.is_empty() {
            return Ok(this);
        }

        // All the pushes below stay within the capacities reserved above, so
        // no buffer is reallocated after pointers into it are taken.
        for attr in groups.iter().flat_map(|g| g.attributes.iter()) {
            // SAFETY: All zeros is a valid `device_attribute`.
            let mut raw: bindings::device_attribute =
                unsafe { MaybeUninit::zeroed().assume_init() };
            raw.attr.name = attr.name.as_char_ptr();
            raw.attr.mode = 0o444;
            #[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
            {
                raw.attr.key = ATTRIBUTE_KEY.0.get();
            }
            raw.show = Some(show);
            this.attrs.push(
                AttrSlot {
                    raw: Opaque::new(raw),
                    attr,
                },
                GFP_KERNEL,
            )?;
        }

        let mut next = 0;
        for group in groups {
            let first = this.attr_ptrs.len();
            let end = next + group.attributes.len();
            for slot in this.attrs.get(next..end).ok_or(EINVAL)? {
                // The `attribute` is the first member of `device_attribute`.
                this.attr_ptrs.push(slot.raw.get().cast(), GFP_KERNEL)?;
            }
            next = end;
            this.attr_ptrs.push(null_mut(), GFP_KERNEL)?;

            // SAFETY: All zeros is a valid `attribute_group`.
            let mut raw: bindings::attribute_group = unsafe { MaybeUninit::zeroed().assume_init() };
            raw.name = group.name.map_or(null(), CStr::as_char_ptr);
            // SAFETY: `first` is within the buffer (it was the length before
            // at least one push).
            raw.attrs = unsafe { this.attr_ptrs.as_mut_ptr().add(first) };
            this.groups.push(raw, GFP_KERNEL)?;
        }

        for group in this.groups.iter() {
            this.group_ptrs
                .push(core::ptr::from_ref(group), GFP_KERNEL)?;
        }
        this.group_ptrs.push(null(), GFP_KERNEL)?;
        // INVARIANT: Built as described, without reallocation.
        Ok(this)
    }

    /// Returns the `dev_groups` array for `struct device_driver`.
    pub(crate) fn dev_groups(&mut self) -> *mut *const bindings::attribute_group {
        if self.group_ptrs.is_empty() {
            null_mut()
        } else {
            self.group_ptrs.as_mut_ptr()
        }
    }

    /// Returns the attribute that `attr` was registered for.
    ///
    /// # Safety
    ///
    /// `attr` must be the attribute the driver core passes to the `show`
    /// callback of an attribute of a table of this type that lives for as
    /// long as the driver it belongs to is registered.
    pub(crate) unsafe fn attribute(attr: *mut bindings::device_attribute) -> &'static Attribute<K> {
        // SAFETY: By the type invariant of `AttrSlot` the attribute is at
        // offset 0 of a slot of such a table, which is live by the safety
        // requirements; the slot's `attr` is a static reference.
        unsafe { (*attr.cast::<AttrSlot<K>>()).attr }
    }
}
