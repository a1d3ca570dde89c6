// SPDX-License-Identifier: GPL-2.0
/*
 * mdev_use UUID: use an mdev instance that something else created (mdevctl,
 * libvirt) as a VMM would, and say what was seen, one "key: value" line
 * each, for a shell test to check:
 *
 *   kvm: attached | none (no /dev/kvm or no kvm_amd/kvm_intel)
 *   vm_state_open: <rust_mtty/vm_state, lines joined by "; "> | absent
 *   loopback: ok | <error>
 *   vm_state_closed: <...> | absent
 *
 * The device is opened through the group path, after a KVM VM (when there
 * is one) is associated with its group, as QEMU does; port 0 loops a byte
 * through its UART in loopback mode.  Exit status 0 when every step worked
 * (what the lines say is for the caller to judge), 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>

#include <linux/vfio.h>

#include "mdev_helpers.h"

static void show_vm_state(const char *key, const char *uuid)
{
	char path[PATH_MAX], buf[256], *p;
	int ret;

	mdev_attr_path(path, sizeof(path), uuid, "rust_mtty/vm_state");
	if (!path_exists(path)) {
		printf("%s: absent\n", key);
		return;
	}
	ret = file_read_str(path, buf, sizeof(buf));
	if (ret < 0) {
		printf("%s: read error %s\n", key, strerror(-ret));
		return;
	}
	while (buf[0] && buf[strlen(buf) - 1] == '\n')
		buf[strlen(buf) - 1] = 0;
	for (p = buf; (p = strchr(p, '\n'));)
		*p = ';';
	printf("%s: %s\n", key, buf);
}

int main(int argc, char **argv)
{
	struct kvm_vm vm = { .kvm = -1, .vm = -1, .dev = -1 };
	bool have_vm = false;
	struct vfio_dev d;
	uint64_t bar0;
	int ret;

	if (argc != 2 || strlen(argv[1]) != MDEV_UUID_LEN) {
		fprintf(stderr, "usage: %s UUID\n", argv[0]);
		return 2;
	}
	vfio_dev_init(&d, VFIO_PATH_GROUP, argv[1]);
	ret = vfio_dev_prepare(&d);
	if (ret) {
		fprintf(stderr, "VFIO group of %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	if (kvm_available() && kvm_vendor_module()) {
		ret = kvm_vm_create(&vm);
		if (!ret)
			ret = kvm_vm_file(&vm, d.group, true);
		if (ret) {
			fprintf(stderr, "KVM VM: %s\n", strerror(-ret));
			goto fail;
		}
		have_vm = true;
	}
	printf("kvm: %s\n", have_vm ? "attached" : "none");
	ret = vfio_dev_open_device(&d);
	if (ret) {
		fprintf(stderr, "open %s: %s\n", argv[1], strerror(-ret));
		goto fail;
	}
	show_vm_state("vm_state_open", argv[1]);
	ret = vfio_region(d.fd, VFIO_PCI_BAR0_REGION_INDEX, &bar0, NULL, NULL);
	if (!ret)
		ret = uart_loopback_ok(d.fd, bar0, 0x5a);
	printf("loopback: %s\n", ret ? strerror(-ret) : "ok");
	vfio_dev_close(&d);
	kvm_vm_close_fds(&vm);
	show_vm_state("vm_state_closed", argv[1]);
	return ret ? 1 : 0;
fail:
	vfio_dev_close(&d);
	kvm_vm_close_fds(&vm);
	return 1;
}
