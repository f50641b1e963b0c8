/* Private to drivers/virtio: virtio-mmio discovery from the ACPI DSDT
 * (mmio_acpi.c) feeding the transport (mmio.c). */
#ifndef DRIVERS_VIRTIO_MMIO_H
#define DRIVERS_VIRTIO_MMIO_H
#include <skiff/types.h>
/* Call found() for each virtio-mmio device node in the DSDT; returns how
 * many (0 without ACPI). */
int virtio_mmio_scan_dsdt(void (*found)(u64 size, u64 base, u32 gsi, bool level, bool low));
#endif
