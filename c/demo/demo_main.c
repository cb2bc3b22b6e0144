/*
 * demo_main.c - rr_demo's main: parse the command line (demo_options.h),
 * read the fixture with the reader library, and run the demo's table
 * (docs/demo-output.md), the seed table (--seed-table) or text generation
 * (--generate, docs/generation.md) or training (--train,
 * docs/training.md).
 *
 * Exit status: 0 on success; 2 for bad arguments (one line, then the
 * usage, except with --generate and --train: one line; a prime or text
 * character the vocabulary lacks: one line) and for a
 * fixture the table or the seed table cannot run ("rr_demo: FILE:
 * message"); with --generate and --train, 1 for a file or model that
 * cannot generate or train (docs/generation.md, docs/training.md).
 * Nothing goes to stdout on failure, except --train's lines of the steps
 * before the one that failed.
 */
#include "demo.h"
#include "demo_options.h"

#include <stdio.h>

/* Run the chosen mode on the read fixture: its exit status. */
static demo_exit run_mode(const demo_options *o, const rr_fixture *fx,
                          const char **subject, rr_error *err)
{
    int ok = 0;
    switch (o->mode) {
    case DEMO_TRAIN:
        return demo_train(fx, o, subject, err);
    case DEMO_GENERATE:
        return demo_generate(fx, o, err);
    case DEMO_SEED_TABLE:
        ok = demo_seed_table(fx, o->dtype, err);
        break;
    case DEMO_TABLE:
        ok = fx->version == 2 ? demo_chain(fx, o->dtype, err)
                              : demo_v1(fx, o->dtype, err);
        break;
    }
    return ok ? DEMO_EXIT_OK : DEMO_EXIT_ARGUMENTS;
}

int main(int argc, char **argv)
{
    demo_options o;
    char message[256] = "";
    switch (demo_parse_options(argc, argv, &o, message, sizeof message)) {
    case DEMO_PARSE_HELP:
        fputs(demo_usage, stdout);
        return fflush(stdout) == 0 ? 0 : 2;
    case DEMO_PARSE_ERROR: /* --generate's, --train's: one line */
        fprintf(stderr, "rr_demo: %s\n%s", message,
                o.mode == DEMO_TRAIN || o.mode == DEMO_GENERATE ? ""
                                                                : demo_usage);
        return 2;
    case DEMO_PARSE_OK:
        break;
    }
    /* the file's and the model's problems: 1 with --generate and --train,
     * else 2 */
    const demo_exit failure = o.mode == DEMO_GENERATE || o.mode == DEMO_TRAIN
                                  ? DEMO_EXIT_MODEL
                                  : DEMO_EXIT_ARGUMENTS;
    rr_error err = { { 0 } };
    rr_fixture fx;
    demo_exit status = failure;
    const char *subject = o.path; /* what the message is about */
    if (rr_fixture_read(o.path, &fx, &err) == RR_FIXTURE_OK) {
        status = run_mode(&o, &fx, &subject, &err);
        rr_fixture_free(&fx);
    }
    if (status != DEMO_EXIT_OK) {
        if (subject != NULL) {
            fprintf(stderr, "rr_demo: %s: %s\n", subject, err.message);
        } else {
            fprintf(stderr, "rr_demo: %s\n", err.message);
        }
        return (int)status;
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "rr_demo: %s: cannot write the output\n", o.path);
        return (int)failure;
    }
    return 0;
}
