/* kmain: the boot CPU's path from the PVH entry to a running scheduler.
 *
 * Order matters: per-CPU base (spinlocks read it) → console → start_info →
 * page tables → page allocator → descriptor tables → firmware tables →
 * interrupt controllers → clocks and timers → scheduler → other CPUs. */
#include <abi/pvh.h>
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/paging.h>
#include <arch/trap.h>
#include <skiff/boot.h>
#include <skiff/cmdline.h>
#include <skiff/console.h>
#include <skiff/mm.h>
#include <skiff/platform.h>
#include <skiff/printk.h>
#include <skiff/sched.h>
#include <skiff/selftest.h>
#include <skiff/smp.h>
#include <skiff/string.h>
#include <skiff/time.h>
#include <skiff/vfs.h>

void devices_init(void);
void kernel_start_user(void);

CMDLINE_PARAM(selftest, "skiff.selftest", "run in-kernel self-tests (all or a,b,c) and exit");
CMDLINE_PARAM(exit_after_boot, "skiff.exit_after_boot", "exit QEMU once the scheduler is up");
CMDLINE_PARAM(exit_on_panic, "skiff.exit_on_panic", "exit QEMU (isa-debug-exit) on panic");

struct boot_info boot_info;

#define MAX_RANGES 64

/* Free RAM as a set of disjoint ranges; reservations cut holes in it. */
static struct mem_range free_ranges[MAX_RANGES];
static int nfree;
static u64 ram_top; /* end of the highest RAM range in the memory map */
static struct mem_range map_ranges[MAX_RANGES]; /* every memory-map entry */
static int nmap;

static void range_add(struct mem_range *r, int *n, phys_addr_t s, phys_addr_t e)
{
	if (e > s && *n < MAX_RANGES)
		r[(*n)++] = (struct mem_range){ s, e };
}

static void reserve(phys_addr_t s, phys_addr_t e)
{
	s = ALIGN_DOWN(s, PAGE_SIZE);
	e = ALIGN_UP(e, PAGE_SIZE);
	for (int i = 0; i < nfree; i++) {
		struct mem_range r = free_ranges[i];
		if (e <= r.start || s >= r.end)
			continue;
		free_ranges[i] = free_ranges[--nfree];
		i--;
		range_add(free_ranges, &nfree, r.start, MIN(s, r.end));
		range_add(free_ranges, &nfree, MAX(e, r.start), r.end);
	}
}

/* Boot-time page-table pages: the highest free pages below 1 GiB (mapped
 * by the boot page table), taken off the free ranges for good. */
static u64 early_alloc_page(void)
{
	int best = -1;

	for (int i = 0; i < nfree; i++)
		if (free_ranges[i].end <= (1ull << 30) && free_ranges[i].end - free_ranges[i].start >= PAGE_SIZE &&
		    (best < 0 || free_ranges[i].end > free_ranges[best].end))
			best = i;
	if (best < 0)
		panic("boot: no memory below 1 GiB for page tables");
	free_ranges[best].end -= PAGE_SIZE;
	memset(phys_to_virt(free_ranges[best].end), 0, PAGE_SIZE);
	return free_ranges[best].end;
}

static __noreturn void too_little_memory(u64 mib)
{
	pr_emerg("Skiff needs at least %u MiB of RAM; this VM has %llu MiB. "
		 "Start QEMU with -m %uM or more.", MIN_RAM_MB, (unsigned long long)mib, MIN_RAM_MB);
	if (cmdline_has("skiff.selftest") || cmdline_has("skiff.exit_after_boot"))
		arch_exit_qemu(0x7e);
	for (;;)
		arch_halt();
}

