// SPDX-License-Identifier: GPL-2.0
/*
 * The VM reference that VFIO takes for an mdev device (kvm-vfio association),
 * through the group path and the cdev path:
 *
 * - the reference lives from the device's first open to its last close,
 *   whatever happens to the VM's own fds or to the kvm-vfio association
 *   meanwhile;
 * - while it is held, the KVM vendor module (kvm_amd/kvm_intel) and kvm.ko
 *   cannot be unloaded;
 * - it is taken once per open_device, however many fds the device has, and
 *   is never leaked (1000 open/close cycles, refused second cdev bind).
 *
 * A VM is alive while its debugfs directory /sys/kernel/debug/kvm/<pid>-<fd>
 * exists: KVM removes it when the VM is destroyed.  Module pinning is read
 * from /sys/module/<name>/refcnt.
 *
 * On a kernel without the VFIO/KVM reference patches, module_pin and the
 * cdev_second_bind tests fail (the former can even crash the kernel when the
 * vendor module is unloaded under a live VM; the test reloads it at once to
 * limit the damage).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <linux/serial_reg.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "mdev_harness.h"
#include "mtty_device.h"

#define CYCLES		1000

FIXTURE(kvm) {
	struct mdev_set set;
	char uuid[MDEV_UUID_LEN + 1];
	char vendor[16];	/* kvm_amd or kvm_intel */
	long base_vendor, base_kvm, base_drv;
	int base_vms;
};

MDEV_PATH_VARIANTS(kvm);

static bool kvm_ready(const char *drv)
{
	return kvm_available() && kvm_vendor_module() &&
	       !kvm_debugfs_ensure();
}

FIXTURE_SETUP(kvm)
{
	const char *vendor;
	int idx, ret;

	mdev_setup_begin();
	MDEV_REQUIRE_DRIVER(variant->driver);
	if (!kvm_available())
		SKIP(return, "no /dev/kvm");
	vendor = kvm_vendor_module();
	if (!vendor)
		SKIP(return, "neither kvm_amd nor kvm_intel is loaded");
	ret = kvm_debugfs_ensure();
	if (ret)
		SKIP(return, "no %s: %s", KVM_DEBUGFS_DIR, strerror(-ret));
	snprintf(self->vendor, sizeof(self->vendor), "%s", vendor);

	ret = mdev_set_create(&self->set, variant->driver, 1, &idx);
	ASSERT_EQ(0, ret) TH_LOG("create: %s", strerror(-ret));
	memcpy(self->uuid, self->set.uuid[idx], sizeof(self->uuid));

	self->base_vendor = module_refcnt(self->vendor);
	self->base_kvm = module_refcnt("kvm");
	self->base_drv = module_refcnt(variant->driver);
	self->base_vms = kvm_vm_count();
}

/*
 * In the parent, after the test process is gone (its fds are closed, even
 * if it died): remove the instance and make sure KVM is loaded again.
 */
FIXTURE_TEARDOWN_PARENT(kvm)
{
	mdev_teardown_begin();
	mdev_set_remove_all(&self->set);
	if (self->vendor[0] && !module_loaded(self->vendor))
		module_load(self->vendor);
}

/* The fd KVM_DEV_VFIO_FILE_ADD takes: the group, or the (unbound) cdev. */
static int kvm_file_of(const struct vfio_dev *d)
{
	return d->path == VFIO_PATH_GROUP ? d->group : d->fd;
}

/* Prepare the path, associate @vm (if any) with it, open the device. */
static int open_dev(struct vfio_dev *d, enum vfio_path path,
		    const char *uuid, struct kvm_vm *vm)
{
	int ret;

	vfio_dev_init(d, path, uuid);
	ret = vfio_dev_prepare(d);
	if (!ret && vm)
		ret = kvm_vm_file(vm, kvm_file_of(d), true);
	if (!ret)
		ret = vfio_dev_open_device(d);
	return ret;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

#define NEW_VM(vm) do { \
	int __r = kvm_vm_create(vm); \
	ASSERT_EQ(0, __r) TH_LOG("VM: %s", strerror(-__r)); \
	ASSERT_TRUE(kvm_vm_alive(vm)) TH_LOG("no %s", (vm)->dir); \
} while (0)

