/*
 * demo_options.c - rr_demo's command line with glibc's getopt_long: every
 * option at most once, options that only --generate takes refused without
 * it, numbers parsed strictly (a value is refused rather than read as
 * something else: "12x", " 5", "-1", "0x10", "1e999" and "nan" all are).
 */
#include "demo_options.h"
#include "utf8.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char demo_usage[] =
    "usage: rr_demo [--dtype float32|float64] [--seed-table] FIXTURE.json\n"
    "       rr_demo --generate --prime TEXT [--length N] [--temperature T]\n"
    "               [--seed S] [--dtype float32|float64] FIXTURE.json\n"
    "       rr_demo --train --data TEXT [--steps N] [--optimizer adam|sgd]\n"
    "               [--lr R] [--momentum M] [--clip-norm C] [--bptt K]\n"
    "               [--batch B] [--out FILE] [--log-every N]\n"
    "               [--dtype float32|float64] FIXTURE.json\n"
    "       rr_demo --help\n";

/* getopt_long's values for the long options */
enum {
    OPT_HELP = 'h',
    OPT_DTYPE = 256,
    OPT_SEED_TABLE,
    OPT_GENERATE,
    OPT_PRIME,
    OPT_LENGTH,
    OPT_TEMPERATURE,
    OPT_SEED,
    OPT_TRAIN,
    OPT_DATA,
    OPT_STEPS,
    OPT_OPTIMIZER,
    OPT_LR,
    OPT_MOMENTUM,
    OPT_CLIP_NORM,
    OPT_BPTT,
    OPT_BATCH,
    OPT_OUT,
    OPT_LOG_EVERY,
    OPT_END
};

static const struct option long_options[] = {
    { "help", no_argument, NULL, OPT_HELP },
    { "dtype", required_argument, NULL, OPT_DTYPE },
    { "seed-table", no_argument, NULL, OPT_SEED_TABLE },
    { "generate", no_argument, NULL, OPT_GENERATE },
    { "prime", required_argument, NULL, OPT_PRIME },
    { "length", required_argument, NULL, OPT_LENGTH },
    { "temperature", required_argument, NULL, OPT_TEMPERATURE },
    { "seed", required_argument, NULL, OPT_SEED },
    { "train", no_argument, NULL, OPT_TRAIN },
    { "data", required_argument, NULL, OPT_DATA },
    { "steps", required_argument, NULL, OPT_STEPS },
    { "optimizer", required_argument, NULL, OPT_OPTIMIZER },
    { "lr", required_argument, NULL, OPT_LR },
    { "momentum", required_argument, NULL, OPT_MOMENTUM },
    { "clip-norm", required_argument, NULL, OPT_CLIP_NORM },
    { "bptt", required_argument, NULL, OPT_BPTT },
    { "batch", required_argument, NULL, OPT_BATCH },
    { "out", required_argument, NULL, OPT_OUT },
    { "log-every", required_argument, NULL, OPT_LOG_EVERY },
    { NULL, 0, NULL, 0 },
};

/* "--name" of a long option's value */
static const char *option_name(int value)
{
    for (const struct option *o = long_options; o->name != NULL; o++) {
        if (o->val == value) {
            return o->name;
        }
    }
    return "?";
}

/* An unsigned decimal integer 0..max: [0-9]+ (any leading zeros), nothing
 * else; a value past max (or past 2^64 - 1) is refused, never wrapped. */
static int parse_unsigned(const char *text, unsigned long long max,
                          unsigned long long *out)
{
    if (text[0] < '0' || text[0] > '9') {
        return 0;
    }
    errno = 0;
    char *end = NULL;
    const unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || value > max) {
        return 0;
    }
    *out = value;
    return 1;
}

/* 1 when text is a real as the command lines write one
 * (docs/generation.md): [0-9]* ('.' [0-9]*)? ([eE] [+-]? [0-9]+)? with at
 * least one digit before the exponent; no sign, blank, nan, inf or hex. */
static int real_grammar(const char *text)
{
    size_t digits = 0;
    const char *p = text;
    for (; *p >= '0' && *p <= '9'; p++) {
        digits++;
    }
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++) {
            digits++;
        }
    }
    if (digits == 0) {
        return 0;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') {
            p++;
        }
        if (*p < '0' || *p > '9') {
            return 0;
        }
        while (*p >= '0' && *p <= '9') {
            p++;
        }
    }
    return *p == '\0';
}

/* A finite non-negative real in real_grammar's form (strtod in the C
 * locale); 0 when text is not one. */
static int parse_nonnegative_real(const char *text, double *out)
{
    if (!real_grammar(text)) {
        return 0;
    }
    char *end = NULL;
    const double value = strtod(text, &end);
    if (*end != '\0' || !isfinite(value) || value < 0.0) {
        return 0;
    }
    *out = value;
    return 1;
}

