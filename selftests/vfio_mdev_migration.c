// SPDX-License-Identifier: GPL-2.0
/*
 * VFIO migration v2 of an mtty-compatible mdev device (C "mtty" sample or
 * "rust_mtty"), from user space, as QEMU drives it:
 *
 * - the state machine: the flags, every single arc the core asks a driver
 *   for, combination transitions, refused requests (state unchanged), the
 *   data fd of each arc that starts a session and of no other,
 *   MIG_DATA_SIZE, pre-copy (VFIO_MIG_GET_PRECOPY_INFO, the temporary end
 *   of stream ENOMSG, data appearing when the device changes), STOP_COPY's
 *   end of stream, a disabled data fd (ENODEV), resuming from a stream cut
 *   into odd pieces, the state at reopen, VFIO_DEVICE_RESET;
 * - a round trip of a rich device state (both UARTs, config space, the IRQ
 *   state) from instance A to instance B, with INTx and with MSI, after
 *   which A and B must answer an identical sequence of accesses with
 *   identical values and identical interrupts;
 * - bad streams into the RESUMING data fd, refused without a trace, and the
 *   kernel log kept clean;
 * - lifetimes: a data fd outliving its device, its instance, and pinning
 *   the driver module.
 *
 * Documentation/migration.rst is the specification for rust_mtty, whose
 * stream layout (records, payload) some tests check.  The C sample differs
 * from it in places; each such test has XFAIL_ADD() for the mtty variants
 * and a KNOWN_DIFFERENCE() naming the mtty.c function responsible.
 *
 * MDEV_DRIVER selects the driver (default mtty).
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

enum {
	M_ERROR = VFIO_DEVICE_STATE_ERROR,
	M_STOP = VFIO_DEVICE_STATE_STOP,
	M_RUNNING = VFIO_DEVICE_STATE_RUNNING,
	M_STOP_COPY = VFIO_DEVICE_STATE_STOP_COPY,
	M_RESUMING = VFIO_DEVICE_STATE_RESUMING,
	M_RUNNING_P2P = VFIO_DEVICE_STATE_RUNNING_P2P,
	M_PRE_COPY = VFIO_DEVICE_STATE_PRE_COPY,
	M_PRE_COPY_P2P = VFIO_DEVICE_STATE_PRE_COPY_P2P,
};

static const char *st_name(uint32_t s)
{
	static const char *const names[] = {
		"ERROR", "STOP", "RUNNING", "STOP_COPY", "RESUMING",
		"RUNNING_P2P", "PRE_COPY", "PRE_COPY_P2P",
	};

	return s < ARRAY_SIZE(names) ? names[s] : "(not a state)";
}

/*
 * rust_mtty's stream (Documentation/migration.rst): records of an 8-byte
 * header (le32 payload length, le32 flags) and a payload.
 */
#define REC_HDR			8
#define REC_FINAL		1
#define PAYLOAD_LEN(ports)	(266 + 32 * (ports))
/* Payload offsets */
#define PL_MAGIC		0
#define PL_VERSION		4
#define PL_PORTS		6
#define PL_RESERVED		7
#define PL_CONFIG		8
#define PL_IRQ_INDEX		264
#define PL_INTX_MASKED		265

/* The MSI capability of rust_mtty's config space */
#define MSI_CAP			0x80

#define STREAM_MAX		4096
/* take(): the end of pre-copy data, EOF (mtty) or ENOMSG (the uAPI) */
#define END_ANY			1

struct stream {
	uint8_t b[STREAM_MAX];
	size_t len;
};

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* ------------------------------------------------------------------------ */
/* Open instances */

/* One open instance */
struct side {
	struct vfio_dev d;
	int nports;
	uint64_t cfg, cfg_size, bar[MTTY_MAX_PORTS_PER_DEVICE];
	int efd;		/* the eventfd of its IRQ, or -1 */
};

static int side_open(struct side *s, enum vfio_path path, const char *uuid,
		     int nports)
{
	int ret, i;

	s->nports = nports;
	s->efd = -1;
	ret = vfio_dev_open(&s->d, path, uuid);
	if (ret)
		return ret;
	/* mtty answers IRQ ioctls only after GET_INFO (not under test here) */
	ret = vfio_get_info(s->d.fd, NULL, NULL, NULL);
	if (!ret)
		ret = vfio_region(s->d.fd, VFIO_PCI_CONFIG_REGION_INDEX,
				  &s->cfg, &s->cfg_size, NULL);
	for (i = 0; !ret && i < nports; i++)
		ret = vfio_region(s->d.fd, VFIO_PCI_BAR0_REGION_INDEX + i,
				  &s->bar[i], NULL, NULL);
	if (ret)
		vfio_dev_close(&s->d);
	return ret;
}

static void side_close(struct side *s)
{
	vfio_dev_close(&s->d);
	if (s->efd >= 0)
		close(s->efd);
	s->efd = -1;
}

/* Close and open again, through the same path. */
static int side_reopen(struct side *s)
{
	char uuid[MDEV_UUID_LEN + 1];

	memcpy(uuid, s->d.uuid, sizeof(uuid));
	side_close(s);
	return side_open(s, s->d.path, uuid, s->nports);
}

static int rd(struct side *s, int port, unsigned int reg)
{
	return uart_read(s->d.fd, s->bar[port], reg);
}

static int wr(struct side *s, int port, unsigned int reg, uint8_t val)
{
	return uart_write(s->d.fd, s->bar[port], reg, val);
}

/* Config space: a 1-, 2- or 4-byte register (little-endian host). */
static int cfg_wr(struct side *s, unsigned int off, uint32_t val, size_t len)
{
	return region_write(s->d.fd, s->cfg + off, &val, len);
}

static uint32_t cfg_rd(struct side *s, unsigned int off, size_t len)
{
	uint32_t val = 0;

	return region_read(s->d.fd, s->cfg + off, &val, len) ? 0xdeadbeef : val;
}

/*
 * The whole config region in one read, as QEMU reads it: mtty's region is
 * 255 bytes (reading a 256th would read past its buffer), rust_mtty's 256.
 */
static size_t cfg_all(struct side *s, uint8_t *buf)
{
	size_t len = s->cfg_size < 256 ? s->cfg_size : 256;

	memset(buf, 0, 256);
	return region_read(s->d.fd, s->cfg, buf, len) ? 0 : len;
}

static int rd1(int fd)
{
	char c;
	ssize_t n = read(fd, &c, 1);

	return n < 0 ? -errno : (int)n;
}

static int wr1(int fd)
{
	char c = 0;
	ssize_t n = write(fd, &c, 1);

	return n < 0 ? -errno : (int)n;
}

static int precopy_info(int fd, uint64_t *initial, uint64_t *dirty)
{
	return vfio_mig_precopy_info(fd, sizeof(struct vfio_precopy_info),
				     initial, dirty);
}

/* Two 2-port instances, A and B, of the driver under test, both open. */
struct pair {
	struct mdev_set set;
	int ia, ib;		/* their slots in set */
	struct side a, b;
};

