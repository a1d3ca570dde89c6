// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of rust_mshm, the Rust sample with a memory BAR that user space
 * maps (Documentation/rust-mshm.rst), through the VFIO group and the VFIO
 * cdev paths: the regions and the sparse mmap capability of BAR2, config
 * space, the registers of BAR0, mmap() of BAR2 against read()/write() and
 * the checksum register, the mmap() requests that are refused, the doorbell
 * interrupt and its unmask eventfd, and a mapping that outlives the close of its file or the start
 * of the instance's removal.
 *
 * MDEV_DRIVER must be rust_mshm (selftests/TESTS sets it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "mdev_harness.h"

#define DRV		"rust_mshm"
#define TYPE_PAGES	4	/* the type rust_mshm-4 */

/* The device (samples/rust_mshm/model.rs). */
#define MSHM_VENDOR	0xf1d0
#define MSHM_DEVICE	0x5348
#define MSHM_MAGIC	0x4d48534d	/* "MSHM" in memory order */
#define MSHM_VERSION	0x00010000
#define REG_ID		0x00
#define REG_VERSION	0x04
#define REG_MEM_SIZE	0x08
#define REG_SCRATCH	0x0c
#define REG_DOORBELL	0x10
#define REG_CHECKSUM	0x14
#define PAGE		4096
#define REGS_SIZE	PAGE
#define MEM_SIZE	(TYPE_PAGES * PAGE)
/*
 * Hang guard of the wait for the device request when a removal starts: the
 * removal runs in another thread, through the mdev core and the driver
 * core, which took over 5 s (EVENT_MS) on the debug kernel under TCG on a
 * loaded machine; vfio_mdev_remove.c bounds the same wait with 60 s.
 */
#define REQUEST_MS	60000
/* BAR2's first page is trapped; the sparse area is the rest. */
#define MAP_OFF		PAGE
#define MAP_LEN		(MEM_SIZE - PAGE)

FIXTURE(mshm) {
	struct mdev_set set;
	int idx;
	struct vfio_dev d;
	uint64_t bar0, bar2, cfg;
};

FIXTURE_VARIANT(mshm) {
	enum vfio_path path;
};

FIXTURE_VARIANT_ADD(mshm, group) {
	.path = VFIO_PATH_GROUP,
};

FIXTURE_VARIANT_ADD(mshm, cdev) {
	.path = VFIO_PATH_CDEV,
};

/* The file offsets of the regions the tests use, or -errno. */
static int mshm_regions(FIXTURE_DATA(mshm) *self)
{
	const struct {
		uint32_t index;
		uint64_t *offset;
	} regions[] = {
		{ VFIO_PCI_BAR0_REGION_INDEX, &self->bar0 },
		{ VFIO_PCI_BAR2_REGION_INDEX, &self->bar2 },
		{ VFIO_PCI_CONFIG_REGION_INDEX, &self->cfg },
	};
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < ARRAY_SIZE(regions); i++)
		ret = vfio_region(self->d.fd, regions[i].index,
				  regions[i].offset, NULL, NULL);
	return ret;
}

FIXTURE_SETUP(mshm)
{
	int ret;

	mdev_setup_begin();
	MDEV_REQUIRE_DRIVER(DRV);

	/* The instance of the test before may not be released yet. */
	mdev_available_at_least(DRV, TYPE_PAGES, 1);
	ret = mdev_set_create(&self->set, DRV, TYPE_PAGES, &self->idx);
	ASSERT_EQ(0, ret) TH_LOG("create %s-%d: %s", DRV, TYPE_PAGES,
				 strerror(-ret));
	/* The setup cleans up after itself: teardown runs only after it. */
	ret = vfio_dev_open(&self->d, variant->path,
			    self->set.uuid[self->idx]);
	ret = ret ?: mshm_regions(self);
	if (ret)
		vfio_dev_close(&self->d);
	if (ret)
		mdev_set_remove_all(&self->set);
	ASSERT_EQ(0, ret) TH_LOG("open: %s", strerror(-ret));
}

FIXTURE_TEARDOWN_PARENT(mshm)
{
	mdev_teardown_begin();
	mdev_set_remove_all(&self->set);
}

