/* fuzz_chain.h - the fuzz harness's half for version-2 fixtures. */
#ifndef RR_FUZZ_CHAIN_H
#define RR_FUZZ_CHAIN_H

#include "rnn_rosetta.h"
#include "rnn_rosetta_fixture.h"

/* Build the chain of an accepted version-2 fixture and run its case 0;
 * abort when the library refuses what the reader accepted. variant (0..3):
 * float64 auto (plus one step), portable, float32, two threads. */
void fuzz_run_chain(const rr_fixture *fx, unsigned variant);

#endif /* RR_FUZZ_CHAIN_H */
