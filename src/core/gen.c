/* gen.c: synthetic data with planted groups. */
#include "cvseg/gen.h"

#include <math.h>

#include "cvseg/rng.h"

/* Streams of the generator (one per drawn quantity). */
enum {
    GEN_STREAM_GROUP = 1,
    GEN_STREAM_RECENCY,
    GEN_STREAM_FREQUENCY,
    GEN_STREAM_SPEND,
    GEN_STREAM_SPAN,
    GEN_STREAM_ARCHETYPE,
    GEN_STREAM_JOIN,
    GEN_STREAM_KM,
    GEN_STREAM_DISCOUNT,
    GEN_STREAM_FARE,
    GEN_STREAM_DEFECT,
    GEN_STREAM_TX_MEMBER,
    GEN_STREAM_TX_DATE,
    GEN_STREAM_TX_AMOUNT,
    GEN_STREAM_TX_QUANTITY,
    GEN_STREAM_TX_RETURN
};

typedef struct {
    double weight;
    double recency_days; /* median recency */
    double purchases;    /* median frequency */
    double spend;        /* median spend per purchase */
} gen_archetype;

/* The first eight groups are fixed, recognisable customer types, placed
 * apart in the space train clusters (recency in days, log1p frequency,
 * log1p spend, each standardised) and weighted so that no group dwarfs the
 * others: with one-time churners at a third of the members, splitting that
 * group (spread over the old part of the window) lowered the K-Means
 * objective more than keeping two close small groups apart, so K = 8 was
 * not the sum-of-squares optimum (scikit-learn's KMeans at the true k: ARI
 * 0.74). The recency spread (0.15 in log days) is narrower than the other
 * spreads because train clusters recency in days: a multiplicative spread
 * of 0.22 stretched the groups of old last purchases (300 days: +-66 days)
 * enough that K-Means split them for K >= 9. */
enum { GEN_FIXED_ARCHETYPES = 8 };
static const gen_archetype gen_fixed_archetypes[GEN_FIXED_ARCHETYPES] = {
    {0.10, 8.0, 24.0, 90.0},   /* champions */
    {0.15, 160.0, 10.0, 60.0}, /* loyal, lapsing */
    {0.08, 12.0, 1.0, 260.0},  /* new, big first basket */
    {0.20, 300.0, 1.0, 22.0},  /* one-time, churned */
    {0.17, 55.0, 3.0, 35.0},   /* occasional */
    {0.10, 240.0, 4.0, 320.0}, /* big spenders gone quiet */
    {0.10, 20.0, 60.0, 7.0},   /* frequent small baskets */
    {0.10, 10.0, 1.0, 18.0},   /* new, small first basket */
};

/* Groups beyond the fixed ones: the farthest of GEN_CANDIDATES random
 * candidates from every earlier group, in the approximate units of the
 * standardised log1p features (GEN_KEY_*: the spread of recency, log1p
 * frequency and log1p monetary over the fixed mix). */
enum { GEN_CANDIDATES = 64 };
#define GEN_KEY_RECENCY   120.0
#define GEN_KEY_FREQUENCY 1.1
#define GEN_KEY_MONETARY  1.6

/* Squared distance between archetypes a and b in those units. */
static double gen_archetype_distance2(const gen_archetype *a, const gen_archetype *b)
{
    const double r = (a->recency_days - b->recency_days) / GEN_KEY_RECENCY;
    const double f = (log1p(a->purchases) - log1p(b->purchases)) / GEN_KEY_FREQUENCY;
    const double m =
        (log1p(a->purchases * a->spend) - log1p(b->purchases * b->spend)) / GEN_KEY_MONETARY;
    return r * r + f * f + m * m;
}

/* Candidate c of group g: recency 5..300 days, 1..40 purchases, 10..300 per
 * purchase (log-uniform), weight 0.08. */
static gen_archetype gen_candidate(uint64_t seed, int g, int c)
{
    const uint64_t at = 4 * ((uint64_t)g * GEN_CANDIDATES + (uint64_t)c);
    gen_archetype a;
    a.weight = 0.08;
    a.recency_days = 5.0 + 295.0 * cvseg_rng_uniform(seed, GEN_STREAM_ARCHETYPE, at);
    a.purchases = exp(log(40.0) * cvseg_rng_uniform(seed, GEN_STREAM_ARCHETYPE, at + 1));
    a.spend = 10.0 * exp(log(30.0) * cvseg_rng_uniform(seed, GEN_STREAM_ARCHETYPE, at + 2));
    return a;
}

/* The archetypes of groups 0..groups-1 into table[groups] (group g depends on
 * the seed and the groups before it only, not on their number). */
