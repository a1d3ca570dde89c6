// SPDX-License-Identifier: GPL-2.0
/*
 * Functional tests of an mtty-compatible mdev device (C "mtty" sample or
 * "rust_mtty"), through the VFIO group and the VFIO cdev paths: PCI config
 * space, the UART behind the I/O BARs, INTx and MSI through eventfds, INTx
 * unmasked through an eventfd (irqfd), reset, several instances, and the
 * mdev type attributes and port pool.
 *
 * MDEV_DRIVER selects the driver (default mtty).  Checks that the C sample
 * fails for a known reason are declared with XFAIL_ADD() below.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include <linux/pci_regs.h>
#include <linux/serial_reg.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "mdev_harness.h"
#include "mtty_device.h"

/* ------------------------------------------------------------------------ */
/* One 2-port instance, opened through the variant's path. */

FIXTURE(dev) {
	struct mdev_set set;
	struct vfio_dev d;
	uint64_t cfg;		/* config region offset */
	uint64_t cfg_size;
	uint64_t bar[2];	/* BAR0/BAR1 region offsets (port 0/1) */
};

MDEV_PATH_VARIANTS(dev);

static int dev_regions(FIXTURE_DATA(dev) *self)
{
	int ret;

	ret = vfio_region(self->d.fd, VFIO_PCI_CONFIG_REGION_INDEX,
			  &self->cfg, &self->cfg_size, NULL);
	if (!ret)
		ret = vfio_region(self->d.fd, VFIO_PCI_BAR0_REGION_INDEX,
				  &self->bar[0], NULL, NULL);
	if (!ret)
		ret = vfio_region(self->d.fd, VFIO_PCI_BAR1_REGION_INDEX,
				  &self->bar[1], NULL, NULL);
	return ret;
}

FIXTURE_SETUP(dev)
{
	int idx, ret;

	mdev_setup_begin();
	MDEV_REQUIRE_DRIVER(variant->driver);

	ret = mdev_set_create(&self->set, variant->driver, 2, &idx);
	ASSERT_EQ(0, ret) TH_LOG("create %s-2: %s", variant->driver,
				 strerror(-ret));

	/* The setup must clean up itself: teardown only runs after it. */
	ret = vfio_dev_open(&self->d, variant->path, self->set.uuid[idx]);
	if (!ret)
		ret = dev_regions(self);
	if (ret) {
		vfio_dev_close(&self->d);
		mdev_set_remove_all(&self->set);
	}
	ASSERT_EQ(0, ret) TH_LOG("open %s: %s", self->set.uuid[idx],
				 strerror(-ret));
}

/* Runs in the parent once the test process is gone: its fds are closed. */
FIXTURE_TEARDOWN_PARENT(dev)
{
	mdev_teardown_begin();
	mdev_set_remove_all(&self->set);
}

static int cfg_read(FIXTURE_DATA(dev) *self, unsigned int off, void *buf,
		    size_t len)
{
	return region_read(self->d.fd, self->cfg + off, buf, len);
}

static int cfg_write(FIXTURE_DATA(dev) *self, unsigned int off,
		     const void *buf, size_t len)
{
	return region_write(self->d.fd, self->cfg + off, buf, len);
}

static int uwr(FIXTURE_DATA(dev) *self, int port, unsigned int reg,
	       uint8_t val)
{
	return uart_write(self->d.fd, self->bar[port], reg, val);
}

static int urd(FIXTURE_DATA(dev) *self, int port, unsigned int reg)
{
	return uart_read(self->d.fd, self->bar[port], reg);
}

/* mtty: GET_IRQ_INFO and SET_IRQS need a GET_INFO first (not the test). */
#define GET_INFO_FIRST() \
	ASSERT_EQ(0, vfio_get_info(self->d.fd, NULL, NULL, NULL))

/* The C sample only answers IRQ ioctls after GET_INFO. */
TEST_F(dev, irqs_before_get_info)
{
	uint32_t flags, count;
	int efd;

	KNOWN_DIFFERENCE(variant->driver,
			 "mtty fails GET_IRQ_INFO/SET_IRQS before GET_INFO");
	EXPECT_EQ(0, vfio_irq_info(self->d.fd, VFIO_PCI_INTX_IRQ_INDEX,
				   &flags, &count));
	efd = efd_new();
	ASSERT_LE(0, efd);
	EXPECT_EQ(0, vfio_irq_set_eventfd(self->d.fd, VFIO_PCI_INTX_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_TRIGGER, efd));
	close(efd);
}

TEST_F(dev, device_info)
{
	uint32_t flags, nregions, nirqs;

	ASSERT_EQ(0, vfio_get_info(self->d.fd, &flags, &nregions, &nirqs));
	EXPECT_TRUE(flags & VFIO_DEVICE_FLAGS_PCI);
	EXPECT_LE(VFIO_PCI_CONFIG_REGION_INDEX + 1, nregions);
	EXPECT_LE(VFIO_PCI_MSI_IRQ_INDEX + 1, nirqs);
}

TEST_F(dev, region_info)
{
	uint64_t off, size;
	uint32_t flags, i;
	int ret;

	ASSERT_EQ(0, vfio_region(self->d.fd, VFIO_PCI_CONFIG_REGION_INDEX,
				 &off, &size, &flags));
	EXPECT_LE(0x40, size);
	EXPECT_GE(4096, size);
	EXPECT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
		  flags & (VFIO_REGION_INFO_FLAG_READ |
			   VFIO_REGION_INFO_FLAG_WRITE));

	for (i = VFIO_PCI_BAR0_REGION_INDEX; i <= VFIO_PCI_BAR1_REGION_INDEX;
	     i++) {
		ASSERT_EQ(0, vfio_region(self->d.fd, i, &off, &size, &flags));
		EXPECT_EQ(MTTY_IO_BAR_SIZE, size) TH_LOG("BAR%u", i);
		EXPECT_TRUE(flags & VFIO_REGION_INFO_FLAG_READ);
		EXPECT_TRUE(flags & VFIO_REGION_INFO_FLAG_WRITE);
		/* An I/O BAR cannot be mapped. */
		EXPECT_FALSE(flags & VFIO_REGION_INFO_FLAG_MMAP);
	}
	/* Two ports, two distinct regions. */
	EXPECT_NE(self->bar[0], self->bar[1]);

	/*
	 * BAR2-5 and the ROM do not exist.  Both drivers answer as vfio-pci
	 * does for an absent BAR or ROM: success, size 0, at the region's
	 * usual offset (mtty_get_region_info(): "default: size = 0";
	 * rust_mtty: Mtty::region_size() is 0 for them).  Their flags are
	 * the test below.
	 */
	for (i = VFIO_PCI_BAR2_REGION_INDEX; i <= VFIO_PCI_ROM_REGION_INDEX;
	     i++) {
		size = 1;
		off = 0;
		ret = vfio_region(self->d.fd, i, &off, &size, &flags);
		EXPECT_EQ(0, ret) TH_LOG("region %u: %s", i, strerror(-ret));
		EXPECT_EQ(0, size) TH_LOG("region %u", i);
		EXPECT_EQ((uint64_t)i << 40, off) TH_LOG("region %u", i);
	}
}

