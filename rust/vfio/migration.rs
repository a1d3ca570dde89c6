// SPDX-License-Identifier: GPL-2.0

//! VFIO migration v2 for devices whose state is small enough to snapshot.
//!
//! A driver that implements [`Operations::migration_save`] and
//! [`Operations::migration_load`] gets `VFIO_MIGRATION_STOP_COPY |
//! VFIO_MIGRATION_P2P | VFIO_MIGRATION_PRE_COPY`: this module runs the state
//! machine, owns the migration data files and frames the stream; the driver
//! only turns its device into bytes and back.  With
//! [`Operations::DMA_FREE`] the device also gets `log_ops` that report no
//! dirty page.
//!
//! The design, the stream format and the lock order are described in
//! `Documentation/migration.rst`.  In short:
//!
//! - the migration state belongs to the open device and is
//!   [`MigState::Running`] at every first open;
//! - the stream is a sequence of records (8-byte header: `le32` length,
//!   `le32` flags) whose last one, flagged [`RECORD_FINAL`], carries the
//!   state of the stopped device; the destination loads that one;
//! - a data file is an anonymous-inode file whose operations belong to this
//!   module, with the module as owner; it reaches the device only while it
//!   is the device's current file.
//!
//! C header: [`include/linux/vfio.h`](srctree/include/linux/vfio.h)

use super::{ioctl::IoctlArg, Device, Operations};
use core::{marker::PhantomData, ptr::null_mut};
use kernel::{
    bindings, c_str,
    error::{from_err_ptr, to_result},
    ffi::{c_char, c_int, c_long, c_uint, c_ulong, c_void},
    new_mutex,
    prelude::*,
    sync::{Arc, Mutex},
    types::ForeignOwnable,
    uaccess::{UserPtr, UserSlice, UserSliceReader, UserSliceWriter},
};

/// A state of the VFIO migration state machine (`enum vfio_device_mig_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MigState {
    /// The device failed a transition and must be reset.
    Error,
    /// Stopped: no interrupt, no change of state.
    Stop,
    /// Running normally.
    Running,
    /// Stopped, its state being read out.
    StopCopy,
    /// Stopped, a new state being written in.
    Resuming,
    /// Running without peer-to-peer DMA.
    RunningP2p,
    /// Running, its state being read out ahead of `StopCopy`.
    PreCopy,
    /// `PreCopy` without peer-to-peer DMA.
    PreCopyP2p,
}

impl MigState {
    const ALL: [(MigState, bindings::vfio_device_mig_state, &'static str); 8] = [
        (
            MigState::Error,
            bindings::vfio_device_mig_state_VFIO_DEVICE_STATE_ERROR,
            "error",
        ),
        (
            MigState::Stop,
            bindings::vfio_device_mig_state_VFIO_DEVICE_STATE_STOP,
            "stop",
        ),
        (
            MigState::Running,
            bindings::vfio_device_mig_state_VFIO_DEVICE_STATE_RUNNING,
            "running",
        ),
        (
            MigState::StopCopy,
            bindings::vfio_device_mig_state_VFIO_DEVICE_STATE_STOP_COPY,
            "stop_copy",
        ),
        (
            MigState::Resuming,
            bindings::vfio_device_mig_state_VFIO_DEVICE_STATE_RESUMING,
            "resuming",
        ),
        (
            MigState::RunningP2p,
            bindings::vfio_device_mig_state_VFIO_DEVICE_STATE_RUNNING_P2P,
            "running_p2p",
        ),
        (
            MigState::PreCopy,
            bindings::vfio_device_mig_state_VFIO_DEVICE_STATE_PRE_COPY,
            "pre_copy",
        ),
        (
            MigState::PreCopyP2p,
            bindings::vfio_device_mig_state_VFIO_DEVICE_STATE_PRE_COPY_P2P,
            "pre_copy_p2p",
        ),
    ];

    /// The state with the C value `raw`, if there is one.
    pub fn from_raw(raw: bindings::vfio_device_mig_state) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, value, _)| *value == raw)
            .map(|(state, _, _)| *state)
    }

    /// The C value of the state.
    pub fn as_raw(self) -> bindings::vfio_device_mig_state {
        Self::ALL
            .iter()
            .find(|(state, _, _)| *state == self)
            .map_or(0, |(_, value, _)| *value)
    }

    /// The state's name as the uAPI spells it, in lower case (for sysfs).
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(state, _, _)| *state == self)
            .map_or("error", |(_, _, name)| name)
    }
}

