/* CSV for chart exports (RFC 4180): fields quoted when they need it, CRLF
 * line ends. A cell that a spreadsheet would run as a formula (starting with
 * = + - @, tab or CR) is prefixed with an apostrophe (CSV injection). */
#ifndef PARLEY_CSV_H
#define PARLEY_CSV_H
#include <jansson.h>

#include "buf.h"

/* Append one row: an array of strings, numbers, booleans or nulls (empty).
 * Other values (objects, arrays) are written as empty cells. */
void csv_row(buf *out, json_t *cells);

#endif
