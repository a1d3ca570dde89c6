// SPDX-License-Identifier: GPL-2.0

//! Arguments of VFIO device ioctls.
//!
//! Every VFIO ioctl argument starts with `argsz` (the size user space
//! provides) and `flags`.  The kernel reads the fixed part of the structure
//! (its "minsz", the end of the last field the ioctl has always had), rejects
//! an `argsz` below that, and writes back only that fixed part.
//! [`IoctlArg`] does exactly this, in one place, for every argument type.
//!
//! [`IrqSet`] decodes a complete `VFIO_DEVICE_SET_IRQS` request, with
//! `vfio_set_irqs_validate_and_prepare()` doing the checks VFIO defines.
//!
//! C header: [`include/uapi/linux/vfio.h`](srctree/include/uapi/linux/vfio.h)

use core::{
    mem::{offset_of, size_of, MaybeUninit},
    ops::{Deref, DerefMut},
};
use kernel::{
    bindings,
    error::to_result,
    ffi::c_int,
    prelude::*,
    uaccess::{UserPtr, UserSlice, UserSliceReader},
};

/// A VFIO ioctl argument structure.
///
/// # Safety
///
/// - `Self` is a C structure made of integers only, for which every bit
///   pattern (including all zeros) is valid.
/// - Its first `MINSZ` bytes contain no padding, and `MINSZ <= size_of::<Self>()`.
/// - It starts with the `u32` fields `argsz` and `flags`.
pub unsafe trait VfioArg: Sized {
    /// The size of the part of the structure that is always present.
    const MINSZ: usize;

    /// The `flags` bits user space may set on input.
    ///
    /// Structures whose `flags` are only an output accept anything, as
    /// `vfio-pci` does.
    const ACCEPTED_FLAGS: u32;
}

/// Expands to `offsetofend(type, field)`.
macro_rules! offset_of_end {
    ($t:ty, $f:ident) => {
        offset_of!($t, $f) + size_of::<u32>()
    };
}

// SAFETY: `vfio_device_info` has only `u32` fields; the fixed part ends at
// `num_irqs` (`flags` is an output).
unsafe impl VfioArg for bindings::vfio_device_info {
    const MINSZ: usize = offset_of_end!(Self, num_irqs);
    const ACCEPTED_FLAGS: u32 = u32::MAX;
}

// SAFETY: `vfio_region_info` has only `u32` and naturally aligned `u64`
// fields; the fixed part ends with `offset`, the last field.
unsafe impl VfioArg for bindings::vfio_region_info {
    const MINSZ: usize = offset_of!(Self, offset) + size_of::<u64>();
    const ACCEPTED_FLAGS: u32 = u32::MAX;
}

// SAFETY: `vfio_irq_info` has only `u32` fields; the fixed part ends with
// `count`, the last field.
unsafe impl VfioArg for bindings::vfio_irq_info {
    const MINSZ: usize = offset_of_end!(Self, count);
    const ACCEPTED_FLAGS: u32 = u32::MAX;
}

// SAFETY: `vfio_precopy_info` has two `u32` and two `u64` fields, the
// `u64` ones 8-byte aligned after the two `u32`: no padding.  `flags` is
// not used on input.
unsafe impl VfioArg for bindings::vfio_precopy_info {
    const MINSZ: usize = offset_of!(Self, dirty_bytes) + size_of::<u64>();
    const ACCEPTED_FLAGS: u32 = u32::MAX;
}

// SAFETY: `vfio_irq_set` has only `u32` fields before the flexible `data`
// array, which is not part of the fixed part (ending with `count`).
unsafe impl VfioArg for bindings::vfio_irq_set {
    const MINSZ: usize = offset_of_end!(Self, count);
    const ACCEPTED_FLAGS: u32 =
        bindings::VFIO_IRQ_SET_DATA_TYPE_MASK | bindings::VFIO_IRQ_SET_ACTION_TYPE_MASK;
}