static void gen_archetypes(uint64_t seed, int groups, gen_archetype *table)
{
    for (int g = 0; g < groups; ++g) {
        if (g < GEN_FIXED_ARCHETYPES) {
            table[g] = gen_fixed_archetypes[g];
            continue;
        }
        double best = -1.0;
        for (int c = 0; c < GEN_CANDIDATES; ++c) {
            const gen_archetype a = gen_candidate(seed, g, c);
            double nearest = INFINITY;
            for (int h = 0; h < g; ++h)
                nearest = fmin(nearest, gen_archetype_distance2(&a, &table[h]));
            if (nearest > best) {
                best = nearest;
                table[g] = a;
            }
        }
    }
}

/* The planted group of member i: g with probability weight[g] / total
 * (weight [groups], total their sum in group order). */
static int gen_pick_group(uint64_t seed, int64_t i, const double *weight, int groups, double total)
{
    double target = cvseg_rng_uniform(seed, GEN_STREAM_GROUP, (uint64_t)i) * total;
    int g = 0;
    for (; g < groups - 1; ++g) {
        target -= weight[g];
        if (target < 0.0)
            break;
    }
    return g;
}

int64_t cvseg_gen_member_id(uint64_t seed, int64_t index)
{
    return (int64_t)cvseg_permute63(seed, (uint64_t)index);
}

static double gen_clamp(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

void cvseg_gen_members(const cvseg_gen_config *config, int64_t first, int64_t count,
                       int64_t *member_id, int32_t *first_purchase, int32_t *last_purchase,
                       int32_t *frequency, double *monetary, int16_t *group)
{
    const uint64_t seed = config->seed;
    const double window = (double)config->window_days;
    gen_archetype table[CVSEG_GEN_MAX_GROUPS];
    gen_archetypes(seed, config->groups, table);
    double weight[CVSEG_GEN_MAX_GROUPS], total = 0.0;
    for (int g = 0; g < config->groups; ++g)
        total += weight[g] = table[g].weight;
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < count; ++r) {
        const int64_t i = first + r;
        const uint64_t u = (uint64_t)i;
        const int g = gen_pick_group(seed, i, weight, config->groups, total);
        const gen_archetype a = table[g];
        const double recency = floor(
            gen_clamp(a.recency_days * exp(0.15 * cvseg_rng_normal(seed, GEN_STREAM_RECENCY, u)),
                      0.0, window - 1.0));
        double purchases =
            a.purchases <= 1.0
                ? 1.0 + floor(-log(1.0 - cvseg_rng_uniform(seed, GEN_STREAM_FREQUENCY, u)) *
                              0.08) /* mostly exactly 1 */
                : floor(a.purchases * exp(0.25 * cvseg_rng_normal(seed, GEN_STREAM_FREQUENCY, u)) +
                        0.5);
        if (purchases < 1.0)
            purchases = 1.0;
        const double per_purchase =
            a.spend * exp(0.25 * cvseg_rng_normal(seed, GEN_STREAM_SPEND, u));
        const int32_t last = config->reference_date - (int32_t)recency;
        const double room = window - 1.0 - recency;
        const int32_t span =
            purchases > 1.0 ? (int32_t)floor(room * cvseg_rng_uniform(seed, GEN_STREAM_SPAN, u))
                            : 0;
        member_id[r] = cvseg_gen_member_id(seed, i);
        last_purchase[r] = last;
        first_purchase[r] = last - span;
        frequency[r] = (int32_t)purchases;
        monetary[r] = round(purchases * per_purchase * 100.0) / 100.0;
        group[r] = (int16_t)g;
    }
}

/* Airline groups after the classic study: L months, R days, F flights,
 * M km, C discount. */
typedef struct {
    double weight, length_months, recency_days, flights, km, discount;
} gen_airline_archetype;

enum { GEN_AIRLINE_ARCHETYPES = 5 };
static const gen_airline_archetype gen_airline_archetypes[GEN_AIRLINE_ARCHETYPES] = {
    {0.10, 70.0, 15.0, 30.0, 45000.0, 1.00},  /* important keep */
    {0.17, 20.0, 25.0, 9.0, 13000.0, 0.95},   /* important develop */
    {0.13, 60.0, 170.0, 14.0, 20000.0, 0.72}, /* important retain */
    {0.30, 45.0, 90.0, 6.0, 8000.0, 0.70},    /* general */
    {0.30, 25.0, 300.0, 2.0, 2500.0, 0.55},   /* low value */
};

static gen_airline_archetype gen_airline_archetype_of(uint64_t seed, int g)
{
    if (g < GEN_AIRLINE_ARCHETYPES)
        return gen_airline_archetypes[g];
    gen_airline_archetype a;
    a.weight = 0.08;
    a.length_months = 12.0 + 80.0 * cvseg_rng_uniform(seed, GEN_STREAM_ARCHETYPE, 8 * (uint64_t)g);
    a.recency_days =
        5.0 + 330.0 * cvseg_rng_uniform(seed, GEN_STREAM_ARCHETYPE, 8 * (uint64_t)g + 1);
    a.flights = 1.0 + 40.0 * cvseg_rng_uniform(seed, GEN_STREAM_ARCHETYPE, 8 * (uint64_t)g + 2);
    a.km = 1500.0 * a.flights;
    a.discount = 0.4 + 0.8 * cvseg_rng_uniform(seed, GEN_STREAM_ARCHETYPE, 8 * (uint64_t)g + 3);
    return a;
}

