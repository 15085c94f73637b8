/* verb_gen.c: `cvseg gen`: synthetic member tables and transaction logs,
 * generated and written block by block by every rank. */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cvseg/date.h"
#include "cvseg/collectives.h"
#include "cvseg/gen.h"
#include "cvseg/io.h"
#include "cvseg/partition.h"
#include "provenance.h"

static const cvseg_option gen_options[] = {
    {"out", CVSEG_OPT_VALUE, "FILE", "output HDF5 file", 1, 0},
    {"members", CVSEG_OPT_VALUE, "N", "number of members", 1, 0},
    {"layout", CVSEG_OPT_VALUE, "rfm|lrfmc", "member table layout (default rfm)", 0, 0},
    {"clusters", CVSEG_OPT_VALUE, "K", "planted customer groups (default 5)", 0, 0},
    {"transactions-per-member", CVSEG_OPT_VALUE, "X",
     "write a transaction log of round(N*X) rows instead of a member table", 0, 0},
    {"seed", CVSEG_OPT_VALUE, "S", "random seed (default 1)", 0, 0},
    {"reference-date", CVSEG_OPT_VALUE, "DATE", "end of the window (default 2024-12-31)", 0, 0},
    {"window-days", CVSEG_OPT_VALUE, "DAYS", "observation window length (default 365)", 0, 0},
};
enum { GEN_OPTIONS = sizeof gen_options / sizeof gen_options[0] };

#define GEN_PIECE_ROWS (1 << 20)

cvseg_status cvseg_verb_gen(cvseg_app *app)
{
    cvseg_options options;
    cvseg_gen_config config;
    cvseg_writer *writer = NULL;
    cvseg_outputs *outputs = NULL;
    int64_t members = 0, clusters = 5, seed = 1, window = 365;
    double per_member = 0.0;
    const char *layout = "rfm";
    int have_date = 0;
    void *buffers[12] = {0};
    cvseg_status status = cvseg_options_parse(app, gen_options, GEN_OPTIONS, &options);
    if (status == CVSEG_OK && app->help_requested) {
        if (app->rank == 0)
            cvseg_options_help(
                stdout, "gen",
                "Generates a synthetic member table (/members, with the planted group "
                "of each member in /truth/group) or a transaction log "
                "(/transactions). The datasets are identical for any number of ranks.",
                gen_options, GEN_OPTIONS);
        return CVSEG_OK;
    }
    if (status == CVSEG_OK)
        status = cvseg_opt_i64(&options, "members", 0, 0, INT64_MAX / 64, &members);
    if (status == CVSEG_OK)
        status = cvseg_opt_i64(&options, "clusters", 5, 1, CVSEG_GEN_MAX_GROUPS, &clusters);
    if (status == CVSEG_OK)
        status = cvseg_opt_i64(&options, "seed", 1, 0, INT64_MAX, &seed);
    if (status == CVSEG_OK)
        status = cvseg_opt_i64(&options, "window-days", 365, 2, 36500, &window);
    if (status == CVSEG_OK)
        status = cvseg_opt_f64(&options, "transactions-per-member", 0.0, 0.0, 1e6, &per_member);
    if (status == CVSEG_OK)
        status = cvseg_opt_choice(&options, "layout", "rfm", "rfm|lrfmc", &layout);
    config.reference_date = cvseg_days_from_civil(2024, 12, 31);
    if (status == CVSEG_OK)
        status = cvseg_opt_date(&options, "reference-date", &config.reference_date, &have_date);
    if (status != CVSEG_OK)
        goto done;
    config.seed = (uint64_t)seed;
    config.groups = (int)clusters;
    config.window_days = (int32_t)window;

    const int transactions = cvseg_opt_has(&options, "transactions-per-member");
    const int airline = strcmp(layout, "lrfmc") == 0;
    const int64_t rows = transactions ? (int64_t)(per_member * (double)members + 0.5) : members;
    if (transactions && members == 0 && rows > 0) {
        status =
            CVSEG_FAIL(CVSEG_EUSAGE, "option --members must be positive for a transaction log");
        goto done;
    }
    const cvseg_file_decl out = {"--out", cvseg_opt(&options, "out"), CVSEG_FILE_OUTPUT};
    status = cvseg_outputs_open(app->comm, app->command_line, 1, &out, &outputs);
    if (status != CVSEG_OK)
        goto done;
    const cvseg_block block = cvseg_block_partition(rows, app->ranks, app->rank);
    const int64_t piece = block.count < GEN_PIECE_ROWS ? block.count : GEN_PIECE_ROWS;
    const size_t alloc = (size_t)(piece > 0 ? piece : 1);
    for (int b = 0; b < 12; ++b) {
        buffers[b] = malloc(alloc * 8);
        if (!buffers[b])
            status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for a piece of %lld rows",
                                (long long)piece);
    }
    status = cvseg_mpi_agree(app->comm, status);
    if (status != CVSEG_OK)
        goto done;

    cvseg_log(app, 1, "writing %lld %s to %s on %d ranks x %d threads", (long long)rows,
              transactions ? "transactions"
              : airline    ? "airline members"
                           : "members",
              cvseg_opt(&options, "out"), app->ranks, app->threads);
    status = cvseg_writer_open(outputs, 0, &writer);
    if (status != CVSEG_OK)
        goto done;

    const char *table_group = transactions ? "/transactions" : "/members";
    cvseg_column columns[12];
    int n_columns = 0;
