# Skiff. `make` builds build/skiff.elf; `make run` boots it with a root file
# system; `make test` runs every test. See README.md.

BUILD := build
DEBUG ?= 1
CC := gcc
LD := ld

KERNEL_DIRS := arch/x86_64 pv drivers kernel mm fs net lib
KSRC_C := $(shell find $(KERNEL_DIRS) -name '*.c' ! -path 'arch/x86_64/vdso/*' 2>/dev/null | sort)
KSRC_S := $(shell find $(KERNEL_DIRS) -name '*.S' ! -name '*.ld.S' 2>/dev/null | sort)
KOBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(KSRC_C)) $(patsubst %.S,$(BUILD)/obj/%.o,$(KSRC_S))

KCFLAGS := -std=gnu11 -ffreestanding -fno-builtin -nostdlib -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) \
	-mcmodel=kernel -mno-red-zone -mgeneral-regs-only -fno-pic -fno-pie \
	-fno-stack-protector -fno-omit-frame-pointer -fno-strict-aliasing \
	-fno-asynchronous-unwind-tables -O2 -g \
	-Wall -Wextra -Werror -Wno-unused-parameter \
	-Iinclude -Iarch/x86_64/include -MMD -MP
ifeq ($(DEBUG),1)
KCFLAGS += -DSKIFF_DEBUG
endif
KASFLAGS := $(filter-out -std=gnu11,$(KCFLAGS)) -D__ASSEMBLER__
KLDFLAGS := -nostdlib -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments

.PHONY: all kernel clean run test unit boot-matrix test-kvm boottime bench rootfs deps \
	guest-test guest-test-linux interactive-test disk-test fuzz disk-bench

all: kernel
kernel: $(BUILD)/skiff.elf

V ?= 0
ifeq ($(V),0)
Q := @
endif

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) $(KASFLAGS) -c $< -o $@

$(BUILD)/kernel.ld: arch/x86_64/kernel.ld.S include/skiff/layout.h
	@mkdir -p $(BUILD)
	$(CC) -E -P -x c -D__ASSEMBLER__ -Iinclude $< -o $@

# Two-pass link: the first pass has an empty symbol table; its text symbols
# become the table linked into the second pass (.kallsyms is last, so no code
# moves between the passes).
$(BUILD)/skiff.elf: $(KOBJS) $(BUILD)/kernel.ld scripts/gen-kallsyms.py
	@echo "  LD      $@"
	$(Q)printf '\t.section .kallsyms, "a"\n\t.globl kallsyms_num\nkallsyms_num: .quad 0\n\t.globl kallsyms_addrs, kallsyms_names\nkallsyms_addrs:\nkallsyms_names:\n' > $(BUILD)/kallsyms0.S
	$(Q)$(CC) $(KASFLAGS) -c $(BUILD)/kallsyms0.S -o $(BUILD)/kallsyms0.o
	$(Q)$(LD) $(KLDFLAGS) -T $(BUILD)/kernel.ld -o $(BUILD)/skiff.pass1 $(KOBJS) $(BUILD)/kallsyms0.o
	$(Q)nm -n $(BUILD)/skiff.pass1 | python3 scripts/gen-kallsyms.py > $(BUILD)/kallsyms.S
	$(Q)$(CC) $(KASFLAGS) -c $(BUILD)/kallsyms.S -o $(BUILD)/kallsyms.o
	$(Q)$(LD) $(KLDFLAGS) -T $(BUILD)/kernel.ld -o $@ $(KOBJS) $(BUILD)/kallsyms.o
	@nm -n $@ | grep -E ' [Tt] ' | awk '{print $$1, $$3}' > $(BUILD)/pass2.syms
	@nm -n $(BUILD)/skiff.pass1 | grep -E ' [Tt] ' | awk '{print $$1, $$3}' > $(BUILD)/pass1.syms
	@cmp -s $(BUILD)/pass1.syms $(BUILD)/pass2.syms || { echo "kallsyms: text moved between link passes"; exit 1; }