/* 0 or -errno; cleans up after itself (a teardown runs only after it). */
static int pair_open(struct pair *p, const char *drv, enum vfio_path path)
{
	int ret;

	ret = mdev_set_create(&p->set, drv, 2, &p->ia);
	if (!ret)
		ret = mdev_set_create(&p->set, drv, 2, &p->ib);
	if (!ret)
		ret = side_open(&p->a, path, p->set.uuid[p->ia], 2);
	if (!ret) {
		ret = side_open(&p->b, path, p->set.uuid[p->ib], 2);
		if (ret)
			side_close(&p->a);
	}
	if (ret)
		mdev_set_remove_all(&p->set);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Steps, as test code: they ASSERT/EXPECT (the harness longjmp()s out). */

#define META struct __test_metadata *_metadata

/*
 * Request @to: it must succeed, return a data fd exactly when @session
 * (an arc that starts a data transfer session ends the path), and
 * GET_STATE must say @to afterwards.  Returns the data fd, or -1.
 */
static int go(META, struct side *s, uint32_t to, bool session)
{
	uint32_t from = ~0u, now = ~0u;
	int fd = -2, ret;

	vfio_mig_get_state(s->d.fd, &from);
	ret = vfio_mig_set_state(s->d.fd, to, &fd);
	ASSERT_EQ(0, ret) TH_LOG("%s -> %s: %s", st_name(from), st_name(to),
				 strerror(-ret));
	if (session) {
		ASSERT_LE(0, fd) TH_LOG("%s -> %s: no data fd", st_name(from),
					st_name(to));
	} else {
		EXPECT_EQ(-1, fd) TH_LOG("%s -> %s: a data fd", st_name(from),
					 st_name(to));
	}
	ret = vfio_mig_get_state(s->d.fd, &now);
	ASSERT_EQ(0, ret) TH_LOG("GET_STATE: %s", strerror(-ret));
	EXPECT_EQ(to, now) TH_LOG("%s -> %s: now %s", st_name(from),
				  st_name(to), st_name(now));
	if (!session && fd >= 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* A request that must fail with @err, without a data fd or a state change. */
static void refused(META, struct side *s, uint32_t to, int err)
{
	uint32_t before = ~0u, after = ~0u;
	int fd = -2, ret;

	ASSERT_EQ(0, vfio_mig_get_state(s->d.fd, &before));
	ret = vfio_mig_set_state(s->d.fd, to, &fd);
	EXPECT_EQ(-err, ret) TH_LOG("%s -> %u (%s): %s", st_name(before), to,
				    st_name(to), ret ? strerror(-ret) : "done");
	EXPECT_EQ(-1, fd);
	if (fd >= 0)
		close(fd);
	ASSERT_EQ(0, vfio_mig_get_state(s->d.fd, &after));
	EXPECT_EQ(before, after) TH_LOG("refused %s -> %u: now %s",
					st_name(before), to, st_name(after));
}

#define EXPECT_STATE(s, want) do { \
	uint32_t __st = ~0u; \
	ASSERT_EQ(0, vfio_mig_get_state((s)->d.fd, &__st)); \
	EXPECT_EQ((uint32_t)(want), __st) TH_LOG("state %s, want %s", \
						 st_name(__st), \
						 st_name(want)); \
} while (0)

/*
 * read() a saving fd until it ends, appending to @st; @want_end is 0 (EOF),
 * -ENOMSG, or END_ANY (either).  Returns the bytes read.
 */
static long take(META, int fd, struct stream *st, int want_end)
{
	int end = 1;
	long n;

	n = vfio_mig_read(fd, st->b + st->len, sizeof(st->b) - st->len, &end);
	ASSERT_LE(0, n) TH_LOG("read: %s", strerror(-n));
	st->len += n;
	if (want_end == END_ANY) {
		EXPECT_TRUE(end == 0 || end == -ENOMSG)
			TH_LOG("read after %ld bytes: %s", n, strerror(-end));
	} else {
		EXPECT_EQ(want_end, end)
			TH_LOG("read after %ld bytes: %s, want %s", n,
			       end ? strerror(-end) : "EOF",
			       want_end ? strerror(-want_end) : "EOF");
	}
	return n;
}

/* RUNNING -> STOP_COPY, the stream to its end, -> RUNNING. */
static void save_stream(META, struct side *s, struct stream *st)
{
	int fd = go(_metadata, s, M_STOP_COPY, true);

	EXPECT_LT(0, take(_metadata, fd, st, 0));
	/* The end of a STOP_COPY stream is for good. */
	EXPECT_EQ(0, rd1(fd));
	go(_metadata, s, M_RUNNING, false);
	close(fd);
}

/* RUNNING -> RESUMING, @st in pieces of chunk[i] bytes, -> RUNNING. */
static void load_stream(META, struct side *s, const struct stream *st,
			const size_t *chunk, int nchunk)
{
	int fd = go(_metadata, s, M_RESUMING, true), ret;

	ret = vfio_mig_write(fd, st->b, st->len, chunk, nchunk);
	ASSERT_EQ(0, ret) TH_LOG("writing %zu bytes: %s", st->len,
				 strerror(-ret));
	go(_metadata, s, M_RUNNING, false);
	close(fd);
}

/* Marks of @m in the UART state: both scratch registers and 3 bytes queued. */
static void set_marks(META, struct side *s, uint8_t m)
{
	int i;

	ASSERT_EQ(0, wr(s, 0, UART_SCR, m));
	ASSERT_EQ(0, wr(s, 1, UART_SCR, (uint8_t)~m));
	ASSERT_EQ(0, wr(s, 0, UART_FCR, UART_FCR_ENABLE_FIFO |
			UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT));
	for (i = 1; i <= 3; i++) {
		ASSERT_EQ(0, wr(s, 0, UART_TX, m + i));
	}
}

/* The marks of set_marks() are there (and the queued bytes are read). */
static void check_marks(META, struct side *s, uint8_t m)
{
	int i;

	EXPECT_EQ(m, rd(s, 0, UART_SCR));
	EXPECT_EQ((uint8_t)~m, rd(s, 1, UART_SCR));
	for (i = 1; i <= 3; i++) {
		EXPECT_EQ((uint8_t)(m + i), rd(s, 0, UART_RX))
			TH_LOG("queued byte %d", i);
	}
	EXPECT_EQ(0, rd(s, 0, UART_LSR) & UART_LSR_DR);
}

/* The device loops data back and raises an interrupt (MSI) on data. */
static void works(META, struct side *s)
{
	int efd;

	EXPECT_EQ(0, uart_loopback_ok(s->d.fd, s->bar[0], 0x5c));
	efd = efd_new();
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, vfio_irq_set_eventfd(s->d.fd, VFIO_PCI_MSI_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_TRIGGER, efd));
	ASSERT_EQ(0, uart_enable_rx_irq(s->d.fd, s->bar[0]));
	ASSERT_EQ(0, wr(s, 0, UART_TX, 0x7a));
	EXPECT_EQ(1, efd_wait(efd, EVENT_MS)) TH_LOG("no interrupt");
	EXPECT_EQ(0x7a, rd(s, 0, UART_RX));
	EXPECT_EQ(0, wr(s, 0, UART_IER, 0));
	EXPECT_EQ(0, vfio_irq_set_eventfd(s->d.fd, VFIO_PCI_MSI_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_TRIGGER, -1));
	close(efd);
}

/* ------------------------------------------------------------------------ */
/* The kernel log */

static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reports, as scripts/splat.ere knows them. */
static bool is_splat(const char *rec)
{
	static const char *const pat[] = {
		"WARNING:", "BUG:", "Oops", "general protection fault",
		"kernel BUG at", "Call Trace:", "UBSAN:", "list_add corruption",
		"list_del corruption", "refcount_t:", "Kernel panic",
		"INFO: task",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pat); i++)
		if (strstr(rec, pat[i]))
			return true;
	return false;
}

/*
 * The records written since kmsg_open(): none may be a report; returns how
 * many there were (the first few are logged).
 */
static int kmsg_check(META, int kmsg)
{
	char rec[1024];
	int lines = 0;
	ssize_t n;

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
		EXPECT_FALSE(is_splat(rec)) TH_LOG("kernel report: %s", rec);
	}
	return lines;
}

/* ------------------------------------------------------------------------ */
/* The state machine and the data fd, on both VFIO paths */

FIXTURE(mig) {
	struct pair p;
};

MDEV_PATH_VARIANTS(mig);

FIXTURE_SETUP(mig)
{
	int ret;

	mdev_setup_begin();
	MDEV_REQUIRE_DRIVER(variant->driver);
	ret = pair_open(&self->p, variant->driver, variant->path);
	ASSERT_EQ(0, ret) TH_LOG("two %s-2 instances: %s", variant->driver,
				 strerror(-ret));
}

/* In the parent, once the test process and its fds are gone. */
FIXTURE_TEARDOWN_PARENT(mig)
{
	mdev_teardown_begin();
	mdev_set_remove_all(&self->p.set);
}

/* STOP_COPY, P2P and PRE_COPY, as both drivers advertise. */
TEST_F(mig, migration_flags)
{
	uint64_t flags = 0;
	int ret;

	ret = vfio_mig_flags(self->p.a.d.fd, &flags);
	ASSERT_EQ(0, ret) TH_LOG("VFIO_DEVICE_FEATURE_MIGRATION: %s",
				 strerror(-ret));
	EXPECT_EQ(VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P |
		  VFIO_MIGRATION_PRE_COPY, flags);
	EXPECT_STATE(&self->p.a, M_RUNNING);
}

/*
 * Every arc vfio_mig_get_next_state() asks of a driver with P2P and
 * PRE_COPY, one request each, in one walk: a data fd only where a session
 * starts, and the fd of a session that ended answers ENODEV.
 */
TEST_F(mig, arcs)
{
	struct side *a = &self->p.a;
	struct stream st = {}, st2 = {};
	int fd, ret;

	go(_metadata, a, M_RUNNING_P2P, false);
	go(_metadata, a, M_RUNNING, false);
	fd = go(_metadata, a, M_PRE_COPY, true);
	go(_metadata, a, M_PRE_COPY_P2P, false);
	go(_metadata, a, M_PRE_COPY, false);
	/* The session goes on through PRE_COPY_P2P. */
	ret = precopy_info(fd, NULL, NULL);
	EXPECT_EQ(0, ret) TH_LOG("PRECOPY_INFO: %s", strerror(-ret));
	go(_metadata, a, M_RUNNING, false);
	EXPECT_ERRNO(ENODEV, rd1(fd));
	close(fd);

	go(_metadata, a, M_RUNNING_P2P, false);
	fd = go(_metadata, a, M_PRE_COPY_P2P, true);
	go(_metadata, a, M_RUNNING_P2P, false);
	EXPECT_ERRNO(ENODEV, rd1(fd));
	close(fd);

	go(_metadata, a, M_STOP, false);
	go(_metadata, a, M_RUNNING_P2P, false);
	go(_metadata, a, M_STOP, false);
	fd = go(_metadata, a, M_STOP_COPY, true);
	EXPECT_LT(0, take(_metadata, fd, &st, 0));
	go(_metadata, a, M_STOP, false);
	EXPECT_ERRNO(ENODEV, rd1(fd));
	close(fd);

	fd = go(_metadata, a, M_RESUMING, true);
	ASSERT_EQ(0, vfio_mig_write(fd, st.b, st.len, NULL, 0));
	go(_metadata, a, M_STOP, false);
	EXPECT_ERRNO(ENODEV, wr1(fd));
	close(fd);

	go(_metadata, a, M_RUNNING_P2P, false);
	fd = go(_metadata, a, M_PRE_COPY_P2P, true);
	/* PRE_COPY_P2P -> STOP_COPY: the same session, to its end */
	go(_metadata, a, M_STOP_COPY, false);
	EXPECT_LT(0, take(_metadata, fd, &st2, 0));
	go(_metadata, a, M_STOP, false);
	EXPECT_ERRNO(ENODEV, rd1(fd));
	close(fd);

	go(_metadata, a, M_RUNNING_P2P, false);
	go(_metadata, a, M_RUNNING, false);
	works(_metadata, a);
}