/// The migration flags a driver with migration gets.
pub(super) const MIGRATION_FLAGS: u32 = bindings::VFIO_MIGRATION_STOP_COPY
    | bindings::VFIO_MIGRATION_P2P
    | bindings::VFIO_MIGRATION_PRE_COPY;

/// Size of a record header: `le32` payload length, `le32` flags.
pub const RECORD_HEADER: usize = 8;
/// Record flag: the last record of the stream, written on entry to
/// `STOP_COPY`.
pub const RECORD_FINAL: u32 = 1;

/// `ENOMSG`, the temporary end of a pre-copy stream, which the kernel crate
/// of 6.12 does not name.
fn enomsg() -> Error {
    Error::from_errno(-(bindings::ENOMSG as i32))
}

/// Empties a byte vector, keeping its allocation.
fn clear(v: &mut KVec<u8>) {
    // SAFETY: Length 0 is within the capacity, and `u8` needs no drop.
    unsafe { v.set_len(0) };
}

/// The migration state of a device, under its migration lock.
///
/// # Invariants
///
/// `file` is `Some` only in a data state (`PreCopy`, `PreCopyP2p`,
/// `StopCopy`, `Resuming`), and its [`Source`], if any, points to the
/// device that owns this object, which is open.
pub(super) struct MigCtl {
    state: MigState,
    file: Option<Arc<DataFile>>,
    /// A state was loaded (`RESUMING -> STOP`) and the device has not been
    /// in `RUNNING` since: the arc into `RUNNING` calls
    /// [`Operations::migration_resumed`].
    resumed: bool,
}

impl MigCtl {
    /// The state of a device that is not open, or just opened.
    pub(super) const fn new() -> Self {
        MigCtl {
            state: MigState::Running,
            file: None,
            resumed: false,
        }
    }

    /// Ends the data session, if any: the file reaches its error state and
    /// no longer reaches the device.
    fn end_session(&mut self) {
        if let Some(file) = self.file.take() {
            *file.session.lock() = Session::Disabled;
        }
    }

    /// Back to `RUNNING` without a data session.
    pub(super) fn reset(&mut self) {
        self.end_session();
        self.state = MigState::Running;
        self.resumed = false;
    }
}

/// How a saving file in `PRE_COPY` takes a new snapshot of its device.
///
/// # Invariants
///
/// `dev` points to the `Device<T>` for which `save` was instantiated; it is
/// open for as long as the `Source` exists, because the device's migration
/// lock removes the `Source` (ending the session) before the device's open
/// data is dropped.
#[derive(Clone, Copy)]
struct Source {
    dev: *const c_void,
    save: unsafe fn(*const c_void, &mut KVec<u8>) -> Result,
}

// SAFETY: A `Source` is only a way to reach a device that is `Sync`; it is
// used under the data file's lock, on any thread.
unsafe impl Send for Source {}

impl Source {
    fn of<T: Operations>(dev: &Device<T>) -> Self {
        // INVARIANT: The caller holds the migration lock of the open `dev`.
        Source {
            dev: core::ptr::from_ref(dev).cast(),
            save: save_raw::<T>,
        }
    }

    /// A new snapshot of the device.
    fn snapshot(&self) -> Result<KVec<u8>> {
        let mut out = KVec::new();
        // SAFETY: By the type invariant `dev` is a live, open `Device<T>` of
        // the `T` that `save` was instantiated for.
        unsafe { (self.save)(self.dev, &mut out) }?;
        Ok(out)
    }
}

/// [`Source::save`] for a device of `T`.
///
/// # Safety
///
/// `dev` must point to an open `Device<T>` that stays open during the call.
unsafe fn save_raw<T: Operations>(dev: *const c_void, out: &mut KVec<u8>) -> Result {
    // SAFETY: By the safety requirements `dev` is a live `Device<T>`.
    let dev = unsafe { &*dev.cast::<Device<T>>() };
    dev.snapshot_into(out)
}

/// The saving side of a session.
///
/// # Invariants
///
/// `pos <= buf.len()` and `initial_left <= buf.len() - pos`.
struct SaveStream {
    /// Records; the reader is at `pos`.
    buf: KVec<u8>,
    pos: usize,
    /// Unread bytes of the first record.
    initial_left: usize,
    /// The payload of the last record put in `buf`.
    last: KVec<u8>,
    /// `Some` in `PRE_COPY` and `PRE_COPY_P2P`.
    source: Option<Source>,
    /// The final record is in `buf`.
    ended: bool,
}

