/* fuzz_checkpoint.c: libFuzzer harness for the checkpoint reader
 * (cvseg_checkpoint_read, src/app/checkpoint.c): the input is an HDF5 file;
 * seeds are real checkpoints written by cvseg train --checkpoint
 * (tests/fuzz/corpus/fuzz_checkpoint/, k 6, d 3, 2000 members, fingerprint
 * FUZZ_FINGERPRINT) so mutations get past the fingerprint check. */
#include "fuzz_files.h"
#include "pipeline.h"

#define FUZZ_FINGERPRINT 0x3650b4aae5b33904ull
enum { FUZZ_K = 6, FUZZ_D = 3, FUZZ_MEMBERS = 2000 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fuzz_write_input(data, size) != 0)
        return 0;
    cvseg_kmeans_state state;
    int found = 0;
    if (cvseg_checkpoint_read(&fuzz_app, fuzz_path, FUZZ_FINGERPRINT, FUZZ_K, FUZZ_D, FUZZ_MEMBERS,
                              &state, &found) == CVSEG_OK &&
        found)
        cvseg_checkpoint_free(&state);
    unlink(fuzz_path);
    return 0;
}
