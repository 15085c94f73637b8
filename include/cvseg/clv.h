/* clv.h: customer lifetime value models (pure kernels, GSL for the optimiser
 * and the special functions).
 *
 * BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"):
 * per member x = repeat purchases, t_x = time of the last purchase and T =
 * age, both measured from the first purchase, in one time unit. Parameters
 * r, alpha (gamma heterogeneity of the purchase rate) and a, b (beta
 * heterogeneity of the dropout probability).
 *
 * Gamma-Gamma (Fader & Hardie 2013, "The Gamma-Gamma model of monetary
 * value"): for members with x > 0, the mean spend m_x per repeat purchase.
 * Parameters p, q, v (v is the paper's gamma).
 *
 * Both are fitted by maximum likelihood over a compressed table: one row per
 * distinct data tuple with its weight (members with that tuple). The sums run
 * over the rows in the order given, so a table in a fixed order gives the
 * same bits on every rank. Nothing here is thread-safe-sensitive: the
 * functions keep no state.
 */
#ifndef CVSEG_CLV_H
#define CVSEG_CLV_H

#include <stdint.h>

#include "cvseg/status.h"

typedef struct {
    double r, alpha, a, b;
} cvseg_bgnbd_params;

typedef struct {
    double p, q, v;
} cvseg_gg_params;

/* Positions of the parameters in theta, gradient and standard_error arrays. */
enum { CVSEG_BGNBD_R, CVSEG_BGNBD_ALPHA, CVSEG_BGNBD_A, CVSEG_BGNBD_B, CVSEG_BGNBD_PARAMS };
enum { CVSEG_GG_P, CVSEG_GG_Q, CVSEG_GG_V, CVSEG_GG_PARAMS };

/* Compressed BG/NBD data: rows [n]; x >= 0 (integer valued, at most 2^24),
 * 0 <= t_x <= T (t_x = 0 when x = 0); weight > 0. */
typedef struct {
    int64_t n;
    const double *x, *t_x, *T, *weight;
} cvseg_bgnbd_data;

/* Compressed Gamma-Gamma data: rows [n]; x >= 1 (integer valued), m > 0 (mean spend per
 * repeat purchase), weight > 0. */
typedef struct {
    int64_t n;
    const double *x, *m, *weight;
} cvseg_gg_data;

/* A fit: parameters in `theta` order (BG/NBD r, alpha, a, b; Gamma-Gamma p,
 * q, v), the maximised weighted log-likelihood, standard errors from the
 * inverse observed information (NaN when the Hessian is not negative
 * definite), iterations and the final gradient norm (log-parameter scale,
 * per unit weight). */
typedef struct {
    double theta[CVSEG_BGNBD_PARAMS]; /* Gamma-Gamma: the last one is 0 */
    double log_likelihood;
    double standard_error[CVSEG_BGNBD_PARAMS];
    int iterations;
    double gradient_norm;
} cvseg_clv_fit;

/* Turns GSL's abort-on-error handler off (failures become statuses). Call
 * once before using the closed forms from several threads; the fits call it
 * themselves. */
void cvseg_clv_init(void);

/* Weighted log-likelihood sum_i w_i LL_i at theta [4] = (r, alpha, a, b);
 * gradient [4] (d/dtheta) when non-NULL. Rows are summed with OpenMP in
 * fixed chunks, chunk results in order: the same bits for any thread count.
 * NaN when out of memory or an x is not a count. */
double cvseg_bgnbd_loglik(const cvseg_bgnbd_data *data, const double theta[CVSEG_BGNBD_PARAMS],
                          double gradient[CVSEG_BGNBD_PARAMS]);

/* Weighted Gamma-Gamma log-likelihood at theta [3] = (p, q, v) and its
 * gradient [3] when non-NULL. */
double cvseg_gg_loglik(const cvseg_gg_data *data, const double theta[CVSEG_GG_PARAMS],
                       double gradient[CVSEG_GG_PARAMS]);

/* Maximum-likelihood fits (GSL BFGS on log-parameters, then the observed
 * information by central differences of the analytic gradient). ENOCONV
 * with a message when the optimiser stops without a small gradient; EDATA
 * when the table is empty. */
cvseg_status cvseg_bgnbd_fit(const cvseg_bgnbd_data *data, cvseg_clv_fit *fit);
cvseg_status cvseg_gg_fit(const cvseg_gg_data *data, cvseg_clv_fit *fit);

/* P(alive | x, t_x, T) = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) /
 * (alpha + t_x))^(r + x)). */
double cvseg_bgnbd_p_alive(const cvseg_bgnbd_params *params, double x, double t_x, double T);

/* Expected purchases in (T, T + t] given (x, t_x, T) (paper eq. 10, with
 * GSL's 2F1). EINTERNAL with a message when 2F1 fails. */
cvseg_status cvseg_bgnbd_expected(const cvseg_bgnbd_params *params, double x, double t_x, double T,
                                  double t, double *expected);

/* Expected spend per purchase given x repeat purchases of mean m:
 * (p (v + x m)) / (p x + q - 1); the population mean p v / (q - 1) for
 * x = 0. Needs q > 1 (NaN otherwise). */
double cvseg_gg_expected_spend(const cvseg_gg_params *params, double x, double m);

/* Discounted value of the next `horizon` units: spend * sum_{k=1..horizon}
 * (E(k) - E(k-1)) / (1 + discount)^k with E(k) = expected purchases in
 * (T, T + k]; equals spend * E(horizon) when discount = 0. expected_out
 * receives E(horizon). EINTERNAL when 2F1 fails. */
cvseg_status cvseg_clv_value(const cvseg_bgnbd_params *params, double x, double t_x, double T,
                             int horizon, double discount, double spend, double *value,
                             double *expected_out);

/* Lifecycle stages (HDF5 enum "lifecycle"). */
typedef enum {
    CVSEG_LIFE_PROSPECT,
    CVSEG_LIFE_NEW,
    CVSEG_LIFE_ACTIVE,
    CVSEG_LIFE_AT_RISK,
    CVSEG_LIFE_CHURNED,
    CVSEG_LIFE_COUNT
} cvseg_lifecycle;
extern const char *const cvseg_lifecycle_names[CVSEG_LIFE_COUNT];

/* The documented rule (README, CLV): prospect when the member has no
 * purchase (has_purchase = 0); new when the first purchase is at most
 * new_days before the calibration end; otherwise churned when P(alive) <
 * 0.25 or (x = 0 and tenure > 365 days); at risk when P(alive) < 0.5 or
 * x = 0; active otherwise. tenure_days = days from the first purchase to
 * the calibration end. */
cvseg_lifecycle cvseg_lifecycle_stage(int has_purchase, double x, double tenure_days,
                                      double p_alive, double new_days);

/* Sorts rows [n][width + 1] (width key words, then a count word)
 * lexicographically by key and merges equal keys, adding their counts.
 * Returns the number of distinct rows left at the front. */
int64_t cvseg_tuples_compress(uint64_t *rows, int64_t n, int width);

#endif