impl SaveStream {
    fn new(payload: KVec<u8>, source: Option<Source>) -> Result<Self> {
        let mut saving = SaveStream {
            buf: KVec::new(),
            pos: 0,
            initial_left: 0,
            last: KVec::new(),
            source,
            ended: false,
        };
        let final_record = saving.source.is_none();
        saving.push(payload, final_record)?;
        saving.initial_left = saving.buf.len();
        Ok(saving)
    }

    /// Appends a record with `payload`.
    fn push(&mut self, payload: KVec<u8>, final_record: bool) -> Result {
        if self.pos == self.buf.len() {
            clear(&mut self.buf);
            self.pos = 0;
        }
        let len = u32::try_from(payload.len()).map_err(|_| EINVAL)?;
        let flags = if final_record { RECORD_FINAL } else { 0 };
        self.buf
            .reserve(RECORD_HEADER + payload.len(), GFP_KERNEL)?;
        self.buf.extend_from_slice(&len.to_le_bytes(), GFP_KERNEL)?;
        self.buf
            .extend_from_slice(&flags.to_le_bytes(), GFP_KERNEL)?;
        self.buf.extend_from_slice(&payload, GFP_KERNEL)?;
        self.last = payload;
        self.ended = final_record;
        Ok(())
    }

    /// A snapshot of the device if it changed since the last record.
    fn changed(&self) -> Result<Option<KVec<u8>>> {
        let Some(source) = self.source else {
            return Ok(None);
        };
        let now = source.snapshot()?;
        Ok((now.as_slice() != self.last.as_slice()).then_some(now))
    }

    fn read(&mut self, out: &mut UserSliceWriter) -> Result<usize> {
        if self.pos == self.buf.len() {
            if self.ended || self.source.is_none() {
                return Ok(0);
            }
            match self.changed()? {
                Some(now) => self.push(now, false)?,
                // The temporary end of a pre-copy stream.
                None => return Err(enomsg()),
            }
        }
        let unread = self.buf.as_slice().get(self.pos..).unwrap_or(&[]);
        let n = unread.len().min(out.len());
        out.write_slice(unread.get(..n).unwrap_or(&[]))?;
        // INVARIANT: `n <= buf.len() - pos`.
        self.pos += n;
        self.initial_left = self.initial_left.saturating_sub(n);
        Ok(n)
    }

    /// `VFIO_MIG_GET_PRECOPY_INFO`: `(initial_bytes, dirty_bytes)`.
    fn precopy_info(&self) -> Result<(u64, u64)> {
        if self.source.is_none() {
            // Not in a pre-copy state.
            return Err(EINVAL);
        }
        let unread = self.buf.len() - self.pos;
        let mut dirty = unread - self.initial_left;
        if let Some(now) = self.changed()? {
            dirty += RECORD_HEADER + now.len();
        }
        Ok((self.initial_left as u64, dirty as u64))
    }

    /// Entry to `STOP_COPY` from `PRE_COPY_P2P`: the final record.
    fn finish(&mut self, payload: KVec<u8>) -> Result {
        self.push(payload, true)?;
        self.source = None;
        Ok(())
    }
}

/// The resuming side of a session.
///
/// # Invariants
///
/// `header_len <= RECORD_HEADER`; once the header is complete,
/// `payload.len() <= want <= max`.
struct LoadStream {
    header: [u8; RECORD_HEADER],
    header_len: usize,
    flags: u32,
    want: usize,
    payload: KVec<u8>,
    /// The final record is complete, in `payload`.
    complete: bool,
    /// A write failed: the stream cannot be loaded.
    poisoned: bool,
    max: usize,
}

impl LoadStream {
    fn new(max: usize) -> Self {
        LoadStream {
            header: [0; RECORD_HEADER],
            header_len: 0,
            flags: 0,
            want: 0,
            payload: KVec::new(),
            complete: false,
            poisoned: false,
            max,
        }
    }

    fn write(&mut self, input: &mut UserSliceReader) -> Result<usize> {
        if self.poisoned {
            return Err(EINVAL);
        }
        let total = input.len();
        let res = self.consume(input);
        if res.is_err() {
            self.poisoned = true;
        }
        res.map(|()| total)
    }

