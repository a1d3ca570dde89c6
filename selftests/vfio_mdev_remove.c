// SPDX-License-Identifier: GPL-2.0
/*
 * Removing an mdev instance, or unloading its driver, while user space
 * holds the device, through the VFIO group and the VFIO cdev paths.
 *
 * When an instance that is open is removed, vfio_unregister_group_dev()
 * (6.12, drivers/vfio/vfio_main.c) asks the driver to relay a request for
 * the device (vfio_device_ops.request) at once, then waits for the last
 * file to close, in periods of 10 s, asking again after each.  The first
 * wait is interruptible: on a signal it logs "Device is currently in use,
 * task ... blocked until device is released", asks again at once and goes
 * on waiting, uninterruptibly.  Only closing the device ends the removal.
 * rust_mtty relays the request through the eventfd user space set at
 * VFIO_PCI_REQ_IRQ_INDEX, as vfio-pci does; the C sample has no request
 * callback (the XFAIL_ADD()s below).
 *
 * Unloading the driver while a device is open is refused (VFIO pins the
 * driver's module at the first open); a cdev file that was opened but never
 * bound does not pin it, and the unload then waits, like a removal, until
 * that file is closed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/serial_reg.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "mdev_harness.h"

/*
 * Hang guard of every wait for something the kernel does at once when
 * asked (a request when a removal starts, the end of a removal or an
 * unload once the device is closed, a module going): each takes well
 * under a second on the debug kernel under TCG (testing.rst); this is far
 * from it.
 */
#define REMOVE_EVENT_MS		60000
/* VFIO's period between two requests (HZ * 10 in vfio_main.c). */
#define VFIO_REQUEST_PERIOD_MS	10000
/*
 * How much earlier than VFIO's period the second request may be seen: the
 * first one is seen a little after it was sent.
 */
#define REQUEST_SEEN_LATE_MS	1000

/* ------------------------------------------------------------------------ */
/* A child process that removes an instance or unloads a module. */

struct blocked {
	pid_t pid;
	int pidfd;
	int pipe;	/* read end: the child's struct blocked_result */
};

struct blocked_result {
	int ret;	/* 0 or -errno of the write or delete_module() */
	int signalled;	/* SIGUSR1 arrived */
};

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
	got_usr1 = 1;
}

enum blocked_op { OP_REMOVE, OP_UNLOAD };

static int blocked_start(struct blocked *b, enum blocked_op op,
			 const char *arg)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct blocked_result r = { 0 };
	pid_t pid;
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	/*
	 * The fixture's data is shared memory (FIXTURE_TEARDOWN_PARENT): the
	 * child must not write to @b, or the test would see its values.
	 */
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (!pid) {
		/* No SA_RESTART: the kernel's own restart rules apply. */
		sigaction(SIGUSR1, &sa, NULL);
		/*
		 * The child must not hold the test's device files: the
		 * removal would wait for its own process.
		 */
		close(p[0]);
		if (p[1] > 3)
			close_range(3, p[1] - 1, 0);
		close_range(p[1] + 1, ~0U, 0);
		r.ret = op == OP_REMOVE ? mdev_remove(arg) : module_unload(arg);
		r.signalled = got_usr1;
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	b->pid = pid;
	b->pipe = p[0];
	b->pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (b->pidfd < 0)
		return -errno;
	return 0;
}

/* 1 if the child has exited within @ms, 0 if not, -errno. */
static int blocked_exited(struct blocked *b, int ms)
{
	struct pollfd pfd = { .fd = b->pidfd, .events = POLLIN };
	int ret = poll(&pfd, 1, ms);

	return ret < 0 ? -errno : ret;
}

/* Reap the child (which has exited) and read its result. */
static int blocked_reap(struct blocked *b, struct blocked_result *r)
{
	int status;

	if (waitpid(b->pid, &status, 0) != b->pid)
		return -errno;
	b->pid = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return -ECHILD;
	if (read(b->pipe, r, sizeof(*r)) != sizeof(*r))
		return -EIO;
	return 0;
}

