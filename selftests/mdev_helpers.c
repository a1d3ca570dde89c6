// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the VFIO mdev selftests.  See mdev_helpers.h.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include <linux/iommufd.h>
#include <linux/kvm.h>
#include <linux/serial_reg.h>
#include <linux/vfio.h>

#include "mdev_helpers.h"

/* ---- sysfs / files ---- */

int file_read_str(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	return n;
}

int file_read_long(const char *path, long *val)
{
	char buf[64], *end;
	int ret;

	ret = file_read_str(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	errno = 0;
	*val = strtol(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

int file_write_str(const char *path, const char *s)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

bool path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- driver and types ---- */

const char *mdev_driver(void)
{
	const char *drv = getenv("MDEV_DRIVER");

	return drv && *drv ? drv : "mtty";
}

bool mdev_parent_present(const char *drv)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/mdev_supported_types",
		 MDEV_CLASS_DIR, drv);
	return path_exists(path);
}

void mdev_type_path(char *buf, size_t len, const char *drv, int nports,
		    const char *attr)
{
	snprintf(buf, len, "%s/%s/mdev_supported_types/%s-%d%s%s",
		 MDEV_CLASS_DIR, drv, drv, nports, attr ? "/" : "",
		 attr ? attr : "");
}

long mdev_available(const char *drv, int nports)
{
	char path[PATH_MAX];
	long val;
	int ret;

	mdev_type_path(path, sizeof(path), drv, nports, "available_instances");
	ret = file_read_long(path, &val);
	return ret ? ret : val;
}

/* ---- instances ---- */

void mdev_new_uuid(char uuid[MDEV_UUID_LEN + 1])
{
	static unsigned int seq;
	unsigned long long tail;

	tail = ((unsigned long long)(getpid() & 0xffffff) << 24) ^
	       ((unsigned long long)now_ms() << 8) ^ (seq++ & 0xff);
	snprintf(uuid, MDEV_UUID_LEN + 1, "%s-%04x-4%03x-8%03x-%012llx",
		 MDEV_UUID_MARK, (unsigned int)(random() & 0xffff),
		 (unsigned int)(random() & 0xfff),
		 (unsigned int)(random() & 0xfff),
		 tail & 0xffffffffffffULL);
}

int mdev_create_uuid(const char *drv, int nports, const char *uuid)
{
	char path[PATH_MAX];

	mdev_type_path(path, sizeof(path), drv, nports, "create");
	return file_write_str(path, uuid);
}

int mdev_remove(const char *uuid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/remove", MDEV_BUS_DIR, uuid);
	return file_write_str(path, "1");
}

int mdev_set_create(struct mdev_set *set, const char *drv, int nports,
		    int *idx)
{
	char uuid[MDEV_UUID_LEN + 1];
	int i, ret;

	for (i = 0; i < MDEV_MAX_INSTANCES; i++)
		if (!set->uuid[i][0])
			break;
	if (i == MDEV_MAX_INSTANCES)
		return -ENOSPC;

	mdev_new_uuid(uuid);
	ret = mdev_create_uuid(drv, nports, uuid);
	if (ret)
		return ret;
	memcpy(set->uuid[i], uuid, sizeof(uuid));
	if (i >= set->n)
		set->n = i + 1;
	if (idx)
		*idx = i;
	return 0;
}

int mdev_set_remove(struct mdev_set *set, int idx)
{
	int ret;

	if (idx < 0 || idx >= MDEV_MAX_INSTANCES || !set->uuid[idx][0])
		return -ENOENT;
	ret = mdev_remove(set->uuid[idx]);
	/* Gone already (e.g. parent unloaded) counts as removed. */
	if (!ret || ret == -ENOENT)
		set->uuid[idx][0] = '\0';
	return ret == -ENOENT ? 0 : ret;
}

void mdev_set_remove_all(struct mdev_set *set)
{
	int i;

	for (i = 0; i < set->n; i++)
		if (set->uuid[i][0])
			mdev_set_remove(set, i);
	set->n = 0;
}

void mdev_remove_stale(void)
{
	struct dirent *de;
	DIR *dir;

	dir = opendir(MDEV_BUS_DIR);
	if (!dir)
		return;
	while ((de = readdir(dir)))
		if (!strncmp(de->d_name, MDEV_UUID_MARK, strlen(MDEV_UUID_MARK)))
			mdev_remove(de->d_name);
	closedir(dir);
}

void mdev_attr_path(char *buf, size_t len, const char *uuid, const char *attr)
{
	snprintf(buf, len, "%s/%s/%s", MDEV_BUS_DIR, uuid, attr);
}

/* ---- VFIO ---- */

int vfio_group_number(const char *uuid)
{
	char path[PATH_MAX], link[PATH_MAX], *base;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s/iommu_group", MDEV_BUS_DIR, uuid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	base = strrchr(link, '/');
	return atoi(base ? base + 1 : link);
}

int vfio_group_get_device_fd(int group, const char *uuid)
{
	int fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, uuid);

	return fd < 0 ? -errno : fd;
}