    fn consume(&mut self, input: &mut UserSliceReader) -> Result {
        let mut chunk = [0u8; 256];
        while !input.is_empty() {
            if self.complete {
                // Nothing may follow the final record.
                return Err(EINVAL);
            }
            if self.header_len < RECORD_HEADER {
                let n = (RECORD_HEADER - self.header_len).min(input.len());
                let part = self
                    .header
                    .get_mut(self.header_len..self.header_len + n)
                    .ok_or(EINVAL)?;
                input.read_slice(part)?;
                self.header_len += n;
                if self.header_len == RECORD_HEADER {
                    self.start_record()?;
                }
                continue;
            }
            let n = (self.want - self.payload.len())
                .min(input.len())
                .min(chunk.len());
            let part = chunk.get_mut(..n).ok_or(EINVAL)?;
            input.read_slice(part)?;
            self.payload.extend_from_slice(part, GFP_KERNEL)?;
            if self.payload.len() == self.want {
                self.end_record();
            }
        }
        Ok(())
    }

    /// The header is complete: checks it and prepares for the payload.
    fn start_record(&mut self) -> Result {
        let [l0, l1, l2, l3, f0, f1, f2, f3] = self.header;
        let len = u32::from_le_bytes([l0, l1, l2, l3]) as usize;
        let flags = u32::from_le_bytes([f0, f1, f2, f3]);
        if flags & !RECORD_FINAL != 0 || len == 0 || len > self.max {
            return Err(EINVAL);
        }
        self.flags = flags;
        self.want = len;
        clear(&mut self.payload);
        self.payload.reserve(len, GFP_KERNEL)?;
        Ok(())
    }

    /// The payload is complete: a pre-copy record is dropped, the final one
    /// kept.
    fn end_record(&mut self) {
        self.header_len = 0;
        if self.flags & RECORD_FINAL != 0 {
            self.complete = true;
        } else {
            clear(&mut self.payload);
        }
    }

    /// The payload to load on `RESUMING -> STOP`.
    fn final_payload(&self) -> Result<&[u8]> {
        if self.poisoned || !self.complete {
            return Err(EINVAL);
        }
        Ok(self.payload.as_slice())
    }
}

/// What a data file is doing.
enum Session {
    Saving(SaveStream),
    Resuming(LoadStream),
    /// The session ended: every operation fails with `ENODEV`.
    Disabled,
}

/// A migration data file: what its `private_data` holds.
#[pin_data]
pub(super) struct DataFile {
    #[pin]
    session: Mutex<Session>,
}

impl DataFile {
    /// Creates the anonymous-inode file of a new session.  Returns the
    /// session and the file, whose one reference the caller owns.
    fn create(session: Session, flags: u32) -> Result<(Arc<DataFile>, *mut bindings::file)> {
        let data = Arc::pin_init(
            pin_init!(DataFile {
                session <- new_mutex!(session, "vfio_mig_data"),
            }),
            GFP_KERNEL,
        )?;
        let private = data.clone().into_foreign();
        // SAFETY: The name is a C string, `DATA_FOPS` is static and its
        // callbacks expect `private` as their `private_data`.
        let file = unsafe {
            bindings::anon_inode_getfile(
                c_str!("vfio_mig_data").as_char_ptr(),
                &DATA_FOPS.0,
                private.cast_mut(),
                flags as c_int,
            )
        };
        match from_err_ptr(file) {
            Ok(file) => {
                // SAFETY: `file` is a new file with its inode.  A stream has no
                // position: `read` and `write` get no `ppos`.
                unsafe { bindings::stream_open((*file).f_inode, file) };
                Ok((data, file))
            }
            Err(e) => {
                // SAFETY: `private` came from `into_foreign` above and no file
                // holds it.
                drop(unsafe { Arc::<DataFile>::from_foreign(private) });
                Err(e)
            }
        }
    }

    fn read(&self, out: &mut UserSliceWriter) -> Result<usize> {
        match &mut *self.session.lock() {
            Session::Saving(saving) => saving.read(out),
            Session::Resuming(_) => Err(EINVAL),
            Session::Disabled => Err(ENODEV),
        }
    }

    fn write(&self, input: &mut UserSliceReader) -> Result<usize> {
        match &mut *self.session.lock() {
            Session::Resuming(resuming) => resuming.write(input),
            Session::Saving(_) => Err(EINVAL),
            Session::Disabled => Err(ENODEV),
        }
    }