static void blocked_close(struct blocked *b)
{
	if (b->pidfd > 0)
		close(b->pidfd);
	if (b->pipe > 0)
		close(b->pipe);
	b->pidfd = b->pipe = 0;
}

/* ------------------------------------------------------------------------ */
/* The kernel log, from the moment kmsg_open() is called. */

static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Wait up to @ms for a record containing @needle: 1 found, 0 not, -errno. */
static int kmsg_find(int fd, const char *needle, int ms)
{
	uint64_t end = now_ms() + ms;
	char rec[2048];
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n > 0) {
			rec[n] = 0;
			if (strstr(rec, needle))
				return 1;
			continue;
		}
		if (n < 0 && errno == EPIPE)	/* overwritten: read on */
			continue;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		if (now_ms() >= end)
			return 0;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		poll(&pfd, 1, (int)(end - now_ms()));
	}
}

/* ------------------------------------------------------------------------ */

static int irq_set_bool(int fd, uint32_t index, uint8_t val)
{
	struct {
		struct vfio_irq_set hdr;
		uint8_t data[4];
	} s = {
		.hdr = {
			.argsz = sizeof(struct vfio_irq_set) + 1,
			.flags = VFIO_IRQ_SET_DATA_BOOL |
				 VFIO_IRQ_SET_ACTION_TRIGGER,
			.index = index, .start = 0, .count = 1,
		},
		.data = { val },
	};

	return ioctl(fd, VFIO_DEVICE_SET_IRQS, &s) ? -errno : 0;
}

/* One 1-port instance, opened through the variant's path. */
FIXTURE(rm) {
	struct mdev_set set;
	struct vfio_dev d;
	char uuid[MDEV_UUID_LEN + 1];
	uint64_t bar0;
	long avail;		/* available_instances before the instance */
	struct blocked b;
	int efd;
	int kmsg;
};

MDEV_PATH_VARIANTS(rm);

