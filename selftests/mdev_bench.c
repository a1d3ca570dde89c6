// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark: the Rust driver against the C mtty sample, in the same boot.
 *
 * For each driver it creates two 2-port instances, opens them through the
 * VFIO group path and times, over OPS operations a round (OPS / 10 for
 * the slow ones, marked *) in batches of BATCH:
 *
 *   cfg_read      4-byte config space reads (vendor/device)
 *   lsr_read      1-byte reads of the line status register of port 0
 *   loopback      a byte written to THR and read back from RBR
 *   open_close*   VFIO_GROUP_GET_DEVICE_FD and close, with no other fd
 *                 open, so each is an open_device and a close_device
 *   open_close_vm*  the same with the group added to a KVM VM's KVM-VFIO
 *                 device, so that the device gets (and drops) the VM
 *   mig_save*     the end of a live migration: RUNNING -> STOP_COPY, the
 *                 state read from the data fd to its end, the fd closed,
 *                 back to RUNNING
 *   region_info   VFIO_DEVICE_GET_REGION_INFO (BAR0)
 *   irq_info      VFIO_DEVICE_GET_IRQ_INFO (INTx)
 *   irq_trigger   VFIO_DEVICE_SET_IRQS, ACTION_TRIGGER of MSI (an eventfd set)
 *   irq_mask_unmask  SET_IRQS MASK then UNMASK of INTx (one op = the pair)
 *   lat_intx      a byte written to THR (receive interrupt enabled) until
 *                 the INTx eventfd is read; then RBR is read and INTx
 *                 unmasked, outside the time
 *   lat_msi       the same with MSI
 *   mt_2ports     two threads, each a THR/RBR loopback on its own port of
 *                 one 2-port instance: wall time / (2 x OPS)
 *   mt_2inst      the same, each thread on port 0 of its own instance
 *
 * Then, with those instances removed, scale and memory: N = 1, 10 and
 * SCALE_MAX 1-port instances are created (sysfs), opened (container,
 * group, device fd), closed and removed, SCALE_MAX / N times over; the
 * median time of an instance in each step, and their sum.  At N = SCALE_MAX, the growth per instance, created
 * and opened, of the slab objects (/proc/slabinfo) and of the allocated
 * pages (/proc/vmstat), see meminfo().
 * SCALE_MAX is 24: mtty's pool of 24 ports is fixed at build time
 * (MAX_MTTYS in mtty.c).
 *
 * The large series, for the Rust driver alone (rust_mtty's pool_ports
 * module parameter raises its pool; scripts/bench.sh loads it with
 * pool_ports=1024): N = 1, 10, 100 and 1,000 instances, created, opened,
 * closed and removed as above, LARGE_SAMPLES / N times over (once at
 * 1,000), once per run; the median time of an instance at each size.  A
 * pool smaller than 1,000 stops the series at the largest size it holds.
 *
 * The floor: a one-byte pread of /dev/zero, the cost of a system call.
 *
 * The drivers take turns, ROUNDS times, the first alternating, so that
 * both see the same noise; each figure is the median of its rounds.  The
 * main thread runs on CPU 0, the second thread of the mt_ ops on CPU 1,
 * for both drivers; the second thread is created once and both threads
 * of a batch start together (see two_threads()).  The ratio is the Rust driver's over mtty's (below
 * 1: the Rust driver is faster or smaller).
 *
 * It is a measurement, not a test: it fails only if a driver cannot be
 * used at all.  Output: "bench: " lines (the table), "csv: " lines (the
 * same, machine readable), and "bench: ok" or "bench: FAILED" last.
 *
 * usage: [BENCH_NO_SCALE=1] mdev_bench [ROUNDS [OPS [DRIVER_A DRIVER_B]]]
 * (default 5 1000 mtty rust_mtty; the columns keep their names), or
 * mdev_bench insns DIR (see insns()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>

#include <linux/serial_reg.h>
#include <linux/vfio.h>

#include "mdev_helpers.h"

#define MAX_ROUNDS	31
#define SCALE_MAX	24
#define LARGE_MAX	1000
#define LARGE_SAMPLES	100

/* The two drivers compared; DRIVER_A DRIVER_B on the command line. */
static const char *drivers[] = { "mtty", "rust_mtty" };
#define NDRV	2

enum op {
	CFG_READ, LSR_READ, LOOPBACK, OPEN_CLOSE, OPEN_CLOSE_VM, MIG_SAVE,
	REGION_INFO, IRQ_INFO, IRQ_TRIGGER, IRQ_MASK_UNMASK, LAT_INTX,
	LAT_MSI, MT_2PORTS, MT_2INST, NOPS
};
static const char *const op_name[NOPS] = {
	"cfg_read", "lsr_read", "loopback", "open_close", "open_close_vm",
	"mig_save", "region_info", "irq_info", "irq_trigger",
	"irq_mask_unmask", "lat_intx", "lat_msi", "mt_2ports", "mt_2inst",
};

static const int scale_n[] = { 1, 10, SCALE_MAX };
#define NSCALE	3
static const int large_n[] = { 1, 10, 100, LARGE_MAX };
#define NLARGE	4
enum sphase { S_CREATE, S_OPEN, S_CLOSE, S_REMOVE, S_TOTAL, NPHASE };
static const char *const phase_name[NPHASE] = {
	"create", "open", "close", "remove", "total",
};
enum mem { M_SLAB_CREATED, M_SLAB_OPENED, M_PAGES_CREATED, M_PAGES_OPENED,
	   NMEM };
static const char *const mem_name[NMEM] = {
	"mem_slab_created", "mem_slab_opened", "mem_pages_created",
	"mem_pages_opened",
};

struct inst {
	struct mdev_set set;
	struct vfio_dev d;
	uint64_t cfg, bar[2];
};

static int ncpus;
static struct kvm_vm kvm;
static bool have_kvm;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % ncpus, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* FIFO on, so that a loopback byte is kept, on both ports. */
static int fifo_on(struct inst *in)
{
	int ret = 0;

	for (int p = 0; p < 2 && !ret; p++)
		ret = uart_write(in->d.fd, in->bar[p], UART_FCR,
				 UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR);
	return ret;
}

static int inst_open(struct inst *in, const char *drv)
{
	int idx, ret;

	memset(in, 0, sizeof(*in));
	ret = mdev_set_create(&in->set, drv, 2, &idx);
	if (ret)
		return ret;
	ret = vfio_dev_open(&in->d, VFIO_PATH_GROUP, in->set.uuid[idx]);
	/* as a VMM does first; mtty needs it for its interrupt ioctls */
	if (!ret)
		ret = vfio_get_info(in->d.fd, NULL, NULL, NULL);
	if (!ret)
		ret = vfio_region(in->d.fd, VFIO_PCI_CONFIG_REGION_INDEX,
				  &in->cfg, NULL, NULL);
	for (int p = 0; p < 2 && !ret; p++)
		ret = vfio_region(in->d.fd, VFIO_PCI_BAR0_REGION_INDEX + p,
				  &in->bar[p], NULL, NULL);
	if (!ret)
		ret = fifo_on(in);
	if (ret) {
		vfio_dev_close(&in->d);
		mdev_set_remove_all(&in->set);
	}
	return ret;
}

static void inst_close(struct inst *in)
{
	vfio_dev_close(&in->d);
	mdev_set_remove_all(&in->set);
}

/*
 * One save of the device's migration state, as a VMM does it at the end of
 * a migration: RUNNING -> STOP_COPY (a new data fd), read to the end of
 * stream, close it, back to RUNNING.
 */
static int mig_save(struct inst *in)
{
	char buf[4096];
	int dfd, end, ret;
	long n;

	ret = vfio_mig_set_state(in->d.fd, VFIO_DEVICE_STATE_STOP_COPY, &dfd);
	if (ret)
		return ret;
	n = vfio_mig_read(dfd, buf, sizeof(buf), &end);
	close(dfd);
	ret = vfio_mig_set_state(in->d.fd, VFIO_DEVICE_STATE_RUNNING, NULL);
	if (n < 0)
		return (int)n;
	return end ? end : ret;
}

static int loopback(int fd, uint64_t bar, int i)
{
	int ret = uart_write(fd, bar, UART_TX, i & 0xff);

	if (!ret)
		ret = uart_read(fd, bar, UART_RX);
	return ret < 0 ? ret : ret == (i & 0xff) ? 0 : -EIO;
}

/* ---- two threads ---- */

/*
 * The second thread of the mt_ operations: created once, pinned to CPU 1,
 * it sleeps between batches.  For a batch it is woken, says it is ready
 * and spins until the main thread (on CPU 0) starts both at once, so that
 * neither a thread's creation nor a sleeping thread's wake-up (an IPI,
 * slow under TCG) is inside the time.
 */
static struct {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int req, done;		/* batches asked for and finished, under lock */
	int ready, go, fin;	/* batch numbers, atomic, spun on */
	int fd, ops, ret;
	uint64_t bar, t0, t1;
} mt = { .lock = PTHREAD_MUTEX_INITIALIZER,
	 .wake = PTHREAD_COND_INITIALIZER };

static void *mt_helper(void *arg)
{
	int gen = 0;

	pin(1);
	for (;;) {
		pthread_mutex_lock(&mt.lock);
		while (mt.req == gen)
			pthread_cond_wait(&mt.wake, &mt.lock);
		gen = mt.req;
		pthread_mutex_unlock(&mt.lock);
		if (gen < 0)
			return NULL;
		__atomic_store_n(&mt.ready, gen, __ATOMIC_RELEASE);
		while (__atomic_load_n(&mt.go, __ATOMIC_ACQUIRE) != gen)
			;
		mt.ret = 0;
		mt.t0 = now_ns();
		for (int i = 0; i < mt.ops && !mt.ret; i++)
			mt.ret = loopback(mt.fd, mt.bar, i);
		mt.t1 = now_ns();
		__atomic_store_n(&mt.fin, gen, __ATOMIC_RELEASE);
	}
}

static int mt_start(void)
{
	return pthread_create(&mt.thread, NULL, mt_helper, NULL) ? -EAGAIN : 0;
}

static void mt_stop(void)
{
	pthread_mutex_lock(&mt.lock);
	mt.req = -1;
	pthread_cond_signal(&mt.wake);
	pthread_mutex_unlock(&mt.lock);
	pthread_join(mt.thread, NULL);
}

/*
 * Two threads, a loopback each on (fd[i], bar[i]): this one (CPU 0) and
 * the helper (CPU 1), started together; ns per operation, from the first
 * thread's start to the last one's end.
 */
static long long two_threads(const int fd[2], const uint64_t bar[2], int ops)
{
	uint64_t t0, t1;
	int gen, ret = 0;

	pthread_mutex_lock(&mt.lock);
	gen = ++mt.req;
	mt.fd = fd[1];
	mt.bar = bar[1];
	mt.ops = ops;
	pthread_cond_signal(&mt.wake);
	pthread_mutex_unlock(&mt.lock);
	while (__atomic_load_n(&mt.ready, __ATOMIC_ACQUIRE) != gen)
		;
	__atomic_store_n(&mt.go, gen, __ATOMIC_RELEASE);
	t0 = now_ns();
	for (int i = 0; i < ops && !ret; i++)
		ret = loopback(fd[0], bar[0], i);
	t1 = now_ns();
	while (__atomic_load_n(&mt.fin, __ATOMIC_ACQUIRE) != gen)
		;
	if (!ret)
		ret = mt.ret;
	if (mt.t0 < t0)
		t0 = mt.t0;
	if (mt.t1 > t1)
		t1 = mt.t1;
	return ret ? ret : (long long)((t1 - t0) / (2ull * ops));
}

/* ---- interrupts ---- */

/* Receive interrupts of port 0 on @index (INTx or MSI) to @efd. */
static int irq_on(struct inst *in, uint32_t index, int efd)
{
	int ret = uart_enable_rx_irq(in->d.fd, in->bar[0]);

	if (!ret)
		ret = vfio_irq_set_eventfd(in->d.fd, index,
					   VFIO_IRQ_SET_ACTION_TRIGGER, efd);
	return ret;
}

static int irq_off(struct inst *in, uint32_t index)
{
	int ret = vfio_irq_set_none(in->d.fd, index,
				    VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0);

	if (!ret)
		ret = uart_write(in->d.fd, in->bar[0], UART_IER, 0);
	if (!ret)
		ret = fifo_on(in);
	return ret;
}

/* A byte to THR until @efd fires; ns per operation, or -errno. */
static long long latency(struct inst *in, uint32_t index, int ops)
{
	int efd = efd_new(), ret, i;
	uint64_t sum = 0, t0;
	long n;

	if (efd < 0)
		return efd;
	ret = irq_on(in, index, efd);
	for (i = 0; i < ops && !ret; i++) {
		t0 = now_ns();
		ret = uart_write(in->d.fd, in->bar[0], UART_TX, i & 0xff);
		if (ret)
			break;
		n = efd_wait(efd, EVENT_MS);
		sum += now_ns() - t0;
		if (n <= 0) {
			fprintf(stderr, "lat %s: no interrupt within %d ms\n",
				index ? "msi" : "intx", EVENT_MS);
			ret = n < 0 ? (int)n : -ETIMEDOUT;
			break;
		}
		ret = uart_read(in->d.fd, in->bar[0], UART_RX);
		ret = ret < 0 ? ret : 0;
		if (!ret && index == VFIO_PCI_INTX_IRQ_INDEX)
			ret = vfio_irq_set_none(in->d.fd, index,
						VFIO_IRQ_SET_ACTION_UNMASK,
						0, 1);
	}
	if (!ret)
		ret = irq_off(in, index);
	else
		irq_off(in, index);
	close(efd);
	return ret ? ret : (long long)(sum / ops);
}

/* SET_IRQS trigger (MSI) or mask/unmask (INTx) with an eventfd set. */
static long long irq_ioctl(struct inst *in, enum op op, int ops)
{
	uint32_t index = op == IRQ_TRIGGER ? VFIO_PCI_MSI_IRQ_INDEX :
					     VFIO_PCI_INTX_IRQ_INDEX;
	int efd = efd_new(), ret, i;
	uint64_t t0;

	if (efd < 0)
		return efd;
	ret = vfio_irq_set_eventfd(in->d.fd, index,
				   VFIO_IRQ_SET_ACTION_TRIGGER, efd);
	t0 = now_ns();
	for (i = 0; i < ops && !ret; i++) {
		if (op == IRQ_TRIGGER) {
			ret = vfio_irq_set_none(in->d.fd, index,
						VFIO_IRQ_SET_ACTION_TRIGGER,
						0, 1);
			continue;
		}
		ret = vfio_irq_set_none(in->d.fd, index,
					VFIO_IRQ_SET_ACTION_MASK, 0, 1);
		if (!ret)
			ret = vfio_irq_set_none(in->d.fd, index,
						VFIO_IRQ_SET_ACTION_UNMASK,
						0, 1);
	}
	t0 = now_ns() - t0;
	if (!ret && op == IRQ_TRIGGER && efd_wait(efd, EVENT_MS) != ops)
		ret = -EIO;	/* every trigger must have signalled */
	if (!ret)
		ret = vfio_irq_set_none(in->d.fd, index,
					VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0);
	close(efd);
	return ret ? ret : (long long)(t0 / ops);
}

/* ---- one op on one driver ---- */

/* Runs @ops operations of kind @op; returns ns per operation, or -errno. */
static long long run(struct inst in[2], enum op op, int ops)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri),
				       .index = VFIO_PCI_BAR0_REGION_INDEX };
	struct vfio_irq_info ii = { .argsz = sizeof(ii),
				    .index = VFIO_PCI_INTX_IRQ_INDEX };
	bool reopen = op == OPEN_CLOSE || op == OPEN_CLOSE_VM;
	uint64_t start;
	long long ns;
	uint32_t id;
	int i, ret = 0, fd;

	switch (op) {
	case LAT_INTX:
		return latency(in, VFIO_PCI_INTX_IRQ_INDEX, ops);
	case LAT_MSI:
		return latency(in, VFIO_PCI_MSI_IRQ_INDEX, ops);
	case IRQ_TRIGGER:
	case IRQ_MASK_UNMASK:
		return irq_ioctl(in, op, ops);
	case MT_2PORTS:
		return two_threads((int[2]){ in[0].d.fd, in[0].d.fd },
				   in[0].bar, ops);
	case MT_2INST:
		return two_threads((int[2]){ in[0].d.fd, in[1].d.fd },
				   (uint64_t[2]){ in[0].bar[0], in[1].bar[0] },
				   ops);
	default:
		break;
	}
	if (op == MIG_SAVE || reopen)
		ops = ops / 10 > 0 ? ops / 10 : 1;
	if (reopen) {
		close(in->d.fd);
		in->d.fd = -1;
		if (op == OPEN_CLOSE_VM)
			ret = kvm_vm_file(&kvm, in->d.group, true);
	}
	start = now_ns();

	for (i = 0; i < ops && !ret; i++) {
		switch (op) {
		case CFG_READ:
			ret = region_read(in->d.fd, in->cfg, &id, 4);
			break;
		case LSR_READ:
			ret = uart_read(in->d.fd, in->bar[0], UART_LSR);
			ret = ret < 0 ? ret : 0;
			break;
		case LOOPBACK:
			ret = loopback(in->d.fd, in->bar[0], i);
			break;
		case OPEN_CLOSE:
		case OPEN_CLOSE_VM:
			fd = vfio_group_get_device_fd(in->d.group, in->d.uuid);
			if (fd < 0)
				ret = fd;
			else
				close(fd);
			break;
		case MIG_SAVE:
			ret = mig_save(in);
			break;
		case REGION_INFO:
			ret = ioctl(in->d.fd, VFIO_DEVICE_GET_REGION_INFO, &ri) ?
			      -errno : 0;
			break;
		case IRQ_INFO:
			ret = ioctl(in->d.fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) ?
			      -errno : 0;
			break;
		default:
			ret = -EINVAL;
		}
	}
	ns = (long long)((now_ns() - start) / (uint64_t)ops);
	if (reopen) {
		if (op == OPEN_CLOSE_VM) {
			int r = kvm_vm_file(&kvm, in->d.group, false);

			if (!ret)
				ret = r;
		}
		fd = vfio_group_get_device_fd(in->d.group, in->d.uuid);
		in->d.fd = fd;
		if (fd < 0 && !ret)
			ret = fd;
		if (!ret)
			ret = vfio_get_info(fd, NULL, NULL, NULL);
		if (!ret)
			ret = fifo_on(in);
	}
	return ret ? ret : ns;
}

