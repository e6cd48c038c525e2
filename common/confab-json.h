/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-json.h: safe parsing of untrusted JSON frames and bodies, typed field access.
 *
 * Debian 12's json-glib 1.6 recurses once per nesting level and crashes on very deep input,
 * so every untrusted document goes through confab_json_parse_object(), which checks size,
 * UTF-8 and depth with a flat scan before json-glib sees a byte.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CONFAB_JSON_ERROR (confab_json_error_quark ())

typedef enum {
  CONFAB_JSON_ERROR_TOO_LARGE,     /* longer than the limit given */
  CONFAB_JSON_ERROR_INVALID_UTF8,  /* not valid UTF-8 (or contains NUL) */
  CONFAB_JSON_ERROR_TOO_DEEP,      /* arrays/objects nested deeper than the limit */
  CONFAB_JSON_ERROR_NOT_JSON,      /* json-glib could not parse it */
  CONFAB_JSON_ERROR_NOT_OBJECT,    /* valid JSON, but the root is not an object */
  CONFAB_JSON_ERROR_MISSING_FIELD, /* a required field is absent or null */
  CONFAB_JSON_ERROR_WRONG_TYPE,    /* a field has another JSON type than expected */
  CONFAB_JSON_ERROR_BAD_VALUE,     /* right type, value out of range (set by callers) */
} ConfabJsonError;

GQuark       confab_json_error_quark      (void);

/* The protocol's snake_case error code for a CONFAB_JSON_ERROR:
 * "too_large", "invalid_utf8", "too_deep", "invalid_json", "not_an_object",
 * "missing_field", "invalid_field", "invalid_value". "bad_request" for other errors. */
const char  *confab_json_error_code       (const GError *error);

/* Nesting depth of @data (1 for "{}"), counting only brackets outside strings.
 * Stops counting and returns max_depth + 1 as soon as that is exceeded. */
guint        confab_json_nesting_depth    (const char   *data,
                                           gsize         len,
                                           guint         max_depth);

/* Checks @len <= @max_len, UTF-8 validity, depth <= @max_depth, then parses.
 * Returns a new reference to the root object or NULL with @error set. */
JsonObject  *confab_json_parse_object     (const char   *data,
                                           gsize         len,
                                           gsize         max_len,
                                           guint         max_depth,
                                           GError      **error);

/* Typed getters. A field that is absent or JSON null is "missing": an error when @required,
 * else TRUE with the out value left as NULL / the default given. A field of another type is
 * always CONFAB_JSON_ERROR_WRONG_TYPE. Messages name the field: "“body” must be a string". */
gboolean     confab_json_get_string       (JsonObject   *object,
                                           const char   *field,
                                           gboolean      required,
                                           const char  **out_value,
                                           GError      **error);
gboolean     confab_json_get_int          (JsonObject   *object,
                                           const char   *field,
                                           gboolean      required,
                                           gint64        default_value,
                                           gint64       *out_value,
                                           GError      **error);
gboolean     confab_json_get_bool         (JsonObject   *object,
                                           const char   *field,
                                           gboolean      required,
                                           gboolean      default_value,
                                           gboolean     *out_value,
                                           GError      **error);
gboolean     confab_json_get_object       (JsonObject   *object,
                                           const char   *field,
                                           gboolean      required,
                                           JsonObject  **out_value,
                                           GError      **error);
/* Every element must be a string; the result is a new NULL-terminated vector. */
gboolean     confab_json_get_strv         (JsonObject   *object,
                                           const char   *field,
                                           gboolean      required,
                                           char       ***out_value,
                                           GError      **error);

/* Compact serialisation of a node / object. */
char        *confab_json_node_to_string   (JsonNode     *node);
char        *confab_json_object_to_string (JsonObject   *object);

/* Number of Unicode characters in a valid UTF-8 string (for "1..4000 chars" limits). */
glong        confab_utf8_length           (const char   *text);

G_END_DECLS
