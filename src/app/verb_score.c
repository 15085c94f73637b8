/* verb_score.c: `cvseg score` (not written yet). */
#include "app.h"

cvseg_status cvseg_verb_score(cvseg_app *app)
{
    (void)app;
    return CVSEG_FAIL(CVSEG_EUSAGE, "score: not implemented yet");
}
