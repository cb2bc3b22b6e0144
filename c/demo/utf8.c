/*
 * utf8.c - decoding of UTF-8 (RFC 3629): a lead byte 0xxxxxxx, 110xxxxx,
 * 1110xxxx or 11110xxx and then 0, 1, 2 or 3 continuation bytes 10xxxxxx;
 * each length has a least value (no overlong forms), D800..DFFF are
 * surrogates (not characters) and nothing exceeds 10FFFF.
 */
#include "utf8.h"

#include <string.h>

size_t utf8_next(const char *text, size_t size, uint32_t *code_point)
{
    static const uint32_t least[] = { 0, 0x80, 0x800, 0x10000 };
    const unsigned char *p = (const unsigned char *)text;
    if (size == 0) {
        return 0;
    }
    size_t extra = 0;
    uint32_t value = 0;
    if (p[0] < 0x80u) {
        *code_point = p[0];
        return 1;
    } else if ((p[0] & 0xE0u) == 0xC0u) {
        extra = 1;
        value = p[0] & 0x1Fu;
    } else if ((p[0] & 0xF0u) == 0xE0u) {
        extra = 2;
        value = p[0] & 0x0Fu;
    } else if ((p[0] & 0xF8u) == 0xF0u) {
        extra = 3;
        value = p[0] & 0x07u;
    } else {
        return 0;
    }
    if (size <= extra) {
        return 0;
    }
    for (size_t i = 1; i <= extra; i++) {
        if ((p[i] & 0xC0u) != 0x80u) {
            return 0;
        }
        value = (value << 6) | (p[i] & 0x3Fu);
    }
    if (value < least[extra] || value > 0x10FFFFu ||
        (value >= 0xD800u && value <= 0xDFFFu)) {
        return 0;
    }
    *code_point = value;
    return extra + 1;
}

int utf8_valid(const char *text)
{
    size_t size = strlen(text);
    while (size > 0) {
        uint32_t code_point = 0;
        const size_t used = utf8_next(text, size, &code_point);
        if (used == 0) {
            return 0;
        }
        text += used;
        size -= used;
    }
    return 1;
}
