# tests/module.mk: the shadow test client (tests/client/shadow_client.c),
# built from rpc/ only, like an agent. It drives splitrun-shadow from scripts
# in tests/integration/shadow/ and runs the concurrent stress load.
SHADOW_CLIENT := $(B)/tests/shadow_client

$(SHADOW_CLIENT): $(call obj,tests/client/shadow_client.c) $(LIBRPC) $(LIBARCH)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_COMMON)

test-build: $(SHADOW_CLIENT)

# libFuzzer harnesses and their corpus replays
include tests/fuzz/module.mk
