/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the tests expect of an mtty-compatible mediated serial device.
 *
 * Both the C sample (samples/vfio-mdev/mtty.c, driver "mtty") and the Rust
 * driver ("rust_mtty") expose the same virtual PCI device: a 16550A UART per
 * port, one 8-byte I/O BAR per port, behind vfio-pci regions and IRQs.
 *
 * These values are written out from mtty.c and the PCI and 16550
 * specifications, not taken from either driver: the tests check the
 * drivers against them, so they must not share a source with a driver.
 */
#ifndef MTTY_DEVICE_H
#define MTTY_DEVICE_H

/* PCI identity (config space) */
#define MTTY_PCI_VENDOR_ID		0x4348
#define MTTY_PCI_DEVICE_ID		0x3253
#define MTTY_PCI_SUBSYS_VENDOR_ID	0x4348
#define MTTY_PCI_SUBSYS_ID		0x3253
#define MTTY_PCI_REVISION		0x10
/* Simple communication controller, serial, 16550-compatible */
#define MTTY_PCI_CLASS			0x070002
#define MTTY_PCI_INTERRUPT_PIN		0x01	/* INTA# */

/* One I/O BAR per port: BAR0 for port 0, BAR1 for port 1 */
#define MTTY_IO_BAR_SIZE		8
#define MTTY_MAX_PORTS_PER_DEVICE	2

/* Ports shared by all instances of all types of one parent */
#define MTTY_PORT_POOL			24

/* Receive FIFO depth when FCR enables the FIFO */
#define MTTY_FIFO_SIZE			16

/* Types: "<driver>-1" (one port) and "<driver>-2" (two ports) */
#define MTTY_TYPE_SUFFIX_1PORT		"-1"
#define MTTY_TYPE_SUFFIX_2PORT		"-2"

#endif /* MTTY_DEVICE_H */