int vfio_cdev_open(const char *uuid)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int fd = -ENOENT;

	snprintf(path, sizeof(path), "%s/%s/vfio-dev", MDEV_BUS_DIR, uuid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "vfio", 4))
			continue;
		snprintf(path, sizeof(path), "/dev/vfio/devices/%s", de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			fd = -errno;
		break;
	}
	closedir(dir);
	return fd;
}

int vfio_cdev_bind(int devfd, int iommufd)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = iommufd,
	};

	return ioctl(devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind) ? -errno : 0;
}

int vfio_cdev_attach(int devfd, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach),
		.pt_id = pt_id,
	};

	return ioctl(devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach) ? -errno : 0;
}

int iommufd_open(int *iommufd, uint32_t *ioas_id)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	int fd, ret;

	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, IOMMU_IOAS_ALLOC, &alloc)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	*iommufd = fd;
	*ioas_id = alloc.out_ioas_id;
	return 0;
}

void vfio_dev_init(struct vfio_dev *d, enum vfio_path path, const char *uuid)
{
	memset(d, 0, sizeof(*d));
	d->path = path;
	snprintf(d->uuid, sizeof(d->uuid), "%s", uuid);
	d->container = -1;
	d->group = -1;
	d->iommufd = -1;
	d->fd = -1;
}

static int vfio_group_prepare(struct vfio_dev *d)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int grp, iommu;

	d->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (d->container < 0)
		return -errno;
	if (ioctl(d->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return -EPROTO;

	grp = vfio_group_number(d->uuid);
	if (grp < 0)
		return grp;
	snprintf(path, sizeof(path), "/dev/vfio/%d", grp);
	d->group = open(path, O_RDWR | O_CLOEXEC);
	if (d->group < 0)
		return -errno;
	if (ioctl(d->group, VFIO_GROUP_GET_STATUS, &status))
		return -errno;
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -EPERM;
	if (ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &d->container))
		return -errno;

	if (ioctl(d->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0)
		iommu = VFIO_TYPE1v2_IOMMU;
	else
		iommu = VFIO_TYPE1_IOMMU;
	if (ioctl(d->container, VFIO_SET_IOMMU, iommu))
		return -errno;
	return 0;
}

int vfio_dev_prepare(struct vfio_dev *d)
{
	int ret;

	if (d->path == VFIO_PATH_GROUP)
		return vfio_group_prepare(d);

	ret = iommufd_open(&d->iommufd, &d->ioas_id);
	if (ret)
		return ret;
	d->fd = vfio_cdev_open(d->uuid);
	return d->fd < 0 ? d->fd : 0;
}

int vfio_dev_open_device(struct vfio_dev *d)
{
	int ret;

	if (d->path == VFIO_PATH_GROUP) {
		ret = vfio_group_get_device_fd(d->group, d->uuid);
		if (ret < 0)
			return ret;
		d->fd = ret;
		return 0;
	}

	ret = vfio_cdev_bind(d->fd, d->iommufd);
	if (ret)
		return ret;
	return vfio_cdev_attach(d->fd, d->ioas_id);
}

int vfio_dev_open(struct vfio_dev *d, enum vfio_path path, const char *uuid)
{
	int ret;

	vfio_dev_init(d, path, uuid);
	ret = vfio_dev_prepare(d);
	if (!ret)
		ret = vfio_dev_open_device(d);
	if (ret)
		vfio_dev_close(d);
	return ret;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void vfio_dev_close(struct vfio_dev *d)
{
	close_fd(&d->fd);
	close_fd(&d->group);
	close_fd(&d->container);
	close_fd(&d->iommufd);
}

int vfio_get_info(int fd, uint32_t *flags, uint32_t *nregions, uint32_t *nirqs)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	if (ioctl(fd, VFIO_DEVICE_GET_INFO, &info))
		return -errno;
	if (flags)
		*flags = info.flags;
	if (nregions)
		*nregions = info.num_regions;
	if (nirqs)
		*nirqs = info.num_irqs;
	return 0;
}

int vfio_region(int fd, uint32_t index, uint64_t *offset, uint64_t *size,
		uint32_t *flags)
{
	struct vfio_region_info info = {
		.argsz = sizeof(info),
		.index = index,
	};

	if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &info))
		return -errno;
	if (offset)
		*offset = info.offset;
	if (size)
		*size = info.size;
	if (flags)
		*flags = info.flags;
	return 0;
}

