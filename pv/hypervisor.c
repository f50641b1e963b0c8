/* Hypervisor detection (contract in <skiff/hypervisor.h>).
 *
 * CPUID.1:ECX[31] says "running under a hypervisor"; leaves from 0x40000000
 * then carry its signature in EBX:ECX:EDX and the highest hypervisor leaf in
 * EAX. KVM may sit at a higher base (0x40000100, ...) when it also offers
 * Hyper-V leaves at 0x40000000, so KVM is searched for in 0x100 steps as
 * Linux's hypervisor_cpuid_base() does; its feature leaf is base + 1
 * (Documentation/virt/kvm/x86/cpuid.rst). QEMU with TCG reports
 * "TCGTCGTCGTCG" and no feature leaf. */
#include <arch/cpu.h>
#include <skiff/hypervisor.h>
#include <skiff/printk.h>
#include <skiff/string.h>

struct hypervisor hv; /* [I] filled by hypervisor_detect on the boot CPU */
static bool detected;

static u32 read_signature(u32 leaf, char sig[13])
{
	u32 a, b, c, d;

	arch_cpuid(leaf, 0, &a, &b, &c, &d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = 0;
	return a;
}

static const struct {
	const char *sig;
	enum hv_kind kind;
	const char *name;
} known[] = {
	{ "KVMKVMKVM", HV_KVM, "KVM" },
	{ "TCGTCGTCGTCG", HV_TCG, "TCG" },
	{ "XenVMMXenVMM", HV_XEN, "Xen" },
};

const char *hypervisor_name(void)
{
	if (hv.kind == HV_NONE)
		return "none";
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (hv.kind == known[i].kind)
			return known[i].name;
	return hv.signature;
}

/* Idempotent; the first call prints one line. Boot CPU. */
void hypervisor_detect(void)
{
	u32 a, b, c, d;
	char sig[13];

	if (detected)
		return;
	detected = true;

	arch_cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & (1u << 31))) {
		hv.kind = HV_NONE;
		pr_info("hypervisor: none (CPUID.1:ECX[31] clear)");
		return;
	}

	/* Prefer KVM at any base; else whatever sits at 0x40000000. */
	for (u32 base = 0x40000000; base < 0x40010000; base += 0x100) {
		u32 max = read_signature(base, sig);
		if (strcmp(sig, "KVMKVMKVM") == 0) {
			/* Old KVM reports EAX = 0, meaning base + 1. */
			hv.kind = HV_KVM;
			strlcpy(hv.signature, sig, sizeof(hv.signature));
			hv.max_leaf = max ? max : base + 1;
			arch_cpuid(base + 1, 0, &a, &b, &c, &d);
			hv.kvm_features = a;
			hv.kvm_hints = d;
			pr_info("hypervisor: KVM, features %#010x, hints %#x (leaves at %#x)",
				hv.kvm_features, hv.kvm_hints, base);
			return;
		}
	}

	hv.max_leaf = read_signature(0x40000000, sig);
	strlcpy(hv.signature, sig, sizeof(hv.signature));
	hv.kind = HV_OTHER;
	for (size_t i = 0; i < ARRAY_SIZE(known); i++) {
		if (strcmp(sig, known[i].sig) == 0) {
			hv.kind = known[i].kind;
			pr_info("hypervisor: %s (%s)", known[i].name, sig);
			return;
		}
	}
	for (int i = 0; i < 12; i++)
		if (hv.signature[i] && (hv.signature[i] < 0x20 || hv.signature[i] > 0x7e))
			hv.signature[i] = '?';
	pr_info("hypervisor: unknown (signature \"%s\", max leaf %#x)", hv.signature, hv.max_leaf);
}