/*
 * An absent region can be neither read nor written: flags 0, as vfio-pci
 * reports an absent BAR.  mtty reports READ|WRITE for every region.
 */
TEST_F(dev, absent_region_flags)
{
	uint64_t off, size;
	uint32_t flags, i;

	KNOWN_DIFFERENCE(variant->driver,
			 "mtty says READ|WRITE for regions of size 0");
	for (i = VFIO_PCI_BAR2_REGION_INDEX; i <= VFIO_PCI_ROM_REGION_INDEX;
	     i++) {
		flags = ~0u;
		ASSERT_EQ(0, vfio_region(self->d.fd, i, &off, &size, &flags));
		EXPECT_EQ(0, flags) TH_LOG("region %u", i);
	}
}

TEST_F(dev, config_ids)
{
	uint8_t cfg[0x40];
	uint32_t class;

	/* One read of the whole header, as QEMU reads config space. */
	ASSERT_EQ(0, cfg_read(self, 0, cfg, sizeof(cfg)));
	EXPECT_EQ(MTTY_PCI_VENDOR_ID, cfg[PCI_VENDOR_ID] |
		  cfg[PCI_VENDOR_ID + 1] << 8);
	EXPECT_EQ(MTTY_PCI_DEVICE_ID, cfg[PCI_DEVICE_ID] |
		  cfg[PCI_DEVICE_ID + 1] << 8);
	EXPECT_EQ(MTTY_PCI_REVISION, cfg[PCI_REVISION_ID]);
	class = cfg[PCI_CLASS_PROG] | cfg[PCI_CLASS_DEVICE] << 8 |
		cfg[PCI_CLASS_DEVICE + 1] << 16;
	EXPECT_EQ(MTTY_PCI_CLASS, class);
	EXPECT_EQ(PCI_HEADER_TYPE_NORMAL, cfg[PCI_HEADER_TYPE] & 0x7f);
	EXPECT_EQ(MTTY_PCI_SUBSYS_VENDOR_ID, cfg[PCI_SUBSYSTEM_VENDOR_ID] |
		  cfg[PCI_SUBSYSTEM_VENDOR_ID + 1] << 8);
	EXPECT_EQ(MTTY_PCI_SUBSYS_ID, cfg[PCI_SUBSYSTEM_ID] |
		  cfg[PCI_SUBSYSTEM_ID + 1] << 8);
	EXPECT_EQ(MTTY_PCI_INTERRUPT_PIN, cfg[PCI_INTERRUPT_PIN]);
	/* BAR0/1 are I/O BARs. */
	EXPECT_EQ(PCI_BASE_ADDRESS_SPACE_IO,
		  cfg[PCI_BASE_ADDRESS_0] & PCI_BASE_ADDRESS_SPACE);
	EXPECT_EQ(PCI_BASE_ADDRESS_SPACE_IO,
		  cfg[PCI_BASE_ADDRESS_1] & PCI_BASE_ADDRESS_SPACE);

	/* Dword and byte reads agree. */
	{
		uint32_t id;
		uint8_t b;

		ASSERT_EQ(0, cfg_read(self, 0, &id, 4));
		EXPECT_EQ(MTTY_PCI_DEVICE_ID << 16 | MTTY_PCI_VENDOR_ID, id);
		ASSERT_EQ(0, cfg_read(self, PCI_CLASS_DEVICE + 1, &b, 1));
		EXPECT_EQ(MTTY_PCI_CLASS >> 16, b);
	}
}

TEST_F(dev, config_bar_sizing)
{
	const uint32_t ones = 0xffffffff, addr = 0xc000;
	uint32_t val, bar;
	int i;

	for (i = 0; i < 2; i++) {
		bar = PCI_BASE_ADDRESS_0 + 4 * i;
		ASSERT_EQ(0, cfg_write(self, bar, &ones, 4));
		ASSERT_EQ(0, cfg_read(self, bar, &val, 4));
		/* I/O BAR of 8 bytes: address bits 31..3, type bit 0 */
		EXPECT_EQ((uint32_t)~(MTTY_IO_BAR_SIZE - 1) |
			  PCI_BASE_ADDRESS_SPACE_IO, val) TH_LOG("BAR%d", i);
		EXPECT_EQ(MTTY_IO_BAR_SIZE,
			  (uint32_t)~(val & (uint32_t)PCI_BASE_ADDRESS_IO_MASK) + 1);

		ASSERT_EQ(0, cfg_write(self, bar, &addr, 4));
		ASSERT_EQ(0, cfg_read(self, bar, &val, 4));
		EXPECT_EQ(addr | PCI_BASE_ADDRESS_SPACE_IO, val);
	}

	/* Unimplemented BARs read as zero even after sizing. */
	for (bar = PCI_BASE_ADDRESS_2; bar <= PCI_BASE_ADDRESS_5; bar += 4) {
		ASSERT_EQ(0, cfg_write(self, bar, &ones, 4));
		ASSERT_EQ(0, cfg_read(self, bar, &val, 4));
		EXPECT_EQ(0, val) TH_LOG("BAR at 0x%x", bar);
	}

	/* Sizing and moving the BARs does not break the UART. */
	EXPECT_EQ(0, uart_loopback_ok(self->d.fd, self->bar[0], 0x42));
}

