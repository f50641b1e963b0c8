# Skiff. `make` builds build/skiff.elf; `make run` boots it with a root file
# system; `make test` runs every test. See README.md.

BUILD := build
DEBUG ?= 1
CC := gcc
LD := ld

KERNEL_DIRS := arch/x86_64 pv drivers kernel mm fs net lib
KSRC_C := $(shell find $(KERNEL_DIRS) -name '*.c' 2>/dev/null | sort)
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

.PHONY: all kernel clean run test unit boot-matrix test-kvm boottime bench rootfs deps

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

-include $(KOBJS:.o=.d)

deps:
	scripts/deps.sh

unit:
	$(MAKE) -C tests/unit run

boot-matrix: kernel
	tests/boot-matrix.sh

test-kvm: kernel
	tests/kvm-paths.sh

boottime: kernel
	scripts/boottime.sh

run: deps
	$(MAKE) kernel
	INTERACTIVE=1 TIMEOUT=0 scripts/run-qemu.sh

# The KVM paravirtual path check takes a few seconds even on this host's
# emulated KVM, so it is part of `make test` wherever /dev/kvm is usable.
test: deps
	$(MAKE) kernel
	$(MAKE) unit
	$(MAKE) boot-matrix
	@if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then $(MAKE) test-kvm; \
	 else echo "test-kvm: SKIPPED, /dev/kvm is not usable here"; fi
	@echo "make test: all passed"

clean:
	rm -rf $(BUILD)
