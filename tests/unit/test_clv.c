/* test_clv.c: BG/NBD and Gamma-Gamma likelihoods against finite differences,
 * the closed forms against independent evaluations (2F1 by its series,
 * P(alive) by hand), the fits (recovery of a known maximum, no finite
 * maximum -> ENOCONV), the lifecycle rule and the tuple compression. */
#include <math.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "cunit_main.h"
#include "cvseg/clv.h"

/* A small BG/NBD table (CDNOW-like values, weeks). */
static const double bg_x[] = {0, 1, 2, 5, 0, 3, 7};
static const double bg_tx[] = {0, 10.5, 30.4, 35.0, 0, 12.0, 38.0};
static const double bg_T[] = {38.9, 38.0, 38.9, 37.1, 32.0, 39.0, 38.5};
static const double bg_w[] = {10, 4, 2, 1, 8, 1, 2};
static const cvseg_bgnbd_data bg_data = {7, bg_x, bg_tx, bg_T, bg_w};

static const double gg_x[] = {1, 2, 3, 5, 1, 8};
static const double gg_m[] = {20.5, 35.0, 12.25, 40.0, 9.99, 27.3};
static const double gg_w[] = {5, 3, 2, 1, 4, 1};
static const cvseg_gg_data gg_data = {6, gg_x, gg_m, gg_w};

static double bg_ll(const double *theta)
{
    return cvseg_bgnbd_loglik(&bg_data, theta, NULL);
}

static double gg_ll(const double *theta)
{
    return cvseg_gg_loglik(&gg_data, theta, NULL);
}

/* Central differences with h = 1e-6 theta_j, relative agreement 1e-6. */
static void check_gradient(double (*ll)(const double *), const double *theta,
                           const double *gradient, int k)
{
    for (int j = 0; j < k; ++j) {
        double up[4], down[4];
        memcpy(up, theta, sizeof(double) * (size_t)k);
        memcpy(down, theta, sizeof(double) * (size_t)k);
        const double h = 1e-6 * theta[j];
        up[j] += h;
        down[j] -= h;
        const double numeric = (ll(up) - ll(down)) / (2 * h);
        if (fabs(numeric - gradient[j]) > 1e-6 * (1 + fabs(numeric)))
            fprintf(stderr, "  parameter %d: analytic %.12g, numeric %.12g\n", j, gradient[j],
                    numeric);
        CU_ASSERT(fabs(numeric - gradient[j]) <= 1e-6 * (1 + fabs(numeric)));
    }
}

static void test_bgnbd_gradient(void)
{
    const double points[3][4] = {
        {0.243, 4.41, 0.793, 2.43}, {1.5, 20.0, 2.5, 0.7}, {0.05, 1.0, 0.3, 8.0}};
    for (int p = 0; p < 3; ++p) {
        double gradient[4];
        const double ll = cvseg_bgnbd_loglik(&bg_data, points[p], gradient);
        CU_ASSERT(isfinite(ll) && ll < 0);
        check_gradient(bg_ll, points[p], gradient, 4);
    }
}

static void test_gg_gradient(void)
{
    const double points[2][3] = {{6.25, 3.74, 15.44}, {1.2, 8.0, 60.0}};
    for (int p = 0; p < 2; ++p) {
        double gradient[3];
        const double ll = cvseg_gg_loglik(&gg_data, points[p], gradient);
        CU_ASSERT(isfinite(ll));
        check_gradient(gg_ll, points[p], gradient, 3);
    }
}

/* One member's BG/NBD likelihood by the paper's eq. 6, term by term. */
static void test_bgnbd_single_member(void)
{
    const double theta[4] = {0.5, 3.0, 0.8, 2.0};
    const double x[] = {2}, tx[] = {10}, T[] = {20}, w[] = {1};
    const cvseg_bgnbd_data one = {1, x, tx, T, w};
    const double r = 0.5, alpha = 3.0, a = 0.8, b = 2.0;
    const double beta_ratio = tgamma(a + b) * tgamma(b + 2) / (tgamma(b) * tgamma(a + b + 2));
    const double gamma_ratio = tgamma(r + 2) / tgamma(r) * pow(alpha, r);
    const double expected = log(beta_ratio * gamma_ratio / pow(alpha + 20, r + 2) +
                                tgamma(a + 1) * tgamma(b + 1) / tgamma(a + b + 2) * tgamma(a + b) /
                                    (tgamma(a) * tgamma(b)) * gamma_ratio / pow(alpha + 10, r + 2));
    CU_ASSERT_DOUBLE_EQUAL(cvseg_bgnbd_loglik(&one, theta, NULL), expected, 1e-12);
}

/* 2F1 by its power series (z small enough to converge fast). */
static double hyp2f1_series(double a, double b, double c, double z)
{
    double term = 1.0, sum = 1.0;
    for (int n = 0; n < 2000 && fabs(term) > 1e-18 * fabs(sum); ++n) {
        term *= (a + n) * (b + n) / ((c + n) * (n + 1)) * z;
        sum += term;
    }
    return sum;
}