/// A VFIO ioctl argument read from user space.
///
/// Dereferences to the C structure; fields beyond [`VfioArg::MINSZ`] are zero.
///
/// # Invariants
///
/// When read, `argsz >= T::MINSZ` and `flags` had no bit outside
/// [`VfioArg::ACCEPTED_FLAGS`].  The driver may change the fields through
/// `DerefMut` before [`IoctlArg::write_back`], so the methods do not rely on
/// that for memory safety or to avoid a panic.
pub struct IoctlArg<T: VfioArg> {
    value: T,
    arg: UserPtr,
}

impl<T: VfioArg> IoctlArg<T> {
    /// Reads the fixed part of the argument at `arg`.
    ///
    /// Fails with `EFAULT` if it cannot be read, and with `EINVAL` if `argsz`
    /// is smaller than the fixed part or `flags` has bits outside
    /// [`VfioArg::ACCEPTED_FLAGS`].
    pub fn read(arg: UserPtr) -> Result<Self> {
        let () = Self::MINSZ_OK;
        let mut value = MaybeUninit::<T>::zeroed();
        // SAFETY: The buffer is the first `MINSZ <= size_of::<T>()` bytes of
        // `value`, which are initialised (zeroed) and, by the `VfioArg`
        // contract, plain integers without padding.
        let bytes =
            unsafe { core::slice::from_raw_parts_mut(value.as_mut_ptr().cast::<u8>(), T::MINSZ) };
        UserSlice::new(arg, T::MINSZ).reader().read_slice(bytes)?;
        // SAFETY: By the `VfioArg` contract every bit pattern is a valid `T`.
        let value = unsafe { value.assume_init() };
        let this = Self { value, arg };
        if this.argsz() < T::MINSZ || this.flags() & !T::ACCEPTED_FLAGS != 0 {
            return Err(EINVAL);
        }
        Ok(this)
    }

    const MINSZ_OK: () = assert!(T::MINSZ >= 2 * size_of::<u32>() && T::MINSZ <= size_of::<T>());

    fn header(&self) -> [u32; 2] {
        // SAFETY: By the `VfioArg` contract `T` starts with two `u32` fields.
        unsafe { core::ptr::read(core::ptr::from_ref(&self.value).cast::<[u32; 2]>()) }
    }

    /// Returns the size of the argument as given by user space.
    pub fn argsz(&self) -> usize {
        self.header()[0] as usize
    }

    /// Returns the flags user space passed.
    pub fn flags(&self) -> u32 {
        self.header()[1]
    }

    /// Returns a reader for the bytes that follow the fixed part, up to
    /// `argsz`.
    pub fn trailing(&self) -> UserSliceReader {
        let len = self.argsz().saturating_sub(T::MINSZ);
        UserSlice::new(self.arg.wrapping_add(T::MINSZ), len).reader()
    }

    /// Writes the fixed part back to user space.
    ///
    /// Only the fixed part is written, never more than user space announced
    /// with `argsz`.  A field of the fixed part the driver did not set is
    /// written back as user space passed it: a driver that reports no
    /// capability chain clears `cap_offset` itself.
    pub fn write_back(&self) -> Result {
        // SAFETY: The first `MINSZ` bytes of `value` are initialised integers
        // without padding (the `VfioArg` contract).
        let bytes = unsafe {
            core::slice::from_raw_parts(core::ptr::from_ref(&self.value).cast::<u8>(), T::MINSZ)
        };
        UserSlice::new(self.arg, T::MINSZ)
            .writer()
            .write_slice(bytes)
    }
}

impl<T: VfioArg> Deref for IoctlArg<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: VfioArg> DerefMut for IoctlArg<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

/// What a `VFIO_DEVICE_SET_IRQS` request does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IrqAction {
    /// Mask the interrupts.
    Mask,
    /// Unmask the interrupts.
    Unmask,
    /// Set the signalling (eventfd) or fire the interrupts (none, bool).
    Trigger,
}

/// The data of a `VFIO_DEVICE_SET_IRQS` request, one element per interrupt.
#[derive(Debug)]
pub enum IrqData {
    /// No data: the action applies to all `count` interrupts.
    None,
    /// One boolean per interrupt.
    Bool(KVec<bool>),
    /// One file descriptor per interrupt; -1 means none.
    EventFd(KVec<i32>),
}

