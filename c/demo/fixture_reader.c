/*
 * fixture_reader.c - reads a fixture file into a `fixture` (see the header).
 *
 * The file is treated as hostile: before cJSON sees it, the text must be
 * UTF-8 without NUL bytes and strict RFC 8259 JSON (checked without
 * recursion, nesting at most MAX_DEPTH deep); no object may hold a key
 * twice (cJSON keeps the first, Python's json the last). Then every field's
 * presence, type, range and shape is checked, every size is bounded by
 * FIXTURE_MAX_SIZE, and an array is allocated only after the JSON has shown
 * that it holds that many numbers. c/fuzz/ fuzzes all of it (libFuzzer).
 * Messages name the JSON path, e.g.
 *   model.layers[0].forward.weight_hh: expected shape [24, 6], got [24, 5]
 */
#include "fixture_reader.h"

#include <cJSON.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE_BYTES ((size_t)1 << 30)
#define MAX_RANK 3    /* the deepest array of the format: x [T][B][I] */
#define PATH_SIZE 160 /* room for the longest JSON path we build */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static rr_status fail(rr_error *err, rr_status status, const char *format, ...)
{
    if (err != NULL) {
        va_list args;
        va_start(args, format);
        vsnprintf(err->message, sizeof err->message, format, args);
        va_end(args);
    }
    return status;
}

/* ------------------------------------------------------------------------
 * The file and the JSON
 * ---------------------------------------------------------------------- */

/* Read the whole file into a NUL-terminated heap buffer. */
static rr_status read_text(const char *path, char **text, size_t *size,
                           rr_error *err)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        return fail(err, RR_E_IO, "cannot open the file: %s", strerror(errno));
    }
    size_t capacity = (size_t)1 << 16;
    size_t used = 0;
    char *buffer = malloc(capacity);
    rr_status status = buffer != NULL ? RR_OK
                                      : fail(err, RR_E_NOMEM,
                                             "cannot allocate the file buffer");
    while (status == RR_OK) {
        if (used + 1 == capacity) {
            if (capacity > MAX_FILE_BYTES) {
                status = fail(err, RR_E_IO, "the file is larger than %zu bytes",
                              MAX_FILE_BYTES);
                break;
            }
            char *bigger = realloc(buffer, 2 * capacity);
            if (bigger == NULL) {
                status = fail(err, RR_E_NOMEM,
                              "cannot allocate %zu bytes for the file",
                              2 * capacity);
                break;
            }
            buffer = bigger;
            capacity *= 2;
        }
        const size_t got = fread(buffer + used, 1, capacity - 1 - used, file);
        used += got;
        if (got == 0) {
            if (ferror(file)) {
                status = fail(err, RR_E_IO, "cannot read the file: %s",
                              strerror(errno));
            }
            break;
        }
    }
    fclose(file);
    if (status != RR_OK) {
        free(buffer);
        return status;
    }
    buffer[used] = '\0';
    *text = buffer;
    *size = used;
    return RR_OK;
}

/* The offset of the first byte that does not belong to well-formed UTF-8
 * (no overlong forms, no surrogates, nothing above U+10FFFF), else size. */
static size_t invalid_utf8_offset(const unsigned char *text, size_t size)
{
    size_t i = 0;
    while (i < size) {
        const unsigned char lead = text[i];
        size_t extra = 0; /* continuation bytes after the lead byte */
        if (lead < 0x80) {
            i++;
            continue;
        } else if (lead >= 0xC2 && lead <= 0xDF) {
            extra = 1;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            extra = 2;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            extra = 3;
        } else {
            return i;
        }
        if (size - i <= extra) {
            return i;
        }
        unsigned long code_point = lead & (0x3Fu >> extra);
        for (size_t k = 1; k <= extra; k++) {
            if ((text[i + k] & 0xC0) != 0x80) {
                return i;
            }
            code_point = (code_point << 6) | (text[i + k] & 0x3Fu);
        }
        if ((extra == 2 && (code_point < 0x800 ||
                            (code_point >= 0xD800 && code_point <= 0xDFFF))) ||
            (extra == 3 && (code_point < 0x10000 || code_point > 0x10FFFF))) {
            return i;
        }
        i += extra + 1;
    }
    return size;
}

/* The deepest nesting of arrays and objects accepted (a fixture needs 8;
 * the Java demo's limit too). cJSON's own limit is higher. */
#define MAX_DEPTH 64

/* Where and why text breaks the JSON grammar. */
typedef struct syntax_error {
    size_t offset;
    const char *reason;
} syntax_error;