#define OPEN_DEV(d, vm) do { \
	int __r = open_dev((d), variant->path, self->uuid, (vm)); \
	ASSERT_EQ(0, __r) TH_LOG("open: %s", strerror(-__r)); \
} while (0)

/* Module and VM counts are back where the test started. */
#define EXPECT_BASELINE() do { \
	EXPECT_EQ(self->base_vendor, module_refcnt(self->vendor)); \
	EXPECT_EQ(self->base_kvm, module_refcnt("kvm")); \
	EXPECT_EQ(self->base_drv, module_refcnt(variant->driver)); \
	EXPECT_EQ(self->base_vms, kvm_vm_count()); \
} while (0)

static int read_vm_state(const char *uuid, const char *drv, char *buf,
			 size_t len)
{
	char path[PATH_MAX], attr[64];

	snprintf(attr, sizeof(attr), "%s/vm_state", drv);
	mdev_attr_path(path, sizeof(path), uuid, attr);
	return file_read_str(path, buf, len);
}

/*
 * The Rust driver reports whether it holds a VM and VFIO's count of open
 * files of the device; the C sample has no such attribute (that difference
 * is the XFAIL of the vm_state test).
 */
#define EXPECT_VM_STATE(vmstr, count) do { \
	char __want[64], __buf[128] = ""; \
	if (strcmp(variant->driver, "rust_mtty")) \
		break; \
	snprintf(__want, sizeof(__want), "vm: %s\nopen_count: %d\n", \
		 (vmstr), (count)); \
	EXPECT_LT(0, read_vm_state(self->uuid, variant->driver, __buf, \
				   sizeof(__buf))); \
	EXPECT_STREQ(__want, __buf); \
} while (0)

/* The device answers while it holds (or not) a VM. */
#define EXPECT_DEVICE_WORKS(d) do { \
	uint64_t __bar; \
	ASSERT_EQ(0, vfio_region((d)->fd, VFIO_PCI_BAR0_REGION_INDEX, \
				 &__bar, NULL, NULL)); \
	EXPECT_EQ(0, uart_loopback_ok((d)->fd, __bar, 0x6b)); \
} while (0)

/*
 * 1. A VM held by an open device pins the KVM modules; its last close
 * destroys the VM, after which the modules unload and load cleanly.
 *
 * VFIO pins the owner of the VM reference ops, the vendor module, once per
 * held VM (and rust_mtty once more, for the reference it keeps), and
 * nothing of kvm.ko: kvm.ko stays because the vendor module
 * depends on it (it is in /sys/module/kvm/holders).  "rmmod kvm" fails
 * while the vendor module is loaded whatever VFIO does, so that check
 * alone could not fail; the exact reference counts can: on a kernel where
 * VFIO took its VM reference through kvm.ko's symbols (upstream 6.12), the
 * vendor module's count would not move and kvm.ko's would.
 */
