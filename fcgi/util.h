/* Process-wide helpers: fatal errors and timestamps. */
#ifndef PARLEY_UTIL_H
#define PARLEY_UTIL_H
#include <stddef.h>
#include <stdbool.h>

_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
double now_ms(void);                               /* monotonic clock, milliseconds */
bool utf8_valid(const char *s, size_t n);          /* strict: no overlongs, surrogates, > U+10FFFF */
size_t utf8_length(const char *s, size_t n);       /* code points in valid UTF-8 */
bool const_time_eq(const char *a, const char *b);  /* NUL-terminated, timing independent of content */

#endif