static int reg_read(int fd, uint64_t bar0, unsigned int reg, uint32_t *val)
{
	return region_read(fd, bar0 + reg, val, sizeof(*val));
}

static int reg_write(int fd, uint64_t bar0, unsigned int reg, uint32_t val)
{
	return region_write(fd, bar0 + reg, &val, sizeof(val));
}

/* FNV-1a, 32 bits, as the CHECKSUM register computes it. */
static uint32_t fnv1a(const uint8_t *p, size_t len)
{
	uint32_t h = 0x811c9dc5;

	while (len--)
		h = (h ^ *p++) * 0x01000193;
	return h;
}

/* mmap() of @len bytes at file offset @off: the mapping, or NULL (errno). */
static void *map(int fd, uint64_t off, size_t len, int prot, int flags)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	return p == MAP_FAILED ? NULL : p;
}

TEST_F(mshm, device_info)
{
	uint32_t flags, nregions, nirqs, count;

	ASSERT_EQ(0, vfio_get_info(self->d.fd, &flags, &nregions, &nirqs));
	EXPECT_TRUE(flags & VFIO_DEVICE_FLAGS_PCI);
	EXPECT_TRUE(flags & VFIO_DEVICE_FLAGS_RESET);
	EXPECT_EQ(VFIO_PCI_NUM_REGIONS, nregions);
	EXPECT_EQ(VFIO_PCI_NUM_IRQS, nirqs);
	ASSERT_EQ(0, vfio_irq_info(self->d.fd, VFIO_PCI_INTX_IRQ_INDEX,
				   &flags, &count));
	EXPECT_EQ(1, count);
	EXPECT_TRUE(flags & VFIO_IRQ_INFO_AUTOMASKED);
	ASSERT_EQ(0, vfio_irq_info(self->d.fd, VFIO_PCI_MSI_IRQ_INDEX,
				   &flags, &count));
	EXPECT_EQ(0, count);
}

