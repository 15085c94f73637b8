/* cli.c: option parsing from the verbs' tables and the common options, --help, progress log,
 * phase timers. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "app.h"
#include "cvseg/date.h"
#include "cvseg/collectives.h"

/* The common options, by position in cli_common (magic indices named). */
typedef enum {
    CLI_COMMON_QUIET,
    CLI_COMMON_VERBOSE,
    CLI_COMMON_HELP,
    CLI_COMMON_VERSION,
    CLI_COMMON_COUNT
} cli_common_id;

static const cvseg_common_option cli_common[CLI_COMMON_COUNT] = {
    [CLI_COMMON_QUIET] = {'q', "quiet", 1, "no progress on stderr", "no progress on stderr"},
    [CLI_COMMON_VERBOSE] = {'v', "verbose", 1, "more progress on stderr",
                            "more progress on stderr (and error locations)"},
    [CLI_COMMON_HELP] = {'h', "help", 1, "this help",
                         "the verb's options (`cvseg --help`: the verbs)"},
    [CLI_COMMON_VERSION] = {0, "version", 0, NULL,
                            "(alone) the version, the git revision it was built from, and the "
                            "MPI, HDF5 and OpenMP versions it runs with"},
};

const cvseg_common_option *cvseg_common_options(int *count)
{
    if (count)
        *count = CLI_COMMON_COUNT;
    return cli_common;
}

static int cli_find_option(const cvseg_option *table, int count, const char *name, size_t length)
{
    for (int o = 0; o < count; ++o)
        if (strlen(table[o].name) == length && strncmp(table[o].name, name, length) == 0)
            return o;
    return -1;
}

static void cli_list_options(const cvseg_option *table, int count, char *out, size_t capacity)
{
    size_t used = 0;
    out[0] = '\0';
    for (int o = 0; o < count && used < capacity; ++o)
        used +=
            (size_t)snprintf(out + used, capacity - used, "%s--%s", o ? ", " : "", table[o].name);
}

/* 1 when arg is exactly "-L" or "--NAME" of the common option. */
static int cli_common_matches(const cvseg_common_option *option, const char *arg)
{
    if (option->letter && arg[0] == '-' && arg[1] == option->letter && arg[2] == '\0')
        return 1;
    return strncmp(arg, "--", 2) == 0 && strcmp(arg + 2, option->name) == 0;
}

/* Applies arg when it is a common option of the verbs (-q, --verbose, ...):
 * returns 1, else 0. */
static int cli_common_apply(cvseg_app *app, const char *arg)
{
    for (int c = 0; c < CLI_COMMON_COUNT; ++c) {
        if (!cli_common[c].verb_option || !cli_common_matches(&cli_common[c], arg))
            continue;
        if (c == CLI_COMMON_QUIET)
            app->verbosity = 0;
        else if (c == CLI_COMMON_VERBOSE)
            app->verbosity = 2;
        else if (c == CLI_COMMON_HELP)
            app->help_requested = 1;
        return 1;
    }
    return 0;
}

/* The value of table[o] given as app->argv[*a]: after '=' or the next
 * argument (then *a moves past it); "1" for a switch. EUSAGE when a value is
 * missing or a switch has one. */
static cvseg_status cli_option_value(const cvseg_app *app, const cvseg_option *option,
                                     const char *equals, int *a, const char **value)
{
    cvseg_status status = CVSEG_OK;
    *value = "1";
    if (option->kind == CVSEG_OPT_VALUE) {
        if (equals)
            *value = equals + 1;
        else if (*a + 1 < app->argc)
            *value = app->argv[++*a];
        else
            status = CVSEG_FAIL(CVSEG_EUSAGE, "cvseg %s: option --%s needs a value (%s)", app->verb,
                                option->name, option->metavar);
    } else if (equals)
        status = CVSEG_FAIL(CVSEG_EUSAGE, "cvseg %s: option --%s takes no value", app->verb,
                            option->name);
    return status;
}

/* Parses the table option app->argv[*a] ("--name", "--name=value" or
 * "--name value"; then *a moves past the value) into options. */
