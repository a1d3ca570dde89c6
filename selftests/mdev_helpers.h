/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the VFIO mdev selftests: mdev instances, the two ways of
 * opening a VFIO device (group/container and cdev/iommufd), KVM VMs with a
 * KVM-VFIO device, module reference counts.
 *
 * Functions return 0 (or a non-negative value) on success and -errno on
 * failure; they never abort, so that the tests decide what is fatal.
 */
#ifndef MDEV_HELPERS_H
#define MDEV_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <regex.h>

/* All instances created by the tests have UUIDs starting with this. */
#define MDEV_UUID_MARK		"5e1f7e57"
#define MDEV_UUID_LEN		36
#define MDEV_MAX_INSTANCES	32

#define MDEV_BUS_DIR		"/sys/bus/mdev/devices"
#define MDEV_CLASS_DIR		"/sys/class/mdev_bus"
#define KVM_DEBUGFS_DIR		"/sys/kernel/debug/kvm"

/* ---- sysfs / files ---- */
int file_read_str(const char *path, char *buf, size_t len);
int file_read_long(const char *path, long *val);
int file_write_str(const char *path, const char *s);
bool path_exists(const char *path);

/* ---- driver and types ---- */
/* MDEV_DRIVER from the environment, "mtty" if unset. */
const char *mdev_driver(void);
bool mdev_parent_present(const char *drv);
/* Path of attribute @attr of type "<drv>-<nports>" (attr may be NULL). */
void mdev_type_path(char *buf, size_t len, const char *drv, int nports,
		    const char *attr);
/* available_instances of type "<drv>-<nports>", or -errno. */
long mdev_available(const char *drv, int nports);

/* ---- instances ---- */
struct mdev_set {
	int n;
	char uuid[MDEV_MAX_INSTANCES][MDEV_UUID_LEN + 1];
};

void mdev_new_uuid(char uuid[MDEV_UUID_LEN + 1]);
/* Create with a given UUID: write it to the type's create file. */
int mdev_create_uuid(const char *drv, int nports, const char *uuid);
int mdev_remove(const char *uuid);
/* Create a fresh instance, recorded in @set; *idx gets its slot. */
int mdev_set_create(struct mdev_set *set, const char *drv, int nports,
		    int *idx);
int mdev_set_remove(struct mdev_set *set, int idx);
void mdev_set_remove_all(struct mdev_set *set);
/* Remove instances left over by killed test runs (UUID mark). */
void mdev_remove_stale(void);
/* Path of per-instance attribute, e.g. "rust_mtty/vm_state". */
void mdev_attr_path(char *buf, size_t len, const char *uuid, const char *attr);

/* ---- VFIO ---- */
enum vfio_path { VFIO_PATH_GROUP, VFIO_PATH_CDEV };

struct vfio_dev {
	enum vfio_path path;
	char uuid[MDEV_UUID_LEN + 1];
	int container;		/* group path */
	int group;		/* group path */
	int iommufd;		/* cdev path */
	uint32_t ioas_id;	/* cdev path */
	int fd;			/* device fd */
};

void vfio_dev_init(struct vfio_dev *d, enum vfio_path path, const char *uuid);
/*
 * Prepare the path without opening the device: group path opens the
 * container and the group and sets the type1 IOMMU; cdev path opens
 * /dev/iommu, allocates an IOAS and opens the device cdev (not bound).
 */
int vfio_dev_prepare(struct vfio_dev *d);
/*
 * Open the device: group path VFIO_GROUP_GET_DEVICE_FD (a new fd each call);
 * cdev path bind the cdev fd to iommufd and attach the IOAS.
 */
int vfio_dev_open_device(struct vfio_dev *d);
/* prepare + open_device, cleaning up on failure. */
int vfio_dev_open(struct vfio_dev *d, enum vfio_path path, const char *uuid);
/* Close everything (device first). Safe to call twice. */
void vfio_dev_close(struct vfio_dev *d);

int vfio_group_number(const char *uuid);
int vfio_group_get_device_fd(int group, const char *uuid);
int vfio_cdev_open(const char *uuid);
int vfio_cdev_bind(int devfd, int iommufd);
int vfio_cdev_attach(int devfd, uint32_t pt_id);
int iommufd_open(int *iommufd, uint32_t *ioas_id);

/* Device ioctls returning 0 or -errno. */
int vfio_get_info(int fd, uint32_t *flags, uint32_t *nregions, uint32_t *nirqs);
int vfio_region(int fd, uint32_t index, uint64_t *offset, uint64_t *size,
		uint32_t *flags);
