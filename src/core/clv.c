/* clv.c: BG/NBD and Gamma-Gamma likelihoods, fits and closed forms (see
 * clv.h). Special functions (ln Gamma, digamma, 2F1), the optimiser (BFGS)
 * and the Cholesky inverse come from GSL. */
#include "cvseg/clv.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_hyperg.h>
#include <gsl/gsl_sf_psi.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const cvseg_lifecycle_names[CVSEG_LIFE_COUNT] = {"prospect", "new", "active", "at_risk",
                                                             "churned"};

void cvseg_clv_init(void)
{
    gsl_set_error_handler_off();
}

/* The likelihoods are sums over table rows. Rows are summed in fixed chunks
 * of CLV_CHUNK (in row order), the chunks in chunk order: the same bits for
 * any number of threads. The parts of a row that depend only on the repeat
 * count x (ln Gamma, digamma: GSL) are computed once per distinct x. */
enum { CLV_CHUNK = 4096, CLV_MAX_X = 1 << 24 };
/* A row's terms: the log-likelihood, then the gradient in theta order; by_x
 * tables use the same width. */
enum { CLV_LL = 0, CLV_GRAD = 1, CLV_TERMS = CLV_GRAD + CVSEG_BGNBD_PARAMS };

typedef void (*clv_chunk_fn)(const void *context, int64_t begin, int64_t end,
                             double acc[CLV_TERMS]);

/* Returns sum[0] (the log-likelihood) and gradient[0..k-1] = sum[1..k];
 * NaN when out of memory. */
static double clv_sum_chunks(const void *context, clv_chunk_fn chunk, int64_t n, int k,
                             double *gradient)
{
    const int64_t chunks = (n + CLV_CHUNK - 1) / CLV_CHUNK;
    double(*partial)[CLV_TERMS] = calloc((size_t)(chunks > 0 ? chunks : 1), sizeof *partial);
    double total[CLV_TERMS] = {0};
    if (!partial)
        return NAN;
#pragma omp parallel for schedule(dynamic, 1) if (chunks > 1)
    for (int64_t c = 0; c < chunks; ++c)
        chunk(context, c * CLV_CHUNK, c * CLV_CHUNK + CLV_CHUNK < n ? c * CLV_CHUNK + CLV_CHUNK : n,
              partial[c]);
    for (int64_t c = 0; c < chunks; ++c)
        for (int j = 0; j <= k; ++j)
            total[j] += partial[c][j];
    free(partial);
    if (gradient)
        for (int j = 0; j < k; ++j)
            gradient[j] = total[CLV_GRAD + j];
    return total[CLV_LL];
}

/* Largest x of rows [n] (integer valued); -1 when some x is not a count in
 * 0..CLV_MAX_X. */
static int64_t clv_max_x(const double *x, int64_t n)
{
    int64_t top = 0;
    for (int64_t i = 0; i < n; ++i) {
        if (!(x[i] >= 0 && x[i] <= CLV_MAX_X) || x[i] != floor(x[i]))
            return -1;
        top = (int64_t)x[i] > top ? (int64_t)x[i] : top;
    }
    return top;
}

typedef struct {
    const cvseg_bgnbd_data *data;
    const double *theta;
    const double (*by_x)[CLV_TERMS];
} clv_bgnbd_context;

/* by_x[x]: A1 + A2 of the paper's eq. 6 (ln Gamma(r + x) - ln Gamma(r) +
 * r ln alpha + ln B(a, b + x) - ln B(a, b)), psi(r + x) - psi(r),
 * psi(a + b) - psi(a + b + x), psi(b + x) - psi(b), ln a - ln(b + x - 1). */
static void clv_bgnbd_by_x(const double th[CVSEG_BGNBD_PARAMS], int64_t max_x,
                           double (*by_x)[CLV_TERMS])
{
    const double r = th[CVSEG_BGNBD_R], alpha = th[CVSEG_BGNBD_ALPHA], a = th[CVSEG_BGNBD_A],
                 b = th[CVSEG_BGNBD_B];
    const double base =
        -gsl_sf_lngamma(r) + r * log(alpha) + gsl_sf_lngamma(a + b) - gsl_sf_lngamma(b);
    const double psi_r = gsl_sf_psi(r), psi_ab = gsl_sf_psi(a + b), psi_b = gsl_sf_psi(b);
    for (int64_t x = 0; x <= max_x; ++x) {
        by_x[x][0] =
            base + gsl_sf_lngamma(r + x) + gsl_sf_lngamma(b + x) - gsl_sf_lngamma(a + b + x);
        by_x[x][1] = gsl_sf_psi(r + x) - psi_r;
        by_x[x][2] = psi_ab - gsl_sf_psi(a + b + x);
        by_x[x][3] = gsl_sf_psi(b + x) - psi_b;
        by_x[x][4] = x > 0 ? log(a) - log(b + x - 1) : 0.0;
    }
}