TEST_F_TIMEOUT(kvm, module_pin, 180)
{
	char holder[PATH_MAX];
	struct kvm_vm vm;
	struct vfio_dev d;
	long held;
	int ret;

	NEW_VM(&vm);
	OPEN_DEV(&d, &vm);
	kvm_vm_close_fds(&vm);
	ASSERT_TRUE(kvm_vm_alive(&vm)) TH_LOG("VM died while the device holds it");

	/*
	 * VFIO's reference pins the vendor module once; rust_mtty takes one
	 * of its own at open (VmRef::to_owned(), vfio_kvm_get()), mtty none.
	 */
	held = module_refcnt(self->vendor);
	EXPECT_EQ(self->base_vendor + 1 +
		  !strcmp(variant->driver, "rust_mtty"), held)
		TH_LOG("%s not pinned by exactly the VM references",
		       self->vendor);
	EXPECT_EQ(self->base_kvm, module_refcnt("kvm"))
		TH_LOG("kvm.ko pinned directly: VFIO uses a KVM symbol");
	snprintf(holder, sizeof(holder), "/sys/module/kvm/holders/%s",
		 self->vendor);
	EXPECT_TRUE(path_exists(holder)) TH_LOG("%s does not hold kvm.ko",
						self->vendor);

	ret = module_unload(self->vendor);
	if (!ret) {
		/*
		 * The VM outlives its module: reload it before the VM is
		 * destroyed, so that the destruction calls live code.
		 */
		TH_LOG("%s unloaded under a live VM; reloading it", self->vendor);
		module_load(self->vendor);
	}
	/* A module in use: EWOULDBLOCK (delete_module(), try_stop_module()). */
	ASSERT_ERRNO(EWOULDBLOCK, ret)
		TH_LOG("rmmod %s: %s", self->vendor,
		       ret ? strerror(-ret) : "unloaded");
	/* A module with holders: EWOULDBLOCK too (its source_list). */
	ret = module_unload("kvm");
	if (!ret)
		module_load(self->vendor);
	ASSERT_ERRNO(EWOULDBLOCK, ret)
		TH_LOG("rmmod kvm: %s", ret ? strerror(-ret) : "unloaded");
	ASSERT_TRUE(kvm_vm_alive(&vm));
	EXPECT_DEVICE_WORKS(&d);

	/* Last close of the device: the VM goes now. */
	close_fd(&d.fd);
	EXPECT_FALSE(kvm_vm_alive(&vm));
	vfio_dev_close(&d);
	EXPECT_BASELINE();

	/* Nothing holds KVM any more. */
	ret = module_unload(self->vendor);
	ASSERT_EQ(0, ret) TH_LOG("rmmod %s: %s (refcnt %ld)", self->vendor,
				 strerror(-ret), module_refcnt(self->vendor));
	ret = module_unload("kvm");
	EXPECT_EQ(0, ret) TH_LOG("rmmod kvm: %s (refcnt %ld)", strerror(-ret),
				 module_refcnt("kvm"));
	ret = module_load(self->vendor);
	ASSERT_EQ(0, ret) TH_LOG("reload %s: %s", self->vendor, strerror(-ret));
	ASSERT_TRUE(module_loaded("kvm"));

	/* And work again. */
	NEW_VM(&vm);
	OPEN_DEV(&d, &vm);
	kvm_vm_close_fds(&vm);
	EXPECT_TRUE(kvm_vm_alive(&vm));
	vfio_dev_close(&d);
	EXPECT_FALSE(kvm_vm_alive(&vm));
}

/* 2. The VM lives while the device holds it and dies at its last close. */
TEST_F_TIMEOUT(kvm, held_until_last_close, 120)
{
	struct kvm_vm vm;
	struct vfio_dev d;

	NEW_VM(&vm);
	OPEN_DEV(&d, &vm);
	EXPECT_VM_STATE("attached", 1);

	kvm_vm_close_fds(&vm);
	ASSERT_TRUE(kvm_vm_alive(&vm));
	usleep(200 * 1000);
	ASSERT_TRUE(kvm_vm_alive(&vm));
	EXPECT_DEVICE_WORKS(&d);
	EXPECT_VM_STATE("attached", 1);

	close_fd(&d.fd);
	EXPECT_FALSE(kvm_vm_alive(&vm));
	EXPECT_VM_STATE("none", 0);
	vfio_dev_close(&d);
	EXPECT_BASELINE();
}

/*
 * 3. Several fds on one device (group path): one open_device, one VM
 * reference, released when the last fd closes.
 */