int vfio_irq_info(int fd, uint32_t index, uint32_t *flags, uint32_t *count);
/* SET_IRQS with DATA_EVENTFD for one vector (fd may be -1). */
int vfio_irq_set_eventfd(int fd, uint32_t index, uint32_t action, int efd);
/* SET_IRQS with DATA_NONE. */
int vfio_irq_set_none(int fd, uint32_t index, uint32_t action,
		      uint32_t start, uint32_t count);

/* Region accessors: 0 or -errno, exact size or -EIO. */
int region_read(int fd, uint64_t off, void *buf, size_t len);
int region_write(int fd, uint64_t off, const void *buf, size_t len);

/* ---- UART registers behind an I/O BAR (byte accesses) ---- */
int uart_write(int fd, uint64_t bar_off, unsigned int reg, uint8_t val);
/* Returns the register value (0..255) or -errno. */
int uart_read(int fd, uint64_t bar_off, unsigned int reg);
/*
 * Enable the FIFO (trigger level 1), OUT2/DTR/RTS and the receive-data
 * interrupt, as the 8250 driver of a guest does.
 */
int uart_enable_rx_irq(int fd, uint64_t bar_off);
/*
 * Smoke test: loop @val through THR/RBR, checking LSR.DR before and after.
 * Returns 0 or a negative errno (-EIO when the data is wrong).
 */
int uart_loopback_ok(int fd, uint64_t bar_off, uint8_t val);

/* ---- eventfd ---- */
int efd_new(void);
/*
 * Both drivers signal an interrupt's eventfd during the access that raises
 * it, so a test that expects one polls an eventfd that is already set, on
 * any machine: poll() returns at once, and EVENT_MS only bounds the wait
 * for an interrupt that never comes (the C sample's known differences
 * wait it out).  NO_EVENT_MS is how long a test watches for an interrupt
 * that must not come; a slow machine can only make that check pass
 * wrongly, never fail.
 */
#define EVENT_MS	5000
#define NO_EVENT_MS	300

/* Wait up to @ms for the eventfd; return its counter (>0), 0 on timeout. */
long efd_wait(int efd, int ms);

/* ---- KVM ---- */
struct kvm_vm {
	int kvm;	/* /dev/kvm */
	int vm;		/* KVM_CREATE_VM */
	int dev;	/* KVM-VFIO device */
	char dir[128];	/* debugfs directory of the VM */
};

bool kvm_available(void);
/* kvm_amd or kvm_intel, whichever is loaded (NULL if none). */
const char *kvm_vendor_module(void);
int kvm_debugfs_ensure(void);
int kvm_vm_create(struct kvm_vm *vm);
int kvm_vm_file(struct kvm_vm *vm, int fd, bool add);
/* Close the KVM-VFIO device, VM and /dev/kvm fds. */
void kvm_vm_close_fds(struct kvm_vm *vm);
bool kvm_vm_alive(const struct kvm_vm *vm);
/* Number of live VMs (debugfs directories), or -errno. */
int kvm_vm_count(void);

/* ---- modules ---- */
bool module_loaded(const char *name);
long module_refcnt(const char *name);
int module_unload(const char *name);
/* modprobe, falling back to finit_module of the in-tree file. */
int module_load(const char *name);

/*
 * The driver of the mdev instances, unloaded by a test, loaded again as the
 * test VM loads it (selftests/smoke/drivers.sh): rust_mtty from the file
 * RUST_MTTY_KO names (after mdev.ko, which insmod does not pull in), any
 * other driver with module_load().  0 if it is loaded already.
 */
int mdev_driver_load(const char *drv);

/* ---- VFIO migration v2 (VFIO_DEVICE_FEATURE) ---- */
/* VFIO_DEVICE_FEATURE_MIGRATION: the migration flags. */
int vfio_mig_flags(int fd, uint64_t *flags);
/* GET of VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE. */
int vfio_mig_get_state(int fd, uint32_t *state);
/*
 * SET of VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE; *data_fd (if not NULL) gets
 * the data_fd the kernel returned, -1 for none (always -1 on failure).
 */
int vfio_mig_set_state(int fd, uint32_t state, int *data_fd);
/* VFIO_DEVICE_FEATURE_MIG_DATA_SIZE: stop_copy_length. */
int vfio_mig_data_size(int fd, uint64_t *len);
/* VFIO_MIG_GET_PRECOPY_INFO on a data fd, with argsz @argsz. */
int vfio_mig_precopy_info(int data_fd, uint32_t argsz, uint64_t *initial,
			  uint64_t *dirty);
