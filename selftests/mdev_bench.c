// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark: the Rust driver against the C mtty sample, in the same boot.
 *
 * For each driver it creates a 2-port instance, opens it through the VFIO
 * group path and times, over a fixed number of operations:
 *
 *   cfg_read    4-byte config space reads (vendor/device)
 *   lsr_read    1-byte reads of the line status register of port 0
 *   loopback    a byte written to THR and read back from RBR
 *   open_close  VFIO_GROUP_GET_DEVICE_FD and close, with no other fd
 *               open, so each is an open_device and a close_device;
 *               OPS / 10 of them
 *   mig_save    the end of a live migration: RUNNING -> STOP_COPY, the
 *               state read from the data fd to its end, the fd closed,
 *               back to RUNNING; OPS / 10 of them
 *
 * The drivers take turns, ROUNDS times, so that both see the same noise;
 * each figure is the median of its rounds.  The last column is the ratio
 * of the Rust driver's time to mtty's (below 1: the Rust driver is faster).
 *
 * It is a measurement, not a test: it fails only if a driver cannot be
 * used at all.  Output ends with "bench: ok" or "bench: FAILED".
 *
 * usage: mdev_bench [ROUNDS [OPS]]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/serial_reg.h>
#include <linux/vfio.h>

#include "mdev_helpers.h"

#define MAX_ROUNDS	15

static const char *const drivers[] = { "mtty", "rust_mtty" };
#define NDRV	2

enum op { CFG_READ, LSR_READ, LOOPBACK, OPEN_CLOSE, MIG_SAVE, NOPS };
static const char *const op_name[NOPS] = {
	"cfg_read", "lsr_read", "loopback", "open_close", "mig_save",
};

struct inst {
	struct mdev_set set;
	struct vfio_dev d;
	uint64_t cfg, bar0;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* FIFO on, so that a loopback byte is kept. */
static int fifo_on(struct inst *in)
{
	return uart_write(in->d.fd, in->bar0, UART_FCR,
			  UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR);
}

static int inst_open(struct inst *in, const char *drv)
{
	int idx, ret;

	memset(in, 0, sizeof(*in));
	ret = mdev_set_create(&in->set, drv, 2, &idx);
	if (ret)
		return ret;
	ret = vfio_dev_open(&in->d, VFIO_PATH_GROUP, in->set.uuid[idx]);
	if (!ret)
		ret = vfio_region(in->d.fd, VFIO_PCI_CONFIG_REGION_INDEX,
				  &in->cfg, NULL, NULL);
	if (!ret)
		ret = vfio_region(in->d.fd, VFIO_PCI_BAR0_REGION_INDEX,
				  &in->bar0, NULL, NULL);
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

/* Runs @ops operations of kind @op; returns ns per operation, or -errno. */
static long long run(struct inst *in, enum op op, int ops)
{
	uint64_t start;
	long long ns;
	uint32_t id;
	int i, ret = 0, fd;

	if (op == MIG_SAVE)
		ops = ops / 10 > 0 ? ops / 10 : 1;
	if (op == OPEN_CLOSE) {
		ops = ops / 10 > 0 ? ops / 10 : 1;
		close(in->d.fd);
		in->d.fd = -1;
	}
	start = now_ns();

	for (i = 0; i < ops && !ret; i++) {
		switch (op) {
		case CFG_READ:
			ret = region_read(in->d.fd, in->cfg, &id, 4);
			break;
		case LSR_READ:
			ret = uart_read(in->d.fd, in->bar0, UART_LSR);
			ret = ret < 0 ? ret : 0;
			break;
		case LOOPBACK:
			ret = uart_write(in->d.fd, in->bar0, UART_TX, i & 0xff);
			if (!ret)
				ret = uart_read(in->d.fd, in->bar0, UART_RX);
			ret = ret < 0 ? ret : ret == (i & 0xff) ? 0 : -EIO;
			break;
		case OPEN_CLOSE:
			fd = vfio_group_get_device_fd(in->d.group, in->d.uuid);
			if (fd < 0)
				ret = fd;
			else
				close(fd);
			break;
		case MIG_SAVE:
			ret = mig_save(in);
			break;
		default:
			ret = -EINVAL;
		}
	}
	ns = (long long)((now_ns() - start) / (uint64_t)ops);
	if (op == OPEN_CLOSE) {
		fd = vfio_group_get_device_fd(in->d.group, in->d.uuid);
		in->d.fd = fd;
		if (fd < 0 && !ret)
			ret = fd;
		if (!ret)
			ret = fifo_on(in);
	}
	return ret ? ret : ns;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	int ops = argc > 2 ? atoi(argv[2]) : 1000;
	static long long ns[NOPS][NDRV][MAX_ROUNDS];
	struct inst in[NDRV];
	int r, o, d, ret, failed = 0;

	if (rounds < 1 || rounds > MAX_ROUNDS || ops < 1) {
		fprintf(stderr, "usage: %s [ROUNDS (1-%d) [OPS]]\n", argv[0],
			MAX_ROUNDS);
		return 2;
	}
	mdev_remove_stale();
	for (d = 0; d < NDRV; d++) {
		ret = inst_open(&in[d], drivers[d]);
		if (ret) {
			printf("bench: %s: cannot open an instance: %s\n",
			       drivers[d], strerror(-ret));
			while (d--)
				inst_close(&in[d]);
			printf("bench: FAILED\n");
			return 1;
		}
	}
	printf("bench: %d rounds of %d operations, drivers taking turns\n",
	       rounds, ops);
	for (r = 0; r < rounds; r++)
		for (o = 0; o < NOPS; o++)
			for (d = 0; d < NDRV; d++) {
				/* alternate which driver goes first */
				int dd = (r + o) % 2 ? NDRV - 1 - d : d;

				ns[o][dd][r] = run(&in[dd], o, ops);
				if (ns[o][dd][r] < 0) {
					printf("bench: %s %s: %s\n", drivers[dd],
					       op_name[o],
					       strerror((int)-ns[o][dd][r]));
					failed = 1;
				}
			}
	for (d = 0; d < NDRV; d++)
		inst_close(&in[d]);
	if (failed) {
		printf("bench: FAILED\n");
		return 1;
	}

	printf("bench: %-12s %12s %12s %8s\n", "operation", "mtty ns/op",
	       "rust ns/op", "rust/C");
	for (o = 0; o < NOPS; o++) {
		long long med[NDRV];

		for (d = 0; d < NDRV; d++) {
			qsort(ns[o][d], rounds, sizeof(ns[o][d][0]), cmp_ll);
			med[d] = ns[o][d][rounds / 2];
		}
		printf("bench: %-12s %12lld %12lld %8.2f\n", op_name[o],
		       med[0], med[1], med[0] ? (double)med[1] / med[0] : 0.0);
	}
	printf("bench: ok\n");
	return 0;
}