/* Requests the core resolves into several arcs. */
TEST_F(mig, combinations)
{
	struct side *a = &self->p.a, *b = &self->p.b;
	struct stream st = {}, st2 = {};
	int fd, fd2;

	set_marks(_metadata, a, 0x40);

	/* RUNNING -> STOP_COPY (through RUNNING_P2P, STOP): one data fd */
	fd = go(_metadata, a, M_STOP_COPY, true);
	EXPECT_LT(0, take(_metadata, fd, &st, 0));
	/* STOP_COPY -> RUNNING (through STOP, RUNNING_P2P) ends it */
	go(_metadata, a, M_RUNNING, false);
	EXPECT_ERRNO(ENODEV, rd1(fd));
	close(fd);

	/* RUNNING -> RESUMING (through RUNNING_P2P, STOP) */
	fd = go(_metadata, b, M_RESUMING, true);
	ASSERT_EQ(0, vfio_mig_write(fd, st.b, st.len, NULL, 0));
	/* RESUMING -> PRE_COPY: the load, then a new saving session */
	fd2 = go(_metadata, b, M_PRE_COPY, true);
	EXPECT_ERRNO(ENODEV, wr1(fd));
	close(fd);
	/* The same state again: nothing, no new fd */
	go(_metadata, b, M_PRE_COPY, false);
	/* PRE_COPY -> STOP_COPY (through PRE_COPY_P2P): the same fd */
	go(_metadata, b, M_STOP_COPY, false);
	EXPECT_LT(0, take(_metadata, fd2, &st2, 0));
	/* STOP_COPY -> RESUMING (through STOP) */
	fd = go(_metadata, b, M_RESUMING, true);
	EXPECT_ERRNO(ENODEV, rd1(fd2));
	close(fd2);
	/* B's own stream, which has pre-copy data first, back into B */
	ASSERT_EQ(0, vfio_mig_write(fd, st2.b, st2.len, NULL, 0));
	/* RESUMING -> RUNNING (through STOP, RUNNING_P2P) */
	go(_metadata, b, M_RUNNING, false);
	close(fd);

	/* RUNNING -> PRE_COPY_P2P (through RUNNING_P2P) */
	fd = go(_metadata, b, M_PRE_COPY_P2P, true);
	/* PRE_COPY_P2P -> RESUMING (through RUNNING_P2P, STOP) */
	fd2 = go(_metadata, b, M_RESUMING, true);
	EXPECT_ERRNO(ENODEV, rd1(fd));
	close(fd);
	ASSERT_EQ(0, vfio_mig_write(fd2, st2.b, st2.len, NULL, 0));
	/* RESUMING -> STOP_COPY (through STOP) */
	fd = go(_metadata, b, M_STOP_COPY, true);
	close(fd2);
	/* STOP_COPY -> RUNNING_P2P (through STOP) */
	go(_metadata, b, M_RUNNING_P2P, false);
	EXPECT_ERRNO(ENODEV, rd1(fd));
	close(fd);
	/* RUNNING_P2P -> PRE_COPY (through RUNNING), then back */
	fd = go(_metadata, b, M_PRE_COPY, true);
	go(_metadata, b, M_RUNNING_P2P, false);
	close(fd);
	/* STOP <-> RUNNING */
	go(_metadata, b, M_STOP, false);
	go(_metadata, b, M_RUNNING, false);
	go(_metadata, b, M_RUNNING, false);

	/* A's state went all the way through B. */
	check_marks(_metadata, b, 0x40);
	works(_metadata, b);
}

/*
 * Refused requests: ERROR or a value past the last state as the target,
 * the two arcs the uAPI blocks (STOP_COPY -> PRE_COPY, PRE_COPY_P2P), and
 * from RESUMING with nothing written any target past STOP, which needs a
 * load (RESUMING -> PRE_COPY goes RESUMING -> STOP -> RUNNING_P2P ->
 * RUNNING -> PRE_COPY).  vfio_mig_get_next_state() answers EINVAL for the
 * FSM; the load fails with EINVAL too.  The state and the session are
 * left as they were.
 */
TEST_F(mig, illegal)
{
	struct side *a = &self->p.a;
	struct stream st = {};
	int fd;

	refused(_metadata, a, M_ERROR, EINVAL);
	refused(_metadata, a, VFIO_DEVICE_STATE_NR, EINVAL);
	refused(_metadata, a, 0x7fffffff, EINVAL);
	refused(_metadata, a, 0xffffffff, EINVAL);

	fd = go(_metadata, a, M_STOP_COPY, true);
	refused(_metadata, a, M_PRE_COPY, EINVAL);
	refused(_metadata, a, M_PRE_COPY_P2P, EINVAL);
	refused(_metadata, a, M_ERROR, EINVAL);
	refused(_metadata, a, VFIO_DEVICE_STATE_NR, EINVAL);
	/* The session did not notice. */
	EXPECT_LT(0, take(_metadata, fd, &st, 0));
	go(_metadata, a, M_RUNNING, false);
	close(fd);

	fd = go(_metadata, a, M_RESUMING, true);
	refused(_metadata, a, M_PRE_COPY, EINVAL);
	refused(_metadata, a, M_RUNNING, EINVAL);
	refused(_metadata, a, M_STOP, EINVAL);
	refused(_metadata, a, M_ERROR, EINVAL);
	refused(_metadata, a, VFIO_DEVICE_STATE_NR, EINVAL);
	/* The resuming session still takes a stream. */
	ASSERT_EQ(0, vfio_mig_write(fd, st.b, st.len, NULL, 0));
	go(_metadata, a, M_RUNNING, false);
	close(fd);
	works(_metadata, a);
}

/* MIG_DATA_SIZE: the length of the STOP_COPY stream. */
TEST_F(mig, data_size)
{
	struct side *a = &self->p.a;
	struct stream st = {};
	uint64_t size = 0;
	int ret;

	ret = vfio_mig_data_size(a->d.fd, &size);
	ASSERT_EQ(0, ret) TH_LOG("MIG_DATA_SIZE: %s", strerror(-ret));
	EXPECT_LT(0, size);
	save_stream(_metadata, a, &st);
	EXPECT_EQ(size, st.len);
	/* rust_mtty: one final record of 8 + 266 + 32 * 2 bytes */
	if (!strcmp(variant->driver, "rust_mtty")) {
		EXPECT_EQ(REC_HDR + PAYLOAD_LEN(2), size);
	}
}

/*
 * Pre-copy on an idle device: PRECOPY_INFO has the initial bytes and no
 * dirty ones, reading them empties initial_bytes; PRE_COPY -> STOP_COPY
 * gives no new fd and the same fd goes on to a lasting EOF; leaving
 * STOP_COPY disables it; the whole stream resumes.
 */
TEST_F(mig, precopy)
{
	struct side *a = &self->p.a;
	struct stream st = {};
	uint64_t initial = 0, dirty = 1;
	long n;
	int fd, ret;

	set_marks(_metadata, a, 0x31);
	fd = go(_metadata, a, M_PRE_COPY, true);
	ret = precopy_info(fd, &initial, &dirty);
	ASSERT_EQ(0, ret) TH_LOG("PRECOPY_INFO: %s", strerror(-ret));
	EXPECT_LT(0, initial);
	EXPECT_EQ(0, dirty);
	n = take(_metadata, fd, &st, END_ANY);
	EXPECT_EQ((long)initial, n);
	ASSERT_EQ(0, precopy_info(fd, &initial, &dirty));
	EXPECT_EQ(0, initial);
	EXPECT_EQ(0, dirty);
	/* argsz short of dirty_bytes */
	EXPECT_ERRNO(EINVAL, vfio_mig_precopy_info(fd,
			sizeof(struct vfio_precopy_info) - 1, NULL, NULL));

	go(_metadata, a, M_STOP_COPY, false);
	/* Only in PRE_COPY states */
	EXPECT_ERRNO(EINVAL, precopy_info(fd, NULL, NULL));
	EXPECT_LT(0, take(_metadata, fd, &st, 0));
	EXPECT_EQ(0, rd1(fd));
	EXPECT_EQ(0, rd1(fd));
	go(_metadata, a, M_STOP, false);
	EXPECT_ERRNO(ENODEV, rd1(fd));
	close(fd);
	go(_metadata, a, M_RUNNING, false);

	load_stream(_metadata, &self->p.b, &st, NULL, 0);
	check_marks(_metadata, &self->p.b, 0x31);
}