/* ---- scale and memory ---- */

/*
 * The bytes of allocated slab objects (/proc/slabinfo: active objects x
 * object size, summed over the caches) and of allocated pages
 * (/proc/vmstat: pages allocated less pages freed since boot, slab pages
 * included; MemFree does not see pages taken from the per-CPU lists).
 * The reclaimable caches (dentries, inodes, page cache) are dropped first
 * and objects freed after an RCU grace period given time to go, so that
 * what is left is what the instances hold.
 */
static int meminfo(long long *slab, long long *pages)
{
	char line[512], name[64];
	long long active, total, size, v, alloc = 0, freed = 0;
	FILE *f;

	sync();
	file_write_str("/proc/sys/vm/drop_caches", "3");
	usleep(300000);
	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return -errno;
	*slab = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld %lld %lld", name, &active, &total,
			   &size) == 4)
			*slab += active * size;
	fclose(f);
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "pgalloc_%63s %lld", name, &v) == 2)
			alloc += v;
		else if (sscanf(line, "pgfree %lld", &v) == 1)
			freed = v;
	}
	fclose(f);
	*pages = (alloc - freed) * sysconf(_SC_PAGESIZE);
	return 0;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static long long median(long long *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_ll);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * Create, open, close and remove @n 1-port instances of @drv, each step
 * of each instance timed on its own, @samples / @n times over (at least
 * once): in ph[] the median time of an instance in each phase (a host
 * preemption spoils one instance's time, not the figure), and their sum;
 * with @mem, the memory growth per instance in mem[] (the first time).
 */
static int scale(const char *drv, int n, int samples, long long ph[NPHASE],
		 long long *mem)
{
	int i, k, rep, reps = samples / n > 1 ? samples / n : 1, ret = 0;
	char (*uuid)[MDEV_UUID_LEN + 1] = calloc(n, sizeof(*uuid));
	struct vfio_dev *dev = calloc(n, sizeof(*dev));
	long long *t = calloc((size_t)S_TOTAL * reps * n, sizeof(*t));
	long long slab0, pages0, slab, pages;
	uint64_t t0;

	if (!uuid || !dev || !t) {
		ret = -ENOMEM;
		goto out;
	}
	for (rep = 0; rep < reps && !ret; rep++) {
		long long *tc = t + (0 * reps + rep) * n;
		long long *to = t + (1 * reps + rep) * n;
		long long *tx = t + (2 * reps + rep) * n;
		long long *tr = t + (3 * reps + rep) * n;
		int made = 0, opened = 0;

		if (rep)
			mem = NULL;
		for (i = 0; i < n; i++)
			mdev_new_uuid(uuid[i]);
		if (mem)
			ret = meminfo(&slab0, &pages0);
		for (i = 0; i < n && !ret; i++, made++) {
			t0 = now_ns();
			ret = mdev_create_uuid(drv, 1, uuid[i]);
			tc[i] = now_ns() - t0;
		}
		if (mem && !ret) {
			ret = meminfo(&slab, &pages);
			mem[M_SLAB_CREATED] = (slab - slab0) / n;
			mem[M_PAGES_CREATED] = (pages - pages0) / n;
		}
		for (i = 0; i < n && !ret; i++, opened++) {
			t0 = now_ns();
			ret = vfio_dev_open(&dev[i], VFIO_PATH_GROUP, uuid[i]);
			to[i] = now_ns() - t0;
		}
		if (mem && !ret) {
			ret = meminfo(&slab, &pages);
			mem[M_SLAB_OPENED] = (slab - slab0) / n;
			mem[M_PAGES_OPENED] = (pages - pages0) / n;
		}
		for (i = 0; i < opened; i++) {
			t0 = now_ns();
			vfio_dev_close(&dev[i]);
			tx[i] = now_ns() - t0;
		}
		for (i = 0; i < made; i++) {
			int r;

			t0 = now_ns();
			r = mdev_remove(uuid[i]);
			tr[i] = now_ns() - t0;
			if (r && !ret)
				ret = r;
		}
	}
	if (ret)
		goto out;
	ph[S_TOTAL] = 0;
	for (k = 0; k < S_TOTAL; k++) {
		ph[k] = median(t + (size_t)k * reps * n, reps * n);
		ph[S_TOTAL] += ph[k];
	}
out:
	free(t);
	free(dev);
	free(uuid);
	return ret;
}

/* How many 1-port instances of @drv can be created now (0 if unknown). */
static int available_1port(const char *drv)
{
	char path[256];
	long n;

	snprintf(path, sizeof(path),
		 "/sys/class/mdev_bus/%s/mdev_supported_types/%s-1/available_instances",
		 drv, drv);
	return file_read_long(path, &n) < 0 || n < 0 || n > INT32_MAX ? 0 : (int)n;
}

/* ---- output ---- */

static void row(const char *name, const char *unit, long long c, long long r)
{
	double ratio = c ? (double)r / c : 0.0;

	printf("bench: %-22s %-9s %12lld %12lld %8.2f\n", name, unit, c, r,
	       ratio);
	printf("csv: %s,%s,%lld,%lld,%.3f\n", name, unit, c, r, ratio);
}

#define BATCH		25	/* operations timed at a time */
#define MAX_BATCHES	(MAX_ROUNDS * 64)
static long long ns[NOPS][NDRV][MAX_BATCHES];
static long long sc[NSCALE][NPHASE][NDRV][MAX_ROUNDS];
static long long mm[NMEM][NDRV][MAX_ROUNDS];
static long long floor_ns[MAX_BATCHES];

static long long floor_round(int ops)
{
	int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	uint64_t t0;
	char c;

	if (fd < 0)
		return -errno;
	t0 = now_ns();
	for (int i = 0; i < ops; i++)
		if (pread(fd, &c, 1, 0) != 1) {
			close(fd);
			return -EIO;
		}
	t0 = now_ns() - t0;
	close(fd);
	return (long long)(t0 / ops);
}

/* ---- one of each register access and info ioctl, for a debugger ---- */

static void touch(const char *dir, const char *name)
{
	char path[PATH_MAX];
	FILE *f;

	fflush(stdout);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f)
		fclose(f);
	else
		printf("insns: cannot create %s: %s\n", path, strerror(errno));
}