/// A decoded and validated `VFIO_DEVICE_SET_IRQS` request.
#[derive(Debug)]
pub struct IrqSet {
    /// The interrupt index.
    pub index: u32,
    /// The first interrupt of the range.
    pub start: u32,
    /// The number of interrupts in the range.
    pub count: u32,
    /// The action.
    pub action: IrqAction,
    /// The data.
    pub data: IrqData,
}

impl IrqSet {
    /// Reads a `VFIO_DEVICE_SET_IRQS` request from `arg`.
    ///
    /// `num_indices` is the number of interrupt indices of the device, and
    /// `irqs_at(index)` the number of interrupts at index `index` (0 for an
    /// index the device does not have).  Fails with `EINVAL` for a bad
    /// `argsz`, unknown or inconsistent flags, an index out of range, or a
    /// range of interrupts the index does not have.
    pub fn read(arg: UserPtr, num_indices: u32, irqs_at: impl FnOnce(u32) -> u32) -> Result<Self> {
        let mut hdr = IoctlArg::<bindings::vfio_irq_set>::read(arg)?;
        let index = hdr.index;
        let num_irqs = c_int::try_from(irqs_at(index)).map_err(|_| EINVAL)?;
        let max_irq_type = c_int::try_from(num_indices).map_err(|_| EINVAL)?;
        let mut data_size = 0usize;
        // SAFETY: `hdr` is a valid `vfio_irq_set` header; the function only
        // reads it, and writes `data_size`.
        to_result(unsafe {
            bindings::vfio_set_irqs_validate_and_prepare(
                &mut *hdr,
                num_irqs,
                max_irq_type,
                &mut data_size,
            )
        })?;

        let flags = hdr.flags;
        let action = match flags & bindings::VFIO_IRQ_SET_ACTION_TYPE_MASK {
            bindings::VFIO_IRQ_SET_ACTION_MASK => IrqAction::Mask,
            bindings::VFIO_IRQ_SET_ACTION_UNMASK => IrqAction::Unmask,
            bindings::VFIO_IRQ_SET_ACTION_TRIGGER => IrqAction::Trigger,
            _ => return Err(EINVAL),
        };

        // `vfio_set_irqs_validate_and_prepare()` checked that exactly one
        // data type is set and that `argsz` covers `data_size` bytes.
        let count = hdr.count;
        let data = match flags & bindings::VFIO_IRQ_SET_DATA_TYPE_MASK {
            bindings::VFIO_IRQ_SET_DATA_BOOL => {
                let bytes = read_data(hdr.trailing(), data_size)?;
                let mut v = KVec::with_capacity(bytes.len(), GFP_KERNEL)?;
                for b in bytes.iter() {
                    v.push(*b != 0, GFP_KERNEL)?;
                }
                IrqData::Bool(v)
            }
            bindings::VFIO_IRQ_SET_DATA_EVENTFD => {
                let bytes = read_data(hdr.trailing(), data_size)?;
                let mut v = KVec::with_capacity(bytes.len() / size_of::<i32>(), GFP_KERNEL)?;
                for fd in bytes.chunks_exact(size_of::<i32>()) {
                    let fd = fd.try_into().map_err(|_| EINVAL)?;
                    v.push(i32::from_ne_bytes(fd), GFP_KERNEL)?;
                }
                IrqData::EventFd(v)
            }
            _ => IrqData::None,
        };

        Ok(Self {
            index,
            start: hdr.start,
            count,
            action,
            data,
        })
    }
}

/// Reads exactly `len` bytes of `reader`.
fn read_data(mut reader: UserSliceReader, len: usize) -> Result<KVec<u8>> {
    if reader.len() < len {
        return Err(EINVAL);
    }
    let mut buf = KVec::from_elem(0u8, len, GFP_KERNEL)?;
    reader.read_slice(&mut buf)?;
    Ok(buf)
}
