/* adapter_x.c (being written). */
#include "adapters.h"

static const char *plan(arena *a, const stream *s, page_plan *out)
{
    (void)a, (void)s, (void)out;
    return "no harvester adapter for this platform yet";
}

const adapter x_adapter = {.platform = "x", .plan = plan};
