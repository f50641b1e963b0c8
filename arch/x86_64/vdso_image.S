/* The vDSO shared object (built from arch/x86_64/vdso/ by the Makefile),
 * embedded in the kernel image. */
	.section .rodata
	.balign 4096
	.globl vdso_image_start, vdso_image_end
vdso_image_start:
	.incbin VDSO_SO
vdso_image_end:
	.previous
