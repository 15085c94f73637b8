/* provenance.h: provenance attributes written on every output group. */
#ifndef CVSEG_PROVENANCE_H
#define CVSEG_PROVENANCE_H

#include "app.h"
#include "cvseg/io.h"

/* Writes engine_version, command_line, input_file (+ input_size, input_mtime)
 * when input_path is given, ranks, threads, seed, start_time and end_time
 * (UTC ISO 8601) as attributes of group. Collective. */
cvseg_status cvseg_provenance_write(const cvseg_app *app, cvseg_writer *writer, const char *group,
                                    const char *input_path, uint64_t seed);

/* Current UTC time as "YYYY-MM-DDTHH:MM:SSZ". */
void cvseg_utc_now(char out[32]);

#endif
