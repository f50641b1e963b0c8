/* Linker script (run through cpp for the layout constants). The 32-bit PVH
 * entry (.boot.*) is linked at its physical address; everything else at
 * KERNEL_BASE + physical. The symbol table (.kallsyms) comes last, after
 * .bss, so filling it in on the second link moves no code. */
#include <skiff/layout.h>

OUTPUT_FORMAT("elf64-x86-64")
OUTPUT_ARCH(i386:x86-64)
ENTRY(pvh_start32)

PHDRS {
	boot PT_LOAD FLAGS(7);
	text PT_LOAD FLAGS(5);
	rodata PT_LOAD FLAGS(4);
	data PT_LOAD FLAGS(6);
	note PT_NOTE FLAGS(4);
}

SECTIONS {
	. = KERNEL_PHYS;
	__image_phys_start = .;
	.boot : {
		*(.boot.text)
		*(.boot.data)
	} :boot

	. = ALIGN(4096) + KERNEL_BASE;
	__text_start = .;
	.text : AT(ADDR(.text) - KERNEL_BASE) {
		*(.text .text.*)
	} :text
	__text_end = .;

	. = ALIGN(4096);
	__rodata_start = .;
	.rodata : AT(ADDR(.rodata) - KERNEL_BASE) {
		*(.rodata .rodata.*)
		. = ALIGN(8);
		__selftests_start = .;
		KEEP(*(.selftests))
		__selftests_end = .;
		. = ALIGN(8);
		__initcalls_start = .;
		KEEP(*(.initcalls))
		__initcalls_end = .;
		. = ALIGN(8);
		__syscalls_start = .;
		KEEP(*(.syscalls))
		__syscalls_end = .;
		. = ALIGN(8);
		__cmdline_params_start = .;
		KEEP(*(.cmdline_params))
		__cmdline_params_end = .;
		. = ALIGN(8);
		__ex_table_start = .;
		KEEP(*(.ex_table))
		__ex_table_end = .;
	} :rodata
	.note : AT(ADDR(.note) - KERNEL_BASE) {
		*(.note.Xen)
	} :rodata :note
	.eh_frame : AT(ADDR(.eh_frame) - KERNEL_BASE) { *(.eh_frame) } :rodata
	__rodata_end = .;

	. = ALIGN(4096);
	__data_start = .;
	__percpu_start = .;
	.data.percpu : AT(ADDR(.data.percpu) - KERNEL_BASE) {
		*(.data.percpu)
	} :data
	. = ALIGN(64);
	__percpu_end = .;
	.data : AT(ADDR(.data) - KERNEL_BASE) {
		*(.data .data.*)
	} :data
	. = ALIGN(4096);
	.bss : AT(ADDR(.bss) - KERNEL_BASE) {
		__bss_start = .;
		*(.bss .bss.*)
		*(COMMON)
		__bss_end = .;
	} :data
	. = ALIGN(4096);
	.kallsyms : AT(ADDR(.kallsyms) - KERNEL_BASE) {
		KEEP(*(.kallsyms))
	} :data
	. = ALIGN(4096);
	__image_end = .;

	/DISCARD/ : { *(.comment) *(.note.GNU-stack) *(.note.gnu.*) }
}
