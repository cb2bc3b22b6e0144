/*
 * utf8.h - strict UTF-8 for rr_demo's text (the --prime argument and the
 * fixture's vocabulary): one code point at a time, refusing overlong
 * forms, surrogates and values above U+10FFFF, as the fixture reader does.
 */
#ifndef RR_UTF8_H
#define RR_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The code point that starts text [size] into *code_point; returns the
 * bytes it takes (1..4), or 0 when they are not valid UTF-8. */
size_t utf8_next(const char *text, size_t size, uint32_t *code_point);

/* 1 when all of the NUL-terminated text is valid UTF-8. */
int utf8_valid(const char *text);

#endif /* RR_UTF8_H */
