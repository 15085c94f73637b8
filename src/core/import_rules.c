/* import_rules.c: --map products and order keys (see import_rules.h). */
#include "cvseg/import_rules.h"

#include <string.h>

#include "cvseg/csv.h"

int cvseg_split_product(const char *text, const char **left, size_t *left_length,
                        const char **right, size_t *right_length)
{
    int result = 0;
    const char *star = strchr(text, '*');
    if (!star)
        goto done;
    result = -1;
    if (strchr(star + 1, '*'))
        goto done;
    *left = text;
    *left_length = (size_t)(star - text);
    *right = star + 1;
    *right_length = strlen(star + 1);
    cvseg_trim(left, left_length);
    cvseg_trim(right, right_length);
    if (*left_length > 0 && *right_length > 0)
        result = 1;
done:
    return result;
}

/* 1 if text[0..length) is a canonical decimal int64 (stored in *value). */
static int import_order_canonical_integer(const char *text, size_t length, int64_t *value)
{
    const int negative = length > 0 && text[0] == '-';
    const char *digits = text + negative;
    const size_t n = length - (size_t)negative;
    uint64_t magnitude = 0;
    const uint64_t limit = negative ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
    int ok = n > 0 && n <= 19 && !(n > 1 && digits[0] == '0') && !(negative && digits[0] == '0');
    for (size_t k = 0; k < n && ok; ++k) {
        ok = digits[k] >= '0' && digits[k] <= '9';
        magnitude = magnitude * 10u + (uint64_t)(digits[k] - '0');
    }
    ok = ok && magnitude <= limit;
    if (ok)
        *value = negative ? (int64_t)(0u - magnitude) : (int64_t)magnitude;
    return ok;
}

int64_t cvseg_order_id_key(const char *text, size_t length)
{
    int64_t key = 0;
    cvseg_trim(&text, &length);
    if (import_order_canonical_integer(text, length, &key))
        goto done;
    uint64_t h = 14695981039346656037u; /* FNV-1a 64 offset basis */
    for (size_t k = 0; k < length; ++k) {
        h ^= (uint8_t)text[k];
        h *= 1099511628211u;
    }
    h ^= h >> 30; /* SplitMix64 finalizer */
    h *= 0xbf58476d1ce4e5b9u;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebu;
    h ^= h >> 31;
    key = (int64_t)(h & 0x7fffffffffffffffu);
done:
    return key;
}