TEST_F_TIMEOUT(kvm, several_fds, 120)
{
	struct kvm_vm vm;
	struct vfio_dev d;
	long ven1, kvm1, drv1;
	int fd2;

	if (variant->path != VFIO_PATH_GROUP)
		SKIP(return, "group path only: one fd binds a cdev (see cdev_second_bind_*)");

	NEW_VM(&vm);
	OPEN_DEV(&d, &vm);
	kvm_vm_close_fds(&vm);
	ASSERT_TRUE(kvm_vm_alive(&vm));
	ven1 = module_refcnt(self->vendor);
	kvm1 = module_refcnt("kvm");
	drv1 = module_refcnt(variant->driver);
	/* open_device pinned the vendor driver module once. */
	EXPECT_EQ(self->base_drv + 1, drv1);

	fd2 = vfio_group_get_device_fd(d.group, self->uuid);
	ASSERT_LE(0, fd2) TH_LOG("second fd: %s", strerror(-fd2));
	EXPECT_EQ(ven1, module_refcnt(self->vendor));
	EXPECT_EQ(kvm1, module_refcnt("kvm"));
	EXPECT_EQ(drv1, module_refcnt(variant->driver));
	/* open_count is VFIO's count of open device files. */
	EXPECT_VM_STATE("attached", 2);

	/* Both fds reach the same device state. */
	{
		uint64_t bar;

		ASSERT_EQ(0, vfio_region(fd2, VFIO_PCI_BAR0_REGION_INDEX,
					 &bar, NULL, NULL));
		ASSERT_EQ(0, uart_write(d.fd, bar, UART_SCR, 0x77));
		EXPECT_EQ(0x77, uart_read(fd2, bar, UART_SCR));
	}

	close_fd(&d.fd);
	EXPECT_TRUE(kvm_vm_alive(&vm)) TH_LOG("VM put at the first close");
	EXPECT_EQ(ven1, module_refcnt(self->vendor));
	EXPECT_VM_STATE("attached", 1);

	close_fd(&fd2);
	EXPECT_FALSE(kvm_vm_alive(&vm));
	EXPECT_VM_STATE("none", 0);
	vfio_dev_close(&d);
	EXPECT_BASELINE();
}

/*
 * 4. Moving the association to another VM while the device is open does not
 * change the device's VM until its last close; the next open sees the new
 * VM.
 */
TEST_F_TIMEOUT(kvm, reassociate, 120)
{
	struct kvm_vm vm1, vm2;
	struct vfio_dev d;

	NEW_VM(&vm1);
	NEW_VM(&vm2);
	OPEN_DEV(&d, &vm1);

	ASSERT_EQ(0, kvm_vm_file(&vm1, kvm_file_of(&d), false));
	ASSERT_EQ(0, kvm_vm_file(&vm2, kvm_file_of(&d), true));
	kvm_vm_close_fds(&vm1);
	EXPECT_TRUE(kvm_vm_alive(&vm1)) TH_LOG("device lost VM1 at FILE_DEL");
	EXPECT_VM_STATE("attached", 1);
	EXPECT_DEVICE_WORKS(&d);

	if (variant->path == VFIO_PATH_GROUP) {
		close_fd(&d.fd);
		EXPECT_FALSE(kvm_vm_alive(&vm1));
		EXPECT_TRUE(kvm_vm_alive(&vm2));

		/* The next open takes VM2 from the group. */
		ASSERT_EQ(0, vfio_dev_open_device(&d));
	} else {
		/* VM2 holds the cdev file until FILE_DEL. */
		ASSERT_EQ(0, kvm_vm_file(&vm2, d.fd, false));
		close_fd(&d.fd);
		EXPECT_FALSE(kvm_vm_alive(&vm1));
		EXPECT_TRUE(kvm_vm_alive(&vm2));

		/* A new cdev fd associated with VM2, bound. */
		d.fd = vfio_cdev_open(self->uuid);
		ASSERT_LE(0, d.fd);
		ASSERT_EQ(0, kvm_vm_file(&vm2, d.fd, true));
		ASSERT_EQ(0, vfio_dev_open_device(&d));
	}
	EXPECT_VM_STATE("attached", 1);
	kvm_vm_close_fds(&vm2);
	EXPECT_TRUE(kvm_vm_alive(&vm2)) TH_LOG("next open did not take VM2");
	EXPECT_DEVICE_WORKS(&d);
	close_fd(&d.fd);
	EXPECT_FALSE(kvm_vm_alive(&vm2));
	vfio_dev_close(&d);
	EXPECT_BASELINE();
}