/* Only BAR2 is mappable; the others have neither MMAP nor CAPS. */
TEST_F(mshm, region_info)
{
	static const struct {
		uint32_t index;
		uint64_t size;
		uint32_t flags;
	} want[] = {
		{ VFIO_PCI_BAR0_REGION_INDEX, REGS_SIZE,
		  VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE },
		{ VFIO_PCI_BAR1_REGION_INDEX, 0, 0 },
		{ VFIO_PCI_BAR2_REGION_INDEX, MEM_SIZE,
		  VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
		  VFIO_REGION_INFO_FLAG_MMAP | VFIO_REGION_INFO_FLAG_CAPS },
		{ VFIO_PCI_CONFIG_REGION_INDEX, 256,
		  VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE },
		{ VFIO_PCI_VGA_REGION_INDEX, 0, 0 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(want); i++) {
		uint64_t size;
		uint32_t flags;

		ASSERT_EQ(0, vfio_region(self->d.fd, want[i].index, NULL,
					 &size, &flags));
		EXPECT_EQ(want[i].size, size) TH_LOG("region %u", want[i].index);
		EXPECT_EQ(want[i].flags, flags) TH_LOG("region %u",
						       want[i].index);
	}
}

/*
 * The sparse mmap capability of BAR2, as vfio-pci reports capabilities: an
 * argsz too small for the chain gets CAPS, the size needed and no chain;
 * one large enough gets the chain after the fixed part.
 */
TEST_F(mshm, sparse_mmap_cap)
{
	const size_t need = sizeof(struct vfio_region_info) +
			    sizeof(struct vfio_region_info_cap_sparse_mmap) +
			    sizeof(struct vfio_region_sparse_mmap_area);
	union {
		struct vfio_region_info info;
		uint8_t bytes[256];
	} u;
	struct vfio_region_info_cap_sparse_mmap *cap;
	size_t argsz;

	memset(&u, 0xa5, sizeof(u));
	u.info.argsz = sizeof(u.info);
	u.info.flags = 0;
	u.info.index = VFIO_PCI_BAR2_REGION_INDEX;
	ASSERT_EQ(0, ioctl(self->d.fd, VFIO_DEVICE_GET_REGION_INFO, &u.info));
	EXPECT_TRUE(u.info.flags & VFIO_REGION_INFO_FLAG_CAPS);
	EXPECT_TRUE(u.info.flags & VFIO_REGION_INFO_FLAG_MMAP);
	EXPECT_EQ(need, u.info.argsz);
	EXPECT_EQ(0, u.info.cap_offset);
	/* Nothing was written past what argsz allowed. */
	EXPECT_EQ(0xa5, u.bytes[sizeof(u.info)]);

	/* The right size, then more than needed: the same answer. */
	for (argsz = need; argsz <= sizeof(u); argsz += sizeof(u) - need) {
		memset(&u, 0, sizeof(u));
		u.info.argsz = argsz;
		u.info.index = VFIO_PCI_BAR2_REGION_INDEX;
		ASSERT_EQ(0, ioctl(self->d.fd, VFIO_DEVICE_GET_REGION_INFO,
				   &u.info));
		EXPECT_EQ(argsz, u.info.argsz);
		ASSERT_EQ(sizeof(u.info), u.info.cap_offset);
		EXPECT_EQ(self->bar2, u.info.offset);
		cap = (void *)(u.bytes + u.info.cap_offset);
		EXPECT_EQ(VFIO_REGION_INFO_CAP_SPARSE_MMAP, cap->header.id);
		EXPECT_EQ(1, cap->header.version);
		EXPECT_EQ(0, cap->header.next);
		ASSERT_EQ(1, cap->nr_areas);
		EXPECT_EQ(MAP_OFF, cap->areas[0].offset);
		EXPECT_EQ(MAP_LEN, cap->areas[0].size);
	}

	/* A region without capabilities leaves argsz and cap_offset alone. */
	memset(&u, 0, sizeof(u));
	u.info.argsz = sizeof(u.info);
	u.info.index = VFIO_PCI_BAR0_REGION_INDEX;
	u.info.cap_offset = 123;
	ASSERT_EQ(0, ioctl(self->d.fd, VFIO_DEVICE_GET_REGION_INFO, &u.info));
	EXPECT_EQ(sizeof(u.info), u.info.argsz);
	EXPECT_EQ(0, u.info.cap_offset);
}

/* The type 0 header: IDs, BAR sizing, the writable bits. */
TEST_F(mshm, config_space)
{
	static const struct {
		unsigned int reg;
		uint32_t readback;	/* after writing all ones */
	} bars[] = {
		{ PCI_BASE_ADDRESS_0, ~(uint32_t)(REGS_SIZE - 1) },
		{ PCI_BASE_ADDRESS_1, 0 },
		{ PCI_BASE_ADDRESS_2, ~(uint32_t)(MEM_SIZE - 1) |
				      PCI_BASE_ADDRESS_MEM_PREFETCH },
		{ PCI_BASE_ADDRESS_5, 0 },
	};
	uint32_t v, ones = ~0u;
	uint8_t pin, cfg[256];
	unsigned int i;

	ASSERT_EQ(0, region_read(self->d.fd, self->cfg, cfg, sizeof(cfg)));
	EXPECT_EQ(MSHM_VENDOR, cfg[0] | cfg[1] << 8);
	EXPECT_EQ(MSHM_DEVICE, cfg[2] | cfg[3] << 8);
	EXPECT_EQ(0x05, cfg[PCI_CLASS_DEVICE + 1]);
	ASSERT_EQ(0, region_read(self->d.fd, self->cfg + PCI_INTERRUPT_PIN,
				 &pin, 1));
	EXPECT_EQ(1, pin);
	for (i = 0; i < ARRAY_SIZE(bars); i++) {
		ASSERT_EQ(0, region_write(self->d.fd, self->cfg + bars[i].reg,
					  &ones, 4));
		ASSERT_EQ(0, region_read(self->d.fd, self->cfg + bars[i].reg,
					 &v, 4));
		EXPECT_EQ(bars[i].readback, v) TH_LOG("BAR at 0x%x",
						      bars[i].reg);
	}
	/* The vendor ID is read-only. */
	ASSERT_EQ(0, region_write(self->d.fd, self->cfg, &ones, 4));
	ASSERT_EQ(0, region_read(self->d.fd, self->cfg, &v, 4));
	EXPECT_EQ(MSHM_VENDOR | MSHM_DEVICE << 16, v);
}

TEST_F(mshm, registers)
{
	int fd = self->d.fd;
	uint16_t half;
	uint32_t v;

	ASSERT_EQ(0, reg_read(fd, self->bar0, REG_ID, &v));
	EXPECT_EQ(MSHM_MAGIC, v);
	ASSERT_EQ(0, reg_read(fd, self->bar0, REG_VERSION, &v));
	EXPECT_EQ(MSHM_VERSION, v);
	ASSERT_EQ(0, reg_read(fd, self->bar0, REG_MEM_SIZE, &v));
	EXPECT_EQ(MEM_SIZE, v);
	ASSERT_EQ(0, reg_write(fd, self->bar0, REG_SCRATCH, 0x12345678));
	ASSERT_EQ(0, reg_read(fd, self->bar0, REG_SCRATCH, &v));
	EXPECT_EQ(0x12345678, v);
	/* A 2-byte access reaches those bytes of the register. */
	half = 0xbeef;
	ASSERT_EQ(0, region_write(fd, self->bar0 + REG_SCRATCH + 2, &half, 2));
	ASSERT_EQ(0, reg_read(fd, self->bar0, REG_SCRATCH, &v));
	EXPECT_EQ(0xbeef5678, v);
	/* ID is read-only; the rest of the page reads 0. */
	ASSERT_EQ(0, reg_write(fd, self->bar0, REG_ID, 0));
	ASSERT_EQ(0, reg_read(fd, self->bar0, REG_ID, &v));
	EXPECT_EQ(MSHM_MAGIC, v);
	ASSERT_EQ(0, reg_read(fd, self->bar0, 0x800, &v));
	EXPECT_EQ(0, v);
	/* Past the page, or unaligned: refused. */
	EXPECT_ERRNO(EINVAL, reg_read(fd, self->bar0, REGS_SIZE, &v));
	EXPECT_ERRNO(EINVAL, reg_read(fd, self->bar0, 2, &v));
	/* A reset brings the scratch register back to 0. */
	ASSERT_EQ(0, ioctl(fd, VFIO_DEVICE_RESET));
	ASSERT_EQ(0, reg_read(fd, self->bar0, REG_SCRATCH, &v));
	EXPECT_EQ(0, v);
}

/*
 * What is written through the mapping is read through the file and the
 * other way round, and the checksum register agrees with both.
 */
TEST_F(mshm, mmap_shares_memory)
{
	static uint8_t mem[MEM_SIZE], back[MEM_SIZE];
	uint8_t *p, *q;
	uint32_t v;
	int i;

	for (i = 0; i < MEM_SIZE; i++)
		mem[i] = (uint8_t)(i * 7 + 3);
	/* The memory starts zeroed. */
	ASSERT_EQ(0, region_read(self->d.fd, self->bar2, back, MEM_SIZE));
	for (i = 0; i < MEM_SIZE; i++)
		ASSERT_EQ(0, back[i]) TH_LOG("byte %d", i);

	p = map(self->d.fd, self->bar2 + MAP_OFF, MAP_LEN,
		PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(errno));
	/* The trapped page through the file, the rest through the map. */
	ASSERT_EQ(0, region_write(self->d.fd, self->bar2, mem, MAP_OFF));
	memcpy(p, mem + MAP_OFF, MAP_LEN);
	ASSERT_EQ(0, region_read(self->d.fd, self->bar2, back, MEM_SIZE));
	EXPECT_EQ(0, memcmp(mem, back, MEM_SIZE));
	ASSERT_EQ(0, reg_read(self->d.fd, self->bar0, REG_CHECKSUM, &v));
	EXPECT_EQ(fnv1a(mem, MEM_SIZE), v);

	/* Through the file, seen in the map: a dword, then a whole page. */
	v = 0xdeadbeef;
	ASSERT_EQ(0, region_write(self->d.fd, self->bar2 + MAP_OFF + 8, &v, 4));
	EXPECT_EQ(0, memcmp(p + 8, &v, 4));
	memcpy(mem + MAP_OFF + 8, &v, 4);
	memset(mem + 2 * PAGE, 0x3c, PAGE);
	ASSERT_EQ(0, region_write(self->d.fd, self->bar2 + 2 * PAGE,
				  mem + 2 * PAGE, PAGE));
	EXPECT_EQ(0, memcmp(p + PAGE, mem + 2 * PAGE, PAGE));
	ASSERT_EQ(0, reg_read(self->d.fd, self->bar0, REG_CHECKSUM, &v));
	EXPECT_EQ(fnv1a(mem, MEM_SIZE), v);

	/* A second mapping of one page sees the same memory. */
	q = map(self->d.fd, self->bar2 + 3 * PAGE, PAGE, PROT_READ,
			 MAP_SHARED);
	ASSERT_NE(NULL, q) TH_LOG("mmap: %s", strerror(errno));
	p[2 * PAGE + 5] = 0x77;
	EXPECT_EQ(0x77, q[5]);
	EXPECT_EQ(0, munmap(q, PAGE));
	EXPECT_EQ(0, munmap(p, MAP_LEN));
}

/* The mappings the driver refuses, all with EINVAL (rust-mshm.rst). */
TEST_F(mshm, mmap_refused)
{
	const int rw = PROT_READ | PROT_WRITE;
	const struct {
		const char *what;
		uint64_t off;
		size_t len;
		int flags;
	} bad[] = {
		{ "the trapped first page of BAR2", self->bar2, PAGE, MAP_SHARED },
		{ "all of BAR2", self->bar2, MEM_SIZE, MAP_SHARED },
		{ "beyond BAR2", self->bar2 + MAP_OFF, MEM_SIZE, MAP_SHARED },
		{ "BAR0, not mappable", self->bar0, PAGE, MAP_SHARED },
		{ "config space", self->cfg, PAGE, MAP_SHARED },
		{ "BAR1, absent", (uint64_t)VFIO_PCI_BAR1_REGION_INDEX << 40,
		  PAGE, MAP_SHARED },
		{ "an offset in no region",
		  (uint64_t)VFIO_PCI_NUM_REGIONS << 40, PAGE, MAP_SHARED },
		{ "a private mapping", self->bar2 + MAP_OFF, PAGE,
		  MAP_PRIVATE },
	};
	unsigned int i;
	void *p;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		p = map(self->d.fd, bad[i].off, bad[i].len, rw, bad[i].flags);
		EXPECT_EQ(NULL, p) TH_LOG("%s was mapped", bad[i].what);
		EXPECT_EQ(EINVAL, errno) TH_LOG("%s: %s", bad[i].what,
						strerror(errno));
		if (p)
			munmap(p, bad[i].len);
	}
	/* mremap() cannot grow a mapping past what the driver filled. */
	p = map(self->d.fd, self->bar2 + MAP_OFF, PAGE, rw, MAP_SHARED);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(MAP_FAILED, mremap(p, PAGE, 2 * PAGE, MREMAP_MAYMOVE));
	EXPECT_EQ(0, munmap(p, PAGE));
}

