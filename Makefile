# rnn-rosetta: build the C library and demo, and the Java jar and demo.
# Plain make; `make help` lists the targets.

CC       ?= gcc
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -Wall -Wextra -Werror -pedantic -fPIC -Ic/include
LDLIBS   += -lm
CJSON_CFLAGS ?= $(shell pkg-config --cflags libcjson 2>/dev/null || echo -I/usr/include/cjson)
CJSON_LIBS   ?= $(shell pkg-config --libs libcjson 2>/dev/null || echo -lcjson)

JAVAC    ?= javac
JAR      ?= jar
JAVA     ?= java
GSON_JAR ?= /usr/share/java/gson.jar
JAVACFLAGS ?= -Xlint:all -Werror --release 17
# The Vector API kernels (java/src/vector) compile against jdk.incubator.vector, and javac 17
# then always warns "using incubating module(s)" (no -Xlint key or option silences that one
# warning alone), so they get a second javac without -Werror; javac-vector below still fails
# on any other warning. The JVM needs the module at run time (else Kernel.AUTO = PLAIN).
JAVAC_VECTOR_FLAGS ?= -Xlint:all --release 17 --add-modules jdk.incubator.vector -XDrawDiagnostics
JAVA_VECTOR_OPTS ?= --add-modules=jdk.incubator.vector

