/* sort.c: LSD radix sort, 8 bits per pass. */
#include "cvseg/sort.h"

#include <string.h>

void cvseg_radix_sort_u64(uint64_t *keys, uint64_t *scratch, uint64_t *payload,
                          uint64_t *payload_scratch, int64_t n)
{
    if (n < 2)
        return;
    uint64_t all_or = 0, all_and = ~0ULL;
    for (int64_t i = 0; i < n; ++i) {
        all_or |= keys[i];
        all_and &= keys[i];
    }
    const uint64_t varying = all_or ^ all_and; /* bits that differ somewhere */
    uint64_t *from = keys, *to = scratch;
    uint64_t *from_payload = payload, *to_payload = payload_scratch;
    for (int shift = 0; shift < 64; shift += 8) {
        if (((varying >> shift) & 0xffu) == 0)
            continue;
        int64_t count[256];
        memset(count, 0, sizeof count);
        for (int64_t i = 0; i < n; ++i)
            count[(from[i] >> shift) & 0xffu] += 1;
        int64_t position = 0;
        for (int b = 0; b < 256; ++b) {
            const int64_t c = count[b];
            count[b] = position;
            position += c;
        }
        for (int64_t i = 0; i < n; ++i) {
            const int64_t at = count[(from[i] >> shift) & 0xffu]++;
            to[at] = from[i];
            if (from_payload)
                to_payload[at] = from_payload[i];
        }
        uint64_t *swap = from;
        from = to;
        to = swap;
        swap = from_payload;
        from_payload = to_payload;
        to_payload = swap;
    }
    if (from != keys) {
        memcpy(keys, from, sizeof(uint64_t) * (size_t)n);
        if (payload)
            memcpy(payload, from_payload, sizeof(uint64_t) * (size_t)n);
    }
}