int vfio_irq_info(int fd, uint32_t index, uint32_t *flags, uint32_t *count)
{
	struct vfio_irq_info info = {
		.argsz = sizeof(info),
		.index = index,
	};

	if (ioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, &info))
		return -errno;
	if (flags)
		*flags = info.flags;
	if (count)
		*count = info.count;
	return 0;
}

int vfio_irq_set_eventfd(int fd, uint32_t index, uint32_t action, int efd)
{
	struct {
		struct vfio_irq_set hdr;
		int32_t fd;
	} __attribute__((packed)) set = {
		.hdr = {
			.argsz = sizeof(set),
			.flags = VFIO_IRQ_SET_DATA_EVENTFD | action,
			.index = index,
			.start = 0,
			.count = 1,
		},
		.fd = efd,
	};

	return ioctl(fd, VFIO_DEVICE_SET_IRQS, &set) ? -errno : 0;
}

int vfio_irq_set_none(int fd, uint32_t index, uint32_t action,
		      uint32_t start, uint32_t count)
{
	struct vfio_irq_set set = {
		.argsz = sizeof(set),
		.flags = VFIO_IRQ_SET_DATA_NONE | action,
		.index = index,
		.start = start,
		.count = count,
	};

	return ioctl(fd, VFIO_DEVICE_SET_IRQS, &set) ? -errno : 0;
}

int region_read(int fd, uint64_t off, void *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len, off);

	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