/* --train's options into *out; 0 with the message when a value is bad. */
static int take_train_value(int option, const char *value, demo_options *out,
                            char *message, size_t size)
{
    unsigned long long number = 0;
    double real = 0.0;
    size_t *counts[] = { &out->steps, &out->bptt, &out->batch,
                         &out->log_every };
    double *reals[] = { &out->lr, &out->momentum, &out->clip_norm };
    switch (option) {
    case OPT_DATA:
    case OPT_OUT:
        if (value[0] == '\0') {
            snprintf(message, size, "--%s must not be empty",
                     option_name(option));
            return 0;
        }
        *(option == OPT_DATA ? &out->data : &out->out) = value;
        return 1;
    case OPT_OPTIMIZER:
        if (strcmp(value, "adam") == 0 || strcmp(value, "sgd") == 0) {
            out->sgd = value[0] == 's';
            return 1;
        }
        snprintf(message, size, "--optimizer must be adam or sgd, got "
                 "'%.40s'", value);
        return 0;
    case OPT_STEPS:
    case OPT_BPTT:
    case OPT_BATCH:
    case OPT_LOG_EVERY: {
        const size_t index = option == OPT_STEPS ? 0 : option == OPT_BPTT ? 1
                             : option == OPT_BATCH ? 2 : 3;
        const size_t max = index == 1 || index == 2 ? DEMO_MAX_WINDOW
                                                    : DEMO_MAX_STEPS;
        if (parse_unsigned(value, max, &number) && number >= 1) {
            *counts[index] = (size_t)number;
            return 1;
        }
        snprintf(message, size, "--%s must be an integer in 1 .. %zu, got "
                 "'%.40s'", option_name(option), max, value);
        return 0;
    }
    default: { /* --lr (> 0), --momentum, --clip-norm (>= 0) */
        const size_t index = option == OPT_LR ? 0 : option == OPT_MOMENTUM
                                                        ? 1 : 2;
        if (parse_nonnegative_real(value, &real) && (index > 0 || real > 0.0)) {
            *reals[index] = real;
            return 1;
        }
        snprintf(message, size, "--%s must be a finite number %s 0, got "
                 "'%.40s'", option_name(option), index == 0 ? ">" : ">=",
                 value);
        return 0;
    }
    }
}

/* One option's value into *out; 0 with the message when it is bad. */
static int take_value(int option, const char *value, demo_options *out,
                      char *message, size_t size)
{
    unsigned long long number = 0;
    switch (option) {
    case OPT_DTYPE:
        if (strcmp(value, "float32") == 0 || strcmp(value, "float64") == 0) {
            out->dtype = value[5] == '3' ? RR_FLOAT32 : RR_FLOAT64;
            return 1;
        }
        snprintf(message, size, "--dtype must be float32 or float64, got "
                 "'%.40s'", value);
        return 0;
    case OPT_PRIME:
        if (value[0] == '\0' || !utf8_valid(value)) {
            snprintf(message, size, value[0] == '\0'
                     ? "--prime must not be empty"
                     : "--prime is not valid UTF-8");
            return 0;
        }
        out->prime = value;
        return 1;
    case OPT_LENGTH:
        if (parse_unsigned(value, DEMO_MAX_LENGTH, &number)) {
            out->length = (size_t)number;
            return 1;
        }
        snprintf(message, size, "--length must be an integer in 0 .. %zu, "
                 "got '%.40s'", DEMO_MAX_LENGTH, value);
        return 0;
    case OPT_TEMPERATURE:
        if (parse_nonnegative_real(value, &out->temperature)) {
            return 1;
        }
        snprintf(message, size, "--temperature must be a finite number >= 0, "
                 "got '%.40s'", value);
        return 0;
    case OPT_SEED:
        if (parse_unsigned(value, UINT64_MAX, &number)) {
            out->seed = (uint64_t)number;
            return 1;
        }
        snprintf(message, size, "--seed must be an integer in 0 .. %llu, "
                 "got '%.40s'", (unsigned long long)UINT64_MAX, value);
        return 0;
    case OPT_SEED_TABLE:
    case OPT_GENERATE:
    case OPT_TRAIN:
        return 1;
    default:
        return take_train_value(option, value, out, message, size);
    }
}

/* The combination of options: modes exclusive, --generate's options only
 * with it, --prime required by it, one FIXTURE. */