static void test_closed_forms(void)
{
    const cvseg_bgnbd_params p = {0.243, 4.414, 0.793, 2.426};
    cvseg_clv_init();
    CU_ASSERT_DOUBLE_EQUAL(cvseg_bgnbd_p_alive(&p, 0, 0, 38.86), 1.0, 0.0);
    const double by_hand =
        1.0 / (1.0 + 0.793 / (2.426 + 1) * pow((4.414 + 38.86) / (4.414 + 30.43), 0.243 + 2));
    CU_ASSERT_DOUBLE_EQUAL(cvseg_bgnbd_p_alive(&p, 2, 30.43, 38.86), by_hand, 1e-15);
    const double cases[4][4] = {
        {0, 0, 38.86, 39}, {2, 30.43, 38.86, 39}, {7, 35, 38, 52}, {1, 1, 5, 10}};
    for (int c = 0; c < 4; ++c) {
        const double x = cases[c][0], tx = cases[c][1], T = cases[c][2], t = cases[c][3];
        double got = 0.0;
        CU_ASSERT_EQUAL(cvseg_bgnbd_expected(&p, x, tx, T, t, &got), CVSEG_OK);
        const double hyp =
            hyp2f1_series(p.r + x, p.b + x, p.a + p.b + x - 1, t / (p.alpha + T + t));
        const double want = (p.a + p.b + x - 1) / (p.a - 1) *
                            (1 - pow((p.alpha + T) / (p.alpha + T + t), p.r + x) * hyp) /
                            (1 / cvseg_bgnbd_p_alive(&p, x, tx, T));
        CU_ASSERT(fabs(got - want) <= 1e-12 * fabs(want));
        CU_ASSERT(got > 0);
    }
    double zero = -1;
    CU_ASSERT_EQUAL(cvseg_bgnbd_expected(&p, 2, 30, 38, 0, &zero), CVSEG_OK);
    CU_ASSERT_DOUBLE_EQUAL(zero, 0.0, 0.0);
    /* CLV: undiscounted = spend * E(H); discounted is smaller; H = 1 by hand */
    double value = 0, expected = 0, e1 = 0;
    CU_ASSERT_EQUAL(cvseg_clv_value(&p, 2, 30.43, 38.86, 10, 0.0, 30.0, &value, &expected),
                    CVSEG_OK);
    CU_ASSERT_DOUBLE_EQUAL(value, 30.0 * expected, 1e-12);
    double discounted = 0;
    CU_ASSERT_EQUAL(cvseg_clv_value(&p, 2, 30.43, 38.86, 10, 0.05, 30.0, &discounted, &expected),
                    CVSEG_OK);
    CU_ASSERT(discounted < value && discounted > value / pow(1.05, 10));
    cvseg_bgnbd_expected(&p, 2, 30.43, 38.86, 1, &e1);
    CU_ASSERT_EQUAL(cvseg_clv_value(&p, 2, 30.43, 38.86, 1, 0.05, 30.0, &discounted, &expected),
                    CVSEG_OK);
    CU_ASSERT_DOUBLE_EQUAL(discounted, 30.0 * e1 / 1.05, 1e-12);
}

static void test_gg_expected_spend(void)
{
    const cvseg_gg_params g = {6.25, 3.74, 15.44};
    CU_ASSERT_DOUBLE_EQUAL(cvseg_gg_expected_spend(&g, 0, 0), 6.25 * 15.44 / 2.74, 1e-12);
    /* a weighted mean of the population mean and the member's own mean */
    const double m = 40.0, x = 3, w = (g.q - 1) / (g.p * x + g.q - 1);
    CU_ASSERT_DOUBLE_EQUAL(cvseg_gg_expected_spend(&g, x, m), w * 6.25 * 15.44 / 2.74 + (1 - w) * m,
                           1e-12);
    const cvseg_gg_params bad = {1, 0.9, 1};
    CU_ASSERT(isnan(cvseg_gg_expected_spend(&bad, 1, 1)));
}

/* A table whose maximum is known: the fit's gradient vanishes there, and the
 * fit from its fixed start reaches the same point as from another start. */
static void test_fits(void)
{
    cvseg_clv_fit fit;
    CU_ASSERT_EQUAL(cvseg_bgnbd_fit(&bg_data, &fit), CVSEG_OK);
    double gradient[4];
    cvseg_bgnbd_loglik(&bg_data, fit.theta, gradient);
    for (int j = 0; j < 4; ++j) {
        CU_ASSERT(fabs(gradient[j] * fit.theta[j]) < 1e-5);
        CU_ASSERT(fit.standard_error[j] > 0 || isnan(fit.standard_error[j]));
    }
    double nearby[4];
    for (int j = 0; j < 4; ++j)
        nearby[j] = fit.theta[j] * 1.01;
    CU_ASSERT(bg_ll(nearby) < fit.log_likelihood);
}

/* Gamma-Gamma data drawn from the model (GSL's generator, fixed seed):
 * nu ~ Gamma(q, 1 / v), x = 1..8, each purchase ~ Gamma(p, 1 / nu); the fit
 * recovers (p, q, v) within 4 standard errors and its gradient vanishes. */
