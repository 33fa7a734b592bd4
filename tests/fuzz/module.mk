# tests/fuzz/module.mk: libFuzzer harnesses, tests/fuzz/NAME.c, each with
# its seed corpus in tests/fuzz/NAME/ (crashes once found are kept there).
#
#   make fuzz [FUZZ_SECONDS=N]   builds them with clang and
#                                -fsanitize=fuzzer,address,undefined in
#                                build/fuzz and runs them all at once for
#                                N seconds (default 10; tools/fuzz.sh)
#   tests/run.sh fuzz            the same as TAP (make check: 60 s)
#
# The same harnesses, built with the normal compiler and tests/fuzz/replay.c
# instead of libFuzzer, replay their corpus in every suite as the unit tests
# fuzz_NAME (native and under ASan+UBSan).
FUZZ_NAMES := $(patsubst tests/fuzz/%.c,%,$(filter-out tests/fuzz/replay.c,$(wildcard tests/fuzz/*.c)))
FUZZ_REPLAY_BINS := $(patsubst %,$(B)/tests/unit/fuzz_%,$(FUZZ_NAMES))
FUZZ_BINS := $(patsubst %,$(B)/fuzz/%,$(FUZZ_NAMES))
FUZZ_LIBS := $(LIBSHADOW) $(LIBPOLICY) $(LIBRPC) $(LIBARCH)

$(B)/tests/unit/fuzz_%: $(call obj,tests/fuzz/%.c) $(call obj,tests/fuzz/replay.c) $(FUZZ_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_COMMON)

# Only in the fuzz variant (SANITIZE=fuzz, CC=clang): linked with libFuzzer.
$(B)/fuzz/%: $(call obj,tests/fuzz/%.c) $(FUZZ_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS_COMMON)

test-build: $(FUZZ_REPLAY_BINS)

.PHONY: fuzz fuzz-build fuzz-bins
fuzz-build:
	$(MAKE) SANITIZE=fuzz CC=clang fuzz-bins

fuzz-bins: $(FUZZ_BINS)

fuzz: deps fuzz-build
	FUZZ_SECONDS=$(or $(FUZZ_SECONDS),10) tools/fuzz.sh $(FUZZ_NAMES)