/* Command register: the I/O space enable bit must be writable. */
TEST_F(dev, config_command)
{
	uint16_t cmd, val;

	KNOWN_DIFFERENCE(variant->driver, "mtty drops PCI Command writes");
	ASSERT_EQ(0, cfg_read(self, PCI_COMMAND, &cmd, 2));

	val = cmd & ~PCI_COMMAND_IO;
	ASSERT_EQ(0, cfg_write(self, PCI_COMMAND, &val, 2));
	ASSERT_EQ(0, cfg_read(self, PCI_COMMAND, &val, 2));
	EXPECT_EQ(0, val & PCI_COMMAND_IO);

	val = cmd | PCI_COMMAND_IO;
	ASSERT_EQ(0, cfg_write(self, PCI_COMMAND, &val, 2));
	ASSERT_EQ(0, cfg_read(self, PCI_COMMAND, &val, 2));
	EXPECT_EQ(PCI_COMMAND_IO, val & PCI_COMMAND_IO);
}

TEST_F(dev, bar_loopback)
{
	static const char msg[] = "mdev!";
	int i, lsr;

	ASSERT_EQ(0, uwr(self, 0, UART_FCR, UART_FCR_ENABLE_FIFO |
			 UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT));
	lsr = urd(self, 0, UART_LSR);
	ASSERT_LE(0, lsr);
	EXPECT_EQ(0, lsr & UART_LSR_DR);
	EXPECT_EQ(UART_LSR_THRE | UART_LSR_TEMT,
		  lsr & (UART_LSR_THRE | UART_LSR_TEMT));

	for (i = 0; i < (int)strlen(msg); i++)
		ASSERT_EQ(0, uwr(self, 0, UART_TX, msg[i]));

	lsr = urd(self, 0, UART_LSR);
	ASSERT_LE(0, lsr);
	EXPECT_EQ(UART_LSR_DR, lsr & UART_LSR_DR);

	for (i = 0; i < (int)strlen(msg); i++) {
		lsr = urd(self, 0, UART_LSR);
		EXPECT_EQ(UART_LSR_DR, lsr & UART_LSR_DR) TH_LOG("byte %d", i);
		EXPECT_EQ(msg[i], urd(self, 0, UART_RX)) TH_LOG("byte %d", i);
	}
	lsr = urd(self, 0, UART_LSR);
	EXPECT_EQ(0, lsr & UART_LSR_DR);
	EXPECT_EQ(UART_LSR_THRE | UART_LSR_TEMT,
		  lsr & (UART_LSR_THRE | UART_LSR_TEMT));
}

/* Port 1 (BAR1) loops back on its own; port 0 sees none of it. */
TEST_F(dev, bar_loopback_port1)
{
	ASSERT_EQ(0, uwr(self, 1, UART_FCR, UART_FCR_ENABLE_FIFO |
			 UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT));
	ASSERT_EQ(0, uwr(self, 1, UART_TX, 'p'));
	EXPECT_EQ(UART_LSR_DR, urd(self, 1, UART_LSR) & UART_LSR_DR);
	EXPECT_EQ(0, urd(self, 0, UART_LSR) & UART_LSR_DR);
	EXPECT_EQ('p', urd(self, 1, UART_RX));
	EXPECT_EQ(0, urd(self, 1, UART_LSR) & UART_LSR_DR);
	EXPECT_EQ(0, uart_loopback_ok(self->d.fd, self->bar[0], 'q'));
}

/* Plain registers keep what is written; DLAB switches to the divisor. */
TEST_F(dev, bar_registers)
{
	ASSERT_EQ(0, uwr(self, 0, UART_SCR, 0x5a));
	EXPECT_EQ(0x5a, urd(self, 0, UART_SCR));
	ASSERT_EQ(0, uwr(self, 0, UART_LCR, UART_LCR_WLEN8));
	EXPECT_EQ(UART_LCR_WLEN8, urd(self, 0, UART_LCR));
	ASSERT_EQ(0, uwr(self, 0, UART_IER, UART_IER_RDI));
	EXPECT_EQ(UART_IER_RDI, urd(self, 0, UART_IER) & 0x0f);
	ASSERT_EQ(0, uwr(self, 0, UART_IER, 0));
	EXPECT_EQ(0, urd(self, 0, UART_IER) & 0x0f);

	/* 115200 / 9600 = 12 */
	ASSERT_EQ(0, uwr(self, 0, UART_LCR, UART_LCR_DLAB | UART_LCR_WLEN8));
	ASSERT_EQ(0, uwr(self, 0, UART_DLL, 12));
	ASSERT_EQ(0, uwr(self, 0, UART_DLM, 0));
	EXPECT_EQ(12, urd(self, 0, UART_DLL));
	EXPECT_EQ(0, urd(self, 0, UART_DLM));
	ASSERT_EQ(0, uwr(self, 0, UART_LCR, UART_LCR_WLEN8));

	/* With DLAB clear, offset 0 is the data path again. */
	EXPECT_EQ(0, uart_loopback_ok(self->d.fd, self->bar[0], 0x99));
	/* The scratch register of port 1 is separate. */
	ASSERT_EQ(0, uwr(self, 1, UART_SCR, 0xa5));
	EXPECT_EQ(0x5a, urd(self, 0, UART_SCR));
	EXPECT_EQ(0xa5, urd(self, 1, UART_SCR));
}

TEST_F(dev, irq_info)
{
	uint32_t flags, count;

	GET_INFO_FIRST();
	ASSERT_EQ(0, vfio_irq_info(self->d.fd, VFIO_PCI_INTX_IRQ_INDEX,
				   &flags, &count));
	EXPECT_EQ(1, count);
	EXPECT_TRUE(flags & VFIO_IRQ_INFO_EVENTFD);
	EXPECT_TRUE(flags & VFIO_IRQ_INFO_MASKABLE);
	EXPECT_TRUE(flags & VFIO_IRQ_INFO_AUTOMASKED);

	ASSERT_EQ(0, vfio_irq_info(self->d.fd, VFIO_PCI_MSI_IRQ_INDEX,
				   &flags, &count));
	EXPECT_EQ(1, count);
	EXPECT_TRUE(flags & VFIO_IRQ_INFO_EVENTFD);
	EXPECT_FALSE(flags & VFIO_IRQ_INFO_AUTOMASKED);
}