FIXTURE_SETUP(rm)
{
	int idx, ret;

	mdev_setup_begin();
	MDEV_REQUIRE_DRIVER(variant->driver);

	self->avail = mdev_available(variant->driver, 1);
	ASSERT_LT(0, self->avail);
	ret = mdev_set_create(&self->set, variant->driver, 1, &idx);
	ASSERT_EQ(0, ret) TH_LOG("create: %s", strerror(-ret));
	memcpy(self->uuid, self->set.uuid[idx], sizeof(self->uuid));
	ret = vfio_dev_open(&self->d, variant->path, self->uuid);
	if (!ret)
		ret = vfio_region(self->d.fd, VFIO_PCI_BAR0_REGION_INDEX,
				  &self->bar0, NULL, NULL);
	if (ret) {
		vfio_dev_close(&self->d);
		mdev_set_remove_all(&self->set);
	}
	ASSERT_EQ(0, ret) TH_LOG("open %s: %s", self->uuid, strerror(-ret));
	self->efd = efd_new();
	ASSERT_LE(0, self->efd);
	self->kmsg = kmsg_open();
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN_PARENT(rm)
{
	mdev_teardown_begin();
	mdev_set_remove_all(&self->set);
}

/* GET_IRQ_INFO and SET_IRQS on the request index, as vfio-pci has them. */
TEST_F(rm, request_irq)
{
	uint32_t flags = 0, count = 0;
	int fd = self->d.fd;

	KNOWN_DIFFERENCE(variant->driver,
			 "mtty has no device request interrupt");
	ASSERT_EQ(0, vfio_irq_info(fd, VFIO_PCI_REQ_IRQ_INDEX, &flags,
				   &count));
	EXPECT_EQ(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, flags);
	EXPECT_EQ(1, count);

	/* Nothing to test-trigger or remove yet. */
	EXPECT_ERRNO(EINVAL, vfio_irq_set_none(fd, VFIO_PCI_REQ_IRQ_INDEX,
					       VFIO_IRQ_SET_ACTION_TRIGGER,
					       0, 1));
	EXPECT_EQ(0, vfio_irq_set_eventfd(fd, VFIO_PCI_REQ_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_TRIGGER, -1));
	/* Only ACTION_TRIGGER; no mask on a request. */
	EXPECT_ERRNO(ENOTTY, vfio_irq_set_none(fd, VFIO_PCI_REQ_IRQ_INDEX,
					       VFIO_IRQ_SET_ACTION_MASK, 0, 1));
	/* -1 removes, any other negative number is refused. */
	EXPECT_ERRNO(EINVAL, vfio_irq_set_eventfd(fd, VFIO_PCI_REQ_IRQ_INDEX,
						  VFIO_IRQ_SET_ACTION_TRIGGER,
						  -2));
	/* One request interrupt: start 1 or count 2 is out of range. */
	EXPECT_ERRNO(EINVAL, vfio_irq_set_none(fd, VFIO_PCI_REQ_IRQ_INDEX,
					       VFIO_IRQ_SET_ACTION_TRIGGER,
					       1, 1));
	EXPECT_ERRNO(EINVAL, vfio_irq_set_none(fd, VFIO_PCI_REQ_IRQ_INDEX,
					       VFIO_IRQ_SET_ACTION_TRIGGER,
					       0, 2));

	ASSERT_EQ(0, vfio_irq_set_eventfd(fd, VFIO_PCI_REQ_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_TRIGGER,
					  self->efd));
	EXPECT_EQ(0, efd_wait(self->efd, NO_EVENT_MS));
	/* DATA_NONE and DATA_BOOL test the channel, as in vfio-pci. */
	EXPECT_EQ(0, vfio_irq_set_none(fd, VFIO_PCI_REQ_IRQ_INDEX,
				       VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1));
	EXPECT_EQ(1, efd_wait(self->efd, EVENT_MS));
	EXPECT_EQ(0, irq_set_bool(fd, VFIO_PCI_REQ_IRQ_INDEX, 0));
	EXPECT_EQ(0, efd_wait(self->efd, NO_EVENT_MS));
	EXPECT_EQ(0, irq_set_bool(fd, VFIO_PCI_REQ_IRQ_INDEX, 1));
	EXPECT_EQ(1, efd_wait(self->efd, EVENT_MS));
	/* The INTx and MSI triggers are unaffected. */
	EXPECT_ERRNO(EINVAL, vfio_irq_set_none(fd, VFIO_PCI_INTX_IRQ_INDEX,
					       VFIO_IRQ_SET_ACTION_TRIGGER,
					       0, 0));
	/* DATA_NONE with count 0 removes the trigger. */
	EXPECT_EQ(0, vfio_irq_set_none(fd, VFIO_PCI_REQ_IRQ_INDEX,
				       VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0));
	EXPECT_ERRNO(EINVAL, vfio_irq_set_none(fd, VFIO_PCI_REQ_IRQ_INDEX,
					       VFIO_IRQ_SET_ACTION_TRIGGER,
					       0, 1));
	EXPECT_EQ(0, efd_wait(self->efd, NO_EVENT_MS));

	/* A trigger set by one open does not survive the last close. */
	ASSERT_EQ(0, vfio_irq_set_eventfd(fd, VFIO_PCI_REQ_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_TRIGGER,
					  self->efd));
	vfio_dev_close(&self->d);
	ASSERT_EQ(0, vfio_dev_open(&self->d, variant->path, self->uuid));
	EXPECT_ERRNO(EINVAL, vfio_irq_set_none(self->d.fd,
					       VFIO_PCI_REQ_IRQ_INDEX,
					       VFIO_IRQ_SET_ACTION_TRIGGER,
					       0, 1));
	EXPECT_EQ(0, efd_wait(self->efd, NO_EVENT_MS));
}

/*
 * Start removing the open instance; with a request trigger, wait for the
 * first request.  Returns whether the trigger could be set (not with mtty).
 */
static bool remove_open(struct __test_metadata *_metadata,
			FIXTURE_DATA(rm) *self)
{
	bool have_req;
	long n;

	have_req = !vfio_irq_set_eventfd(self->d.fd, VFIO_PCI_REQ_IRQ_INDEX,
					 VFIO_IRQ_SET_ACTION_TRIGGER,
					 self->efd);
	EXPECT_TRUE(have_req) TH_LOG("no request trigger");
	EXPECT_EQ(0, blocked_start(&self->b, OP_REMOVE, self->uuid));
	if (have_req) {
		n = efd_wait(self->efd, REMOVE_EVENT_MS);
		EXPECT_EQ(1, n) TH_LOG("no request within %d ms (hang guard)",
				       REMOVE_EVENT_MS);
	}
	/* The removal waits for the device to be closed. */
	EXPECT_EQ(0, blocked_exited(&self->b, NO_EVENT_MS));
	/* Which is still open and working. */
	EXPECT_EQ(0, uart_loopback_ok(self->d.fd, self->bar0, 0x5a));
	return have_req;
}

/* Close the device: the removal completes, the instance is gone. */
static void close_and_check_removed(struct __test_metadata *_metadata,
				    FIXTURE_DATA(rm) *self, int signalled)
{
	struct blocked_result r = { -1, -1 };
	char path[PATH_MAX];

	vfio_dev_close(&self->d);
	ASSERT_EQ(1, blocked_exited(&self->b, REMOVE_EVENT_MS))
		TH_LOG("removal not done %d ms after the close (hang guard)",
		       REMOVE_EVENT_MS);
	ASSERT_EQ(0, blocked_reap(&self->b, &r));
	blocked_close(&self->b);
	/* mdev's remove_store() returns success once the instance is gone. */
	EXPECT_EQ(0, r.ret) TH_LOG("remove: %s", strerror(-r.ret));
	EXPECT_EQ(signalled, r.signalled);
	snprintf(path, sizeof(path), "%s/%s", MDEV_BUS_DIR, self->uuid);
	EXPECT_FALSE(path_exists(path));
	EXPECT_EQ(self->avail, mdev_available(mdev_driver(), 1));
}

/* The user answers the request by closing the device. */
TEST_F(rm, request_on_remove)
{
	KNOWN_DIFFERENCE(variant->driver, "mtty has no request callback");
	remove_open(_metadata, self);
	close_and_check_removed(_metadata, self, 0);
}

/*
 * The user ignores the request: VFIO asks again after 10 s, and a signal
 * to the remover interrupts only the first wait (a log line, a request at
 * once); the removal goes on waiting until the device is closed, then
 * succeeds, and the same UUID can be created and used again.
 */
TEST_F(rm, request_ignored)
{
	char needle[96];
	uint64_t t0, dt;
	bool have_req;
	pid_t pid;
	long n;

	KNOWN_DIFFERENCE(variant->driver, "mtty has no request callback");
	have_req = remove_open(_metadata, self);
	pid = self->b.pid;
	if (have_req) {
		t0 = now_ms();
		n = efd_wait(self->efd, VFIO_REQUEST_PERIOD_MS +
				       REMOVE_EVENT_MS);
		dt = now_ms() - t0;
		EXPECT_EQ(1, n) TH_LOG("no second request within %d ms",
				       VFIO_REQUEST_PERIOD_MS + REMOVE_EVENT_MS);
		/* Not before VFIO's period. */
		EXPECT_LE(VFIO_REQUEST_PERIOD_MS - REQUEST_SEEN_LATE_MS, dt);
		EXPECT_EQ(0, blocked_exited(&self->b, 0));
	}

	/* Interrupt the remover. */
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	snprintf(needle, sizeof(needle),
		 "(%d) blocked until device is released", pid);
	EXPECT_EQ(1, kmsg_find(self->kmsg, needle, REMOVE_EVENT_MS))
		TH_LOG("no \"%s\" in the kernel log within %d ms", needle,
		       REMOVE_EVENT_MS);
	if (have_req) {
		/* VFIO asks again at once, not after a period. */
		t0 = now_ms();
		EXPECT_EQ(1, efd_wait(self->efd, REMOVE_EVENT_MS));
		EXPECT_GT(VFIO_REQUEST_PERIOD_MS - REQUEST_SEEN_LATE_MS,
			  now_ms() - t0);
	}
	/* Still removing, uninterruptibly; the device still works. */
	EXPECT_EQ(0, blocked_exited(&self->b, NO_EVENT_MS));
	EXPECT_EQ(0, uart_loopback_ok(self->d.fd, self->bar0, 0xa5));

	close_and_check_removed(_metadata, self, 1);

	/*
	 * Nothing is left of it: the same UUID is created and works again,
	 * once the instance's release has freed it.
	 */
	ASSERT_EQ(0, mdev_create_uuid_again(variant->driver, 1, self->uuid));
	ASSERT_EQ(0, vfio_dev_open(&self->d, variant->path, self->uuid));
	ASSERT_EQ(0, vfio_region(self->d.fd, VFIO_PCI_BAR0_REGION_INDEX,
				 &self->bar0, NULL, NULL));
	EXPECT_EQ(0, uart_loopback_ok(self->d.fd, self->bar0, 0x3c));
	vfio_dev_close(&self->d);
	EXPECT_EQ(0, mdev_remove(self->uuid));
}

XFAIL_ADD(rm, mtty_group, request_irq);
XFAIL_ADD(rm, mtty_cdev, request_irq);
XFAIL_ADD(rm, mtty_group, request_on_remove);
XFAIL_ADD(rm, mtty_cdev, request_on_remove);
XFAIL_ADD(rm, mtty_group, request_ignored);
XFAIL_ADD(rm, mtty_cdev, request_ignored);

/* ------------------------------------------------------------------------ */
/*
 * Unloading the driver while user space holds a device.  The tests unload
 * the driver; the teardown loads it again for the next tests.
 */

FIXTURE(unload) {
	struct mdev_set set;
	struct vfio_dev d;
	char uuid[MDEV_UUID_LEN + 1];
	struct blocked b;
};

MDEV_PATH_VARIANTS(unload);

FIXTURE_SETUP(unload)
{
	const char *ko = getenv("RUST_MTTY_KO");
	int idx, ret;

	mdev_setup_begin();
	MDEV_REQUIRE_DRIVER(variant->driver);
	if (!strcmp(variant->driver, "rust_mtty") && (!ko || !path_exists(ko)))
		SKIP(return, "no RUST_MTTY_KO (\"%s\"): rust_mtty could not be loaded again",
		     ko ? ko : "");
	ret = mdev_set_create(&self->set, variant->driver, 1, &idx);
	ASSERT_EQ(0, ret) TH_LOG("create: %s", strerror(-ret));
	memcpy(self->uuid, self->set.uuid[idx], sizeof(self->uuid));
	vfio_dev_init(&self->d, variant->path, self->uuid);
}

FIXTURE_TEARDOWN_PARENT(unload)
{
	int ret;

	mdev_teardown_begin();
	mdev_set_remove_all(&self->set);
	if (!module_loaded(variant->driver)) {
		ret = mdev_driver_load(variant->driver);
		if (ret || !mdev_parent_present(variant->driver))
			ksft_print_msg("could not load %s again: %s\n",
				       variant->driver, strerror(-ret));
	}
}

/* An open device pins the driver: the unload is refused, nothing changes. */
TEST_F(unload, open_device)
{
	const char *drv = variant->driver;
	uint64_t bar0;
	long base;
	int ret;

	base = module_refcnt(drv);
	ASSERT_LE(0, base);
	ASSERT_EQ(0, vfio_dev_prepare(&self->d));
	ASSERT_EQ(0, vfio_dev_open_device(&self->d));
	EXPECT_EQ(base + 1, module_refcnt(drv));
	ret = module_unload(drv);
	/* delete_module() of a module in use: EWOULDBLOCK (try_stop_module()) */
	ASSERT_ERRNO(EWOULDBLOCK, ret) TH_LOG("unload %s: %s", drv,
					      ret ? strerror(-ret) : "unloaded");
	EXPECT_TRUE(mdev_parent_present(drv));
	ASSERT_EQ(0, vfio_region(self->d.fd, VFIO_PCI_BAR0_REGION_INDEX,
				 &bar0, NULL, NULL));
	EXPECT_EQ(0, uart_loopback_ok(self->d.fd, bar0, 0x42));
	vfio_dev_close(&self->d);
	EXPECT_EQ(base, module_refcnt(drv));
}

/*
 * A device that is prepared but not opened: on the cdev path a device
 * file opened but never bound (no VFIO_DEVICE_BIND_IOMMUFD), on the group
 * path the group and container.  Neither pins the module.  The unload
 * removes the instance, which waits for the cdev file (VFIO holds the
 * device's registration from the open of the cdev) but not for the group.
 */
TEST_F(unload, unbound_device)
{
	const char *drv = variant->driver;
	struct blocked_result r = { -1, -1 };
	char initstate[32] = "";
	char path[PATH_MAX];
	uint64_t end;
	long base;
	int ret;

	base = module_refcnt(drv);
	ASSERT_LE(0, base);
	ASSERT_EQ(0, vfio_dev_prepare(&self->d));
	EXPECT_EQ(base, module_refcnt(drv));
	ASSERT_EQ(0, blocked_start(&self->b, OP_UNLOAD, drv));

	if (variant->path == VFIO_PATH_GROUP) {
		ASSERT_EQ(1, blocked_exited(&self->b, REMOVE_EVENT_MS))
			TH_LOG("unload not done in %d ms (hang guard)",
			       REMOVE_EVENT_MS);
		ASSERT_EQ(0, blocked_reap(&self->b, &r));
		EXPECT_EQ(0, r.ret) TH_LOG("unload: %s", strerror(-r.ret));
		EXPECT_FALSE(module_loaded(drv));
		/* The group no longer has the device (group.c). */
		EXPECT_ERRNO(ENODEV, vfio_group_get_device_fd(self->d.group,
							      self->uuid));
		vfio_dev_close(&self->d);
		blocked_close(&self->b);
		return;
	}

	/* cdev: the module is going, its exit waits for the file. */
	snprintf(path, sizeof(path), "/sys/module/%s/initstate", drv);
	end = now_ms() + REMOVE_EVENT_MS;
	while (now_ms() < end) {
		if (file_read_str(path, initstate, sizeof(initstate)) > 0 &&
		    !strncmp(initstate, "going", 5))
			break;
		usleep(10000);
	}
	ASSERT_EQ(0, strncmp(initstate, "going", 5))
		TH_LOG("%s not going within %d ms (hang guard): \"%s\"", drv,
		       REMOVE_EVENT_MS, initstate);
	EXPECT_EQ(0, blocked_exited(&self->b, NO_EVENT_MS));
	/* Binding now would need the going module: refused. */
	EXPECT_ERRNO(ENODEV, vfio_cdev_bind(self->d.fd, self->d.iommufd));

	vfio_dev_close(&self->d);
	ASSERT_EQ(1, blocked_exited(&self->b, REMOVE_EVENT_MS))
		TH_LOG("unload not done %d ms after the close (hang guard)",
		       REMOVE_EVENT_MS);
	ASSERT_EQ(0, blocked_reap(&self->b, &r));
	blocked_close(&self->b);
	EXPECT_EQ(0, r.ret) TH_LOG("unload: %s", strerror(-r.ret));
	EXPECT_FALSE(module_loaded(drv));

	/* It loads again and works. */
	ret = mdev_driver_load(drv);
	ASSERT_EQ(0, ret) TH_LOG("load %s: %s", drv, strerror(-ret));
	ASSERT_TRUE(mdev_parent_present(drv));
}

MDEV_HARNESS_MAIN
