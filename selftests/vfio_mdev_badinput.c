// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input to an mtty-compatible mdev device: malformed ioctl arguments,
 * accesses outside the regions, bad eventfds, unknown ioctls, bad instance
 * creation.  Each must fail with the errno the VFIO uAPI documents, and the
 * device must keep working afterwards.  The test runner checks the kernel
 * log (KASAN, lockdep, ...) and kmemleak after the run.
 *
 * Some checks are not even attempted on the C sample when its lack of bounds
 * checking would corrupt kernel memory: the test stops at an earlier, harmless
 * check of the same kind that already shows the difference (ASSERT).
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

#include <linux/pci_regs.h>
#include <linux/serial_reg.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "mdev_harness.h"
#include "mtty_device.h"

FIXTURE(bad) {
	struct mdev_set set;
	struct vfio_dev d;
	uint64_t cfg, cfg_size;
	uint64_t bar0;
};

MDEV_PATH_VARIANTS(bad);

FIXTURE_SETUP(bad)
{
	int idx, ret;

	mdev_setup_begin();
	MDEV_REQUIRE_DRIVER(variant->driver);

	/* A 1-port instance: BAR1 does not exist. */
	ret = mdev_set_create(&self->set, variant->driver, 1, &idx);
	ASSERT_EQ(0, ret) TH_LOG("create: %s", strerror(-ret));

	ret = vfio_dev_open(&self->d, variant->path, self->set.uuid[idx]);
	/* GET_INFO first, so that mtty's IRQ ioctls work at all. */
	if (!ret)
		ret = vfio_get_info(self->d.fd, NULL, NULL, NULL);
	if (!ret)
		ret = vfio_region(self->d.fd, VFIO_PCI_CONFIG_REGION_INDEX,
				  &self->cfg, &self->cfg_size, NULL);
	if (!ret)
		ret = vfio_region(self->d.fd, VFIO_PCI_BAR0_REGION_INDEX,
				  &self->bar0, NULL, NULL);
	if (ret) {
		vfio_dev_close(&self->d);
		mdev_set_remove_all(&self->set);
	}
	ASSERT_EQ(0, ret) TH_LOG("open: %s", strerror(-ret));
}

FIXTURE_TEARDOWN_PARENT(bad)
{
	mdev_teardown_begin();
	mdev_set_remove_all(&self->set);
}

/* The device answers config reads and loops data back. */
#define DEVICE_STILL_WORKS() do { \
	uint16_t vid = 0; \
	ASSERT_EQ(0, region_read(self->d.fd, self->cfg + PCI_VENDOR_ID, \
				 &vid, 2)); \
	EXPECT_EQ(MTTY_PCI_VENDOR_ID, vid); \
	EXPECT_EQ(0, uart_loopback_ok(self->d.fd, self->bar0, 0x3c)); \
} while (0)

/* ioctl() result as 0 or -errno */
static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

struct irq_set_1 {
	struct vfio_irq_set hdr;
	int32_t data[2];
} __attribute__((packed));