static int setup_irq(FIXTURE_DATA(dev) *self, uint32_t index)
{
	int efd, ret;

	efd = efd_new();
	if (efd < 0)
		return efd;
	ret = vfio_irq_set_eventfd(self->d.fd, index,
				   VFIO_IRQ_SET_ACTION_TRIGGER, efd);
	if (!ret)
		ret = uart_enable_rx_irq(self->d.fd, self->bar[0]);
	if (ret) {
		close(efd);
		return ret;
	}
	return efd;
}

/* Data arriving in the receive FIFO raises INTx through the eventfd. */
TEST_F(dev, intx_on_data)
{
	int efd;

	GET_INFO_FIRST();
	efd = setup_irq(self, VFIO_PCI_INTX_IRQ_INDEX);
	ASSERT_LE(0, efd) TH_LOG("%s", strerror(-efd));

	/* Enabling the interrupt with an empty FIFO raises nothing. */
	EXPECT_EQ(0, efd_wait(efd, NO_EVENT_MS));

	ASSERT_EQ(0, uwr(self, 0, UART_TX, 'i'));
	EXPECT_EQ(1, efd_wait(efd, EVENT_MS));
	/* The guest's handler sees the reason in IIR. */
	EXPECT_EQ(UART_IIR_RDI, urd(self, 0, UART_IIR) & 0x0f);
	EXPECT_EQ('i', urd(self, 0, UART_RX));
	EXPECT_EQ(UART_IIR_NO_INT, urd(self, 0, UART_IIR) & 0x0f);
	close(efd);
}

/*
 * INTx is automasked: after one interrupt, nothing more is signalled until
 * the user unmasks it.
 */