/* ln(e^a3 + e^a4) and the weights e^a3 / sum, e^a4 / sum: one exp, one log1p. */
static double clv_log_add(double a3, double a4, double *w3, double *w4)
{
    const double e = exp(-fabs(a3 - a4)), share = 1.0 / (1.0 + e);
    *w3 = a3 >= a4 ? share : e * share;
    *w4 = a3 >= a4 ? e * share : share;
    return (a3 >= a4 ? a3 : a4) + log1p(e);
}

/* Rows [begin, end): acc = (LL, dLL/dr, dLL/dalpha, dLL/da, dLL/db). Rows
 * sorted by (x, t_x) reuse ln(alpha + t_x) of the row before. */
static void clv_bgnbd_chunk(const void *context, int64_t begin, int64_t end, double acc[CLV_TERMS])
{
    const clv_bgnbd_context *c = context;
    const double r = c->theta[CVSEG_BGNBD_R], alpha = c->theta[CVSEG_BGNBD_ALPHA],
                 a = c->theta[CVSEG_BGNBD_A], b = c->theta[CVSEG_BGNBD_B];
    const double log_alpha = log(alpha);
    double last_tx = NAN, log_tx = 0.0;
    for (int64_t i = begin; i < end; ++i) {
        const double x = c->data->x[i], w = c->data->weight[i], t_x = c->data->t_x[i];
        const double *tab = c->by_x[(int64_t)x];
        const double at_T = alpha + c->data->T[i], at_tx = alpha + t_x;
        const double log_T = log(at_T), a3 = -(r + x) * log_T;
        double log_sum = a3, w3 = 1.0, w4 = 0.0;
        if (x > 0) {
            if (t_x != last_tx) {
                last_tx = t_x;
                log_tx = log(at_tx);
            }
            log_sum = clv_log_add(a3, tab[4] - (r + x) * log_tx, &w3, &w4);
        }
        acc[CLV_LL] += w * (tab[0] + log_sum);
        acc[CLV_GRAD + CVSEG_BGNBD_R] += w * (tab[1] + log_alpha - w3 * log_T - w4 * log_tx);
        acc[CLV_GRAD + CVSEG_BGNBD_ALPHA] +=
            w * (r / alpha - w3 * (r + x) / at_T - w4 * (r + x) / at_tx);
        acc[CLV_GRAD + CVSEG_BGNBD_A] += w * (tab[2] + w4 / a);
        acc[CLV_GRAD + CVSEG_BGNBD_B] += w * (tab[2] + tab[3] - (x > 0 ? w4 / (b + x - 1) : 0.0));
    }
}

double cvseg_bgnbd_loglik(const cvseg_bgnbd_data *data, const double theta[CVSEG_BGNBD_PARAMS],
                          double gradient[CVSEG_BGNBD_PARAMS])
{
    const int64_t max_x = clv_max_x(data->x, data->n);
    double(*by_x)[CLV_TERMS] = max_x < 0 ? NULL : malloc(sizeof *by_x * (size_t)(max_x + 1));
    double ll = NAN;
    if (by_x) {
        clv_bgnbd_by_x(theta, max_x, by_x);
        const clv_bgnbd_context context = {data, theta, (const double(*)[CLV_TERMS])by_x};
        ll = clv_sum_chunks(&context, clv_bgnbd_chunk, data->n, CVSEG_BGNBD_PARAMS, gradient);
    }
    free(by_x);
    return ll;
}

typedef struct {
    const cvseg_gg_data *data;
    const double *theta;
    const double (*by_x)[CLV_TERMS];
} clv_gg_context;

