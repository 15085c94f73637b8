/* report.h: renderings of the summary documents for `cvseg report`. */
#ifndef CVSEG_REPORT_H
#define CVSEG_REPORT_H

#include <jansson.h>
#include <stdio.h>

/* One self-contained HTML page (inline CSS and SVG charts, no scripts, no
 * external assets): doc is a results file's summary (or NULL), sweep a
 * sweep file's summary (or NULL); at least one is given. doc may gain a
 * helper key ("clusters_as_groups" under kmeans). */
void cvseg_report_html(FILE *out, json_t *doc, json_t *sweep);

#endif
