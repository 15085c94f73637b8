/* verb_import.c: `cvseg import` (not written yet). */
#include "app.h"

cvseg_status cvseg_verb_import(cvseg_app *app)
{
    (void)app;
    return CVSEG_FAIL(CVSEG_EUSAGE, "import: not implemented yet");
}
