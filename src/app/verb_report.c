/* verb_report.c: `cvseg report` (not written yet). */
#include "app.h"

cvseg_status cvseg_verb_report(cvseg_app *app)
{
    (void)app;
    return CVSEG_FAIL(CVSEG_EUSAGE, "report: not implemented yet");
}
