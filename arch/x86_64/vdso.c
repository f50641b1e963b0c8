/* The vDSO and its vvar page.
 *
 * At boot (vdso_init, before root= is mounted over the boot tmpfs) the
 * embedded image and one page of clock parameters become two unnamed tmpfs
 * files (O_TMPFILE), so every process maps the same page-cache pages: the
 * vvar page MAP_SHARED read-only (the kernel updates it in place under a
 * sequence count when the wall clock is set), the image MAP_PRIVATE
 * read+exec one page above it. execve asks vdso_map() for the address it
 * passes as AT_SYSINFO_EHDR.
 *
 * With the TSC as clock source the vDSO answers the REALTIME, MONOTONIC,
 * MONOTONIC_RAW/COARSE, BOOTTIME and TAI clocks itself; with kvmclock (its
 * per-vCPU pages are not exported to user space yet) every call falls back to
 * the system call. getcpu reads TSC_AUX (set to the CPU number on every CPU)
 * with RDTSCP when the CPU has it. */
#include <arch/cpu.h>
#include <skiff/errno.h>
#include <skiff/mm.h>
#include <skiff/printk.h>
#include <skiff/string.h>
#include <skiff/syscall.h>
#include <skiff/time.h>
#include <skiff/uaccess.h>
#include <skiff/vfs.h>
#include <skiff/vm.h>
#include <uapi/fcntl.h>
#include "vdso/vvar.h"

extern const char vdso_image_start[], vdso_image_end[];
int clock_vdso_params(u64 *tsc_base, u32 *mul, s8 *shift, s64 *rt_offset);

static struct file *vdso_file, *vvar_file;  /* [I] after vdso_init */
static volatile struct vvar *vvar;          /* [I] the shared page */
static u64 vdso_pages;

static void vvar_update(void)
{
	u64 base;
	u32 mul;
	s8 shift;
	s64 off;

	if (!vvar)
		return;
	int err = clock_vdso_params(&base, &mul, &shift, &off);
	__atomic_fetch_add(&vvar->seq, 1, __ATOMIC_SEQ_CST);
	if (err) {
		vvar->mode = VVAR_MODE_SYSCALL;
	} else {
		vvar->tsc_base = base;
		vvar->mul = mul;
		vvar->shift = shift;
		vvar->realtime_offset = off;
		vvar->mode = VVAR_MODE_TSC;
	}
	__atomic_fetch_add(&vvar->seq, 1, __ATOMIC_SEQ_CST);
}

static struct file *make_file(const void *data, size_t len)
{
	struct file *f = vfs_open("/", O_TMPFILE | O_RDWR, 0500);
	u64 pos = 0;

	if (IS_ERR(f))
		return f;
	struct uio u = { (void *)data, len, false };
	long n = f->ops && f->ops->write ? f->ops->write(f, &u, &pos) : -EINVAL;
	if (n != (long)len) {
		file_put(f);
		return ERR_PTR(n < 0 ? n : -EIO);
	}
	return f;
}

/* Once, from kernel_start_user before the disk root (if any) is mounted
 * and before init's first exec. Without it (no tmpfs O_TMPFILE) processes
 * simply get no vDSO. */
void vdso_init(void)
{
	static char zero[PAGE_SIZE];
	size_t len = (size_t)(vdso_image_end - vdso_image_start);
	u32 a, b, c, d;
	int err = 0;

	vvar_file = make_file(zero, sizeof(zero));
	vdso_file = make_file(vdso_image_start, len);
	if (IS_ERR(vvar_file) || IS_ERR(vdso_file)) {
		pr_warn("vdso: cannot create its backing files (%ld/%ld): no vDSO",
			PTR_ERR(vvar_file), PTR_ERR(vdso_file));
		goto fail;
	}
	struct page *pg = file_get_page(vvar_file, 0, &err);
	if (!pg) {
		pr_warn("vdso: vvar page unavailable (%d): no vDSO", err);
		goto fail;
	}
	vdso_pages = DIV_ROUND_UP(len, PAGE_SIZE);
	arch_cpuid(0x80000001, 0, &a, &b, &c, &d);
	vvar = page_to_virt(pg);
	vvar->have_rdtscp = !!(d & (1u << 27));
	vvar_update();
	clock_was_set_register(vvar_update);
	pr_info("vdso: %zu bytes, clocks %s", len,
		vvar->mode == VVAR_MODE_TSC ? "from the TSC" : "through system calls");
	return;
fail:
	if (vvar_file && !IS_ERR(vvar_file))
		file_put(vvar_file);
	if (vdso_file && !IS_ERR(vdso_file))
		file_put(vdso_file);
	vvar_file = vdso_file = NULL;
}

/* Map vvar + vDSO into mm (the current, new mm of execve). Returns the
 * vDSO's address, or 0 when there is none. */
u64 vdso_map(struct mm *mm)
{
	u64 base, out;

	if (!vvar || !vdso_file)
		return 0;
	if (vm_mmap(mm, 0, (1 + vdso_pages) * PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0, &base))
		return 0;
	if (vm_mmap(mm, base, PAGE_SIZE, PROT_READ, MAP_SHARED | MAP_FIXED, vvar_file, 0, &out) ||
	    vm_mmap(mm, base + PAGE_SIZE, vdso_pages * PAGE_SIZE, PROT_READ | PROT_EXEC,
		    MAP_PRIVATE | MAP_FIXED, vdso_file, 0, &out)) {
		vm_munmap(mm, base, (1 + vdso_pages) * PAGE_SIZE);
		return 0;
	}
	vm_set_vma_name(mm, base, "[vvar]");
	vm_set_vma_name(mm, base + PAGE_SIZE, "[vdso]");
	return base + PAGE_SIZE;
}

/* getcpu(2): the CPU running the caller; node 0 (one NUMA node). */
SYSCALL_DEFINE(309, getcpu)
{
	u32 cpu = this_cpu_id();

	if (a0 && put_user_u32(cpu, (void *)a0))
		return -EFAULT;
	if (a1 && put_user_u32(0, (void *)a1))
		return -EFAULT;
	return 0;
}
