/* verb_train.c: `cvseg train` (not written yet). */
#include "app.h"

cvseg_status cvseg_verb_train(cvseg_app *app)
{
    (void)app;
    return CVSEG_FAIL(CVSEG_EUSAGE, "train: not implemented yet");
}