/* The temporary end of a pre-copy stream is ENOMSG, not EOF. */
TEST_F(mig, precopy_enomsg)
{
	struct side *a = &self->p.a;
	struct stream st = {};
	uint64_t initial = 1, dirty = 1;
	int fd;

	KNOWN_DIFFERENCE(variant->driver,
			 "mtty_save_read() returns 0 (EOF) at the end of pre-copy data");
	fd = go(_metadata, a, M_PRE_COPY, true);
	EXPECT_LT(0, take(_metadata, fd, &st, -ENOMSG));
	EXPECT_ERRNO(ENOMSG, rd1(fd));
	ASSERT_EQ(0, precopy_info(fd, &initial, &dirty));
	EXPECT_EQ(0, initial);
	EXPECT_EQ(0, dirty);
	go(_metadata, a, M_RUNNING, false);
	close(fd);
}

/*
 * A device that changes during pre-copy has dirty bytes, which a read
 * returns; the stream with them resumes to the last state.
 */
TEST_F(mig, precopy_dirty)
{
	struct side *a = &self->p.a, *b = &self->p.b;
	struct stream st = {};
	uint64_t initial = 1, dirty = 0;
	long n;
	int fd;

	KNOWN_DIFFERENCE(variant->driver,
			 "mtty_precopy_ioctl() always reports dirty_bytes 0 and mtty_save_read() has nothing after the initial bytes");
	fd = go(_metadata, a, M_PRE_COPY, true);
	take(_metadata, fd, &st, END_ANY);

	ASSERT_EQ(0, wr(a, 0, UART_SCR, 0x77));
	ASSERT_EQ(0, precopy_info(fd, &initial, &dirty));
	EXPECT_EQ(0, initial);
	EXPECT_LT(0, dirty);
	n = take(_metadata, fd, &st, -ENOMSG);
	EXPECT_EQ((long)dirty, n);
	ASSERT_EQ(0, precopy_info(fd, &initial, &dirty));
	EXPECT_EQ(0, dirty);
	/* Nothing changed since: nothing new. */
	EXPECT_ERRNO(ENOMSG, rd1(fd));

	ASSERT_EQ(0, wr(a, 0, UART_SCR, 0x78));
	go(_metadata, a, M_STOP_COPY, false);
	take(_metadata, fd, &st, 0);
	go(_metadata, a, M_RUNNING, false);
	close(fd);

	load_stream(_metadata, b, &st, NULL, 0);
	EXPECT_EQ(0x78, rd(b, 0, UART_SCR));
}

/*
 * The stream written in pieces of 1, 3, 7, 13, ... bytes resumes; the
 * device works afterwards, and the saved one kept its state.
 */
TEST_F(mig, resume_chunks)
{
	static const size_t chunk[] = { 1, 3, 7, 13, 31, 61 };
	struct side *a = &self->p.a, *b = &self->p.b;
	struct stream st = {};
	int fd, ret;

	set_marks(_metadata, a, 0x21);
	save_stream(_metadata, a, &st);

	fd = go(_metadata, b, M_RESUMING, true);
	ret = vfio_mig_write(fd, st.b, st.len, chunk, ARRAY_SIZE(chunk));
	ASSERT_EQ(0, ret) TH_LOG("write: %s", strerror(-ret));
	go(_metadata, b, M_STOP, false);
	EXPECT_ERRNO(ENODEV, wr1(fd));
	go(_metadata, b, M_RUNNING, false);
	close(fd);

	check_marks(_metadata, b, 0x21);
	check_marks(_metadata, a, 0x21);
	works(_metadata, b);
}

/* The migration state belongs to the open device: RUNNING at every open. */
TEST_F(mig, reopen_running)
{
	static const uint32_t states[] = {
		M_STOP, M_PRE_COPY, M_RESUMING, M_STOP_COPY,
	};
	struct side *a = &self->p.a;
	uint32_t now;
	unsigned int i;
	int fd, ret;

	KNOWN_DIFFERENCE(variant->driver,
			 "mtty_close() keeps mdev_state->state: a device closed in STOP reopens in STOP");
	for (i = 0; i < ARRAY_SIZE(states); i++) {
		fd = go(_metadata, a, states[i], states[i] != M_STOP);
		ret = side_reopen(a);
		ASSERT_EQ(0, ret) TH_LOG("reopen: %s", strerror(-ret));
		now = ~0u;
		ASSERT_EQ(0, vfio_mig_get_state(a->d.fd, &now));
		ASSERT_EQ(M_RUNNING, now) TH_LOG("closed in %s, reopened in %s",
						 st_name(states[i]),
						 st_name(now));
		if (fd >= 0) {
			if (states[i] == M_RESUMING) {
				EXPECT_ERRNO(ENODEV, wr1(fd));
			} else {
				EXPECT_ERRNO(ENODEV, rd1(fd));
			}
			close(fd);
		}
	}
	works(_metadata, a);
}

/* VFIO_DEVICE_RESET in a data state: RUNNING, and the data fd is disabled. */
TEST_F(mig, reset_ends_session)
{
	static const uint32_t states[] = {
		M_PRE_COPY, M_PRE_COPY_P2P, M_STOP_COPY, M_RESUMING,
	};
	struct side *a = &self->p.a;
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(states); i++) {
		fd = go(_metadata, a, states[i], true);
		ASSERT_EQ(0, ioctl(a->d.fd, VFIO_DEVICE_RESET))
			TH_LOG("VFIO_DEVICE_RESET in %s: %m",
			       st_name(states[i]));
		EXPECT_STATE(a, M_RUNNING);
		if (states[i] == M_RESUMING) {
			EXPECT_ERRNO(ENODEV, wr1(fd)) TH_LOG("after reset in %s",
							   st_name(states[i]));
		} else {
			EXPECT_ERRNO(ENODEV, rd1(fd)) TH_LOG("after reset in %s",
							   st_name(states[i]));
		}
		close(fd);
	}
	works(_metadata, a);
}

/*
 * The device closed while data fds are open: they answer ENODEV (a saving
 * fd may say EOF instead), nothing hangs, and the device opens again.
 */
TEST_F(mig, close_with_data_fd)
{
	struct side *a = &self->p.a, *b = &self->p.b;
	int sfd, rfd, ret;

	sfd = go(_metadata, a, M_PRE_COPY, true);
	rfd = go(_metadata, b, M_RESUMING, true);
	side_close(a);
	side_close(b);

	ret = rd1(sfd);
	EXPECT_TRUE(ret == 0 || ret == -ENODEV) TH_LOG("read: %s",
						      strerror(-ret));
	EXPECT_ERRNO(ENODEV, precopy_info(sfd, NULL, NULL));
	EXPECT_ERRNO(ENODEV, wr1(rfd));

	ASSERT_EQ(0, side_reopen(a));
	ASSERT_EQ(0, side_reopen(b));
	works(_metadata, a);
	works(_metadata, b);
	EXPECT_ERRNO(ENODEV, wr1(rfd));
	EXPECT_EQ(0, close(sfd));
	EXPECT_EQ(0, close(rfd));
}

/*
 * The instance removed while a data fd of it is open (its device closed:
 * removal waits for that by design): the removal completes, and the fd
 * answers ENODEV and closes.  The harness's timeout guards the removal.
 */
TEST_F_TIMEOUT(mig, remove_with_data_fd, 120)
{
	struct side *a = &self->p.a, *b = &self->p.b;
	bool rust = !strcmp(variant->driver, "rust_mtty");
	char path[PATH_MAX];
	int sfd, rfd = -1, ret;

	sfd = go(_metadata, a, M_PRE_COPY, true);
	/*
	 * Only rust_mtty's data fd outlives the device: mtty's keeps a
	 * pointer to the freed mdev_state, which mtty_resume_write() and
	 * mtty_precopy_ioctl() use (a use after free), so neither is
	 * called on mtty after the removal.
	 */
	if (rust)
		rfd = go(_metadata, b, M_RESUMING, true);
	side_close(a);
	side_close(b);

	snprintf(path, sizeof(path), "%s/%s", MDEV_BUS_DIR,
		 self->p.set.uuid[self->p.ia]);
	ret = mdev_set_remove(&self->p.set, self->p.ia);
	ASSERT_EQ(0, ret) TH_LOG("remove: %s", strerror(-ret));
	EXPECT_FALSE(path_exists(path));
	if (rust) {
		EXPECT_EQ(0, mdev_set_remove(&self->p.set, self->p.ib));
	}

	EXPECT_ERRNO(ENODEV, rd1(sfd));
	if (rust) {
		EXPECT_ERRNO(ENODEV, precopy_info(sfd, NULL, NULL));
		EXPECT_ERRNO(ENODEV, wr1(rfd));
		EXPECT_EQ(0, close(rfd));
	}
	EXPECT_EQ(0, close(sfd));
}

/* ------------------------------------------------------------------------ */
/*
 * Round trip: A in a rich state migrates into B, which had a state of its
 * own; then the same accesses to A and B, in lockstep, must give the same
 * values and the same interrupts.
 */

struct lockstep {
	struct side *a, *b;
	int mismatches;
	int late_waits;
	long events;		/* interrupts A raised */
};

#define MISMATCH(ls, fmt, ...) do { \
	if ((ls)->mismatches++ < 12) \
		TH_LOG("A and B differ: " fmt, ##__VA_ARGS__); \
} while (0)