void cvseg_gen_airline(const cvseg_gen_config *config, int64_t first, int64_t count,
                       int64_t *member_id, int32_t *join_date, int32_t *last_flight,
                       int32_t *flight_count, double *seg_km_sum, double *avg_discount,
                       double *fare_yr1, double *fare_yr2, double *monetary, int16_t *group)
{
    const uint64_t seed = config->seed;
    const double window = (double)config->window_days;
    double weight[CVSEG_GEN_MAX_GROUPS], total = 0.0;
    for (int g = 0; g < config->groups; ++g)
        total += weight[g] = gen_airline_archetype_of(seed, g).weight;
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < count; ++r) {
        const int64_t i = first + r;
        const uint64_t u = (uint64_t)i;
        const int g = gen_pick_group(seed, i, weight, config->groups, total);
        const gen_airline_archetype a = gen_airline_archetype_of(seed, g);
        const double recency = floor(
            gen_clamp(a.recency_days * exp(0.2 * cvseg_rng_normal(seed, GEN_STREAM_RECENCY, u)),
                      0.0, window - 1.0));
        const double months =
            gen_clamp(a.length_months * exp(0.2 * cvseg_rng_normal(seed, GEN_STREAM_JOIN, u)),
                      (recency + 1.0) / 30.4375, 200.0);
        double flights =
            floor(a.flights * exp(0.25 * cvseg_rng_normal(seed, GEN_STREAM_FREQUENCY, u)) + 0.5);
        if (flights < 1.0)
            flights = 1.0;
        const double km =
            round(a.km / a.flights * flights * exp(0.2 * cvseg_rng_normal(seed, GEN_STREAM_KM, u)));
        const double discount =
            round(gen_clamp(a.discount + 0.06 * cvseg_rng_normal(seed, GEN_STREAM_DISCOUNT, u), 0.1,
                            1.5) *
                  1e4) /
            1e4;
        const double fare =
            round(km * 0.75 * discount * exp(0.1 * cvseg_rng_normal(seed, GEN_STREAM_FARE, u)));
        const double split = cvseg_rng_uniform(seed, GEN_STREAM_FARE, u + (1ULL << 62));
        const double defect = cvseg_rng_uniform(seed, GEN_STREAM_DEFECT, u);
        member_id[r] = cvseg_gen_member_id(seed, i);
        last_flight[r] = config->reference_date - (int32_t)recency;
        join_date[r] = config->reference_date - (int32_t)ceil(months * 30.4375);
        flight_count[r] = (int32_t)flights;
        seg_km_sum[r] = km;
        avg_discount[r] = discount;
        fare_yr1[r] = round(fare * split);
        fare_yr2[r] = fare - fare_yr1[r];
        if (defect < 0.005) {
            fare_yr1[r] = NAN; /* missing yearly fare total */
        } else if (defect < 0.008) {
            fare_yr1[r] = 0.0; /* inconsistent: flew, had a discount, paid nothing */
            fare_yr2[r] = 0.0;
        }
        monetary[r] = fare_yr1[r] + fare_yr2[r];
        group[r] = (int16_t)g;
    }
}

void cvseg_gen_transactions(const cvseg_gen_config *config, int64_t n_members, int64_t first,
                            int64_t count, int64_t *member_id, int32_t *date, double *amount,
                            int32_t *quantity)
{
    const uint64_t seed = config->seed;
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < count; ++r) {
        const uint64_t j = (uint64_t)(first + r);
        /* Skewed member choice: low indices buy more often. */
        const double pick = pow(cvseg_rng_uniform(seed, GEN_STREAM_TX_MEMBER, j), 1.6);
        int64_t m = (int64_t)(pick * (double)n_members);
        if (m >= n_members)
            m = n_members - 1;
        const double age = cvseg_rng_uniform(seed, GEN_STREAM_TX_DATE, j);
        member_id[r] = cvseg_gen_member_id(seed, m);
        date[r] = config->reference_date - (int32_t)floor(age * age * (double)config->window_days);
        double value =
            round(exp(3.3 + 0.8 * cvseg_rng_normal(seed, GEN_STREAM_TX_AMOUNT, j)) * 100.0) / 100.0;
        if (cvseg_rng_uniform(seed, GEN_STREAM_TX_RETURN, j) < 0.01)
            value = -value;
        amount[r] = value;
        quantity[r] = 1 + (int32_t)floor(4.0 * cvseg_rng_uniform(seed, GEN_STREAM_TX_QUANTITY, j));
    }
}