/* argsz below the fixed part of the argument: EINVAL. */
TEST_F(bad, short_argsz)
{
	struct vfio_device_info info = { .argsz = 4 };
	struct vfio_region_info rinfo = {
		.argsz = offsetof(struct vfio_region_info, offset),
		.index = VFIO_PCI_BAR0_REGION_INDEX,
	};
	struct vfio_irq_info iinfo = {
		.argsz = offsetof(struct vfio_irq_info, count),
		.index = VFIO_PCI_INTX_IRQ_INDEX,
	};
	struct vfio_irq_set set = {
		.argsz = offsetof(struct vfio_irq_set, count),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = VFIO_PCI_INTX_IRQ_INDEX,
		.count = 1,
	};

	EXPECT_ERRNO(EINVAL, xioctl(self->d.fd, VFIO_DEVICE_GET_INFO, &info));
	info.argsz = 0;
	EXPECT_ERRNO(EINVAL, xioctl(self->d.fd, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_ERRNO(EINVAL, xioctl(self->d.fd, VFIO_DEVICE_GET_REGION_INFO,
				    &rinfo));
	EXPECT_ERRNO(EINVAL, xioctl(self->d.fd, VFIO_DEVICE_GET_IRQ_INFO,
				    &iinfo));
	EXPECT_ERRNO(EINVAL, xioctl(self->d.fd, VFIO_DEVICE_SET_IRQS, &set));
	DEVICE_STILL_WORKS();
}

/* SET_IRQS whose argsz does not cover count * data size: EINVAL. */
TEST_F(bad, set_irqs_argsz_data)
{
	struct irq_set_1 s = {
		.hdr = {
			.flags = VFIO_IRQ_SET_DATA_EVENTFD |
				 VFIO_IRQ_SET_ACTION_TRIGGER,
			.index = VFIO_PCI_INTX_IRQ_INDEX,
			.count = 1,
		},
	};
	int efd = efd_new();

	ASSERT_LE(0, efd);
	s.data[0] = s.data[1] = efd;

	/* No room for the eventfd. */
	s.hdr.argsz = sizeof(s.hdr);
	EXPECT_ERRNO(EINVAL, xioctl(self->d.fd, VFIO_DEVICE_SET_IRQS, &s));
	/* Half of it. */
	s.hdr.argsz = sizeof(s.hdr) + 2;
	EXPECT_ERRNO(EINVAL, xioctl(self->d.fd, VFIO_DEVICE_SET_IRQS, &s));
	/* Room for one, count 2. */
	s.hdr.argsz = sizeof(s.hdr) + sizeof(int32_t);
	s.hdr.count = 2;
	EXPECT_ERRNO(EINVAL, xioctl(self->d.fd, VFIO_DEVICE_SET_IRQS, &s));
	/* A bool without its byte. */
	s.hdr.flags = VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER;
	s.hdr.argsz = sizeof(s.hdr);
	s.hdr.count = 1;
	EXPECT_ERRNO(EINVAL, xioctl(self->d.fd, VFIO_DEVICE_SET_IRQS, &s));
	/* A count that overflows start + count. */
	s.hdr.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	s.hdr.argsz = sizeof(s);
	s.hdr.start = 1;
	s.hdr.count = UINT32_MAX;
	EXPECT_ERRNO(EINVAL, xioctl(self->d.fd, VFIO_DEVICE_SET_IRQS, &s));
	/* Two vectors on INTx, which has one, with room for both. */
	s.hdr.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s.hdr.start = 0;
	s.hdr.count = 2;
	EXPECT_ERRNO(EINVAL, xioctl(self->d.fd, VFIO_DEVICE_SET_IRQS, &s));
	close(efd);
	DEVICE_STILL_WORKS();
}

/* Flags the uAPI does not define: EINVAL. */
TEST_F(bad, unknown_flags)
{
	struct irq_set_1 s = {
		.hdr = {
			.argsz = sizeof(s),
			.index = VFIO_PCI_INTX_IRQ_INDEX,
			.count = 1,
		},
	};
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach),
	};

	s.hdr.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER |
		      (1u << 31);
	EXPECT_ERRNO(EINVAL, xioctl(self->d.fd, VFIO_DEVICE_SET_IRQS, &s));
	/* Two data types at once. */
	s.hdr.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL |
		      VFIO_IRQ_SET_ACTION_TRIGGER;
	EXPECT_ERRNO(EINVAL, xioctl(self->d.fd, VFIO_DEVICE_SET_IRQS, &s));

	if (variant->path == VFIO_PATH_CDEV) {
		/* Already bound; bind flags are checked first anyway. */
		bind.flags = 1;
		bind.iommufd = self->d.iommufd;
		EXPECT_ERRNO(EINVAL, xioctl(self->d.fd,
					    VFIO_DEVICE_BIND_IOMMUFD, &bind));
		attach.flags = 0x80000000;
		attach.pt_id = self->d.ioas_id;
		EXPECT_ERRNO(EINVAL, xioctl(self->d.fd,
					    VFIO_DEVICE_ATTACH_IOMMUFD_PT,
					    &attach));
	} else {
		/* BIND_IOMMUFD is for cdev fds only. */
		bind.iommufd = 0;
		EXPECT_ERRNO(EINVAL, xioctl(self->d.fd,
					    VFIO_DEVICE_BIND_IOMMUFD, &bind));
	}
	DEVICE_STILL_WORKS();
}

