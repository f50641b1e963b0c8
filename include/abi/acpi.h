/* ACPI firmware tables as the firmware lays them out in memory: only the
 * tables and fields Skiff reads (RSDP, RSDT/XSDT, MADT, HPET, FADT, DSDT
 * header). Reference: ACPI Specification 6.5, sections 5.2.5 (RSDP), 5.2.6
 * (table header), 5.2.7/5.2.8 (RSDT/XSDT), 5.2.9 (FADT), 5.2.12 (MADT), and
 * the IA-PC HPET Specification 1.0a, section 3.2.4 (HPET description table).
 * All multi-byte fields are little endian and unaligned in general. */
#ifndef ABI_ACPI_H
#define ABI_ACPI_H

#include <skiff/compiler.h>

#define ACPI_RSDP_SIG "RSD PTR " /* 8 bytes, no NUL in the table */

/* Root System Description Pointer. Revision 0 (ACPI 1.0) ends after
 * rsdt_address (20 bytes, covered by checksum); revision >= 2 adds the
 * fields up to reserved (36 bytes, covered by ext_checksum). */
struct acpi_rsdp {
	char signature[8];
	u8 checksum;
	char oem_id[6];
	u8 revision;
	u32 rsdt_address;
	u32 length;        /* revision >= 2: whole structure */
	u64 xsdt_address;  /* revision >= 2 */
	u8 ext_checksum;   /* revision >= 2 */
	u8 reserved[3];
} __packed;
#define ACPI_RSDP_V1_LEN 20
BUILD_ASSERT(sizeof(struct acpi_rsdp) == 36, "acpi_rsdp size");
BUILD_ASSERT(offsetof(struct acpi_rsdp, checksum) == 8, "acpi_rsdp.checksum");
BUILD_ASSERT(offsetof(struct acpi_rsdp, revision) == 15, "acpi_rsdp.revision");
BUILD_ASSERT(offsetof(struct acpi_rsdp, rsdt_address) == 16, "acpi_rsdp.rsdt_address");
BUILD_ASSERT(offsetof(struct acpi_rsdp, length) == 20, "acpi_rsdp.length");
BUILD_ASSERT(offsetof(struct acpi_rsdp, xsdt_address) == 24, "acpi_rsdp.xsdt_address");
BUILD_ASSERT(offsetof(struct acpi_rsdp, ext_checksum) == 32, "acpi_rsdp.ext_checksum");

/* Header shared by every System Description Table; `length` covers the
 * header and the body, and all of its bytes sum to 0 mod 256. */
struct acpi_sdt_header {
	char signature[4];
	u32 length;
	u8 revision;
	u8 checksum;
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	u32 creator_id;
	u32 creator_revision;
} __packed;
BUILD_ASSERT(sizeof(struct acpi_sdt_header) == 36, "acpi_sdt_header size");
BUILD_ASSERT(offsetof(struct acpi_sdt_header, length) == 4, "acpi_sdt_header.length");
BUILD_ASSERT(offsetof(struct acpi_sdt_header, revision) == 8, "acpi_sdt_header.revision");
BUILD_ASSERT(offsetof(struct acpi_sdt_header, checksum) == 9, "acpi_sdt_header.checksum");
BUILD_ASSERT(offsetof(struct acpi_sdt_header, oem_revision) == 24, "acpi_sdt_header.oem_revision");

/* RSDT: header + u32 physical addresses; XSDT: header + u64 addresses. */

/* Generic Address Structure (ACPI 5.2.3.2). */
struct acpi_gas {
	u8 space_id;     /* ACPI_GAS_* */
	u8 bit_width;
	u8 bit_offset;
	u8 access_size;
	u64 address;
} __packed;
#define ACPI_GAS_MEMORY 0
#define ACPI_GAS_IO     1
BUILD_ASSERT(sizeof(struct acpi_gas) == 12, "acpi_gas size");
BUILD_ASSERT(offsetof(struct acpi_gas, address) == 4, "acpi_gas.address");

/* MADT ("APIC"): header, local APIC address, flags, then variable-length
 * interrupt controller structures, each starting with {type, length}. */
struct acpi_madt {
	struct acpi_sdt_header hdr;
	u32 lapic_addr;
	u32 flags;         /* bit 0: PC-AT compatible dual 8259 present */
} __packed;
BUILD_ASSERT(sizeof(struct acpi_madt) == 44, "acpi_madt size");
BUILD_ASSERT(offsetof(struct acpi_madt, lapic_addr) == 36, "acpi_madt.lapic_addr");
BUILD_ASSERT(offsetof(struct acpi_madt, flags) == 40, "acpi_madt.flags");

struct acpi_madt_entry {
	u8 type;
	u8 length;
} __packed;
BUILD_ASSERT(sizeof(struct acpi_madt_entry) == 2, "acpi_madt_entry size");

