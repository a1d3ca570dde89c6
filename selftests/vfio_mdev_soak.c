// SPDX-License-Identifier: GPL-2.0
/*
 * A concurrency soak of an mdev driver (mtty, rust_mtty): threads at once,
 * SOAK_ROUNDS rounds in all (default 10000), each thread kind with its
 * share of them:
 *
 * - open_group x2: the same device (instance A) opened and closed through
 *   the group, from several fds at once; a config read on each;
 * - open_cdev x2: the same device (instance B) opened through its cdev,
 *   bound (one fd at a time wins, the others get EINVAL) and attached,
 *   a loopback, closed;
 * - io: A opened, GET_INFO, SET_IRQS with an eventfd, a loopback, the
 *   trigger removed, closed;
 * - kvm: a VM created, A's group and an unbound cdev fd of B added to its
 *   kvm-vfio device (KVM_DEV_VFIO_FILE_ADD), deleted again or not, the VM's
 *   fds closed: the devices opened meanwhile hold the VM;
 * - instance: instances created, opened and closed (or not), removed;
 * - rmmod: with a device of instance D open and holding a VM, rmmod of
 *   the vendor KVM module, kvm and the driver: each must fail (EBUSY, or
 *   EWOULDBLOCK for O_NONBLOCK), never unload.
 *
 * Every call must succeed or fail with the errno the race allows (written
 * next to it).  Afterwards, with everything closed: no kernel report
 * (scripts/splat.ere) since the start, no new kmemleak object, the VM count
 * and every module's reference count back at the start, the devices answer
 * a fresh open, available_instances back where it started; and then, with
 * nothing held, the rmmods succeed (the modules are loaded again).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/serial_reg.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "mdev_harness.h"
#include "mtty_device.h"

#define DEFAULT_ROUNDS	10000

enum kind { K_GROUP, K_CDEV, K_IO, K_KVM, K_INST, K_RMMOD, K_NUM };

static const char *const kind_name[K_NUM] = {
	"open_group", "open_cdev", "io", "kvm", "instance", "rmmod",
};
/* Threads of each kind, and their share of the rounds (per thousand). */
static const int kind_threads[K_NUM] = { 2, 2, 1, 1, 1, 1 };
static const int kind_share[K_NUM] = { 300, 200, 150, 80, 70, 200 };

struct soak {
	const char *drv;
	char uuid_a[MDEV_UUID_LEN + 1];
	char uuid_b[MDEV_UUID_LEN + 1];
	char uuid_d[MDEV_UUID_LEN + 1];
	int group_a;		/* A's group, with its container set */
	int iommufd;
	uint32_t ioas;
	long avail0;
	atomic_bool stop;
	atomic_bool failed;
	pthread_mutex_t lock;
	char fail[512];
	atomic_long rounds[K_NUM];
	atomic_long ms[K_NUM];	/* the slowest thread of each kind */
	atomic_long binds;	/* cdev binds won */
	long quota[K_NUM];	/* per thread */
};

struct worker {
	struct soak *s;
	enum kind kind;
	int id;
	pthread_t tid;
};

static void soak_fail(struct soak *s, const char *who, long round,
		      const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void soak_fail(struct soak *s, const char *who, long round,
		      const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&s->lock);
	if (!atomic_load(&s->failed))
		snprintf(s->fail, sizeof(s->fail), "%s, round %ld: %s", who,
			 round, msg);
	atomic_store(&s->failed, true);
	atomic_store(&s->stop, true);
	pthread_mutex_unlock(&s->lock);
}

/* Fail unless @ret is 0 or one of the -errnos of the 0-terminated list. */
#define E(...) ((const int[]){ __VA_ARGS__, 0 })
static bool ok_or(int ret, const int *allowed)
{
	if (ret >= 0)
		return true;
	for (; *allowed; allowed++)
		if (ret == -*allowed)
			return true;
	return false;
}