/*
 * The interrupts of the last access: both drivers signal an eventfd during
 * the access that raises it, so a counter that is not set yet is a
 * difference, unless the eventfd is merely late: the side behind gets up to
 * EVENT_MS (a few times; the C sample's known differences would otherwise
 * make a mismatching run wait it out at every access).
 */
static void ls_events(META, struct lockstep *ls, const char *what)
{
	long ea = efd_wait(ls->a->efd, 0), eb = efd_wait(ls->b->efd, 0);

	if (ea != eb && ls->late_waits++ < 4) {
		if (ea < eb)
			ea += efd_wait(ls->a->efd, EVENT_MS);
		else
			eb += efd_wait(ls->b->efd, EVENT_MS);
	}
	if (ea != eb)
		MISMATCH(ls, "%s: %ld interrupt(s) from A, %ld from B", what,
			 ea, eb);
	ls->events += ea;
}

/* Returns B's value. */
static int ls_rd(META, struct lockstep *ls, int port, unsigned int reg,
		 const char *what)
{
	int va = rd(ls->a, port, reg), vb = rd(ls->b, port, reg);

	if (va != vb)
		MISMATCH(ls, "%s (port %d reg %u): A 0x%x, B 0x%x", what, port,
			 reg, va, vb);
	ls_events(_metadata, ls, what);
	return vb;
}

static void ls_wr(META, struct lockstep *ls, int port, unsigned int reg,
		  uint8_t val, const char *what)
{
	int ra = wr(ls->a, port, reg, val), rb = wr(ls->b, port, reg, val);

	EXPECT_EQ(0, ra) TH_LOG("%s on A", what);
	EXPECT_EQ(0, rb) TH_LOG("%s on B", what);
	ls_events(_metadata, ls, what);
}

/* The whole config space of both; B's goes to @out. */
static void ls_cfg(META, struct lockstep *ls, uint8_t *out, const char *what)
{
	uint8_t ca[256];
	size_t la, lb, i;

	la = cfg_all(ls->a, ca);
	lb = cfg_all(ls->b, out);
	ASSERT_LT(0, la);
	ASSERT_EQ(la, lb);
	for (i = 0; i < la; i++)
		if (ca[i] != out[i])
			MISMATCH(ls, "%s: config byte 0x%zx: A 0x%02x, B 0x%02x",
				 what, i, ca[i], out[i]);
	ls_events(_metadata, ls, what);
}

static void ls_cfg_wr(META, struct lockstep *ls, unsigned int off,
		      uint32_t val, size_t len, const char *what)
{
	EXPECT_EQ(0, cfg_wr(ls->a, off, val, len)) TH_LOG("%s on A", what);
	EXPECT_EQ(0, cfg_wr(ls->b, off, val, len)) TH_LOG("%s on B", what);
	ls_events(_metadata, ls, what);
}

/* VFIO_IRQ_SET_ACTION_UNMASK on both: the same result. */
static void ls_unmask(META, struct lockstep *ls, uint32_t index,
		      const char *what)
{
	int ra = vfio_irq_set_none(ls->a->d.fd, index,
				   VFIO_IRQ_SET_ACTION_UNMASK, 0, 1);
	int rb = vfio_irq_set_none(ls->b->d.fd, index,
				   VFIO_IRQ_SET_ACTION_UNMASK, 0, 1);

	if (ra != rb)
		MISMATCH(ls, "%s: A %s, B %s", what, strerror(-ra),
			 strerror(-rb));
	ls_events(_metadata, ls, what);
}

#define W(a, port, reg, val) ASSERT_EQ(0, wr((a), (port), (reg), (val))) \
	TH_LOG("port %d reg %u", (port), (reg))
#define CW(s, off, val, len) ASSERT_EQ(0, cfg_wr((s), (off), (val), (len))) \
	TH_LOG("config 0x%x", (off))

#define LCR_8E1		(UART_LCR_WLEN8 | UART_LCR_PARITY | UART_LCR_EPAR)
#define LCR_7N1		UART_LCR_WLEN7