C_BUILD   := c/build
C_LIB     := $(C_BUILD)/librnn_rosetta.so
C_DEMO    := $(C_BUILD)/rr_demo
C_LIB_SRC := $(wildcard c/src/*.c)
C_LIB_HDR := c/include/rnn_rosetta.h $(wildcard c/src/*.h)
C_DEMO_SRC := $(wildcard c/demo/*.c)
C_DEMO_HDR := $(wildcard c/demo/*.h)

J_BUILD   := java/build
J_JAR     := $(J_BUILD)/rnn-rosetta.jar
J_SRC     := $(shell find java/src/main/java -name '*.java' 2>/dev/null)
J_VEC_SRC := $(shell find java/src/vector/java -name '*.java' 2>/dev/null)

# $(call javac-vector,DIR): compile J_VEC_SRC into DIR (which holds the J_SRC classes);
# every diagnostic but the incubating-module warning is an error, as -Werror would make it.
define javac-vector
	@echo "$(JAVAC) $(JAVAC_VECTOR_FLAGS) -cp $(1) -d $(1) $(J_VEC_SRC)"
	@out=$$($(JAVAC) $(JAVAC_VECTOR_FLAGS) -cp $(1) -d $(1) $(J_VEC_SRC) 2>&1); rc=$$?; \
	 other=$$(printf '%s\n' "$$out" | grep -v -x -e '- compiler.warn.incubating.modules: jdk.incubator.vector' -e '1 warning'); \
	 if [ $$rc -ne 0 ] || [ -n "$$other" ]; then printf '%s\n' "$$out" >&2; \
	     echo "javac: java/src/vector must compile with no warning but the incubating-module one" >&2; exit 1; fi
endef

.PHONY: all c java demo-c demo-java lint-java clean help

all: c java

c: $(C_LIB) $(C_DEMO)

java: $(J_JAR)

$(C_LIB): $(C_LIB_SRC) $(C_LIB_HDR)
	@mkdir -p $(C_BUILD)
	$(CC) $(CFLAGS) -pthread -shared -o $@ $(C_LIB_SRC) $(LDLIBS)

$(C_DEMO): $(C_DEMO_SRC) $(C_DEMO_HDR) $(C_LIB)
	$(CC) $(CFLAGS) $(CJSON_CFLAGS) -Ic/demo -o $@ $(C_DEMO_SRC) \
	    -L$(C_BUILD) -lrnn_rosetta -Wl,-rpath,'$$ORIGIN' $(CJSON_LIBS) $(LDLIBS)

$(J_JAR): $(J_SRC) $(J_VEC_SRC)
	@test -f $(GSON_JAR) || { echo "missing $(GSON_JAR): apt-get install libgoogle-gson-java"; exit 1; }
	@rm -rf $(J_BUILD)/classes && mkdir -p $(J_BUILD)/classes
	$(JAVAC) $(JAVACFLAGS) -cp $(GSON_JAR) -d $(J_BUILD)/classes $(J_SRC)
	$(call javac-vector,$(J_BUILD)/classes)
	$(JAR) --create --file $@ -C $(J_BUILD)/classes .

demo-c: $(C_DEMO)
	@test -n "$(FIXTURE)" || { echo "usage: make demo-c FIXTURE=shared_fixtures/NAME.json"; exit 2; }
	$(C_DEMO) $(FIXTURE)

demo-java: $(J_JAR)
	@test -n "$(FIXTURE)" || { echo "usage: make demo-java FIXTURE=shared_fixtures/NAME.json"; exit 2; }
	$(JAVA) $(JAVA_VECTOR_OPTS) -cp $(J_JAR):$(GSON_JAR) rnnrosetta.demo.Demo $(if $(DTYPE),--dtype $(DTYPE)) $(FIXTURE)

lint-java:
	@rm -rf $(J_BUILD)/lint && mkdir -p $(J_BUILD)/lint
	$(JAVAC) $(JAVACFLAGS) -cp $(GSON_JAR) -d $(J_BUILD)/lint $(J_SRC)
	$(call javac-vector,$(J_BUILD)/lint)

clean:
	rm -rf $(C_BUILD) $(J_BUILD)

help:
	@echo "make            build c/build (librnn_rosetta.so, rr_demo) and java/build (rnn-rosetta.jar)"
	@echo "make demo-c FIXTURE=f.json     run the C demo"
	@echo "make demo-java FIXTURE=f.json  run the Java demo"
	@echo "make clean      remove build outputs"

# --- sanitizers and fuzzing (nox -s sanitize runs c/fuzz/run_sanitize.py) ---
# sanitize-build: the library and the demo with ASan + UBSan in c/build-san/.
# clang by default: gcc does not instrument the loads and stores of the AVX2
# intrinsics (they are builtins to it), so a gcc build leaves the AVX2
# kernels unchecked; `make sanitize-build SAN_CC=gcc` still works. Python
# loads the library with the compiler's ASan runtime in LD_PRELOAD (clang:
# libclang_rt.asan-x86_64.so; gcc: libasan.so and libubsan.so).
# fuzz-build: the libFuzzer harness of the demo's fixture reader, with the
# library compiled in, in c/build-fuzz/ (clang). Warnings are not errors in
# these builds: `make c` is the one that enforces them.

SAN_CC       ?= clang
SAN_FLAGS    ?= -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_CFLAGS   := $(filter-out -Werror,$(CFLAGS))
C_SAN_BUILD  := c/build-san
C_SAN_LIB    := $(C_SAN_BUILD)/librnn_rosetta.so
C_SAN_DEMO   := $(C_SAN_BUILD)/rr_demo

FUZZ_CC      ?= clang
FUZZ_FLAGS   ?= -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
C_FUZZ_BUILD := c/build-fuzz
C_FUZZ_READER := $(C_FUZZ_BUILD)/fuzz_fixture_reader
C_FUZZ_READER_DEMO_SRC := $(filter-out c/demo/demo.c,$(C_DEMO_SRC))

TSAN_CC      ?= clang
C_TSAN_BUILD := c/build-tsan
C_TSAN_THREADS := $(C_TSAN_BUILD)/tsan_threads

.PHONY: sanitize-build fuzz-build tsan-build clean-sanitize

sanitize-build: $(C_SAN_LIB) $(C_SAN_DEMO)

# the compiler is part of the build: a different SAN_CC rebuilds
$(C_SAN_BUILD)/.cc-$(SAN_CC):
	@mkdir -p $(C_SAN_BUILD)
	@rm -f $(C_SAN_BUILD)/.cc-*
	@touch $@

$(C_SAN_LIB): $(C_LIB_SRC) $(C_LIB_HDR) $(C_SAN_BUILD)/.cc-$(SAN_CC)
	$(SAN_CC) $(SAN_CFLAGS) $(SAN_FLAGS) -shared -o $@ $(C_LIB_SRC) $(LDLIBS)

$(C_SAN_DEMO): $(C_DEMO_SRC) $(C_DEMO_HDR) $(C_SAN_LIB)
	$(SAN_CC) $(SAN_CFLAGS) $(SAN_FLAGS) $(CJSON_CFLAGS) -Ic/demo -o $@ $(C_DEMO_SRC) \
	    -L$(C_SAN_BUILD) -lrnn_rosetta -Wl,-rpath,'$$ORIGIN' $(CJSON_LIBS) $(LDLIBS)

fuzz-build: $(C_FUZZ_READER)

$(C_FUZZ_READER): c/fuzz/fuzz_fixture_reader.c $(C_FUZZ_READER_DEMO_SRC) $(C_DEMO_HDR) $(C_LIB_SRC) $(C_LIB_HDR)
	@mkdir -p $(C_FUZZ_BUILD)
	$(FUZZ_CC) $(SAN_CFLAGS) $(FUZZ_FLAGS) $(CJSON_CFLAGS) -Ic/demo -o $@ \
	    c/fuzz/fuzz_fixture_reader.c $(C_FUZZ_READER_DEMO_SRC) $(C_LIB_SRC) \
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