/* 5. FILE_DEL before the open: the device opens without a VM. */
TEST_F_TIMEOUT(kvm, del_before_open, 120)
{
	struct kvm_vm vm;
	struct vfio_dev d;

	NEW_VM(&vm);
	vfio_dev_init(&d, variant->path, self->uuid);
	ASSERT_EQ(0, vfio_dev_prepare(&d));
	ASSERT_EQ(0, kvm_vm_file(&vm, kvm_file_of(&d), true));
	ASSERT_EQ(0, kvm_vm_file(&vm, kvm_file_of(&d), false));
	ASSERT_EQ(0, vfio_dev_open_device(&d));
	EXPECT_VM_STATE("none", 1);

	/* Nothing holds the VM: it goes with its fds, device open or not. */
	kvm_vm_close_fds(&vm);
	EXPECT_FALSE(kvm_vm_alive(&vm));
	EXPECT_EQ(self->base_vendor, module_refcnt(self->vendor));
	EXPECT_DEVICE_WORKS(&d);
	EXPECT_VM_STATE("none", 1);
	vfio_dev_close(&d);
	EXPECT_BASELINE();
}

/* The driver's view, per instance (Rust driver only). */
TEST_F_TIMEOUT(kvm, vm_state, 120)
{
	struct kvm_vm vm;
	struct vfio_dev d;
	char buf[128] = "";

	KNOWN_DIFFERENCE(variant->driver, "mtty has no vm_state attribute");
	ASSERT_LT(0, read_vm_state(self->uuid, variant->driver, buf,
				   sizeof(buf)));
	EXPECT_STREQ("vm: none\nopen_count: 0\n", buf);

	NEW_VM(&vm);
	OPEN_DEV(&d, &vm);
	ASSERT_LT(0, read_vm_state(self->uuid, variant->driver, buf,
				   sizeof(buf)));
	EXPECT_STREQ("vm: attached\nopen_count: 1\n", buf);
	kvm_vm_close_fds(&vm);
	ASSERT_LT(0, read_vm_state(self->uuid, variant->driver, buf,
				   sizeof(buf)));
	EXPECT_STREQ("vm: attached\nopen_count: 1\n", buf);
	vfio_dev_close(&d);
	ASSERT_LT(0, read_vm_state(self->uuid, variant->driver, buf,
				   sizeof(buf)));
	EXPECT_STREQ("vm: none\nopen_count: 0\n", buf);

	/* Without a VM. */
	OPEN_DEV(&d, NULL);
	ASSERT_LT(0, read_vm_state(self->uuid, variant->driver, buf,
				   sizeof(buf)));
	EXPECT_STREQ("vm: none\nopen_count: 1\n", buf);
	vfio_dev_close(&d);
}

/*
 * 6. Many open/close cycles with a VM attached leave no module or VM
 * reference behind (refcounts checked every 50 cycles and at the end).
 */
TEST_F_TIMEOUT(kvm, open_close_cycles, 300)
{
	char cdev[PATH_MAX] = "", proc[64];
	long ven, kvmref, drv;
	struct kvm_vm vm;
	struct vfio_dev d;
	uint64_t t0;
	ssize_t n;
	int i, ret;

	NEW_VM(&vm);
	vfio_dev_init(&d, variant->path, self->uuid);
	ASSERT_EQ(0, vfio_dev_prepare(&d));
	if (variant->path == VFIO_PATH_GROUP) {
		ASSERT_EQ(0, kvm_vm_file(&vm, d.group, true));
	} else {
		/* Each cycle opens its own cdev fd. */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", d.fd);
		n = readlink(proc, cdev, sizeof(cdev) - 1);
		ASSERT_LT(0, n);
		cdev[n] = '\0';
		close_fd(&d.fd);
	}
	ven = module_refcnt(self->vendor);
	kvmref = module_refcnt("kvm");
	drv = module_refcnt(variant->driver);

	t0 = now_ms();
	for (i = 0; i < CYCLES; i++) {
		if (variant->path == VFIO_PATH_GROUP) {
			ret = vfio_dev_open_device(&d);
		} else {
			d.fd = open(cdev, O_RDWR | O_CLOEXEC);
			ret = d.fd < 0 ? -errno : 0;
			if (!ret)
				ret = kvm_vm_file(&vm, d.fd, true);
			if (!ret)
				ret = vfio_dev_open_device(&d);
			/* Drop kvm-vfio's file reference, keep the open. */
			if (!ret)
				ret = kvm_vm_file(&vm, d.fd, false);
		}
		ASSERT_EQ(0, ret) TH_LOG("cycle %d: %s", i, strerror(-ret));
		close_fd(&d.fd);

		/* A leak accumulates: checking now and then is enough. */
		if (i % 50 && i != CYCLES - 1)
			continue;
		ASSERT_EQ(ven, module_refcnt(self->vendor)) TH_LOG("cycle %d", i);
		ASSERT_EQ(kvmref, module_refcnt("kvm")) TH_LOG("cycle %d", i);
		ASSERT_EQ(drv, module_refcnt(variant->driver))
			TH_LOG("cycle %d", i);
	}
	TH_LOG("%d cycles in %llu ms", CYCLES,
	       (unsigned long long)(now_ms() - t0));
	ASSERT_TRUE(kvm_vm_alive(&vm));
	EXPECT_EQ(self->base_vms + 1, kvm_vm_count());

	kvm_vm_close_fds(&vm);
	EXPECT_FALSE(kvm_vm_alive(&vm));
	vfio_dev_close(&d);
	EXPECT_BASELINE();
}