TEST_F(bad, bad_region_index)
{
	static const uint32_t idx[] = {
		VFIO_PCI_NUM_REGIONS, VFIO_PCI_NUM_REGIONS + 1, 1000,
		0x7fffffff, 0xffffffff,
	};
	struct vfio_region_info info;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(idx); i++) {
		info = (struct vfio_region_info){
			.argsz = sizeof(info), .index = idx[i],
		};
		EXPECT_ERRNO(EINVAL, xioctl(self->d.fd,
					    VFIO_DEVICE_GET_REGION_INFO,
					    &info)) TH_LOG("index %u", idx[i]);
	}
	DEVICE_STILL_WORKS();
}

TEST_F(bad, bad_irq_index)
{
	static const uint32_t idx[] = {
		VFIO_PCI_NUM_IRQS, 1000, 0xffffffff,
	};
	struct vfio_irq_info info;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(idx); i++) {
		info = (struct vfio_irq_info){
			.argsz = sizeof(info), .index = idx[i],
		};
		EXPECT_ERRNO(EINVAL, xioctl(self->d.fd,
					    VFIO_DEVICE_GET_IRQ_INFO, &info))
			TH_LOG("index %u", idx[i]);
		EXPECT_ERRNO(EINVAL, vfio_irq_set_none(self->d.fd, idx[i],
						       VFIO_IRQ_SET_ACTION_TRIGGER,
						       0, 1))
			TH_LOG("index %u", idx[i]);
	}
	/* INTx has a single vector: start 1 is out of range. */
	EXPECT_ERRNO(EINVAL, vfio_irq_set_none(self->d.fd,
					       VFIO_PCI_INTX_IRQ_INDEX,
					       VFIO_IRQ_SET_ACTION_TRIGGER,
					       1, 1));
	/* Unmasking an INTx that has no trigger set up. */
	EXPECT_ERRNO(EINVAL, vfio_irq_set_none(self->d.fd,
					       VFIO_PCI_INTX_IRQ_INDEX,
					       VFIO_IRQ_SET_ACTION_UNMASK,
					       0, 1));
	DEVICE_STILL_WORKS();
}

/*
 * Reads and writes outside BAR0, and to BAR1, which a 1-port device does
 * not have: EINVAL.  (Only registers that the C sample handles harmlessly
 * are touched: it has no bounds checks.)
 */
TEST_F(bad, access_past_bar)
{
	uint64_t bar1 = 0, size1 = 0;
	uint8_t b = 0x55;
	int ret;

	KNOWN_DIFFERENCE(variant->driver,
			 "mtty does not bounds-check BAR accesses");
	EXPECT_ERRNO(EINVAL, region_read(self->d.fd,
					 self->bar0 + MTTY_IO_BAR_SIZE, &b, 1));
	EXPECT_ERRNO(EINVAL, region_write(self->d.fd,
					  self->bar0 + MTTY_IO_BAR_SIZE, &b, 1));
	EXPECT_ERRNO(EINVAL, region_read(self->d.fd, self->bar0 + 0x1000,
					 &b, 1));
	/* Straddling the end. */
	{
		uint16_t w;

		EXPECT_ERRNO(EINVAL, region_read(self->d.fd,
						 self->bar0 + MTTY_IO_BAR_SIZE - 1,
						 &w, 2));
	}

	ret = vfio_region(self->d.fd, VFIO_PCI_BAR1_REGION_INDEX, &bar1,
			  &size1, NULL);
	if (!ret) {
		EXPECT_EQ(0, size1);
		if (bar1 != self->bar0) {
			EXPECT_ERRNO(EINVAL, region_read(self->d.fd,
							 bar1 + UART_LSR,
							 &b, 1));
			EXPECT_ERRNO(EINVAL, region_write(self->d.fd,
							  bar1 + UART_SCR,
							  &b, 1));
		}
	}
	DEVICE_STILL_WORKS();
}

