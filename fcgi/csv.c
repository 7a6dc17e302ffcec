#include "csv.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void cell(buf *out, const char *s)
{
    bool formula = strchr("=+-@\t\r", s[0]) && s[0];
    bool quote = formula || strpbrk(s, ",\"\r\n") != NULL;
    if (quote)
        buf_putc(out, '"');
    if (formula)
        buf_putc(out, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            buf_putc(out, '"');
        buf_putc(out, *p);
    }
    if (quote)
        buf_putc(out, '"');
}

/* The shortest of %.15g, %.16g, %.17g that reads back as the same double:
 * 17.4, not 17.399999999999999. */
static void real_text(char *num, size_t size, double d)
{
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(num, size, "%.*g", digits, d);
        if (strtod(num, NULL) == d)
            return;
    }
}

void csv_row(buf *out, json_t *cells)
{
    size_t i;
    json_t *v;
    json_array_foreach(cells, i, v) {
        if (i)
            buf_putc(out, ',');
        char num[64];
        switch (json_typeof(v)) {
        case JSON_STRING: cell(out, json_string_value(v)); break;
        /* numbers are written as they are: a spreadsheet may evaluate "-3" only as -3 */
        case JSON_INTEGER: snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); buf_puts(out, num); break;
        case JSON_REAL: real_text(num, sizeof num, json_real_value(v)); buf_puts(out, num); break;
        case JSON_TRUE: buf_puts(out, "true"); break;
        case JSON_FALSE: buf_puts(out, "false"); break;
        default: break;
        }
    }
    buf_puts(out, "\r\n");
}
