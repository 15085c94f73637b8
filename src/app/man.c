/* man.c: the manual page cvseg(1) in roff, written by the engine itself from
 * the same option tables and texts as --help (`cvseg --man`), so the page and
 * the help cannot drift. The build runs it to make cvseg.1.
 *
 * Layout: NAME, SYNOPSIS, DESCRIPTION, VERBS, COMMON OPTIONS, one section per
 * verb (its --help summary and option table), EXIT STATUS (from the status
 * list), ENVIRONMENT, FILES, EXAMPLES, SEE ALSO. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"

/* Writes one character of body text, escaped for roff. */
static void man_char(FILE *out, char c, int line_start)
{
    if (line_start && (c == '.' || c == '\''))
        fputs("\\&", out);
    if (c == '\\')
        fputs("\\e", out);
    else if (c == '-')
        fputs("\\-", out);
    else if (c == '`')
        fputs("\\(ga", out);
    else
        fputc(c, out);
}

/* Writes text as roff body text: backslashes and hyphens escaped, a leading
 * '.' or '\'' neutralised, `code` in bold (when the backticks pair up). The
 * help texts' line structure: a blank line starts a paragraph, a line that
 * starts with "--" a new line; other line breaks and indents are refilled. */
static void man_text(FILE *out, const char *text)
{
    int backticks = 0, bold = 0, line_start = 1;
    for (const char *c = text; *c; ++c)
        backticks += *c == '`';
    for (const char *c = text; *c; ++c) {
        if (*c == '\n') {
            const int paragraph = c[1] == '\n';
            while (c[1] == '\n' || c[1] == ' ')
                ++c;
            fputs(paragraph ? "\n.PP\n" : strncmp(c + 1, "--", 2) == 0 ? "\n.br\n" : "\n", out);
            line_start = 1;
            continue;
        }
        if (*c == '`' && backticks % 2 == 0) {
            fputs(bold ? "\\fR" : "\\fB", out);
            bold = !bold;
        } else
            man_char(out, *c, line_start);
        line_start = 0;
    }
}

/* One ".TP" entry: bold tag (e.g. an option), then the text. */
static void man_item(FILE *out, const char *tag, const char *metavar, const char *text)
{
    fputs(".TP\n\\fB", out);
    man_text(out, tag);
    fputs("\\fR", out);
    if (metavar) {
        fputs(" \\fI", out);
        man_text(out, metavar);
        fputs("\\fR", out);
    }
    fputc('\n', out);
    man_text(out, text);
    fputc('\n', out);
}

/* Lines of literal text (examples), indented, no filling. */
static void man_example(FILE *out, const char *const *lines)
{
    fputs(".PP\n.RS 4\n.nf\n", out);
    for (; *lines; ++lines) {
        man_text(out, *lines);
        fputc('\n', out);
    }
    fputs(".fi\n.RE\n", out);
}

static void man_paragraph(FILE *out, const char *text)
{
    fputs(".PP\n", out);
    man_text(out, text);
    fputc('\n', out);
}

void cvseg_man_begin(FILE *out)
{
    char date[16] = "";
    const char *epoch = getenv("SOURCE_DATE_EPOCH"); /* reproducible builds */
    time_t when = epoch ? (time_t)strtoll(epoch, NULL, 10) : time(NULL);
    struct tm utc;
    gmtime_r(&when, &utc);
    strftime(date, sizeof date, "%Y-%m-%d", &utc);
    fprintf(out, ".\\\" cvseg.1: written by `cvseg --man` from its option tables.\n");
    fprintf(out, ".TH CVSEG 1 \"%s\" \"cvseg %s\" \"User Commands\"\n", date, CVSEG_VERSION);
    fputs(".nh\n.ad l\n", out); /* no hyphenation in identifiers, ragged right */
    fputs(".SH NAME\ncvseg \\- customer value segmentation at scale (RFM, LRFMC, segments, ABC, "
          "K\\-Means) with MPI, OpenMP and parallel HDF5\n.SH SYNOPSIS\n",
          out);
    fputs(".B cvseg\n.I VERB\n[\\fIoptions\\fR]\n.br\n.B mpirun \\-np\n.I P\n.B cvseg\n.I VERB\n"
          "[\\fIoptions\\fR]\n.br\n.B srun\n.B cvseg\n.I VERB\n[\\fIoptions\\fR]\n.br\n"
          ".B cvseg \\-\\-help\n|\n.B \\-\\-version\n",
          out);
    fputs(".SH DESCRIPTION\n", out);
    man_text(out, "cvseg scores a whole customer base in one MPI job: it reads a member table "
                  "(or a transaction log) from HDF5 with parallel HDF5, computes RFM or airline "
                  "LRFMC features with OpenMP, merges exact global statistics across ranks and "
                  "writes per-member quintile scores, RFM cells, value segments, ABC classes, the "
                  "customer value matrix and K-Means clusters, plus a reusable model and a "
                  "report. Every result is bit-identical for any number of ranks and threads.");
    fputc('\n', out);
    man_paragraph(out,
                  "Every verb runs under `mpirun -np P`, `srun`, or alone (one rank). Dates are "
                  "ISO YYYY-MM-DD. Progress goes to stderr from rank 0 (one line per phase, "
                  "one per K-Means iteration). Outputs are written to TARGET.tmp.PID beside "
                  "the target and renamed into place only when every rank succeeded: a "
                  "failed or killed run never damages an earlier file.");
    fputs(".SH VERBS\n", out);
}