/*
 * mdev_bench insns DIR: for scripts/bench-insns.sh, which counts the
 * instructions of each of VFIO's file operations under a debugger.  With
 * an instance of each driver open, touches DIR/ready and waits for
 * DIR/armed; then, for each driver in turn, one of each access below
 * (each one call of a VFIO file operation, nothing else does any), and
 * DIR/done.  The order is insns_ops[], the script's too.
 */
static const char *const insns_ops[] = {
	"cfg_read (pread 4 B)", "lsr_read (pread 1 B)", "thr_write (pwrite 1 B)",
	"rbr_read (pread 1 B)", "region_info (ioctl)", "irq_info (ioctl)",
};

static int insns(const char *dir)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri),
				       .index = VFIO_PCI_BAR0_REGION_INDEX };
	struct vfio_irq_info ii = { .argsz = sizeof(ii),
				    .index = VFIO_PCI_INTX_IRQ_INDEX };
	char path[PATH_MAX];
	struct inst in[NDRV];
	uint32_t v;
	int d, ret = 0;

	for (d = 0; d < NDRV && !ret; d++) {
		ret = inst_open(&in[d], drivers[d]);
		if (ret) {
			printf("insns: %s: cannot open an instance: %s\n",
			       drivers[d], strerror(-ret));
			while (d--)
				inst_close(&in[d]);
			return 1;
		}
	}
	for (d = 0; d < NDRV; d++)
		for (size_t k = 0; k < sizeof(insns_ops) / sizeof(insns_ops[0]); k++)
			printf("insns: op: %s %s\n", drivers[d], insns_ops[k]);
	touch(dir, "ready");
	snprintf(path, sizeof(path), "%s/armed", dir);
	while (!path_exists(path))
		usleep(100 * 1000);
	for (d = 0; d < NDRV && !ret; d++) {
		int fd = in[d].d.fd;
		uint64_t bar = in[d].bar[0];

		if (pread(fd, &v, 4, in[d].cfg) != 4)
			ret = -EIO;
		if (!ret && uart_read(fd, bar, UART_LSR) < 0)
			ret = -EIO;
		if (!ret)
			ret = uart_write(fd, bar, UART_TX, 'x');
		if (!ret && uart_read(fd, bar, UART_RX) != 'x')
			ret = -EIO;
		if (!ret && ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &ri))
			ret = -errno;
		if (!ret && ioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, &ii))
			ret = -errno;
		if (ret)
			printf("insns: %s: %s\n", drivers[d], strerror(-ret));
	}
	touch(dir, "done");
	for (d = 0; d < NDRV; d++)
		inst_close(&in[d]);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	int ops = argc > 2 ? atoi(argv[2]) : 1000;
	struct inst in[NDRV][2];
	int r, o, d, k, s, b, nb, ret, failed = 0;
	long long large[NLARGE][NPHASE];
	int large_avail = 0, nlarge = 0;
	struct rlimit nofile;
	bool no_scale;

	if (argc == 3 && !strcmp(argv[1], "insns"))
		return insns(argv[2]);
	if (argc > 4) {
		/* e.g. "mtty mtty": an A/A run, which shows the harness's bias */
		drivers[0] = argv[3];
		drivers[1] = argv[4];
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || ops < BATCH ||
	    ops / BATCH > MAX_BATCHES / MAX_ROUNDS) {
		fprintf(stderr, "usage: %s [ROUNDS (1-%d) [OPS (%d-%d)]]\n",
			argv[0], MAX_ROUNDS, BATCH,
			BATCH * MAX_BATCHES / MAX_ROUNDS);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The large series holds three files per open instance. */
	nofile.rlim_cur = nofile.rlim_max = 4 * LARGE_MAX + 64;
	if (setrlimit(RLIMIT_NOFILE, &nofile))
		printf("bench: cannot raise the open file limit: %s\n",
		       strerror(errno));
	ncpus = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 2 : 1;
	pin(0);
	mdev_remove_stale();
	have_kvm = kvm_available() && !kvm_vm_create(&kvm);
	if (!have_kvm)
		printf("bench: no KVM: open_close_vm is not measured\n");
	for (d = 0; d < NDRV; d++)
		for (k = 0; k < 2; k++) {
			ret = inst_open(&in[d][k], drivers[d]);
			if (!ret)
				continue;
			printf("bench: %s: cannot open an instance: %s\n",
			       drivers[d], strerror(-ret));
			while (k--)
				inst_close(&in[d][k]);
			while (d--)
				for (k = 0; k < 2; k++)
					inst_close(&in[d][k]);
			printf("bench: FAILED\n");
			return 1;
		}
	if (mt_start()) {
		printf("bench: cannot create the second thread\nbench: FAILED\n");
		return 1;
	}
	printf("bench: %d rounds of %d operations, drivers taking turns, %d CPU(s)\n",
	       rounds, ops, ncpus);
	/*
	 * Round -1 warms up (page faults, caches) and is not counted.  In
	 * each round, each operation runs OPS times in batches of BATCH, the
	 * drivers taking turns batch by batch (the first alternating), so
	 * that both see the same noise; a figure is the median of its
	 * batches, so that a host preemption spoils a batch, not the figure.
	 */
	nb = ops / BATCH;
	for (r = -1; r < rounds && !failed; r++) {
		fprintf(stderr, "round %d\n", r);
		for (b = 0; b < nb && r >= 0; b++)
			floor_ns[r * nb + b] = floor_round(BATCH);
		for (o = 0; o < NOPS && !failed; o++) {
			if (o == OPEN_CLOSE_VM && !have_kvm)
				continue;
			for (b = 0; b < nb && !failed; b++)
				for (d = 0; d < NDRV; d++) {
					int dd = (r + 1 + o + b) % 2 ?
						 NDRV - 1 - d : d;
					long long t = run(in[dd], o, BATCH);

					if (t < 0) {
						printf("bench: %s %s: %s\n",
						       drivers[dd], op_name[o],
						       strerror((int)-t));
						failed = 1;
					}
					if (r >= 0)
						ns[o][dd][r * nb + b] = t;
				}
		}
	}
	mt_stop();
	for (d = 0; d < NDRV; d++)
		for (k = 0; k < 2; k++)
			inst_close(&in[d][k]);
	if (have_kvm)
		kvm_vm_close_fds(&kvm);

	/* Scale and memory, with the pool free; BENCH_NO_SCALE skips them. */
	no_scale = getenv("BENCH_NO_SCALE") != NULL;
	for (r = 0; r < rounds && !failed && !no_scale; r++)
		for (s = 0; s < NSCALE; s++)
			for (d = 0; d < NDRV; d++) {
				int dd = (r + s) % 2 ? NDRV - 1 - d : d;
				long long ph[NPHASE], mem[NMEM];
				bool at_max = scale_n[s] == SCALE_MAX;

				ret = scale(drivers[dd], scale_n[s], SCALE_MAX,
					    ph, at_max ? mem : NULL);
				if (ret) {
					printf("bench: %s scale %d: %s\n",
					       drivers[dd], scale_n[s],
					       strerror(-ret));
					failed = 1;
					break;
				}
				for (k = 0; k < NPHASE; k++)
					sc[s][k][dd][r] = ph[k];
				for (k = 0; at_max && k < NMEM; k++)
					mm[k][dd][r] = mem[k];
			}
	/* The large series, the Rust driver (the second column) alone. */
	large_avail = no_scale || failed ? 0 : available_1port(drivers[1]);
	for (s = 0; s < NLARGE && large_n[s] <= large_avail && !failed; s++) {
		fprintf(stderr, "large %d\n", large_n[s]);
		ret = scale(drivers[1], large_n[s], LARGE_SAMPLES, large[s],
			    NULL);
		if (ret) {
			printf("bench: %s large %d: %s\n", drivers[1],
			       large_n[s], strerror(-ret));
			failed = 1;
		}
		nlarge = s + 1;
	}
	if (failed) {
		printf("bench: FAILED\n");
		return 1;
	}

	printf("bench: %-22s %-9s %12s %12s %8s\n", "operation", "unit",
	       "mtty", "rust_mtty", "rust/C");
	for (o = 0; o < NOPS; o++) {
		if (o == OPEN_CLOSE_VM && !have_kvm)
			continue;
		row(op_name[o], "ns/op", median(ns[o][0], rounds * nb),
		    median(ns[o][1], rounds * nb));
	}
	for (s = 0; s < NSCALE && !no_scale; s++)
		for (k = 0; k < NPHASE; k++) {
			char name[32];

			snprintf(name, sizeof(name), "scale%d_%s", scale_n[s],
				 phase_name[k]);
			row(name, "ns/inst", median(sc[s][k][0], rounds),
			    median(sc[s][k][1], rounds));
		}
	for (k = 0; k < NMEM && !no_scale; k++)
		row(mem_name[k], "B/inst", median(mm[k][0], rounds),
		    median(mm[k][1], rounds));
	if (!no_scale && nlarge < NLARGE)
		printf("bench: large series: %s's pool holds %d 1-port instances, not %d: it stops at %d\n",
		       drivers[1], large_avail, LARGE_MAX,
		       nlarge ? large_n[nlarge - 1] : 0);
	for (s = 0; s < nlarge; s++) {
		char name[32];

		snprintf(name, sizeof(name), "large%d_total", large_n[s]);
		printf("bench: %-22s %-9s %12s %12lld %8s (%s alone)\n", name,
		       "ns/inst", "-", large[s][S_TOTAL], "-", drivers[1]);
		printf("csv: %s,ns/inst,,%lld,\n", name, large[s][S_TOTAL]);
	}
	{
		long long f = median(floor_ns, rounds * nb);

		printf("bench: %-22s %-9s %12lld (a system call: the same for both)\n",
		       "floor_pread_dev_zero", "ns/op", f);
		printf("csv: floor_pread_dev_zero,ns/op,%lld,%lld,1.000\n", f,
		       f);
	}
	printf("bench: ok\n");
	return 0;
}
