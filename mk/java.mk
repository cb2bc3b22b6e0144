# The Java library and standalone demo (java/src) in one jar; included by the Makefile.

JAVAC    ?= javac
JAR      ?= jar
JAVA     ?= java
GSON_JAR ?= /usr/share/java/gson.jar
JAVACFLAGS ?= -Xlint:all -Werror --release 17
# The Vector API kernels (java/src/vector) compile against jdk.incubator.vector, and javac 17
# then always warns "using incubating module(s)" (no -Xlint key or option silences that one
# warning alone), so they get a second javac without -Werror; javac-vector below still fails
# on any other warning. The JVM needs the module at run time (else Kernel.AUTO = PLAIN), and
# a JVM started with it prints "WARNING: Using incubator modules" first, which no option turns
# off. The demo runs one case at batch 1, where the plain kernel is as fast, so `make demo-java`
# starts the JVM without it (no warning); JAVA_VECTOR_OPTS=--add-modules=jdk.incubator.vector
# runs the demo on the vector kernel.
JAVAC_VECTOR_FLAGS ?= -Xlint:all --release 17 --add-modules jdk.incubator.vector -XDrawDiagnostics
JAVA_VECTOR_OPTS ?=
# Objects on 64-byte lines: the vector kernel then starts its weight panels on cache lines
# (Vector64.PAD; the same bits without it, slower at small layers). The Python backend passes it too.
JAVA_ALIGN_OPTS ?= -XX:ObjectAlignmentInBytes=64

J_BUILD   := java/build
J_JAR     := $(J_BUILD)/rnn-rosetta.jar
# The float32 kernels are generated from the float64 ones (their templates) with one
# substitution table; see the comment at the top of java/src/main/java/rnnrosetta/Plain64.java.
J_FLOAT32_SED := java/src/float32.sed
J_GEN     := $(J_BUILD)/gen
J_GEN_SRC := $(J_GEN)/main/rnnrosetta/Plain32.java
J_GEN_VEC := $(J_GEN)/vector/rnnrosetta/Vector32.java
J_SRC     := $(shell find java/src/main/java -name '*.java' 2>/dev/null) $(J_GEN_SRC)
J_VEC_SRC := $(shell find java/src/vector/java -name '*.java' 2>/dev/null) $(J_GEN_VEC)

# $(call javac-vector,DIR): compile J_VEC_SRC into DIR (which holds the J_SRC classes);
# every diagnostic but the incubating-module warning is an error, as -Werror would make it.
define javac-vector
	@echo "$(JAVAC) $(JAVAC_VECTOR_FLAGS) -cp $(1) -d $(1) $(J_VEC_SRC)"
	@out=$$($(JAVAC) $(JAVAC_VECTOR_FLAGS) -cp $(1) -d $(1) $(J_VEC_SRC) 2>&1); rc=$$?; \
	 other=$$(printf '%s\n' "$$out" | grep -v -x -e '- compiler.warn.incubating.modules: jdk.incubator.vector' -e '1 warning'); \
	 if [ $$rc -ne 0 ] || [ -n "$$other" ]; then printf '%s\n' "$$out" >&2; \
	     echo "javac: java/src/vector must compile with no warning but the incubating-module one" >&2; exit 1; fi
endef

.PHONY: java demo-java lint-java

java: $(J_JAR)

# $(call float32-from,TEMPLATE): the float32 twin of a float64 template, marked as generated.
define float32-from
	@mkdir -p $(dir $@)
	@echo "sed -f $(J_FLOAT32_SED) $(1) > $@"
	@{ echo "// GENERATED from $(1) by $(J_FLOAT32_SED) (make java); edit the template, not this file."; \
	   sed -f $(J_FLOAT32_SED) $(1); } > $@.tmp && mv $@.tmp $@
endef

$(J_GEN_SRC): java/src/main/java/rnnrosetta/Plain64.java $(J_FLOAT32_SED)
	$(call float32-from,$<)

$(J_GEN_VEC): java/src/vector/java/rnnrosetta/Vector64.java $(J_FLOAT32_SED)
	$(call float32-from,$<)

$(J_JAR): $(J_SRC) $(J_VEC_SRC)
	@test -f $(GSON_JAR) || { echo "missing $(GSON_JAR): apt-get install libgoogle-gson-java"; exit 1; }
	@rm -rf $(J_BUILD)/classes && mkdir -p $(J_BUILD)/classes
	$(JAVAC) $(JAVACFLAGS) -cp $(GSON_JAR) -d $(J_BUILD)/classes $(J_SRC)
	$(call javac-vector,$(J_BUILD)/classes)
	$(JAR) --create --file $@ -C $(J_BUILD)/classes .

demo-java: $(J_JAR)
	@test -n "$(FIXTURE)" || { echo "usage: make demo-java FIXTURE=shared_fixtures/NAME.json [DTYPE=float32] [ARGS=--seed-table]"; exit 2; }
	$(JAVA) $(JAVA_VECTOR_OPTS) $(JAVA_ALIGN_OPTS) -cp $(J_JAR):$(GSON_JAR) rnnrosetta.demo.Demo $(if $(DTYPE),--dtype $(DTYPE)) $(ARGS) $(FIXTURE)

lint-java: $(J_GEN_SRC) $(J_GEN_VEC)
	@rm -rf $(J_BUILD)/lint && mkdir -p $(J_BUILD)/lint
	$(JAVAC) $(JAVACFLAGS) -cp $(GSON_JAR) -d $(J_BUILD)/lint $(J_SRC)
	$(call javac-vector,$(J_BUILD)/lint)


# The Java streaming-step benchmark (no Python): one JSON line per case, as make bench-step-c; e.g.
# make bench-step-java STEP_ARGS="--steps 100000"; "--model chain" (or chain-tokens) times Chain.step on a
# two-layer chain with a dense layer.
.PHONY: bench-step-java
bench-step-java: $(J_JAR)
	@$(JAVA) --add-modules=jdk.incubator.vector $(JAVA_ALIGN_OPTS) -cp $(J_JAR) rnnrosetta.bench.StepBench $(STEP_ARGS)