/* Config space accesses beyond the config region: EINVAL. */
TEST_F(bad, access_past_config)
{
	uint64_t end = (self->cfg_size + 3) & ~3ULL;
	uint32_t v = 0;

	KNOWN_DIFFERENCE(variant->driver,
			 "mtty does not bounds-check config space accesses");
	/*
	 * A write first: the C sample ignores it, whereas a read past its
	 * config buffer would be an out-of-bounds read; stop here if the
	 * write is accepted.
	 */
	ASSERT_ERRNO(EINVAL, region_write(self->d.fd, self->cfg + end, &v, 4));
	EXPECT_ERRNO(EINVAL, region_read(self->d.fd, self->cfg + end, &v, 4));
	EXPECT_ERRNO(EINVAL, region_read(self->d.fd, self->cfg + 0x10000,
					 &v, 4));
	EXPECT_ERRNO(EINVAL, region_write(self->d.fd, self->cfg + 0x10000,
					  &v, 4));
	DEVICE_STILL_WORKS();
}

/* An 8-byte access to a byte-wide UART register: EINVAL. */
TEST_F(bad, oversized_bar_access)
{
	uint64_t q = 0;

	KNOWN_DIFFERENCE(variant->driver,
			 "mtty splits oversized BAR accesses");
	EXPECT_ERRNO(EINVAL, region_read(self->d.fd, self->bar0, &q, 8));
	EXPECT_ERRNO(EINVAL, region_write(self->d.fd, self->bar0, &q, 8));
	DEVICE_STILL_WORKS();
}

/* Unaligned multi-byte config accesses: EINVAL. */
TEST_F(bad, unaligned_config)
{
	uint32_t v;
	uint16_t w;

	KNOWN_DIFFERENCE(variant->driver,
			 "mtty splits unaligned config accesses");
	EXPECT_ERRNO(EINVAL, region_read(self->d.fd, self->cfg + 1, &v, 4));
	EXPECT_ERRNO(EINVAL, region_read(self->d.fd, self->cfg + 1, &w, 2));
	EXPECT_ERRNO(EINVAL, region_read(self->d.fd, self->cfg + 2, &v, 4));
	/* Read-only subsystem ID; the C sample ignores all the pieces. */
	v = 0xffffffff;
	EXPECT_ERRNO(EINVAL, region_write(self->d.fd,
					  self->cfg + PCI_SUBSYSTEM_VENDOR_ID + 1,
					  &v, 4));
	DEVICE_STILL_WORKS();
}

/*
 * SET_IRQS with something that is not an eventfd: a closed fd number is
 * EBADF, an fd of another kind EINVAL (eventfd_ctx_fdget()).  -1 is the
 * uAPI's "de-assign".  Any other negative number de-assigns too, with
 * success, in both drivers: mtty_set_irqs() disables the index and stops
 * at "fd < 0"; rust_mtty removes the trigger of the active index for any
 * negative fd (Card::set_irqs in rust_mtty.rs).
 */
TEST_F(bad, bad_eventfd)
{
	static const uint32_t idx[] = {
		VFIO_PCI_INTX_IRQ_INDEX, VFIO_PCI_MSI_IRQ_INDEX,
	};
	int null, efd, ret, i, closed;

	null = open("/dev/null", O_RDWR);
	ASSERT_LE(0, null);
	closed = dup(null);
	ASSERT_LE(0, closed);
	close(closed);

	for (i = 0; i < 2; i++) {
		EXPECT_ERRNO(EBADF, vfio_irq_set_eventfd(self->d.fd, idx[i],
							 VFIO_IRQ_SET_ACTION_TRIGGER,
							 closed))
			TH_LOG("index %u", idx[i]);
		EXPECT_ERRNO(EINVAL, vfio_irq_set_eventfd(self->d.fd, idx[i],
							  VFIO_IRQ_SET_ACTION_TRIGGER,
							  null))
			TH_LOG("index %u", idx[i]);

		efd = efd_new();
		ASSERT_LE(0, efd);
		ASSERT_EQ(0, vfio_irq_set_eventfd(self->d.fd, idx[i],
						  VFIO_IRQ_SET_ACTION_TRIGGER,
						  efd));
		ret = vfio_irq_set_eventfd(self->d.fd, idx[i],
					   VFIO_IRQ_SET_ACTION_TRIGGER, -2);
		EXPECT_EQ(0, ret) TH_LOG("fd -2: %s", strerror(-ret));
		/* De-assigned: data must not reach the old eventfd. */
		ASSERT_EQ(0, uart_enable_rx_irq(self->d.fd, self->bar0));
		ASSERT_EQ(0, uart_write(self->d.fd, self->bar0, UART_TX, '-'));
		EXPECT_EQ(0, efd_wait(efd, NO_EVENT_MS));
		EXPECT_EQ('-', uart_read(self->d.fd, self->bar0, UART_RX));
		/* -1 de-assigns */
		EXPECT_EQ(0, vfio_irq_set_eventfd(self->d.fd, idx[i],
						  VFIO_IRQ_SET_ACTION_TRIGGER,
						  -1));
		close(efd);
	}
	close(null);

	/* A good eventfd still works after all that. */
	efd = efd_new();
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, vfio_irq_set_eventfd(self->d.fd, VFIO_PCI_INTX_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_TRIGGER, efd));
	ASSERT_EQ(0, uart_enable_rx_irq(self->d.fd, self->bar0));
	ASSERT_EQ(0, uart_write(self->d.fd, self->bar0, UART_TX, '+'));
	EXPECT_EQ(1, efd_wait(efd, EVENT_MS));
	EXPECT_EQ('+', uart_read(self->d.fd, self->bar0, UART_RX));
	close(efd);
	DEVICE_STILL_WORKS();
}

