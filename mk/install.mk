# `make install PREFIX=/some/dir` (default /usr/local; DESTDIR for staging) and `make uninstall`;
# included by the Makefile. Installs what a C or Java user needs:
#   include/rnn_rosetta.h (the library), rnn_rosetta_train.h (training), rnn_rosetta_fixture.h and
#   rnn_rosetta_fixture_writer.h (the fixture library)
#   lib/librnn_rosetta.so, lib/librnn_rosetta_fixture.so
#   lib/pkgconfig/rnn-rosetta.pc   (cc prog.c $(pkg-config --cflags --libs rnn-rosetta))
#   share/java/rnn-rosetta.jar
# The fixture reader links cJSON itself, so a program needs cJSON only to link statically:
# the .pc names it in Requires.private (libcjson ships a .pc), else in Libs.private.

PREFIX  ?= /usr/local
DESTDIR ?=
INSTALL ?= install

I_INCLUDE := $(DESTDIR)$(PREFIX)/include
I_LIB     := $(DESTDIR)$(PREFIX)/lib
I_PC      := $(I_LIB)/pkgconfig/rnn-rosetta.pc
I_JAR     := $(DESTDIR)$(PREFIX)/share/java/rnn-rosetta.jar
I_HEADERS := $(wildcard c/include/*.h)
RR_VERSION := $(shell sed -n 's/^ *return "\([0-9][0-9.]*\)";$$/\1/p' c/src/status.c)
CJSON_PRIVATE := $(shell pkg-config --exists libcjson 2>/dev/null \
                   && echo 'Requires.private: libcjson' || echo 'Libs.private: -lcjson')

.PHONY: install uninstall

install: $(C_LIB) $(C_FIXTURE_LIB) $(J_JAR)
	@test -n "$(PREFIX)" || { echo "make install: PREFIX is empty"; exit 2; }
	$(INSTALL) -d $(I_INCLUDE) $(I_LIB)/pkgconfig $(dir $(I_JAR))
	$(INSTALL) -m 644 $(I_HEADERS) $(I_INCLUDE)/
	$(INSTALL) -m 755 $(C_LIB) $(C_FIXTURE_LIB) $(I_LIB)/
	$(INSTALL) -m 644 $(J_JAR) $(I_JAR)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(RR_VERSION)|' -e 's|@CJSON_PRIVATE@|$(CJSON_PRIVATE)|' \
	    -e '/^#/d' c/rnn-rosetta.pc.in > $(I_PC)
	@chmod 644 $(I_PC)

uninstall:
	rm -f $(addprefix $(I_INCLUDE)/,$(notdir $(I_HEADERS))) \
	    $(I_LIB)/$(notdir $(C_LIB)) $(I_LIB)/$(notdir $(C_FIXTURE_LIB)) $(I_PC) $(I_JAR)
