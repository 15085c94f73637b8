/* app.h: the application layer: command line, verbs, progress log.
 * The only layer that knows about processes, stdout/stderr and exit codes.
 */
#ifndef CVSEG_APP_H
#define CVSEG_APP_H

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>

#include "cvseg/status.h"

/* ------------------------------------------------------------ options
 * One table per verb drives parsing and --help. Flags are "--name VALUE" or
 * "--name=VALUE"; switches take no value; a flag may repeat only if
 * `repeatable` (values are then kept in order). */
typedef enum { CVSEG_OPT_VALUE, CVSEG_OPT_SWITCH } cvseg_option_kind;

typedef struct {
    const char *name; /* without dashes, e.g. "members" */
    cvseg_option_kind kind;
    const char *metavar; /* e.g. "N" (VALUE options) */
    const char *help;
    int required;
    int repeatable;
} cvseg_option;

#define CVSEG_MAX_OPTIONS 48
#define CVSEG_MAX_REPEATS 32

typedef struct {
    const cvseg_option *table;
    int count;
    const char
        *value[CVSEG_MAX_OPTIONS]; /* last value given (or "1" for a switch), NULL if absent */
    const char *repeats[CVSEG_MAX_OPTIONS][CVSEG_MAX_REPEATS];
    int n_repeats[CVSEG_MAX_OPTIONS];
} cvseg_options;

/* The context every verb gets. */
typedef struct {
    MPI_Comm comm; /* the engine's duplicate communicator */
    int rank, ranks;
    int threads;   /* OpenMP threads per rank */
    int verbosity; /* 0 quiet, 1 normal, 2 verbose */
    const char *verb;
    int argc; /* the verb's arguments (after the verb) */
    char **argv;
    char command_line[4096]; /* the whole command line, for provenance */
    double start_time;
    int help_requested;
} cvseg_app;

/* Parses app->argv against the table. "--help" sets app->help_requested. Unknown
 * flags, missing values, missing required flags: CVSEG_EUSAGE with a message
 * naming what was expected. Identical on every rank (no communication). */
cvseg_status cvseg_options_parse(cvseg_app *app, const cvseg_option *table, int count,
                                 cvseg_options *options);
/* Value of a flag or NULL / fallback. */
const char *cvseg_opt(const cvseg_options *options, const char *name);
const char *cvseg_opt_or(const cvseg_options *options, const char *name, const char *fallback);
int cvseg_opt_has(const cvseg_options *options, const char *name);
/* Typed conversions with range checks; EUSAGE naming the flag on failure. */
cvseg_status cvseg_opt_i64(const cvseg_options *options, const char *name, int64_t fallback,
                           int64_t min, int64_t max, int64_t *value);
cvseg_status cvseg_opt_f64(const cvseg_options *options, const char *name, double fallback,
                           double min, double max, double *value);
cvseg_status cvseg_opt_date(const cvseg_options *options, const char *name, int32_t *days,
                            int *present);
/* Checks value is one of the '|'-separated choices. */
cvseg_status cvseg_opt_choice(const cvseg_options *options, const char *name, const char *fallback,
                              const char *choices, const char **value);
/* Prints the verb's help to out in the current help format (below): text is
 * "usage: cvseg VERB ...", the summary, the option table, then the common
 * options. */
void cvseg_options_help(FILE *out, const char *verb, const char *summary, const cvseg_option *table,
                        int count);

/* The options every verb takes besides its table (-q, -v, -h), and --version,
 * which only stands alone (`cvseg --version`). One table for the parser,
 * --help, the manual and the README's reference. */
typedef struct {
    char letter;        /* the short form: 'q' for -q */
    const char *name;   /* the long form without dashes */
    int verb_option;    /* 1: parsed by every verb; 0: alone, before any verb */
    const char *help;   /* the --help line (verb options) */
    const char *manual; /* the manual's and the README's text */
} cvseg_common_option;
/* The table and its length (count may be NULL). */
const cvseg_common_option *cvseg_common_options(int *count);

/* Where cvseg_options_help writes to. Single-threaded; set only by
 * `cvseg --man` and `cvseg --help-markdown` around the verbs' --help. */
