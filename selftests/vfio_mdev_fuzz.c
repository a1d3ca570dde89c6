// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded, reproducible fuzzer for the mdev drivers (mtty, rust_mtty).
 *
 * It runs a random sequence of operations on two instances of the driver
 * (a 1-port and a 2-port one), on the group and the cdev paths at once:
 * reads and writes of every region at any offset, size and alignment;
 * every device ioctl with random argsz, flags, indexes, counts and payloads
 * (SET_IRQS with arrays of good, closed and non-eventfd fds); resets;
 * VFIO_DEVICE_FEATURE (migration states, their data files, DMA logging);
 * opening and closing of extra group, device and cdev fds, cdev binds and
 * IOAS attach/detach; KVM association changes (KVM_DEV_VFIO_FILE_ADD/DEL)
 * and VM creation and destruction.
 *
 * It checks invariants, not only survival:
 * - every call returns 0 or an errno from the table below (allowed[]),
 *   which lists, per call, the errnos that include/uapi/linux/vfio.h, the
 *   VFIO core (drivers/vfio/), virt/kvm/vfio.c and iommufd return for it;
 * - where the outcome follows from the input alone, the exact result:
 *   reads and writes (a model of each driver's access rules), the info
 *   ioctls (argsz, index, and the same answer every time), the fixed
 *   config space IDs in every read that covers them, SET_IRQS and
 *   FEATURE argument checks, KVM FILE_ADD/DEL (EEXIST/ENOENT);
 * - every SANITY_EVERY operations and at the end, on every open device:
 *   the config space IDs and a UART loopback;
 * - every KMSG_EVERY operations, no kernel splat (scripts/splat.ere's
 *   patterns) since the start, so that a report is tied to the operations
 *   that caused it;
 * - at the end, after all fds are closed: the VM count and every module's
 *   reference count (/sys/module/x/refcnt) are where they began, a fresh
 *   open of each instance on both paths works, available_instances is
 *   back after the instances are removed, and kmemleak reports nothing
 *   new.
 *
 * A failure prints the seed and the index of the operation, with the
 * command that replays the run up to it.  Settings (environment, or
 * arguments before the harness's own):
 *   FUZZ_SEED / --seed S     the seed (default: a fixed one, so that make
 *                            check is reproducible; `make fuzz` picks one)
 *   FUZZ_COUNT / --count N   operations per driver (default 100000)
 *   FUZZ_STOP / --stop N     run only operations 0..N-1, then the final
 *                            checks (the prefix of a failing run)
 *   FUZZ_TRACE / --trace M   print every operation from index M on
 *
 * Per-driver differences.  The C sample does no bounds checking, so some
 * inputs would corrupt kernel memory with it; the fuzzer does not send
 * those to mtty, and its model knows mtty's other answers:
 * - BAR2-5 accesses (mtty indexes its 2-element port array with the BAR
 *   number): not sent to mtty;
 * - config space reads past its 0xff-byte buffer: not sent to mtty (its
 *   writes are ignored outside a few registers);
 * - config writes that mtty splits into a piece of 1 or 2 bytes at a BAR
 *   register (0x10, 0x14): handle_pci_cfg_write() reads 4 bytes from the
 *   piece's buffer there; not sent to mtty;
 * - data written to a RESUMING migration file (mtty loads the FIFO indices
 *   it carries without checking them, and then indexes a 16-byte FIFO with
 *   them): none written to mtty's;
 * - a migration state SET on mtty after a device fd was closed: mtty keeps
 *   its migration state across the last close but drops its data files
 *   there, and RESUMING -> STOP then dereferences the missing file
 *   (mtty_load_state(): a NULL pointer Oops, found by this fuzzer); the
 *   fuzzer resets an mtty device first (VFIO_DEVICE_RESET, which mtty
 *   turns into RUNNING) when one of its fds was closed since;
 * - mtty splits any access into 4/2/1-byte pieces and accepts any offset
 *   in a BAR, answers EFAULT for the ROM and VGA regions, and refuses IRQ
 *   ioctls until VFIO_DEVICE_GET_INFO was called once on the instance;
 *   rust_mtty accepts only naturally aligned 1/2/4-byte accesses (and
 *   dword runs in config space) within a region, EINVAL otherwise.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/iommufd.h>
#include <linux/kvm.h>
#include <linux/pci_regs.h>
#include <linux/serial_reg.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "mdev_harness.h"
#include "mtty_device.h"

#define DEFAULT_SEED	20261202ULL
#define DEFAULT_COUNT	100000L
#define SANITY_EVERY	5000
#define KMSG_EVERY	1000
/*
 * The harness's hang guard: this many seconds for every 100000 operations
 * (and 100000 more for the setup and the final checks), 5x the slowest
 * run measured (Documentation/testing.rst, "The fuzzer").
 */
#define FUZZ_SECS_PER_100K	1800

#define NINST	2	/* instances: a 1-port and a 2-port one */
#define NGDEV	3	/* device fds from the group, per instance */
#define NCDEV	3	/* cdev fds, per instance */
#define NVM	2	/* VMs with a kvm-vfio device */
#define NDATA	2	/* migration data fds */
#define NREG	VFIO_PCI_NUM_REGIONS
#define NIRQ	VFIO_PCI_NUM_IRQS
#define BUFSZ	(64 * 1024)

static uint64_t opt_seed = DEFAULT_SEED;
static long opt_count = DEFAULT_COUNT;
static long opt_stop = -1;
static long opt_trace = -1;
static bool opt_seed_given;

/* ------------------------------------------------------------------------ */
/* State */

enum cdev_state { CDEV_UNBOUND, CDEV_BOUND, CDEV_ATTACHED };

struct tfd {			/* an fd and the VMs its file was added to */
	int fd;
	unsigned int vms;
	int state;		/* cdev fds: enum cdev_state */
};

struct inst {
	char uuid[MDEV_UUID_LEN + 1];
	int nports;
	int grp_num;
	int container;
	struct tfd group;
	unsigned int group_ghost; /* VMs holding the group's closed file */
	struct tfd gdev[NGDEV];
	int iommufd;
	uint32_t ioas;
	struct tfd cdev[NCDEV];
	/* What the info ioctls answered first; later answers must match. */
	uint64_t rsize[NREG];
	uint32_t rflags[NREG];
	uint32_t irqflags[NIRQ], irqcount[NIRQ];
	bool irqknown[NIRQ];
	bool mtty_info;		/* mtty: GET_INFO seen (it persists) */
	bool mtty_stale;	/* mtty: a device fd was closed since a reset */
};

struct fz {
	const char *drv;
	bool mtty;
	uint64_t rng;
	long op;
	struct inst in[NINST];
	struct kvm_vm vm[NVM];
	bool vm_live[NVM];
	int data[NDATA];
	int efd[3], nullfd, closedfd;
	uint8_t *buf;		/* BUFSZ bytes, then a PROT_NONE page */
	uint8_t *bad;		/* the PROT_NONE page */
	char desc[320];
	bool failed;
	long nops[64];		/* operations run, per kind */
	uint64_t us[64];	/* and the time they took */
	long nerr;		/* calls that failed as allowed */
	struct kmsg_watch kmsg;
};

/* ------------------------------------------------------------------------ */
/* Random numbers: splitmix64, reproducible from the seed alone. */

static uint64_t rnd(struct fz *f)
{
	uint64_t z = (f->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rn(struct fz *f, uint32_t n)	/* 0..n-1 */
{
	return n ? rnd(f) % n : 0;
}

static bool chance(struct fz *f, unsigned int percent)
{
	return rn(f, 100) < percent;
}

/* ------------------------------------------------------------------------ */
/* Failure reports */

#define FAIL(f, fmt, ...) do { \
	fz_fail((f), _metadata, "%s: " fmt, (f)->desc, ##__VA_ARGS__); \
} while (0)

static void fz_fail(struct fz *f, struct __test_metadata *_metadata,
		    const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fz_fail(struct fz *f, struct __test_metadata *_metadata,
		    const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ksft_print_msg("fuzz: FAIL driver %s seed %llu op %ld: %s\n", f->drv,
		       (unsigned long long)opt_seed, f->op, msg);
	ksft_print_msg("fuzz: replay: MDEV_DRIVER=%s FUZZ_SEED=%llu FUZZ_STOP=%ld FUZZ_TRACE=%ld vfio_mdev_fuzz\n",
		       f->drv, (unsigned long long)opt_seed, f->op + 1,
		       f->op > 20 ? f->op - 20 : 0);
	f->failed = true;
	_metadata->exit_code = KSFT_FAIL;
}

static const char *ename(int e)
{
	static char bufs[4][32];
	static int next;
	char *b = bufs[next++ % 4];

	if (e >= 0) {
		snprintf(b, sizeof(bufs[0]), "%d", e);
		return b;
	}
	snprintf(b, sizeof(bufs[0]), "%s", strerrorname_np(-e) ?: "?");
	return b;
}

/* -errno list, 0-terminated */
#define E(...) ((const int[]){ __VA_ARGS__, 0 })

static bool in_list(int ret, const int *list)
{
	for (; *list; list++)
		if (ret == -*list)
			return true;
	return false;
}

/*
 * The per-call errno table: what each call may fail with, and where that
 * comes from.
 */
#define ALLOWED_READ	E(EINVAL, EFAULT)	/* core: !access_granted; driver: region, size; copy */
#define ALLOWED_INFO	E(EINVAL, EFAULT)	/* argsz < minsz, bad index; copy */
#define ALLOWED_SETIRQ	E(EINVAL, EBADF, ENOTTY, EFAULT) /* vfio_set_irqs_validate_and_prepare, eventfd_ctx_fdget, unsupported action */
#define ALLOWED_FEATURE	E(EINVAL, ENOTTY, EFAULT, E2BIG, EOVERFLOW, ENOMEM) /* vfio_ioctl_device_feature*, vfio_check_feature, mig_ops */
#define ALLOWED_DATA_RD	E(EINVAL, ENODEV, ENOMSG, EFAULT, EBADF) /* uAPI: ENOMSG ends a pre-copy read; disabled file; O_WRONLY */
#define ALLOWED_DATA_WR	E(EINVAL, ENODEV, EFAULT, EBADF, ENOMEM, EFBIG, ENOSPC)
#define ALLOWED_PRECOPY	E(EINVAL, ENOTTY, ENODEV, EFAULT) /* VFIO_MIG_GET_PRECOPY_INFO: not in PRE_COPY; resume file */
#define ALLOWED_OTHER	E(ENOTTY, EINVAL)	/* unknown ioctl; not granted */
#define ALLOWED_BIND	E(EINVAL, EBUSY, EBADF, EBADFD) /* device_cdev.c, vfio_device_block_group, iommufd_ctx_from_fd */
#define ALLOWED_ATTACH	E(EINVAL, ENOENT, EBUSY, EFAULT) /* device_cdev.c, iommufd_access_attach */
#define ALLOWED_DETACH	E(EINVAL, EFAULT)
#define ALLOWED_GETFD	E(ENODEV, EINVAL, EBUSY, EPERM, EFAULT) /* group.c */
#define ALLOWED_GOPEN	E(EBUSY)		/* group open: opened, or a cdev bound */
#define ALLOWED_KVMADD	E(EBADF, EINVAL, EEXIST, ENOMEM) /* virt/kvm/vfio.c */
#define ALLOWED_KVMDEL	E(EBADF, ENOENT)

/*
 * Check one result: @exp is the exact expected result (a value >= 0 or
 * -errno) or EXP_ANY, and @allowed the errnos the call may fail with.
 */
#define EXP_ANY INT_MIN

static bool check(struct fz *f, struct __test_metadata *_metadata, int ret,
		  int exp, const int *allowed)
{
	if (exp != EXP_ANY && ret != exp) {
		FAIL(f, "returned %s, expected %s", ename(ret), ename(exp));
		return false;
	}
	if (ret < 0 && !in_list(ret, allowed)) {
		FAIL(f, "returned %s, not an errno this call may return",
		     ename(ret));
		return false;
	}
	if (ret < 0)
		f->nerr++;
	return true;
}

#define CHECK(ret, exp, allowed) check(f, _metadata, (ret), (exp), (allowed))

/* ------------------------------------------------------------------------ */
/* Helpers */

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static const char *region_name(uint32_t idx)
{
	static const char *const n[] = { "bar0", "bar1", "bar2", "bar3",
		"bar4", "bar5", "rom", "config", "vga" };

	return idx < NREG ? n[idx] : "none";
}

/* A device fd of the fuzzer's: which instance, and is it granted. */
struct devfd {
	struct inst *in;
	struct tfd *t;
	bool granted;
	bool cdev;
};

static int collect_devfds(struct fz *f, struct devfd *out)
{
	int n = 0, i, j;

	for (i = 0; i < NINST; i++) {
		struct inst *in = &f->in[i];

		for (j = 0; j < NGDEV; j++)
			if (in->gdev[j].fd >= 0)
				out[n++] = (struct devfd){ in, &in->gdev[j],
							   true, false };
		for (j = 0; j < NCDEV; j++)
			if (in->cdev[j].fd >= 0)
				out[n++] = (struct devfd){ in, &in->cdev[j],
					in->cdev[j].state != CDEV_UNBOUND, true };
	}
	return n;
}

static bool pick_devfd(struct fz *f, struct devfd *d, bool granted_only)
{
	struct devfd all[NINST * (NGDEV + NCDEV)];
	int n = collect_devfds(f, all), i, k = 0;

	if (granted_only) {
		for (i = 0; i < n; i++)
			if (all[i].granted)
				all[k++] = all[i];
		n = k;
	}
	if (!n)
		return false;
	*d = all[rn(f, n)];
	return true;
}

/* A free slot in an array of tfd, or NULL. */
static struct tfd *free_tfd(struct tfd *t, int n)
{
	for (int i = 0; i < n; i++)
		if (t[i].fd < 0)
			return &t[i];
	return NULL;
}

/* Some eventfd-ish value for SET_IRQS data. */
static int32_t pick_irqfd(struct fz *f)
{
	switch (rn(f, 8)) {
	case 0: case 1: case 2:
		return f->efd[rn(f, 3)];
	case 3:
		return -1;
	case 4:
		return f->closedfd;
	case 5:
		return f->nullfd;
	case 6:
		return -(int32_t)rn(f, 5) - 2;
	default:
		return (int32_t)rnd(f);
	}
}

/* ------------------------------------------------------------------------ */
/* The access model of each driver: the exact result of a read or write. */

static int expect_rw(struct fz *f, struct devfd *d, bool write,
		     uint64_t pos, size_t len, bool badbuf)
{
	uint64_t idx = pos >> 40, off = pos & ((1ULL << 40) - 1);
	struct inst *in = d->in;

	if (!d->granted)
		return -EINVAL;		/* vfio_device_fops_read/write */
	if (f->mtty) {
		if (!len)
			return 0;
		if (idx <= VFIO_PCI_BAR1_REGION_INDEX ||
		    idx == VFIO_PCI_CONFIG_REGION_INDEX)
			return badbuf ? -EFAULT : (int)len;
		return -EFAULT;		/* mdev_access() fails: -EFAULT */
	}
	if (!len)
		return 0;
	if (idx >= NREG)
		return -EINVAL;
	{
		bool single = (len == 1 || len == 2 || len == 4) &&
			      !(off % len);
		bool dwords = idx == VFIO_PCI_CONFIG_REGION_INDEX &&
			      !(len % 4) && !(off % 4);

		if (len > 0x100 || !(single || dwords) || !in->rsize[idx] ||
		    off + len > in->rsize[idx])
			/* a write copies the data in first */
			return write && badbuf && len <= 0x100 ? EXP_ANY : -EINVAL;
	}
	return badbuf ? -EFAULT : (int)len;
}

/* ------------------------------------------------------------------------ */
/* Operations */

enum {
	OP_READ, OP_WRITE, OP_INFO, OP_SETIRQ, OP_RESET, OP_FEATURE, OP_DATA,
	OP_OTHER, OP_CDEV_OPEN, OP_CDEV_BIND, OP_CDEV_ATTACH, OP_CDEV_DETACH,
	OP_CDEV_CLOSE, OP_GETFD, OP_GDEV_CLOSE, OP_GROUP_CLOSE, OP_GROUP_OPEN,
	OP_GROUP_STATUS, OP_KVM_ADD, OP_KVM_DEL, OP_VM_CREATE, OP_VM_DESTROY,
	OP_SANITY, OP_NUM
};

static const char *const op_names[OP_NUM] = {
	"read", "write", "info", "set_irqs", "reset", "feature", "data_fd",
	"other_ioctl", "cdev_open", "cdev_bind", "cdev_attach", "cdev_detach",
	"cdev_close", "group_get_device_fd", "group_device_close",
	"group_close", "group_open", "group_status", "kvm_file_add",
	"kvm_file_del", "vm_create", "vm_destroy", "sanity",
};

/*
 * Weights, per thousand.  Creating and destroying a VM are rare: on the
 * debug kernel a destroy took a second (KVM's teardown under KASAN and
 * lockdep), and at 3 per thousand the 290 of 100,000 operations were 38%
 * of the run; at 1 each there are still about a hundred per run, and an
 * association changes 43 times per thousand (kvm_file_add/del).
 */
static const int op_weight[OP_NUM] = {
	[OP_READ] = 220, [OP_WRITE] = 200, [OP_INFO] = 110, [OP_SETIRQ] = 130,
	[OP_RESET] = 15, [OP_FEATURE] = 90, [OP_DATA] = 40, [OP_OTHER] = 25,
	[OP_CDEV_OPEN] = 12, [OP_CDEV_BIND] = 18, [OP_CDEV_ATTACH] = 12,
	[OP_CDEV_DETACH] = 8, [OP_CDEV_CLOSE] = 12, [OP_GETFD] = 14,
	[OP_GDEV_CLOSE] = 12, [OP_GROUP_CLOSE] = 5, [OP_GROUP_OPEN] = 7,
	[OP_GROUP_STATUS] = 5, [OP_KVM_ADD] = 25, [OP_KVM_DEL] = 18,
	[OP_VM_CREATE] = 1, [OP_VM_DESTROY] = 1, [OP_SANITY] = 1,
};

/*
 * Would mtty's split of a config write give a piece of less than 4 bytes
 * at a BAR register (0x10, 0x14, of the offset cut to 16 bits)?
 * handle_pci_cfg_write() reads 4 bytes from the piece there.
 */
static bool mtty_short_bar_write(uint64_t off, size_t len)
{
	while (len) {
		size_t piece = len >= 4 && !(off % 4) ? 4 :
			       len >= 2 && !(off % 2) ? 2 : 1;
		uint16_t o = off;

		if (piece < 4 && (o == 0x10 || o == 0x14))
			return true;
		off += piece;
		len -= piece;
	}
	return false;
}

static void op_rw(struct fz *f, struct __test_metadata *_metadata, bool write)
{
	struct devfd d;
	uint32_t idx;
	uint64_t off, size, pos;
	size_t len;
	uint8_t *p;
	bool badbuf;
	int ret, exp;
	static const size_t lens[] = { 0, 1, 2, 3, 4, 5, 6, 8, 12, 16, 64 };

	if (!pick_devfd(f, &d, chance(f, 95)))
		return;
	/* the region: mostly real ones */
	switch (rn(f, 10)) {
	case 0: case 1: case 2:
		idx = VFIO_PCI_CONFIG_REGION_INDEX;
		break;
	case 3: case 4: case 5:
		idx = VFIO_PCI_BAR0_REGION_INDEX;
		break;
	case 6:
		idx = VFIO_PCI_BAR1_REGION_INDEX;
		break;
	case 7: case 8:
		idx = rn(f, NREG);
		break;
	default:
		idx = chance(f, 50) ? NREG + rn(f, 8) : (uint32_t)rn(f, 1 << 23);
		break;
	}
	/* mtty indexes its 2-port array with the BAR number */
	if (f->mtty && idx >= VFIO_PCI_BAR2_REGION_INDEX &&
	    idx <= VFIO_PCI_BAR5_REGION_INDEX)
		idx = rn(f, 2);
	size = idx < NREG ? d.in->rsize[idx] : 0;
	len = chance(f, 85) ? lens[rn(f, ARRAY_SIZE(lens))] : rn(f, 300);
	switch (rn(f, 6)) {
	case 0: case 1: case 2:
		off = rn(f, size + 8);
		break;
	case 3:
		off = size > len ? size - len + rn(f, 3) : rn(f, 4);
		break;
	case 4:
		off = rn(f, 16) * 4;
		break;
	default:
		off = rnd(f) & ((1ULL << 40) - 1);
		break;
	}
	if (f->mtty) {
		if (idx == VFIO_PCI_CONFIG_REGION_INDEX && !write &&
		    off + len > 0xff) {
			/* its config buffer is 0xff bytes, unchecked */
			if (len > 0xff)
				len = rn(f, 0x100);
			off = rn(f, 0x100 - len);
		}
		if (len > 64)
			len = 64;	/* a byte-sized access each, slowly */
		if (idx == VFIO_PCI_CONFIG_REGION_INDEX && write &&
		    mtty_short_bar_write(off, len)) {
			/* it reads 4 bytes from a 1- or 2-byte piece there */
			off = rn(f, 4) * 4;
			len = 4;
		}
	}
	pos = ((uint64_t)idx << 40) | off;
	badbuf = chance(f, 2);
	p = badbuf ? (chance(f, 50) ? f->bad : (uint8_t *)8) : f->buf;
	if (write && !badbuf)
		for (size_t i = 0; i < len; i++)
			f->buf[i] = rnd(f);
	snprintf(f->desc, sizeof(f->desc),
		 "%s fd %d (%s%s, %s) %s+%#llx len %zu%s", write ? "pwrite" : "pread",
		 d.t->fd, d.cdev ? "cdev" : "group", d.granted ? "" : " unbound",
		 d.in->uuid, region_name(idx), (unsigned long long)off, len,
		 badbuf ? " bad buffer" : "");
	if (write)
		ret = pwrite(d.t->fd, p, len, pos);
	else
		ret = pread(d.t->fd, p, len, pos);
	if (ret < 0)
		ret = -errno;
	exp = expect_rw(f, &d, write, pos, len, badbuf);
	if (exp == EXP_ANY)
		exp = ret == -EFAULT || ret == -EINVAL ? ret : -EINVAL;
	if (!CHECK(ret, exp, ALLOWED_READ))
		return;
	/* The IDs are read-only: every read that covers them sees them. */
	if (!write && ret > 0 && idx == VFIO_PCI_CONFIG_REGION_INDEX && off < 4) {
		static const uint8_t id[4] = { 0x48, 0x43, 0x53, 0x32 };

		for (uint64_t b = off; b < 4 && b < off + len; b++)
			if (f->buf[b - off] != id[b])
				FAIL(f, "config byte %llu reads %#x, not %#x",
				     (unsigned long long)b, f->buf[b - off], id[b]);
	}
}

static void op_info(struct fz *f, struct __test_metadata *_metadata)
{
	struct devfd d;
	uint32_t *a = (uint32_t *)f->buf;
	uint32_t argsz, idx, flags;
	bool bad;
	int ret, exp, kind;
	static const unsigned long cmd[] = { VFIO_DEVICE_GET_INFO,
		VFIO_DEVICE_GET_REGION_INFO, VFIO_DEVICE_GET_IRQ_INFO };
	static const uint32_t minsz[] = { 16, 32, 16 };
	static const char *const names[] = { "GET_INFO", "GET_REGION_INFO",
					     "GET_IRQ_INFO" };

	if (!pick_devfd(f, &d, chance(f, 95)))
		return;
	kind = rn(f, 3);
	argsz = chance(f, 70) ? (kind == 1 ? 32 : 16) + rn(f, 3) * 4 :
		chance(f, 50) ? rn(f, 40) : (uint32_t)rnd(f);
	idx = chance(f, 80) ? rn(f, kind == 1 ? NREG + 1 : NIRQ + 1) :
		(uint32_t)rnd(f);
	flags = chance(f, 80) ? 0 : (uint32_t)rnd(f);
	memset(a, 0xa5, 64);
	a[0] = argsz;
	a[1] = flags;
	a[2] = idx;
	bad = chance(f, 2);
	snprintf(f->desc, sizeof(f->desc), "%s fd %d (%s%s) argsz %u flags %#x index %u%s",
		 names[kind], d.t->fd, d.cdev ? "cdev" : "group",
		 d.granted ? "" : " unbound", argsz, flags, idx,
		 bad ? " bad pointer" : "");
	ret = xioctl(d.t->fd, cmd[kind], bad ? (void *)f->bad : a);
	if (!d.granted)
		exp = -EINVAL;
	else if (bad)
		exp = -EFAULT;
	else if (argsz < minsz[kind])
		exp = -EINVAL;
	else if (kind == 1 && idx >= NREG)
		exp = -EINVAL;
	else if (kind == 2 && f->mtty)
		exp = d.in->mtty_info && idx <= VFIO_PCI_MSI_IRQ_INDEX ?
			0 : -EINVAL;
	else if (kind == 2 && idx >= NIRQ)
		exp = -EINVAL;
	else
		exp = 0;
	if (!CHECK(ret, exp, ALLOWED_INFO) || ret)
		return;
	switch (kind) {
	case 0: {
		struct vfio_device_info *i = (void *)a;

		if (!(i->flags & VFIO_DEVICE_FLAGS_PCI) ||
		    i->num_regions != NREG || i->num_irqs != NIRQ)
			FAIL(f, "flags %#x regions %u irqs %u", i->flags,
			     i->num_regions, i->num_irqs);
		d.in->mtty_info = true;
		break;
	}
	case 1: {
		struct vfio_region_info *r = (void *)a;

		if (r->offset != (uint64_t)idx << 40 ||
		    r->size != d.in->rsize[idx] || r->flags != d.in->rflags[idx])
			FAIL(f, "offset %#llx size %#llx flags %#x, first seen size %#llx flags %#x",
			     (unsigned long long)r->offset,
			     (unsigned long long)r->size, r->flags,
			     (unsigned long long)d.in->rsize[idx],
			     d.in->rflags[idx]);
		break;
	}
	case 2: {
		struct vfio_irq_info *q = (void *)a;

		if (!d.in->irqknown[idx]) {
			d.in->irqknown[idx] = true;
			d.in->irqflags[idx] = q->flags;
			d.in->irqcount[idx] = q->count;
		} else if (q->flags != d.in->irqflags[idx] ||
			   q->count != d.in->irqcount[idx]) {
			FAIL(f, "flags %#x count %u, first seen %#x %u",
			     q->flags, q->count, d.in->irqflags[idx],
			     d.in->irqcount[idx]);
		}
		if (idx <= VFIO_PCI_MSI_IRQ_INDEX &&
		    (q->count != 1 || !(q->flags & VFIO_IRQ_INFO_EVENTFD)))
			FAIL(f, "INTx/MSI: flags %#x count %u", q->flags,
			     q->count);
		break;
	}
	}
}

static void op_setirq(struct fz *f, struct __test_metadata *_metadata)
{
	struct devfd d;
	struct vfio_irq_set *s = (void *)f->buf;
	uint32_t dtype, action, n, argsz, extra;
	size_t dsize;
	bool bad, flags_ok;
	int ret, exp = EXP_ANY;
	static const uint32_t dtypes[] = { VFIO_IRQ_SET_DATA_NONE,
		VFIO_IRQ_SET_DATA_BOOL, VFIO_IRQ_SET_DATA_EVENTFD };
	static const uint32_t actions[] = { VFIO_IRQ_SET_ACTION_MASK,
		VFIO_IRQ_SET_ACTION_UNMASK, VFIO_IRQ_SET_ACTION_TRIGGER };

	if (!pick_devfd(f, &d, chance(f, 97)))
		return;
	dtype = dtypes[rn(f, 3)];
	if (chance(f, 3))
		dtype |= dtypes[rn(f, 3)];
	action = chance(f, 70) ? VFIO_IRQ_SET_ACTION_TRIGGER : actions[rn(f, 3)];
	if (chance(f, 3))
		action |= actions[rn(f, 3)];
	extra = chance(f, 3) ? 1u << (6 + rn(f, 26)) : 0;
	memset(s, 0, 256);
	s->flags = dtype | action | extra;
	s->index = chance(f, 85) ? rn(f, 2) : chance(f, 70) ? rn(f, NIRQ + 2) :
		   (uint32_t)rnd(f);
	s->start = chance(f, 90) ? 0 : chance(f, 50) ? rn(f, 3) : (uint32_t)rnd(f);
	s->count = chance(f, 80) ? 1 : chance(f, 60) ? rn(f, 4) : (uint32_t)rnd(f);
	n = s->count < 8 ? s->count : 8;
	dsize = dtype == VFIO_IRQ_SET_DATA_BOOL ? n :
		dtype == VFIO_IRQ_SET_DATA_EVENTFD ? 4 * n : 0;
	for (uint32_t i = 0; i < n; i++) {
		if (dtype == VFIO_IRQ_SET_DATA_BOOL)
			s->data[i] = rn(f, 2) ? (uint8_t)rnd(f) : 0;
		else if (dtype == VFIO_IRQ_SET_DATA_EVENTFD)
			((int32_t *)s->data)[i] = pick_irqfd(f);
	}
	argsz = sizeof(*s) + dsize;
	if (chance(f, 10))
		argsz = chance(f, 50) ? rn(f, argsz + 8) : (uint32_t)rnd(f) & 0xfff;
	s->argsz = argsz;
	bad = chance(f, 1);
	/*
	 * The core checks for unknown bits and one data type; rust_mtty also
	 * for one action, mtty ignores a request with several.
	 */
	flags_ok = !extra && __builtin_popcount(dtype) == 1 &&
		   (f->mtty || __builtin_popcount(action) == 1);
	snprintf(f->desc, sizeof(f->desc),
		 "SET_IRQS fd %d (%s%s) argsz %u flags %#x index %u start %u count %u data %d,%d%s",
		 d.t->fd, d.cdev ? "cdev" : "group", d.granted ? "" : " unbound",
		 argsz, s->flags, s->index, s->start, s->count,
		 dtype == VFIO_IRQ_SET_DATA_EVENTFD && n ? ((int32_t *)s->data)[0] : -9,
		 dtype == VFIO_IRQ_SET_DATA_EVENTFD && n > 1 ? ((int32_t *)s->data)[1] : -9,
		 bad ? " bad pointer" : "");
	ret = xioctl(d.t->fd, VFIO_DEVICE_SET_IRQS, bad ? (void *)f->bad : s);
	if (!d.granted)
		exp = -EINVAL;
	else if (bad)
		exp = -EFAULT;
	else if (argsz < sizeof(*s) || !flags_ok)
		exp = -EINVAL;	/* vfio_set_irqs_validate_and_prepare */
	else if (f->mtty && !d.in->mtty_info)
		exp = -EINVAL;	/* mtty: num_irqs 0 until GET_INFO */
	CHECK(ret, exp, ALLOWED_SETIRQ);
}

static void op_reset(struct fz *f, struct __test_metadata *_metadata)
{
	struct devfd d;
	int ret;

	if (!pick_devfd(f, &d, chance(f, 97)))
		return;
	snprintf(f->desc, sizeof(f->desc), "RESET fd %d (%s%s)", d.t->fd,
		 d.cdev ? "cdev" : "group", d.granted ? "" : " unbound");
	ret = xioctl(d.t->fd, VFIO_DEVICE_RESET, NULL);
	CHECK(ret, d.granted ? 0 : -EINVAL, E(EINVAL));
}

/* mtty: see the top of the file. */
static void mtty_unstale(struct fz *f, struct devfd *d)
{
	if (!f->mtty || !d->in->mtty_stale || !d->granted)
		return;
	if (!ioctl(d->t->fd, VFIO_DEVICE_RESET, NULL))
		d->in->mtty_stale = false;
}

static void keep_data_fd(struct fz *f, int fd)
{
	int i = rn(f, NDATA);

	for (int j = 0; j < NDATA; j++)
		if (f->data[j] < 0) {
			i = j;
			break;
		}
	close_fd(&f->data[i]);
	f->data[i] = fd;
}

static void op_feature(struct fz *f, struct __test_metadata *_metadata)
{
	struct vfio_device_feature *ft = (void *)f->buf;
	uint8_t *payload = f->buf + 4096;
	struct devfd d;
	uint32_t feat, gs, argsz, datalen = 0;
	bool bad;
	int ret, exp = EXP_ANY;
	static const uint32_t feats[] = {
		VFIO_DEVICE_FEATURE_MIGRATION,
		VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
		VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
		VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
		VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
		VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP,
		VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT,
		VFIO_DEVICE_FEATURE_MIG_DATA_SIZE,
	};
	static const uint32_t gss[] = { VFIO_DEVICE_FEATURE_GET,
		VFIO_DEVICE_FEATURE_SET, VFIO_DEVICE_FEATURE_PROBE };

	if (!pick_devfd(f, &d, chance(f, 97)))
		return;
	feat = chance(f, 90) ? feats[rn(f, ARRAY_SIZE(feats))] : rn(f, 16);
	gs = gss[rn(f, 3)];
	if (chance(f, 20))
		gs |= gss[rn(f, 3)];
	/* the usual direction of the feature, mostly */
	if (chance(f, 60)) {
		bool set = feat == VFIO_DEVICE_FEATURE_DMA_LOGGING_START ||
			   feat == VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP ||
			   (feat == VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE &&
			    chance(f, 70));

		gs = set ? VFIO_DEVICE_FEATURE_SET : VFIO_DEVICE_FEATURE_GET;
	}
	memset(f->buf, 0, 4096 + 512);
	ft->flags = feat | gs;
	if (chance(f, 2))
		ft->flags |= 1u << (19 + rn(f, 13));
	switch (feat) {
	case VFIO_DEVICE_FEATURE_MIGRATION:
	case VFIO_DEVICE_FEATURE_MIG_DATA_SIZE:
		datalen = 8;
		break;
	case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE: {
		struct vfio_device_feature_mig_state *m = (void *)ft->data;

		datalen = sizeof(*m);
		m->device_state = chance(f, 90) ? rn(f, 8) : (uint32_t)rnd(f);
		m->data_fd = -1;
		break;
	}
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_START: {
		struct vfio_device_feature_dma_logging_control *c = (void *)ft->data;
		struct vfio_device_feature_dma_logging_range *r = (void *)payload;

		datalen = sizeof(*c);
		c->page_size = chance(f, 80) ? 4096ULL << rn(f, 10) : rnd(f) & 0xffff;
		c->num_ranges = chance(f, 90) ? rn(f, 5) : (uint32_t)rnd(f) & 0x3ff;
		c->ranges = chance(f, 95) ? (uint64_t)(uintptr_t)r :
			    (uint64_t)(uintptr_t)f->bad;
		for (int i = 0; i < 8; i++) {
			r[i].iova = chance(f, 80) ? (uint64_t)rn(f, 64) << 20 : rnd(f);
			r[i].length = chance(f, 80) ? (uint64_t)(1 + rn(f, 16)) << 12 : rnd(f);
		}
		break;
	}
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT: {
		struct vfio_device_feature_dma_logging_report *r = (void *)ft->data;

		datalen = sizeof(*r);
		r->iova = chance(f, 80) ? (uint64_t)rn(f, 64) << 20 : rnd(f);
		r->length = chance(f, 80) ? (uint64_t)(1 + rn(f, 4096)) << 12 :
			    rnd(f);
		r->page_size = chance(f, 80) ? 4096ULL << rn(f, 6) : rnd(f) & 0xffff;
		/* room for 4096 pages' bits */
		r->bitmap = chance(f, 95) ? (uint64_t)(uintptr_t)payload :
			    (uint64_t)(uintptr_t)f->bad;
		if (r->length > (4096ULL << 12) && chance(f, 90))
			r->length = 4096ULL << 12;
		break;
	}
	}
	argsz = sizeof(*ft) + datalen;
	if (chance(f, 8))
		argsz = rn(f, argsz + 8);
	ft->argsz = argsz;
	bad = chance(f, 1);
	snprintf(f->desc, sizeof(f->desc), "FEATURE fd %d (%s%s) argsz %u flags %#x%s%s",
		 d.t->fd, d.cdev ? "cdev" : "group", d.granted ? "" : " unbound",
		 argsz, ft->flags, bad ? " bad pointer" : "",
		 feat == VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE ? " (mig state)" : "");
	if (feat == VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE) {
		size_t l = strlen(f->desc);

		snprintf(f->desc + l, sizeof(f->desc) - l, " state %u",
			 ((struct vfio_device_feature_mig_state *)ft->data)->device_state);
	}
	if (feat == VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE &&
	    (gs & VFIO_DEVICE_FEATURE_SET))
		mtty_unstale(f, &d);
	ret = ioctl(d.t->fd, VFIO_DEVICE_FEATURE, bad ? (void *)f->bad : ft);
	if (ret < 0)
		ret = -errno;
	if (!d.granted)
		exp = -EINVAL;
	else if (bad)
		exp = -EFAULT;
	else if (argsz < sizeof(*ft))
		exp = -EINVAL;
	if (!CHECK(ret, exp, ALLOWED_FEATURE))
		return;
	if (ret > 0)
		FAIL(f, "returned %d", ret);
	if (ret)
		return;
	if (feat == VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE &&
	    (gs & VFIO_DEVICE_FEATURE_SET) && !(gs & VFIO_DEVICE_FEATURE_PROBE)) {
		int dfd = ((struct vfio_device_feature_mig_state *)ft->data)->data_fd;

		/* a data state's file: kept for op_data, closed in time */
		if (dfd >= 0)
			keep_data_fd(f, dfd);
	}
	if (ret || !(gs & VFIO_DEVICE_FEATURE_GET) || (gs & VFIO_DEVICE_FEATURE_PROBE))
		return;
	if (feat == VFIO_DEVICE_FEATURE_MIGRATION) {
		uint64_t fl = *(uint64_t *)ft->data;

		if (fl != (VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P |
			   VFIO_MIGRATION_PRE_COPY))
			FAIL(f, "migration flags %#llx", (unsigned long long)fl);
	} else if (feat == VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE) {
		struct vfio_device_feature_mig_state *m = (void *)ft->data;

		if (m->device_state > VFIO_DEVICE_STATE_PRE_COPY_P2P)
			FAIL(f, "GET state %u", m->device_state);
	}
}

/* The SET of a state that returns a data fd keeps it for op_data. */
static void op_feature_set_state(struct fz *f, struct __test_metadata *_metadata)
{
	struct {
		struct vfio_device_feature hdr;
		struct vfio_device_feature_mig_state m;
	} __attribute__((packed)) s = {};
	struct devfd d;
	int ret;

	if (!pick_devfd(f, &d, true))
		return;
	s.hdr.argsz = sizeof(s);
	s.hdr.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
	s.m.device_state = 1 + rn(f, 7);
	s.m.data_fd = -1;
	snprintf(f->desc, sizeof(f->desc), "FEATURE SET mig state %u fd %d (%s)",
		 s.m.device_state, d.t->fd, d.cdev ? "cdev" : "group");
	mtty_unstale(f, &d);
	ret = xioctl(d.t->fd, VFIO_DEVICE_FEATURE, &s);
	if (!CHECK(ret, EXP_ANY, ALLOWED_FEATURE) || ret)
		return;
	if (s.m.data_fd >= 0)
		keep_data_fd(f, s.m.data_fd);
}

static void op_data(struct fz *f, struct __test_metadata *_metadata)
{
	int i = rn(f, NDATA), fd = f->data[i], ret, what = rn(f, 10);
	size_t len;

	if (fd < 0) {
		op_feature_set_state(f, _metadata);
		return;
	}
	if (what < 5) {
		len = chance(f, 50) ? rn(f, 600) : rn(f, 32);
		snprintf(f->desc, sizeof(f->desc), "read data fd %d len %zu", fd, len);
		ret = read(fd, chance(f, 2) ? (void *)f->bad : f->buf, len);
		if (ret < 0)
			ret = -errno;
		if (CHECK(ret, EXP_ANY, ALLOWED_DATA_RD) && ret > (int)len)
			FAIL(f, "read %d bytes of %zu", ret, len);
	} else if (what < 7) {
		len = chance(f, 50) ? rn(f, 600) : rn(f, 32);
		snprintf(f->desc, sizeof(f->desc), "write data fd %d len %zu", fd, len);
		/*
		 * mtty loads the FIFO indices of a stream unchecked: write
		 * nothing to it (see the top of the file).
		 */
		if (f->mtty)
			return;
		for (size_t b = 0; b < len; b++)
			f->buf[b] = chance(f, 50) ? 0 : rnd(f);
		ret = write(fd, f->buf, len);
		if (ret < 0)
			ret = -errno;
		if (CHECK(ret, EXP_ANY, ALLOWED_DATA_WR) && ret > (int)len)
			FAIL(f, "wrote %d bytes of %zu", ret, len);
	} else if (what < 9) {
		struct vfio_precopy_info *p = (void *)f->buf;

		memset(p, 0, sizeof(*p));
		p->argsz = chance(f, 80) ? sizeof(*p) : rn(f, 40);
		p->flags = chance(f, 90) ? 0 : (uint32_t)rnd(f);
		snprintf(f->desc, sizeof(f->desc), "PRECOPY_INFO data fd %d argsz %u flags %#x",
			 fd, p->argsz, p->flags);
		ret = xioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, p);
		CHECK(ret, p->argsz < sizeof(*p) && ret != -ENOTTY ? -EINVAL : EXP_ANY,
		      ALLOWED_PRECOPY);
	} else {
		snprintf(f->desc, sizeof(f->desc), "close data fd %d", fd);
		close_fd(&f->data[i]);
	}
}

static void op_other(struct fz *f, struct __test_metadata *_metadata)
{
	struct devfd d;
	unsigned long cmd;
	int ret;
	static const unsigned long cmds[] = {
		VFIO_GROUP_GET_STATUS, VFIO_GROUP_SET_CONTAINER,
		VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION,
		VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, VFIO_DEVICE_PCI_HOT_RESET,
		VFIO_DEVICE_IOEVENTFD, VFIO_IOMMU_MAP_DMA,
		_IOW('x', 0x42, int), _IO(KVMIO, 0x01),
	};

	if (!pick_devfd(f, &d, chance(f, 95)))
		return;
	if (chance(f, 50))
		cmd = cmds[rn(f, ARRAY_SIZE(cmds))];
	else
		cmd = _IOC(rn(f, 4), VFIO_TYPE, VFIO_BASE + 30 + rn(f, 60),
			   rn(f, 64));
	memset(f->buf, 0, 64);
	*(uint32_t *)f->buf = 64;
	snprintf(f->desc, sizeof(f->desc), "ioctl %#lx fd %d (%s%s)", cmd,
		 d.t->fd, d.cdev ? "cdev" : "group", d.granted ? "" : " unbound");
	ret = xioctl(d.t->fd, cmd, f->buf);
	CHECK(ret, d.granted ? -ENOTTY : -EINVAL, ALLOWED_OTHER);
}

/* ---- cdev path ---- */

static struct inst *pick_inst(struct fz *f)
{
	return &f->in[rn(f, NINST)];
}

static struct tfd *pick_cdev(struct fz *f, struct inst *in)
{
	int k = rn(f, NCDEV);

	for (int i = 0; i < NCDEV; i++) {
		struct tfd *t = &in->cdev[(k + i) % NCDEV];

		if (t->fd >= 0)
			return t;
	}
	return NULL;
}

static void op_cdev_open(struct fz *f, struct __test_metadata *_metadata)
{
	struct inst *in = pick_inst(f);
	struct tfd *t = free_tfd(in->cdev, NCDEV);
	int fd;

	if (!t)
		return;
	snprintf(f->desc, sizeof(f->desc), "open cdev of %s", in->uuid);
	fd = vfio_cdev_open(in->uuid);
	if (!CHECK(fd < 0 ? fd : 0, 0, E(0)))
		return;
	*t = (struct tfd){ .fd = fd, .state = CDEV_UNBOUND };
}

/* Is the group's file open: our fd, or a closed one a VM still holds? */
static bool group_open(const struct inst *in)
{
	return in->group.fd >= 0 || in->group_ghost;
}

static void op_cdev_bind(struct fz *f, struct __test_metadata *_metadata)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	struct inst *in = pick_inst(f);
	struct tfd *t = pick_cdev(f, in);
	int ret, exp = EXP_ANY;

	if (!t)
		return op_cdev_open(f, _metadata);
	b.iommufd = chance(f, 85) ? in->iommufd :
		    chance(f, 50) ? f->in[1 - (in - f->in)].iommufd :
		    (int32_t[]){ -1, f->closedfd, f->nullfd, f->efd[0] }[rn(f, 4)];
	if (chance(f, 5))
		b.flags = 1u << rn(f, 32);
	if (chance(f, 5))
		b.argsz = rn(f, sizeof(b) + 4);
	snprintf(f->desc, sizeof(f->desc), "BIND_IOMMUFD cdev fd %d (%s, state %d) iommufd %d argsz %u flags %#x",
		 t->fd, in->uuid, t->state, b.iommufd, b.argsz, b.flags);
	ret = xioctl(t->fd, VFIO_DEVICE_BIND_IOMMUFD, &b);
	/* the order of vfio_df_ioctl_bind_iommufd()'s checks */
	if (b.argsz < sizeof(b) || b.flags || b.iommufd < 0)
		exp = -EINVAL;
	else if (group_open(in))
		exp = -EBUSY;	/* vfio_device_block_group() */
	else if (t->state != CDEV_UNBOUND)
		exp = -EINVAL;	/* bound already */
	if (!CHECK(ret, exp, ALLOWED_BIND) || ret)
		return;
	t->state = CDEV_BOUND;
}

static void op_cdev_attach(struct fz *f, struct __test_metadata *_metadata,
			   bool detach)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a) };
	struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt) };
	struct inst *in = pick_inst(f);
	struct tfd *t = pick_cdev(f, in);
	int ret;

	if (!t)
		return;
	if (chance(f, 5))
		a.flags = dt.flags = 1u << rn(f, 32);
	a.pt_id = chance(f, 85) ? in->ioas : (uint32_t)rnd(f) & 0xff;
	if (detach) {
		snprintf(f->desc, sizeof(f->desc), "DETACH_IOMMUFD_PT cdev fd %d (state %d) flags %#x",
			 t->fd, t->state, dt.flags);
		ret = xioctl(t->fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt);
		if (!CHECK(ret, t->state == CDEV_UNBOUND || dt.flags ? -EINVAL :
			   EXP_ANY, ALLOWED_DETACH) || ret)
			return;
		t->state = CDEV_BOUND;
		return;
	}
	snprintf(f->desc, sizeof(f->desc), "ATTACH_IOMMUFD_PT cdev fd %d (state %d) pt %u flags %#x",
		 t->fd, t->state, a.pt_id, a.flags);
	ret = xioctl(t->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);
	if (!CHECK(ret, t->state == CDEV_UNBOUND || a.flags ? -EINVAL : EXP_ANY,
		   ALLOWED_ATTACH) || ret)
		return;
	t->state = CDEV_ATTACHED;
}

