/* fuzz_model.c: libFuzzer harness for the model reader (cvseg_model_read,
 * src/app/model_file.c): the input is an HDF5 file; seeds are real model
 * files written by cvseg train (tests/fuzz/corpus/fuzz_model/). */
#include "fuzz_files.h"
#include "pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fuzz_write_input(data, size) != 0)
        return 0;
    cvseg_job job;
    memset(&job, 0, sizeof job);
    (void)cvseg_model_read(&fuzz_app, &job, fuzz_path);
    cvseg_job_free(&job);
    unlink(fuzz_path);
    return 0;
}
