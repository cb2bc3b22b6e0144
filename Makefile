# rnn-rosetta: build the C library and demo, and the Java jar and demo.
# Plain make; `make help` lists the targets. Each part lives in mk/:
#   mk/c.mk         the C library and demo (c/build)
#   mk/java.mk      the jar and the Java demo (java/build)
#   mk/sanitize.mk  ASan/UBSan, TSan and libFuzzer builds (c/build-san, -tsan, -fuzz)
#   mk/install.mk   make install PREFIX=...: headers, libraries, pkg-config file, jar

.PHONY: all clean help

all: c java

include mk/c.mk
include mk/java.mk
include mk/sanitize.mk
include mk/install.mk

clean:
	rm -rf $(C_BUILD) $(J_BUILD)

help:
	@echo "make            build c/build (librnn_rosetta.so, librnn_rosetta_fixture.so, rr_demo,"
	@echo "                librr_probe.so) and java/build (rnn-rosetta.jar)"
	@echo "make demo-c FIXTURE=f.json [ARGS=...]     run the C demo (ARGS: --seed-table, --dtype float32,"
	@echo "                                           --generate --prime TEXT ...: docs/generation.md)"
	@echo "make demo-java FIXTURE=f.json [ARGS=...]  run the Java demo (the same ARGS)"
	@echo "make seed-demos-c                        the seed C and Java programs' tables, from the C demo"
	@echo "make install PREFIX=/usr/local  headers, libraries, lib/pkgconfig/rnn-rosetta.pc, share/java jar"
	@echo "make uninstall PREFIX=/usr/local"
	@echo "make clean      remove build outputs"
