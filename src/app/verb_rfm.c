/* verb_rfm.c: `cvseg rfm` (not written yet). */
#include "app.h"

cvseg_status cvseg_verb_rfm(cvseg_app *app)
{
    (void)app;
    return CVSEG_FAIL(CVSEG_EUSAGE, "rfm: not implemented yet");
}
