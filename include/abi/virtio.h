/* Virtio device ABI: the bytes shared with the host's virtio devices.
 * Reference: Virtual I/O Device (VIRTIO) Version 1.2 (OASIS), section 2.1
 * (device status), 2.2 (feature bits), 2.7 (split virtqueues), 4.1.4
 * (virtio-pci capabilities and common configuration), 4.1.4.8 and 4.1.5.1
 * (legacy PCI interface, 0.9.5), 4.2.2 (virtio-mmio registers), 5.2
 * (block device), 6 (reserved feature bits). All fields are little endian
 * (the guest is x86, so plain integers). */
#ifndef ABI_VIRTIO_H
#define ABI_VIRTIO_H

#include <skiff/compiler.h>

/* 2.1 Device status field. */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER      2u
#define VIRTIO_STATUS_DRIVER_OK   4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED      128u

/* 6 Reserved feature bits (transport/ring features). */
#define VIRTIO_F_NOTIFY_ON_EMPTY     24 /* legacy */
#define VIRTIO_F_ANY_LAYOUT          27 /* legacy */
#define VIRTIO_F_RING_INDIRECT_DESC  28
#define VIRTIO_F_RING_EVENT_IDX      29
#define VIRTIO_F_VERSION_1           32
#define VIRTIO_F_ACCESS_PLATFORM     33
#define VIRTIO_F_RING_PACKED         34
#define VIRTIO_F_IN_ORDER            35
#define VIRTIO_F_ORDER_PLATFORM      36
#define VIRTIO_F_SR_IOV              37
#define VIRTIO_F_NOTIFICATION_DATA   38

/* 2.7.5 The virtqueue descriptor table. */
#define VIRTQ_DESC_F_NEXT     1u
#define VIRTQ_DESC_F_WRITE    2u
#define VIRTQ_DESC_F_INDIRECT 4u

struct virtq_desc {
	u64 addr;  /* guest physical */
	u32 len;
	u16 flags; /* VIRTQ_DESC_F_* */
	u16 next;
};
BUILD_ASSERT(sizeof(struct virtq_desc) == 16, "virtq_desc size");
BUILD_ASSERT(offsetof(struct virtq_desc, len) == 8, "virtq_desc.len");
BUILD_ASSERT(offsetof(struct virtq_desc, flags) == 12, "virtq_desc.flags");
BUILD_ASSERT(offsetof(struct virtq_desc, next) == 14, "virtq_desc.next");

/* 2.7.6 The driver area ("available ring"): flags, idx, ring[qsz], then
 * used_event (EVENT_IDX) right after the ring. */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
struct virtq_avail {
	u16 flags;
	u16 idx;
	u16 ring[];
};
BUILD_ASSERT(sizeof(struct virtq_avail) == 4, "virtq_avail header size");
BUILD_ASSERT(offsetof(struct virtq_avail, ring) == 4, "virtq_avail.ring");

/* 2.7.8 The device area ("used ring"): flags, idx, ring[qsz], then
 * avail_event (EVENT_IDX). */