    fn ioctl(&self, cmd: u32, arg: UserPtr) -> Result {
        if cmd != bindings::VFIO_MIG_GET_PRECOPY_INFO {
            return Err(ENOTTY);
        }
        let mut info = IoctlArg::<bindings::vfio_precopy_info>::read(arg)?;
        let (initial, dirty) = match &*self.session.lock() {
            Session::Saving(saving) => saving.precopy_info()?,
            Session::Resuming(_) => return Err(EINVAL),
            Session::Disabled => return Err(ENODEV),
        };
        info.initial_bytes = initial;
        info.dirty_bytes = dirty;
        info.write_back()
    }
}

/// A `file_operations` table, which holds only constant pointers.
struct FileOps(bindings::file_operations);

// SAFETY: The table is never written; its pointers are to functions and to
// the module, which are valid from any thread.
unsafe impl Sync for FileOps {}

// Only the address of `__this_module` is used, never its contents, whose C
// layout depends on the configuration (with lockdep it holds a
// `lockdep_map`, which is not FFI-safe).
#[cfg(MODULE)]
#[allow(improper_ctypes)]
extern "C" {
    /// This module, defined by `module!`.
    static __this_module: kernel::types::Opaque<bindings::module>;
}

/// The operations of every migration data file.  The owner keeps the module
/// loaded while a data file is open.
static DATA_FOPS: FileOps = FileOps(bindings::file_operations {
    // SAFETY: Only the address of the module is taken.
    #[cfg(MODULE)]
    owner: unsafe { __this_module.get() },
    read: Some(data_read),
    write: Some(data_write),
    unlocked_ioctl: Some(data_ioctl),
    #[cfg(CONFIG_COMPAT)]
    compat_ioctl: Some(bindings::compat_ptr_ioctl),
    release: Some(data_release),
    // SAFETY: All zeros is a valid value for `file_operations`: every other
    // member is an optional callback or a flag.
    ..unsafe { core::mem::MaybeUninit::zeroed().assume_init() }
});

/// The data file behind `file`.
///
/// # Safety
///
/// `file` must be a live data file created by [`DataFile::create`], and the
/// returned reference must not outlive the callback it is used in.
unsafe fn data_file<'a>(file: *mut bindings::file) -> &'a DataFile {
    // SAFETY: `private_data` was set by `DataFile::create` from
    // `into_foreign` and is only released by `data_release`, after the last
    // callback.
    let data = unsafe { <Arc<DataFile> as ForeignOwnable>::borrow((*file).private_data) };
    let data: *const DataFile = &*data;
    // SAFETY: The `Arc` that `private_data` holds keeps the data alive for
    // as long as the file, hence for the callback.
    unsafe { &*data }
}