#define ACPI_MADT_LAPIC          0
#define ACPI_MADT_IOAPIC         1
#define ACPI_MADT_ISO            2
#define ACPI_MADT_LAPIC_NMI      4
#define ACPI_MADT_LAPIC_OVERRIDE 5
#define ACPI_MADT_X2APIC         9

/* Local APIC / x2APIC flags. Online Capable is defined from MADT revision 5
 * on; before that the bit is reserved (and must be ignored). */
#define ACPI_MADT_ENABLED        (1u << 0)
#define ACPI_MADT_ONLINE_CAPABLE (1u << 1)

struct acpi_madt_lapic {
	struct acpi_madt_entry h;   /* type 0, length 8 */
	u8 processor_uid;
	u8 apic_id;
	u32 flags;
} __packed;
BUILD_ASSERT(sizeof(struct acpi_madt_lapic) == 8, "acpi_madt_lapic size");
BUILD_ASSERT(offsetof(struct acpi_madt_lapic, apic_id) == 3, "acpi_madt_lapic.apic_id");
BUILD_ASSERT(offsetof(struct acpi_madt_lapic, flags) == 4, "acpi_madt_lapic.flags");

struct acpi_madt_ioapic {
	struct acpi_madt_entry h;   /* type 1, length 12 */
	u8 id;
	u8 reserved;
	u32 address;
	u32 gsi_base;
} __packed;
BUILD_ASSERT(sizeof(struct acpi_madt_ioapic) == 12, "acpi_madt_ioapic size");
BUILD_ASSERT(offsetof(struct acpi_madt_ioapic, address) == 4, "acpi_madt_ioapic.address");
BUILD_ASSERT(offsetof(struct acpi_madt_ioapic, gsi_base) == 8, "acpi_madt_ioapic.gsi_base");

/* Interrupt Source Override. flags = MPS INTI flags: polarity in bits 0-1
 * (0 bus default, 1 active high, 3 active low), trigger in bits 2-3
 * (0 bus default, 1 edge, 3 level). The ISA default is edge, active high. */
struct acpi_madt_iso {
	struct acpi_madt_entry h;   /* type 2, length 10 */
	u8 bus;                     /* 0 = ISA */
	u8 source;                  /* ISA IRQ */
	u32 gsi;
	u16 flags;
} __packed;
BUILD_ASSERT(sizeof(struct acpi_madt_iso) == 10, "acpi_madt_iso size");
BUILD_ASSERT(offsetof(struct acpi_madt_iso, gsi) == 4, "acpi_madt_iso.gsi");
BUILD_ASSERT(offsetof(struct acpi_madt_iso, flags) == 8, "acpi_madt_iso.flags");

#define ACPI_INTI_POLARITY_MASK 0x3
#define ACPI_INTI_POLARITY_LOW  0x3
#define ACPI_INTI_TRIGGER_MASK  0xc
#define ACPI_INTI_TRIGGER_LEVEL 0xc

struct acpi_madt_lapic_override {
	struct acpi_madt_entry h;   /* type 5, length 12 */
	u16 reserved;
	u64 address;
} __packed;
BUILD_ASSERT(sizeof(struct acpi_madt_lapic_override) == 12, "acpi_madt_lapic_override size");
BUILD_ASSERT(offsetof(struct acpi_madt_lapic_override, address) == 4, "lapic_override.address");

struct acpi_madt_x2apic {
	struct acpi_madt_entry h;   /* type 9, length 16 */
	u16 reserved;
	u32 x2apic_id;
	u32 flags;
	u32 processor_uid;
} __packed;
BUILD_ASSERT(sizeof(struct acpi_madt_x2apic) == 16, "acpi_madt_x2apic size");
BUILD_ASSERT(offsetof(struct acpi_madt_x2apic, x2apic_id) == 4, "acpi_madt_x2apic.x2apic_id");
BUILD_ASSERT(offsetof(struct acpi_madt_x2apic, flags) == 8, "acpi_madt_x2apic.flags");

/* HPET description table ("HPET"). */
struct acpi_hpet {
	struct acpi_sdt_header hdr;
	u32 event_timer_block_id;
	struct acpi_gas address;
	u8 hpet_number;
	u16 min_clock_tick;
	u8 page_protection;
} __packed;
BUILD_ASSERT(sizeof(struct acpi_hpet) == 56, "acpi_hpet size");
BUILD_ASSERT(offsetof(struct acpi_hpet, address) == 40, "acpi_hpet.address");

/* Fixed ACPI Description Table ("FACP"): only the prefix up to the 64-bit
 * PM1 control blocks. Older revisions are shorter (revision 1: 116 bytes),
 * so every field past the header is read only when hdr.length covers it. */
