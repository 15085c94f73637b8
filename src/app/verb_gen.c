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

/* The run's declared files (outputs.h), by index. */
enum { GEN_FILE_OUT, GEN_FILES };

#define GEN_PIECE_ROWS (1 << 20)
#define GEN_DAYS       "days since 1970-01-01"

/* What is generated. */
typedef enum { GEN_LAYOUT_RFM, GEN_LAYOUT_AIRLINE, GEN_LAYOUT_TRANSACTIONS } gen_layout_kind;

/* Piece buffers (void *slots[GEN_SLOTS], [piece rows] x 8 bytes each), by
 * layout; the planted group (int16) of member tables in GEN_SLOT_GROUP. */
enum { GEN_RFM_ID, GEN_RFM_FIRST, GEN_RFM_LAST, GEN_RFM_FREQUENCY, GEN_RFM_MONETARY };
enum {
    GEN_AIR_ID,
    GEN_AIR_JOIN,
    GEN_AIR_LAST,
    GEN_AIR_FLIGHTS,
    GEN_AIR_KM,
    GEN_AIR_DISCOUNT,
    GEN_AIR_FARE1,
    GEN_AIR_FARE2,
    GEN_AIR_MONETARY
};
enum { GEN_TX_ID, GEN_TX_DATE, GEN_TX_AMOUNT, GEN_TX_QUANTITY };
enum { GEN_SLOT_GROUP = 9, GEN_SLOTS = 10 };

/* One written column: its dataset and the slot it is taken from. */
typedef struct {
    const char *name;
    cvseg_type type;
    int slot;
    const char *units;
} gen_column;

static const gen_column gen_rfm_columns[] = {
    {"member_id", CVSEG_T_I64, GEN_RFM_ID, NULL},
    {"first_purchase", CVSEG_T_I32, GEN_RFM_FIRST, GEN_DAYS},
    {"last_purchase", CVSEG_T_I32, GEN_RFM_LAST, GEN_DAYS},
    {"frequency", CVSEG_T_I32, GEN_RFM_FREQUENCY, NULL},
    {"monetary", CVSEG_T_F64, GEN_RFM_MONETARY, NULL},
};
static const gen_column gen_airline_columns[] = {
    {"member_id", CVSEG_T_I64, GEN_AIR_ID, NULL},
    {"join_date", CVSEG_T_I32, GEN_AIR_JOIN, GEN_DAYS},
    {"last_purchase", CVSEG_T_I32, GEN_AIR_LAST, GEN_DAYS},
    {"flight_count", CVSEG_T_I32, GEN_AIR_FLIGHTS, NULL},
    {"seg_km_sum", CVSEG_T_F64, GEN_AIR_KM, "km"},
    {"avg_discount", CVSEG_T_F64, GEN_AIR_DISCOUNT, NULL},
    {"fare_yr1", CVSEG_T_F64, GEN_AIR_FARE1, NULL},
    {"fare_yr2", CVSEG_T_F64, GEN_AIR_FARE2, NULL},
    {"monetary", CVSEG_T_F64, GEN_AIR_MONETARY, NULL},
    {"frequency", CVSEG_T_I32, GEN_AIR_FLIGHTS, NULL}, /* = flight_count */
};
static const gen_column gen_transaction_columns[] = {
    {"member_id", CVSEG_T_I64, GEN_TX_ID, NULL},
    {"date", CVSEG_T_I32, GEN_TX_DATE, GEN_DAYS},
    {"amount", CVSEG_T_F64, GEN_TX_AMOUNT, NULL},
    {"quantity", CVSEG_T_I32, GEN_TX_QUANTITY, NULL},
};

typedef struct {
    const char *what;   /* in the log */
    const char *group;  /* the table's group */
    const char *schema; /* its schema attribute */
    const gen_column *columns;
    int n_columns;
    int truth; /* also /truth/group (member tables) */
} gen_layout;