/* ioctls the device does not implement: ENOTTY. */
TEST_F(bad, unknown_ioctl)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	char buf[64] = {};

	EXPECT_ERRNO(ENOTTY, xioctl(self->d.fd, _IO(VFIO_TYPE, VFIO_BASE + 60),
				    NULL));
	EXPECT_ERRNO(ENOTTY, xioctl(self->d.fd, _IOW('x', 0x42, int), buf));
	/* A group ioctl on a device fd. */
	EXPECT_ERRNO(ENOTTY, xioctl(self->d.fd, VFIO_GROUP_GET_STATUS, &gs));
	/* vfio-pci's ioeventfd is not offered by the mdev. */
	EXPECT_ERRNO(ENOTTY, xioctl(self->d.fd, VFIO_DEVICE_IOEVENTFD, buf));
	DEVICE_STILL_WORKS();
}

/* Every kind of bad input in a row, then the device still works fully. */
TEST_F(bad, survives_everything)
{
	struct vfio_device_info info = { .argsz = 1 };
	struct irq_set_1 s = {
		.hdr = {
			.argsz = sizeof(s.hdr),
			.flags = VFIO_IRQ_SET_DATA_EVENTFD |
				 VFIO_IRQ_SET_ACTION_TRIGGER,
			.index = VFIO_PCI_MSI_IRQ_INDEX,
			.count = 1,
		},
	};
	int efd, i;

	for (i = 0; i < 100; i++) {
		EXPECT_NE(0, xioctl(self->d.fd, VFIO_DEVICE_GET_INFO, &info));
		EXPECT_NE(0, xioctl(self->d.fd, VFIO_DEVICE_SET_IRQS, &s));
		EXPECT_NE(0, xioctl(self->d.fd, _IO(VFIO_TYPE, VFIO_BASE + 99),
				    NULL));
		EXPECT_NE(0, vfio_irq_set_eventfd(self->d.fd,
						  VFIO_PCI_MSI_IRQ_INDEX,
						  VFIO_IRQ_SET_ACTION_TRIGGER,
						  0x7fff));
	}
	efd = efd_new();
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, vfio_irq_set_eventfd(self->d.fd, VFIO_PCI_MSI_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_TRIGGER, efd));
	ASSERT_EQ(0, uart_enable_rx_irq(self->d.fd, self->bar0));
	ASSERT_EQ(0, uart_write(self->d.fd, self->bar0, UART_TX, 'M'));
	EXPECT_EQ(1, efd_wait(efd, EVENT_MS));
	EXPECT_EQ('M', uart_read(self->d.fd, self->bar0, UART_RX));
	close(efd);
	DEVICE_STILL_WORKS();
}

