# The C library (c/src, c/include) and the standalone C demo (c/demo); included by the Makefile.

CC       ?= gcc
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -Wall -Wextra -Werror -pedantic -fPIC -Ic/include
LDLIBS   += -lm
CJSON_CFLAGS ?= $(shell pkg-config --cflags libcjson 2>/dev/null || echo -I/usr/include/cjson)
CJSON_LIBS   ?= $(shell pkg-config --libs libcjson 2>/dev/null || echo -lcjson)

C_BUILD   := c/build
C_LIB     := $(C_BUILD)/librnn_rosetta.so
C_DEMO    := $(C_BUILD)/rr_demo
C_LIB_SRC := $(wildcard c/src/*.c)
C_LIB_HDR := c/include/rnn_rosetta.h $(wildcard c/src/*.h)
C_DEMO_SRC := $(wildcard c/demo/*.c)
C_DEMO_HDR := $(wildcard c/demo/*.h)

.PHONY: c demo-c

c: $(C_LIB) $(C_DEMO)

$(C_LIB): $(C_LIB_SRC) $(C_LIB_HDR)
	@mkdir -p $(C_BUILD)
	$(CC) $(CFLAGS) -pthread -shared -o $@ $(C_LIB_SRC) $(LDLIBS)

$(C_DEMO): $(C_DEMO_SRC) $(C_DEMO_HDR) $(C_LIB)
	$(CC) $(CFLAGS) $(CJSON_CFLAGS) -Ic/demo -o $@ $(C_DEMO_SRC) \
	    -L$(C_BUILD) -lrnn_rosetta -Wl,-rpath,'$$ORIGIN' $(CJSON_LIBS) $(LDLIBS)

demo-c: $(C_DEMO)
	@test -n "$(FIXTURE)" || { echo "usage: make demo-c FIXTURE=shared_fixtures/NAME.json"; exit 2; }
	$(C_DEMO) $(FIXTURE)