static void test_gg_recovery(void)
{
    enum { N = 4000 };
    static double x[N], m[N], w[N];
    const double p = 6.0, q = 4.0, v = 15.0;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 42);
    for (int i = 0; i < N; ++i) {
        const double nu = gsl_ran_gamma(rng, q, 1.0 / v);
        x[i] = 1 + i % 8;
        double sum = 0.0;
        for (int k = 0; k < (int)x[i]; ++k)
            sum += gsl_ran_gamma(rng, p, 1.0 / nu);
        m[i] = sum / x[i];
        w[i] = 1.0;
    }
    gsl_rng_free(rng);
    const cvseg_gg_data data = {N, x, m, w};
    cvseg_clv_fit fit;
    CU_ASSERT_EQUAL(cvseg_gg_fit(&data, &fit), CVSEG_OK);
    double gradient[3];
    const double truth[3] = {p, q, v};
    cvseg_gg_loglik(&data, fit.theta, gradient);
    for (int j = 0; j < 3; ++j) {
        CU_ASSERT(fabs(gradient[j] * fit.theta[j]) < 1e-5 * N);
        CU_ASSERT(fabs(fit.theta[j] - truth[j]) < 4 * fit.standard_error[j]);
        if (!(fabs(fit.theta[j] - truth[j]) < 4 * fit.standard_error[j]))
            fprintf(stderr, "  parameter %d: %g (se %g), true %g\n", j, fit.theta[j],
                    fit.standard_error[j], truth[j]);
    }
}

/* Only one-time buyers: the likelihood grows without bound as r -> 0. */
static void test_no_finite_maximum(void)
{
    const double x[] = {0, 0}, tx[] = {0, 0}, T[] = {10, 30}, w[] = {50, 50};
    const cvseg_bgnbd_data only_once = {2, x, tx, T, w};
    cvseg_clv_fit fit;
    CU_ASSERT_EQUAL(cvseg_bgnbd_fit(&only_once, &fit), CVSEG_ENOCONV);
    const cvseg_bgnbd_data empty = {0, x, tx, T, w};
    CU_ASSERT_EQUAL(cvseg_bgnbd_fit(&empty, &fit), CVSEG_EDATA);
}

static void test_lifecycle(void)
{
    CU_ASSERT_EQUAL(cvseg_lifecycle_stage(0, 0, 0, 1.0, 91), CVSEG_LIFE_PROSPECT);
    CU_ASSERT_EQUAL(cvseg_lifecycle_stage(1, 0, 91, 1.0, 91), CVSEG_LIFE_NEW);
    CU_ASSERT_EQUAL(cvseg_lifecycle_stage(1, 3, 30, 0.01, 91), CVSEG_LIFE_NEW);
    CU_ASSERT_EQUAL(cvseg_lifecycle_stage(1, 3, 200, 0.9, 91), CVSEG_LIFE_ACTIVE);
    CU_ASSERT_EQUAL(cvseg_lifecycle_stage(1, 3, 200, 0.4, 91), CVSEG_LIFE_AT_RISK);
    CU_ASSERT_EQUAL(cvseg_lifecycle_stage(1, 0, 200, 1.0, 91), CVSEG_LIFE_AT_RISK);
    CU_ASSERT_EQUAL(cvseg_lifecycle_stage(1, 3, 200, 0.2, 91), CVSEG_LIFE_CHURNED);
    CU_ASSERT_EQUAL(cvseg_lifecycle_stage(1, 0, 400, 1.0, 91), CVSEG_LIFE_CHURNED);
}

static void test_tuples(void)
{
    /* width 2: (key0, key1, count) */
    uint64_t rows[] = {3, 1, 1, 1, 9, 2, 3, 1, 4, 0, 5, 1, 1, 9, 1};
    const int64_t m = cvseg_tuples_compress(rows, 5, 2);
    const uint64_t want[] = {0, 5, 1, 1, 9, 3, 3, 1, 5};
    CVSEG_ASSERT_EQUAL_I64(m, 3);
    CU_ASSERT(memcmp(rows, want, sizeof want) == 0);
    CVSEG_ASSERT_EQUAL_I64(cvseg_tuples_compress(rows, 0, 2), 0);
}

int main(void)
{
    CU_TestInfo tests[] = {{"BG/NBD gradient = finite differences", test_bgnbd_gradient},
                           {"Gamma-Gamma gradient = finite differences", test_gg_gradient},
                           {"BG/NBD likelihood of one member by hand", test_bgnbd_single_member},
                           {"P(alive), E[purchases] (2F1 series), CLV", test_closed_forms},
                           {"Gamma-Gamma expected spend", test_gg_expected_spend},
                           {"fits reach a stationary maximum", test_fits},
                           {"Gamma-Gamma recovers known parameters", test_gg_recovery},
                           {"no finite maximum -> ENOCONV; empty -> EDATA", test_no_finite_maximum},
                           {"lifecycle rule", test_lifecycle},
                           {"tuple compression", test_tuples},
                           CU_TEST_INFO_NULL};
    return cvseg_run_cunit("clv", tests);
}
