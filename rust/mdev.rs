// SPDX-License-Identifier: GPL-2.0

//! Mediated devices (mdev): drivers, types, instances and parents.
//!
//! An mdev vendor driver has three parts, each in a file of its own here:
//!
//! - a [`Driver`] (`driver.rs`): the `struct mdev_driver` that is bound to
//!   every instance ([`Device`], `device.rs`); its `probe` gives the data of
//!   the instance's VFIO device, which this module registers (a
//!   [`vfio::Registration`](crate::vfio::Registration)) and owns until
//!   `remove`;
//! - a set of types ([`Type`], `types.rs`), the kinds of instances user
//!   space can create under `mdev_supported_types/`;
//! - a [`Parent`] (`parent.rs`): a device the instances hang off, registered
//!   with the types and the driver.
//!
//! The sysfs attributes of the instances are tables of [`Attribute`]s, built
//! by [`crate::sysfs`]; what is mdev-specific (what a `show` function gets)
//! is [`ShowFn`].
//!
//! Teardown order is enforced by ownership: a [`Parent`] holds the
//! [`DriverRegistration`] (through an [`Arc`](kernel::sync::Arc)) and the
//! parent device, and its drop unregisters the parent first, which removes
//! every remaining instance (calling [`Driver::remove`]), then releases the
//! parent device, and only then may the driver be unregistered.
//!
//! # The VFIO registration lives exactly while the instance is bound
//!
//! VFIO pins `dev->driver->owner` of an instance at every first open of its
//! VFIO device, so the device must only be registered while the instance is
//! bound: an open after the instance was unbound dereferences a null
//! `dev->driver`.  The types enforce it.  `vfio::Registration::new` is
//! private to these abstractions; this module calls it in the instance's
//! probe with the initialiser [`Driver::probe`] returns, keeps the
//! registration in the instance's driver data, and drops it (unregistering
//! the VFIO device, which waits for its users) in the instance's remove,
//! after [`Driver::remove`].  Driver code only ever borrows the
//! registration (in `remove` and in the attributes, for the duration of the
//! call), so safe code cannot keep one past remove, move it elsewhere or
//! leak it.
//!
//! C header: [`include/linux/mdev.h`](srctree/include/linux/mdev.h)

mod device;
mod driver;
mod parent;
mod types;

pub use device::Device;
pub use driver::{
    Attribute, AttributeGroup, Driver, DriverRegistration, InstanceAttributes, InstanceData, ShowFn,
};
pub use parent::Parent;
pub use types::Type;
