# The C side, in c/build; included by the Makefile:
#   librnn_rosetta.so          the library (c/src, public header c/include/rnn_rosetta.h)
#   librnn_rosetta_fixture.so  the fixture reader (c/fixture, c/include/rnn_rosetta_fixture.h; cJSON)
#   rr_demo                    the standalone demo (c/demo), built on the two: the demo's table,
#                              --seed-table, --generate (docs/demo-output.md, docs/generation.md)
#   librr_probe.so             the benchmark's roofline probes (c/bench/rr_probe.h), not the library's
#   _rr_step_call<EXT_SUFFIX>  (make c-step-py, not part of `make c`) the cffi API-mode module through which
#                              Python's CNet.step calls the library, for the Python that PYTHON names

CC       ?= gcc
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -Wall -Wextra -Werror -pedantic -ffp-contract=off -fPIC -Ic/include
LDLIBS   += -lm
CJSON_CFLAGS ?= $(shell pkg-config --cflags libcjson 2>/dev/null || echo -I/usr/include/cjson)
CJSON_LIBS   ?= $(shell pkg-config --libs libcjson 2>/dev/null || echo -lcjson)

C_BUILD   := c/build
C_LIB     := $(C_BUILD)/librnn_rosetta.so
C_FIXTURE_LIB := $(C_BUILD)/librnn_rosetta_fixture.so
C_DEMO    := $(C_BUILD)/rr_demo
C_PROBE_LIB := $(C_BUILD)/librr_probe.so
C_LIB_SRC := $(wildcard c/src/*.c)
C_LIB_HDR := c/include/rnn_rosetta.h c/include/rnn_rosetta_train.h $(wildcard c/src/*.h)
C_FIXTURE_SRC := $(wildcard c/fixture/*.c)
C_FIXTURE_HDR := c/include/rnn_rosetta.h c/include/rnn_rosetta_fixture.h c/include/rnn_rosetta_fixture_writer.h \
                 $(wildcard c/fixture/*.h)
C_DEMO_SRC := $(wildcard c/demo/*.c)
C_DEMO_HDR := $(wildcard c/demo/*.h)

.PHONY: c demo-c seed-demos-c bench-step-c c-step-py c-step-py-module

c: $(C_LIB) $(C_FIXTURE_LIB) $(C_DEMO) $(C_PROBE_LIB)

$(C_LIB): $(C_LIB_SRC) $(C_LIB_HDR)
	@mkdir -p $(C_BUILD)
	$(CC) $(CFLAGS) -pthread -shared -o $@ $(C_LIB_SRC) $(LDLIBS)

# only the rr_fixture_* API is exported (c/fixture/exports.map)
$(C_FIXTURE_LIB): $(C_FIXTURE_SRC) $(C_FIXTURE_HDR) c/fixture/exports.map
	@mkdir -p $(C_BUILD)
	$(CC) $(CFLAGS) $(CJSON_CFLAGS) -Ic/fixture -shared -Wl,--version-script=c/fixture/exports.map \
	    -o $@ $(C_FIXTURE_SRC) $(CJSON_LIBS) $(LDLIBS)

$(C_DEMO): $(C_DEMO_SRC) $(C_DEMO_HDR) $(C_LIB) $(C_FIXTURE_LIB)
	$(CC) $(CFLAGS) -o $@ $(C_DEMO_SRC) \
	    -L$(C_BUILD) -lrnn_rosetta_fixture -lrnn_rosetta -Wl,-rpath,'$$ORIGIN' $(LDLIBS)

$(C_PROBE_LIB): c/bench/probe.c c/bench/rr_probe.h
	@mkdir -p $(C_BUILD)
	$(CC) $(CFLAGS) -Ic/bench -shared -o $@ c/bench/probe.c

# ARGS go before the fixture: make demo-c FIXTURE=shared_fixtures/seed_c_rnn.json ARGS=--seed-table
demo-c: $(C_DEMO)
	@test -n "$(FIXTURE)" || { echo "usage: make demo-c FIXTURE=shared_fixtures/NAME.json [ARGS=...]"; exit 2; }
	$(C_DEMO) $(ARGS) $(FIXTURE)

# the seed articles' C RNN and Java LSTM tables (docs/seed-programs.md) from the C demo
seed-demos-c: $(C_DEMO)
	$(C_DEMO) --seed-table shared_fixtures/seed_c_rnn.json
	$(C_DEMO) --seed-table shared_fixtures/seed_java_lstm.json

# the streaming step's benchmark (c/bench/step_bench.c), not part of the library:
# one JSON line per shape; make bench-step-c STEP_ARGS="--steps 100000 --cell lstm"
C_STEP_BENCH := $(C_BUILD)/step_bench
$(C_STEP_BENCH): c/bench/step_bench.c c/include/rnn_rosetta.h $(C_LIB)
	$(CC) $(CFLAGS) -o $@ c/bench/step_bench.c -L$(C_BUILD) -lrnn_rosetta -Wl,-rpath,'$$ORIGIN' $(LDLIBS)

bench-step-c: $(C_STEP_BENCH)
	@$(C_STEP_BENCH) $(STEP_ARGS)

# Python's fast step call (python/rnn_rosetta/backends/c_step_call_build.py writes its C source): a CPython
# extension for one Python version, so not part of `make c` (the C library needs no Python); noxfile.py runs
# `make c-step-py PYTHON=<the session's python>`. Without it CNet.step calls through cffi's ABI mode (same bits,
# about 0.1 us slower per call). The second make learns the Python's module suffix and headers once.
# No -pedantic: cffi's own generated code converts object pointers to function pointers (POSIX allows it).
PYTHON ?= python3
C_STEP_PY_GEN := python/rnn_rosetta/backends/c_step_call_build.py
C_STEP_PY := $(C_BUILD)/_rr_step_call$(C_STEP_PY_SUFFIX)

c-step-py:
	@$(MAKE) --no-print-directory c-step-py-module \
	    C_STEP_PY_SUFFIX="$$($(PYTHON) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')" \
	    C_STEP_PY_INCLUDE="$$($(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"

c-step-py-module: $(C_STEP_PY)

$(C_STEP_PY): $(C_STEP_PY_GEN) c/include/rnn_rosetta.h
	@test -n "$(C_STEP_PY_INCLUDE)" || { echo "make c-step-py: $(PYTHON) gave no include folder"; exit 2; }
	@mkdir -p $(C_BUILD)
	$(PYTHON) $(C_STEP_PY_GEN) $(C_BUILD)/_rr_step_call.c
	$(CC) -O2 -std=c11 -Wall -Wextra -Werror -fPIC -shared -I$(C_STEP_PY_INCLUDE) -Ic/include \
	    -o $@.tmp $(C_BUILD)/_rr_step_call.c
	mv -f $@.tmp $@
