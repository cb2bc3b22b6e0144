/*
 * vocabulary_index.h - a character model's vocabulary as a look-up table
 * (code point -> token, by binary search over the entries sorted by code
 * point), and text -> tokens with it: what --generate does to its prime
 * and --train to its text (docs/generation.md, docs/training.md).
 */
#ifndef RR_VOCABULARY_INDEX_H
#define RR_VOCABULARY_INDEX_H

#include "rnn_rosetta_fixture.h"

#include <stddef.h>
#include <stdint.h>

/* One vocabulary entry: its code point and its token (its index). */
typedef struct vocabulary_entry {
    uint32_t code_point;
    size_t token;
} vocabulary_entry;

typedef struct vocabulary_index {
    vocabulary_entry *entries; /* [V], sorted by code point               */
    size_t size;               /* V                                        */
} vocabulary_index;

/* The index of fx's vocabulary (which must be present); 1, or 0 when
 * memory runs out. */
int vocabulary_index_init(vocabulary_index *index, const rr_fixture *fx);

void vocabulary_index_free(vocabulary_index *index);

/* How text -> tokens ended. */
typedef enum vocabulary_encoding {
    VOCABULARY_ENCODED = 0,     /* every character is in the vocabulary     */
    VOCABULARY_OUTSIDE = 1,     /* a character the vocabulary lacks         */
    VOCABULARY_NOT_UTF8 = 2     /* bytes that are not UTF-8                 */
} vocabulary_encoding;

/* Where text -> tokens stopped: the character (counted from 0 in code
 * points), its line (counted from 1: newlines before it + 1), its first
 * byte (from 0) and its code point (VOCABULARY_OUTSIDE only). */
typedef struct vocabulary_stop {
    size_t character;
    size_t line;
    size_t byte;
    uint32_t code_point;
} vocabulary_stop;

/* tokens [*count] = the tokens of text [size] (tokens holds room for size
 * entries). All of the text is checked to be UTF-8 first (VOCABULARY_NOT_UTF8
 * with stop->byte the first bad sequence's first byte), then each character
 * looked up (VOCABULARY_OUTSIDE with *stop the first one the vocabulary
 * lacks). */
vocabulary_encoding vocabulary_index_encode(const vocabulary_index *index,
                                            const char *text, size_t size,
                                            int64_t *tokens, size_t *count,
                                            vocabulary_stop *stop);

#endif /* RR_VOCABULARY_INDEX_H */
