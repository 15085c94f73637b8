/* migration.h: the transition matrices of score --previous (migration.c),
 * indexed by cvseg_migration_matrix in job->migration.sizes / members /
 * monetary, written by pipeline_output.c as /migration/NAME_members and
 * NAME_monetary and in the summary's "migration" object. */
#ifndef CVSEG_MIGRATION_H
#define CVSEG_MIGRATION_H

/* Rows and columns of each matrix: its categories, then "absent" (last). */
typedef enum {
    CVSEG_MIGRATION_SEGMENT, /* the nine segment enum values */
    CVSEG_MIGRATION_CLUSTER, /* clusters 0..k-1, then "unclustered" */
    CVSEG_MIGRATION_ABC,     /* A, B, C, none */
    CVSEG_MIGRATION_MATRICES
} cvseg_migration_matrix;

/* "segment", "cluster", "abc". */
extern const char *const cvseg_migration_matrix_names[CVSEG_MIGRATION_MATRICES];

#endif