TEST_F(dev, intx_automask)
{
	int efd;

	GET_INFO_FIRST();
	efd = setup_irq(self, VFIO_PCI_INTX_IRQ_INDEX);
	ASSERT_LE(0, efd);

	ASSERT_EQ(0, uwr(self, 0, UART_TX, '1'));
	ASSERT_EQ(1, efd_wait(efd, EVENT_MS));
	EXPECT_EQ('1', urd(self, 0, UART_RX));

	/* Still masked: new data raises nothing. */
	ASSERT_EQ(0, uwr(self, 0, UART_TX, '2'));
	EXPECT_EQ(0, efd_wait(efd, NO_EVENT_MS));
	EXPECT_EQ('2', urd(self, 0, UART_RX));

	/* Unmask with nothing pending, then new data interrupts again. */
	ASSERT_EQ(0, vfio_irq_set_none(self->d.fd, VFIO_PCI_INTX_IRQ_INDEX,
				       VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	EXPECT_EQ(0, efd_wait(efd, NO_EVENT_MS));
	ASSERT_EQ(0, uwr(self, 0, UART_TX, '3'));
	EXPECT_EQ(1, efd_wait(efd, EVENT_MS));
	EXPECT_EQ('3', urd(self, 0, UART_RX));
	close(efd);
}

/* An explicitly masked INTx signals nothing. */
TEST_F(dev, intx_masked_no_event)
{
	int efd;

	GET_INFO_FIRST();
	efd = setup_irq(self, VFIO_PCI_INTX_IRQ_INDEX);
	ASSERT_LE(0, efd);

	ASSERT_EQ(0, vfio_irq_set_none(self->d.fd, VFIO_PCI_INTX_IRQ_INDEX,
				       VFIO_IRQ_SET_ACTION_MASK, 0, 1));
	ASSERT_EQ(0, uwr(self, 0, UART_TX, 'm'));
	EXPECT_EQ(0, efd_wait(efd, NO_EVENT_MS));
	EXPECT_EQ('m', urd(self, 0, UART_RX));

	/* Unmask with the FIFO empty: still nothing; new data: event. */
	ASSERT_EQ(0, vfio_irq_set_none(self->d.fd, VFIO_PCI_INTX_IRQ_INDEX,
				       VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	EXPECT_EQ(0, efd_wait(efd, NO_EVENT_MS));
	ASSERT_EQ(0, uwr(self, 0, UART_TX, 'n'));
	EXPECT_EQ(1, efd_wait(efd, EVENT_MS));
	close(efd);
}

/*
 * INTx is level triggered: unmasking while the device still asserts it
 * (data pending in the FIFO, RDI enabled) signals the eventfd again, as
 * vfio-pci does.
 */
TEST_F(dev, intx_unmask_pending)
{
	int efd;

	KNOWN_DIFFERENCE(variant->driver,
			 "mtty does not re-signal a pending INTx on unmask");
	GET_INFO_FIRST();
	efd = setup_irq(self, VFIO_PCI_INTX_IRQ_INDEX);
	ASSERT_LE(0, efd);

	ASSERT_EQ(0, vfio_irq_set_none(self->d.fd, VFIO_PCI_INTX_IRQ_INDEX,
				       VFIO_IRQ_SET_ACTION_MASK, 0, 1));
	ASSERT_EQ(0, uwr(self, 0, UART_TX, 'u'));
	ASSERT_EQ(0, efd_wait(efd, NO_EVENT_MS));

	ASSERT_EQ(0, vfio_irq_set_none(self->d.fd, VFIO_PCI_INTX_IRQ_INDEX,
				       VFIO_IRQ_SET_ACTION_UNMASK, 0, 1));
	EXPECT_EQ(1, efd_wait(efd, EVENT_MS));
	EXPECT_EQ('u', urd(self, 0, UART_RX));
	close(efd);
}

/*
 * INTx unmasked through an eventfd, an irqfd: SET_IRQS ACTION_UNMASK with
 * DATA_EVENTFD (vfio_pci_set_intx_unmask()).  KVM's resampling irqfd
 * signals it when the guest has handled the interrupt; signalling it acts
 * as ACTION_UNMASK with DATA_NONE.  The unmask runs on a workqueue, after
 * the write to the eventfd returns: EVENT_MS bounds the wait for what it
 * raises, and the checks are made so that the delay cannot make them fail
 * (new data raised while INTx is still masked fires at the unmask).
 */
static int set_unmask_fd(FIXTURE_DATA(dev) *self, uint32_t index, int fd)
{
	return vfio_irq_set_eventfd(self->d.fd, index,
				    VFIO_IRQ_SET_ACTION_UNMASK, fd);
}

#define MTTY_NO_UNMASK_FD "mtty does not unmask INTx through an eventfd (ENOTTY)"

/* INTx enabled with trigger *efd, and a new eventfd for unmasking in *ufd. */
static int setup_intx_unmask(FIXTURE_DATA(dev) *self, int *efd, int *ufd)
{
	*efd = setup_irq(self, VFIO_PCI_INTX_IRQ_INDEX);
	if (*efd < 0)
		return *efd;
	*ufd = efd_new();
	if (*ufd < 0) {
		close(*efd);
		return *ufd;
	}
	return 0;
}

TEST_F(dev, intx_unmask_eventfd)
{
	int efd, ufd;

	KNOWN_DIFFERENCE(variant->driver, MTTY_NO_UNMASK_FD);
	GET_INFO_FIRST();
	ASSERT_EQ(0, setup_intx_unmask(self, &efd, &ufd));
	ASSERT_EQ(0, set_unmask_fd(self, VFIO_PCI_INTX_IRQ_INDEX, ufd));

	/* One interrupt, then INTx is masked: no second one. */
	ASSERT_EQ(0, uwr(self, 0, UART_TX, 'a'));
	ASSERT_EQ(1, efd_wait(efd, EVENT_MS));
	EXPECT_EQ(0, efd_wait(efd, NO_EVENT_MS));

	/* Unmasked with the data still pending: it fires again, once. */
	ASSERT_EQ(0, eventfd_write(ufd, 1));
	EXPECT_EQ(1, efd_wait(efd, EVENT_MS));
	EXPECT_EQ(0, efd_wait(efd, NO_EVENT_MS));

	/* Handled, then unmasked: nothing; new data fires. */
	EXPECT_EQ('a', urd(self, 0, UART_RX));
	ASSERT_EQ(0, eventfd_write(ufd, 1));
	EXPECT_EQ(0, efd_wait(efd, NO_EVENT_MS));
	ASSERT_EQ(0, uwr(self, 0, UART_TX, 'b'));
	EXPECT_EQ(1, efd_wait(efd, EVENT_MS));

	/* The eventfd is still set, and signalled, when the device closes. */
	EXPECT_EQ('b', urd(self, 0, UART_RX));
	ASSERT_EQ(0, uwr(self, 0, UART_TX, 'c'));
	ASSERT_EQ(0, eventfd_write(ufd, 1));
	vfio_dev_close(&self->d);
	close(ufd);
	close(efd);
}

/*
 * The irqfd goes with fd -1, when INTx is disabled, and when user space
 * closes its eventfd (QEMU closes it and sets a new one).  A new eventfd
 * replaces the one set; vfio-pci answers EBUSY while that one is open.
 */
TEST_F(dev, intx_unmask_eventfd_remove)
{
	int efd, ufd, ufd2;

	KNOWN_DIFFERENCE(variant->driver, MTTY_NO_UNMASK_FD);
	GET_INFO_FIRST();
	ASSERT_EQ(0, setup_intx_unmask(self, &efd, &ufd));

	/* fd -1: signalling the eventfd no longer unmasks. */
	ASSERT_EQ(0, set_unmask_fd(self, VFIO_PCI_INTX_IRQ_INDEX, ufd));
	ASSERT_EQ(0, set_unmask_fd(self, VFIO_PCI_INTX_IRQ_INDEX, -1));
	ASSERT_EQ(0, uwr(self, 0, UART_TX, 'r'));
	ASSERT_EQ(1, efd_wait(efd, EVENT_MS));
	ASSERT_EQ(0, eventfd_write(ufd, 1));
	EXPECT_EQ(0, efd_wait(efd, NO_EVENT_MS));
	/* Removing none is not an error. */
	EXPECT_EQ(0, set_unmask_fd(self, VFIO_PCI_INTX_IRQ_INDEX, -1));

	/*
	 * Set again, the eventfd unmasks at once with the count it was left
	 * with above (vfio_virqfd_enable() takes a pending count as a
	 * signal): 'r' fires.  Then INTx disabled and enabled again: the
	 * irqfd is gone.
	 */
	ASSERT_EQ(0, set_unmask_fd(self, VFIO_PCI_INTX_IRQ_INDEX, ufd));
	ASSERT_EQ(1, efd_wait(efd, EVENT_MS));
	ASSERT_EQ(0, vfio_irq_set_none(self->d.fd, VFIO_PCI_INTX_IRQ_INDEX,
				       VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
	ASSERT_EQ(0, vfio_irq_set_eventfd(self->d.fd, VFIO_PCI_INTX_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_TRIGGER, efd));
	/* 'r' is still pending: enabling INTx fired it. */
	ASSERT_EQ(1, efd_wait(efd, EVENT_MS));
	ASSERT_EQ(0, eventfd_write(ufd, 1));
	EXPECT_EQ(0, efd_wait(efd, NO_EVENT_MS));

	/*
	 * A new eventfd replaces the one set: only the new one unmasks.
	 * (The first, set with the count left above, fires 'r' at once.)
	 */
	ASSERT_EQ(0, set_unmask_fd(self, VFIO_PCI_INTX_IRQ_INDEX, ufd));
	ASSERT_EQ(1, efd_wait(efd, EVENT_MS));
	ufd2 = efd_new();
	ASSERT_LE(0, ufd2);
	ASSERT_EQ(0, set_unmask_fd(self, VFIO_PCI_INTX_IRQ_INDEX, ufd2));
	ASSERT_EQ(0, eventfd_write(ufd, 1));
	EXPECT_EQ(0, efd_wait(efd, NO_EVENT_MS));
	ASSERT_EQ(0, eventfd_write(ufd2, 1));
	EXPECT_EQ(1, efd_wait(efd, EVENT_MS));

	/* Closed by user space, then a new one set, as QEMU does. */
	close(ufd2);
	ufd2 = efd_new();
	ASSERT_LE(0, ufd2);
	ASSERT_EQ(0, set_unmask_fd(self, VFIO_PCI_INTX_IRQ_INDEX, ufd2));
	ASSERT_EQ(0, eventfd_write(ufd2, 1));
	EXPECT_EQ(1, efd_wait(efd, EVENT_MS));
	EXPECT_EQ('r', urd(self, 0, UART_RX));

	/* Closed by user space and left set: the device closes cleanly. */
	close(ufd2);
	vfio_dev_close(&self->d);
	close(ufd);
	close(efd);
}

/* The errors of vfio-pci; a failed request leaves the irqfd as it was. */
TEST_F(dev, intx_unmask_eventfd_errors)
{
	int efd, ufd, bad, notefd;

	KNOWN_DIFFERENCE(variant->driver, MTTY_NO_UNMASK_FD);
	GET_INFO_FIRST();
	ufd = efd_new();
	ASSERT_LE(0, ufd);
	/* No file: a number no open() returns here (closing one would not do). */
	bad = INT_MAX;
	notefd = open("/dev/null", O_RDONLY);
	ASSERT_LE(0, notefd);

	/* INTx not enabled. */
	EXPECT_ERRNO(EINVAL, set_unmask_fd(self, VFIO_PCI_INTX_IRQ_INDEX, ufd));
	EXPECT_ERRNO(EINVAL, set_unmask_fd(self, VFIO_PCI_INTX_IRQ_INDEX, -1));

	efd = setup_irq(self, VFIO_PCI_INTX_IRQ_INDEX);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, set_unmask_fd(self, VFIO_PCI_INTX_IRQ_INDEX, ufd));
	/* vfio_virqfd_enable(): not a file, not an eventfd. */
	EXPECT_ERRNO(EBADF, set_unmask_fd(self, VFIO_PCI_INTX_IRQ_INDEX, bad));
	EXPECT_ERRNO(EINVAL, set_unmask_fd(self, VFIO_PCI_INTX_IRQ_INDEX,
					   notefd));
	/* MSI cannot be masked, and no index through an eventfd. */
	EXPECT_ERRNO(ENOTTY, set_unmask_fd(self, VFIO_PCI_MSI_IRQ_INDEX, ufd));
	EXPECT_ERRNO(ENOTTY, vfio_irq_set_eventfd(self->d.fd,
						  VFIO_PCI_INTX_IRQ_INDEX,
						  VFIO_IRQ_SET_ACTION_MASK,
						  ufd));

	/* The first eventfd still unmasks. */
	ASSERT_EQ(0, uwr(self, 0, UART_TX, 'e'));
	ASSERT_EQ(1, efd_wait(efd, EVENT_MS));
	ASSERT_EQ(0, eventfd_write(ufd, 1));
	EXPECT_EQ(1, efd_wait(efd, EVENT_MS));
	EXPECT_EQ('e', urd(self, 0, UART_RX));
	close(notefd);
	close(ufd);
	close(efd);
}

/* MSI is an edge: one event per FIFO trigger, no masking involved. */
TEST_F(dev, msi_on_data)
{
	int efd, i;

	GET_INFO_FIRST();
	efd = setup_irq(self, VFIO_PCI_MSI_IRQ_INDEX);
	ASSERT_LE(0, efd) TH_LOG("%s", strerror(-efd));
	EXPECT_EQ(0, efd_wait(efd, NO_EVENT_MS));

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, uwr(self, 0, UART_TX, 'a' + i));
		EXPECT_EQ(1, efd_wait(efd, EVENT_MS)) TH_LOG("round %d", i);
		EXPECT_EQ('a' + i, urd(self, 0, UART_RX));
	}

	/* INTx cannot be enabled while MSI is. */
	{
		int efd2 = efd_new();

		ASSERT_LE(0, efd2);
		EXPECT_NE(0, vfio_irq_set_eventfd(self->d.fd,
						  VFIO_PCI_INTX_IRQ_INDEX,
						  VFIO_IRQ_SET_ACTION_TRIGGER,
						  efd2));
		close(efd2);
	}
	close(efd);
}

/* TRIGGER with count 0 disables: the eventfd is not signalled any more. */
TEST_F(dev, irq_disable)
{
	static const uint32_t idx[] = {
		VFIO_PCI_INTX_IRQ_INDEX, VFIO_PCI_MSI_IRQ_INDEX,
	};
	int efd, i;

	GET_INFO_FIRST();
	for (i = 0; i < 2; i++) {
		efd = setup_irq(self, idx[i]);
		ASSERT_LE(0, efd);
		ASSERT_EQ(0, vfio_irq_set_none(self->d.fd, idx[i],
					       VFIO_IRQ_SET_ACTION_TRIGGER,
					       0, 0));
		ASSERT_EQ(0, uwr(self, 0, UART_TX, 'd'));
		EXPECT_EQ(0, efd_wait(efd, NO_EVENT_MS)) TH_LOG("index %u",
								 idx[i]);
		EXPECT_EQ('d', urd(self, 0, UART_RX));
		close(efd);
	}
}

/* VFIO_DEVICE_RESET is advertised and returns the UART to power-on state. */
TEST_F(dev, reset)
{
	uint32_t flags;

	KNOWN_DIFFERENCE(variant->driver,
			 "mtty does not advertise or implement device reset");
	ASSERT_EQ(0, uwr(self, 0, UART_LCR, UART_LCR_WLEN8));
	ASSERT_EQ(0, uwr(self, 0, UART_IER, UART_IER_RDI));
	ASSERT_EQ(0, uwr(self, 0, UART_MCR, UART_MCR_DTR));
	ASSERT_EQ(0, uwr(self, 0, UART_FCR, UART_FCR_ENABLE_FIFO));
	ASSERT_EQ(0, uwr(self, 0, UART_TX, 'r'));
	ASSERT_EQ(0, uwr(self, 0, UART_TX, 's'));
	ASSERT_EQ(UART_LCR_WLEN8, urd(self, 0, UART_LCR));
	ASSERT_EQ(UART_IER_RDI, urd(self, 0, UART_IER) & 0x0f);
	ASSERT_EQ(UART_LSR_DR, urd(self, 0, UART_LSR) & UART_LSR_DR);

	ASSERT_EQ(0, vfio_get_info(self->d.fd, &flags, NULL, NULL));
	EXPECT_TRUE(flags & VFIO_DEVICE_FLAGS_RESET);
	ASSERT_EQ(0, ioctl(self->d.fd, VFIO_DEVICE_RESET)) TH_LOG("%m");

	EXPECT_EQ(0, urd(self, 0, UART_LCR));
	EXPECT_EQ(0, urd(self, 0, UART_IER) & 0x0f);
	EXPECT_EQ(0, urd(self, 0, UART_MCR));
	EXPECT_EQ(0, urd(self, 0, UART_LSR) & UART_LSR_DR);
	/* And it works afterwards. */
	EXPECT_EQ(0, uart_loopback_ok(self->d.fd, self->bar[0], 0x7e));
}

/* Two instances open at once do not share any state. */
TEST_F(dev, two_instances)
{
	struct vfio_dev d2;
	uint64_t bar2;
	int idx;

	ASSERT_EQ(0, mdev_set_create(&self->set, variant->driver, 1, &idx));
	ASSERT_EQ(0, vfio_dev_open(&d2, variant->path, self->set.uuid[idx]));
	ASSERT_EQ(0, vfio_region(d2.fd, VFIO_PCI_BAR0_REGION_INDEX, &bar2,
				 NULL, NULL));
	/* A 16550A powers on with its FIFOs off (mtty's are on). */
	ASSERT_EQ(0, uwr(self, 0, UART_FCR, UART_FCR_ENABLE_FIFO));
	ASSERT_EQ(0, uart_write(d2.fd, bar2, UART_FCR, UART_FCR_ENABLE_FIFO));

	ASSERT_EQ(0, uwr(self, 0, UART_SCR, 0x11));
	ASSERT_EQ(0, uart_write(d2.fd, bar2, UART_SCR, 0x22));
	EXPECT_EQ(0x11, urd(self, 0, UART_SCR));
	EXPECT_EQ(0x22, uart_read(d2.fd, bar2, UART_SCR));

	ASSERT_EQ(0, uwr(self, 0, UART_TX, 'A'));
	ASSERT_EQ(0, uwr(self, 0, UART_TX, 'B'));
	EXPECT_EQ(0, uart_read(d2.fd, bar2, UART_LSR) & UART_LSR_DR);
	ASSERT_EQ(0, uart_write(d2.fd, bar2, UART_TX, 'x'));
	EXPECT_EQ('x', uart_read(d2.fd, bar2, UART_RX));
	EXPECT_EQ(0, uart_read(d2.fd, bar2, UART_LSR) & UART_LSR_DR);
	EXPECT_EQ('A', urd(self, 0, UART_RX));
	EXPECT_EQ('B', urd(self, 0, UART_RX));

	/* Closing one leaves the other working. */
	vfio_dev_close(&d2);
	EXPECT_EQ(0, uart_loopback_ok(self->d.fd, self->bar[0], 'y'));
	EXPECT_EQ(0, mdev_set_remove(&self->set, idx));
	EXPECT_EQ(0, uart_loopback_ok(self->d.fd, self->bar[0], 'z'));
}

/* Register accesses do not write to the kernel log. */
TEST_F(dev, quiet_log)
{
	const uint32_t ones = 0xffffffff, addr = 0xc000;
	char rec[1024];
	int kmsg, i, lines = 0;
	uint32_t val = 0;
	ssize_t n;

	KNOWN_DIFFERENCE(variant->driver,
			 "mtty logs config space accesses");
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, kmsg) TH_LOG("/dev/kmsg: %m");
	ASSERT_LE(0, lseek(kmsg, 0, SEEK_END));

	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, cfg_write(self, PCI_BASE_ADDRESS_0, &ones, 4));
		ASSERT_EQ(0, cfg_write(self, PCI_BASE_ADDRESS_0, &addr, 4));
		/* device-specific config space */
		ASSERT_EQ(0, cfg_write(self, 0x40, &val, 4));
		ASSERT_EQ(0, uart_loopback_ok(self->d.fd, self->bar[0], i));
	}

	for (;;) {
		errno = 0;
		n = read(kmsg, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records overwritten meanwhile */
		if (n <= 0)
			break;		/* EAGAIN: no more records */
		rec[n] = '\0';
		if (lines++ < 3)
			TH_LOG("kmsg: %s", rec);
	}
	close(kmsg);
	/* Tolerate unrelated messages; 60 accesses must not make 10. */
	EXPECT_GT(10, lines);
}

XFAIL_ADD(dev, mtty_group, irqs_before_get_info);
XFAIL_ADD(dev, mtty_cdev, irqs_before_get_info);
XFAIL_ADD(dev, mtty_group, config_command);
XFAIL_ADD(dev, mtty_cdev, config_command);
XFAIL_ADD(dev, mtty_group, intx_unmask_pending);
XFAIL_ADD(dev, mtty_cdev, intx_unmask_pending);
XFAIL_ADD(dev, mtty_group, intx_unmask_eventfd);
XFAIL_ADD(dev, mtty_cdev, intx_unmask_eventfd);
XFAIL_ADD(dev, mtty_group, intx_unmask_eventfd_remove);
XFAIL_ADD(dev, mtty_cdev, intx_unmask_eventfd_remove);
XFAIL_ADD(dev, mtty_group, intx_unmask_eventfd_errors);
XFAIL_ADD(dev, mtty_cdev, intx_unmask_eventfd_errors);
XFAIL_ADD(dev, mtty_group, reset);
XFAIL_ADD(dev, mtty_cdev, reset);
XFAIL_ADD(dev, mtty_group, absent_region_flags);
XFAIL_ADD(dev, mtty_cdev, absent_region_flags);
XFAIL_ADD(dev, mtty_group, quiet_log);
XFAIL_ADD(dev, mtty_cdev, quiet_log);

/* ------------------------------------------------------------------------ */
/* Types and the shared port pool; no device is opened. */

FIXTURE(types) {
	struct mdev_set set;
};

MDEV_DRIVER_VARIANTS(types);

FIXTURE_SETUP(types)
{
	mdev_setup_begin();
	MDEV_REQUIRE_DRIVER(variant->driver);
}

FIXTURE_TEARDOWN_PARENT(types)
{
	mdev_teardown_begin();
	mdev_set_remove_all(&self->set);
}

TEST_F(types, type_attrs)
{
	char path[PATH_MAX], buf[256];
	int nports;

	for (nports = 1; nports <= 2; nports++) {
		mdev_type_path(path, sizeof(path), variant->driver, nports,
			       "name");
		ASSERT_LT(1, file_read_str(path, buf, sizeof(buf)))
			TH_LOG("%s", path);
		mdev_type_path(path, sizeof(path), variant->driver, nports,
			       "device_api");
		ASSERT_LT(0, file_read_str(path, buf, sizeof(buf)));
		EXPECT_STREQ("vfio-pci\n", buf);
		EXPECT_LE(0, mdev_available(variant->driver, nports));
		mdev_type_path(path, sizeof(path), variant->driver, nports,
			       "devices");
		EXPECT_TRUE(path_exists(path));
	}
	/* Only the two types exist. */
	mdev_type_path(path, sizeof(path), variant->driver, 3, NULL);
	EXPECT_FALSE(path_exists(path));
}

TEST_F(types, type_description)
{
	char path[PATH_MAX], buf[256];
	int nports;

	KNOWN_DIFFERENCE(variant->driver, "mtty types have no description");
	for (nports = 1; nports <= 2; nports++) {
		mdev_type_path(path, sizeof(path), variant->driver, nports,
			       "description");
		EXPECT_LT(1, file_read_str(path, buf, sizeof(buf)))
			TH_LOG("%s", path);
	}
}

/* An instance appears on the bus, links to its type, and goes away. */
TEST_F(types, create_remove)
{
	char path[PATH_MAX], link[PATH_MAX], want[64];
	long before;
	ssize_t n;
	int idx;

	before = mdev_available(variant->driver, 1);
	ASSERT_LT(0, before);
	ASSERT_EQ(0, mdev_set_create(&self->set, variant->driver, 1, &idx));
	EXPECT_EQ(before - 1, mdev_available(variant->driver, 1));

	mdev_attr_path(path, sizeof(path), self->set.uuid[idx], "mdev_type");
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_LT(0, n);
	link[n] = '\0';
	snprintf(want, sizeof(want), "/%s-1", variant->driver);
	EXPECT_STREQ(want, strrchr(link, '/')) TH_LOG("%s", link);
	mdev_attr_path(path, sizeof(path), self->set.uuid[idx], "iommu_group");
	EXPECT_TRUE(path_exists(path));

	snprintf(path, sizeof(path), "%s/%s", MDEV_BUS_DIR,
		 self->set.uuid[idx]);
	ASSERT_EQ(0, mdev_set_remove(&self->set, idx));
	EXPECT_FALSE(path_exists(path));
	EXPECT_EQ(before, mdev_available(variant->driver, 1));
}

/*
 * available_instances of both types follows the shared pool: a 2-port
 * instance takes two ports, a 1-port instance one; the pool runs out with
 * ENOSPC and comes back when the instances are removed.  The pool is
 * filled with 2-port instances: half the creations of filling it port by
 * port (each is slow under KASAN and TCG), with the same checks after
 * each.
 */
TEST_F(types, available_accounting)
{
	long p1, p2, used = 0;
	int i, ret, one_port, nports;
	char uuid[MDEV_UUID_LEN + 1];

	p1 = mdev_available(variant->driver, 1);
	p2 = mdev_available(variant->driver, 2);
	ASSERT_LE(0, p1);
	EXPECT_EQ(p1 / 2, p2);
	if (p1 < 3)
		SKIP(return, "only %ld free ports", p1);
	ASSERT_GE(MTTY_PORT_POOL, p1);

	ASSERT_EQ(0, mdev_set_create(&self->set, variant->driver, 2, NULL));
	used += 2;
	EXPECT_EQ(p1 - used, mdev_available(variant->driver, 1));
	EXPECT_EQ((p1 - used) / 2, mdev_available(variant->driver, 2));

	ASSERT_EQ(0, mdev_set_create(&self->set, variant->driver, 1,
				     &one_port));
	used += 1;
	EXPECT_EQ(p1 - used, mdev_available(variant->driver, 1));
	EXPECT_EQ((p1 - used) / 2, mdev_available(variant->driver, 2));

	/* Fill the pool: 2-port instances, and a 1-port one for an odd port. */
	while (used < p1) {
		nports = p1 - used >= 2 ? 2 : 1;
		ret = mdev_set_create(&self->set, variant->driver, nports,
				      NULL);
		ASSERT_EQ(0, ret) TH_LOG("%d-port instance at %ld ports used: %s",
					 nports, used, strerror(-ret));
		used += nports;
		EXPECT_EQ(p1 - used, mdev_available(variant->driver, 1));
		EXPECT_EQ((p1 - used) / 2, mdev_available(variant->driver, 2));
	}

	/* Past the pool: ENOSPC for both types, nothing created. */
	mdev_new_uuid(uuid);
	EXPECT_ERRNO(ENOSPC, mdev_create_uuid(variant->driver, 1, uuid));
	mdev_new_uuid(uuid);
	EXPECT_ERRNO(ENOSPC, mdev_create_uuid(variant->driver, 2, uuid));
	EXPECT_EQ(0, mdev_available(variant->driver, 1));
	EXPECT_EQ(0, mdev_available(variant->driver, 2));

	/* Freeing one port makes a 1-port instance possible, not a 2-port. */
	ASSERT_EQ(0, mdev_set_remove(&self->set, one_port));
	EXPECT_EQ(1, mdev_available(variant->driver, 1));
	EXPECT_EQ(0, mdev_available(variant->driver, 2));
	mdev_new_uuid(uuid);
	EXPECT_ERRNO(ENOSPC, mdev_create_uuid(variant->driver, 2, uuid));

	/* Everything back. */
	for (i = 0; i < self->set.n; i++)
		if (self->set.uuid[i][0])
			EXPECT_EQ(0, mdev_set_remove(&self->set, i));
	EXPECT_EQ(p1, mdev_available(variant->driver, 1));
	EXPECT_EQ(p2, mdev_available(variant->driver, 2));
}

XFAIL_ADD(types, mtty, type_description);

MDEV_HARNESS_MAIN