/* by_x[x] (x >= 1): ln Gamma(px + q) - ln Gamma(px) - ln Gamma(q) + q ln v
 * + px ln x, x (psi(px + q) - psi(px) + ln x), psi(px + q) - psi(q) + ln v. */
static void clv_gg_by_x(const double th[CVSEG_GG_PARAMS], int64_t max_x, double (*by_x)[CLV_TERMS])
{
    const double p = th[CVSEG_GG_P], q = th[CVSEG_GG_Q], v = th[CVSEG_GG_V];
    for (int64_t x = 1; x <= max_x; ++x) {
        const double px = p * x, psi_pxq = gsl_sf_psi(px + q);
        by_x[x][0] = gsl_sf_lngamma(px + q) - gsl_sf_lngamma(px) - gsl_sf_lngamma(q) + q * log(v) +
                     px * log((double)x);
        by_x[x][1] = x * (psi_pxq - gsl_sf_psi(px) + log((double)x));
        by_x[x][2] = psi_pxq - gsl_sf_psi(q) + log(v);
    }
}

/* Rows [begin, end): acc = (LL, dLL/dp, dLL/dq, dLL/dv). */
static void clv_gg_chunk(const void *context, int64_t begin, int64_t end, double acc[CLV_TERMS])
{
    const clv_gg_context *c = context;
    const double p = c->theta[CVSEG_GG_P], q = c->theta[CVSEG_GG_Q], v = c->theta[CVSEG_GG_V];
    for (int64_t i = begin; i < end; ++i) {
        const double x = c->data->x[i], m = c->data->m[i], w = c->data->weight[i];
        const double *tab = c->by_x[(int64_t)x];
        const double px = p * x, log_m = log(m), tail = log(x * m + v);
        acc[CLV_LL] += w * (tab[0] + (px - 1) * log_m - (px + q) * tail);
        acc[CLV_GRAD + CVSEG_GG_P] += w * (tab[1] + x * log_m - x * tail);
        acc[CLV_GRAD + CVSEG_GG_Q] += w * (tab[2] - tail);
        acc[CLV_GRAD + CVSEG_GG_V] += w * (q / v - (px + q) / (x * m + v));
    }
}

double cvseg_gg_loglik(const cvseg_gg_data *data, const double theta[CVSEG_GG_PARAMS],
                       double gradient[CVSEG_GG_PARAMS])
{
    const int64_t max_x = clv_max_x(data->x, data->n);
    double(*by_x)[CLV_TERMS] = max_x < 0 ? NULL : calloc((size_t)(max_x + 1), sizeof *by_x);
    double ll = NAN;
    if (by_x) {
        clv_gg_by_x(theta, max_x, by_x);
        const clv_gg_context context = {data, theta, (const double(*)[CLV_TERMS])by_x};
        ll = clv_sum_chunks(&context, clv_gg_chunk, data->n, CVSEG_GG_PARAMS, gradient);
    }
    free(by_x);
    return ll;
}

/* ------------------------------------------------------------------ fitting */

/* Stop when the gradient of -LL / W with respect to the log-parameters is
 * below this (relative parameter accuracy about 1e-7 on CDNOW); report
 * non-convergence above 1000 times it. */
#define CLV_GRADIENT_TOLERANCE 1e-7

typedef double (*clv_loglik_fn)(const void *data, const double *theta, double *gradient);

typedef struct {
    clv_loglik_fn loglik;
    const void *data;
    int k; /* parameters */
    double total_weight;
} clv_problem;

static double clv_bgnbd_adapter(const void *data, const double *theta, double *gradient)
{
    return cvseg_bgnbd_loglik(data, theta, gradient);
}

static double clv_gg_adapter(const void *data, const double *theta, double *gradient)
{
    return cvseg_gg_loglik(data, theta, gradient);
}

/* Objective of the optimiser: -LL / W at theta = exp(phi); gradient in phi.
 * Non-finite values (the line search probing extreme parameters) become a
 * large penalty so BFGS backs off. */
