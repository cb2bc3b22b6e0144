/*
 * demo_options.h - rr_demo's command line (getopt_long):
 *
 *   rr_demo [--dtype float32|float64] [--seed-table] FIXTURE
 *   rr_demo --generate --prime TEXT [--length N] [--temperature T] [--seed S]
 *           [--dtype float32|float64] FIXTURE
 *   rr_demo --train --data TEXT [--steps N] [--optimizer adam|sgd] [--lr R]
 *           [--momentum M] [--clip-norm C] [--bptt K] [--batch B]
 *           [--out FILE] [--log-every N] [--dtype float32|float64] FIXTURE
 *
 * Numbers are read as docs/generation.md's grammar says: integers
 * [0-9]+ (leading zeros allowed, no sign, no blank, checked against their
 * range without overflow), reals [0-9]*(.[0-9]*)?(e[+-]?[0-9]+)? with a
 * digit before the exponent (no sign, nan, inf or hex), finite:
 * --length 0..1000000 (200), --temperature >= 0 (1.0),
 * --seed 0..2^64-1 (0). --prime is non-empty valid UTF-8. --train
 * (docs/training.md): --steps 1..10^7 (100), --lr finite > 0 (2e-3),
 * --momentum finite >= 0 (0.9), --clip-norm finite >= 0 (5), --bptt and
 * --batch 1..10^6 (50, 16), --log-every 1..10^7 (1).
 */
#ifndef RR_DEMO_OPTIONS_H
#define RR_DEMO_OPTIONS_H

#include "rnn_rosetta.h"

#include <stddef.h>
#include <stdint.h>

/* The most characters --length asks for. */
#define DEMO_MAX_LENGTH ((size_t)1000000)
/* The most --steps and --log-every; the most --bptt and --batch. */
#define DEMO_MAX_STEPS ((size_t)10000000)
#define DEMO_MAX_WINDOW ((size_t)1000000)

typedef enum demo_mode {
    DEMO_TABLE = 0,      /* docs/demo-output.md: the demo's table          */
    DEMO_SEED_TABLE = 1, /* --seed-table: the seed programs' table         */
    DEMO_GENERATE = 2,   /* --generate: text (docs/generation.md)          */
    DEMO_TRAIN = 3       /* --train: training (docs/training.md)           */
} demo_mode;

typedef struct demo_options {
    demo_mode mode;
    rr_dtype dtype;      /* RR_FLOAT64 unless --dtype float32              */
    const char *path;    /* FIXTURE                                        */
    const char *prime;   /* --generate: the prime (UTF-8)                  */
    size_t length;       /* --generate: characters to generate             */
    double temperature;  /* --generate: 0 = greedy                         */
    uint64_t seed;       /* --generate: SplitMix64's seed                  */
    /* --train */
    const char *data;    /* the text file                                  */
    const char *out;     /* the trained fixture, or NULL                   */
    size_t steps;
    int sgd;             /* 1: --optimizer sgd, 0: adam                    */
    double lr;
    double momentum;
    double clip_norm;    /* 0: no clipping                                 */
    size_t bptt;
    size_t batch;
    size_t log_every;
} demo_options;

typedef enum demo_parse_result {
    DEMO_PARSE_OK = 0,    /* *out holds the options                        */
    DEMO_PARSE_HELP = 1,  /* --help: print the usage to stdout, exit 0     */
    DEMO_PARSE_ERROR = 2  /* message holds one line: exit 2 with usage     */
} demo_parse_result;

/* The usage text (several lines, each ending in '\n'). */
extern const char demo_usage[];

/* Parse argv [argc] (getopt_long may permute it) into *out; on
 * DEMO_PARSE_ERROR, message [size] says what is wrong, and out->mode is
 * DEMO_TRAIN or DEMO_GENERATE when a word of argv is --train, --generate
 * or one of their options (docs/training.md, docs/generation.md: one line,
 * no usage), else DEMO_TABLE (the line, then the usage). */
demo_parse_result demo_parse_options(int argc, char **argv,
                                     demo_options *out, char *message,
                                     size_t size);

#endif /* RR_DEMO_OPTIONS_H */