void cvseg_man_verb(FILE *out, const char *verb, const char *summary)
{
    man_item(out, verb, NULL, summary);
}

void cvseg_man_common_options(FILE *out)
{
    fputs(".SH COMMON OPTIONS\nEvery verb takes these; its own options follow in its section. "
          "Options are \\fB\\-\\-name \\fIVALUE\\fR or \\fB\\-\\-name=\\fIVALUE\\fR.\n",
          out);
    int count = 0;
    const cvseg_common_option *common = cvseg_common_options(&count);
    for (int c = 0; c < count; ++c) {
        char tag[64];
        if (common[c].letter)
            snprintf(tag, sizeof tag, "-%c, --%s", common[c].letter, common[c].name);
        else
            snprintf(tag, sizeof tag, "--%s", common[c].name);
        man_item(out, tag, NULL, common[c].manual);
    }
}

void cvseg_man_options(FILE *out, const char *verb, const char *summary, const cvseg_option *table,
                       int count)
{
    fputs(".SH \"CVSEG ", out);
    for (const char *c = verb; *c; ++c)
        fputc(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c, out);
    fputs("\"\n.B cvseg ", out);
    man_text(out, verb);
    fputs("\n[\\fIoptions\\fR]\n", out);
    man_paragraph(out, summary);
    for (int o = 0; o < count; ++o) {
        const int value = table[o].kind == CVSEG_OPT_VALUE;
        char tag[64], text[1024];
        snprintf(tag, sizeof tag, "--%s", table[o].name);
        snprintf(text, sizeof text, "%s%s", table[o].help, table[o].required ? " (required)" : "");
        man_item(out, tag, value ? table[o].metavar : NULL, text);
    }
}

/* EXIT STATUS from the status list: one entry per exit code, the texts of
 * every status that maps to it joined with "; ". */
static void man_exit_codes(FILE *out)
{
    static const struct {
        int exit_code;
        const char *text;
    } statuses[] = {
#define CVSEG_X_EXIT(name, value, exitcode, text) {exitcode, text},
        CVSEG_STATUS_LIST(CVSEG_X_EXIT)
#undef CVSEG_X_EXIT
    };
    const int n = (int)(sizeof statuses / sizeof statuses[0]);
    fputs(".SH \"EXIT STATUS\"\nIdentical on every rank, so that Slurm dependencies "
          "(afterok) and scripts can branch on it.\n",
          out);
    for (int s = 0; s < n; ++s) {
        int seen = 0;
        for (int earlier = 0; earlier < s; ++earlier)
            seen |= statuses[earlier].exit_code == statuses[s].exit_code;
        if (seen)
            continue;
        char code[16], text[256] = "";
        size_t used = 0;
        snprintf(code, sizeof code, "%d", statuses[s].exit_code);
        for (int same = s; same < n; ++same)
            if (statuses[same].exit_code == statuses[s].exit_code && used < sizeof text)
                used += (size_t)snprintf(text + used, sizeof text - used, "%s%s", used ? "; " : "",
                                         statuses[same].text);
        man_item(out, code, NULL, text);
    }
    man_paragraph(out, "With 5 and 6 the results are still written (5: flagged converged = 0); "
                       "after 7 the same command with --resume continues from the checkpoint.");
}