XFAIL_ADD(bad, mtty_group, access_past_bar);
XFAIL_ADD(bad, mtty_cdev, access_past_bar);
XFAIL_ADD(bad, mtty_group, access_past_config);
XFAIL_ADD(bad, mtty_cdev, access_past_config);
XFAIL_ADD(bad, mtty_group, oversized_bar_access);
XFAIL_ADD(bad, mtty_cdev, oversized_bar_access);
XFAIL_ADD(bad, mtty_group, unaligned_config);
XFAIL_ADD(bad, mtty_cdev, unaligned_config);

/* ------------------------------------------------------------------------ */
/* Bad instance creation. */

FIXTURE(badcreate) {
	struct mdev_set set;
};

MDEV_DRIVER_VARIANTS(badcreate);

FIXTURE_SETUP(badcreate)
{
	mdev_setup_begin();
	MDEV_REQUIRE_DRIVER(variant->driver);
}

FIXTURE_TEARDOWN_PARENT(badcreate)
{
	mdev_teardown_begin();
	mdev_set_remove_all(&self->set);
}

TEST_F(badcreate, bad_uuid)
{
	long avail = mdev_available(variant->driver, 1);
	char uuid[MDEV_UUID_LEN + 1];
	int idx;

	EXPECT_ERRNO(EINVAL, mdev_create_uuid(variant->driver, 1,
					      "not-a-uuid"));
	EXPECT_ERRNO(EINVAL, mdev_create_uuid(variant->driver, 1, "\n"));
	EXPECT_ERRNO(EINVAL, mdev_create_uuid(variant->driver, 1,
					      MDEV_UUID_MARK "-zzzz-4000-8000-000000000000"));
	EXPECT_EQ(avail, mdev_available(variant->driver, 1));

	/* The same UUID twice: EEXIST, and the pool is not charged. */
	ASSERT_EQ(0, mdev_set_create(&self->set, variant->driver, 1, &idx));
	EXPECT_ERRNO(EEXIST, mdev_create_uuid(variant->driver, 1,
					      self->set.uuid[idx]));
	EXPECT_ERRNO(EEXIST, mdev_create_uuid(variant->driver, 2,
					      self->set.uuid[idx]));
	EXPECT_EQ(avail - 1, mdev_available(variant->driver, 1));

	/* Removing twice: the second time there is nothing to remove. */
	memcpy(uuid, self->set.uuid[idx], sizeof(uuid));
	ASSERT_EQ(0, mdev_set_remove(&self->set, idx));
	EXPECT_ERRNO(ENOENT, mdev_remove(uuid));
	EXPECT_EQ(avail, mdev_available(variant->driver, 1));
}

/* Past the pool: ENOSPC, no device left on the bus, no port leaked. */
TEST_F(badcreate, past_pool)
{
	char uuid[MDEV_UUID_LEN + 1], path[PATH_MAX];
	long p1, left;
	int i, idx = -1;

	p1 = mdev_available(variant->driver, 1);
	ASSERT_LT(0, p1);
	for (left = p1; left >= 2; left -= 2)
		ASSERT_EQ(0, mdev_set_create(&self->set, variant->driver, 2,
					     &idx));
	if (left)
		ASSERT_EQ(0, mdev_set_create(&self->set, variant->driver, 1,
					     NULL));
	ASSERT_EQ(0, mdev_available(variant->driver, 1));

	for (i = 0; i < 10; i++) {
		mdev_new_uuid(uuid);
		EXPECT_ERRNO(ENOSPC, mdev_create_uuid(variant->driver,
						      1 + i % 2, uuid));
		snprintf(path, sizeof(path), "%s/%s", MDEV_BUS_DIR, uuid);
		EXPECT_FALSE(path_exists(path));
	}
	EXPECT_EQ(0, mdev_available(variant->driver, 1));

	/* Failed attempts did not eat ports: a freed 2-port slot is reusable. */
	ASSERT_LE(0, idx);
	ASSERT_EQ(0, mdev_set_remove(&self->set, idx));
	EXPECT_EQ(2, mdev_available(variant->driver, 1));
	EXPECT_EQ(1, mdev_available(variant->driver, 2));
	EXPECT_EQ(0, mdev_set_create(&self->set, variant->driver, 2, NULL));

	mdev_set_remove_all(&self->set);
	EXPECT_EQ(p1, mdev_available(variant->driver, 1));
}

MDEV_HARNESS_MAIN