static void clv_objective(const gsl_vector *phi, void *params, double *f, gsl_vector *df)
{
    const clv_problem *problem = params;
    double theta[4], gradient[4] = {0.0, 0.0, 0.0, 0.0};
    for (int j = 0; j < problem->k; ++j)
        theta[j] = exp(gsl_vector_get(phi, (size_t)j));
    const double ll = problem->loglik(problem->data, theta, gradient);
    int finite = isfinite(ll);
    for (int j = 0; j < problem->k; ++j)
        finite = finite && isfinite(gradient[j]);
    if (f)
        *f = finite ? -ll / problem->total_weight : 1e300;
    if (df)
        for (int j = 0; j < problem->k; ++j)
            gsl_vector_set(df, (size_t)j,
                           finite ? -theta[j] * gradient[j] / problem->total_weight : 0.0);
}

static double clv_f(const gsl_vector *phi, void *params)
{
    double f = 0.0;
    clv_objective(phi, params, &f, NULL);
    return f;
}

static void clv_df(const gsl_vector *phi, void *params, gsl_vector *df)
{
    clv_objective(phi, params, NULL, df);
}

static void clv_fdf(const gsl_vector *phi, void *params, double *f, gsl_vector *df)
{
    clv_objective(phi, params, f, df);
}

/* Runs BFGS from phi (in/out) until the gradient norm is below tolerance, the
 * optimiser makes no progress, or the iteration cap. Returns iterations. */
static int clv_bfgs(clv_problem *problem, gsl_vector *phi, double *gradient_norm)
{
    gsl_multimin_function_fdf function = {clv_f, clv_df, clv_fdf, (size_t)problem->k, problem};
    gsl_multimin_fdfminimizer *minimizer =
        gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, (size_t)problem->k);
    int iterations = 0;
    *gradient_norm = INFINITY;
    if (!minimizer)
        return 0;
    gsl_multimin_fdfminimizer_set(minimizer, &function, phi, 0.01, 0.1);
    int status = GSL_CONTINUE;
    while (status == GSL_CONTINUE && iterations < 2000) {
        ++iterations;
        if (gsl_multimin_fdfminimizer_iterate(minimizer) != GSL_SUCCESS)
            break;
        status = gsl_multimin_test_gradient(minimizer->gradient, CLV_GRADIENT_TOLERANCE);
    }
    gsl_vector_memcpy(phi, minimizer->x);
    *gradient_norm = gsl_blas_dnrm2(minimizer->gradient);
    gsl_multimin_fdfminimizer_free(minimizer);
    return iterations;
}

/* Standard errors: sqrt(diag((-H)^-1)), H by central differences of the
 * analytic gradient at theta; NaN when -H is not positive definite. */
static void clv_standard_errors(const clv_problem *problem, const double *theta, double *errors)
{
    const int k = problem->k;
    gsl_matrix *information = gsl_matrix_alloc((size_t)k, (size_t)k);
    for (int j = 0; j < k; ++j)
        errors[j] = NAN;
    if (!information)
        return;
    for (int j = 0; j < k; ++j) {
        double up[4], down[4], g_up[4], g_down[4];
        const double h = 1e-5 * theta[j];
        memcpy(up, theta, sizeof(double) * (size_t)k);
        memcpy(down, theta, sizeof(double) * (size_t)k);
        up[j] += h;
        down[j] -= h;
        problem->loglik(problem->data, up, g_up);
        problem->loglik(problem->data, down, g_down);
        for (int i = 0; i < k; ++i)
            gsl_matrix_set(information, (size_t)i, (size_t)j, -(g_up[i] - g_down[i]) / (2 * h));
    }
    for (int i = 0; i < k; ++i)
        for (int j = 0; j < i; ++j) {
            const double mean = 0.5 * (gsl_matrix_get(information, (size_t)i, (size_t)j) +
                                       gsl_matrix_get(information, (size_t)j, (size_t)i));
            gsl_matrix_set(information, (size_t)i, (size_t)j, mean);
            gsl_matrix_set(information, (size_t)j, (size_t)i, mean);
        }
    if (gsl_linalg_cholesky_decomp1(information) == GSL_SUCCESS &&
        gsl_linalg_cholesky_invert(information) == GSL_SUCCESS)
        for (int j = 0; j < k; ++j)
            errors[j] = sqrt(gsl_matrix_get(information, (size_t)j, (size_t)j));
    gsl_matrix_free(information);
}

/* Fits problem from start [k]; BFGS restarts from the last point while that
 * helps (BFGS's curvature estimate goes stale on these flat likelihoods). */