#define MUST(ret, allowed, what) ({ \
	int __r = (ret); \
	if (!ok_or(__r, (allowed))) \
		soak_fail(s, w->name, round, "%s: %s", (what), \
			  __r < 0 ? strerror(-__r) : "?"); \
	__r; \
})

static int config_id(int fd)
{
	uint32_t id = 0;
	int ret;

	ret = region_read(fd, (uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40,
			  &id, 4);
	if (ret)
		return ret;
	return id == 0x32534348 ? 0 : -EIO;
}

/* The initialisation of a guest's 8250 driver, then a loopback. */
static int loopback(int fd, uint8_t val)
{
	int ret = uart_write(fd, 0, UART_LCR, UART_LCR_WLEN8);

	if (!ret)
		ret = uart_write(fd, 0, UART_FCR, UART_FCR_ENABLE_FIFO |
				 UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT);
	if (!ret)
		ret = uart_loopback_ok(fd, 0, val);
	return ret;
}

struct wctx {
	struct soak *s;
	struct worker *self;
	const char *name;
	char buf[32];
};

/* ---- the threads ---- */

static void round_group(struct soak *s, struct wctx *w, long round)
{
	int fd = vfio_group_get_device_fd(s->group_a, s->uuid_a);

	if (MUST(fd, E(0), "GROUP_GET_DEVICE_FD") < 0)
		return;
	if (round % 4 == 0)
		MUST(config_id(fd), E(0), "config IDs");
	close(fd);
}

static void round_cdev(struct soak *s, struct wctx *w, long round)
{
	int fd = vfio_cdev_open(s->uuid_b), ret;

	if (MUST(fd, E(0), "open cdev") < 0)
		return;
	/* One fd of the device is bound at a time: EINVAL for the others. */
	ret = MUST(vfio_cdev_bind(fd, s->iommufd), E(EINVAL), "BIND_IOMMUFD");
	if (!ret) {
		atomic_fetch_add(&s->binds, 1);
		if (!MUST(vfio_cdev_attach(fd, s->ioas), E(0), "ATTACH_IOMMUFD_PT"))
			MUST(loopback(fd, round & 0xff), E(0), "loopback on B");
	}
	close(fd);
}

static void round_io(struct soak *s, struct wctx *w, long round)
{
	int fd = vfio_group_get_device_fd(s->group_a, s->uuid_a);
	int efd, ret, idx = round % 2 ? VFIO_PCI_MSI_IRQ_INDEX :
					VFIO_PCI_INTX_IRQ_INDEX;

	if (MUST(fd, E(0), "GROUP_GET_DEVICE_FD") < 0)
		return;
	MUST(vfio_get_info(fd, NULL, NULL, NULL), E(0), "GET_INFO");
	efd = efd_new();
	if (MUST(efd, E(0), "eventfd") < 0) {
		close(fd);
		return;
	}
	/*
	 * The device stays open between rounds (the other threads hold it):
	 * the other index may still have its trigger (EINVAL).
	 */
	ret = MUST(vfio_irq_set_eventfd(fd, idx, VFIO_IRQ_SET_ACTION_TRIGGER,
					efd), E(EINVAL), "SET_IRQS eventfd");
	MUST(loopback(fd, round & 0xff), E(0), "loopback on A");
	if (!ret)
		MUST(vfio_irq_set_eventfd(fd, idx, VFIO_IRQ_SET_ACTION_TRIGGER,
					  -1), E(0), "SET_IRQS -1");
	close(efd);
	close(fd);
}

static void round_kvm(struct soak *s, struct wctx *w, long round)
{
	struct kvm_vm vm;
	int cfd;

	if (MUST(kvm_vm_create(&vm), E(0), "VM") < 0)
		return;
	MUST(kvm_vm_file(&vm, s->group_a, true), E(0), "FILE_ADD group A");
	cfd = vfio_cdev_open(s->uuid_b);
	if (MUST(cfd, E(0), "open cdev B") >= 0) {
		MUST(kvm_vm_file(&vm, cfd, true), E(0), "FILE_ADD cdev B");
		if (round % 2)
			MUST(kvm_vm_file(&vm, cfd, false), E(0), "FILE_DEL cdev B");
		close(cfd);
	}
	if (round % 3 == 0)
		MUST(kvm_vm_file(&vm, s->group_a, false), E(0), "FILE_DEL group A");
	kvm_vm_close_fds(&vm);
}

static void round_inst(struct soak *s, struct wctx *w, long round)
{
	char uuid[MDEV_UUID_LEN + 1];
	long avail;
	int nports = 1 + round % 2, ret;

	mdev_new_uuid(uuid);
	if (MUST(mdev_create_uuid(s->drv, nports, uuid), E(0), "create"))
		return;
	avail = mdev_available(s->drv, 1);
	if (avail < 0 || avail > s->avail0)
		soak_fail(s, w->name, round, "available_instances %ld (%ld at the start)",
			  avail, s->avail0);
	if (round % 3 == 0) {
		struct vfio_dev d;

		ret = vfio_dev_open(&d, VFIO_PATH_CDEV, uuid);
		if (!MUST(ret, E(0), "open the new instance"))
			MUST(config_id(d.fd), E(0), "config IDs");
		vfio_dev_close(&d);
	}
	MUST(mdev_remove(uuid), E(0), "remove");
}

/* The device of D, open and holding a VM, while the rmmod thread runs. */
struct pin {
	struct kvm_vm vm;
	struct vfio_dev d;
};

static void round_rmmod(struct soak *s, struct wctx *w, long round,
			struct pin *p)
{
	const char *mods[] = { kvm_vendor_module(), "kvm", s->drv };
	const char *m = mods[round % 3];
	int ret;

	if (!m) {
		soak_fail(s, w->name, round, "no KVM vendor module loaded");
		return;
	}
	ret = module_unload(m);
	if (!ret) {
		soak_fail(s, w->name, round, "rmmod %s succeeded while held", m);
		return;
	}
	if (ret != -EWOULDBLOCK && ret != -EBUSY)
		soak_fail(s, w->name, round, "rmmod %s: %s", m, strerror(-ret));
	if (round % 50 == 0)
		MUST(loopback(p->d.fd, round & 0xff), E(0), "loopback on D");
}

static void *worker_main(void *arg)
{
	struct worker *self = arg;
	struct soak *s = self->s;
	struct wctx ctx = { .s = s, .self = self }, *w = &ctx;
	struct pin pin;
	uint64_t t0;
	long round;

	snprintf(ctx.buf, sizeof(ctx.buf), "%s#%d", kind_name[self->kind],
		 self->id);
	ctx.name = ctx.buf;
	if (self->kind == K_RMMOD) {
		round = -1;
		if (MUST(kvm_vm_create(&pin.vm), E(0), "pin: VM"))
			return NULL;
		vfio_dev_init(&pin.d, VFIO_PATH_GROUP, s->uuid_d);
		if (MUST(vfio_dev_prepare(&pin.d), E(0), "pin: prepare D") ||
		    MUST(kvm_vm_file(&pin.vm, pin.d.group, true), E(0), "pin: FILE_ADD") ||
		    MUST(vfio_dev_open_device(&pin.d), E(0), "pin: open D")) {
			vfio_dev_close(&pin.d);
			kvm_vm_close_fds(&pin.vm);
			return NULL;
		}
	}
	t0 = now_ms();
	for (round = 0; round < s->quota[self->kind] && !atomic_load(&s->stop);
	     round++) {
		switch (self->kind) {
		case K_GROUP: round_group(s, w, round); break;
		case K_CDEV: round_cdev(s, w, round); break;
		case K_IO: round_io(s, w, round); break;
		case K_KVM: round_kvm(s, w, round); break;
		case K_INST: round_inst(s, w, round); break;
		case K_RMMOD: round_rmmod(s, w, round, &pin); break;
		default: break;
		}
		atomic_fetch_add(&s->rounds[self->kind], 1);
	}
	t0 = now_ms() - t0;
	if ((long)t0 > atomic_load(&s->ms[self->kind]))
		atomic_store(&s->ms[self->kind], (long)t0);
	if (self->kind == K_RMMOD) {
		vfio_dev_close(&pin.d);
		kvm_vm_close_fds(&pin.vm);
	}
	return NULL;
}

/* ---- the fixture ---- */

FIXTURE(soak) {
	struct mdev_set set;
	struct soak s;
	struct kstate_mods mods;
	struct kmsg_watch kmsg;
	unsigned long leaks[256];
	int nleaks;
	int base_vms;
	struct vfio_dev a;
};

MDEV_DRIVER_VARIANTS(soak);

static bool soak_ready(const char *drv)
{
	return kvm_available() && kvm_vendor_module() && !kvm_debugfs_ensure();
}

FIXTURE_SETUP(soak)
{
	struct soak *s = &self->s;
	int idx, ret;

	mdev_setup_begin();
	MDEV_REQUIRE_DRIVER(variant->driver);
	if (!soak_ready(variant->driver))
		SKIP(return, "no KVM (/dev/kvm, kvm_amd or kvm_intel, debugfs)");

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->drv = variant->driver;
	s->group_a = s->iommufd = -1;
	self->a.fd = self->a.group = self->a.container = self->a.iommufd = -1;
	self->base_vms = kvm_vm_count();
	s->avail0 = mdev_available(s->drv, 1);
	kstate_mods(&self->mods);
	kmsg_watch_start(&self->kmsg);
	/* a scan is slow under TCG: only when asked */
	self->nleaks = kstate_kmemleak_wanted() ?
		       kmemleak_scan(self->leaks, 256, false) : -1;

	ret = mdev_set_create(&self->set, s->drv, 1, &idx);
	ASSERT_EQ(0, ret) TH_LOG("create A: %s", strerror(-ret));
	memcpy(s->uuid_a, self->set.uuid[idx], sizeof(s->uuid_a));
	ret = mdev_set_create(&self->set, s->drv, 2, &idx);
	ASSERT_EQ(0, ret) TH_LOG("create B: %s", strerror(-ret));
	memcpy(s->uuid_b, self->set.uuid[idx], sizeof(s->uuid_b));
	ret = mdev_set_create(&self->set, s->drv, 1, &idx);
	ASSERT_EQ(0, ret) TH_LOG("create D: %s", strerror(-ret));
	memcpy(s->uuid_d, self->set.uuid[idx], sizeof(s->uuid_d));

	/* A's group and container, for the threads' GET_DEVICE_FDs. */
	vfio_dev_init(&self->a, VFIO_PATH_GROUP, s->uuid_a);
	ret = vfio_dev_prepare(&self->a);
	ASSERT_EQ(0, ret) TH_LOG("group of A: %s", strerror(-ret));
	s->group_a = self->a.group;
	ret = iommufd_open(&s->iommufd, &s->ioas);
	ASSERT_EQ(0, ret) TH_LOG("iommufd: %s", strerror(-ret));
}

FIXTURE_TEARDOWN_PARENT(soak)
{
	mdev_teardown_begin();
	mdev_set_remove_all(&self->set);
	/* A failed test may have left the modules out. */
	if (self->s.drv) {
		if (!module_loaded("kvm_amd") && !module_loaded("kvm_intel"))
			module_load("kvm_amd");
		mdev_driver_load(self->s.drv);
	}
}

static long env_long(const char *name, long def)
{
	const char *e = getenv(name);

	return e && *e ? strtol(e, NULL, 0) : def;
}

TEST_F_TIMEOUT(soak, threads, 1800)
{
	struct soak *s = &self->s;
	long want = env_long("SOAK_ROUNDS", DEFAULT_ROUNDS), total = 0;
	struct worker workers[16];
	struct kstate_mods mods;
	struct vfio_dev b;
	const char *vendor;
	char why[512];
	int nw = 0, ret, leaks;
	uint64_t t0 = now_ms();

	for (int k = 0; k < K_NUM; k++)
		s->quota[k] = (want * kind_share[k] + 999) / 1000 / kind_threads[k];
	for (int k = 0; k < K_NUM; k++)
		for (int i = 0; i < kind_threads[k]; i++) {
			workers[nw] = (struct worker){ .s = s, .kind = k, .id = i };
			ASSERT_EQ(0, pthread_create(&workers[nw].tid, NULL,
						    worker_main, &workers[nw]));
			nw++;
		}
	for (int i = 0; i < nw; i++)
		pthread_join(workers[i].tid, NULL);
	for (int k = 0; k < K_NUM; k++) {
		total += s->rounds[k];
		ksft_print_msg("soak: %-10s %5ld rounds, %d thread(s), %ld ms\n",
			       kind_name[k], (long)s->rounds[k],
			       kind_threads[k], (long)s->ms[k]);
	}
	ksft_print_msg("soak: %s: %ld rounds in %llu ms, %ld cdev binds won\n",
		       s->drv, total, (unsigned long long)(now_ms() - t0),
		       (long)s->binds);
	ASSERT_FALSE(s->failed) TH_LOG("%s", s->fail);
	EXPECT_LE(want, total);
	EXPECT_LT(0, s->binds);

	/* The devices answer a fresh open. */
	ASSERT_EQ(0, vfio_dev_open_device(&self->a));
	EXPECT_EQ(0, config_id(self->a.fd));
	EXPECT_EQ(0, loopback(self->a.fd, 0x42));
	ASSERT_EQ(0, vfio_dev_open(&b, VFIO_PATH_CDEV, s->uuid_b));
	EXPECT_EQ(0, config_id(b.fd));
	EXPECT_EQ(0, loopback(b.fd, 0x24));
	vfio_dev_close(&b);
	/* Nothing held: VMs gone, modules unpinned, ports back. */
	vfio_dev_close(&self->a);
	close(s->iommufd);
	s->iommufd = -1;
	EXPECT_EQ(self->base_vms, kvm_vm_count());
	kstate_mods(&mods);
	EXPECT_EQ(0, kstate_mods_cmp(&self->mods, &mods, why, sizeof(why)))
		TH_LOG("%s", why);
	mdev_set_remove_all(&self->set);
	EXPECT_EQ(s->avail0, mdev_available_wait(s->drv, s->avail0));
	EXPECT_FALSE(kmsg_watch_splat(&self->kmsg, why, sizeof(why)))
		TH_LOG("kernel report: %s", why);
	kmsg_watch_stop(&self->kmsg);
	if (self->nleaks >= 0) {
		leaks = kmemleak_new(self->leaks, self->nleaks);
		EXPECT_EQ(0, leaks) TH_LOG("kmemleak: %d new objects", leaks);
	}

	/* With nothing held, the modules unload, and load again. */
	vendor = kvm_vendor_module();
	ASSERT_NE(NULL, vendor);
	ret = module_unload(s->drv);
	EXPECT_EQ(0, ret) TH_LOG("rmmod %s: %s (refcnt %ld)", s->drv,
				 strerror(-ret), module_refcnt(s->drv));
	ret = module_unload(vendor);
	EXPECT_EQ(0, ret) TH_LOG("rmmod %s: %s (refcnt %ld)", vendor,
				 strerror(-ret), module_refcnt(vendor));
	ret = module_unload("kvm");
	EXPECT_EQ(0, ret) TH_LOG("rmmod kvm: %s (refcnt %ld)", strerror(-ret),
				 module_refcnt("kvm"));
	ret = module_load(vendor);
	ASSERT_EQ(0, ret) TH_LOG("load %s: %s", vendor, strerror(-ret));
	ret = mdev_driver_load(s->drv);
	ASSERT_EQ(0, ret) TH_LOG("load %s: %s", s->drv, strerror(-ret));
	EXPECT_EQ(s->avail0, mdev_available(s->drv, 1));
}

MDEV_HARNESS_MAIN_READY(soak_ready)
