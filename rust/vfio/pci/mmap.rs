// SPDX-License-Identifier: GPL-2.0

//! Regions that user space maps: their description, the sparse mmap
//! capability of `VFIO_DEVICE_GET_REGION_INFO`, and the checks of an
//! `mmap()` of the device file.
//!
//! A region that may be mapped has `VFIO_REGION_INFO_FLAG_MMAP` and lists
//! the parts of it that may be mapped, as [`MmapArea`]s.  User space learns
//! them from the region's capability chain
//! (`VFIO_REGION_INFO_CAP_SPARSE_MMAP`), and the rest of the region is only
//! reached through `read()` and `write()`, as with `vfio-pci`'s MSI-X table
//! in a BAR.  An `mmap()` is refused with `EINVAL` unless it is a shared
//! mapping that lies inside one area of a mappable region and asks for no
//! access the region does not allow.

use super::{super::ioctl::IoctlArg, Description, Region, RegionInfo, RegionPos};
use crate::vma::VmaNew;
use core::mem::{offset_of, size_of};
use kernel::{
    bindings,
    page::PAGE_SIZE,
    prelude::*,
    uaccess::{UserPtr, UserSlice},
};

/// A part of a region that user space may map: `size` bytes at `offset`,
/// both multiples of the page size, inside the region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MmapArea {
    offset: u64,
    size: u64,
}

impl MmapArea {
    /// The `size` bytes at `offset` of the region.
    ///
    /// An area that is not page-aligned or not inside its region is
    /// reported as given but no `mmap()` of it succeeds.
    pub const fn new(offset: u64, size: u64) -> Self {
        Self { offset, size }
    }

    /// Whether `len` bytes at `offset` lie inside the area.
    fn contains(&self, offset: u64, len: u64) -> bool {
        let (Some(end), Some(area_end)) =
            (offset.checked_add(len), self.offset.checked_add(self.size))
        else {
            return false;
        };
        offset >= self.offset && end <= area_end
    }
}

impl RegionInfo {
    /// The same region, of which user space may map `areas`
    /// (`VFIO_REGION_INFO_FLAG_MMAP`, with a sparse mmap capability listing
    /// them).  The driver must implement [`super::Operations::mmap`]:
    /// without it the region is reported without the flag.
    pub const fn with_mmap(self, areas: &'static [MmapArea]) -> Self {
        Self {
            flags: self.flags | bindings::VFIO_REGION_INFO_FLAG_MMAP,
            mmap: areas,
            ..self
        }
    }

    /// Checks a mapping of `len` bytes at `offset` that may be read and
    /// written as `read` and `write` say.
    fn check_mmap(&self, offset: u64, len: u64, read: bool, write: bool) -> Result<(), ()> {
        let page = PAGE_SIZE as u64;
        let allowed = |flag: u32, wanted: bool| !wanted || self.flags & flag != 0;
        let fits = offset.checked_add(len).is_some_and(|end| end <= self.size);
        if self.flags & bindings::VFIO_REGION_INFO_FLAG_MMAP == 0
            || len == 0
            || offset % page != 0
            || len % page != 0
            || !fits
            || !allowed(bindings::VFIO_REGION_INFO_FLAG_READ, read)
            || !allowed(bindings::VFIO_REGION_INFO_FLAG_WRITE, write)
            || !self.mmap.iter().any(|area| area.contains(offset, len))
        {
            return Err(());
        }
        Ok(())
    }