static cvseg_status clv_fit(clv_problem *problem, const double *start, const char *model,
                            cvseg_clv_fit *fit)
{
    cvseg_status status = CVSEG_OK;
    gsl_vector *phi = gsl_vector_alloc((size_t)problem->k);
    memset(fit, 0, sizeof *fit);
    fit->gradient_norm = INFINITY;
    if (!phi)
        return CVSEG_FAIL(CVSEG_ENOMEM, "out of memory for the %s fit", model);
    gsl_set_error_handler_off();
    for (int j = 0; j < problem->k; ++j)
        gsl_vector_set(phi, (size_t)j, log(start[j]));
    /* restarts while a round still halves the gradient (none at the floor
     * that rounding of the sum sets) */
    double previous = INFINITY;
    for (int round = 0; round < 8 && fit->gradient_norm >= CLV_GRADIENT_TOLERANCE &&
                        (round == 0 || fit->gradient_norm < 0.5 * previous);
         ++round) {
        previous = fit->gradient_norm;
        fit->iterations += clv_bfgs(problem, phi, &fit->gradient_norm);
    }
    for (int j = 0; j < problem->k; ++j)
        fit->theta[j] = exp(gsl_vector_get(phi, (size_t)j));
    double gradient[4];
    fit->log_likelihood = problem->loglik(problem->data, fit->theta, gradient);
    int interior = 1; /* a parameter running to 0 or infinity: no finite maximum */
    for (int j = 0; j < problem->k; ++j)
        interior = interior && fit->theta[j] > 1e-8 && fit->theta[j] < 1e8;
    if (!interior)
        status = CVSEG_FAIL(CVSEG_ENOCONV,
                            "%s fit did not converge: a parameter ran to the boundary (%g, %g, "
                            "%g, %g); the data have no finite maximum-likelihood estimate",
                            model, fit->theta[0], fit->theta[1], fit->theta[2],
                            problem->k > 3 ? fit->theta[3] : 0.0);
    else if (!(fit->gradient_norm < 1e3 * CLV_GRADIENT_TOLERANCE) || !isfinite(fit->log_likelihood))
        status = CVSEG_FAIL(CVSEG_ENOCONV,
                            "%s fit did not converge: gradient norm %.3g after %d iterations "
                            "(log-likelihood %.6g)",
                            model, fit->gradient_norm, fit->iterations, fit->log_likelihood);
    if (status == CVSEG_OK) {
        clv_standard_errors(problem, fit->theta, fit->standard_error);
        for (int j = 0; j < problem->k && status == CVSEG_OK; ++j)
            if (!isfinite(fit->standard_error[j]))
                status = CVSEG_FAIL(CVSEG_ENOCONV,
                                    "%s fit did not converge: the information matrix at the "
                                    "optimum is singular (a parameter is not identified by the "
                                    "data, or runs to the boundary)",
                                    model);
    }
    gsl_vector_free(phi);
    return status;
}

static double clv_total_weight(const double *weight, int64_t n)
{
    double total = 0.0;
    for (int64_t i = 0; i < n; ++i)
        total += weight[i];
    return total;
}

/* Large tables: BFGS first on every stride-th row (about CLV_SAMPLE_ROWS
 * rows, the same rows on every rank), then on the whole table from there:
 * the answer is the whole table's optimum; the sample only saves the early
 * iterations. */
enum { CLV_SAMPLE_ROWS = 16384 };

/* out [ceil(n / stride)] = column [0], [stride], ...; returns the count. */
static int64_t clv_every(const double *column, int64_t n, int64_t stride, double *out)
{
    int64_t m = 0;
    for (int64_t i = 0; i < n; i += stride)
        out[m++] = column[i];
    return m;
}

/* Replaces start [k] by the sample's optimum when that is finite. */
static void clv_warm_start(clv_problem *sample, double *start)
{
    gsl_vector *phi = gsl_vector_alloc((size_t)sample->k);
    double gradient_norm = 0.0;
    int finite = phi != NULL;
    if (phi) {
        gsl_set_error_handler_off();
        for (int j = 0; j < sample->k; ++j)
            gsl_vector_set(phi, (size_t)j, log(start[j]));
        clv_bfgs(sample, phi, &gradient_norm);
        for (int j = 0; j < sample->k; ++j)
            finite = finite && isfinite(gsl_vector_get(phi, (size_t)j)) &&
                     fabs(gsl_vector_get(phi, (size_t)j)) < 30;
    }
    for (int j = 0; j < sample->k && finite; ++j)
        start[j] = exp(gsl_vector_get(phi, (size_t)j));
    gsl_vector_free(phi);
}