static const gen_layout gen_layouts[] = {
    [GEN_LAYOUT_RFM] = {"members", "/members", "cvseg.members/1", gen_rfm_columns,
                        (int)(sizeof gen_rfm_columns / sizeof gen_rfm_columns[0]), 1},
    [GEN_LAYOUT_AIRLINE] = {"airline members", "/members", "cvseg.members.airline/1",
                            gen_airline_columns,
                            (int)(sizeof gen_airline_columns / sizeof gen_airline_columns[0]), 1},
    [GEN_LAYOUT_TRANSACTIONS] =
        {"transactions", "/transactions", "cvseg.transactions/1", gen_transaction_columns,
         (int)(sizeof gen_transaction_columns / sizeof gen_transaction_columns[0]), 0},
};

typedef struct {
    cvseg_gen_config config;
    int64_t members, clusters, seed;
    int64_t rows; /* rows of the table */
    gen_layout_kind kind;
    const char *out;
} gen_settings;

/* A writer's view of the piece buffers. */
typedef struct {
    const gen_layout *layout;
    void *slots[GEN_SLOTS];
    cvseg_column columns[GEN_SLOTS];
    cvseg_column truth;
} gen_table;

static void gen_help(const cvseg_app *app)
{
    if (app->rank == 0)
        cvseg_options_help(stdout, "gen",
                           "Generates a synthetic member table (/members, with the planted group "
                           "of each member in /truth/group) or a transaction log "
                           "(/transactions). The datasets are identical for any number of ranks.",
                           gen_options, GEN_OPTIONS);
}

static cvseg_status gen_settings_read(const cvseg_options *options, gen_settings *settings)
{
    int64_t window = 365;
    double per_member = 0.0;
    const char *layout = "rfm";
    int have_date = 0;
    *settings = (gen_settings){.clusters = 5, .seed = 1, .out = cvseg_opt(options, "out")};
    cvseg_status status =
        cvseg_opt_i64(options, "members", 0, 0, INT64_MAX / 64, &settings->members);
    if (status == CVSEG_OK)
        status =
            cvseg_opt_i64(options, "clusters", 5, 1, CVSEG_GEN_MAX_GROUPS, &settings->clusters);
    if (status == CVSEG_OK)
        status = cvseg_opt_i64(options, "seed", 1, 0, INT64_MAX, &settings->seed);
    if (status == CVSEG_OK)
        status = cvseg_opt_i64(options, "window-days", 365, 2, 36500, &window);
    if (status == CVSEG_OK)
        status = cvseg_opt_f64(options, "transactions-per-member", 0.0, 0.0, 1e6, &per_member);
    if (status == CVSEG_OK)
        status = cvseg_opt_choice(options, "layout", "rfm", "rfm|lrfmc", &layout);
    settings->config.reference_date = cvseg_days_from_civil(2024, 12, 31);
    if (status == CVSEG_OK)
        status =
            cvseg_opt_date(options, "reference-date", &settings->config.reference_date, &have_date);
    settings->config.seed = (uint64_t)settings->seed;
    settings->config.groups = (int)settings->clusters;
    settings->config.window_days = (int32_t)window;
    const int transactions = cvseg_opt_has(options, "transactions-per-member");
    settings->kind = transactions                   ? GEN_LAYOUT_TRANSACTIONS
                     : strcmp(layout, "lrfmc") == 0 ? GEN_LAYOUT_AIRLINE
                                                    : GEN_LAYOUT_RFM;
    settings->rows =
        transactions ? (int64_t)(per_member * (double)settings->members + 0.5) : settings->members;
    if (status == CVSEG_OK && transactions && settings->members == 0 && settings->rows > 0)
        status =
            CVSEG_FAIL(CVSEG_EUSAGE, "option --members must be positive for a transaction log");
    return status;
}

/* Piece buffers for pieces of up to piece rows and the columns over them.
 * Agreed. */
