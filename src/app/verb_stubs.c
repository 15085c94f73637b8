/* verb_stubs.c: verbs not written yet (temporary). */
#include "app.h"

cvseg_status cvseg_verb_import(cvseg_app *app)
{
    (void)app;
    return CVSEG_FAIL(CVSEG_EUSAGE, "import: not implemented yet");
}
cvseg_status cvseg_verb_aggregate(cvseg_app *app)
{
    (void)app;
    return CVSEG_FAIL(CVSEG_EUSAGE, "aggregate: not implemented yet");
}
cvseg_status cvseg_verb_rfm(cvseg_app *app)
{
    (void)app;
    return CVSEG_FAIL(CVSEG_EUSAGE, "rfm: not implemented yet");
}
cvseg_status cvseg_verb_train(cvseg_app *app)
{
    (void)app;
    return CVSEG_FAIL(CVSEG_EUSAGE, "train: not implemented yet");
}
cvseg_status cvseg_verb_score(cvseg_app *app)
{
    (void)app;
    return CVSEG_FAIL(CVSEG_EUSAGE, "score: not implemented yet");
}
cvseg_status cvseg_verb_report(cvseg_app *app)
{
    (void)app;
    return CVSEG_FAIL(CVSEG_EUSAGE, "report: not implemented yet");
}