cvseg_status cvseg_bgnbd_fit(const cvseg_bgnbd_data *data, cvseg_clv_fit *fit)
{
    clv_problem problem = {clv_bgnbd_adapter, data, 4, clv_total_weight(data->weight, data->n)};
    if (data->n == 0 || !(problem.total_weight > 0))
        return CVSEG_FAIL(CVSEG_EDATA, "no members to fit the BG/NBD model to");
    /* start: r = a = b = 1 and alpha = the mean age, so alpha / r is a rate
     * on the data's time scale whatever the unit */
    double mean_age = 0.0;
    for (int64_t i = 0; i < data->n; ++i)
        mean_age += data->weight[i] * data->T[i];
    mean_age = mean_age / problem.total_weight > 0 ? mean_age / problem.total_weight : 1.0;
    double start[CVSEG_BGNBD_PARAMS] = {[CVSEG_BGNBD_R] = 1.0,
                                        [CVSEG_BGNBD_ALPHA] = mean_age,
                                        [CVSEG_BGNBD_A] = 1.0,
                                        [CVSEG_BGNBD_B] = 1.0};
    const int64_t stride = data->n / CLV_SAMPLE_ROWS;
    if (stride >= 4) {
        double *sample = malloc(sizeof(double) * 4 * (size_t)(data->n / stride + 1));
        if (sample) {
            const int64_t m = clv_every(data->x, data->n, stride, sample);
            clv_every(data->t_x, data->n, stride, sample + m);
            clv_every(data->T, data->n, stride, sample + 2 * m);
            clv_every(data->weight, data->n, stride, sample + 3 * m);
            const cvseg_bgnbd_data part = {m, sample, sample + m, sample + 2 * m, sample + 3 * m};
            clv_problem small = {clv_bgnbd_adapter, &part, 4, clv_total_weight(part.weight, m)};
            clv_warm_start(&small, start);
        }
        free(sample);
    }
    return clv_fit(&problem, start, "BG/NBD", fit);
}

cvseg_status cvseg_gg_fit(const cvseg_gg_data *data, cvseg_clv_fit *fit)
{
    clv_problem problem = {clv_gg_adapter, data, 3, clv_total_weight(data->weight, data->n)};
    if (data->n == 0 || !(problem.total_weight > 0))
        return CVSEG_FAIL(CVSEG_EDATA, "no repeat buyers to fit the Gamma-Gamma model to");
    double mean_spend = 0.0;
    for (int64_t i = 0; i < data->n; ++i)
        mean_spend += data->weight[i] * data->m[i];
    mean_spend = mean_spend / problem.total_weight > 0 ? mean_spend / problem.total_weight : 1.0;
    double start[CVSEG_GG_PARAMS] = {
        [CVSEG_GG_P] = 1.0, [CVSEG_GG_Q] = 2.0, [CVSEG_GG_V] = mean_spend};
    const int64_t stride = data->n / CLV_SAMPLE_ROWS;
    if (stride >= 4) {
        double *sample = malloc(sizeof(double) * 3 * (size_t)(data->n / stride + 1));
        if (sample) {
            const int64_t m = clv_every(data->x, data->n, stride, sample);
            clv_every(data->m, data->n, stride, sample + m);
            clv_every(data->weight, data->n, stride, sample + 2 * m);
            const cvseg_gg_data part = {m, sample, sample + m, sample + 2 * m};
            clv_problem small = {clv_gg_adapter, &part, 3, clv_total_weight(part.weight, m)};
            clv_warm_start(&small, start);
        }
        free(sample);
    }
    cvseg_status status = clv_fit(&problem, start, "Gamma-Gamma", fit);
    fit->theta[CVSEG_GG_PARAMS] = 0.0; /* the slot only BG/NBD uses */
    fit->standard_error[CVSEG_GG_PARAMS] = 0.0;
    return status;
}

/* --------------------------------------------------------- closed forms */

/* 1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x) */
static double clv_alive_denominator(const cvseg_bgnbd_params *p, double x, double t_x, double T)
{
    if (!(x > 0))
        return 1.0;
    return 1.0 + p->a / (p->b + x - 1) * pow((p->alpha + T) / (p->alpha + t_x), p->r + x);
}