    /// Returns the capability chain of the region, starting at offset
    /// `size_of::<vfio_region_info>()` of the ioctl's argument; empty if
    /// the region has none.
    ///
    /// The layout is that of the bindings' `vfio_region_info_cap_sparse_mmap`
    /// (header, `nr_areas`, `reserved`) followed by one
    /// `vfio_region_sparse_mmap_area` per area.
    fn caps(&self) -> Result<KVec<u8>> {
        type Cap = bindings::vfio_region_info_cap_sparse_mmap;
        type Area = bindings::vfio_region_sparse_mmap_area;
        type Header = bindings::vfio_info_cap_header;
        let mut buf = KVec::new();
        if self.flags & bindings::VFIO_REGION_INFO_FLAG_MMAP == 0 {
            return Ok(buf);
        }
        let len = size_of::<Area>()
            .checked_mul(self.mmap.len())
            .and_then(|areas| areas.checked_add(size_of::<Cap>()))
            .ok_or(EINVAL)?;
        buf.extend_with(len, 0u8, GFP_KERNEL)?;
        let header = offset_of!(Cap, header);
        let id = u16::try_from(bindings::VFIO_REGION_INFO_CAP_SPARSE_MMAP).map_err(|_| EINVAL)?;
        // Version 1 is the only one, and the last capability's `next` is 0.
        put(&mut buf, header + offset_of!(Header, id), &id.to_ne_bytes())?;
        put(
            &mut buf,
            header + offset_of!(Header, version),
            &1u16.to_ne_bytes(),
        )?;
        let nr_areas = u32::try_from(self.mmap.len()).map_err(|_| EINVAL)?;
        put(&mut buf, offset_of!(Cap, nr_areas), &nr_areas.to_ne_bytes())?;
        for (i, area) in self.mmap.iter().enumerate() {
            let at = offset_of!(Cap, areas) + i * size_of::<Area>();
            put(
                &mut buf,
                at + offset_of!(Area, offset),
                &area.offset.to_ne_bytes(),
            )?;
            put(
                &mut buf,
                at + offset_of!(Area, size),
                &area.size.to_ne_bytes(),
            )?;
        }
        Ok(buf)
    }
}

/// Copies `bytes` to `at` of `buf`.
fn put(buf: &mut [u8], at: usize, bytes: &[u8]) -> Result {
    let end = at.checked_add(bytes.len()).ok_or(EINVAL)?;
    buf.get_mut(at..end).ok_or(EINVAL)?.copy_from_slice(bytes);
    Ok(())
}

/// Completes `VFIO_DEVICE_GET_REGION_INFO` for `region`, whose fixed part
/// `info` (read from `arg`) the caller filled, with the region's
/// capability chain, as `vfio-pci` does: if there is one,
/// `VFIO_REGION_INFO_FLAG_CAPS` is set and, when user space's `argsz` has
/// room for it, the chain is written after the fixed part and `cap_offset`
/// points to it; otherwise `argsz` is raised to the size needed, the chain
/// is not written and `cap_offset` is 0.  `mappable` says whether the driver
/// can map (without [`super::Operations::mmap`] nothing is reported).
pub(super) fn region_info_caps(
    info: &mut IoctlArg<bindings::vfio_region_info>,
    arg: UserPtr,
    region: &RegionInfo,
    mappable: bool,
) -> Result {
    info.cap_offset = 0;
    if !mappable {
        info.flags &= !bindings::VFIO_REGION_INFO_FLAG_MMAP;
        return Ok(());
    }
    let caps = region.caps()?;
    if caps.is_empty() {
        return Ok(());
    }
    let fixed = size_of::<bindings::vfio_region_info>();
    let needed = fixed.checked_add(caps.len()).ok_or(EINVAL)?;
    info.flags |= bindings::VFIO_REGION_INFO_FLAG_CAPS;
    if info.argsz() < needed {
        info.argsz = u32::try_from(needed).map_err(|_| EINVAL)?;
        return Ok(());
    }
    UserSlice::new(arg.checked_add(fixed).ok_or(EFAULT)?, caps.len())
        .writer()
        .write_slice(&caps)?;
    info.cap_offset = u32::try_from(fixed).map_err(|_| EINVAL)?;
    Ok(())
}

/// Decodes and checks an `mmap()` of the device file: returns the region
/// and the offset in it that `vma` maps, or `EINVAL` (a private mapping, an
/// offset in no region, or a mapping [`RegionInfo::with_mmap`] does not
/// allow).
pub(super) fn mmap_target(desc: &Description, vma: &VmaNew) -> Result<(Region, u64)> {
    if !vma.is_shared() {
        return Err(EINVAL);
    }
    let pos = u64::try_from(vma.pgoff())
        .ok()
        .and_then(|pgoff| pgoff.checked_mul(PAGE_SIZE as u64))
        .ok_or(EINVAL)?;
    let RegionPos { region, offset } = RegionPos::decode(pos).ok_or(EINVAL)?;
    let len = u64::try_from(vma.len()).map_err(|_| EINVAL)?;
    desc.region_info(region)
        .check_mmap(offset, len, vma.is_readable(), vma.is_writable())
        .map_err(|()| EINVAL)?;
    Ok((region, offset))
}