int region_write(int fd, uint64_t off, const void *buf, size_t len)
{
	ssize_t n = pwrite(fd, buf, len, off);

	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

/* ---- UART ---- */

int uart_write(int fd, uint64_t bar_off, unsigned int reg, uint8_t val)
{
	return region_write(fd, bar_off + reg, &val, 1);
}

int uart_read(int fd, uint64_t bar_off, unsigned int reg)
{
	uint8_t val;
	int ret;

	ret = region_read(fd, bar_off + reg, &val, 1);
	return ret ? ret : val;
}

int uart_enable_rx_irq(int fd, uint64_t bar_off)
{
	int ret;

	ret = uart_write(fd, bar_off, UART_FCR, UART_FCR_ENABLE_FIFO |
			 UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT);
	if (!ret)
		ret = uart_write(fd, bar_off, UART_MCR, UART_MCR_OUT2 |
				 UART_MCR_RTS | UART_MCR_DTR);
	if (!ret)
		ret = uart_write(fd, bar_off, UART_IER, UART_IER_RDI);
	return ret;
}

int uart_loopback_ok(int fd, uint64_t bar_off, uint8_t val)
{
	int lsr, rx, ret;

	lsr = uart_read(fd, bar_off, UART_LSR);
	if (lsr < 0)
		return lsr;
	/* Drain whatever an earlier step left behind. */
	for (int i = 0; (lsr & UART_LSR_DR) && i < 64; i++) {
		ret = uart_read(fd, bar_off, UART_RX);
		if (ret < 0)
			return ret;
		lsr = uart_read(fd, bar_off, UART_LSR);
		if (lsr < 0)
			return lsr;
	}
	if (lsr & UART_LSR_DR)
		return -EIO;
	ret = uart_write(fd, bar_off, UART_TX, val);
	if (ret)
		return ret;
	lsr = uart_read(fd, bar_off, UART_LSR);
	if (lsr < 0)
		return lsr;
	if (!(lsr & UART_LSR_DR))
		return -EIO;
	rx = uart_read(fd, bar_off, UART_RX);
	if (rx < 0)
		return rx;
	if (rx != val)
		return -EIO;
	lsr = uart_read(fd, bar_off, UART_LSR);
	if (lsr < 0)
		return lsr;
	return (lsr & UART_LSR_DR) ? -EIO : 0;
}

/* ---- eventfd ---- */

int efd_new(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

long efd_wait(int efd, int ms)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t val;
	int ret;

	ret = poll(&pfd, 1, ms);
	if (ret < 0)
		return -errno;
	if (ret == 0)
		return 0;
	if (read(efd, &val, sizeof(val)) != sizeof(val))
		return -errno;
	return (long)val;
}

/* ---- KVM ---- */

bool kvm_available(void)
{
	return path_exists("/dev/kvm");
}

const char *kvm_vendor_module(void)
{
	if (module_loaded("kvm_amd"))
		return "kvm_amd";
	if (module_loaded("kvm_intel"))
		return "kvm_intel";
	return NULL;
}

int kvm_debugfs_ensure(void)
{
	if (path_exists(KVM_DEBUGFS_DIR))
		return 0;
	/* debugfs not mounted yet? */
	if (mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL) &&
	    errno != EBUSY)
		return -errno;
	return path_exists(KVM_DEBUGFS_DIR) ? 0 : -ENOENT;
}

int kvm_vm_create(struct kvm_vm *vm)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
	int ret;

	vm->vm = vm->dev = -1;
	vm->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm < 0)
		return -errno;
	vm->vm = ioctl(vm->kvm, KVM_CREATE_VM, 0);
	if (vm->vm < 0)
		goto err;
	if (ioctl(vm->vm, KVM_CREATE_DEVICE, &cd))
		goto err;
	vm->dev = cd.fd;
	snprintf(vm->dir, sizeof(vm->dir), "%s/%d-%d", KVM_DEBUGFS_DIR,
		 getpid(), vm->vm);
	return 0;
err:
	ret = -errno;
	kvm_vm_close_fds(vm);
	return ret;
}

int kvm_vm_file(struct kvm_vm *vm, int fd, bool add)
{
	int32_t vfd = fd;
	struct kvm_device_attr attr = {
		.group = KVM_DEV_VFIO_FILE,
		.attr = add ? KVM_DEV_VFIO_FILE_ADD : KVM_DEV_VFIO_FILE_DEL,
		.addr = (uint64_t)(uintptr_t)&vfd,
	};

	return ioctl(vm->dev, KVM_SET_DEVICE_ATTR, &attr) ? -errno : 0;
}

void kvm_vm_close_fds(struct kvm_vm *vm)
{
	close_fd(&vm->dev);
	close_fd(&vm->vm);
	close_fd(&vm->kvm);
}

bool kvm_vm_alive(const struct kvm_vm *vm)
{
	return vm->dir[0] && path_exists(vm->dir);
}

int kvm_vm_count(void)
{
	struct dirent *de;
	int n = 0, a, b;
	DIR *dir;

	dir = opendir(KVM_DEBUGFS_DIR);
	if (!dir)
		return -errno;
	while ((de = readdir(dir)))
		if (sscanf(de->d_name, "%d-%d", &a, &b) == 2)
			n++;
	closedir(dir);
	return n;
}

/* ---- modules ---- */

bool module_loaded(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	return path_exists(path);
}