#define COLUMN(col_name, col_type, buffer, col_units)                                              \
    columns[n_columns++] = (cvseg_column)                                                          \
    {                                                                                              \
        col_name, col_type, buffers[buffer], NULL, col_units                                       \
    }
    if (transactions) {
        COLUMN("member_id", CVSEG_T_I64, 0, NULL);
        COLUMN("date", CVSEG_T_I32, 1, "days since 1970-01-01");
        COLUMN("amount", CVSEG_T_F64, 2, NULL);
        COLUMN("quantity", CVSEG_T_I32, 3, NULL);
    } else if (airline) {
        COLUMN("member_id", CVSEG_T_I64, 0, NULL);
        COLUMN("join_date", CVSEG_T_I32, 1, "days since 1970-01-01");
        COLUMN("last_purchase", CVSEG_T_I32, 2, "days since 1970-01-01");
        COLUMN("flight_count", CVSEG_T_I32, 3, NULL);
        COLUMN("seg_km_sum", CVSEG_T_F64, 4, "km");
        COLUMN("avg_discount", CVSEG_T_F64, 5, NULL);
        COLUMN("fare_yr1", CVSEG_T_F64, 6, NULL);
        COLUMN("fare_yr2", CVSEG_T_F64, 7, NULL);
        COLUMN("monetary", CVSEG_T_F64, 8, NULL);
        COLUMN("frequency", CVSEG_T_I32, 3, NULL);
    } else {
        COLUMN("member_id", CVSEG_T_I64, 0, NULL);
        COLUMN("first_purchase", CVSEG_T_I32, 1, "days since 1970-01-01");
        COLUMN("last_purchase", CVSEG_T_I32, 2, "days since 1970-01-01");
        COLUMN("frequency", CVSEG_T_I32, 3, NULL);
        COLUMN("monetary", CVSEG_T_F64, 4, NULL);
    }
#undef COLUMN
    cvseg_column truth = {"group", CVSEG_T_I16, buffers[9], NULL, NULL};
    status = cvseg_writer_define(writer, table_group, rows, n_columns, columns);
    if (status == CVSEG_OK && !transactions)
        status = cvseg_writer_define(writer, "/truth", rows, 1, &truth);
    int64_t pieces = (block.count + GEN_PIECE_ROWS - 1) / GEN_PIECE_ROWS;
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(
            MPI_Allreduce(MPI_IN_PLACE, &pieces, 1, MPI_INT64_T, MPI_MAX, app->comm), "pieces");
    status = cvseg_mpi_agree(app->comm, status);
    int64_t last_report = 0;
    for (int64_t p = 0; p < pieces && status == CVSEG_OK; ++p) {
        const int64_t start = p * GEN_PIECE_ROWS;
        int64_t n = block.count - start;
        n = n < 0 ? 0 : n > GEN_PIECE_ROWS ? GEN_PIECE_ROWS : n;
        const int64_t first = block.offset + start;
        if (transactions)
            cvseg_gen_transactions(&config, members, first, n, buffers[0], buffers[1], buffers[2],
                                   buffers[3]);
        else if (airline)
            cvseg_gen_airline(&config, first, n, buffers[0], buffers[1], buffers[2], buffers[3],
                              buffers[4], buffers[5], buffers[6], buffers[7], buffers[8],
                              buffers[9]);
        else
            cvseg_gen_members(&config, first, n, buffers[0], buffers[1], buffers[2], buffers[3],
                              buffers[4], buffers[9]);
        status = cvseg_writer_rows(writer, table_group, first, n, n_columns, columns);
        if (status == CVSEG_OK && !transactions)
            status = cvseg_writer_rows(writer, "/truth", first, n, 1, &truth);
        const int64_t done_rows = (p + 1) * GEN_PIECE_ROWS * (int64_t)app->ranks;
        if (done_rows - last_report >= 8 * GEN_PIECE_ROWS || p + 1 == pieces) {
            cvseg_log(app, 1, "%5.1f %% written", 100.0 * (double)(p + 1) / (double)pieces);
            last_report = done_rows;
        }
    }
    if (status == CVSEG_OK)
        status =
            cvseg_writer_attr_i32(writer, table_group, "reference_date", config.reference_date);
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_str(writer, table_group, "schema",
                                       transactions ? "cvseg.transactions/1"
                                       : airline    ? "cvseg.members.airline/1"
                                                    : "cvseg.members/1");
    if (status == CVSEG_OK && !transactions)
        status = cvseg_writer_attr_i32(writer, "/truth", "groups", (int32_t)clusters);
    if (status == CVSEG_OK)
        status = cvseg_provenance_write(app, writer, table_group, NULL, (uint64_t)seed);
    status = cvseg_outputs_finish(outputs, cvseg_writer_close(writer, status));
    outputs = NULL;
    double peak = 0.0;
    if (status == CVSEG_OK)
        status = cvseg_peak_rss_max(app, &peak);
    if (status == CVSEG_OK) {
        cvseg_log(app, 1, "done in %.2f s, peak memory %.0f MiB per rank",
                  cvseg_now() - app->start_time, peak);
    }
done:
    status = cvseg_outputs_finish(outputs, status);
    for (int b = 0; b < 12; ++b)
        free(buffers[b]);
    return status;
}