static void roundtrip(META, struct pair *p, const char *drv, uint32_t index)
{
	struct side *a = &p->a, *b = &p->b;
	struct lockstep ls = { .a = a, .b = b };
	bool rust = !strcmp(drv, "rust_mtty");
	bool intx = index == VFIO_PCI_INTX_IRQ_INDEX;
	uint8_t cfg[256];
	struct stream st = {};
	const uint8_t *pl = st.b + REC_HDR;
	long ea, eb;
	int fa, fb, i, ret;

	/* Both open, the same IRQ index enabled on each. */
	a->efd = efd_new();
	b->efd = efd_new();
	ASSERT_LE(0, a->efd);
	ASSERT_LE(0, b->efd);
	ret = vfio_irq_set_eventfd(a->d.fd, index, VFIO_IRQ_SET_ACTION_TRIGGER,
				   a->efd);
	ASSERT_EQ(0, ret) TH_LOG("IRQ index %u on A: %s", index,
				 strerror(-ret));
	ret = vfio_irq_set_eventfd(b->d.fd, index, VFIO_IRQ_SET_ACTION_TRIGGER,
				   b->efd);
	ASSERT_EQ(0, ret) TH_LOG("IRQ index %u on B: %s", index,
				 strerror(-ret));

	/* B: a state of its own, which the migration must replace. */
	CW(b, PCI_BASE_ADDRESS_0, 0xd000, 4);
	CW(b, PCI_INTERRUPT_LINE, 0x05, 1);
	W(b, 0, UART_FCR, UART_FCR_ENABLE_FIFO);
	W(b, 0, UART_TX, 'z');
	W(b, 0, UART_SCR, 0x11);
	W(b, 0, UART_LCR, UART_LCR_WLEN8);
	W(b, 1, UART_SCR, 0x22);

	/* A: config space as a guest's driver leaves it. */
	CW(a, PCI_BASE_ADDRESS_0, 0xc000, 4);
	CW(a, PCI_BASE_ADDRESS_1, 0xc010, 4);
	CW(a, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MASTER, 2);
	CW(a, PCI_INTERRUPT_LINE, 0x0b, 1);
	if (rust) {
		CW(a, MSI_CAP + PCI_MSI_ADDRESS_LO, 0xfee01000, 4);
		CW(a, MSI_CAP + PCI_MSI_DATA_32, 0x4023, 2);
		CW(a, MSI_CAP + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE, 2);
	}

	/* Port 0: FIFO at trigger level 4, its ring wrapped, 9 bytes queued. */
	W(a, 0, UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR |
	  UART_FCR_CLEAR_XMIT | UART_FCR_TRIGGER_4);
	for (i = 0; i < 10; i++) {
		W(a, 0, UART_TX, '0' + i);
	}
	for (i = 0; i < 10; i++) {
		EXPECT_EQ('0' + i, rd(a, 0, UART_RX));
	}
	W(a, 0, UART_LCR, UART_LCR_DLAB | LCR_8E1);
	W(a, 0, UART_DLL, 0x0c);
	W(a, 0, UART_DLM, 0x01);
	W(a, 0, UART_LCR, LCR_8E1);
	W(a, 0, UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
	W(a, 0, UART_SCR, 0xa5);
	W(a, 0, UART_IER, UART_IER_RDI | UART_IER_RLSI);
	for (i = 0; i < 9; i++) {
		W(a, 0, UART_TX, 'A' + i);
	}
	/* The first byte raised the interrupt, which is pending since. */
	EXPECT_EQ(1, efd_wait(a->efd, EVENT_MS));

	/*
	 * Port 1: FIFO at level 8, THR empty armed, overrun (17 bytes into
	 * 16), modem loop (CTS and DCD dropped, RI raised), left with DLAB
	 * set.
	 */
	W(a, 1, UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR |
	  UART_FCR_CLEAR_XMIT | UART_FCR_TRIGGER_8);
	W(a, 1, UART_IER, UART_IER_RLSI | UART_IER_THRI);
	for (i = 0; i < MTTY_FIFO_SIZE + 1; i++) {
		W(a, 1, UART_TX, 'a' + i);
	}
	W(a, 1, UART_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_OUT1);
	W(a, 1, UART_SCR, 0x5a);
	W(a, 1, UART_LCR, UART_LCR_DLAB | LCR_7N1);
	W(a, 1, UART_DLL, 0x34);
	W(a, 1, UART_DLM, 0x12);
	/*
	 * THR empty and the overrun are two new MSIs; INTx is still masked
	 * since port 0's.
	 */
	if (intx) {
		EXPECT_EQ(0, efd_wait(a->efd, NO_EVENT_MS));
	} else {
		EXPECT_EQ(2, efd_wait(a->efd, EVENT_MS));
	}
	EXPECT_EQ(0, efd_wait(b->efd, 0));

	/* A took all that (reads without side effects). */
	EXPECT_EQ(0xa5, rd(a, 0, UART_SCR));
	EXPECT_EQ(LCR_8E1, rd(a, 0, UART_LCR));
	EXPECT_EQ(UART_LSR_DR, rd(a, 0, UART_LSR) & UART_LSR_DR);
	EXPECT_EQ(0x5a, rd(a, 1, UART_SCR));
	EXPECT_EQ(0x34, rd(a, 1, UART_DLL));

	/* A -> B */
	fa = go(_metadata, a, M_STOP_COPY, true);
	EXPECT_LT(0, take(_metadata, fa, &st, 0));
	if (rust) {
		ASSERT_EQ(REC_HDR + PAYLOAD_LEN(2), st.len);
		EXPECT_EQ(intx ? 1 : 2, pl[PL_IRQ_INDEX]);
		EXPECT_EQ(intx, pl[PL_INTX_MASKED]);
	}
	fb = go(_metadata, b, M_RESUMING, true);
	ret = vfio_mig_write(fb, st.b, st.len, NULL, 0);
	ASSERT_EQ(0, ret) TH_LOG("write: %s", strerror(-ret));
	go(_metadata, b, M_STOP, false);
	go(_metadata, b, M_RUNNING, false);
	go(_metadata, a, M_RUNNING, false);
	close(fa);
	close(fb);
	/*
	 * A signals nothing on the way.  B, entering RUNNING with INTx fired
	 * and still asserted (port 0's data), announces it once on its own
	 * eventfd (migration_resumed()): its user has not seen the source's.
	 * INTx stays masked, so nothing more until the unmask below; MSI
	 * announces nothing.
	 */
	EXPECT_EQ(0, efd_wait(a->efd, NO_EVENT_MS)) TH_LOG("A at the migration");
	EXPECT_EQ(intx ? 1 : 0, efd_wait(b->efd, intx ? EVENT_MS : 0))
		TH_LOG("B at the migration");
	EXPECT_EQ(0, efd_wait(b->efd, NO_EVENT_MS)) TH_LOG("B after that");

	/* Config space: B has A's. */
	ls_cfg(_metadata, &ls, cfg, "config space");
	EXPECT_EQ(0xc001, le32(cfg + PCI_BASE_ADDRESS_0));
	EXPECT_EQ(0xc011, le32(cfg + PCI_BASE_ADDRESS_1));
	EXPECT_EQ(0x0b, cfg[PCI_INTERRUPT_LINE]);
	if (rust) {
		EXPECT_EQ(PCI_COMMAND_IO | PCI_COMMAND_MASTER,
			  cfg[PCI_COMMAND] | cfg[PCI_COMMAND + 1] << 8);
		EXPECT_EQ(0xfee01000, le32(cfg + MSI_CAP + PCI_MSI_ADDRESS_LO));
		EXPECT_EQ(0x4023, cfg[MSI_CAP + PCI_MSI_DATA_32] |
			  cfg[MSI_CAP + PCI_MSI_DATA_32 + 1] << 8);
		EXPECT_EQ(PCI_MSI_FLAGS_ENABLE,
			  cfg[MSI_CAP + PCI_MSI_FLAGS] & PCI_MSI_FLAGS_ENABLE);
	}

	/*
	 * Below, A and B are compared on every access, for both drivers.  A
	 * few absolute values are rust_mtty's alone (the "quirks" checks):
	 * mtty reads a full FIFO as empty (handle_bar_read() tests head !=
	 * tail, and 16 bytes bring head round onto tail) and clears the
	 * divisor when DLAB is set (handle_bar_write()), on A as on B.
	 */
#define R(port, reg, what) ls_rd(_metadata, &ls, (port), (reg), (what))
#define LW(port, reg, val, what) ls_wr(_metadata, &ls, (port), (reg), (val), (what))
	/* Port 1, DLAB still set: the divisor latch. */
	EXPECT_EQ(0x34, R(1, UART_DLL, "port 1 DLL"));
	EXPECT_EQ(0x12, R(1, UART_DLM, "port 1 DLM"));
	R(1, UART_IIR, "port 1 IIR");
	EXPECT_EQ(UART_LCR_DLAB | LCR_7N1, R(1, UART_LCR, "port 1 LCR"));
	EXPECT_EQ(UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_OUT1,
		  R(1, UART_MCR, "port 1 MCR"));
	EXPECT_EQ(0x5a, R(1, UART_SCR, "port 1 SCR"));
	LW(1, UART_LCR, LCR_7N1, "port 1 DLAB off");
	R(1, UART_IIR, "port 1 IIR, overrun");
	ret = R(1, UART_LSR, "port 1 LSR");
	EXPECT_EQ(UART_LSR_OE, ret & UART_LSR_OE);
	if (rust) {
		EXPECT_EQ(UART_LSR_DR, ret & UART_LSR_DR);	/* quirks */
	}
	R(1, UART_LSR, "port 1 LSR again");
	R(1, UART_MSR, "port 1 MSR");
	R(1, UART_MSR, "port 1 MSR again");
	R(1, UART_IIR, "port 1 IIR after LSR");
	R(1, UART_IIR, "port 1 IIR, THR empty acknowledged");
	EXPECT_EQ(UART_IER_RLSI | UART_IER_THRI,
		  R(1, UART_IER, "port 1 IER") & 0x0f);

	/* Port 0 */
	R(0, UART_IIR, "port 0 IIR");
	R(0, UART_MSR, "port 0 MSR");
	EXPECT_EQ(UART_IER_RDI | UART_IER_RLSI,
		  R(0, UART_IER, "port 0 IER") & 0x0f);
	EXPECT_EQ(LCR_8E1, R(0, UART_LCR, "port 0 LCR"));
	EXPECT_EQ(UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2,
		  R(0, UART_MCR, "port 0 MCR"));
	EXPECT_EQ(0xa5, R(0, UART_SCR, "port 0 SCR"));
	LW(0, UART_LCR, UART_LCR_DLAB | LCR_8E1, "port 0 DLAB on");
	ret = R(0, UART_DLL, "port 0 DLL");
	ret |= R(0, UART_DLM, "port 0 DLM") << 8;
	if (rust) {
		EXPECT_EQ(0x010c, ret);			/* quirks */
	}
	LW(0, UART_LCR, LCR_8E1, "port 0 DLAB off");
	/* The guest's handler unmasks INTx with data still pending. */
	ls_unmask(_metadata, &ls, index, "unmask with data pending");
	for (i = 0; i < 9; i++) {
		EXPECT_EQ(UART_LSR_DR, R(0, UART_LSR, "port 0 LSR") &
			  UART_LSR_DR) TH_LOG("byte %d", i);
		EXPECT_EQ('A' + i, R(0, UART_RX, "port 0 RBR"))
			TH_LOG("byte %d", i);
	}
	EXPECT_EQ(0, R(0, UART_LSR, "port 0 LSR, empty") & UART_LSR_DR);
	R(0, UART_IIR, "port 0 IIR, empty");
	ls_unmask(_metadata, &ls, index, "unmask, nothing pending");

	/* New data on port 0 */
	LW(0, UART_TX, 'x', "port 0 THR");
	R(0, UART_IIR, "port 0 IIR, new data");
	EXPECT_EQ('x', R(0, UART_RX, "port 0 RBR, new data"));
	ls_unmask(_metadata, &ls, index, "unmask after new data");

	/* Port 1's FIFO */
	for (i = 0; i < MTTY_FIFO_SIZE; i++) {
		R(1, UART_LSR, "port 1 LSR");
		ret = R(1, UART_RX, "port 1 RBR");
		if (rust) {
			EXPECT_EQ('a' + i, ret) TH_LOG("byte %d", i); /* quirks */
		}
	}
	EXPECT_EQ(0, R(1, UART_LSR, "port 1 LSR, empty") & UART_LSR_DR);
	R(1, UART_IIR, "port 1 IIR, empty");

	/* Both ports loop back. */
	for (i = 0; i < 2; i++) {
		LW(i, UART_TX, 0x60 + i, "THR");
		R(i, UART_LSR, "LSR after THR");
		ret = R(i, UART_RX, "RBR after THR");
		/* quirks: mtty's port 1 is still "full" */
		if (rust || i == 0) {
			EXPECT_EQ(0x60 + i, ret) TH_LOG("port %d", i);
		}
		R(i, UART_IIR, "IIR after RBR");
	}
	ls_unmask(_metadata, &ls, index, "unmask after the loopback");

	/* Config space writes, then all of it again. */
	ls_cfg_wr(_metadata, &ls, PCI_BASE_ADDRESS_0, 0xffffffff, 4,
		  "BAR0 sizing");
	ls_cfg(_metadata, &ls, cfg, "config space, BAR0 sized");
	ls_cfg_wr(_metadata, &ls, PCI_BASE_ADDRESS_0, 0xe000, 4, "BAR0");
	ls_cfg_wr(_metadata, &ls, PCI_INTERRUPT_LINE, 0x0a, 1,
		  "interrupt line");
	ls_cfg(_metadata, &ls, cfg, "config space at the end");
#undef R
#undef LW

	/* No late interrupt on either. */
	ea = efd_wait(a->efd, NO_EVENT_MS);
	eb = efd_wait(b->efd, 0);
	EXPECT_EQ(ea, eb) TH_LOG("late interrupts");

	/* There were interrupts to compare, and they all matched. */
	EXPECT_LT(0, ls.events);
	EXPECT_EQ(0, ls.mismatches);
}

TEST_F(mig, roundtrip_intx)
{
	KNOWN_DIFFERENCE(variant->driver,
			 "mtty_save_state()/mtty_load_state() migrate the UARTs only (struct serial_port), not config space nor the INTx mask");
	roundtrip(_metadata, &self->p, variant->driver,
		  VFIO_PCI_INTX_IRQ_INDEX);
}

TEST_F(mig, roundtrip_msi)
{
	KNOWN_DIFFERENCE(variant->driver,
			 "mtty_save_state()/mtty_load_state() migrate the UARTs only (struct serial_port), not config space");
	roundtrip(_metadata, &self->p, variant->driver,
		  VFIO_PCI_MSI_IRQ_INDEX);
}

XFAIL_ADD(mig, mtty_group, precopy_enomsg);
XFAIL_ADD(mig, mtty_cdev, precopy_enomsg);
XFAIL_ADD(mig, mtty_group, precopy_dirty);
XFAIL_ADD(mig, mtty_cdev, precopy_dirty);
XFAIL_ADD(mig, mtty_group, reopen_running);
XFAIL_ADD(mig, mtty_cdev, reopen_running);
XFAIL_ADD(mig, mtty_group, roundtrip_intx);
XFAIL_ADD(mig, mtty_cdev, roundtrip_intx);
XFAIL_ADD(mig, mtty_group, roundtrip_msi);
XFAIL_ADD(mig, mtty_cdev, roundtrip_msi);

/* ------------------------------------------------------------------------ */
/*
 * Streams into B's RESUMING fd, per driver (the path does not matter).
 * A bad one must be refused with EINVAL, by a write() or by RESUMING ->
 * STOP, which must fail in any case (a refused write poisons the file); B
 * stays in RESUMING, unchanged (its scratch registers, which the driver
 * lets the user read in RESUMING without side effect, and its interrupt
 * line keep their marks), and VFIO_DEVICE_RESET brings it back to a
 * working RUNNING.  The kernel log stays free of reports.
 */

FIXTURE(stream) {
	struct pair p;
	int kmsg;
};

MDEV_DRIVER_VARIANTS(stream);

FIXTURE_SETUP(stream)
{
	int ret;

	mdev_setup_begin();
	MDEV_REQUIRE_DRIVER(variant->driver);
	ret = pair_open(&self->p, variant->driver, VFIO_PATH_GROUP);
	ASSERT_EQ(0, ret) TH_LOG("two %s-2 instances: %s", variant->driver,
				 strerror(-ret));
	self->kmsg = kmsg_open();
	if (self->kmsg < 0) {
		side_close(&self->p.a);
		side_close(&self->p.b);
		mdev_set_remove_all(&self->p.set);
	}
	ASSERT_LE(0, self->kmsg) TH_LOG("/dev/kmsg: %m");
}

FIXTURE_TEARDOWN_PARENT(stream)
{
	mdev_teardown_begin();
	mdev_set_remove_all(&self->p.set);
}

/* A's stream, from a state of A's own. */
static void good_stream(META, struct pair *p, struct stream *st)
{
	ASSERT_EQ(0, wr(&p->a, 0, UART_SCR, 0x99));
	ASSERT_EQ(0, cfg_wr(&p->a, PCI_INTERRUPT_LINE, 0x0e, 1));
	save_stream(_metadata, &p->a, st);
	ASSERT_LE(REC_HDR + 8, st->len);
}

static void bad_stream(META, FIXTURE_DATA(stream) *self, const uint8_t *buf,
		       size_t len, int copies)
{
	struct side *b = &self->p.b;
	int fd, ret, werr = 0, i;

	ASSERT_EQ(0, wr(b, 0, UART_SCR, 0x3c));
	ASSERT_EQ(0, wr(b, 1, UART_SCR, 0xc3));
	ASSERT_EQ(0, cfg_wr(b, PCI_INTERRUPT_LINE, 0x07, 1));

	fd = go(_metadata, b, M_RESUMING, true);
	for (i = 0; i < copies && !werr; i++)
		werr = vfio_mig_write(fd, buf, len, NULL, 0);
	if (werr) {
		EXPECT_EQ(-EINVAL, werr) TH_LOG("write(): %s", strerror(-werr));
	}
	ret = vfio_mig_set_state(b->d.fd, M_STOP, NULL);
	EXPECT_EQ(-EINVAL, ret) TH_LOG("RESUMING -> STOP after %s: %s",
				       werr ? "a refused write" :
				       "writes that were taken",
				       ret ? strerror(-ret) : "done");
	EXPECT_STATE(b, M_RESUMING);
	EXPECT_EQ(0x3c, rd(b, 0, UART_SCR));
	EXPECT_EQ(0xc3, rd(b, 1, UART_SCR));
	EXPECT_EQ(0x07, cfg_rd(b, PCI_INTERRUPT_LINE, 1));

	ASSERT_EQ(0, ioctl(b->d.fd, VFIO_DEVICE_RESET)) TH_LOG("reset: %m");
	EXPECT_STATE(b, M_RUNNING);
	EXPECT_ERRNO(ENODEV, wr1(fd));
	close(fd);
	works(_metadata, b);
	kmsg_check(_metadata, self->kmsg);
}

/* The stream as the spec has it (rust_mtty's format). */
TEST_F(stream, stream_format)
{
	struct side *a = &self->p.a;
	struct stream st = {}, pre = {};
	const uint8_t *pl = st.b + REC_HDR;
	uint8_t cfg[256];
	uint64_t size = 0;
	int fd;

	KNOWN_DIFFERENCE(variant->driver,
			 "mtty's stream is its struct mtty_data (mtty_save_device_data()), without records");
	/* Pre-copy: a record that is not FINAL, then the FINAL one. */
	fd = go(_metadata, a, M_PRE_COPY, true);
	take(_metadata, fd, &pre, END_ANY);
	ASSERT_EQ(REC_HDR + PAYLOAD_LEN(2), pre.len);
	EXPECT_EQ(PAYLOAD_LEN(2), le32(pre.b));
	EXPECT_EQ(0, le32(pre.b + 4));
	go(_metadata, a, M_STOP_COPY, false);
	pre.len = 0;
	take(_metadata, fd, &pre, 0);
	ASSERT_EQ(REC_HDR + PAYLOAD_LEN(2), pre.len);
	EXPECT_EQ(PAYLOAD_LEN(2), le32(pre.b));
	EXPECT_EQ(REC_FINAL, le32(pre.b + 4));
	go(_metadata, a, M_RUNNING, false);
	close(fd);

	/* STOP_COPY from STOP: the final record alone, MIG_DATA_SIZE long. */
	ASSERT_EQ(0, cfg_wr(a, PCI_INTERRUPT_LINE, 0x0e, 1));
	ASSERT_EQ(0, vfio_mig_data_size(a->d.fd, &size));
	save_stream(_metadata, a, &st);
	ASSERT_EQ(REC_HDR + PAYLOAD_LEN(2), st.len);
	EXPECT_EQ(size, st.len);
	EXPECT_EQ(PAYLOAD_LEN(2), le32(st.b));
	EXPECT_EQ(REC_FINAL, le32(st.b + 4));
	EXPECT_EQ(0, memcmp(pl + PL_MAGIC, "RMTY", 4));
	EXPECT_EQ(1, pl[PL_VERSION] | pl[PL_VERSION + 1] << 8);
	EXPECT_EQ(2, pl[PL_PORTS]);
	EXPECT_EQ(0, pl[PL_RESERVED]);
	/* Config space as written, with no interrupt pending to show. */
	ASSERT_EQ(256, cfg_all(a, cfg));
	EXPECT_EQ(0, memcmp(pl + PL_CONFIG, cfg, sizeof(cfg)));
	EXPECT_EQ(0x0e, pl[PL_CONFIG + PCI_INTERRUPT_LINE]);
	/* No IRQ index active, INTx not masked. */
	EXPECT_EQ(0, pl[PL_IRQ_INDEX]);
	EXPECT_EQ(0, pl[PL_INTX_MASKED]);
	kmsg_check(_metadata, self->kmsg);
}

/* The last byte missing. */
TEST_F(stream, truncated)
{
	struct stream st = {};

	good_stream(_metadata, &self->p, &st);
	bad_stream(_metadata, self, st.b, st.len - 1, 1);
}

/* One byte more. */
TEST_F(stream, extended)
{
	struct stream st = {};

	KNOWN_DIFFERENCE(variant->driver,
			 "mtty_resume_write() refuses data past struct mtty_data with ENOMEM");
	good_stream(_metadata, &self->p, &st);
	st.b[st.len] = 0;
	bad_stream(_metadata, self, st.b, st.len + 1, 1);
}

/* The whole stream twice: data after the final record. */
TEST_F(stream, twice)
{
	struct stream st = {};

	KNOWN_DIFFERENCE(variant->driver,
			 "mtty_resume_write() refuses the second copy with ENOMEM, and RESUMING -> STOP loads the first");
	good_stream(_metadata, &self->p, &st);
	bad_stream(_metadata, self, st.b, st.len, 2);
}

/* Nothing at all. */
TEST_F(stream, empty)
{
	bad_stream(_metadata, self, NULL, 0, 1);
}

/*
 * The C sample's stream has no record header: the corrupted bytes are its
 * magic and version fields (struct mtty_data), which mtty_resume_write()
 * refuses with EFAULT, yet keeps, so that RESUMING -> STOP loads them.
 */
#define MTTY_KEEPS_BAD_HEADER \
	"mtty_resume_write() answers a bad header with EFAULT but keeps the data, which mtty_load_state() loads"

/* A record length past any payload */
TEST_F(stream, bad_length_huge)
{
	struct stream st = {};

	KNOWN_DIFFERENCE(variant->driver, MTTY_KEEPS_BAD_HEADER);
	good_stream(_metadata, &self->p, &st);
	put_le32(st.b, 0xffffffff);
	bad_stream(_metadata, self, st.b, st.len, 1);
}

/* A record length one short: the payload is cut, a byte follows. */
TEST_F(stream, bad_length_short)
{
	struct stream st = {};

	KNOWN_DIFFERENCE(variant->driver, MTTY_KEEPS_BAD_HEADER);
	good_stream(_metadata, &self->p, &st);
	put_le32(st.b, le32(st.b) - 1);
	bad_stream(_metadata, self, st.b, st.len, 1);
}

/* A flag that does not exist */
TEST_F(stream, bad_flags_unknown)
{
	struct stream st = {};

	KNOWN_DIFFERENCE(variant->driver, MTTY_KEEPS_BAD_HEADER);
	good_stream(_metadata, &self->p, &st);
	put_le32(st.b + 4, le32(st.b + 4) | 0x80000000);
	bad_stream(_metadata, self, st.b, st.len, 1);
}

/* No FINAL flag: a pre-copy record, and no final one. */
TEST_F(stream, bad_flags_not_final)
{
	struct stream st = {};

	KNOWN_DIFFERENCE(variant->driver, MTTY_KEEPS_BAD_HEADER);
	good_stream(_metadata, &self->p, &st);
	put_le32(st.b + 4, 0);
	bad_stream(_metadata, self, st.b, st.len, 1);
}

/* The payload's magic */
TEST_F(stream, bad_magic)
{
	struct stream st = {};

	KNOWN_DIFFERENCE(variant->driver, MTTY_KEEPS_BAD_HEADER);
	good_stream(_metadata, &self->p, &st);
	st.b[REC_HDR + PL_MAGIC] ^= 0xff;
	bad_stream(_metadata, self, st.b, st.len, 1);
}

/* The payload's format version (le16 at payload offset 4) */
TEST_F(stream, bad_version)
{
	struct stream st = {};

	KNOWN_DIFFERENCE(variant->driver, MTTY_KEEPS_BAD_HEADER);
	good_stream(_metadata, &self->p, &st);
	st.b[REC_HDR + PL_VERSION] += 1;
	bad_stream(_metadata, self, st.b, st.len, 1);
}

/* The stream of a 1-port instance into a 2-port one */
TEST_F(stream, wrong_type)
{
	struct stream st = {};
	struct side c;
	int idx, ret;

	KNOWN_DIFFERENCE(variant->driver,
			 "mtty_resume_write() refuses another nr_ports with EFAULT, not EINVAL");
	ret = mdev_set_create(&self->p.set, variant->driver, 1, &idx);
	ASSERT_EQ(0, ret) TH_LOG("create %s-1: %s", variant->driver,
				 strerror(-ret));
	ret = side_open(&c, VFIO_PATH_GROUP, self->p.set.uuid[idx], 1);
	ASSERT_EQ(0, ret) TH_LOG("open %s-1: %s", variant->driver,
				 strerror(-ret));
	ASSERT_EQ(0, wr(&c, 0, UART_SCR, 0x99));
	save_stream(_metadata, &c, &st);
	side_close(&c);
	bad_stream(_metadata, self, st.b, st.len, 1);
}

/*
 * Migration steps do not write to the kernel log: ten rounds of a saved,
 * a resumed, a refused and a reset session (some 120 steps) must not make
 * ten lines.
 */
TEST_F(stream, quiet_log)
{
	struct side *a = &self->p.a, *b = &self->p.b;
	struct stream st, bad;
	int i, fd, lines;

	KNOWN_DIFFERENCE(variant->driver,
			 "mtty_reset() logs every VFIO_DEVICE_RESET (pr_info)");
	for (i = 0; i < 10; i++) {
		st.len = 0;
		ASSERT_EQ(0, wr(a, 0, UART_SCR, i));
		save_stream(_metadata, a, &st);
		load_stream(_metadata, b, &st, NULL, 0);

		bad = st;
		bad.b[bad.len - 1] ^= 0xff;
		bad.b[REC_HDR + PL_MAGIC] ^= 0xff;
		fd = go(_metadata, b, M_RESUMING, true);
		vfio_mig_write(fd, bad.b, bad.len, NULL, 0);
		vfio_mig_set_state(b->d.fd, M_STOP, NULL);
		ASSERT_EQ(0, ioctl(b->d.fd, VFIO_DEVICE_RESET));
		close(fd);

		fd = go(_metadata, a, M_PRE_COPY, true);
		st.len = 0;
		take(_metadata, fd, &st, END_ANY);
		go(_metadata, a, M_PRE_COPY_P2P, false);
		go(_metadata, a, M_RUNNING, false);
		close(fd);
	}
	lines = kmsg_check(_metadata, self->kmsg);
	/* Tolerate unrelated messages. */
	EXPECT_GT(10, lines);
}

XFAIL_ADD(stream, mtty, stream_format);
XFAIL_ADD(stream, mtty, extended);
XFAIL_ADD(stream, mtty, twice);
XFAIL_ADD(stream, mtty, bad_length_huge);
XFAIL_ADD(stream, mtty, bad_length_short);
XFAIL_ADD(stream, mtty, bad_flags_unknown);
XFAIL_ADD(stream, mtty, bad_flags_not_final);
XFAIL_ADD(stream, mtty, bad_magic);
XFAIL_ADD(stream, mtty, bad_version);
XFAIL_ADD(stream, mtty, wrong_type);
XFAIL_ADD(stream, mtty, quiet_log);

/* ------------------------------------------------------------------------ */
/*
 * An open data fd pins the driver module, even when its instance is gone.
 * The test unloads and loads the driver; it runs last, and its teardown
 * loads the driver again if the test left it unloaded, as the next test
 * programs of the VM need it (scripts/vm-tests.sh loads the drivers once).
 */

FIXTURE(modpin) {
	struct mdev_set set;
};

MDEV_DRIVER_VARIANTS(modpin);

FIXTURE_SETUP(modpin)
{
	mdev_setup_begin();
	MDEV_REQUIRE_DRIVER(variant->driver);
}

FIXTURE_TEARDOWN_PARENT(modpin)
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

TEST_F_TIMEOUT(modpin, data_fd_pins_module, 180)
{
	const char *drv = variant->driver;
	const char *ko = getenv("RUST_MTTY_KO");
	struct side s;
	long base;
	int idx, fd, ret;

	if (!strcmp(drv, "rust_mtty") && (!ko || !path_exists(ko)))
		SKIP(return, "no RUST_MTTY_KO (\"%s\"): rust_mtty could not be loaded again",
		     ko ? ko : "");
	base = module_refcnt(drv);
	ASSERT_LE(0, base) TH_LOG("%s refcnt: %s", drv, strerror(-base));

	ASSERT_EQ(0, mdev_set_create(&self->set, drv, 1, &idx));
	ret = side_open(&s, VFIO_PATH_GROUP, self->set.uuid[idx], 1);
	ASSERT_EQ(0, ret) TH_LOG("open: %s", strerror(-ret));
	fd = go(_metadata, &s, M_PRE_COPY, true);
	side_close(&s);
	ASSERT_EQ(0, mdev_set_remove(&self->set, idx));

	EXPECT_LT(base, module_refcnt(drv)) TH_LOG("%s not pinned by the data fd",
						   drv);
	/* A module in use: delete_module() says EWOULDBLOCK (try_stop_module()) */
	ret = module_unload(drv);
	/* If it did go, closing the fd calls into freed code: nothing to do. */
	ASSERT_ERRNO(EWOULDBLOCK, ret) TH_LOG("unload %s under a data fd: %s",
					      drv, ret ? strerror(-ret) :
					      "unloaded");
	EXPECT_TRUE(mdev_parent_present(drv));
	EXPECT_ERRNO(ENODEV, rd1(fd));

	ASSERT_EQ(0, close(fd));
	EXPECT_EQ(base, module_refcnt(drv));
	ret = module_unload(drv);
	ASSERT_EQ(0, ret) TH_LOG("unload %s: %s (refcnt %ld)", drv,
				 strerror(-ret), module_refcnt(drv));
	EXPECT_FALSE(module_loaded(drv));
	ret = mdev_driver_load(drv);
	ASSERT_EQ(0, ret) TH_LOG("load %s: %s", drv, strerror(-ret));
	ASSERT_TRUE(mdev_parent_present(drv));

	/* The new driver works and migrates. */
	ASSERT_EQ(0, mdev_set_create(&self->set, drv, 1, &idx));
	ASSERT_EQ(0, side_open(&s, VFIO_PATH_GROUP, self->set.uuid[idx], 1));
	fd = go(_metadata, &s, M_STOP_COPY, true);
	go(_metadata, &s, M_RUNNING, false);
	close(fd);
	works(_metadata, &s);
	side_close(&s);
}

MDEV_HARNESS_MAIN
