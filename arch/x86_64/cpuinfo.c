/* CPUID decoding for /proc/cpuinfo: identity and the Linux names of the
 * feature bits (arch/x86/include/asm/cpufeatures.h order). */
#include <arch/cpuinfo.h>
#include <arch/cpu.h>
#include <skiff/printk.h>
#include <skiff/string.h>

void arch_cpu_identity(struct cpu_identity *id)
{
	u32 a, b, c, d, max, maxext;

	memset(id, 0, sizeof(*id));
	arch_cpuid(0, 0, &max, &b, &c, &d);
	memcpy(id->vendor, &b, 4);
	memcpy(id->vendor + 4, &d, 4);
	memcpy(id->vendor + 8, &c, 4);
	arch_cpuid(1, 0, &a, &b, &c, &d);
	id->family = (a >> 8) & 0xf;
	id->model = (a >> 4) & 0xf;
	id->stepping = a & 0xf;
	if (id->family == 0xf)
		id->family += (a >> 20) & 0xff;
	if (id->family >= 6)
		id->model |= ((a >> 16) & 0xf) << 4;
	id->clflush_size = ((b >> 8) & 0xff) * 8;
	id->apic_id = b >> 24;
	arch_cpuid(0x80000000, 0, &maxext, &b, &c, &d);
	if (maxext >= 0x80000004) {
		u32 *w = (u32 *)id->model_name;
		for (u32 i = 0; i < 3; i++)
			arch_cpuid(0x80000002 + i, 0, &w[i * 4], &w[i * 4 + 1], &w[i * 4 + 2], &w[i * 4 + 3]);
		id->model_name[48] = 0;
	} else {
		strlcpy(id->model_name, "unknown", sizeof(id->model_name));
	}
	if (maxext >= 0x80000008) {
		arch_cpuid(0x80000008, 0, &a, &b, &c, &d);
		id->phys_bits = a & 0xff;
		id->virt_bits = (a >> 8) & 0xff;
	} else {
		id->phys_bits = 36;
		id->virt_bits = 48;
	}
	(void)max;
}

static const char *const edx1[32] = {
	"fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", NULL, "sep",
	"mtrr", "pge", "mca", "cmov", "pat", "pse36", "pn", "clflush", NULL, "dts", "acpi",
	"mmx", "fxsr", "sse", "sse2", "ss", "ht", "tm", "ia64", "pbe",
};
static const char *const ecx1[32] = {
	"pni", "pclmulqdq", "dtes64", "monitor", "ds_cpl", "vmx", "smx", "est", "tm2",
	"ssse3", "cid", "sdbg", "fma", "cx16", "xtpr", "pdcm", NULL, "pcid", "dca", "sse4_1",
	"sse4_2", "x2apic", "movbe", "popcnt", "tsc_deadline_timer", "aes", "xsave", NULL,
	"avx", "f16c", "rdrand", "hypervisor",
};
static const char *const ebx7[32] = {
	"fsgsbase", "tsc_adjust", "sgx", "bmi1", "hle", "avx2", NULL, "smep", "bmi2", "erms",
	"invpcid", "rtm", "cqm", NULL, NULL, "rdt_a", "avx512f", "avx512dq", "rdseed", "adx",
	"smap", "avx512ifma", NULL, "clflushopt", "clwb", "intel_pt", "avx512pf", "avx512er",
	"avx512cd", "sha_ni", "avx512bw", "avx512vl",
};
static const char *const edx81[32] = {
	[11] = "syscall", [20] = "nx", [22] = "mmxext", [25] = "fxsr_opt", [26] = "pdpe1gb",
	[27] = "rdtscp", [29] = "lm",
};
static const char *const ecx81[32] = {
	[0] = "lahf_lm", [1] = "cmp_legacy", [2] = "svm", [5] = "abm", [6] = "sse4a",
	[8] = "3dnowprefetch", [16] = "fma4",
};

static size_t add_bits(char *buf, size_t size, size_t pos, u32 v, const char *const names[32])
{
	for (int i = 0; i < 32; i++) {
		if (!(v & (1u << i)) || !names[i])
			continue;
		pos += (size_t)snprintf(pos < size ? buf + pos : NULL, pos < size ? size - pos : 0,
					"%s%s", pos ? " " : "", names[i]);
	}
	return pos;
}

int arch_cpu_flags(char *buf, size_t size)
{
	u32 a, b, c, d, max, maxext;
	size_t pos = 0;

	if (size)
		buf[0] = 0;
	arch_cpuid(0, 0, &max, &b, &c, &d);
	arch_cpuid(1, 0, &a, &b, &c, &d);
	pos = add_bits(buf, size, pos, d, edx1);
	arch_cpuid(0x80000000, 0, &maxext, &b, &c, &d);
	if (maxext >= 0x80000001) {
		arch_cpuid(0x80000001, 0, &a, &b, &c, &d);
		pos = add_bits(buf, size, pos, d, edx81);
	}
	arch_cpuid(1, 0, &a, &b, &c, &d);
	pos = add_bits(buf, size, pos, c, ecx1);
	if (maxext >= 0x80000001) {
		arch_cpuid(0x80000001, 0, &a, &b, &c, &d);
		pos = add_bits(buf, size, pos, c, ecx81);
	}
	if (max >= 7) {
		arch_cpuid(7, 0, &a, &b, &c, &d);
		pos = add_bits(buf, size, pos, b, ebx7);
	}
	return (int)(pos < size ? pos : size - 1);
}