/*
 * The doorbell raises INTx on its eventfd; INTx is auto-masked, so a second
 * ring waits for the unmask.
 */
TEST_F(mshm, doorbell_intx)
{
	uint16_t cmd = PCI_COMMAND_INTX_DISABLE;
	int fd = self->d.fd, efd;
	uint32_t v;

	efd = efd_new();
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, vfio_irq_set_eventfd(fd, VFIO_PCI_INTX_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_TRIGGER, efd));
	ASSERT_EQ(0, reg_write(fd, self->bar0, REG_DOORBELL, 1));
	EXPECT_EQ(1, efd_wait(efd, EVENT_MS));
	ASSERT_EQ(0, reg_write(fd, self->bar0, REG_DOORBELL, 1));
	EXPECT_EQ(0, efd_wait(efd, NO_EVENT_MS));
	ASSERT_EQ(0, vfio_irq_set_none(fd, VFIO_PCI_INTX_IRQ_INDEX,
				       VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	EXPECT_EQ(1, efd_wait(efd, EVENT_MS));
	ASSERT_EQ(0, reg_read(fd, self->bar0, REG_DOORBELL, &v));
	EXPECT_EQ(2, v);
	/* With Interrupt Disable set, a ring raises nothing. */
	ASSERT_EQ(0, vfio_irq_set_none(fd, VFIO_PCI_INTX_IRQ_INDEX,
				       VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	ASSERT_EQ(0, region_write(fd, self->cfg + PCI_COMMAND, &cmd, 2));
	ASSERT_EQ(0, reg_write(fd, self->bar0, REG_DOORBELL, 1));
	EXPECT_EQ(0, efd_wait(efd, NO_EVENT_MS));
	ASSERT_EQ(0, vfio_irq_set_none(fd, VFIO_PCI_INTX_IRQ_INDEX,
				       VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
	close(efd);
}

/*
 * INTx unmasked through an eventfd (KVM's resampling irqfd, which QEMU sets
 * with VFIO_IRQ_SET_ACTION_UNMASK): signalling it unmasks, and a ring while
 * masked fires then.  EINVAL while INTx has no trigger; fd -1 removes it,
 * and disabling INTx does too.
 */
TEST_F(mshm, intx_unmask_eventfd)
{
	int fd = self->d.fd, efd, ufd;
	uint32_t v;

	efd = efd_new();
	ufd = efd_new();
	ASSERT_LE(0, efd);
	ASSERT_LE(0, ufd);
	EXPECT_EQ(-EINVAL, vfio_irq_set_eventfd(fd, VFIO_PCI_INTX_IRQ_INDEX,
						VFIO_IRQ_SET_ACTION_UNMASK, ufd));
	ASSERT_EQ(0, vfio_irq_set_eventfd(fd, VFIO_PCI_INTX_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_TRIGGER, efd));
	ASSERT_EQ(0, vfio_irq_set_eventfd(fd, VFIO_PCI_INTX_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_UNMASK, ufd));

	/* One interrupt, then masked: the second ring waits. */
	ASSERT_EQ(0, reg_write(fd, self->bar0, REG_DOORBELL, 1));
	ASSERT_EQ(1, efd_wait(efd, EVENT_MS));
	ASSERT_EQ(0, reg_write(fd, self->bar0, REG_DOORBELL, 1));
	EXPECT_EQ(0, efd_wait(efd, NO_EVENT_MS));
	/* The eventfd unmasks: the pending ring fires, once. */
	ASSERT_EQ(0, eventfd_write(ufd, 1));
	EXPECT_EQ(1, efd_wait(efd, EVENT_MS));
	EXPECT_EQ(0, efd_wait(efd, NO_EVENT_MS));
	/* Unmasked again with nothing pending: a new ring fires at once. */
	ASSERT_EQ(0, eventfd_write(ufd, 1));
	EXPECT_EQ(0, efd_wait(efd, NO_EVENT_MS));
	ASSERT_EQ(0, reg_write(fd, self->bar0, REG_DOORBELL, 1));
	EXPECT_EQ(1, efd_wait(efd, EVENT_MS));
	ASSERT_EQ(0, reg_read(fd, self->bar0, REG_DOORBELL, &v));
	EXPECT_EQ(3, v);

	/* fd -1: signalling no longer unmasks. */
	ASSERT_EQ(0, vfio_irq_set_eventfd(fd, VFIO_PCI_INTX_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_UNMASK, -1));
	ASSERT_EQ(0, reg_write(fd, self->bar0, REG_DOORBELL, 1));
	ASSERT_EQ(0, eventfd_write(ufd, 1));
	EXPECT_EQ(0, efd_wait(efd, NO_EVENT_MS));

	/*
	 * Set again, it unmasks at once with the count left above
	 * (vfio_virqfd_enable() takes a pending count as a signal).  INTx
	 * disabled and enabled again: the irqfd is gone.
	 */
	ASSERT_EQ(0, vfio_irq_set_eventfd(fd, VFIO_PCI_INTX_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_UNMASK, ufd));
	EXPECT_EQ(1, efd_wait(efd, EVENT_MS));
	ASSERT_EQ(0, vfio_irq_set_none(fd, VFIO_PCI_INTX_IRQ_INDEX,
				       VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
	ASSERT_EQ(0, vfio_irq_set_eventfd(fd, VFIO_PCI_INTX_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_TRIGGER, efd));
	ASSERT_EQ(0, reg_write(fd, self->bar0, REG_DOORBELL, 1));
	ASSERT_EQ(1, efd_wait(efd, EVENT_MS));
	ASSERT_EQ(0, reg_write(fd, self->bar0, REG_DOORBELL, 1));
	ASSERT_EQ(0, eventfd_write(ufd, 1));
	EXPECT_EQ(0, efd_wait(efd, NO_EVENT_MS));

	/*
	 * Still set, and just signalled with a ring pending, when the device
	 * closes: the close waits for the handler and drops the irqfd.
	 */
	ASSERT_EQ(0, vfio_irq_set_eventfd(fd, VFIO_PCI_INTX_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_UNMASK, ufd));
	EXPECT_EQ(1, efd_wait(efd, EVENT_MS));
	ASSERT_EQ(0, reg_write(fd, self->bar0, REG_DOORBELL, 1));
	ASSERT_EQ(0, eventfd_write(ufd, 1));
	vfio_dev_close(&self->d);
	close(ufd);
	close(efd);
}

/*
 * The errors of vfio-pci's unmask eventfd; a failed request leaves the
 * irqfd as it was.  A new eventfd replaces the one set (vfio-pci answers
 * EBUSY unless user space closed that one's eventfd, as QEMU does before
 * it sets a new one); -1 removes it, twice too.
 */
TEST_F(mshm, intx_unmask_eventfd_errors)
{
	int fd = self->d.fd, efd, ufd, ufd2, notefd;
	/* No file: a number no open() returns here (closing one would not do). */
	int bad = INT_MAX;

	efd = efd_new();
	ufd = efd_new();
	ufd2 = efd_new();
	notefd = open("/dev/null", O_RDONLY);
	ASSERT_LE(0, efd);
	ASSERT_LE(0, ufd);
	ASSERT_LE(0, ufd2);
	ASSERT_LE(0, notefd);

	/* INTx has no trigger. */
	EXPECT_ERRNO(EINVAL, vfio_irq_set_eventfd(fd, VFIO_PCI_INTX_IRQ_INDEX,
						  VFIO_IRQ_SET_ACTION_UNMASK, -1));
	ASSERT_EQ(0, vfio_irq_set_eventfd(fd, VFIO_PCI_INTX_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_TRIGGER, efd));
	ASSERT_EQ(0, vfio_irq_set_eventfd(fd, VFIO_PCI_INTX_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_UNMASK, ufd));
	/* vfio_virqfd_enable(): not a file, not an eventfd. */
	EXPECT_ERRNO(EBADF, vfio_irq_set_eventfd(fd, VFIO_PCI_INTX_IRQ_INDEX,
						 VFIO_IRQ_SET_ACTION_UNMASK, bad));
	EXPECT_ERRNO(EINVAL, vfio_irq_set_eventfd(fd, VFIO_PCI_INTX_IRQ_INDEX,
						  VFIO_IRQ_SET_ACTION_UNMASK,
						  notefd));
	/* No index is masked through an eventfd; the request one not at all. */
	EXPECT_ERRNO(ENOTTY, vfio_irq_set_eventfd(fd, VFIO_PCI_INTX_IRQ_INDEX,
						  VFIO_IRQ_SET_ACTION_MASK, ufd));
	EXPECT_ERRNO(ENOTTY, vfio_irq_set_eventfd(fd, VFIO_PCI_REQ_IRQ_INDEX,
						  VFIO_IRQ_SET_ACTION_UNMASK, ufd));

	/* The first eventfd still unmasks. */
	ASSERT_EQ(0, reg_write(fd, self->bar0, REG_DOORBELL, 1));
	ASSERT_EQ(1, efd_wait(efd, EVENT_MS));
	ASSERT_EQ(0, reg_write(fd, self->bar0, REG_DOORBELL, 1));
	ASSERT_EQ(0, eventfd_write(ufd, 1));
	EXPECT_EQ(1, efd_wait(efd, EVENT_MS));

	/* Replaced: only the new one unmasks. */
	ASSERT_EQ(0, vfio_irq_set_eventfd(fd, VFIO_PCI_INTX_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_UNMASK, ufd2));
	ASSERT_EQ(0, reg_write(fd, self->bar0, REG_DOORBELL, 1));
	ASSERT_EQ(0, eventfd_write(ufd, 1));
	EXPECT_EQ(0, efd_wait(efd, NO_EVENT_MS));
	ASSERT_EQ(0, eventfd_write(ufd2, 1));
	EXPECT_EQ(1, efd_wait(efd, EVENT_MS));

	/* Removed, and removed again. */
	EXPECT_EQ(0, vfio_irq_set_eventfd(fd, VFIO_PCI_INTX_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_UNMASK, -1));
	EXPECT_EQ(0, vfio_irq_set_eventfd(fd, VFIO_PCI_INTX_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_UNMASK, -1));
	close(notefd);
	close(ufd2);
	close(ufd);
	close(efd);
}

/*
 * A mapping holds the device file: after every file of the device is
 * closed, the mapping still reaches the memory, and the munmap() is the
 * last close.  The instance is then removed at once (teardown).
 */
TEST_F(mshm, close_with_live_mapping)
{
	uint8_t *p;
	uint32_t v;
	int i;

	p = map(self->d.fd, self->bar2 + MAP_OFF, MAP_LEN,
		PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(errno));
	memset(p, 0x5a, MAP_LEN);
	vfio_dev_close(&self->d);
	for (i = 0; i < MAP_LEN; i += PAGE / 4)
		ASSERT_EQ(0x5a, p[i]) TH_LOG("byte %d", i);
	memset(p, 0xa5, MAP_LEN);
	EXPECT_EQ(0xa5, p[MAP_LEN - 1]);
	EXPECT_EQ(0, munmap(p, MAP_LEN));
	/* Opened again: fresh, zeroed memory. */
	ASSERT_EQ(0, vfio_dev_open(&self->d, variant->path,
				   self->set.uuid[self->idx]));
	ASSERT_EQ(0, region_read(self->d.fd, self->bar2 + MAP_OFF, &v, 4));
	EXPECT_EQ(0, v);
}

struct remover {
	const char *uuid;
	int ret;
	volatile int done;
};

static void *remove_thread(void *arg)
{
	struct remover *r = arg;

	r->ret = mdev_remove(r->uuid);
	r->done = 1;
	return NULL;
}

/*
 * Removing an instance whose only user is a mapping: VFIO asks for the
 * device through the request eventfd, the removal waits, the mapping keeps
 * working, and the munmap() lets the removal finish.
 */
TEST_F(mshm, remove_while_mapped)
{
	struct remover r = { .uuid = self->set.uuid[self->idx] };
	pthread_t t;
	uint8_t *p;
	int efd;

	efd = efd_new();
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, vfio_irq_set_eventfd(self->d.fd, VFIO_PCI_REQ_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_TRIGGER, efd));
	p = map(self->d.fd, self->bar2 + MAP_OFF, MAP_LEN,
		PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(NULL, p) TH_LOG("mmap: %s", strerror(errno));
	vfio_dev_close(&self->d);

	ASSERT_EQ(0, pthread_create(&t, NULL, remove_thread, &r));
	EXPECT_EQ(1, efd_wait(efd, REQUEST_MS))
		TH_LOG("no device request within %d ms (hang guard)", REQUEST_MS);
	usleep(NO_EVENT_MS * 1000);
	EXPECT_FALSE(r.done) TH_LOG("removed while mapped");
	memset(p, 0x11, MAP_LEN);
	EXPECT_EQ(0x11, p[MAP_LEN - 1]);
	EXPECT_EQ(0, munmap(p, MAP_LEN));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, r.ret) TH_LOG("remove: %s", strerror(-r.ret));
	if (!r.ret)
		self->set.uuid[self->idx][0] = '\0';
	close(efd);
}

MDEV_HARNESS_MAIN
