# Sanitizers and fuzzing (nox -s sanitize runs c/fuzz/run_sanitize.py); included by the Makefile.
# sanitize-build: the library, the fixture reader and the demo with ASan + UBSan in c/build-san/.
# clang by default: gcc does not instrument the loads and stores of the AVX2
# intrinsics (they are builtins to it), so a gcc build leaves the AVX2
# kernels unchecked; `make sanitize-build SAN_CC=gcc` still works. Python
# loads the library with the compiler's ASan runtime in LD_PRELOAD (clang:
# libclang_rt.asan-x86_64.so; gcc: libasan.so and libubsan.so).
# fuzz-build: the libFuzzer harness of the fixture reader (c/fixture), with
# the reader and the library compiled in, in c/build-fuzz/ (clang). Warnings are not errors in
# these builds: `make c` is the one that enforces them.

SAN_CC       ?= clang
SAN_FLAGS    ?= -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_CFLAGS   := $(filter-out -Werror,$(CFLAGS))
C_SAN_BUILD  := c/build-san
C_SAN_LIB    := $(C_SAN_BUILD)/librnn_rosetta.so
C_SAN_FIXTURE_LIB := $(C_SAN_BUILD)/librnn_rosetta_fixture.so
C_SAN_DEMO   := $(C_SAN_BUILD)/rr_demo

FUZZ_CC      ?= clang
FUZZ_FLAGS   ?= -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
C_FUZZ_BUILD := c/build-fuzz
C_FUZZ_READER := $(C_FUZZ_BUILD)/fuzz_fixture_reader

TSAN_CC      ?= clang
C_TSAN_BUILD := c/build-tsan
C_TSAN_THREADS := $(C_TSAN_BUILD)/tsan_threads

.PHONY: sanitize-build fuzz-build tsan-build clean-sanitize

sanitize-build: $(C_SAN_LIB) $(C_SAN_FIXTURE_LIB) $(C_SAN_DEMO)

# the compiler is part of the build: a different SAN_CC rebuilds
$(C_SAN_BUILD)/.cc-$(SAN_CC):
	@mkdir -p $(C_SAN_BUILD)
	@rm -f $(C_SAN_BUILD)/.cc-*
	@touch $@

$(C_SAN_LIB): $(C_LIB_SRC) $(C_LIB_HDR) $(C_SAN_BUILD)/.cc-$(SAN_CC)
	$(SAN_CC) $(SAN_CFLAGS) $(SAN_FLAGS) -shared -o $@ $(C_LIB_SRC) $(LDLIBS)

$(C_SAN_FIXTURE_LIB): $(C_FIXTURE_SRC) $(C_FIXTURE_HDR) c/fixture/exports.map $(C_SAN_BUILD)/.cc-$(SAN_CC)
	$(SAN_CC) $(SAN_CFLAGS) $(SAN_FLAGS) $(CJSON_CFLAGS) -Ic/fixture -shared \
	    -Wl,--version-script=c/fixture/exports.map -o $@ $(C_FIXTURE_SRC) $(CJSON_LIBS) $(LDLIBS)

$(C_SAN_DEMO): $(C_DEMO_SRC) $(C_DEMO_HDR) $(C_SAN_LIB) $(C_SAN_FIXTURE_LIB)
	$(SAN_CC) $(SAN_CFLAGS) $(SAN_FLAGS) -o $@ $(C_DEMO_SRC) \
	    -L$(C_SAN_BUILD) -lrnn_rosetta_fixture -lrnn_rosetta -Wl,-rpath,'$$ORIGIN' $(LDLIBS)

fuzz-build: $(C_FUZZ_READER)

$(C_FUZZ_READER): c/fuzz/fuzz_fixture_reader.c c/fuzz/fuzz_chain.c c/fuzz/fuzz_chain.h $(C_FIXTURE_SRC) $(C_FIXTURE_HDR) $(C_LIB_SRC) $(C_LIB_HDR)
	@mkdir -p $(C_FUZZ_BUILD)
	$(FUZZ_CC) $(SAN_CFLAGS) $(FUZZ_FLAGS) $(CJSON_CFLAGS) -Ic/fixture -o $@ \
	    c/fuzz/fuzz_fixture_reader.c c/fuzz/fuzz_chain.c $(C_FIXTURE_SRC) $(C_LIB_SRC) \
	    $(CJSON_LIBS) $(LDLIBS)

# tsan-build: ThreadSanitizer on the library's second thread (num_threads = 2,
# compiled in with RR_SECOND_THREAD=1 even where the default build leaves it
# out), driven by c/fuzz/tsan_threads.c with the library compiled in.
tsan-build: $(C_TSAN_THREADS)

$(C_TSAN_THREADS): c/fuzz/tsan_threads.c $(C_LIB_SRC) $(C_LIB_HDR)
	@mkdir -p $(C_TSAN_BUILD)
	$(TSAN_CC) $(SAN_CFLAGS) -DRR_SECOND_THREAD=1 -fsanitize=thread -fno-omit-frame-pointer -o $@ \
	    c/fuzz/tsan_threads.c $(C_LIB_SRC) $(LDLIBS) -lpthread

clean-sanitize:
	rm -rf $(C_SAN_BUILD) $(C_FUZZ_BUILD) $(C_TSAN_BUILD)