static void man_environment(FILE *out)
{
    fputs(".SH ENVIRONMENT\n", out);
    man_item(out, "OMP_NUM_THREADS", NULL,
             "OpenMP threads per rank (results do not depend on it). Slurm jobs: "
             "--cpus-per-task. When unset, each of the node's ranks takes an equal share "
             "of the CPUs the ranks may use together (ranks that are not bound would "
             "otherwise each start one thread per CPU).");
    man_item(out, "OMP_PROC_BIND, OMP_PLACES", NULL,
             "thread pinning; the job scripts set them when a rank was bound to its own CPUs.");
    man_item(out, "OMPI_ALLOW_RUN_AS_ROOT, OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", NULL,
             "set both to 1 to run as root (containers, CI); Open MPI refuses otherwise, also "
             "for a run without mpirun.");
    man_item(out, "OMPI_MCA_mpi_yield_when_idle", NULL,
             "1 when there are more ranks than cores (e.g. mpirun --oversubscribe).");
    man_item(out, "HDF5_USE_FILE_LOCKING", NULL,
             "FALSE on file systems without locks, or to read a file another process holds open.");
    man_item(out, "CVSEG, INPUT, OUTDIR, K, SEED, FEATURES, LAUNCHER, ...", NULL,
             "settings of the job scripts (VAR=VALUE arguments or environment); listed at the top "
             "of each script. CVSEG is the binary; the installed scripts default to the cvseg "
             "installed beside them.");
    man_item(out, "SOURCE_DATE_EPOCH", NULL, "the date printed in this page (`cvseg --man`).");
}

static void man_files(FILE *out)
{
    fputs(".SH FILES\nPREFIX is the installation prefix (/usr for the Debian package).\n", out);
    man_item(out, "PREFIX/share/cvseg/jobs/train.sbatch", NULL,
             "Slurm job: cvseg train with checkpoint and requeue before the time limit "
             "(sbatch -n RANKS -c THREADS train.sbatch INPUT=... OUTDIR=... K=...).");
    man_item(out, "PREFIX/share/cvseg/jobs/submit-nightly.sh, nightly.sbatch", NULL,
             "the nightly chain import, aggregate, [train], score, report as dependent jobs.");
    man_item(out, "PREFIX/share/cvseg/jobs/submit-sweep.sh, sweep.sbatch, sweep-collect.sbatch",
             NULL, "a job array over K (or seeds) and one table of the results.");
    man_item(out, "PREFIX/share/doc/cvseg/file-formats.md", NULL,
             "the HDF5 layouts: member table, transaction log, results, model, checkpoint.");
    man_item(out, "PREFIX/share/doc/cvseg/README.md", NULL,
             "methods, reproducibility, Slurm, performance, installation.");
    man_item(out, "TARGET.tmp.PID", NULL,
             "an output while it is written; renamed to TARGET when complete, removed on failure.");
}

static void man_examples(FILE *out)
{
    static const char *const local[] = {
        "cvseg gen --out members.h5 --members 1000000 --seed 1",
        "mpirun -np 4 cvseg train --in members.h5 --out results.h5 --model model.h5 \\",
        "    --k 6 --summary summary.json",
        "cvseg report --results results.h5 --model model.h5",
        "mpirun -np 4 cvseg score --in tonight.h5 --model model.h5 --out new.h5 \\",
        "    --previous results.h5 --drift-threshold 0.25",
        NULL};
    static const char *const slurm[] = {
        "J=/usr/share/cvseg/jobs",
        "sbatch -n 16 -c 8 $J/train.sbatch INPUT=members.h5 OUTDIR=out/train K=6",
        "$J/submit-nightly.sh --in incoming/tx.txt --format cdnow --workdir /scratch/$(date +%F) "
        "\\",
        "    --model models/current.h5 -- -n 8 -c 4",
        "$J/submit-sweep.sh --in members.h5 --outdir out/sweep --k 2-12 -- -n 4 -c 4",
        NULL};
    fputs(".SH EXAMPLES\n", out);
    man_paragraph(out, "Generate a synthetic member table, cluster it on 4 ranks, print the "
                       "report, then score the next snapshot against the model:");
    man_example(out, local);
    man_paragraph(out, "On Slurm (the Debian package's paths; -n ranks, -c threads per rank):");
    man_example(out, slurm);
}

void cvseg_man_end(FILE *out)
{
    man_exit_codes(out);
    man_environment(out);
    man_files(out);
    man_examples(out);
    fputs(".SH \"SEE ALSO\"\n.BR mpirun (1),\n.BR srun (1),\n.BR sbatch (1),\n.BR h5dump (1),\n"
          ".BR h5diff (1)\n",
          out);
}
