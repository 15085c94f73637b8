/* kmeans_mpi.h: distributed K-Means (MPI layer over the core kernels).
 *
 * Collective on comm. Gives bit-identical centres, labels, inertia and
 * iteration counts for any number of ranks and OpenMP threads (see
 * kmeans.h): every random draw is keyed by (seed, restart, round, trial or
 * global row), every cross-point sum is exact fixed point, and every choice
 * that depends on a tie is broken by a rule that does not see the partition.
 */
#ifndef CVSEG_KMEANS_MPI_H
#define CVSEG_KMEANS_MPI_H

#include <mpi.h>
#include <stdint.h>

#include "cvseg/kmeans.h"
#include "cvseg/status.h"

typedef enum {
    CVSEG_INIT_PLUSPLUS, /* greedy k-means++ (2 + ln k local trials per pick) */
    CVSEG_INIT_PARALLEL, /* k-means|| : 5 rounds, oversampling 2k, then weighted k-means++ */
    CVSEG_INIT_GIVEN     /* centres supplied by the caller */
} cvseg_init_method;

/* Progress of one Lloyd iteration (called on every rank; the caller logs on
 * rank 0). */
typedef void (*cvseg_kmeans_progress)(void *context, int restart, int iteration, double inertia,
                                      double shift, int64_t changed, double seconds);

/* Resumable state of a run, at a Lloyd iteration or restart boundary.
 * iteration == 0 means "restart `restart` not seeded yet" (label unused). */
typedef struct {
    int restart;     /* restart in progress */
    int iteration;   /* Lloyd iterations completed in it */
    double *centres; /* [k][d] after those iterations */
    int32_t *label;  /* [n] this rank's labels of the last assignment */
    int have_best;   /* a restart has completed */
    double best_inertia;
    double *best_centres; /* [k][d] */
    int best_iterations, best_converged, best_restart;
    int64_t empty_repairs;
    int64_t lloyd_iterations;
    double lloyd_seconds;
} cvseg_kmeans_state;

/* Called on every rank at each boundary (collective: it may communicate).
 * Setting *stop ends the run with CVSEG_EINTERRUPTED after the hook returns
 * (used for checkpoint on signal). */
typedef cvseg_status (*cvseg_kmeans_hook)(void *context, const cvseg_kmeans_state *state,
                                          int *stop);

typedef struct {
    int k;
    int max_iter;
    int n_init; /* restarts (ignored, 1, for CVSEG_INIT_GIVEN) */
    double tol; /* relative to the mean feature variance, as scikit-learn */
    uint64_t seed;
    cvseg_init_method init;
    const double *given_centres; /* [k][d] for CVSEG_INIT_GIVEN */
    cvseg_kmeans_progress progress;
    void *progress_context;
    cvseg_kmeans_hook hook; /* optional */
    void *hook_context;
    const cvseg_kmeans_state *resume; /* optional: continue from this state */
} cvseg_kmeans_config;

typedef struct {
    double *centres; /* [k][d], allocated by cvseg_mpi_kmeans, caller frees */
    int64_t *sizes;  /* [k] */
    double inertia;  /* sum of squared distances at the final centres */
    int iterations;  /* Lloyd iterations of the best restart */
    int converged;   /* 1 if the best restart met the stopping rule */
    int best_restart;
    int restarts;
    int64_t empty_repairs;    /* empty clusters repaired over all restarts */
    double lloyd_seconds;     /* time in Lloyd iterations, all restarts */
    double seeding_seconds;   /* time in seeding, all restarts (max over ranks) */
    int64_t lloyd_iterations; /* iterations, all restarts */
} cvseg_kmeans_result;

/* Squared-distance and coordinate bound used by a run (for fingerprints). */
cvseg_status cvseg_mpi_zmax(MPI_Comm comm, const double *z, int64_t n, int d, double *zmax);

/* Clusters the n local rows of z ([d][n], standardised) whose global order
 * is rank order. z is rounded in place to the fixed-point grid of the run
 * (cvseg_kmeans_quantize). member_id [n] breaks ties in empty-cluster repair. On
 * return label [n] and distance2 [n] (squared distance to the centre) hold
 * the best restart's final assignment; until then both are work space (the
 * seeding's distances live in distance2). */
cvseg_status cvseg_mpi_kmeans(MPI_Comm comm, double *z, int64_t n, int d, const int64_t *member_id,
                              const cvseg_kmeans_config *config, int32_t *label, double *distance2,
                              cvseg_kmeans_result *result);

/* Assigns rows to fixed centres (rescoring): label [n], distance2 [n];
 * returns the global inertia. z is rounded in place as in cvseg_mpi_kmeans.
 * Collective. */
cvseg_status cvseg_mpi_kmeans_predict(MPI_Comm comm, double *z, int64_t n, int d,
                                      const double *centres, int k, int32_t *label,
                                      double *distance2, double *inertia);

#endif