static void parse_start_info(u32 phys)
{
	extern char __image_end[];
	const struct hvm_start_info *si = phys_to_virt(phys);

	if (si->magic != HVM_START_MAGIC)
		panic("boot: start_info at %#x has magic %#x, expected %#x (not a PVH boot?)",
		      phys, si->magic, HVM_START_MAGIC);
	cmdline_init(si->cmdline_paddr ? (const char *)phys_to_virt(si->cmdline_paddr) : "");
	if (si->version < 1 || !si->memmap_paddr)
		panic("boot: start_info version %u has no memory map", si->version);

	const struct hvm_memmap_table_entry *mm = phys_to_virt(si->memmap_paddr);
	for (u32 i = 0; i < si->memmap_entries; i++) {
		pr_debug("memmap: [%#llx-%#llx) type %u", (unsigned long long)mm[i].addr,
			 (unsigned long long)(mm[i].addr + mm[i].size), mm[i].type);
		range_add(map_ranges, &nmap, mm[i].addr, mm[i].addr + mm[i].size);
		if (mm[i].type == HVM_MEMMAP_TYPE_RAM) {
			ram_top = MAX(ram_top, mm[i].addr + mm[i].size);
			range_add(free_ranges, &nfree, ALIGN_UP(mm[i].addr, PAGE_SIZE),
				  ALIGN_DOWN(mm[i].addr + mm[i].size, PAGE_SIZE));
			boot_info.ram_bytes += mm[i].size;
		}
	}

	boot_info.rsdp = si->rsdp_paddr;
	const struct hvm_modlist_entry *mods = phys_to_virt(si->modlist_paddr);
	for (u32 i = 0; i < si->nr_modules && i < MAX_BOOT_MODULES; i++) {
		boot_info.modules[i].start = mods[i].paddr;
		boot_info.modules[i].size = mods[i].size;
		boot_info.modules[i].cmdline = mods[i].cmdline_paddr ? phys_to_virt(mods[i].cmdline_paddr) : "";
		reserve(mods[i].paddr, mods[i].paddr + mods[i].size);
		boot_info.nmodules++;
	}

	/* Never hand out: real-mode area (trampoline, EBDA, BIOS), the image,
	 * and the start_info structures themselves. */
	reserve(0, 1ull << 20);
	reserve(KERNEL_PHYS, virt_to_phys(__image_end));
	reserve(phys, phys + sizeof(*si));
	reserve(si->memmap_paddr, si->memmap_paddr + si->memmap_entries * sizeof(*mm));
	if (si->cmdline_paddr)
		reserve(si->cmdline_paddr, si->cmdline_paddr + strlen(cmdline_raw()) + 1);
	if (si->modlist_paddr)
		reserve(si->modlist_paddr, si->modlist_paddr + si->nr_modules * sizeof(*mods));

	/* Firmware keeps a few hundred KiB of a VM's memory for itself: a
	 * `-m 16M` guest sees just under 16 MiB. */
	if (boot_info.ram_bytes < ((u64)MIN_RAM_MB - 1) << 20)
		too_little_memory(boot_info.ram_bytes >> 20);
}

static void mem_init(void)
{
	u64 total = 0;

	paging_init(map_ranges, nmap, early_alloc_page);
	for (int i = 0; i < nfree; i++)
		total += free_ranges[i].end - free_ranges[i].start;
	if (total < (u64)(MIN_RAM_MB / 2) << 20 || page_alloc_init_top(free_ranges, nfree, ram_top >> PAGE_SHIFT) < 0)
		too_little_memory(boot_info.ram_bytes >> 20);
	pr_info("memory: %llu MiB RAM, %llu MiB free for allocation",
		(unsigned long long)(boot_info.ram_bytes >> 20),
		(unsigned long long)(mm_free_pages() * PAGE_SIZE >> 20));
}

void kmain(u32 start_info_phys)
{
	percpu_setup_cpu(0);
	serial_early_init();
	pr_info("Skiff booting (PVH entry, start_info at %#x)", start_info_phys);
	arch_cpu_init(0);
	parse_start_info(start_info_phys);
	mem_init();

	if (platform_discover(boot_info.rsdp) < 0)
		pr_warn("platform: no ACPI and no MP table: assuming one CPU");
	lapic_setup(platform.lapic_addr);
	lapic_init_cpu();
	ioapic_init();
	time_init();
	timers_init_cpu();
	sched_init();
	sched_init_cpu();
	arch_irq_enable();
	smp_boot_aps();

	u64 boot_us = boot_tsc_to_now_ns() / 1000;
	pr_info("skiff: scheduler up, guest boot time %llu us", (unsigned long long)boot_us);
	devices_init(); /* drivers/char: /dev/null, ttyS0, console... */
	vfs_init();

	if (cmdline_has("skiff.exit_after_boot")) {
		sched_print_stats();
		arch_exit_qemu(0);
	}
	const char *tests = cmdline_get("skiff.selftest");
	if (tests) {
		int failed = selftests_run(*tests ? tests : "all");
		sched_print_stats();
		arch_exit_qemu(failed > 125 ? 125 : (u32)failed);
	}
	kernel_start_user(); /* kernel/proc/init.c: init from rdinit=/init= */
	kthread_exit(0);
}
