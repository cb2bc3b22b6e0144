/*
 * character_model.h - "what a model needs" to generate or to train
 * (docs/generation.md, docs/training.md): one check for --generate and
 * --train, with the purpose's word in its messages.
 */
#ifndef RR_CHARACTER_MODEL_H
#define RR_CHARACTER_MODEL_H

#include "rnn_rosetta_fixture.h"

/* 1 when fx is a character model that can `purpose` ("generation" or
 * "training"), else 0 with the first failure's message (without the
 * fixture's path) in err. In this order: a vocabulary (a v1 fixture has
 * none), every layer forward, readout 'sequence', a last dense layer of V
 * outputs, its activation softmax or identity. */
int character_model_check(const rr_fixture *fx, const char *purpose,
                          rr_error *err);

#endif /* RR_CHARACTER_MODEL_H */
