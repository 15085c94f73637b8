/* verb_aggregate.c: `cvseg aggregate` (not written yet). */
#include "app.h"

cvseg_status cvseg_verb_aggregate(cvseg_app *app)
{
    (void)app;
    return CVSEG_FAIL(CVSEG_EUSAGE, "aggregate: not implemented yet");
}