struct acpi_fadt {
	struct acpi_sdt_header hdr;
	u32 firmware_ctrl;          /* 36 */
	u32 dsdt;                   /* 40 */
	u8 reserved0;               /* 44 */
	u8 preferred_pm_profile;    /* 45 */
	u16 sci_int;                /* 46 */
	u32 smi_cmd;                /* 48 */
	u8 acpi_enable;             /* 52 */
	u8 acpi_disable;            /* 53 */
	u8 s4bios_req;              /* 54 */
	u8 pstate_cnt;              /* 55 */
	u32 pm1a_evt_blk;           /* 56 */
	u32 pm1b_evt_blk;           /* 60 */
	u32 pm1a_cnt_blk;           /* 64 */
	u32 pm1b_cnt_blk;           /* 68 */
	u32 pm2_cnt_blk;            /* 72 */
	u32 pm_tmr_blk;             /* 76 */
	u32 gpe0_blk;               /* 80 */
	u32 gpe1_blk;               /* 84 */
	u8 pm1_evt_len;             /* 88 */
	u8 pm1_cnt_len;             /* 89 */
	u8 pm2_cnt_len;             /* 90 */
	u8 pm_tmr_len;              /* 91 */
	u8 gpe0_blk_len;            /* 92 */
	u8 gpe1_blk_len;            /* 93 */
	u8 gpe1_base;               /* 94 */
	u8 cst_cnt;                 /* 95 */
	u16 p_lvl2_lat;             /* 96 */
	u16 p_lvl3_lat;             /* 98 */
	u16 flush_size;             /* 100 */
	u16 flush_stride;           /* 102 */
	u8 duty_offset;             /* 104 */
	u8 duty_width;              /* 105 */
	u8 day_alrm;                /* 106 */
	u8 mon_alrm;                /* 107 */
	u8 century;                 /* 108 */
	u16 iapc_boot_arch;         /* 109 */
	u8 reserved1;               /* 111 */
	u32 flags;                  /* 112 */
	struct acpi_gas reset_reg;  /* 116 */
	u8 reset_value;             /* 128 */
	u16 arm_boot_arch;          /* 129 */
	u8 minor_version;           /* 131 */
	u64 x_firmware_ctrl;        /* 132 */
	u64 x_dsdt;                 /* 140 */
	struct acpi_gas x_pm1a_evt_blk; /* 148 */
	struct acpi_gas x_pm1b_evt_blk; /* 160 */
	struct acpi_gas x_pm1a_cnt_blk; /* 172 */
	struct acpi_gas x_pm1b_cnt_blk; /* 184 */
} __packed;
BUILD_ASSERT(sizeof(struct acpi_fadt) == 196, "acpi_fadt prefix size");
BUILD_ASSERT(offsetof(struct acpi_fadt, dsdt) == 40, "acpi_fadt.dsdt");
BUILD_ASSERT(offsetof(struct acpi_fadt, pm1a_cnt_blk) == 64, "acpi_fadt.pm1a_cnt_blk");
BUILD_ASSERT(offsetof(struct acpi_fadt, pm1b_cnt_blk) == 68, "acpi_fadt.pm1b_cnt_blk");
BUILD_ASSERT(offsetof(struct acpi_fadt, pm1_cnt_len) == 89, "acpi_fadt.pm1_cnt_len");
BUILD_ASSERT(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "acpi_fadt.iapc_boot_arch");
BUILD_ASSERT(offsetof(struct acpi_fadt, flags) == 112, "acpi_fadt.flags");
BUILD_ASSERT(offsetof(struct acpi_fadt, reset_reg) == 116, "acpi_fadt.reset_reg");
BUILD_ASSERT(offsetof(struct acpi_fadt, x_dsdt) == 140, "acpi_fadt.x_dsdt");
BUILD_ASSERT(offsetof(struct acpi_fadt, x_pm1a_cnt_blk) == 172, "acpi_fadt.x_pm1a_cnt_blk");
BUILD_ASSERT(offsetof(struct acpi_fadt, x_pm1b_cnt_blk) == 184, "acpi_fadt.x_pm1b_cnt_blk");

#define ACPI_FADT_HW_REDUCED (1u << 20) /* flags: no PM1 blocks, sleep via registers */

/* AML opcodes the _S5_ scan understands (ACPI 20.2). */
#define AML_ZERO_OP    0x00
#define AML_ONE_OP     0x01
#define AML_NAME_OP    0x08
#define AML_BYTE_PFX   0x0a
#define AML_WORD_PFX   0x0b
#define AML_DWORD_PFX  0x0c
#define AML_PACKAGE_OP 0x12
#define AML_ROOT_CHAR  0x5c

#endif
