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

.PHONY: all c java demo-c demo-java lint-java clean help

all: c java

c: $(C_LIB) $(C_DEMO)

java: $(J_JAR)

$(C_LIB): $(C_LIB_SRC) $(C_LIB_HDR)
	@mkdir -p $(C_BUILD)
	$(CC) $(CFLAGS) -shared -o $@ $(C_LIB_SRC) $(LDLIBS)

$(C_DEMO): $(C_DEMO_SRC) $(C_DEMO_HDR) $(C_LIB)
	$(CC) $(CFLAGS) $(CJSON_CFLAGS) -Ic/demo -o $@ $(C_DEMO_SRC) \
	    -L$(C_BUILD) -lrnn_rosetta -Wl,-rpath,'$$ORIGIN' $(CJSON_LIBS) $(LDLIBS)

$(J_JAR): $(J_SRC)
	@test -f $(GSON_JAR) || { echo "missing $(GSON_JAR): apt-get install libgoogle-gson-java"; exit 1; }
	@rm -rf $(J_BUILD)/classes && mkdir -p $(J_BUILD)/classes
	$(JAVAC) $(JAVACFLAGS) -cp $(GSON_JAR) -d $(J_BUILD)/classes $(J_SRC)
	$(JAR) --create --file $@ -C $(J_BUILD)/classes .

demo-c: $(C_DEMO)
	@test -n "$(FIXTURE)" || { echo "usage: make demo-c FIXTURE=shared_fixtures/NAME.json"; exit 2; }
	$(C_DEMO) $(FIXTURE)

demo-java: $(J_JAR)
	@test -n "$(FIXTURE)" || { echo "usage: make demo-java FIXTURE=shared_fixtures/NAME.json"; exit 2; }
	$(JAVA) -cp $(J_JAR):$(GSON_JAR) rnnrosetta.demo.Demo $(FIXTURE)

lint-java:
	@rm -rf $(J_BUILD)/lint && mkdir -p $(J_BUILD)/lint
	$(JAVAC) $(JAVACFLAGS) -cp $(GSON_JAR) -d $(J_BUILD)/lint $(J_SRC)

clean:
	rm -rf $(C_BUILD) $(J_BUILD)

help:
	@echo "make            build c/build (librnn_rosetta.so, rr_demo) and java/build (rnn-rosetta.jar)"
	@echo "make demo-c FIXTURE=f.json     run the C demo"
	@echo "make demo-java FIXTURE=f.json  run the Java demo"
	@echo "make clean      remove build outputs"