static int is_json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_hex_digit(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A string starting at text[*i] == '"'; *i ends after the closing quote.
 * Control characters must be escaped, escapes must be JSON's, and \u0000
 * is refused (C strings end there: "a\u0000b" would read as "a"). */
static int scan_string(const char *text, size_t size, size_t *i,
                       syntax_error *error)
{
    size_t at = *i + 1;
    for (;;) {
        if (at >= size) {
            error->offset = *i;
            error->reason = "the string does not end";
            return 0;
        }
        const unsigned char c = (unsigned char)text[at];
        if (c == '"') {
            *i = at + 1;
            return 1;
        }
        if (c < 0x20) {
            error->offset = at;
            error->reason = "a control character in a string must be "
                            "escaped";
            return 0;
        }
        if (c != '\\') {
            at++;
            continue;
        }
        const char escape = at + 1 < size ? text[at + 1] : '\0';
        if (escape != '\0' && strchr("\"\\/bfnrt", escape) != NULL) {
            at += 2;
            continue;
        }
        if (escape != 'u' || size - at < 6 || !is_hex_digit(text[at + 2]) ||
            !is_hex_digit(text[at + 3]) || !is_hex_digit(text[at + 4]) ||
            !is_hex_digit(text[at + 5])) {
            error->offset = at;
            error->reason = "invalid escape in a string";
            return 0;
        }
        if (memcmp(text + at + 2, "0000", 4) == 0) {
            error->offset = at;
            error->reason = "\\u0000 in a string is not accepted";
            return 0;
        }
        at += 6;
    }
}

/* A number starting at text[*i] ('-' or a digit), RFC 8259 grammar:
 * -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int scan_number(const char *text, size_t size, size_t *i,
                       syntax_error *error)
{
    size_t at = *i;
    if (text[at] == '-') {
        at++;
    }
    if (at >= size || !is_digit(text[at])) {
        error->offset = at;
        error->reason = at < size && text[at] == 'I'
                            ? "NaN and Infinity are not JSON"
                            : "a number needs a digit here";
        return 0;
    }
    if (text[at] == '0' && at + 1 < size && is_digit(text[at + 1])) {
        error->offset = at;
        error->reason = "a number must not start with 0";
        return 0;
    }
    while (at < size && is_digit(text[at])) {
        at++;
    }
    if (at < size && text[at] == '.') {
        at++;
        if (at >= size || !is_digit(text[at])) {
            error->offset = at;
            error->reason = "a digit must follow the decimal point";
            return 0;
        }
        while (at < size && is_digit(text[at])) {
            at++;
        }
    }
    if (at < size && (text[at] == 'e' || text[at] == 'E')) {
        at++;
        if (at < size && (text[at] == '+' || text[at] == '-')) {
            at++;
        }
        if (at >= size || !is_digit(text[at])) {
            error->offset = at;
            error->reason = "a digit must follow the exponent";
            return 0;
        }
        while (at < size && is_digit(text[at])) {
            at++;
        }
    }
    *i = at;
    return 1;
}

/* Whether text [size] is exactly one JSON value (RFC 8259) between
 * whitespace, nested at most MAX_DEPTH deep. No recursion: a hostile file
 * cannot exhaust the stack here. cJSON alone is laxer (it reads 01, 1.,
 * -.5 and raw control characters in strings). */
static int check_syntax(const char *text, size_t size, syntax_error *error)
{
    enum expect {
        VALUE, VALUE_OR_CLOSE, KEY, KEY_OR_CLOSE, COLON, COMMA_OR_CLOSE
    } want = VALUE;
    char open[MAX_DEPTH]; /* '[' or '{' per level */
    size_t depth = 0;
    size_t i = 0;
    for (;;) {
        while (i < size && is_json_space(text[i])) {
            i++;
        }
        error->offset = i;
        if (i == size) {
            error->reason = "the text ends too early";
            return want == COMMA_OR_CLOSE && depth == 0;
        }
        const char c = text[i];
        switch (want) {
        case COLON:
            if (c != ':') {
                error->reason = "expected ':' after the key";
                return 0;
            }
            i++;
            want = VALUE;
            continue;
        case COMMA_OR_CLOSE:
            if (depth == 0) {
                error->reason = "unexpected data after the JSON value";
                return 0;
            }
            if (c == ',') {
                i++;
                want = open[depth - 1] == '{' ? KEY : VALUE;
                continue;
            }
            if ((c == ']' && open[depth - 1] == '[') ||
                (c == '}' && open[depth - 1] == '{')) {
                i++;
                depth--;
                continue; /* still COMMA_OR_CLOSE */
            }
            error->reason = open[depth - 1] == '{'
                                ? "expected ',' or '}'"
                                : "expected ',' or ']'";
            return 0;
        case KEY_OR_CLOSE:
            if (c == '}') {
                i++;
                depth--;
                want = COMMA_OR_CLOSE;
                continue;
            }
            /* fall through */
        case KEY:
            if (c != '"') {
                error->reason = "expected a string key";
                return 0;
            }
            if (!scan_string(text, size, &i, error)) {
                return 0;
            }
            want = COLON;
            continue;
        case VALUE_OR_CLOSE:
            if (c == ']') {
                i++;
                depth--;
                want = COMMA_OR_CLOSE;
                continue;
            }
            /* fall through */
        case VALUE:
            break;
        }
        /* a value */
        if (c == '[' || c == '{') {
            if (depth == MAX_DEPTH) {
                error->reason = "arrays and objects nested deeper than 64";
                return 0;
            }
            open[depth++] = c;
            i++;
            want = c == '[' ? VALUE_OR_CLOSE : KEY_OR_CLOSE;
            continue;
        }
        int ok = 1;
        if (c == '"') {
            ok = scan_string(text, size, &i, error);
        } else if (c == '-' || is_digit(c)) {
            ok = scan_number(text, size, &i, error);
        } else if (size - i >= 4 && memcmp(text + i, "true", 4) == 0) {
            i += 4;
        } else if (size - i >= 5 && memcmp(text + i, "false", 5) == 0) {
            i += 5;
        } else if (size - i >= 4 && memcmp(text + i, "null", 4) == 0) {
            i += 4;
        } else {
            error->reason = (c == 'N' || c == 'I')
                                ? "NaN and Infinity are not JSON"
                                : "expected a value";
            ok = 0;
        }
        if (!ok) {
            return 0;
        }
        want = COMMA_OR_CLOSE;
    }
}

/* Line and column (from 1, in bytes) of text[offset]. */
static void line_and_column(const char *text, size_t size, size_t offset,
                            size_t *line, size_t *column)
{
    *line = 1;
    *column = 1;
    for (size_t i = 0; i < offset && i < size; i++) {
        *column = text[i] == '\n' ? 1 : *column + 1;
        *line += text[i] == '\n';
    }
}

static rr_status parse_json(const char *text, size_t size, cJSON **root,
                            rr_error *err)
{
    if (strspn(text, " \t\r\n") == size) {
        return fail(err, RR_E_PARSE, "the file is empty");
    }
    const char *nul = memchr(text, '\0', size);
    if (nul != NULL) {
        return fail(err, RR_E_PARSE, "the file holds a NUL byte at offset %zu",
                    (size_t)(nul - text));
    }
    const size_t bad = invalid_utf8_offset((const unsigned char *)text, size);
    if (bad < size) {
        return fail(err, RR_E_PARSE, "the file is not valid UTF-8 at offset "
                    "%zu", bad);
    }
    size_t line = 1;
    size_t column = 1;
    syntax_error error = { 0, "" };
    if (!check_syntax(text, size, &error)) {
        line_and_column(text, size, error.offset, &line, &column);
        return fail(err, RR_E_PARSE, "invalid JSON at line %zu, column %zu: "
                    "%s", line, column, error.reason);
    }
    const char *end = NULL;
    *root = cJSON_ParseWithOpts(text, &end, 1);
    if (*root == NULL) {
        /* what the grammar allows but cJSON does not (an unpaired UTF-16
         * surrogate in a \u escape), or no memory */
        const size_t offset = end != NULL ? (size_t)(end - text) : 0;
        line_and_column(text, size, offset, &line, &column);
        return fail(err, RR_E_PARSE, "invalid JSON at line %zu, column %zu",
                    line, column);
    }
    return RR_OK;
}

static const char *type_name(const cJSON *item)
{
    if (item == NULL) {
        return "nothing (the field is missing)";
    }
    if (cJSON_IsNull(item)) {
        return "null";
    }
    if (cJSON_IsBool(item)) {
        return "a boolean";
    }
    if (cJSON_IsNumber(item)) {
        return "a number";
    }
    if (cJSON_IsString(item)) {
        return "a string";
    }
    if (cJSON_IsArray(item)) {
        return "an array";
    }
    if (cJSON_IsObject(item)) {
        return "an object";
    }
    return "an invalid value";
}

/* obj[key] when obj is an object, else NULL. Case-sensitive. */
static const cJSON *member(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* An optional member that is missing or null. */
static int is_absent(const cJSON *item)
{
    return item == NULL || cJSON_IsNull(item);
}

/* At most 40 characters of src for a message, each byte outside printable
 * ASCII shown as '?' (a message is one line of plain text). */
static const char *printable(char *text, size_t size, const char *src)
{
    size_t used = 0;
    for (; src[used] != '\0' && used < 40 && used + 1 < size; used++) {
        const unsigned char c = (unsigned char)src[used];
        text[used] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
    }
    text[used] = '\0';
    return text;
}

/* "prefix.key" into path [PATH_SIZE]; the precisions keep it in bounds */
static const char *join(char *path, const char *prefix, const char *key)
{
    snprintf(path, PATH_SIZE, "%.100s.%.48s", prefix, key);
    return path;
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Refuse an object that holds a key twice, anywhere in the tree: cJSON
 * would read the first and Python's json the last, so the two readers
 * would see different fixtures. `path` names `node` ("" at the top). The
 * syntax check has bounded the depth (MAX_DEPTH), so recursion is safe;
 * the keys of each object are sorted, so a huge object costs n log n. */
static rr_status check_duplicate_keys(const cJSON *node, const char *path,
                                      rr_error *err)
{
    const int is_object = cJSON_IsObject(node);
    if (!is_object && !cJSON_IsArray(node)) {
        return RR_OK;
    }
    size_t count = 0;
    for (const cJSON *child = node->child; child != NULL;
         child = child->next) {
        count++;
    }
    if (is_object && count > 1) {
        const char **keys = malloc(count * sizeof *keys);
        if (keys == NULL) {
            return fail(err, RR_E_NOMEM, "cannot allocate %zu keys", count);
        }
        size_t k = 0;
        for (const cJSON *child = node->child; child != NULL;
             child = child->next) {
            keys[k++] = child->string != NULL ? child->string : "";
        }
        qsort(keys, count, sizeof *keys, compare_keys);
        for (k = 1; k < count; k++) {
            if (strcmp(keys[k - 1], keys[k]) == 0) {
                char shown[48];
                const rr_status status = fail(
                    err, RR_E_PARSE, "%s: the key \"%s\" appears more than "
                    "once", path[0] != '\0' ? path : "the top level",
                    printable(shown, sizeof shown, keys[k]));
                free(keys);
                return status;
            }
        }
        free(keys);
    }
    size_t index = 0;
    for (const cJSON *child = node->child; child != NULL;
         child = child->next, index++) {
        if (!cJSON_IsObject(child) && !cJSON_IsArray(child)) {
            continue;
        }
        char child_path[PATH_SIZE];
        if (is_object && path[0] == '\0') {
            char shown[48];
            snprintf(child_path, sizeof child_path, "%s",
                     printable(shown, sizeof shown,
                               child->string != NULL ? child->string : ""));
        } else if (is_object) {
            char shown[48];
            join(child_path, path,
                 printable(shown, sizeof shown,
                           child->string != NULL ? child->string : ""));
        } else {
            snprintf(child_path, sizeof child_path, "%.120s[%zu]", path,
                     index);
        }
        const rr_status status = check_duplicate_keys(child, child_path, err);
        if (status != RR_OK) {
            return status;
        }
    }
    return RR_OK;
}

/* ------------------------------------------------------------------------
 * Scalars: objects, strings, sizes, flags, choices
 * ---------------------------------------------------------------------- */

static rr_status need_object(const cJSON *item, const char *path,
                             rr_error *err)
{
    if (!cJSON_IsObject(item)) {
        return fail(err, RR_E_PARSE, "%s: expected an object, got %s", path,
                    type_name(item));
    }
    return RR_OK;
}

/* A heap copy of the string at `path`. */
static rr_status read_string(const cJSON *item, const char *path, char **out,
                             rr_error *err)
{
    if (!cJSON_IsString(item)) {
        return fail(err, RR_E_PARSE, "%s: expected a string, got %s", path,
                    type_name(item));
    }
    const size_t length = strlen(item->valuestring);
    *out = malloc(length + 1);
    if (*out == NULL) {
        return fail(err, RR_E_NOMEM, "%s: cannot allocate the string", path);
    }
    memcpy(*out, item->valuestring, length + 1);
    return RR_OK;
}

/* A number that must be an integer in min..max. */
static rr_status size_in_range(double value, const char *path, size_t min,
                               size_t max, size_t *out, rr_error *err)
{
    if (!isfinite(value) || value != floor(value)) {
        return fail(err, RR_E_PARSE, "%s: %.15g is not an integer", path,
                    value);
    }
    if (value < (double)min || value > (double)max) {
        return fail(err, RR_E_PARSE, "%s: %.15g is outside %zu..%zu", path,
                    value, min, max);
    }
    *out = (size_t)value;
    return RR_OK;
}

/* An integer in min..max. */
static rr_status read_size(const cJSON *item, const char *path, size_t min,
                           size_t max, size_t *out, rr_error *err)
{
    if (!cJSON_IsNumber(item)) {
        return fail(err, RR_E_PARSE, "%s: expected an integer, got %s", path,
                    type_name(item));
    }
    return size_in_range(item->valuedouble, path, min, max, out, err);
}

/* A boolean; `fallback` when missing or null. */
static rr_status read_flag(const cJSON *item, const char *path, int fallback,
                           int *out, rr_error *err)
{
    if (is_absent(item)) {
        *out = fallback;
        return RR_OK;
    }
    if (!cJSON_IsBool(item)) {
        return fail(err, RR_E_PARSE, "%s: expected true or false, got %s",
                    path, type_name(item));
    }
    *out = cJSON_IsTrue(item) ? 1 : 0;
    return RR_OK;
}

/* The index of the string at `path` in choices [count]; `fallback` when
 * missing or null, or required when fallback < 0. */
static rr_status read_choice(const cJSON *item, const char *path,
                             const char *const *choices, size_t count,
                             int fallback, int *out, rr_error *err)
{
    if (is_absent(item) && fallback >= 0) {
        *out = fallback;
        return RR_OK;
    }
    if (!cJSON_IsString(item)) {
        return fail(err, RR_E_PARSE, "%s: expected a string, got %s", path,
                    type_name(item));
    }
    for (size_t i = 0; i < count; i++) {
        if (strcmp(item->valuestring, choices[i]) == 0) {
            *out = (int)i;
            return RR_OK;
        }
    }
    char expected[96] = "";
    for (size_t i = 0; i < count; i++) {
        const size_t used = strlen(expected);
        snprintf(expected + used, sizeof expected - used, "%s\"%s\"",
                 i == 0 ? "" : (i + 1 == count ? " or " : ", "), choices[i]);
    }
    char shown[48];
    return fail(err, RR_E_PARSE, "%s: expected %s, got \"%s\"", path,
                expected, printable(shown, sizeof shown, item->valuestring));
}

/* ------------------------------------------------------------------------
 * Arrays of numbers of a known shape
 * ---------------------------------------------------------------------- */

/* "[24, 6]" for dims [rank], rank >= 1 */
static void format_shape(char *text, size_t size, const size_t *dims,
                         size_t rank)
{
    size_t used = 0;
    text[0] = '\0';
    for (size_t i = 0; i < rank && used < size; i++) {
        const int n = snprintf(text + used, size - used, "%s%zu",
                               i == 0 ? "[" : ", ", dims[i]);
        used += n > 0 ? (size_t)n : 0;
    }
    if (used < size) {
        snprintf(text + used, size - used, "]");
    }
}

/* The shape the array shows along its first elements ([24, 5] for 24 lists
 * of 5 numbers), up to max_rank deep. *leaf is where the probe stopped: a
 * number, an empty array, or something that is neither. */
static size_t probe_shape(const cJSON *node, size_t *dims, size_t max_rank,
                          const cJSON **leaf)
{
    size_t rank = 0;
    while (cJSON_IsArray(node) && rank < max_rank) {
        dims[rank++] = (size_t)cJSON_GetArraySize(node);
        if (node->child == NULL) {
            break;
        }
        node = node->child;
    }
    *leaf = node;
    return rank;
}

/* "path[3][1]" for the first `depth` indices into text [PATH_SIZE + ...]. */
static void format_position(char *text, size_t size, const char *path,
                            const size_t *index, size_t depth)
{
    size_t used = 0;
    const int n = snprintf(text, size, "%s", path);
    used = n > 0 ? (size_t)n : 0;
    for (size_t i = 0; i < depth && used < size; i++) {
        const int m = snprintf(text + used, size - used, "[%zu]", index[i]);
        used += m > 0 ? (size_t)m : 0;
    }
}

/* Check that `node` is an array of dims[depth] entries, each (recursively)
 * of shape dims[depth+1 ..], with numbers at depth `rank`. When *cursor is
 * not NULL, copy the numbers there in row-major order. */
static rr_status walk_array(const cJSON *node, const char *path,
                            const size_t *dims, size_t rank, size_t depth,
                            size_t *index, double **cursor, rr_error *err)
{
    char position[PATH_SIZE + 4 * 24];
    if (depth == rank) {
        if (!cJSON_IsNumber(node)) {
            format_position(position, sizeof position, path, index, depth);
            return fail(err, RR_E_PARSE, "%s: expected a number, got %s",
                        position, type_name(node));
        }
        if (!isfinite(node->valuedouble)) { /* such as 1e400 */
            format_position(position, sizeof position, path, index, depth);
            return fail(err, RR_E_PARSE, "%s: number out of float64 range",
                        position);
        }
        if (*cursor != NULL) {
            *(*cursor)++ = node->valuedouble;
        }
        return RR_OK;
    }
    if (!cJSON_IsArray(node)) {
        format_position(position, sizeof position, path, index, depth);
        return fail(err, RR_E_PARSE, "%s: expected an array of %zu values, "
                    "got %s", position, dims[depth], type_name(node));
    }
    const size_t count = (size_t)cJSON_GetArraySize(node);
    if (count != dims[depth]) {
        format_position(position, sizeof position, path, index, depth);
        return fail(err, RR_E_PARSE, "%s: expected %zu values, got %zu "
                    "(ragged array)", position, dims[depth], count);
    }
    size_t i = 0;
    for (const cJSON *child = node->child; child != NULL;
         child = child->next, i++) {
        index[depth] = i;
        rr_status status = walk_array(child, path, dims, rank, depth + 1,
                                      index, cursor, err);
        if (status != RR_OK) {
            return status;
        }
    }
    return RR_OK;
}

/* Read the array at `path` of shape dims [rank] into a new heap buffer. */
static rr_status read_array(const cJSON *node, const char *path,
                            const size_t *dims, size_t rank, double **out,
                            size_t *out_len, rr_error *err)
{
    char expected[96];
    format_shape(expected, sizeof expected, dims, rank);
    if (!cJSON_IsArray(node)) {
        return fail(err, RR_E_PARSE, "%s: expected an array of shape %s, "
                    "got %s", path, expected, type_name(node));
    }
    size_t got[MAX_RANK + 1];
    const cJSON *leaf = NULL;
    const size_t got_rank = probe_shape(node, got, MAX_RANK + 1, &leaf);
    int same = got_rank == rank;
    for (size_t i = 0; same && i < rank; i++) {
        same = got[i] == dims[i];
    }
    /* A string or the like along the first elements is reported by the
     * walk below, with its position; a shape that differs is reported
     * whole. */
    const int leaf_is_bad = !cJSON_IsNumber(leaf) && !cJSON_IsArray(leaf);
    if (!same && !(leaf_is_bad && got_rank < rank)) {
        char shown[96];
        format_shape(shown, sizeof shown, got, got_rank);
        return fail(err, RR_E_PARSE, "%s: expected shape %s, got %s", path,
                    expected, shown);
    }
    size_t index[MAX_RANK] = { 0 };
    double *cursor = NULL;
    rr_status status = walk_array(node, path, dims, rank, 0, index, &cursor,
                                  err);
    if (status != RR_OK) {
        return status;
    }

    /* The JSON holds that many numbers, so the count is bounded by the
     * file's size. */
    size_t count = 1;
    for (size_t i = 0; i < rank; i++) {
        count *= dims[i];
    }
    double *values = malloc(count * sizeof(double));
    if (values == NULL) {
        return fail(err, RR_E_NOMEM, "%s: cannot allocate %zu numbers", path,
                    count);
    }
    /* the same walk, now copying; it passed above, so it cannot fail */
    cursor = values;
    walk_array(node, path, dims, rank, 0, index, &cursor, err);
    *out = values;
    *out_len = count;
    return RR_OK;
}

/* The array at `key` of `obj`, required or (when optional and missing or
 * null) left NULL, 0. */
static rr_status read_member_array(const cJSON *obj, const char *prefix,
                                   const char *key, int required,
                                   const size_t *dims, size_t rank,
                                   double **out, size_t *out_len,
                                   rr_error *err)
{
    char path[PATH_SIZE];
    join(path, prefix, key);
    const cJSON *node = member(obj, key);
    if (!required && is_absent(node)) {
        return RR_OK;
    }
    return read_array(node, path, dims, rank, out, out_len, err);
}

/* A member that must be missing or null because it does not apply. */
static rr_status refuse_member(const cJSON *obj, const char *prefix,
                               const char *key, const char *reason,
                               rr_error *err)
{
    if (!is_absent(member(obj, key))) {
        char path[PATH_SIZE];
        return fail(err, RR_E_PARSE, "%s: %s; expected null or no field",
                    join(path, prefix, key), reason);
    }
    return RR_OK;
}

/* ------------------------------------------------------------------------
 * The model
 * ---------------------------------------------------------------------- */

static size_t gate_count(rr_cell cell)
{
    return cell == RR_CELL_LSTM ? 4 : (cell == RR_CELL_GRU ? 3 : 1);
}

static size_t direction_count(const rr_config *cfg)
{
    return cfg->direction == RR_BIDIRECTIONAL ? 2 : 1;
}

static size_t out_size(const rr_config *cfg)
{
    return cfg->proj_size > 0 ? cfg->proj_size : cfg->hidden_size;
}

/* The scalar fields of "model" into fx->config. */
static rr_status read_config(const cJSON *model, rr_config *cfg, rr_error *err)
{
    static const char *const cells[] = { "rnn", "lstm", "gru" };
    static const char *const directions[] = { "forward", "reverse",
                                              "bidirectional" };
    static const char *const nonlinearities[] = { "tanh", "relu" };
    int cell = 0;
    int direction = 0;
    int nonlinearity = 0;

    rr_status status = read_choice(member(model, "cell"), "model.cell", cells,
                                   3, -1, &cell, err);
    cfg->cell = (rr_cell)cell;
    if (status == RR_OK) {
        status = read_size(member(model, "input_size"), "model.input_size", 1,
                           FIXTURE_MAX_SIZE, &cfg->input_size, err);
    }
    if (status == RR_OK) {
        status = read_size(member(model, "hidden_size"), "model.hidden_size",
                           1, FIXTURE_MAX_SIZE, &cfg->hidden_size, err);
    }
    if (status == RR_OK) {
        status = read_size(member(model, "num_layers"), "model.num_layers", 1,
                           FIXTURE_MAX_SIZE, &cfg->num_layers, err);
    }
    if (status == RR_OK) {
        status = read_choice(member(model, "direction"), "model.direction",
                             directions, 3, -1, &direction, err);
        cfg->direction = (rr_direction)direction;
    }
    if (status == RR_OK) {
        status = read_choice(member(model, "nonlinearity"),
                             "model.nonlinearity", nonlinearities, 2, 0,
                             &nonlinearity, err);
        cfg->nonlinearity = (rr_nonlinearity)nonlinearity;
        if (status == RR_OK && cfg->nonlinearity == RR_RELU &&
            cfg->cell != RR_CELL_RNN) {
            status = fail(err, RR_E_PARSE, "model.nonlinearity: \"relu\" "
                          "applies to cell \"rnn\" only, the cell is \"%s\"",
                          cells[cell]);
        }
    }
    if (status == RR_OK) {
        status = read_flag(member(model, "linear_before_reset"),
                           "model.linear_before_reset", 1,
                           &cfg->linear_before_reset, err);
    }
    if (status == RR_OK) {
        const cJSON *proj = member(model, "proj_size");
        cfg->proj_size = 0;
        if (!is_absent(proj)) {
            status = read_size(proj, "model.proj_size", 0, FIXTURE_MAX_SIZE,
                               &cfg->proj_size, err);
        }
        if (status == RR_OK && cfg->proj_size > 0 &&
            cfg->cell != RR_CELL_LSTM) {
            status = fail(err, RR_E_PARSE, "model.proj_size: %zu, but a "
                          "projection applies to cell \"lstm\" only",
                          cfg->proj_size);
        }
        if (status == RR_OK && cfg->proj_size >= cfg->hidden_size &&
            cfg->proj_size > 0) {
            status = fail(err, RR_E_PARSE, "model.proj_size: %zu must be "
                          "less than hidden_size (%zu)", cfg->proj_size,
                          cfg->hidden_size);
        }
    }
    if (status == RR_OK) {
        status = read_flag(member(model, "peepholes"), "model.peepholes", 0,
                           &cfg->peepholes, err);
        if (status == RR_OK && cfg->peepholes && cfg->cell != RR_CELL_LSTM) {
            status = fail(err, RR_E_PARSE, "model.peepholes: true, but "
                          "peepholes apply to cell \"lstm\" only");
        }
    }
    if (status == RR_OK) {
        const cJSON *clip = member(model, "clip");
        cfg->has_clip = !is_absent(clip);
        cfg->clip = 0.0;
        if (cfg->has_clip && !cJSON_IsNumber(clip)) {
            status = fail(err, RR_E_PARSE, "model.clip: expected a number or "
                          "null, got %s", type_name(clip));
        } else if (cfg->has_clip) {
            cfg->clip = clip->valuedouble;
            if (!isfinite(cfg->clip) || cfg->clip <= 0.0) {
                status = fail(err, RR_E_PARSE, "model.clip: %.15g, expected "
                              "a finite number > 0", cfg->clip);
            }
        }
    }
    return status;
}

static const char *const peephole_keys[] = { "peephole_i", "peephole_f",
                                             "peephole_o" };

/* peephole_i, peephole_f, peephole_o [H] each into w->peepholes [3*H]. */
static rr_status read_peepholes(const cJSON *node, const char *path,
                                size_t hidden, fixture_weights *w,
                                rr_error *err)
{
    double *parts[3] = { NULL, NULL, NULL };
    size_t part_len = 0;
    rr_status status = RR_OK;
    for (size_t k = 0; k < 3 && status == RR_OK; k++) {
        status = read_member_array(node, path, peephole_keys[k], 1, &hidden,
                                   1, &parts[k], &part_len, err);
    }
    if (status == RR_OK) {
        w->peepholes = malloc(3 * hidden * sizeof(double));
        if (w->peepholes == NULL) {
            status = fail(err, RR_E_NOMEM, "%s: cannot allocate the "
                          "peepholes", path);
        }
    }
    for (size_t k = 0; k < 3 && status == RR_OK; k++) {
        memcpy(w->peepholes + k * hidden, parts[k], hidden * sizeof(double));
    }
    if (status == RR_OK) {
        w->peepholes_len = 3 * hidden;
    }
    for (size_t k = 0; k < 3; k++) {
        free(parts[k]);
    }
    return status;
}

/* One direction object of one layer, e.g. model.layers[1].reverse. */
static rr_status read_direction(const cJSON *node, const char *path,
                                const rr_config *cfg, size_t layer,
                                fixture_weights *w, rr_error *err)
{
    const size_t gate_rows = gate_count(cfg->cell) * cfg->hidden_size;
    const size_t hidden = cfg->hidden_size;
    const size_t layer_input =
        layer == 0 ? cfg->input_size : direction_count(cfg) * out_size(cfg);
    const size_t ih_dims[] = { gate_rows, layer_input };  /* [G*H, I_l]   */
    const size_t hh_dims[] = { gate_rows, out_size(cfg) }; /* [G*H, H_out] */
    const size_t hr_dims[] = { cfg->proj_size, hidden };   /* [P, H]       */

    rr_status status = need_object(node, path, err);
    if (status == RR_OK) {
        status = read_member_array(node, path, "weight_ih", 1, ih_dims, 2,
                                   &w->weight_ih, &w->weight_ih_len, err);
    }
    if (status == RR_OK) {
        status = read_member_array(node, path, "weight_hh", 1, hh_dims, 2,
                                   &w->weight_hh, &w->weight_hh_len, err);
    }
    if (status == RR_OK) {
        status = read_member_array(node, path, "bias_ih", 1, &gate_rows, 1,
                                   &w->bias_ih, &w->bias_ih_len, err);
    }
    if (status == RR_OK) {
        status = read_member_array(node, path, "bias_hh", 1, &gate_rows, 1,
                                   &w->bias_hh, &w->bias_hh_len, err);
    }
    if (status == RR_OK && cfg->proj_size > 0) {
        status = read_member_array(node, path, "weight_hr", 1, hr_dims, 2,
                                   &w->weight_hr, &w->weight_hr_len, err);
    } else if (status == RR_OK) {
        status = refuse_member(node, path, "weight_hr",
                               "the model has no projection (proj_size 0)",
                               err);
    }

    if (status == RR_OK && cfg->peepholes) {
        status = read_peepholes(node, path, hidden, w, err);
    }
    for (size_t k = 0; k < 3 && status == RR_OK && !cfg->peepholes; k++) {
        status = refuse_member(node, path, peephole_keys[k],
                               "the model has no peepholes", err);
    }
    return status;
}

/* model.layers: one object per layer, holding "forward" and/or "reverse"
 * exactly as the direction says. */
static rr_status read_layers(const cJSON *model, fixture *fx, rr_error *err)
{
    const rr_config *cfg = &fx->config;
    const cJSON *layers = member(model, "layers");
    if (!cJSON_IsArray(layers)) {
        return fail(err, RR_E_PARSE, "model.layers: expected an array, got %s",
                    type_name(layers));
    }
    const size_t count = (size_t)cJSON_GetArraySize(layers);
    if (count != cfg->num_layers) {
        return fail(err, RR_E_PARSE, "model.layers: expected %zu layers "
                    "(num_layers), got %zu", cfg->num_layers, count);
    }
    const size_t directions = direction_count(cfg);
    fx->weights = calloc(count * directions, sizeof *fx->weights);
    if (fx->weights == NULL) {
        return fail(err, RR_E_NOMEM, "model.layers: cannot allocate %zu "
                    "layers", count);
    }
    fx->weights_count = count * directions;

    const int has_forward = cfg->direction != RR_REVERSE;
    const int has_reverse = cfg->direction != RR_FORWARD;
    size_t layer = 0;
    for (const cJSON *node = layers->child; node != NULL;
         node = node->next, layer++) {
        char path[PATH_SIZE];
        snprintf(path, sizeof path, "model.layers[%zu]", layer);
        rr_status status = need_object(node, path, err);
        static const char *const keys[] = { "forward", "reverse" };
        const int wanted[] = { has_forward, has_reverse };
        fixture_weights *slot = &fx->weights[layer * directions];
        for (size_t k = 0; k < 2 && status == RR_OK; k++) {
            char direction_path[PATH_SIZE];
            join(direction_path, path, keys[k]);
            if (wanted[k]) {
                status = read_direction(member(node, keys[k]),
                                        direction_path, cfg, layer, slot++,
                                        err);
            } else {
                status = refuse_member(node, path, keys[k],
                                       "the model's direction does not have "
                                       "it", err);
            }
        }
        if (status != RR_OK) {
            return status;
        }
    }
    return RR_OK;
}

/* model.head: null/missing, or { weight [O][D*H_out], bias [O],
 * activation "identity" | "softmax" }. */
static rr_status read_head(const cJSON *model, fixture *fx, rr_error *err)
{
    rr_config *cfg = &fx->config;
    const cJSON *head = member(model, "head");
    cfg->head = RR_HEAD_NONE;
    cfg->head_size = 0;
    if (is_absent(head)) {
        return RR_OK;
    }
    static const char *const activations[] = { "identity", "softmax" };
    int activation = 0;
    rr_status status = need_object(head, "model.head", err);
    if (status == RR_OK) {
        status = read_choice(member(head, "activation"),
                             "model.head.activation", activations, 2, -1,
                             &activation, err);
    }
    const cJSON *weight = member(head, "weight");
    if (status == RR_OK && !cJSON_IsArray(weight)) {
        status = fail(err, RR_E_PARSE, "model.head.weight: expected an array, "
                      "got %s", type_name(weight));
    }
    const size_t head_size =
        status == RR_OK ? (size_t)cJSON_GetArraySize(weight) : 0;
    if (status == RR_OK && (head_size == 0 || head_size > FIXTURE_MAX_SIZE)) {
        status = fail(err, RR_E_PARSE, "model.head.weight: the head size O "
                      "(its length) is %zu, expected 1..%zu", head_size,
                      FIXTURE_MAX_SIZE);
    }
    if (status == RR_OK) {
        cfg->head_size = head_size;
        const size_t weight_dims[] = { cfg->head_size,
                                       direction_count(cfg) * out_size(cfg) };
        status = read_member_array(head, "model.head", "weight", 1,
                                   weight_dims, 2, &fx->head_weight,
                                   &fx->head_weight_len, err);
    }
    if (status == RR_OK) {
        status = read_member_array(head, "model.head", "bias", 1,
                                   &cfg->head_size, 1, &fx->head_bias,
                                   &fx->head_bias_len, err);
    }
    if (status == RR_OK) {
        cfg->head = activation == 1 ? RR_HEAD_SOFTMAX : RR_HEAD_IDENTITY;
    }
    return status;
}

/* ------------------------------------------------------------------------
 * The first case
 * ---------------------------------------------------------------------- */

static rr_status read_lengths(const cJSON *node, fixture *fx, rr_error *err)
{
    const char *path = "cases[0].inputs.lengths";
    double *values = NULL;
    size_t count = 0;
    rr_status status = read_array(node, path, &fx->batch, 1, &values, &count,
                                  err);
    if (status == RR_OK) {
        fx->lengths = malloc(count * sizeof *fx->lengths);
        if (fx->lengths == NULL) {
            status = fail(err, RR_E_NOMEM, "%s: cannot allocate", path);
        }
    }
    for (size_t b = 0; b < count && status == RR_OK; b++) {
        char position[PATH_SIZE];
        snprintf(position, sizeof position, "%s[%zu]", path, b);
        size_t length = 0;
        status = size_in_range(values[b], position, 1, fx->seq_len, &length,
                               err);
        fx->lengths[b] = (int64_t)length;
    }
    if (status == RR_OK) {
        fx->lengths_len = count;
    }
    free(values);
    return status;
}

static rr_status read_first_case(const cJSON *root, fixture *fx, rr_error *err)
{
    const rr_config *cfg = &fx->config;
    const cJSON *cases = member(root, "cases");
    if (!cJSON_IsArray(cases)) {
        return fail(err, RR_E_PARSE, "cases: expected an array, got %s",
                    type_name(cases));
    }
    fx->case_count = (size_t)cJSON_GetArraySize(cases);
    if (fx->case_count == 0) {
        return RR_OK;
    }
    const cJSON *first = cases->child;
    const cJSON *inputs = member(first, "inputs");
    rr_status status = need_object(first, "cases[0]", err);
    if (status == RR_OK) {
        status = read_string(member(first, "name"), "cases[0].name",
                             &fx->case_name, err);
    }
    if (status == RR_OK) {
        status = need_object(inputs, "cases[0].inputs", err);
    }
    if (status != RR_OK) {
        return status;
    }

    /* x [T][B][I]: T and B are what the array shows, within bounds */
    const cJSON *x = member(inputs, "x");
    if (!cJSON_IsArray(x)) {
        return fail(err, RR_E_PARSE, "cases[0].inputs.x: expected an array "
                    "of shape [T, B, %zu], got %s", cfg->input_size,
                    type_name(x));
    }
    size_t shown[MAX_RANK + 1] = { 0 };
    const cJSON *leaf = NULL;
    const size_t rank = probe_shape(x, shown, MAX_RANK + 1, &leaf);
    if (shown[0] == 0 || shown[0] > FIXTURE_MAX_SIZE) {
        return fail(err, RR_E_PARSE, "cases[0].inputs.x: T (the outer "
                    "length) is %zu, expected 1..%zu", shown[0],
                    FIXTURE_MAX_SIZE);
    }
    if (rank < 2) {
        return fail(err, RR_E_PARSE, "cases[0].inputs.x: expected shape "
                    "[T, B, %zu], got [%zu] with %s inside", cfg->input_size,
                    shown[0], type_name(leaf));
    }
    if (shown[1] == 0 || shown[1] > FIXTURE_MAX_SIZE) {
        return fail(err, RR_E_PARSE, "cases[0].inputs.x[0]: B (the batch) "
                    "is %zu, expected 1..%zu", shown[1], FIXTURE_MAX_SIZE);
    }
    fx->seq_len = shown[0];
    fx->batch = shown[1];
    const size_t x_dims[] = { fx->seq_len, fx->batch, cfg->input_size };
    status = read_array(x, "cases[0].inputs.x", x_dims, 3, &fx->x,
                        &fx->x_len, err);

    /* h0 [L*D][B][H_out], c0 [L*D][B][H] (lstm only), lengths [B] */
    const size_t states = cfg->num_layers * direction_count(cfg);
    const size_t h_dims[] = { states, fx->batch, out_size(cfg) };
    const size_t c_dims[] = { states, fx->batch, cfg->hidden_size };
    if (status == RR_OK) {
        status = read_member_array(inputs, "cases[0].inputs", "h0", 0, h_dims,
                                   3, &fx->h0, &fx->h0_len, err);
    }
    if (status == RR_OK && cfg->cell == RR_CELL_LSTM) {
        status = read_member_array(inputs, "cases[0].inputs", "c0", 0, c_dims,
                                   3, &fx->c0, &fx->c0_len, err);
    } else if (status == RR_OK) {
        status = refuse_member(inputs, "cases[0].inputs", "c0",
                               "c0 applies to cell \"lstm\" only", err);
    }
    const cJSON *lengths = member(inputs, "lengths");
    if (status == RR_OK && !is_absent(lengths)) {
        status = read_lengths(lengths, fx, err);
    }
    return status;
}

/* ------------------------------------------------------------------------
 * The whole file
 * ---------------------------------------------------------------------- */

static rr_status read_fixture(const cJSON *root, fixture *fx, rr_error *err)
{
    rr_status status = need_object(root, "the top level", err);
    if (status == RR_OK) {
        const cJSON *format = member(root, "format");
        if (!cJSON_IsString(format)) {
            status = fail(err, RR_E_PARSE, "format: expected "
                          "\"rnn-rosetta-fixture\", got %s",
                          type_name(format));
        } else if (strcmp(format->valuestring, "rnn-rosetta-fixture") != 0) {
            char shown[48];
            status = fail(err, RR_E_PARSE, "format: expected "
                          "\"rnn-rosetta-fixture\", got \"%s\"",
                          printable(shown, sizeof shown, format->valuestring));
        }
    }
    size_t version = 0;
    if (status == RR_OK) {
        status = read_size(member(root, "version"), "version", 0,
                           FIXTURE_MAX_SIZE, &version, err);
    }
    if (status == RR_OK && version != 1) {
        status = fail(err, RR_E_PARSE, "version: %zu is not supported, "
                      "expected 1", version);
    }
    if (status == RR_OK) {
        status = read_string(member(root, "name"), "name", &fx->name, err);
    }
    const cJSON *model = member(root, "model");
    if (status == RR_OK) {
        status = need_object(model, "model", err);
    }
    if (status == RR_OK) {
        status = read_config(model, &fx->config, err);
    }
    if (status == RR_OK) {
        status = read_layers(model, fx, err);
    }
    if (status == RR_OK) {
        status = read_head(model, fx, err);
    }
    if (status == RR_OK) {
        status = read_first_case(root, fx, err);
    }
    return status;
}

/* Parse NUL-terminated text [size] (text[size] == '\0') into *out, which
 * is already empty. */
static rr_status parse_text(const char *text, size_t size, fixture *out,
                            rr_error *err)
{
    cJSON *root = NULL;
    rr_status status = parse_json(text, size, &root, err);
    if (status == RR_OK) {
        status = check_duplicate_keys(root, "", err);
    }
    if (status == RR_OK) {
        status = read_fixture(root, out, err);
    }
    cJSON_Delete(root);
    if (status != RR_OK) {
        fixture_free(out);
    }
    return status;
}

rr_status fixture_read(const char *path, fixture *out, rr_error *err)
{
    if (out == NULL) {
        return fail(err, RR_E_NULL, "out is NULL");
    }
    memset(out, 0, sizeof *out);
    if (path == NULL) {
        return fail(err, RR_E_NULL, "path is NULL");
    }
    char *text = NULL;
    size_t size = 0;
    rr_status status = read_text(path, &text, &size, err);
    if (status != RR_OK) {
        return status;
    }
    status = parse_text(text, size, out, err);
    free(text);
    return status;
}

rr_status fixture_parse(const char *text, size_t size, fixture *out,
                        rr_error *err)
{
    if (out == NULL) {
        return fail(err, RR_E_NULL, "out is NULL");
    }
    memset(out, 0, sizeof *out);
    if (text == NULL && size > 0) {
        return fail(err, RR_E_NULL, "text is NULL");
    }
    if (size > MAX_FILE_BYTES) {
        return fail(err, RR_E_PARSE, "the text is larger than %zu bytes",
                    MAX_FILE_BYTES);
    }
    /* a NUL-terminated copy, as cJSON and parse_json read it */
    char *copy = malloc(size + 1);
    if (copy == NULL) {
        return fail(err, RR_E_NOMEM, "cannot allocate %zu bytes for the "
                    "text", size + 1);
    }
    if (size > 0) {
        memcpy(copy, text, size);
    }
    copy[size] = '\0';
    const rr_status status = parse_text(copy, size, out, err);
    free(copy);
    return status;
}

void fixture_free(fixture *fx)
{
    if (fx == NULL) {
        return;
    }
    for (size_t i = 0; fx->weights != NULL && i < fx->weights_count; i++) {
        fixture_weights *w = &fx->weights[i];
        free(w->weight_ih);
        free(w->weight_hh);
        free(w->bias_ih);
        free(w->bias_hh);
        free(w->weight_hr);
        free(w->peepholes);
    }
    free(fx->weights);
    free(fx->name);
    free(fx->head_weight);
    free(fx->head_bias);
    free(fx->case_name);
    free(fx->x);
    free(fx->h0);
    free(fx->c0);
    free(fx->lengths);
    memset(fx, 0, sizeof *fx);
}

rr_weights fixture_weights_view(const fixture_weights *weights)
{
    rr_weights view = {
        weights->weight_ih, weights->weight_ih_len,
        weights->weight_hh, weights->weight_hh_len,
        weights->bias_ih,   weights->bias_ih_len,
        weights->bias_hh,   weights->bias_hh_len,
        weights->weight_hr, weights->weight_hr_len,
        weights->peepholes, weights->peepholes_len,
    };
    return view;
}
