/* import_rules.h: small text rules of `cvseg import` (pure core, no state).
 *
 * Column expressions: a --map value is a column name or the product of two
 * column names, "A*B". Order keys: the text of an order number (integer or
 * not, e.g. "536365" or "C536379") becomes one int64 key.
 */
#ifndef CVSEG_IMPORT_RULES_H
#define CVSEG_IMPORT_RULES_H

#include <stddef.h>
#include <stdint.h>

/* Splits text (a NUL-terminated --map value after "FIELD=") at its one '*'
 * into two column names, each trimmed of blanks: left[0..*left_length) and
 * right[0..*right_length). Returns 1 for a product, 0 when text has no '*'
 * (a plain column name), -1 when it is malformed (two '*', or an empty
 * name on either side). */
int cvseg_split_product(const char *text, const char **left, size_t *left_length,
                        const char **right, size_t *right_length);

/* The int64 order key of text[0..length) (blanks trimmed first):
 * - canonical decimal integers (optional '-', no '+', no leading zeros, no
 *   fraction, within int64) are the integer itself: "536365" -> 536365;
 * - any other text (e.g. "C536379", "007", "12.0") is a 63-bit hash of its
 *   bytes: FNV-1a 64 over the bytes, then the SplitMix64 finalizer, then the
 *   top bit cleared (a value in [0, 2^63)).
 * Distinct texts may share a key only through the hash: for n distinct order
 * texts the chance of any shared key is below n^2 / 2^64 (about 4e-11 for
 * 25,000 orders, 3e-8 for a million), counting non-negative integers among
 * the n. Negative integers never meet a hash. The key depends on the text
 * only (not on ranks, threads or row order). */
int64_t cvseg_order_id_key(const char *text, size_t length);

#endif