long module_refcnt(const char *name)
{
	char path[PATH_MAX];
	long val;
	int ret;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	ret = file_read_long(path, &val);
	return ret ? ret : val;
}

int module_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

static int module_load_file(const char *name)
{
	char path[PATH_MAX], file[64];
	struct utsname u;
	int fd, ret;

	/* kvm_amd lives in kvm-amd.ko */
	snprintf(file, sizeof(file), "%s", name);
	for (char *p = file; *p; p++)
		if (*p == '_')
			*p = '-';
	uname(&u);
	snprintf(path, sizeof(path), "/lib/modules/%s/kernel/arch/x86/kvm/%s.ko",
		 u.release, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret == -EEXIST ? 0 : ret;
}

int module_load(const char *name)
{
	char cmd[128];

	if (module_loaded(name))
		return 0;
	snprintf(cmd, sizeof(cmd), "modprobe %s 1>&2", name);
	if (system(cmd) == 0 && module_loaded(name))
		return 0;
	/* No modprobe or no module index: load the files by hand. */
	if (!strcmp(name, "kvm_amd") || !strcmp(name, "kvm_intel")) {
		int ret = module_loaded("kvm") ? 0 : module_load_file("kvm");

		if (ret)
			return ret;
	}
	return module_load_file(name);
}

int mdev_driver_load(const char *drv)
{
	const char *ko = getenv("RUST_MTTY_KO");
	int fd, ret;

	if (module_loaded(drv))
		return 0;
	if (strcmp(drv, "rust_mtty"))
		return module_load(drv);
	if (!ko || !*ko)
		return -ENOENT;
	ret = module_load("mdev");
	if (ret)
		return ret;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret == -EEXIST ? 0 : ret;
}

/* ---- VFIO migration v2 ---- */

/* VFIO_DEVICE_FEATURE with @flags and @len bytes of data in and out. */
static int vfio_feature(int fd, uint32_t flags, void *data, size_t len)
{
	uint64_t buf[(sizeof(struct vfio_device_feature) + 64) / 8] = {};
	struct vfio_device_feature *f = (void *)buf;

	if (len > 64)
		return -EINVAL;
	f->argsz = sizeof(*f) + len;
	f->flags = flags;
	memcpy(f->data, data, len);
	if (ioctl(fd, VFIO_DEVICE_FEATURE, f))
		return -errno;
	memcpy(data, f->data, len);
	return 0;
}

int vfio_mig_flags(int fd, uint64_t *flags)
{
	struct vfio_device_feature_migration mig = {};
	int ret;

	ret = vfio_feature(fd, VFIO_DEVICE_FEATURE_GET |
			   VFIO_DEVICE_FEATURE_MIGRATION, &mig, sizeof(mig));
	if (!ret)
		*flags = mig.flags;
	return ret;
}

int vfio_mig_get_state(int fd, uint32_t *state)
{
	struct vfio_device_feature_mig_state mig = { .data_fd = -1 };
	int ret;

	ret = vfio_feature(fd, VFIO_DEVICE_FEATURE_GET |
			   VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
			   &mig, sizeof(mig));
	if (!ret)
		*state = mig.device_state;
	return ret;
}

int vfio_mig_set_state(int fd, uint32_t state, int *data_fd)
{
	struct vfio_device_feature_mig_state mig = {
		.device_state = state,
		.data_fd = -1,
	};
	int ret;

	ret = vfio_feature(fd, VFIO_DEVICE_FEATURE_SET |
			   VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
			   &mig, sizeof(mig));
	if (data_fd)
		*data_fd = ret ? -1 : mig.data_fd;
	else if (!ret && mig.data_fd >= 0)
		close(mig.data_fd);
	return ret;
}

int vfio_mig_data_size(int fd, uint64_t *len)
{
	struct vfio_device_feature_mig_data_size size = {};
	int ret;

	ret = vfio_feature(fd, VFIO_DEVICE_FEATURE_GET |
			   VFIO_DEVICE_FEATURE_MIG_DATA_SIZE,
			   &size, sizeof(size));
	if (!ret)
		*len = size.stop_copy_length;
	return ret;
}

int vfio_mig_precopy_info(int data_fd, uint32_t argsz, uint64_t *initial,
			  uint64_t *dirty)
{
	struct vfio_precopy_info info = { .argsz = argsz };

	if (ioctl(data_fd, VFIO_MIG_GET_PRECOPY_INFO, &info))
		return -errno;
	if (initial)
		*initial = info.initial_bytes;
	if (dirty)
		*dirty = info.dirty_bytes;
	return 0;
}

long vfio_mig_read(int data_fd, void *buf, size_t len, int *end)
{
	size_t done = 0;
	char extra;
	ssize_t n;

	for (;;) {
		if (done < len)
			n = read(data_fd, (char *)buf + done, len - done);
		else
			n = read(data_fd, &extra, 1);
		if (n < 0) {
			*end = -errno;
			return done;
		}
		if (n == 0) {
			*end = 0;
			return done;
		}
		if (done == len) {
			*end = -ENOSPC;
			return -ENOSPC;
		}
		done += n;
	}
}

int vfio_mig_write(int data_fd, const void *buf, size_t len,
		   const size_t *chunk, int nchunk)
{
	size_t done = 0, piece;
	ssize_t n;
	int i = 0;

	while (done < len) {
		piece = nchunk > 0 ? chunk[i++ % nchunk] : len;
		if (piece > len - done)
			piece = len - done;
		n = write(data_fd, (const char *)buf + done, piece);
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		/* A short write is not an error: the rest goes next. */
		done += n;
	}
	return 0;
}

/* ---- kernel state checks ---- */

void kstate_mods(struct kstate_mods *m)
{
	struct dirent *de;
	DIR *d = opendir("/sys/module");

	m->n = 0;
	if (!d)
		return;
	while ((de = readdir(d)) && m->n < KSTATE_MAXMOD) {
		long r;

		if (de->d_name[0] == '.')
			continue;
		r = module_refcnt(de->d_name);
		if (r < 0)
			continue;	/* built in: no refcnt */
		snprintf(m->name[m->n], sizeof(m->name[0]), "%.63s", de->d_name);
		m->ref[m->n++] = r;
	}
	closedir(d);
}

int kstate_mods_cmp(const struct kstate_mods *a, const struct kstate_mods *b,
		    char *why, size_t len)
{
	for (int i = 0; i < a->n; i++)
		for (int j = 0; j < b->n; j++)
			if (!strcmp(a->name[i], b->name[j]) &&
			    a->ref[i] != b->ref[j]) {
				snprintf(why, len, "module %s refcnt %ld, was %ld",
					 a->name[i], b->ref[j], a->ref[i]);
				return -1;
			}
	return 0;
}

static FILE *splat_ere_file(void)
{
	const char *env = getenv("KSTATE_SPLAT_ERE");
	char exe[PATH_MAX], path[PATH_MAX + 32];
	ssize_t l;

	if (env && *env)
		return fopen(env, "r");
	/* build/selftests/<test> -> scripts/splat.ere */
	l = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (l <= 0)
		return NULL;
	exe[l] = '\0';
	snprintf(path, sizeof(path), "%s/../../scripts/splat.ere", dirname(exe));
	return fopen(path, "r");
}

void kmsg_watch_start(struct kmsg_watch *w)
{
	/* The same reports as scripts/splat.ere, if it cannot be found. */
	char pat[1024] = "^(\\[[ 0-9.]+\\] )?(WARNING:|BUG:|INFO: (possible|task .* blocked))|Oops|general protection fault|kernel BUG at|Call Trace:|UBSAN:|list_(add|del) corruption|refcount_t:|suspected memory leak|Kernel panic";
	FILE *fp = splat_ere_file();

	if (fp) {
		if (!fgets(pat, sizeof(pat), fp))
			pat[0] = '\0';
		pat[strcspn(pat, "\n")] = '\0';
		fclose(fp);
	}
	w->have_re = pat[0] && !regcomp(&w->re, pat, REG_EXTENDED | REG_NOSUB);
	w->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (w->fd >= 0)
		lseek(w->fd, 0, SEEK_END);
}

bool kmsg_watch_splat(struct kmsg_watch *w, char *line, size_t len)
{
	char rec[2048], *msg;
	bool found = false;
	ssize_t n;

	if (w->fd < 0 || !w->have_re)
		return false;
	for (;;) {
		n = read(w->fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records overwritten meanwhile */
		if (n <= 0)
			break;
		rec[n] = '\0';
		/* "prio,seq,time,flags;message\n" */
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = '\0';
		if (!found && !regexec(&w->re, msg, 0, NULL, 0)) {
			snprintf(line, len, "%.*s", (int)len - 1, msg);
			found = true;
		}
	}
	return found;
}

void kmsg_watch_stop(struct kmsg_watch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->have_re)
		regfree(&w->re);
	w->have_re = false;
}

long mdev_available_wait(const char *drv, long want)
{
	uint64_t end = now_ms() + MDEV_RELEASE_MS;
	long n;

	while ((n = mdev_available(drv, 1)) != want && now_ms() < end)
		usleep(50 * 1000);
	if (n != want)
		fprintf(stderr, "# available_instances of %s-1: %ld after the %d ms of MDEV_RELEASE_MS, not %ld\n",
			drv, n, MDEV_RELEASE_MS, want);
	return n;
}

long mdev_available_at_least(const char *drv, int nports, long min)
{
	uint64_t t0 = now_ms();
	long n;

	while ((n = mdev_available(drv, nports)) >= 0 && n < min &&
	       now_ms() - t0 < MDEV_RELEASE_MS)
		usleep(50 * 1000);
	if (n >= 0 && n < min)
		fprintf(stderr, "# available_instances of %s-%d: %ld after the %d ms of MDEV_RELEASE_MS, not %ld or more\n",
			drv, nports, n, MDEV_RELEASE_MS, min);
	else if (now_ms() - t0 >= 50)
		fprintf(stderr, "# available_instances of %s-%d: %ld after %llu ms (a release)\n",
			drv, nports, n, (unsigned long long)(now_ms() - t0));
	return n;
}

int mdev_create_uuid_again(const char *drv, int nports, const char *uuid)
{
	uint64_t t0 = now_ms();
	int ret;

	while ((ret = mdev_create_uuid(drv, nports, uuid)) == -EEXIST &&
	       now_ms() - t0 < MDEV_RELEASE_MS)
		usleep(50 * 1000);
	if (ret == -EEXIST)
		fprintf(stderr, "# %s still taken after the %d ms of MDEV_RELEASE_MS\n",
			uuid, MDEV_RELEASE_MS);
	else if (now_ms() - t0 >= 50)
		fprintf(stderr, "# %s free again after %llu ms (its release)\n",
			uuid, (unsigned long long)(now_ms() - t0));
	return ret;
}

bool kstate_kmemleak_wanted(void)
{
	const char *e = getenv("KSTATE_KMEMLEAK");

	return e && !strcmp(e, "1");
}

#define KMEMLEAK "/sys/kernel/debug/kmemleak"

int kmemleak_scan(unsigned long *addr, int max, bool print)
{
	char line[512];
	FILE *fp;
	int n = 0, ret;

	ret = file_write_str(KMEMLEAK, "scan");
	if (ret)
		return ret;
	fp = fopen(KMEMLEAK, "r");
	if (!fp)
		return -errno;
	while (fgets(line, sizeof(line), fp)) {
		unsigned long a;

		if (sscanf(line, "unreferenced object 0x%lx", &a) == 1 && n < max)
			addr[n++] = a;
		if (print)
			fprintf(stderr, "# kmemleak: %s", line);
	}
	fclose(fp);
	return n;
}

int kmemleak_new(const unsigned long *before, int nbefore)
{
	unsigned long now[256];
	int n, fresh = 0;

	sleep(6);
	n = kmemleak_scan(now, 256, false);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		bool old = false;

		for (int j = 0; j < nbefore; j++)
			old |= now[i] == before[j];
		fresh += !old;
	}
	if (fresh)
		kmemleak_scan(now, 256, true);
	return fresh;
}