static cvseg_status cli_parse_option(const cvseg_app *app, cvseg_options *options, int *a)
{
    const cvseg_option *table = options->table;
    const char *arg = app->argv[*a];
    if (strncmp(arg, "--", 2) != 0)
        return CVSEG_FAIL(CVSEG_EUSAGE,
                          "cvseg %s: unexpected argument '%s' (options start with --; see "
                          "cvseg %s --help)",
                          app->verb, arg, app->verb);
    const char *name = arg + 2;
    const char *equals = strchr(name, '=');
    const size_t length = equals ? (size_t)(equals - name) : strlen(name);
    const int o = cli_find_option(table, options->count, name, length);
    if (o < 0) {
        char expected[1024];
        cli_list_options(table, options->count, expected, sizeof expected);
        return CVSEG_FAIL(CVSEG_EUSAGE, "cvseg %s: unknown option '--%.*s' (expected one of: %s)",
                          app->verb, (int)length, name, expected);
    }
    const char *value = NULL;
    cvseg_status status = cli_option_value(app, &table[o], equals, a, &value);
    if (status == CVSEG_OK && options->value[o] && !table[o].repeatable)
        status =
            CVSEG_FAIL(CVSEG_EUSAGE, "cvseg %s: option --%s given twice", app->verb, table[o].name);
    if (status == CVSEG_OK) {
        options->value[o] = value;
        if (options->n_repeats[o] < CVSEG_MAX_REPEATS)
            options->repeats[o][options->n_repeats[o]++] = value;
    }
    return status;
}

cvseg_status cvseg_options_parse(cvseg_app *app, const cvseg_option *table, int count,
                                 cvseg_options *options)
{
    cvseg_status status = CVSEG_OK;
    memset(options, 0, sizeof *options);
    options->table = table;
    options->count = count;
    for (int a = 0; a < app->argc && status == CVSEG_OK; ++a)
        if (!cli_common_apply(app, app->argv[a]))
            status = cli_parse_option(app, options, &a);
    for (int o = 0; o < count && status == CVSEG_OK && !app->help_requested; ++o)
        if (table[o].required && !options->value[o])
            status = CVSEG_FAIL(
                CVSEG_EUSAGE, "cvseg %s: missing required option --%s %s (see cvseg %s --help)",
                app->verb, table[o].name, table[o].metavar ? table[o].metavar : "", app->verb);
    return status;
}

const char *cvseg_opt(const cvseg_options *options, const char *name)
{
    const int o = cli_find_option(options->table, options->count, name, strlen(name));
    return o >= 0 ? options->value[o] : NULL;
}

const char *cvseg_opt_or(const cvseg_options *options, const char *name, const char *fallback)
{
    const char *value = cvseg_opt(options, name);
    return value ? value : fallback;
}

int cvseg_opt_has(const cvseg_options *options, const char *name)
{
    return cvseg_opt(options, name) != NULL;
}

cvseg_status cvseg_opt_i64(const cvseg_options *options, const char *name, int64_t fallback,
                           int64_t min, int64_t max, int64_t *value)
{
    cvseg_status status = CVSEG_OK;
    const char *text = cvseg_opt(options, name);
    *value = fallback;
    if (text) {
        char *end = NULL;
        errno = 0;
        const double parsed = strtod(text, &end); /* accepts 1e7 as well as 10000000 */
        if (errno || end == text || *end != '\0' || parsed != floor(parsed) ||
            parsed < (double)min || parsed > (double)max)
            status = CVSEG_FAIL(CVSEG_EUSAGE, "option --%s: '%s' is not an integer in %lld..%lld",
                                name, text, (long long)min, (long long)max);
        else
            *value = (int64_t)parsed;
    }
    return status;
}

cvseg_status cvseg_opt_f64(const cvseg_options *options, const char *name, double fallback,
                           double min, double max, double *value)
{
    cvseg_status status = CVSEG_OK;
    const char *text = cvseg_opt(options, name);
    *value = fallback;
    if (text) {
        char *end = NULL;
        errno = 0;
        const double parsed = strtod(text, &end);
        if (errno || end == text || *end != '\0' || !(parsed >= min && parsed <= max))
            status = CVSEG_FAIL(CVSEG_EUSAGE, "option --%s: '%s' is not a number in %g..%g", name,
                                text, min, max);
        else
            *value = parsed;
    }
    return status;
}

cvseg_status cvseg_opt_date(const cvseg_options *options, const char *name, int32_t *days,
                            int *present)
{
    cvseg_status status = CVSEG_OK;
    const char *text = cvseg_opt(options, name);
    *present = 0;
    if (text) {
        if (cvseg_parse_date(text, strlen(text), days) != CVSEG_OK)
            status = CVSEG_FAIL(CVSEG_EUSAGE, "option --%s: '%s' is not a date (YYYY-MM-DD)", name,
                                text);
        else
            *present = 1;
    }
    return status;
}