/*
 * read() a data fd until read() returns 0 or fails: returns the bytes read
 * into @buf (at most @len; -ENOSPC if there was more), and *end gets 0 for
 * end of stream or the -errno that stopped it (-ENOMSG: the temporary end
 * of a pre-copy stream).
 */
long vfio_mig_read(int data_fd, void *buf, size_t len, int *end);
/*
 * write() @len bytes of @buf to a data fd, in pieces of chunk[0],
 * chunk[1], ... bytes (cycling; one piece if @nchunk is 0), going on
 * after a short write.  0, or the -errno of the first write() that failed
 * (-EIO if one wrote nothing).
 */
int vfio_mig_write(int data_fd, const void *buf, size_t len,
		   const size_t *chunk, int nchunk);

/* ---- kernel state checks (vfio_mdev_fuzz, vfio_mdev_soak) ---- */
/* Every loaded module's reference count (/sys/module/NAME/refcnt). */
#define KSTATE_MAXMOD	256
struct kstate_mods {
	int n;
	char name[KSTATE_MAXMOD][64];
	long ref[KSTATE_MAXMOD];
};

void kstate_mods(struct kstate_mods *m);
/* 0 if every module of @a has the same count in @b, else -1 and @why. */
int kstate_mods_cmp(const struct kstate_mods *a, const struct kstate_mods *b,
		    char *why, size_t len);

/*
 * New records of the kernel log that match scripts/splat.ere (the reports
 * `make check` fails on), from the watch's start on.  The pattern file is
 * KSTATE_SPLAT_ERE, or scripts/splat.ere found from the test's binary.
 */
struct kmsg_watch {
	int fd;
	bool have_re;
	regex_t re;
};

void kmsg_watch_start(struct kmsg_watch *w);
/* Reads the new records: true (and the first report in @line) if any. */
bool kmsg_watch_splat(struct kmsg_watch *w, char *line, size_t len);
void kmsg_watch_stop(struct kmsg_watch *w);

/*
 * kmemleak: a scan, then the addresses of the objects it reports (at most
 * @max; all its lines printed if @print).  -errno without kmemleak.
 */
int kmemleak_scan(unsigned long *addr, int max, bool print);
/*
 * After the objects of the test are old enough to be reported (6 s), the
 * number of objects reported now and not in @before (-errno without
 * kmemleak); the report is printed when there are any.
 */
int kmemleak_new(const unsigned long *before, int nbefore);
/*
 * Whether the test does its own kmemleak scans (KSTATE_KMEMLEAK=1): a scan
 * takes long under TCG, and the test VM's runner scans at its end anyway
 * (scripts/vm-tests.sh), which fails the run without naming the test.
 */
bool kstate_kmemleak_wanted(void);
/*
 * available_instances of type "<drv>-1" once it is @want again, or its
 * value after MDEV_RELEASE_MS: an instance gives its ports back when its
 * VFIO device is released, which CONFIG_DEBUG_KOBJECT_RELEASE delays by
 * 1-4 s after the removal returned (lib/kobject.c); the bound is a hang
 * guard, 5x that.
 */
#define MDEV_RELEASE_MS	20000
long mdev_available_wait(const char *drv, long want);
/*
 * available_instances of type "<drv>-<nports>" once it is at least @min,
 * or its value after MDEV_RELEASE_MS (-errno if it cannot be read): where
 * the mdev core counts a driver's instances (mdev_driver.max_instances),
 * it gives one back in mdev_device_release(), delayed in the same way, so
 * a test that creates an instance just after another test removed one
 * can find none free for a few seconds (-EUSERS).  Says how long it
 * waited.
 */
long mdev_available_at_least(const char *drv, int nports, long min);
/*
 * mdev_create_uuid() of a UUID whose instance was just removed: the mdev
 * core frees the UUID in mdev_device_release() (mdev_core.c), which
 * CONFIG_DEBUG_KOBJECT_RELEASE delays in the same way, and -EEXIST until
 * then.  Tries again on -EEXIST only, for up to MDEV_RELEASE_MS, and says
 * how long the UUID stayed taken.
 */
int mdev_create_uuid_again(const char *drv, int nports, const char *uuid);

/* ---- misc ---- */
uint64_t now_ms(void);

#endif /* MDEV_HELPERS_H */