/*
 * 7. A second cdev fd cannot bind a device that is already bound, and the
 * failed bind must not touch the VM reference of the first: VM1 stays held
 * until fd1 closes, a VM associated with fd2 is not held at all.
 */
static void second_bind(struct __test_metadata *_metadata,
			FIXTURE_DATA(kvm) *self,
			const FIXTURE_VARIANT(kvm) *variant, bool other_vm)
{
	struct kvm_vm vm1, vm2;
	long ven, kvmref, drv;
	struct vfio_dev d;
	int fd2, ret;

	if (variant->path != VFIO_PATH_CDEV)
		SKIP(return, "cdev path only");

	NEW_VM(&vm1);
	OPEN_DEV(&d, &vm1);
	fd2 = vfio_cdev_open(self->uuid);
	ASSERT_LE(0, fd2) TH_LOG("second cdev open: %s", strerror(-fd2));
	if (other_vm) {
		NEW_VM(&vm2);
		ASSERT_EQ(0, kvm_vm_file(&vm2, fd2, true));
	}
	ven = module_refcnt(self->vendor);
	kvmref = module_refcnt("kvm");
	drv = module_refcnt(variant->driver);

	/* vfio_df_open(): a cdev device opens once ("open_count != 0"). */
	ret = vfio_cdev_bind(fd2, d.iommufd);
	EXPECT_ERRNO(EINVAL, ret) TH_LOG("second bind: %s", strerror(-ret));
	EXPECT_EQ(ven, module_refcnt(self->vendor));
	EXPECT_EQ(kvmref, module_refcnt("kvm"));
	EXPECT_EQ(drv, module_refcnt(variant->driver));
	EXPECT_DEVICE_WORKS(&d);
	EXPECT_VM_STATE("attached", 1);

	if (other_vm) {
		kvm_vm_close_fds(&vm2);
		EXPECT_FALSE(kvm_vm_alive(&vm2))
			TH_LOG("VM2 leaked by the failed bind");
	}
	close_fd(&fd2);

	kvm_vm_close_fds(&vm1);
	EXPECT_TRUE(kvm_vm_alive(&vm1))
		TH_LOG("VM1 released by the failed bind of another fd");
	EXPECT_DEVICE_WORKS(&d);

	vfio_dev_close(&d);
	EXPECT_FALSE(kvm_vm_alive(&vm1)) TH_LOG("VM1 leaked");
	EXPECT_BASELINE();
}

TEST_F_TIMEOUT(kvm, cdev_second_bind_no_vm, 120)
{
	second_bind(_metadata, self, variant, false);
}

TEST_F_TIMEOUT(kvm, cdev_second_bind_other_vm, 120)
{
	second_bind(_metadata, self, variant, true);
}

XFAIL_ADD(kvm, mtty_group, vm_state);
XFAIL_ADD(kvm, mtty_cdev, vm_state);

MDEV_HARNESS_MAIN_READY(kvm_ready)