static void op_cdev_close(struct fz *f, struct __test_metadata *_metadata)
{
	struct inst *in = pick_inst(f);
	struct tfd *t = pick_cdev(f, in);

	if (!t)
		return;
	snprintf(f->desc, sizeof(f->desc), "close cdev fd %d (state %d)",
		 t->fd, t->state);
	close_fd(&t->fd);
	in->mtty_stale = true;
}

/* ---- group path ---- */

static void op_group_open(struct fz *f, struct __test_metadata *_metadata)
{
	struct inst *in = pick_inst(f);
	char path[64];
	int fd, ret, iommu;

	if (in->group.fd >= 0) {
		/* A second open of an open group: EBUSY. */
		snprintf(path, sizeof(path), "/dev/vfio/%d", in->grp_num);
		snprintf(f->desc, sizeof(f->desc), "second open of %s", path);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
		CHECK(fd < 0 ? -errno : 0, -EBUSY, ALLOWED_GOPEN);
		return;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%d", in->grp_num);
	snprintf(f->desc, sizeof(f->desc), "open %s and its container", path);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (!CHECK(fd < 0 ? -errno : 0, EXP_ANY, ALLOWED_GOPEN) || fd < 0)
		return;
	in->group = (struct tfd){ .fd = fd };
	in->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	ret = in->container < 0 ? -errno : 0;
	if (!ret)
		ret = xioctl(fd, VFIO_GROUP_SET_CONTAINER, &in->container);
	iommu = ioctl(in->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0 ?
		VFIO_TYPE1v2_IOMMU : VFIO_TYPE1_IOMMU;
	if (!ret)
		ret = ioctl(in->container, VFIO_SET_IOMMU, iommu) < 0 ? -errno : 0;
	CHECK(ret, 0, E(0));
}

static void op_group_close(struct fz *f, struct __test_metadata *_metadata)
{
	struct inst *in = pick_inst(f);

	if (in->group.fd < 0)
		return;
	snprintf(f->desc, sizeof(f->desc), "close group fd %d and container",
		 in->group.fd);
	in->group_ghost |= in->group.vms;
	close_fd(&in->group.fd);
	close_fd(&in->container);
}

static void op_group_status(struct fz *f, struct __test_metadata *_metadata)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct inst *in = pick_inst(f);
	int ret;

	if (in->group.fd < 0)
		return;
	snprintf(f->desc, sizeof(f->desc), "GROUP_GET_STATUS fd %d", in->group.fd);
	ret = xioctl(in->group.fd, VFIO_GROUP_GET_STATUS, &st);
	if (CHECK(ret, 0, E(0)) &&
	    st.flags != (VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET))
		FAIL(f, "status flags %#x", st.flags);
}

static void op_getfd(struct fz *f, struct __test_metadata *_metadata)
{
	struct inst *in = pick_inst(f);
	struct tfd *t = free_tfd(in->gdev, NGDEV);
	char name[64];
	int fd, exp = EXP_ANY;

	if (in->group.fd < 0)
		return op_group_open(f, _metadata);
	if (!t)
		return;
	switch (rn(f, 10)) {
	case 0:
		snprintf(name, sizeof(name), "%s", f->in[1 - (in - f->in)].uuid);
		exp = -ENODEV;	/* in another group */
		break;
	case 1:
		snprintf(name, sizeof(name), "%.*s", (int)rn(f, MDEV_UUID_LEN),
			 in->uuid);
		exp = -ENODEV;
		break;
	default:
		snprintf(name, sizeof(name), "%s", in->uuid);
		break;
	}
	snprintf(f->desc, sizeof(f->desc), "GROUP_GET_DEVICE_FD \"%s\"", name);
	fd = ioctl(in->group.fd, VFIO_GROUP_GET_DEVICE_FD, name);
	if (!CHECK(fd < 0 ? -errno : 0, exp, ALLOWED_GETFD) || fd < 0)
		return;
	*t = (struct tfd){ .fd = fd };
}

static void op_gdev_close(struct fz *f, struct __test_metadata *_metadata)
{
	struct inst *in = pick_inst(f);
	int k = rn(f, NGDEV);

	for (int i = 0; i < NGDEV; i++) {
		struct tfd *t = &in->gdev[(k + i) % NGDEV];

		if (t->fd < 0)
			continue;
		snprintf(f->desc, sizeof(f->desc), "close group device fd %d", t->fd);
		close_fd(&t->fd);
		in->mtty_stale = true;
		return;
	}
}

/* ---- KVM ---- */

static void op_vm_create(struct fz *f, struct __test_metadata *_metadata)
{
	int i = rn(f, NVM), ret;

	if (f->vm_live[i])
		return;
	snprintf(f->desc, sizeof(f->desc), "create VM %d", i);
	ret = kvm_vm_create(&f->vm[i]);
	if (CHECK(ret, 0, E(0)))
		f->vm_live[i] = true;
}

static void forget_vm(struct fz *f, int v)
{
	for (int i = 0; i < NINST; i++) {
		struct inst *in = &f->in[i];

		in->group.vms &= ~(1u << v);
		in->group_ghost &= ~(1u << v);
		for (int j = 0; j < NGDEV; j++)
			in->gdev[j].vms &= ~(1u << v);
		for (int j = 0; j < NCDEV; j++)
			in->cdev[j].vms &= ~(1u << v);
	}
}

static void op_vm_destroy(struct fz *f, struct __test_metadata *_metadata)
{
	int i = rn(f, NVM);

	if (!f->vm_live[i])
		return;
	snprintf(f->desc, sizeof(f->desc), "close VM %d's fds", i);
	kvm_vm_close_fds(&f->vm[i]);
	f->vm_live[i] = false;
	forget_vm(f, i);
	/* the device files the VM held are closed now */
	for (int j = 0; j < NINST; j++)
		f->in[j].mtty_stale = true;
}

/* Any VFIO file of ours (group, group device, cdev), or NULL. */
static struct tfd *pick_vfio_file(struct fz *f)
{
	struct tfd *all[NINST * (1 + NGDEV + NCDEV)];
	int n = 0;

	for (int i = 0; i < NINST; i++) {
		struct inst *in = &f->in[i];

		if (in->group.fd >= 0)
			all[n++] = &in->group;
		for (int j = 0; j < NGDEV; j++)
			if (in->gdev[j].fd >= 0)
				all[n++] = &in->gdev[j];
		for (int j = 0; j < NCDEV; j++)
			if (in->cdev[j].fd >= 0)
				all[n++] = &in->cdev[j];
	}
	return n ? all[rn(f, n)] : NULL;
}

static void op_kvm_file(struct fz *f, struct __test_metadata *_metadata,
			bool add)
{
	int v = rn(f, NVM), fd, ret, exp;
	struct tfd *t = NULL;

	if (!f->vm_live[v])
		return op_vm_create(f, _metadata);
	if (chance(f, 90))
		t = pick_vfio_file(f);
	if (t) {
		fd = t->fd;
		if (add)
			exp = t->vms & (1u << v) ? -EEXIST : 0;
		else
			exp = t->vms & (1u << v) ? 0 : -ENOENT;
	} else {
		switch (rn(f, 3)) {
		case 0:
			fd = f->closedfd;
			exp = -EBADF;
			break;
		case 1:
			fd = f->nullfd;
			exp = add ? -EINVAL : -ENOENT;
			break;
		default:
			fd = f->efd[0];
			exp = add ? -EINVAL : -ENOENT;
			break;
		}
	}
	snprintf(f->desc, sizeof(f->desc), "KVM_DEV_VFIO_FILE_%s VM %d fd %d",
		 add ? "ADD" : "DEL", v, fd);
	ret = kvm_vm_file(&f->vm[v], fd, add);
	if (!CHECK(ret, exp, add ? ALLOWED_KVMADD : ALLOWED_KVMDEL) || ret || !t)
		return;
	if (add)
		t->vms |= 1u << v;
	else
		t->vms &= ~(1u << v);
}

/* ---- sanity: the device answers ---- */

/*
 * Back to RUNNING (a reset first if the device is in ERROR or a SET
 * fails), then the config space IDs and a loopback on BAR0 after the
 * initialisation a guest's 8250 driver does.
 */
static int device_sane(int fd, bool mtty, char *why, size_t len)
{
	struct {
		struct vfio_device_feature hdr;
		struct vfio_device_feature_mig_state m;
	} __attribute__((packed)) s = {
		.hdr = { .argsz = sizeof(s), .flags = VFIO_DEVICE_FEATURE_SET |
			 VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE },
		.m = { .device_state = VFIO_DEVICE_STATE_RUNNING, .data_fd = -1 },
	};
	uint32_t state = 0, id = 0;
	int ret;

	/* mtty: see the top of the file */
	if (mtty && (ret = xioctl(fd, VFIO_DEVICE_RESET, NULL))) {
		snprintf(why, len, "reset: %s", strerror(-ret));
		return ret;
	}
	if (vfio_mig_get_state(fd, &state) || state != VFIO_DEVICE_STATE_RUNNING) {
		if (xioctl(fd, VFIO_DEVICE_FEATURE, &s)) {
			ret = xioctl(fd, VFIO_DEVICE_RESET, NULL);
			if (!ret)
				ret = xioctl(fd, VFIO_DEVICE_FEATURE, &s);
			if (ret) {
				snprintf(why, len, "back to RUNNING from state %u: %s",
					 state, strerror(-ret));
				return ret;
			}
		}
		if (s.m.data_fd >= 0)
			close(s.m.data_fd);
	}
	ret = region_read(fd, (uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40, &id, 4);
	if (ret || id != 0x32534348) {
		snprintf(why, len, "config IDs: %s, %#x", strerror(-ret), id);
		return -EIO;
	}
	/* I/O decoding on, as a guest's PCI core leaves it */
	id = PCI_COMMAND_IO;
	ret = region_write(fd, ((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40) +
			   PCI_COMMAND, &id, 2);
	if (ret) {
		snprintf(why, len, "config write of Command: %s", strerror(-ret));
		return ret;
	}
	ret = uart_write(fd, 0, UART_LCR, UART_LCR_WLEN8);
	if (!ret)
		ret = uart_write(fd, 0, UART_IER, 0);
	if (!ret)
		ret = uart_write(fd, 0, UART_FCR, UART_FCR_ENABLE_FIFO |
				 UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT);
	if (!ret)
		ret = uart_write(fd, 0, UART_MCR, UART_MCR_OUT2 | UART_MCR_RTS |
				 UART_MCR_DTR);
	if (!ret)
		ret = uart_loopback_ok(fd, 0, 0x5a);
	if (ret)
		snprintf(why, len, "loopback: %s", strerror(-ret));
	return ret;
}

static void op_sanity(struct fz *f, struct __test_metadata *_metadata)
{
	struct devfd all[NINST * (NGDEV + NCDEV)];
	int n = collect_devfds(f, all);
	char why[128];

	for (int i = 0; i < n; i++) {
		if (!all[i].granted)
			continue;
		snprintf(f->desc, sizeof(f->desc), "sanity of fd %d (%s, %s)",
			 all[i].t->fd, all[i].cdev ? "cdev" : "group",
			 all[i].in->uuid);
		if (device_sane(all[i].t->fd, f->mtty, why, sizeof(why)))
			FAIL(f, "%s", why);
	}
}

/* ------------------------------------------------------------------------ */
/* The fixture */

FIXTURE(fuzz) {
	struct mdev_set set;
	struct fz f;
	struct kstate_mods mods;
	int base_vms;
	long base_avail;
};

MDEV_DRIVER_VARIANTS(fuzz);

static bool fuzz_ready(const char *drv)
{
	return kvm_available() && kvm_vendor_module() && !kvm_debugfs_ensure();
}

static int inst_open(struct inst *in)
{
	struct vfio_dev d;
	int ret;

	vfio_dev_init(&d, VFIO_PATH_GROUP, in->uuid);
	ret = vfio_dev_open(&d, VFIO_PATH_GROUP, in->uuid);
	if (ret)
		return ret;
	in->container = d.container;
	in->group = (struct tfd){ .fd = d.group };
	in->gdev[0] = (struct tfd){ .fd = d.fd };
	in->grp_num = vfio_group_number(in->uuid);
	ret = iommufd_open(&in->iommufd, &in->ioas);
	if (ret)
		return ret;
	/* The region sizes the model uses, and must stay the same. */
	for (uint32_t i = 0; i < NREG; i++) {
		ret = vfio_region(d.fd, i, NULL, &in->rsize[i], &in->rflags[i]);
		if (ret)
			return ret;
	}
	return 0;
}

FIXTURE_SETUP(fuzz)
{
	struct fz *f = &self->f;
	int ret;

	mdev_setup_begin();
	MDEV_REQUIRE_DRIVER(variant->driver);
	if (!fuzz_ready(variant->driver))
		SKIP(return, "no KVM (/dev/kvm, kvm_amd or kvm_intel, debugfs)");

	memset(f, 0, sizeof(*f));
	f->drv = variant->driver;
	f->mtty = !strcmp(f->drv, "mtty");
	f->rng = opt_seed;
	for (int i = 0; i < NINST; i++) {
		struct inst *in = &f->in[i];

		in->container = in->iommufd = -1;
		in->group.fd = -1;
		for (int j = 0; j < NGDEV; j++)
			in->gdev[j].fd = -1;
		for (int j = 0; j < NCDEV; j++)
			in->cdev[j].fd = -1;
	}
	for (int i = 0; i < NDATA; i++)
		f->data[i] = -1;
	f->kmsg.fd = -1;

	self->base_vms = kvm_vm_count();
	self->base_avail = mdev_available(f->drv, 1);
	kstate_mods(&self->mods);

	f->buf = mmap(NULL, BUFSZ + 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, f->buf);
	f->bad = f->buf + BUFSZ;
	ASSERT_EQ(0, mprotect(f->bad, 4096, PROT_NONE));

	for (int i = 0; i < NINST; i++) {
		int idx;

		f->in[i].nports = i + 1;
		ret = mdev_set_create(&self->set, f->drv, i + 1, &idx);
		ASSERT_EQ(0, ret) TH_LOG("create: %s", strerror(-ret));
		memcpy(f->in[i].uuid, self->set.uuid[idx], MDEV_UUID_LEN + 1);
		ret = inst_open(&f->in[i]);
		ASSERT_EQ(0, ret) TH_LOG("open %s: %s", f->in[i].uuid,
					 strerror(-ret));
	}
	for (int i = 0; i < 3; i++) {
		f->efd[i] = efd_new();
		ASSERT_LE(0, f->efd[i]);
	}
	f->nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, f->nullfd);
	/* A number no open of the run will reuse: far above the others. */
	f->closedfd = 900;
	ASSERT_EQ(-1, fcntl(f->closedfd, F_GETFD));
	kmsg_watch_start(&f->kmsg);
}

FIXTURE_TEARDOWN_PARENT(fuzz)
{
	mdev_teardown_begin();
	mdev_set_remove_all(&self->set);
}

static void close_all(struct fz *f)
{
	for (int i = 0; i < NDATA; i++)
		close_fd(&f->data[i]);
	for (int i = 0; i < NINST; i++) {
		struct inst *in = &f->in[i];

		for (int j = 0; j < NGDEV; j++)
			close_fd(&in->gdev[j].fd);
		for (int j = 0; j < NCDEV; j++)
			close_fd(&in->cdev[j].fd);
		close_fd(&in->group.fd);
		close_fd(&in->container);
		close_fd(&in->iommufd);
	}
	for (int i = 0; i < NVM; i++)
		if (f->vm_live[i]) {
			kvm_vm_close_fds(&f->vm[i]);
			f->vm_live[i] = false;
		}
	for (int i = 0; i < 3; i++)
		close_fd(&f->efd[i]);
	close_fd(&f->nullfd);
}

TEST_F_TIMEOUT(fuzz, ops, 2 * FUZZ_SECS_PER_100K)
{
	struct fz *f = &self->f;
	long stop = opt_stop >= 0 && opt_stop < opt_count ? opt_stop : opt_count;
	int cum[OP_NUM], total = 0, kind, leak0, leaks;
	unsigned long before[256];
	char line[512], why[128];
	struct kstate_mods mods;
	uint64_t t0 = now_ms(), t1;

	for (kind = 0; kind < OP_NUM; kind++)
		cum[kind] = (total += op_weight[kind]);
	ksft_print_msg("fuzz: driver %s seed %llu count %ld%s\n", f->drv,
		       (unsigned long long)opt_seed, opt_count,
		       opt_seed_given ? "" : " (the default seed)");
	/* a scan is slow under TCG: only when asked (make fuzz asks) */
	leak0 = kstate_kmemleak_wanted() ? kmemleak_scan(before, 256, false) : -1;

	for (f->op = 0; f->op < stop && !f->failed; f->op++) {
		uint32_t r = rn(f, total);

		for (kind = 0; cum[kind] <= (int)r; kind++)
			;
		f->desc[0] = '\0';
		f->nops[kind]++;
		t1 = now_us();
		switch (kind) {
		case OP_READ: op_rw(f, _metadata, false); break;
		case OP_WRITE: op_rw(f, _metadata, true); break;
		case OP_INFO: op_info(f, _metadata); break;
		case OP_SETIRQ: op_setirq(f, _metadata); break;
		case OP_RESET: op_reset(f, _metadata); break;
		case OP_FEATURE:
			if (chance(f, 30))
				op_feature_set_state(f, _metadata);
			else
				op_feature(f, _metadata);
			break;
		case OP_DATA: op_data(f, _metadata); break;
		case OP_OTHER: op_other(f, _metadata); break;
		case OP_CDEV_OPEN: op_cdev_open(f, _metadata); break;
		case OP_CDEV_BIND: op_cdev_bind(f, _metadata); break;
		case OP_CDEV_ATTACH: op_cdev_attach(f, _metadata, false); break;
		case OP_CDEV_DETACH: op_cdev_attach(f, _metadata, true); break;
		case OP_CDEV_CLOSE: op_cdev_close(f, _metadata); break;
		case OP_GETFD: op_getfd(f, _metadata); break;
		case OP_GDEV_CLOSE: op_gdev_close(f, _metadata); break;
		case OP_GROUP_CLOSE: op_group_close(f, _metadata); break;
		case OP_GROUP_OPEN: op_group_open(f, _metadata); break;
		case OP_GROUP_STATUS: op_group_status(f, _metadata); break;
		case OP_KVM_ADD: op_kvm_file(f, _metadata, true); break;
		case OP_KVM_DEL: op_kvm_file(f, _metadata, false); break;
		case OP_VM_CREATE: op_vm_create(f, _metadata); break;
		case OP_VM_DESTROY: op_vm_destroy(f, _metadata); break;
		case OP_SANITY: op_sanity(f, _metadata); break;
		}
		f->us[kind] += now_us() - t1;
		if (f->op % 10000 == 9999)
			ksft_print_msg("fuzz: %ld operations, %llu ms\n", f->op + 1,
				       (unsigned long long)(now_ms() - t0));
		if (opt_trace >= 0 && f->op >= opt_trace)
			ksft_print_msg("fuzz: op %ld %s: %s\n", f->op,
				       op_names[kind], f->desc[0] ? f->desc : "(nothing to do)");
		if (f->op % SANITY_EVERY == SANITY_EVERY - 1 && !f->failed)
			op_sanity(f, _metadata);
		if (f->op % KMSG_EVERY == KMSG_EVERY - 1 &&
		    kmsg_watch_splat(&f->kmsg, line, sizeof(line))) {
			snprintf(f->desc, sizeof(f->desc),
				 "kernel report after ops %ld..%ld", f->op + 1 - KMSG_EVERY,
				 f->op);
			FAIL(f, "%s", line);
		}
	}
	ksft_print_msg("fuzz: %ld operations in %llu ms (%ld calls failed as allowed)\n",
		       f->op, (unsigned long long)(now_ms() - t0), f->nerr);
	for (kind = 0; kind < OP_NUM; kind++)
		ksft_print_msg("fuzz:   %-20s %6ld, %llu ms\n", op_names[kind],
			       f->nops[kind],
			       (unsigned long long)f->us[kind] / 1000);
	f->op = stop;	/* the final checks */

	/* The devices still answer, on every fd that has one open. */
	if (!f->failed)
		op_sanity(f, _metadata);
	close_all(f);
	/* Nothing held any more: the VMs are gone, the modules unpinned. */
	snprintf(f->desc, sizeof(f->desc), "after closing every fd");
	if (kvm_vm_count() != self->base_vms)
		FAIL(f, "%d VMs, %d at the start", kvm_vm_count(), self->base_vms);
	kstate_mods(&mods);
	if (kstate_mods_cmp(&self->mods, &mods, line, sizeof(line)))
		FAIL(f, "%s", line);
	/* A fresh open of each instance, on both paths, works. */
	for (int i = 0; i < NINST; i++)
		for (int p = 0; p < 2; p++) {
			struct vfio_dev d;
			int ret;

			snprintf(f->desc, sizeof(f->desc), "fresh %s open of %s",
				 p ? "cdev" : "group", f->in[i].uuid);
			ret = vfio_dev_open(&d, p ? VFIO_PATH_CDEV : VFIO_PATH_GROUP,
					    f->in[i].uuid);
			if (ret) {
				FAIL(f, "%s", strerror(-ret));
				continue;
			}
			if (f->mtty)	/* mtty: GET_INFO was seen */
				vfio_get_info(d.fd, NULL, NULL, NULL);
			if (device_sane(d.fd, f->mtty, why, sizeof(why)))
				FAIL(f, "%s", why);
			vfio_dev_close(&d);
		}
	snprintf(f->desc, sizeof(f->desc), "after removing the instances");
	mdev_set_remove_all(&self->set);
	if (mdev_available_wait(f->drv, self->base_avail) != self->base_avail)
		FAIL(f, "available_instances %ld, %ld at the start",
		     mdev_available(f->drv, 1), self->base_avail);
	snprintf(f->desc, sizeof(f->desc), "at the end");
	if (kmsg_watch_splat(&f->kmsg, line, sizeof(line)))
		FAIL(f, "kernel report: %s", line);
	/* Nothing the run allocated is left unreferenced. */
	if (leak0 >= 0) {
		leaks = kmemleak_new(before, leak0);
		if (leaks)
			FAIL(f, "kmemleak: %d new unreferenced objects", leaks);
	}
	kmsg_watch_stop(&f->kmsg);
	ksft_print_msg("fuzz: %ld operations on %s, seed %llu, %s in %llu ms\n",
		       stop, f->drv, (unsigned long long)opt_seed,
		       f->failed ? "FAILED" : "all invariants held",
		       (unsigned long long)(now_ms() - t0));
}

/*
 * --seed, --count, --stop and --trace come before the harness's own
 * options; the environment variables do the same.
 */
int main(int argc, char **argv)
{
	const char *e;
	int i, n = 1;

	if ((e = getenv("FUZZ_SEED")) && *e) {
		opt_seed = strtoull(e, NULL, 0);
		opt_seed_given = true;
	}
	if ((e = getenv("FUZZ_COUNT")) && *e)
		opt_count = strtol(e, NULL, 0);
	if ((e = getenv("FUZZ_STOP")) && *e)
		opt_stop = strtol(e, NULL, 0);
	if ((e = getenv("FUZZ_TRACE")) && *e)
		opt_trace = strtol(e, NULL, 0);
	for (i = 1; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "--seed")) {
			opt_seed = strtoull(argv[++i], NULL, 0);
			opt_seed_given = true;
		} else if (i + 1 < argc && !strcmp(argv[i], "--count")) {
			opt_count = strtol(argv[++i], NULL, 0);
		} else if (i + 1 < argc && !strcmp(argv[i], "--stop")) {
			opt_stop = strtol(argv[++i], NULL, 0);
		} else if (i + 1 < argc && !strcmp(argv[i], "--trace")) {
			opt_trace = strtol(argv[++i], NULL, 0);
		} else {
			argv[n++] = argv[i];
		}
	}
	argv[n] = NULL;
	/* The hang guard grows with the count (see FUZZ_SECS_PER_100K). */
	for (struct __fixture_metadata *fx = __fixture_list; fx; fx = fx->next)
		for (struct __test_metadata *t = fx->tests; t; t = t->next)
			t->timeout = FUZZ_SECS_PER_100K *
				     ((opt_count + 99999) / 100000 + 1);
	return mdev_harness_main(n, argv, fuzz_ready);
}