fn to_isize(res: Result<usize>) -> isize {
    match res {
        // A read or write never exceeds its `isize`-sized count.
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// # Safety
///
/// Called by the VFS on a data file, with a user buffer of `len` bytes.
unsafe extern "C" fn data_read(
    file: *mut bindings::file,
    buf: *mut c_char,
    len: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    if !ppos.is_null() {
        return ESPIPE.to_errno() as isize;
    }
    let mut out = UserSlice::new(buf as UserPtr, len).writer();
    // SAFETY: Called on a live data file.
    to_isize(unsafe { data_file(file) }.read(&mut out))
}

/// # Safety
///
/// Called by the VFS on a data file, with a user buffer of `len` bytes.
unsafe extern "C" fn data_write(
    file: *mut bindings::file,
    buf: *const c_char,
    len: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    if !ppos.is_null() {
        return ESPIPE.to_errno() as isize;
    }
    let mut input = UserSlice::new(buf as UserPtr, len).reader();
    // SAFETY: Called on a live data file.
    to_isize(unsafe { data_file(file) }.write(&mut input))
}

/// # Safety
///
/// Called by the VFS on a data file.
unsafe extern "C" fn data_ioctl(file: *mut bindings::file, cmd: c_uint, arg: c_ulong) -> c_long {
    // SAFETY: Called on a live data file.
    match unsafe { data_file(file) }.ioctl(cmd, arg as UserPtr) {
        Ok(()) => 0,
        Err(e) => e.to_errno() as c_long,
    }
}

/// # Safety
///
/// Called by the VFS once, when the last reference to a data file is gone.
unsafe extern "C" fn data_release(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: `private_data` came from `into_foreign` in `DataFile::create`;
    // no callback of the file runs any more.
    drop(unsafe { Arc::<DataFile>::from_foreign((*file).private_data) });
    0
}

impl<T: Operations> Device<T> {
    /// Appends a snapshot of the open device to `out`.
    ///
    /// Only called from a migration callback (on an open device) or through
    /// a [`Source`] (whose invariant keeps the device open).
    fn snapshot_into(&self, out: &mut KVec<u8>) -> Result {
        // SAFETY: The device is open and its open data is not replaced
        // during the call (see above).
        let open = unsafe { self.open_data() }.ok_or(ENODEV)?;
        T::migration_save(self, open, out)?;
        if out.is_empty() || out.len() > T::MIGRATION_STATE_MAX {
            return Err(EINVAL);
        }
        Ok(())
    }

    fn snapshot(&self) -> Result<KVec<u8>> {
        let mut out = KVec::new();
        self.snapshot_into(&mut out)?;
        Ok(out)
    }

    /// The migration state, for observation (sysfs).
    pub(super) fn migration_state(&self) -> MigState {
        self.mig.lock().state
    }

    /// `migration_set_state`: runs the arcs from the current state to `new`
    /// and returns the data file of a new session, if the last arc made one.
    fn set_state(
        &self,
        new: bindings::vfio_device_mig_state,
    ) -> Result<Option<*mut bindings::file>> {
        let new = MigState::from_raw(new).ok_or(EINVAL)?;
        let mut ctl = self.mig.lock();
        let mut file = None;
        while ctl.state != new {
            let mut next = 0;
            // SAFETY: The device is registered; `next` is a valid output.
            to_result(unsafe {
                bindings::vfio_mig_get_next_state(
                    self.as_raw(),
                    ctl.state.as_raw(),
                    new.as_raw(),
                    &mut next,
                )
            })?;
            let next = MigState::from_raw(next).ok_or(EINVAL)?;
            let made = self.step(&mut ctl, next)?;
            ctl.state = next;
            if let Some(made) = made {
                if next != new {
                    // `vfio_mig_get_next_state()` only ends a path with an
                    // arc that makes a session.
                    // SAFETY: The caller's reference from `create`.
                    unsafe { bindings::fput(made) };
                    ctl.reset();
                    return Err(EINVAL);
                }
                file = Some(made);
            }
        }
        Ok(file)
    }

    /// Runs one arc of the state machine; see `Documentation/migration.rst`.
    fn step(&self, ctl: &mut MigCtl, next: MigState) -> Result<Option<*mut bindings::file>> {
        use MigState::*;
        // `resumed` survives only the arcs between a load and `RUNNING`.
        if !matches!(
            (ctl.state, next),
            (Stop, RunningP2p) | (RunningP2p, Stop) | (RunningP2p, Running)
        ) {
            ctl.resumed = false;
        }
        match (ctl.state, next) {
            (RunningP2p, Running) if ctl.resumed => {
                ctl.resumed = false;
                // SAFETY: Called from a migration callback: the device is
                // open.
                let open = unsafe { self.open_data() }.ok_or(ENODEV)?;
                T::migration_resumed(self, open);
                Ok(None)
            }
            (Running, RunningP2p)
            | (RunningP2p, Running)
            | (RunningP2p, Stop)
            | (Stop, RunningP2p)
            | (PreCopy, PreCopyP2p)
            | (PreCopyP2p, PreCopy) => Ok(None),
            (Running, PreCopy) | (RunningP2p, PreCopyP2p) => {
                let saving = SaveStream::new(self.snapshot()?, Some(Source::of(self)))?;
                self.start_session(ctl, Session::Saving(saving), bindings::O_RDONLY)
            }
            (Stop, StopCopy) => {
                let saving = SaveStream::new(self.snapshot()?, None)?;
                self.start_session(ctl, Session::Saving(saving), bindings::O_RDONLY)
            }
            (PreCopyP2p, StopCopy) => {
                let payload = self.snapshot()?;
                let data = ctl.file.as_ref().ok_or(EINVAL)?;
                match &mut *data.session.lock() {
                    Session::Saving(saving) => saving.finish(payload)?,
                    _ => return Err(EINVAL),
                }
                Ok(None)
            }
            (PreCopy, Running) | (PreCopyP2p, RunningP2p) | (StopCopy, Stop) => {
                ctl.end_session();
                Ok(None)
            }
            (Stop, Resuming) => {
                let resuming = LoadStream::new(T::MIGRATION_STATE_MAX);
                self.start_session(ctl, Session::Resuming(resuming), bindings::O_WRONLY)
            }
            (Resuming, Stop) => {
                let data = ctl.file.as_ref().ok_or(EINVAL)?;
                {
                    let session = data.session.lock();
                    let Session::Resuming(resuming) = &*session else {
                        return Err(EINVAL);
                    };
                    // SAFETY: Called from a migration callback: the device
                    // is open.
                    let open = unsafe { self.open_data() }.ok_or(ENODEV)?;
                    T::migration_load(self, open, resuming.final_payload()?)?;
                }
                ctl.end_session();
                ctl.resumed = true;
                Ok(None)
            }
            _ => Err(EINVAL),
        }
    }

    fn start_session(
        &self,
        ctl: &mut MigCtl,
        session: Session,
        flags: u32,
    ) -> Result<Option<*mut bindings::file>> {
        let (data, file) = DataFile::create(session, flags)?;
        ctl.end_session();
        // INVARIANT: The caller moves to the data state this arc leads to.
        ctl.file = Some(data);
        Ok(Some(file))
    }
}

/// The C migration and logging tables of the driver `T`.
pub(super) struct MigVTable<T: Operations>(PhantomData<T>);

impl<T: Operations> MigVTable<T> {
    pub(super) const MIG_OPS: bindings::vfio_migration_ops = bindings::vfio_migration_ops {
        migration_set_state: Some(Self::set_state),
        migration_get_state: Some(Self::get_state),
        migration_get_data_size: Some(Self::get_data_size),
    };

    pub(super) const LOG_OPS: bindings::vfio_log_ops = bindings::vfio_log_ops {
        log_start: Some(Self::log_start),
        log_stop: Some(Self::log_stop),
        log_read_and_clear: Some(Self::log_read_and_clear),
    };

    /// # Safety
    ///
    /// `vdev` must be an open device of `T` (VFIO calls this from the device
    /// file's ioctl).
    unsafe extern "C" fn set_state(
        vdev: *mut bindings::vfio_device,
        new: bindings::vfio_device_mig_state,
    ) -> *mut bindings::file {
        // SAFETY: By the safety requirements.
        let dev = unsafe { Device::<T>::from_raw(vdev) };
        match dev.set_state(new) {
            Ok(Some(file)) => file,
            Ok(None) => null_mut(),
            // SAFETY: `ERR_PTR` only encodes the errno.
            Err(e) => unsafe { bindings::ERR_PTR(e.to_errno() as c_long) }.cast(),
        }
    }

    /// # Safety
    ///
    /// As for `set_state`; `state` must be valid for writing.
    unsafe extern "C" fn get_state(
        vdev: *mut bindings::vfio_device,
        state: *mut bindings::vfio_device_mig_state,
    ) -> c_int {
        // SAFETY: By the safety requirements.
        let dev = unsafe { Device::<T>::from_raw(vdev) };
        // SAFETY: By the safety requirements.
        unsafe { *state = dev.migration_state().as_raw() };
        0
    }

    /// # Safety
    ///
    /// As for `set_state`; `len` must be valid for writing.
    unsafe extern "C" fn get_data_size(
        vdev: *mut bindings::vfio_device,
        len: *mut c_ulong,
    ) -> c_int {
        // SAFETY: By the safety requirements.
        let dev = unsafe { Device::<T>::from_raw(vdev) };
        match dev.snapshot() {
            Ok(payload) => {
                // SAFETY: By the safety requirements.
                unsafe { *len = (RECORD_HEADER + payload.len()) as c_ulong };
                0
            }
            Err(e) => e.to_errno(),
        }
    }

    /// The device never writes guest memory: there is nothing to log.
    extern "C" fn log_start(
        _vdev: *mut bindings::vfio_device,
        _ranges: *mut bindings::rb_root_cached,
        _nnodes: u32,
        _page_size: *mut u64,
    ) -> c_int {
        0
    }

    extern "C" fn log_stop(_vdev: *mut bindings::vfio_device) -> c_int {
        0
    }

    /// No page is ever dirty: the bitmap is left clear.
    extern "C" fn log_read_and_clear(
        _vdev: *mut bindings::vfio_device,
        _iova: c_ulong,
        _length: c_ulong,
        _dirty: *mut bindings::iova_bitmap,
    ) -> c_int {
        0
    }
}