typedef enum {
    CVSEG_HELP_TEXT,     /* `cvseg VERB --help` */
    CVSEG_HELP_ROFF,     /* cvseg_man_options: a section of cvseg(1) */
    CVSEG_HELP_SYNOPSIS, /* cvseg_markdown_synopsis: one usage line of the README */
    CVSEG_HELP_MARKDOWN  /* cvseg_markdown_options: the README's table of a verb */
} cvseg_help_format;
void cvseg_options_help_format(cvseg_help_format format);

/* ------------------------------------------------------------ manual, version
 * `cvseg --man` writes cvseg(1) in roff (man.c): begin, one cvseg_man_verb per
 * verb, common options, each verb's --help in CVSEG_HELP_ROFF (which turns
 * cvseg_options_help into cvseg_man_options), end.
 * `cvseg --help-markdown` writes the README's option reference the same way
 * (help_markdown.c): the synopsis (each verb's --help in CVSEG_HELP_SYNOPSIS),
 * the common options, then per verb a heading and its --help in
 * CVSEG_HELP_MARKDOWN. scripts/update-readme-options.sh puts it into README.md.
 * `cvseg --version`: cvseg_print_version (version.c). Rank 0 only; no MPI
 * communication. */
void cvseg_man_begin(FILE *out);
void cvseg_man_verb(FILE *out, const char *verb, const char *summary);
void cvseg_man_common_options(FILE *out);
void cvseg_man_options(FILE *out, const char *verb, const char *summary, const cvseg_option *table,
                       int count);
void cvseg_man_end(FILE *out);
void cvseg_markdown_synopsis_begin(FILE *out);
void cvseg_markdown_synopsis(FILE *out, const char *verb, const cvseg_option *table, int count);
void cvseg_markdown_synopsis_end(FILE *out);
void cvseg_markdown_common_options(FILE *out);
void cvseg_markdown_verb(FILE *out, const char *verb, const char *summary);
void cvseg_markdown_options(FILE *out, const cvseg_option *table, int count);
void cvseg_markdown_verb_end(FILE *out);
void cvseg_print_version(FILE *out);

/* ------------------------------------------------------------ progress log
 * Lines go to stderr from rank 0 only: "cvseg VERB: message". */
void cvseg_log(const cvseg_app *app, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
double cvseg_now(void);

/* Phase timer: records seconds per named phase (max over ranks when
 * finished) for the summary's "phases" object. */
#define CVSEG_MAX_PHASES 24
typedef struct {
    int count;
    const char *name[CVSEG_MAX_PHASES];
    double seconds[CVSEG_MAX_PHASES];
    double started;
} cvseg_phases;
void cvseg_phase_begin(cvseg_phases *phases);
/* Ends the current phase: collective (takes the max over ranks); logs it.
 * Returns the status of the reduction (EMPI when it failed). */
cvseg_status cvseg_phase_end(cvseg_phases *phases, const cvseg_app *app, const char *name);

/* Peak resident memory of the largest rank so far, in MiB. Collective.
 * cvseg_peak_rss_mb returns -1 when the reduction failed. */
cvseg_status cvseg_peak_rss_max(const cvseg_app *app, double *megabytes);
double cvseg_peak_rss_mb(const cvseg_app *app);

/* ------------------------------------------------------------ verbs
 * Each returns a status agreed on all ranks. */
cvseg_status cvseg_verb_gen(cvseg_app *app);
cvseg_status cvseg_verb_import(cvseg_app *app);
cvseg_status cvseg_verb_aggregate(cvseg_app *app);
cvseg_status cvseg_verb_rfm(cvseg_app *app);
cvseg_status cvseg_verb_train(cvseg_app *app);
cvseg_status cvseg_verb_score(cvseg_app *app);
cvseg_status cvseg_verb_report(cvseg_app *app);
cvseg_status cvseg_verb_clv(cvseg_app *app);
cvseg_status cvseg_verb_export(cvseg_app *app);
cvseg_status cvseg_verb_sweep(cvseg_app *app);

/* Runs the whole program on comm (the library entry point; main() is a thin
 * wrapper). Returns the process exit code, identical on all ranks. */
int cvseg_main(int argc, char **argv, MPI_Comm comm);

#endif