# The vDSO: a freestanding user-space shared object (arch/x86_64/vdso/),
# embedded into the kernel by arch/x86_64/vdso_image.S.
VDSO_SO := $(BUILD)/vdso/vdso.so
$(VDSO_SO): arch/x86_64/vdso/vdso.c arch/x86_64/vdso/vdso.lds arch/x86_64/vdso/vvar.h
	@mkdir -p $(dir $@)
	@echo "  VDSO    $@"
	$(Q)$(CC) -std=gnu11 -O2 -fPIC -nostdlib -shared -fno-stack-protector -fno-builtin \
		-ffreestanding -Wall -Wextra -Werror -Wl,-T,arch/x86_64/vdso/vdso.lds \
		-Wl,--hash-style=both -Wl,-soname=linux-vdso.so.1 -Wl,--no-undefined \
		-Wl,-z,max-page-size=4096 -o $@ arch/x86_64/vdso/vdso.c
	$(Q)if readelf -r $@ | grep -q 'R_X86_64'; then echo "vdso: has relocations"; rm -f $@; exit 1; fi
$(BUILD)/obj/arch/x86_64/vdso_image.o: $(VDSO_SO)
$(BUILD)/obj/arch/x86_64/vdso_image.o: KASFLAGS += -DVDSO_SO='"$(VDSO_SO)"'

-include $(KOBJS:.o=.d)

deps:
	scripts/deps.sh

unit:
	$(MAKE) -C tests/unit run

boot-matrix: kernel
	tests/boot-matrix.sh

test-kvm: kernel
	tests/kvm-paths.sh

# Boot-time tables (not tests: they print what they measured):
# scripts/boottime.sh, PVH entry to the scheduler (exit right after), and
# scripts/boottime-root.sh, QEMU start to user space from an initramfs and
# from a virtio-blk ext2 root, Skiff and Debian's Linux, q35 and microvm,
# with a chart in build/boottime-root.png.
boottime: kernel
	$(MAKE) rootfs
	scripts/boottime.sh
	scripts/boottime-root.sh

# File I/O on a virtio-blk ext2 root, Skiff and Debian's Linux: sequential
# write and read, 4 KiB random reads; medians and Skiff/Linux ratios.
disk-bench: kernel
	$(MAKE) rootfs
	scripts/disk-bench.sh

# Futex benchmarks (bench/futex/run.sh): the same static binary booted as
# /init on Skiff and on Debian's Linux (scripts/get-linux-guest.sh) with the
# same QEMU flags, medians side by side with the ratio Skiff/Linux. Not a
# test: it prints what it measured.
bench: kernel
	bench/futex/run.sh
	bench/epoll/run.sh

# The guest root file system: build/initramfs.cpio and build/rootfs.ext2
# (rootfs/, scripts/mkrootfs.sh), with the guest test programs in /tests.
rootfs: deps
	$(MAKE) -C tests/guest
	scripts/mkrootfs.sh

run: deps
	$(MAKE) kernel
	$(MAKE) rootfs
	INTERACTIVE=1 TIMEOUT=0 INITRD=$(BUILD)/initramfs.cpio APPEND="console=ttyS0 rdinit=/init" \
		scripts/run-qemu.sh

# tests/guest/ programs (static and dynamic) and shell scripts inside Skiff;
# guest-test-linux runs the same suite on Debian's Linux kernel (the
# reference the tests encode).
guest-test: kernel
	tests/guest-run.sh
guest-test-linux:
	LINUX=1 tests/guest-run.sh

# What `make run` gives a person, typed at: the busybox shell on the serial
# console, echo, a ^Z'd job, jobs, fg, ^C, a pipeline, poweroff.
interactive-test: kernel
	tests/interactive.sh

# virtio-blk + ext2: in-kernel disk self-tests on both transports (two boots
# each, e2fsck between), the fsync-then-kill-QEMU crash test, and user space
# on an ext2 root disk (root=/dev/vda, no initramfs): stress tree, debugfs and
# e2fsck cross-checks, second-boot verify, a user-space crash test.
disk-test: kernel
	tests/disk-selftest.sh
	tests/disk-crashtest.sh
	tests/disk-root.sh

# libFuzzer on the ext2 parsing code for a fixed time (FUZZ_SECONDS, 20).
fuzz:
	tests/fuzz/run.sh

# The KVM paravirtual path check takes a few seconds even on this host's
# emulated KVM, so it is part of `make test` wherever /dev/kvm is usable.
test: deps
	$(MAKE) kernel
	$(MAKE) unit
	$(MAKE) boot-matrix
	$(MAKE) guest-test
	$(MAKE) interactive-test
	$(MAKE) disk-test
	$(MAKE) fuzz
	@if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then $(MAKE) test-kvm; \
	 else echo "test-kvm: SKIPPED, /dev/kvm is not usable here"; fi
	@echo "make test: all passed"

clean:
	rm -rf $(BUILD)
