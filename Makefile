# splitrun: build, test, install.
#
#   make                 bin/splitrun, bin/splitrun-shadow
#   make check           every test, plain and under ASan+UBSan, the aarch64 cross build,
#                        and the fuzz harnesses, all at once, for CHECK_FUZZ_SECONDS (60)
#   make check-fast      the plain suite only
#   make check SANITIZE=1 / make check-asan   the suite under ASan+UBSan only
#   make cross           aarch64 build with aarch64-linux-gnu-gcc (build/aarch64/bin)
#   make demo            build and run real programs whose files are on a local shadow
#   make bench           benchmarks (not tests): docs/performance.md
#   make fuzz            libFuzzer harnesses, all at once, for FUZZ_SECONDS (tests/fuzz/)
#   make install PREFIX=/usr/local DESTDIR=
#
# Each directory may add rules of its own in DIR/module.mk; sources are found
# by wildcard, so adding a .c file needs no edit here.

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
SANITIZE ?=
CHECK_FUZZ_SECONDS ?= 60

ARCH := $(shell $(CC) -dumpmachine | cut -d- -f1)
ifeq ($(filter $(ARCH),x86_64 aarch64),)
$(error splitrun supports x86_64 and aarch64 hosts; $(CC) targets $(ARCH))
endif

ifeq ($(SANITIZE),1)
VARIANT := san
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else ifeq ($(SANITIZE),fuzz)
# clang only: coverage for libFuzzer, ASan and UBSan (tests/fuzz/module.mk)
VARIANT := fuzz
SAN_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# -O1 with line tables: a third of the compile time of -O2 -g (make check
# builds them every time); reports still name file and line.
CFLAGS ?= -O1 -gline-tables-only
else ifneq ($(ARCH),$(shell uname -m))
VARIANT := $(ARCH)
else
VARIANT := native
endif

# B and BINDIR may be given on the command line to build in a private place.
B ?= build/$(VARIANT)
ifeq ($(VARIANT),native)
BINDIR ?= bin
else
BINDIR ?= $(B)/bin
endif

CFLAGS   ?= -O2 -g
CFLAGS   += -std=c17 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes $(SAN_FLAGS)
CPPFLAGS += -D_GNU_SOURCE -I. -MMD -MP
LDFLAGS  += $(SAN_FLAGS)
LIBS_TRACER := -lseccomp -lunwind-ptrace -lunwind-generic -lunwind
LIBS_COMMON := -lpthread -lsodium