static cvseg_status gen_table_alloc(cvseg_app *app, const gen_settings *settings, int64_t piece,
                                    gen_table *table)
{
    cvseg_status status = CVSEG_OK;
    const size_t alloc = (size_t)(piece > 0 ? piece : 1);
    table->layout = &gen_layouts[settings->kind];
    for (int b = 0; b < GEN_SLOTS; ++b) {
        table->slots[b] = malloc(alloc * 8);
        if (!table->slots[b])
            status = CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for a piece of %lld rows",
                                (long long)piece);
    }
    for (int c = 0; c < table->layout->n_columns; ++c) {
        const gen_column *column = &table->layout->columns[c];
        table->columns[c] = (cvseg_column){column->name, column->type, table->slots[column->slot],
                                           NULL, column->units};
    }
    table->truth = (cvseg_column){"group", CVSEG_T_I16, table->slots[GEN_SLOT_GROUP], NULL, NULL};
    return cvseg_mpi_agree(app->comm, status);
}

static void gen_table_free(gen_table *table)
{
    for (int b = 0; b < GEN_SLOTS; ++b)
        free(table->slots[b]);
}

/* Generates rows [first, first + n) into the slots. */
static void gen_piece(const gen_settings *settings, int64_t first, int64_t n, void **slot)
{
    const cvseg_gen_config *config = &settings->config;
    switch (settings->kind) {
    case GEN_LAYOUT_TRANSACTIONS:
        cvseg_gen_transactions(config, settings->members, first, n, slot[GEN_TX_ID],
                               slot[GEN_TX_DATE], slot[GEN_TX_AMOUNT], slot[GEN_TX_QUANTITY]);
        break;
    case GEN_LAYOUT_AIRLINE:
        cvseg_gen_airline(config, first, n, slot[GEN_AIR_ID], slot[GEN_AIR_JOIN],
                          slot[GEN_AIR_LAST], slot[GEN_AIR_FLIGHTS], slot[GEN_AIR_KM],
                          slot[GEN_AIR_DISCOUNT], slot[GEN_AIR_FARE1], slot[GEN_AIR_FARE2],
                          slot[GEN_AIR_MONETARY], slot[GEN_SLOT_GROUP]);
        break;
    case GEN_LAYOUT_RFM:
        cvseg_gen_members(config, first, n, slot[GEN_RFM_ID], slot[GEN_RFM_FIRST],
                          slot[GEN_RFM_LAST], slot[GEN_RFM_FREQUENCY], slot[GEN_RFM_MONETARY],
                          slot[GEN_SLOT_GROUP]);
        break;
    }
}

/* Defines the datasets and agrees on the number of pieces (the most of any
 * rank). Collective. */
static cvseg_status gen_define(cvseg_app *app, cvseg_writer *writer, const gen_settings *settings,
                               const gen_table *table, int64_t block_rows, int64_t *pieces)
{
    const gen_layout *layout = table->layout;
    cvseg_status status = cvseg_writer_define(writer, layout->group, settings->rows,
                                              layout->n_columns, table->columns);
    if (status == CVSEG_OK && layout->truth)
        status = cvseg_writer_define(writer, "/truth", settings->rows, 1, &table->truth);
    *pieces = (block_rows + GEN_PIECE_ROWS - 1) / GEN_PIECE_ROWS;
    if (status == CVSEG_OK)
        status = cvseg_mpi_check(
            MPI_Allreduce(MPI_IN_PLACE, pieces, 1, MPI_INT64_T, MPI_MAX, app->comm), "pieces");
    return cvseg_mpi_agree(app->comm, status);
}

/* Generates and writes this rank's block piece by piece, logging progress.
 * Collective (every rank takes part in every piece, some with 0 rows). */
static cvseg_status gen_write_pieces(cvseg_app *app, cvseg_writer *writer,
                                     const gen_settings *settings, gen_table *table,
                                     cvseg_block block, int64_t pieces)
{
    const gen_layout *layout = table->layout;
    cvseg_status status = CVSEG_OK;
    int64_t last_report = 0;
    for (int64_t p = 0; p < pieces && status == CVSEG_OK; ++p) {
        const int64_t start = p * GEN_PIECE_ROWS;
        int64_t n = block.count - start;
        n = n < 0 ? 0 : n > GEN_PIECE_ROWS ? GEN_PIECE_ROWS : n;
        const int64_t first = block.offset + start;
        gen_piece(settings, first, n, table->slots);
        status =
            cvseg_writer_rows(writer, layout->group, first, n, layout->n_columns, table->columns);
        if (status == CVSEG_OK && layout->truth)
            status = cvseg_writer_rows(writer, "/truth", first, n, 1, &table->truth);
        const int64_t done_rows = (p + 1) * GEN_PIECE_ROWS * (int64_t)app->ranks;
        if (done_rows - last_report >= 8 * GEN_PIECE_ROWS || p + 1 == pieces) {
            cvseg_log(app, 1, "%5.1f %% written", 100.0 * (double)(p + 1) / (double)pieces);
            last_report = done_rows;
        }
    }
    return status;
}

