/*
 * vocabulary_index.c - code point -> token by binary search, and text ->
 * tokens (vocabulary_index.h).
 */
#include "vocabulary_index.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

static int compare_entries(const void *a, const void *b)
{
    const vocabulary_entry *x = a;
    const vocabulary_entry *y = b;
    return x->code_point < y->code_point ? -1
                                         : x->code_point > y->code_point;
}

int vocabulary_index_init(vocabulary_index *index, const rr_fixture *fx)
{
    const size_t v = fx->vocabulary_size;
    index->size = v;
    index->entries = malloc((v > 0 ? v : 1) * sizeof *index->entries);
    if (index->entries == NULL) {
        return 0;
    }
    for (size_t k = 0; k < v; k++) { /* the reader made each one code point */
        const char *entry = fx->vocabulary[k];
        utf8_next(entry, strlen(entry), &index->entries[k].code_point);
        index->entries[k].token = k;
    }
    qsort(index->entries, v, sizeof *index->entries, compare_entries);
    return 1;
}

void vocabulary_index_free(vocabulary_index *index)
{
    free(index->entries);
    index->entries = NULL;
    index->size = 0;
}

vocabulary_encoding vocabulary_index_encode(const vocabulary_index *index,
                                            const char *text, size_t size,
                                            int64_t *tokens, size_t *count,
                                            vocabulary_stop *stop)
{
    size_t line = 1;
    *count = 0;
    for (size_t at = 0; at < size;) { /* all of it UTF-8 first, as a decoder */
        uint32_t code_point = 0;
        const size_t used = utf8_next(text + at, size - at, &code_point);
        if (used == 0) {
            stop->character = 0;
            stop->line = 0;
            stop->byte = at;
            stop->code_point = 0;
            return VOCABULARY_NOT_UTF8;
        }
        at += used;
    }
    for (size_t at = 0; at < size;) {
        vocabulary_entry key = { 0, 0 };
        const size_t used = utf8_next(text + at, size - at, &key.code_point);
        stop->character = *count;
        stop->line = line;
        stop->byte = at;
        stop->code_point = key.code_point;
        const vocabulary_entry *found =
            bsearch(&key, index->entries, index->size,
                    sizeof *index->entries, compare_entries);
        if (found == NULL) {
            return VOCABULARY_OUTSIDE;
        }
        tokens[(*count)++] = (int64_t)found->token;
        line += key.code_point == '\n';
        at += used;
    }
    return VOCABULARY_ENCODED;
}
