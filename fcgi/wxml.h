/* Minimal reader for WeChat push bodies: flat XML such as
 *   <xml><ToUserName><![CDATA[toUser]]></ToUserName><CreateTime>1348831860</CreateTime></xml>
 * One scanner checks the whole document on every call, so a field is only
 * ever returned from a document that is well-formed in this subset:
 *   - optional leading whitespace and one <?xml ...?> declaration, comments;
 *   - root element named "xml"; after it only whitespace and comments;
 *   - elements with optional attributes, self-closing tags, at most
 *     WX_MAX_DEPTH open elements (the root counts);
 *   - text with the five predefined entities and numeric character
 *     references, CDATA sections;
 *   - strict UTF-8 without NUL and without C0 controls other than tab, CR,
 *     LF (raw or as references), as XML 1.0 requires.
 * Refused: DOCTYPE, ENTITY or any other <! declaration (no DTDs, so no
 * entity expansion or external entities), processing instructions other than
 * the leading declaration, "]]>" outside CDATA, input over WX_MAX_INPUT. */
#ifndef PARLEY_WXML_H
#define PARLEY_WXML_H
#include <stdbool.h>
#include <stddef.h>

#define WX_MAX_INPUT (1u << 20) /* bytes */
#define WX_MAX_DEPTH 8

typedef enum {
    WX_OK = 0,          /* field found */
    WX_ABSENT = 1,      /* well-formed, no such direct child of <xml> */
    WX_MALFORMED = -1,  /* not well-formed, bad UTF-8, or NULL xml */
    WX_TOO_BIG = -2,    /* n > WX_MAX_INPUT */
    WX_TOO_DEEP = -3,   /* more than WX_MAX_DEPTH open elements */
    WX_DECLARATION = -4 /* <!DOCTYPE, <!ENTITY, ... (refused outright) */
} wx_status;

/* Text of the first element named tag (case-sensitive) that is a direct
 * child of the root <xml> (deeper elements of that name are not matches).
 * The text is the element's own character data in document order: CDATA
 * sections verbatim, other text with entities and character references
 * decoded, no trimming; text inside nested child elements is not included.
 * xml is n bytes, not necessarily NUL-terminated; tag is NUL-terminated.
 * On WX_OK, if out is not NULL, *out is a malloc'ed NUL-terminated string
 * (valid UTF-8, no NUL inside) that the caller frees; otherwise *out = NULL.
 * A NULL or empty tag matches nothing. */
wx_status wx_field(const char *xml, size_t n, const char *tag, char **out);

/* The same scanner without extracting anything. */
bool wx_well_formed(const char *xml, size_t n);

#endif