/* The table's attributes and the provenance. */
static cvseg_status gen_attributes(cvseg_app *app, cvseg_writer *writer,
                                   const gen_settings *settings, const gen_layout *layout)
{
    cvseg_status status = cvseg_writer_attr_i32(writer, layout->group, "reference_date",
                                                settings->config.reference_date);
    if (status == CVSEG_OK)
        status = cvseg_writer_attr_str(writer, layout->group, "schema", layout->schema);
    if (status == CVSEG_OK && layout->truth)
        status = cvseg_writer_attr_i32(writer, "/truth", "groups", (int32_t)settings->clusters);
    if (status == CVSEG_OK)
        status = cvseg_provenance_write(app, writer, layout->group, NULL, (uint64_t)settings->seed);
    return status;
}

/* Writes the file: datasets, pieces, attributes. Collective. */
static cvseg_status gen_write(cvseg_app *app, cvseg_outputs *outputs, const gen_settings *settings,
                              gen_table *table, cvseg_block block)
{
    cvseg_writer *writer = NULL;
    int64_t pieces = 0;
    cvseg_log(app, 1, "writing %lld %s to %s on %d ranks x %d threads", (long long)settings->rows,
              table->layout->what, settings->out, app->ranks, app->threads);
    cvseg_status status = cvseg_writer_open(outputs, GEN_FILE_OUT, &writer);
    if (status != CVSEG_OK)
        return status;
    status = gen_define(app, writer, settings, table, block.count, &pieces);
    if (status == CVSEG_OK)
        status = gen_write_pieces(app, writer, settings, table, block, pieces);
    if (status == CVSEG_OK)
        status = gen_attributes(app, writer, settings, table->layout);
    return cvseg_writer_close(writer, status);
}

cvseg_status cvseg_verb_gen(cvseg_app *app)
{
    cvseg_options options;
    cvseg_outputs *outputs = NULL;
    gen_settings settings;
    gen_table table = {0};
    cvseg_status status = cvseg_options_parse(app, gen_options, GEN_OPTIONS, &options);
    if (status == CVSEG_OK && app->help_requested) {
        gen_help(app);
        return CVSEG_OK;
    }
    if (status == CVSEG_OK)
        status = gen_settings_read(&options, &settings);
    if (status != CVSEG_OK)
        return status;
    const cvseg_file_decl files[GEN_FILES] = {
        [GEN_FILE_OUT] = {"--out", settings.out, CVSEG_FILE_OUTPUT}};
    status = cvseg_outputs_open(app->comm, app->command_line, GEN_FILES, files, &outputs);
    if (status != CVSEG_OK)
        return status;
    const cvseg_block block = cvseg_block_partition(settings.rows, app->ranks, app->rank);
    status = gen_table_alloc(app, &settings,
                             block.count < GEN_PIECE_ROWS ? block.count : GEN_PIECE_ROWS, &table);
    if (status == CVSEG_OK)
        status = gen_write(app, outputs, &settings, &table, block);
    status = cvseg_outputs_finish(outputs, status);
    gen_table_free(&table);
    double peak = 0.0;
    if (status == CVSEG_OK)
        status = cvseg_peak_rss_max(app, &peak);
    if (status == CVSEG_OK)
        cvseg_log(app, 1, "done in %.2f s, peak memory %.0f MiB per rank",
                  cvseg_now() - app->start_time, peak);
    return status;
}