static int check_combination(const int *given, int positional,
                             char *message, size_t size)
{
    static const int generate_only[] = { OPT_PRIME, OPT_LENGTH,
                                         OPT_TEMPERATURE, OPT_SEED };
    static const int train_only[] = { OPT_DATA, OPT_STEPS, OPT_OPTIMIZER,
                                      OPT_LR, OPT_MOMENTUM, OPT_CLIP_NORM,
                                      OPT_BPTT, OPT_BATCH, OPT_OUT,
                                      OPT_LOG_EVERY };
    const int seed_table = given[OPT_SEED_TABLE - OPT_DTYPE];
    const int generate = given[OPT_GENERATE - OPT_DTYPE];
    const int train = given[OPT_TRAIN - OPT_DTYPE];
    if (seed_table + generate + train > 1) {
        snprintf(message, size, train ? "--seed-table, --generate and --train "
                                        "exclude each other"
                                      : "--seed-table and --generate exclude "
                                        "each other");
        return 0;
    }
    for (size_t i = 0; i < sizeof train_only / sizeof train_only[0]; i++) {
        if (given[train_only[i] - OPT_DTYPE] &&
            !given[OPT_TRAIN - OPT_DTYPE]) {
            snprintf(message, size, "--%s needs --train",
                     option_name(train_only[i]));
            return 0;
        }
    }
    if (given[OPT_TRAIN - OPT_DTYPE] && !given[OPT_DATA - OPT_DTYPE]) {
        snprintf(message, size, "--train needs --data TEXT");
        return 0;
    }
    for (size_t i = 0; i < sizeof generate_only / sizeof generate_only[0];
         i++) {
        if (given[generate_only[i] - OPT_DTYPE] &&
            !given[OPT_GENERATE - OPT_DTYPE]) {
            snprintf(message, size, "--%s needs --generate",
                     option_name(generate_only[i]));
            return 0;
        }
    }
    if (given[OPT_GENERATE - OPT_DTYPE] && !given[OPT_PRIME - OPT_DTYPE]) {
        snprintf(message, size, "--generate needs --prime TEXT");
        return 0;
    }
    if (positional != 1) {
        snprintf(message, size, positional == 0
                 ? "missing FIXTURE" : "expected one FIXTURE, got %d",
                 positional);
        return 0;
    }
    return 1;
}

/* demo_parse_options without the error's mode */
static demo_parse_result parse_words(int argc, char **argv,
                                     demo_options *out, char *message,
                                     size_t size)
{
    int given[OPT_END - OPT_DTYPE] = { 0 };
    memset(out, 0, sizeof *out);
    out->dtype = RR_FLOAT64;
    out->length = 200;
    out->temperature = 1.0;
    out->steps = 100;
    out->lr = 2e-3;
    out->momentum = 0.9;
    out->clip_norm = 5.0;
    out->bptt = 50;
    out->batch = 16;
    out->log_every = 1;
    opterr = 0; /* our own messages */
    optind = 1;
    int option = 0;
    while ((option = getopt_long(argc, argv, ":h", long_options, NULL)) !=
           -1) {
        if (option == OPT_HELP) {
            return DEMO_PARSE_HELP;
        }
        if (option == '?' || option == ':') {
            /* optopt: the option's value when it lacks its argument, the
             * letter of an unknown short option, 0 for an unknown long one
             * (then argv[optind - 1] is what was typed) */
            if (option == ':') {
                snprintf(message, size, "--%s needs a value",
                         option_name(optopt));
            } else if (optopt > 0 && optopt < 128) {
                snprintf(message, size, "unknown option '-%c'", optopt);
            } else {
                snprintf(message, size, "unknown option '%.60s'",
                         argv[optind - 1]);
            }
            return DEMO_PARSE_ERROR;
        }
        if (given[option - OPT_DTYPE]++) {
            snprintf(message, size, "--%s is given twice",
                     option_name(option));
            return DEMO_PARSE_ERROR;
        }
        if (!take_value(option, optarg, out, message, size)) {
            return DEMO_PARSE_ERROR;
        }
    }
    if (!check_combination(given, argc - optind, message, size)) {
        return DEMO_PARSE_ERROR;
    }
    out->mode = given[OPT_TRAIN - OPT_DTYPE]       ? DEMO_TRAIN
                : given[OPT_GENERATE - OPT_DTYPE]  ? DEMO_GENERATE
                : given[OPT_SEED_TABLE - OPT_DTYPE] ? DEMO_SEED_TABLE
                                                    : DEMO_TABLE;
    out->path = argv[optind];
    return DEMO_PARSE_OK;
}

/* The mode the words of argv ask for, read before getopt_long stops at
 * a bad one: --train (or one of its options), --generate (or one of its),
 * else the table. Its errors are then one line (docs/generation.md,
 * docs/training.md), the table's one line and the usage. */
static demo_mode mode_of_words(int argc, char **argv)
{
    static const char *const train_words[] = {
        "--train", "--data", "--steps", "--optimizer", "--lr", "--momentum",
        "--clip-norm", "--bptt", "--batch", "--out", "--log-every" };
    static const char *const generate_words[] = {
        "--generate", "--prime", "--length", "--temperature", "--seed" };
    demo_mode mode = DEMO_TABLE;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        const size_t name = strcspn(argv[i], "=");
        for (size_t k = 0; k < sizeof train_words / sizeof *train_words;
             k++) {
            if (strlen(train_words[k]) == name &&
                strncmp(argv[i], train_words[k], name) == 0) {
                return DEMO_TRAIN;
            }
        }
        for (size_t k = 0; k < sizeof generate_words / sizeof *generate_words;
             k++) {
            if (strlen(generate_words[k]) == name &&
                strncmp(argv[i], generate_words[k], name) == 0) {
                mode = DEMO_GENERATE;
            }
        }
    }
    return mode;
}

demo_parse_result demo_parse_options(int argc, char **argv,
                                     demo_options *out, char *message,
                                     size_t size)
{
    const demo_parse_result result =
        parse_words(argc, argv, out, message, size);
    if (result == DEMO_PARSE_ERROR) {
        out->mode = mode_of_words(argc, argv);
    }
    return result;
}