cvseg_status cvseg_opt_choice(const cvseg_options *options, const char *name, const char *fallback,
                              const char *choices, const char **value)
{
    const char *text = cvseg_opt_or(options, name, fallback);
    const size_t length = strlen(text);
    const char *at = choices;
    *value = text;
    while (at && *at) {
        const char *bar = strchr(at, '|');
        const size_t choice_length = bar ? (size_t)(bar - at) : strlen(at);
        if (choice_length == length && strncmp(at, text, length) == 0)
            return CVSEG_OK;
        at = bar ? bar + 1 : NULL;
    }
    return CVSEG_FAIL(CVSEG_EUSAGE, "option --%s: '%s' is not one of %s", name, text, choices);
}

/* Where cvseg_options_help writes to (cvseg_options_help_format). */
static cvseg_help_format cli_help_format = CVSEG_HELP_TEXT;

void cvseg_options_help_format(cvseg_help_format format)
{
    cli_help_format = format;
}

static void cli_help_text(FILE *out, const char *verb, const char *summary,
                          const cvseg_option *table, int count)
{
    fprintf(out, "usage: cvseg %s [options]\n\n%s\n\noptions:\n", verb, summary);
    for (int o = 0; o < count; ++o) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", table[o].name,
                 table[o].kind == CVSEG_OPT_VALUE ? " " : "",
                 table[o].kind == CVSEG_OPT_VALUE ? table[o].metavar : "");
        fprintf(out, "  %-30s %s%s\n", left, table[o].help, table[o].required ? " (required)" : "");
    }
    for (int c = 0; c < CLI_COMMON_COUNT; ++c) {
        char left[64];
        if (!cli_common[c].verb_option)
            continue;
        snprintf(left, sizeof left, "-%c, --%s", cli_common[c].letter, cli_common[c].name);
        fprintf(out, "  %-30s %s\n", left, cli_common[c].help);
    }
}

void cvseg_options_help(FILE *out, const char *verb, const char *summary, const cvseg_option *table,
                        int count)
{
    if (cli_help_format == CVSEG_HELP_ROFF)
        cvseg_man_options(out, verb, summary, table, count);
    else if (cli_help_format == CVSEG_HELP_SYNOPSIS)
        cvseg_markdown_synopsis(out, verb, table, count);
    else if (cli_help_format == CVSEG_HELP_MARKDOWN)
        cvseg_markdown_options(out, table, count);
    else
        cli_help_text(out, verb, summary, table, count);
}

double cvseg_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

void cvseg_log(const cvseg_app *app, int level, const char *fmt, ...)
{
    if (app->rank != 0 || app->verbosity < level)
        return;
    va_list args;
    va_start(args, fmt);
    fprintf(stderr, "cvseg %s: ", app->verb);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
}

void cvseg_phase_begin(cvseg_phases *phases)
{
    phases->started = cvseg_now();
}

cvseg_status cvseg_phase_end(cvseg_phases *phases, const cvseg_app *app, const char *name)
{
    double seconds = cvseg_now() - phases->started;
    const cvseg_status status = cvseg_mpi_agree(
        app->comm,
        cvseg_mpi_check(MPI_Allreduce(MPI_IN_PLACE, &seconds, 1, MPI_DOUBLE, MPI_MAX, app->comm),
                        "phase timing"));
    if (phases->count < CVSEG_MAX_PHASES) {
        phases->name[phases->count] = name;
        phases->seconds[phases->count] = seconds;
        phases->count += 1;
    }
    cvseg_log(app, 1, "%-10s %.3f s", name, seconds);
    phases->started = cvseg_now();
    return status;
}

cvseg_status cvseg_peak_rss_max(const cvseg_app *app, double *megabytes)
{
    struct rusage usage;
    *megabytes = 0.0;
    if (getrusage(RUSAGE_SELF, &usage) == 0)
        *megabytes = (double)usage.ru_maxrss / 1024.0; /* ru_maxrss is in KiB on Linux */
    return cvseg_mpi_agree(app->comm, cvseg_mpi_check(MPI_Allreduce(MPI_IN_PLACE, megabytes, 1,
                                                                    MPI_DOUBLE, MPI_MAX, app->comm),
                                                      "peak memory"));
}

double cvseg_peak_rss_mb(const cvseg_app *app)
{
    double megabytes = 0.0;
    return cvseg_peak_rss_max(app, &megabytes) == CVSEG_OK ? megabytes : -1.0;
}