#define VIRTQ_USED_F_NO_NOTIFY 1u
struct virtq_used_elem {
	u32 id;  /* head descriptor index of the chain */
	u32 len; /* bytes written into the device-writable buffers */
};
BUILD_ASSERT(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem size");
struct virtq_used {
	u16 flags;
	u16 idx;
	struct virtq_used_elem ring[];
};
BUILD_ASSERT(sizeof(struct virtq_used) == 4, "virtq_used header size");
BUILD_ASSERT(offsetof(struct virtq_used, ring) == 4, "virtq_used.ring");

/* Legacy (0.9.5) layout of one virtqueue in one contiguous area: descriptor
 * table, available ring (+used_event), padding to 4096, used ring. */
#define VIRTIO_LEGACY_ALIGN 4096u

/* ---- 4.1.4 Virtio structure PCI capabilities ---- */
#define VIRTIO_PCI_VENDOR          0x1af4
#define VIRTIO_PCI_CAP_COMMON_CFG  1
#define VIRTIO_PCI_CAP_NOTIFY_CFG  2
#define VIRTIO_PCI_CAP_ISR_CFG     3
#define VIRTIO_PCI_CAP_DEVICE_CFG  4
#define VIRTIO_PCI_CAP_PCI_CFG     5

struct virtio_pci_cap {
	u8 cap_vndr;   /* 0x09: vendor specific */
	u8 cap_next;
	u8 cap_len;
	u8 cfg_type;   /* VIRTIO_PCI_CAP_* */
	u8 bar;
	u8 id;
	u8 padding[2];
	u32 offset;    /* within the BAR */
	u32 length;
};
BUILD_ASSERT(sizeof(struct virtio_pci_cap) == 16, "virtio_pci_cap size");
BUILD_ASSERT(offsetof(struct virtio_pci_cap, cfg_type) == 3, "virtio_pci_cap.cfg_type");
BUILD_ASSERT(offsetof(struct virtio_pci_cap, bar) == 4, "virtio_pci_cap.bar");
BUILD_ASSERT(offsetof(struct virtio_pci_cap, offset) == 8, "virtio_pci_cap.offset");
BUILD_ASSERT(offsetof(struct virtio_pci_cap, length) == 12, "virtio_pci_cap.length");

struct virtio_pci_notify_cap {
	struct virtio_pci_cap cap;
	u32 notify_off_multiplier;
};
BUILD_ASSERT(sizeof(struct virtio_pci_notify_cap) == 20, "virtio_pci_notify_cap size");

/* 4.1.4.3 Common configuration structure layout. */
struct virtio_pci_common_cfg {
	u32 device_feature_select; /* rw */
	u32 device_feature;        /* ro */
	u32 driver_feature_select; /* rw */
	u32 driver_feature;        /* rw */
	u16 config_msix_vector;    /* rw */
	u16 num_queues;            /* ro */
	u8 device_status;          /* rw */
	u8 config_generation;      /* ro */
	u16 queue_select;          /* rw */
	u16 queue_size;            /* rw */
	u16 queue_msix_vector;     /* rw */
	u16 queue_enable;          /* rw */
	u16 queue_notify_off;      /* ro */
	u64 queue_desc;            /* rw */
	u64 queue_driver;          /* rw */
	u64 queue_device;          /* rw */
};
BUILD_ASSERT(sizeof(struct virtio_pci_common_cfg) == 0x38, "virtio_pci_common_cfg size");
BUILD_ASSERT(offsetof(struct virtio_pci_common_cfg, device_feature) == 0x04, "common.device_feature");
BUILD_ASSERT(offsetof(struct virtio_pci_common_cfg, driver_feature) == 0x0c, "common.driver_feature");
BUILD_ASSERT(offsetof(struct virtio_pci_common_cfg, config_msix_vector) == 0x10, "common.config_msix_vector");
BUILD_ASSERT(offsetof(struct virtio_pci_common_cfg, num_queues) == 0x12, "common.num_queues");
BUILD_ASSERT(offsetof(struct virtio_pci_common_cfg, device_status) == 0x14, "common.device_status");
BUILD_ASSERT(offsetof(struct virtio_pci_common_cfg, config_generation) == 0x15, "common.config_generation");
BUILD_ASSERT(offsetof(struct virtio_pci_common_cfg, queue_select) == 0x16, "common.queue_select");
BUILD_ASSERT(offsetof(struct virtio_pci_common_cfg, queue_size) == 0x18, "common.queue_size");
BUILD_ASSERT(offsetof(struct virtio_pci_common_cfg, queue_msix_vector) == 0x1a, "common.queue_msix_vector");
BUILD_ASSERT(offsetof(struct virtio_pci_common_cfg, queue_enable) == 0x1c, "common.queue_enable");
BUILD_ASSERT(offsetof(struct virtio_pci_common_cfg, queue_notify_off) == 0x1e, "common.queue_notify_off");
BUILD_ASSERT(offsetof(struct virtio_pci_common_cfg, queue_desc) == 0x20, "common.queue_desc");
BUILD_ASSERT(offsetof(struct virtio_pci_common_cfg, queue_driver) == 0x28, "common.queue_driver");
BUILD_ASSERT(offsetof(struct virtio_pci_common_cfg, queue_device) == 0x30, "common.queue_device");

#define VIRTIO_MSI_NO_VECTOR 0xffff

/* ISR status (4.1.4.5 and legacy): bit 0 queue interrupt, bit 1 config change. */
#define VIRTIO_ISR_QUEUE  1u
#define VIRTIO_ISR_CONFIG 2u

/* 4.1.4.8 Legacy interface: registers in I/O BAR0. The device-specific
 * config follows at 20, or at 24 when MSI-X is enabled. */
#define VIRTIO_LEGACY_HOST_FEATURES  0x00 /* u32 ro */
#define VIRTIO_LEGACY_GUEST_FEATURES 0x04 /* u32 rw */
#define VIRTIO_LEGACY_QUEUE_PFN      0x08 /* u32 rw: ring address >> 12 */
#define VIRTIO_LEGACY_QUEUE_SIZE     0x0c /* u16 ro */
#define VIRTIO_LEGACY_QUEUE_SEL      0x0e /* u16 rw */
#define VIRTIO_LEGACY_QUEUE_NOTIFY   0x10 /* u16 rw */
#define VIRTIO_LEGACY_STATUS         0x12 /* u8 rw */
#define VIRTIO_LEGACY_ISR            0x13 /* u8 ro, read clears */
#define VIRTIO_LEGACY_MSIX_CONFIG    0x14 /* u16, only with MSI-X on */
#define VIRTIO_LEGACY_MSIX_QUEUE     0x16
#define VIRTIO_LEGACY_CONFIG         0x14 /* device config without MSI-X */
#define VIRTIO_LEGACY_CONFIG_MSIX    0x18 /* device config with MSI-X */

/* ---- 4.2.2 MMIO device register layout ---- */
#define VIRTIO_MMIO_MAGIC            0x74726976 /* "virt" */
#define VIRTIO_MMIO_MAGIC_VALUE      0x000
#define VIRTIO_MMIO_VERSION          0x004
#define VIRTIO_MMIO_DEVICE_ID        0x008
#define VIRTIO_MMIO_VENDOR_ID        0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES  0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES  0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL        0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX    0x034
#define VIRTIO_MMIO_QUEUE_NUM        0x038
#define VIRTIO_MMIO_QUEUE_READY      0x044
/* Version 1 (legacy) only: */
#define VIRTIO_MMIO_GUEST_PAGE_SIZE  0x028
#define VIRTIO_MMIO_QUEUE_ALIGN      0x03c
#define VIRTIO_MMIO_QUEUE_PFN        0x040
#define VIRTIO_MMIO_QUEUE_NOTIFY     0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK    0x064
#define VIRTIO_MMIO_STATUS           0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW   0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH  0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG           0x100

/* Device IDs (5). */
#define VIRTIO_ID_NET   1
#define VIRTIO_ID_BLOCK 2

/* ---- 5.2 Block device ---- */
#define VIRTIO_BLK_F_SIZE_MAX  1
#define VIRTIO_BLK_F_SEG_MAX   2
#define VIRTIO_BLK_F_GEOMETRY  4
#define VIRTIO_BLK_F_RO        5
#define VIRTIO_BLK_F_BLK_SIZE  6
#define VIRTIO_BLK_F_FLUSH     9
#define VIRTIO_BLK_F_TOPOLOGY  10
#define VIRTIO_BLK_F_CONFIG_WCE 11
#define VIRTIO_BLK_F_MQ        12
#define VIRTIO_BLK_F_DISCARD   13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

struct virtio_blk_config {
	u64 capacity;        /* in 512-byte sectors */
	u32 size_max;
	u32 seg_max;
	struct {
		u16 cylinders;
		u8 heads;
		u8 sectors;
	} geometry;
	u32 blk_size;        /* VIRTIO_BLK_F_BLK_SIZE */
	u8 physical_block_exp;
	u8 alignment_offset;
	u16 min_io_size;
	u32 opt_io_size;
	u8 writeback;        /* VIRTIO_BLK_F_CONFIG_WCE */
	u8 unused0;
	u16 num_queues;      /* VIRTIO_BLK_F_MQ */
} __packed;
BUILD_ASSERT(offsetof(struct virtio_blk_config, size_max) == 8, "blk_config.size_max");
BUILD_ASSERT(offsetof(struct virtio_blk_config, seg_max) == 12, "blk_config.seg_max");
BUILD_ASSERT(offsetof(struct virtio_blk_config, geometry) == 16, "blk_config.geometry");
BUILD_ASSERT(offsetof(struct virtio_blk_config, blk_size) == 20, "blk_config.blk_size");
BUILD_ASSERT(offsetof(struct virtio_blk_config, writeback) == 32, "blk_config.writeback");
BUILD_ASSERT(offsetof(struct virtio_blk_config, num_queues) == 34, "blk_config.num_queues");
BUILD_ASSERT(sizeof(struct virtio_blk_config) == 36, "blk_config size");

#define VIRTIO_BLK_T_IN     0
#define VIRTIO_BLK_T_OUT    1
#define VIRTIO_BLK_T_FLUSH  4
#define VIRTIO_BLK_T_GET_ID 8

/* Request header (device-readable), data, then one status byte
 * (device-writable). */
struct virtio_blk_req_hdr {
	u32 type;
	u32 reserved;
	u64 sector;          /* in 512-byte units, whatever blk_size says */
};
BUILD_ASSERT(sizeof(struct virtio_blk_req_hdr) == 16, "virtio_blk_req_hdr size");
BUILD_ASSERT(offsetof(struct virtio_blk_req_hdr, sector) == 8, "virtio_blk_req_hdr.sector");

#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#endif