ARCH_SRC   := $(wildcard arch/*.c) $(wildcard arch/$(ARCH)/*.c)
RPC_SRC    := $(wildcard rpc/*.c)
POLICY_SRC := $(wildcard policy/*.c)
TRACER_SRC := $(filter-out tracer/main.c,$(wildcard tracer/*.c))
SHADOW_SRC := $(filter-out shadow/main.c,$(wildcard shadow/*.c))
UNIT_SRC   := $(wildcard tests/unit/*.c)
PROG_SRC   := $(wildcard tests/progs/*.c)
BENCH_SRC  := $(wildcard bench/*.c)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

LIBARCH   := $(B)/libarch.a
LIBRPC    := $(B)/librpc.a
LIBPOLICY := $(B)/libpolicy.a
LIBTRACER := $(B)/libtracer.a
LIBSHADOW := $(B)/libshadow.a
# Link order follows the dependency arrows: tracer -> policy -> rpc -> arch.
ALL_LIBS  := $(LIBTRACER) $(LIBSHADOW) $(LIBPOLICY) $(LIBRPC) $(LIBARCH)

SPLITRUN        := $(BINDIR)/splitrun
SPLITRUN_SHADOW := $(BINDIR)/splitrun-shadow
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(UNIT_SRC))
PROG_BINS := $(patsubst tests/progs/%.c,$(B)/tests/progs/%,$(PROG_SRC))
BENCH_BINS := $(patsubst bench/%.c,$(B)/bench/%,$(BENCH_SRC))

.PHONY: all check check-fast check-asan test-build cross demo bench install deps clean
all: $(SPLITRUN) $(SPLITRUN_SHADOW)

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

define make_lib
$(1): $(call obj,$(2))
	@mkdir -p $$(@D)
	rm -f $$@ && $(AR) rcs $$@ $$^
endef
$(eval $(call make_lib,$(LIBARCH),$(ARCH_SRC)))
$(eval $(call make_lib,$(LIBRPC),$(RPC_SRC)))
$(eval $(call make_lib,$(LIBPOLICY),$(POLICY_SRC)))
$(eval $(call make_lib,$(LIBTRACER),$(TRACER_SRC)))
$(eval $(call make_lib,$(LIBSHADOW),$(SHADOW_SRC)))

$(SPLITRUN): $(call obj,tracer/main.c) $(LIBTRACER) $(LIBPOLICY) $(LIBRPC) $(LIBARCH)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_TRACER) $(LIBS_COMMON)

$(SPLITRUN_SHADOW): $(call obj,shadow/main.c) $(LIBSHADOW) $(LIBRPC) $(LIBARCH)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_COMMON)

# Unit tests link the libraries of their layer: rpc_* and shadow_* tests the
# shadow side (no libseccomp), every other the agent side.
$(B)/tests/unit/rpc_%: $(call obj,tests/unit/rpc_%.c) $(LIBSHADOW) $(LIBRPC) $(LIBARCH)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_COMMON)
$(B)/tests/unit/shadow_%: $(call obj,tests/unit/shadow_%.c) $(LIBSHADOW) $(LIBRPC) $(LIBARCH)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_COMMON)
$(B)/tests/unit/%: $(call obj,tests/unit/%.c) $(LIBTRACER) $(LIBPOLICY) $(LIBRPC) $(LIBARCH)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_TRACER) $(LIBS_COMMON)

# Test programs are guests: they are built without sanitizers so that what a
# test traces is the program, not the sanitizer's runtime.
$(B)/tests/progs/%: tests/progs/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -O2 -g -std=c17 -Wall -Wextra -Werror -o $@ $< -lpthread

# Benchmark programs: any bench/NAME.c becomes $(B)/bench/NAME, linked with
# every library (archives contribute only the objects a program uses).
$(B)/bench/%: $(call obj,bench/%.c) $(ALL_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_TRACER) $(LIBS_COMMON)

-include $(wildcard */module.mk)

test-build: all $(UNIT_BINS) $(PROG_BINS) $(BENCH_BINS)

# The suite under both variants, then the aarch64 cross build; tests/run.sh
# prints the closing "N passed, N failed" line. The builds use every CPU
# whether or not make was given -j (CI runs plain "make check").
NPROC := $(shell nproc 2>/dev/null || echo 2)

check: deps
ifeq ($(SANITIZE),1)
	$(MAKE) -j$(NPROC) test-build SANITIZE=1
	tests/run.sh san
else
	$(MAKE) -j$(NPROC) test-build
	$(MAKE) -j$(NPROC) test-build SANITIZE=1
	FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS) tests/run.sh native san cross fuzz
endif

check-fast: deps
	$(MAKE) -j$(NPROC) test-build
	tests/run.sh native

check-asan:
	$(MAKE) check SANITIZE=1

cross:
	$(MAKE) -j$(NPROC) all CC=aarch64-linux-gnu-gcc

deps:
	@tools/deps.sh

demo: deps all
	tools/demo.sh

bench: deps all $(BENCH_BINS)
	bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 755 $(SPLITRUN) $(SPLITRUN_SHADOW) $(DESTDIR)$(PREFIX)/bin/
	for m in docs/man/*.[158]; do [ -e "$$m" ] || continue; \
		install -m 644 "$$m" $(DESTDIR)$(PREFIX)/share/man/man$${m##*.}/; done

clean:
	rm -rf build bin

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