double cvseg_bgnbd_p_alive(const cvseg_bgnbd_params *params, double x, double t_x, double T)
{
    return 1.0 / clv_alive_denominator(params, x, t_x, T);
}

cvseg_status cvseg_bgnbd_expected(const cvseg_bgnbd_params *params, double x, double t_x, double T,
                                  double t, double *expected)
{
    const cvseg_bgnbd_params *p = params;
    const double z = t / (p->alpha + T + t);
    gsl_sf_result hyper = {0.0, 0.0};
    *expected = 0.0;
    if (!(t > 0))
        return CVSEG_OK;
    if (gsl_sf_hyperg_2F1_e(p->r + x, p->b + x, p->a + p->b + x - 1, z, &hyper) != GSL_SUCCESS)
        return CVSEG_FAIL(CVSEG_EINTERNAL,
                          "2F1(%g, %g; %g; %g) failed for x = %g, t_x = %g, T = %g, t = %g",
                          p->r + x, p->b + x, p->a + p->b + x - 1, z, x, t_x, T, t);
    const double first = (p->a + p->b + x - 1) / (p->a - 1);
    const double second = 1.0 - hyper.val * pow((p->alpha + T) / (p->alpha + T + t), p->r + x);
    *expected = first * second / clv_alive_denominator(p, x, t_x, T);
    return CVSEG_OK;
}

double cvseg_gg_expected_spend(const cvseg_gg_params *params, double x, double m)
{
    if (!(params->q > 1))
        return NAN;
    if (!(x > 0))
        return params->p * params->v / (params->q - 1);
    return params->p * (params->v + x * m) / (params->p * x + params->q - 1);
}

cvseg_status cvseg_clv_value(const cvseg_bgnbd_params *params, double x, double t_x, double T,
                             int horizon, double discount, double spend, double *value,
                             double *expected_out)
{
    cvseg_status status = CVSEG_OK;
    double previous = 0.0, sum = 0.0, factor = 1.0, current = 0.0;
    if (discount == 0.0) {
        status = cvseg_bgnbd_expected(params, x, t_x, T, horizon, &current);
        sum = current;
    } else {
        for (int k = 1; k <= horizon && status == CVSEG_OK; ++k) {
            status = cvseg_bgnbd_expected(params, x, t_x, T, k, &current);
            factor /= 1.0 + discount;
            sum += (current - previous) * factor;
            previous = current;
        }
    }
    *value = spend * sum;
    *expected_out = current;
    return status;
}

cvseg_lifecycle cvseg_lifecycle_stage(int has_purchase, double x, double tenure_days,
                                      double p_alive, double new_days)
{
    if (!has_purchase)
        return CVSEG_LIFE_PROSPECT;
    if (tenure_days <= new_days)
        return CVSEG_LIFE_NEW;
    if (p_alive < 0.25 || (!(x > 0) && tenure_days > 365))
        return CVSEG_LIFE_CHURNED;
    if (p_alive < 0.5 || !(x > 0))
        return CVSEG_LIFE_AT_RISK;
    return CVSEG_LIFE_ACTIVE;
}

/* ------------------------------------------------------------ tuples */

static _Thread_local int clv_tuple_width;

static int clv_tuple_compare(const void *left, const void *right)
{
    const uint64_t *l = left, *r = right;
    for (int j = 0; j < clv_tuple_width; ++j)
        if (l[j] != r[j])
            return l[j] < r[j] ? -1 : 1;
    return 0;
}

int64_t cvseg_tuples_compress(uint64_t *rows, int64_t n, int width)
{
    const size_t stride = (size_t)width + 1;
    int64_t kept = 0;
    if (n <= 0)
        return 0;
    clv_tuple_width = width;
    qsort(rows, (size_t)n, stride * sizeof(uint64_t), clv_tuple_compare);
    for (int64_t i = 1; i < n; ++i) {
        uint64_t *last = rows + (size_t)kept * stride, *row = rows + (size_t)i * stride;
        if (clv_tuple_compare(last, row) == 0) {
            last[width] += row[width];
        } else {
            ++kept;
            memmove(rows + (size_t)kept * stride, row, stride * sizeof(uint64_t));
        }
    }
    return kept + 1;
}
