/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-json"

#include "confab-json.h"

#include <string.h>

G_DEFINE_QUARK (confab-json-error-quark, confab_json_error)

const char *
confab_json_error_code (const GError *error)
{
  if (error == NULL || error->domain != CONFAB_JSON_ERROR)
    return "bad_request";

  switch ((ConfabJsonError) error->code)
    {
    case CONFAB_JSON_ERROR_TOO_LARGE:
      return "too_large";
    case CONFAB_JSON_ERROR_INVALID_UTF8:
      return "invalid_utf8";
    case CONFAB_JSON_ERROR_TOO_DEEP:
      return "too_deep";
    case CONFAB_JSON_ERROR_NOT_JSON:
      return "invalid_json";
    case CONFAB_JSON_ERROR_NOT_OBJECT:
      return "not_an_object";
    case CONFAB_JSON_ERROR_MISSING_FIELD:
      return "missing_field";
    case CONFAB_JSON_ERROR_WRONG_TYPE:
      return "invalid_field";
    case CONFAB_JSON_ERROR_BAD_VALUE:
      return "invalid_value";
    default:
      return "bad_request";
    }
}

/* Depth scanning.
 *
 * Counting brackets outside "…" strings is only safe if we split strings exactly where
 * json-glib 1.6 does, and its lexer is not a JSON lexer: it also accepts 'single-quoted'
 * strings and C comments, and a short or surrogate \u escape swallows the closing quote.
 * Each of those lets brackets that json-glib parses hide inside what a naive scanner takes
 * for a string, and a deep enough hidden nest still crashes it. So the scanner accepts
 * strict JSON lexing only. At the first byte where json-glib's reading could differ it
 * records a syntax error and from there counts every opening bracket, in a string or not,
 * which bounds the depth from above whatever json-glib makes of the rest. */

typedef struct
{
  const char *message;   /* static; NULL while the input is strict JSON so far */
  gsize       offset;
  gboolean    bad_value; /* JSON, but a value we refuse (NUL in a string, an integer too big) */
} ScanError;

static inline int
hex_value (guchar c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Reads the four hex digits of a \u escape whose backslash is at @pos. */
static gboolean
read_u_escape (const char *data,
               gsize       len,
               gsize       pos,
               guint      *out_unit)
{
  guint unit = 0;

  if (len - pos < 6 || data[pos] != '\\' || data[pos + 1] != 'u')
    return FALSE;

  for (gsize i = pos + 2; i < pos + 6; i++)
    {
      int v = hex_value ((guchar) data[i]);

      if (v < 0)
        return FALSE;
      unit = (unit << 4) | (guint) v;
    }

  *out_unit = unit;
  return TRUE;
}

/* Skips the string whose opening quote is at @pos; returns the offset after the closing
 * quote, or @len when the string is unterminated (json-glib reports that itself, and no
 * bracket follows that it could misread). */
static gsize
skip_string (const char *data,
             gsize       len,
             gsize       pos,
             ScanError  *scan_error)
{
  gsize i = pos + 1;

  while (i < len)
    {
      guchar c = (guchar) data[i];
      guint unit;
      guint low;

      if (c == '"')
        return i + 1;

      if (c != '\\')
        {
          i++;
          continue;
        }

      if (i + 1 >= len)
        return len;

      switch (data[i + 1])
        {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
          i += 2;
          break;

        case 'u':
          if (!read_u_escape (data, len, i, &unit))
            goto bad_escape;
          i += 6;

          /* json-glib ends its C string at a NUL: the text after it would be silently lost. */
          if (unit == 0)
            {
              scan_error->message = "\\u0000 (NUL) is not allowed in a string";
              scan_error->offset = i - 6;
              scan_error->bad_value = TRUE;
              return i;
            }
          if (unit >= 0xDC00 && unit <= 0xDFFF)
            goto bad_surrogate;
          if (unit >= 0xD800 && unit <= 0xDBFF)
            {
              /* json-glib reads the next two bytes as "\u" without looking first. */
              if (!read_u_escape (data, len, i, &low) || low < 0xDC00 || low > 0xDFFF)
                goto bad_surrogate;
              i += 6;
            }
          break;

        default:
          goto bad_escape;
        }
    }

  return len;

bad_escape:
  scan_error->message = "invalid escape sequence in a string";
  scan_error->offset = i;
  return i;

bad_surrogate:
  scan_error->message = "unpaired UTF-16 surrogate in a string";
  scan_error->offset = i;
  return i;
}

/* Reads the number starting at @pos; returns the offset after it. json-glib 1.6 keeps an
 * integer in a gint64 and silently wraps one beyond its range, so those are refused. */
static gsize
skip_number (const char *data,
             gsize       len,
             gsize       pos,
             ScanError  *scan_error)
{
  gboolean negative = FALSE;
  gboolean integer = TRUE;
  gsize start, n_digits;
  gsize i = pos;

  if (data[i] == '-')
    {
      negative = TRUE;
      i++;
    }
  start = i;
  while (i < len && g_ascii_isdigit (data[i]))
    i++;
  n_digits = i - start;

  while (i < len && (g_ascii_isdigit (data[i]) || data[i] == '.' || data[i] == 'e' ||
                     data[i] == 'E' || data[i] == '+' || data[i] == '-'))
    {
      integer = FALSE;
      i++;
    }

  /* -9223372036854775808 is the one 19-digit magnitude beyond the positive maximum */
  if (integer &&
      (n_digits > 19 ||
       (n_digits == 19 &&
        memcmp (data + start, negative ? "9223372036854775808" : "9223372036854775807", 19) > 0)))
    {
      scan_error->message = "an integer beyond the 64-bit range";
      scan_error->offset = pos;
      scan_error->bad_value = TRUE;
      return pos;
    }

  return i;
}

static guint
scan_depth (const char *data,
            gsize       len,
            guint       max_depth,
            ScanError  *scan_error)
{
  guint depth = 0;
  guint max_seen = 0;
  gboolean root_closed = FALSE;
  gsize i = 0;

  scan_error->message = NULL;
  scan_error->offset = 0;
  scan_error->bad_value = FALSE;

  while (i < len && scan_error->message == NULL)
    {
      guchar c = (guchar) data[i];

      if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
        {
          i++;
          continue;
        }

      /* json-glib 1.6 quietly parses a second root after the first one. */
      if (root_closed)
        {
          scan_error->message = "unexpected data after the end of the document";
          scan_error->offset = i;
          break;
        }

      switch (c)
        {
        case '[':
        case '{':
          depth++;
          if (depth > max_seen)
            {
              max_seen = depth;
              if (max_seen > max_depth)
                return max_depth + 1;
            }
          i++;
          break;

        case ']':
        case '}':
          if (depth == 0)
            {
              scan_error->message = "unbalanced bracket";
              scan_error->offset = i;
              break;
            }
          depth--;
          root_closed = (depth == 0);
          i++;
          break;

        case '"':
          i = skip_string (data, len, i, scan_error);
          break;

        case '-':
        case '0': case '1': case '2': case '3': case '4':
        case '5': case '6': case '7': case '8': case '9':
          i = skip_number (data, len, i, scan_error);
          break;

        case ',': case ':':
        case '+': case '.':
        /* the letters of true, false, null and exponents */
        case 'a': case 'e': case 'E': case 'f': case 'l':
        case 'n': case 'r': case 's': case 't': case 'u':
          i++;
          break;

        default:
          scan_error->message = "unexpected character";
          scan_error->offset = i;
          break;
        }
    }

  if (scan_error->message == NULL)
    return max_seen;

  /* Not strict JSON from scan_error->offset on: fall back to the upper bound. */
  for (i = scan_error->offset; i < len; i++)
    {
      if (data[i] == '[' || data[i] == '{')
        {
          depth++;
          if (depth > max_seen)
            {
              max_seen = depth;
              if (max_seen > max_depth)
                return max_depth + 1;
            }
        }
    }

  return max_seen;
}

/* Grammar checking.
 *
 * json-glib 1.6 leaks the objects and arrays it has built so far when it meets a syntax error
 * inside them: a few hundred bytes per bad frame or body, for as long as the relay runs (found
 * by tests/fuzz/fuzz-json under LeakSanitizer). So it only ever gets documents that are JSON:
 * after scan_depth() has bounded the nesting, this walks the grammar with a flat state machine
 * and records the first error. A document with no value at all is left to json-glib, which
 * reports it without building anything. */

static gsize
skip_literal (const char *data,
              gsize       len,
              gsize       pos,
              ScanError  *scan_error)
{
  static const char *const literals[] = { "true", "false", "null" };

  for (guint i = 0; i < G_N_ELEMENTS (literals); i++)
    {
      gsize n = strlen (literals[i]);

      if (len - pos >= n && memcmp (data + pos, literals[i], n) == 0)
        return pos + n;
    }

  scan_error->message = "expected a value";
  scan_error->offset = pos;
  return pos;
}

/* The grammar of a number, -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, where skip_number
 * (in the depth scan) only looks at its range. */
static gsize
check_number_grammar (const char *data,
                      gsize       len,
                      gsize       pos,
                      ScanError  *scan_error)
{
  gsize i = pos;

  if (i < len && data[i] == '-')
    i++;
  if (i < len && data[i] == '0')
    i++;
  else if (i < len && data[i] >= '1' && data[i] <= '9')
    while (i < len && g_ascii_isdigit (data[i]))
      i++;
  else
    goto bad;

  if (i < len && data[i] == '.')
    {
      if (++i >= len || !g_ascii_isdigit (data[i]))
        goto bad;
      while (i < len && g_ascii_isdigit (data[i]))
        i++;
    }

  if (i < len && (data[i] == 'e' || data[i] == 'E'))
    {
      i++;
      if (i < len && (data[i] == '+' || data[i] == '-'))
        i++;
      if (i >= len || !g_ascii_isdigit (data[i]))
        goto bad;
      while (i < len && g_ascii_isdigit (data[i]))
        i++;
    }

  return i;

bad:
  scan_error->message = "invalid number";
  scan_error->offset = MIN (i, len);
  return i;
}

static void
scan_grammar (const char *data,
              gsize       len,
              guint       max_depth,
              ScanError  *scan_error)
{
  enum { VALUE, VALUE_OR_END, KEY, KEY_OR_END, COLON, COMMA_OR_END, DONE } expect = VALUE;
  /* '{' or '[' per open level; scan_depth() has checked there are at most max_depth */
  g_autofree char *open = g_malloc (max_depth + 1);
  guint depth = 0;
  gboolean started = FALSE;
  gsize i = 0;

  scan_error->message = NULL;
  scan_error->offset = 0;

  while (i < len && scan_error->message == NULL)
    {
      char c = data[i];
      gboolean value_done = FALSE;

      if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
        {
          i++;
          continue;
        }
      started = TRUE;

      switch (expect)
        {
        case KEY_OR_END:
        case VALUE_OR_END:
          if (c == (expect == KEY_OR_END ? '}' : ']'))
            {
              depth--;
              i++;
              value_done = TRUE;
              break;
            }
          if (expect == VALUE_OR_END)
            goto value;
          G_GNUC_FALLTHROUGH;

        case KEY:
          if (c != '"')
            {
              scan_error->message = "expected a member name";
              scan_error->offset = i;
              break;
            }
          i = skip_string (data, len, i, scan_error);
          expect = COLON;
          break;

        case COLON:
          if (c != ':')
            {
              scan_error->message = "expected “:” after a member name";
              scan_error->offset = i;
              break;
            }
          i++;
          expect = VALUE;
          break;

        case COMMA_OR_END:
          if (c == ',')
            {
              i++;
              expect = open[depth - 1] == '{' ? KEY : VALUE;
            }
          else if (c == (open[depth - 1] == '{' ? '}' : ']'))
            {
              depth--;
              i++;
              value_done = TRUE;
            }
          else
            {
              scan_error->message = open[depth - 1] == '{' ? "expected “,” or “}”" : "expected “,” or “]”";
              scan_error->offset = i;
            }
          break;

        case DONE:
          scan_error->message = "unexpected data after the end of the document";
          scan_error->offset = i;
          break;

        case VALUE:
        value:
          if (c == '{' || c == '[')
            {
              if (depth >= max_depth)
                {
                  scan_error->message = "nested too deep";
                  scan_error->offset = i;
                  break;
                }
              open[depth++] = c;
              expect = c == '{' ? KEY_OR_END : VALUE_OR_END;
              i++;
            }
          else
            {
              if (c == '"')
                i = skip_string (data, len, i, scan_error);
              else if (c == '-' || g_ascii_isdigit (c))
                i = check_number_grammar (data, len, i, scan_error);
              else
                i = skip_literal (data, len, i, scan_error);
              value_done = TRUE;
            }
          break;

        default:
          g_assert_not_reached ();
        }

      if (value_done)
        expect = depth == 0 ? DONE : COMMA_OR_END;
    }

  /* An unterminated string runs to the end (skip_string): then so does the document. */
  if (scan_error->message == NULL && started && (expect != DONE || depth > 0))
    {
      scan_error->message = "the document ends before it is complete";
      scan_error->offset = len;
    }
}

guint
confab_json_nesting_depth (const char *data,
                           gsize       len,
                           guint       max_depth)
{
  ScanError scan_error;

  g_return_val_if_fail (data != NULL || len == 0, 0);

  return scan_depth (data, len, max_depth, &scan_error);
}

JsonObject *
confab_json_parse_object (const char  *data,
                          gsize        len,
                          gsize        max_len,
                          guint        max_depth,
                          GError     **error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) local_error = NULL;
  ScanError scan_error;
  JsonNode *root;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (data == NULL)
    data = "";

  if (len > max_len || len > G_MAXSSIZE)
    {
      g_set_error (error, CONFAB_JSON_ERROR, CONFAB_JSON_ERROR_TOO_LARGE,
                   "The document is %" G_GSIZE_FORMAT " bytes long; the limit is %"
                   G_GSIZE_FORMAT " bytes",
                   len, max_len);
      return NULL;
    }

  if (memchr (data, '\0', len) != NULL)
    {
      g_set_error_literal (error, CONFAB_JSON_ERROR, CONFAB_JSON_ERROR_INVALID_UTF8,
                           "The document contains a NUL byte");
      return NULL;
    }

  if (!g_utf8_validate_len (data, len, NULL))
    {
      g_set_error_literal (error, CONFAB_JSON_ERROR, CONFAB_JSON_ERROR_INVALID_UTF8,
                           "The document is not valid UTF-8");
      return NULL;
    }

  if (scan_depth (data, len, max_depth, &scan_error) > max_depth)
    {
      g_set_error (error, CONFAB_JSON_ERROR, CONFAB_JSON_ERROR_TOO_DEEP,
                   "Arrays and objects are nested more than %u levels deep", max_depth);
      return NULL;
    }

  if (scan_error.message != NULL && scan_error.bad_value)
    {
      g_set_error (error, CONFAB_JSON_ERROR, CONFAB_JSON_ERROR_BAD_VALUE,
                   "Refused value at byte %" G_GSIZE_FORMAT ": %s",
                   scan_error.offset, scan_error.message);
      return NULL;
    }

  /* json-glib would accept some of these, or read them differently from a JSON parser; and
   * it leaks what it built before a syntax error (scan_grammar). */
  if (scan_error.message == NULL)
    scan_grammar (data, len, max_depth, &scan_error);
  if (scan_error.message != NULL)
    {
      g_set_error (error, CONFAB_JSON_ERROR, CONFAB_JSON_ERROR_NOT_JSON,
                   "Invalid JSON at byte %" G_GSIZE_FORMAT ": %s",
                   scan_error.offset, scan_error.message);
      return NULL;
    }

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, (gssize) len, &local_error))
    {
      g_set_error_literal (error, CONFAB_JSON_ERROR, CONFAB_JSON_ERROR_NOT_JSON,
                           local_error->message);
      return NULL;
    }

  /* json-glib 1.6 takes an empty or blank document as a success with no root. */
  root = json_parser_get_root (parser);
  if (root == NULL)
    {
      g_set_error_literal (error, CONFAB_JSON_ERROR, CONFAB_JSON_ERROR_NOT_JSON,
                           "The document is empty");
      return NULL;
    }

  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, CONFAB_JSON_ERROR, CONFAB_JSON_ERROR_NOT_OBJECT,
                           "The document must be a JSON object");
      return NULL;
    }

  return json_object_ref (json_node_get_object (root));
}

/* Typed getters */

/* The member @field, or NULL when it is absent or JSON null; sets the error for a
 * required one. */
static JsonNode *
lookup_member (JsonObject  *object,
               const char  *field,
               gboolean     required,
               gboolean    *out_ok,
               GError     **error)
{
  JsonNode *node = json_object_get_member (object, field);

  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      *out_ok = TRUE;
      return node;
    }

  if (required)
    {
      g_set_error (error, CONFAB_JSON_ERROR, CONFAB_JSON_ERROR_MISSING_FIELD,
                   "“%s” is required", field);
      *out_ok = FALSE;
    }
  else
    {
      *out_ok = TRUE;
    }

  return NULL;
}

static gboolean
wrong_type (const char  *field,
            const char  *expected,
            GError     **error)
{
  g_set_error (error, CONFAB_JSON_ERROR, CONFAB_JSON_ERROR_WRONG_TYPE,
               "“%s” must be %s", field, expected);
  return FALSE;
}

static gboolean
holds_value_of_type (JsonNode *node,
                     GType     type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

/* @out_value points into @object and lives as long as it. */
gboolean
confab_json_get_string (JsonObject   *object,
                        const char   *field,
                        gboolean      required,
                        const char  **out_value,
                        GError      **error)
{
  JsonNode *node;
  gboolean ok;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (field != NULL, FALSE);

  if (out_value != NULL)
    *out_value = NULL;

  node = lookup_member (object, field, required, &ok, error);
  if (node == NULL)
    return ok;

  if (!holds_value_of_type (node, G_TYPE_STRING))
    return wrong_type (field, "a string", error);

  if (out_value != NULL)
    *out_value = json_node_get_string (node);
  return TRUE;
}

gboolean
confab_json_get_int (JsonObject  *object,
                     const char  *field,
                     gboolean     required,
                     gint64       default_value,
                     gint64      *out_value,
                     GError     **error)
{
  JsonNode *node;
  gboolean ok;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (field != NULL, FALSE);

  if (out_value != NULL)
    *out_value = default_value;

  node = lookup_member (object, field, required, &ok, error);
  if (node == NULL)
    return ok;

  /* json-glib keeps 1.5 and 1e3 as doubles; an id or a count must not be silently
   * truncated from one. */
  if (!holds_value_of_type (node, G_TYPE_INT64))
    return wrong_type (field, "an integer", error);

  if (out_value != NULL)
    *out_value = json_node_get_int (node);
  return TRUE;
}

gboolean
confab_json_get_bool (JsonObject  *object,
                      const char  *field,
                      gboolean     required,
                      gboolean     default_value,
                      gboolean    *out_value,
                      GError     **error)
{
  JsonNode *node;
  gboolean ok;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (field != NULL, FALSE);

  if (out_value != NULL)
    *out_value = default_value;

  node = lookup_member (object, field, required, &ok, error);
  if (node == NULL)
    return ok;

  if (!holds_value_of_type (node, G_TYPE_BOOLEAN))
    return wrong_type (field, "true or false", error);

  if (out_value != NULL)
    *out_value = json_node_get_boolean (node);
  return TRUE;
}

/* Like the string getter, @out_value is borrowed from @object: no new reference. */
gboolean
confab_json_get_object (JsonObject   *object,
                        const char   *field,
                        gboolean      required,
                        JsonObject  **out_value,
                        GError      **error)
{
  JsonNode *node;
  gboolean ok;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (field != NULL, FALSE);

  if (out_value != NULL)
    *out_value = NULL;

  node = lookup_member (object, field, required, &ok, error);
  if (node == NULL)
    return ok;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return wrong_type (field, "an object", error);

  if (out_value != NULL)
    *out_value = json_node_get_object (node);
  return TRUE;
}

gboolean
confab_json_get_strv (JsonObject   *object,
                      const char   *field,
                      gboolean      required,
                      char       ***out_value,
                      GError      **error)
{
  g_autoptr (GPtrArray) strv = NULL;
  JsonNode *node;
  JsonArray *array;
  guint n_elements;
  gboolean ok;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (field != NULL, FALSE);

  if (out_value != NULL)
    *out_value = NULL;

  node = lookup_member (object, field, required, &ok, error);
  if (node == NULL)
    return ok;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return wrong_type (field, "an array of strings", error);

  array = json_node_get_array (node);
  n_elements = json_array_get_length (array);
  strv = g_ptr_array_new_full (n_elements + 1, g_free);

  for (guint i = 0; i < n_elements; i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!holds_value_of_type (element, G_TYPE_STRING))
        return wrong_type (field, "an array of strings", error);

      g_ptr_array_add (strv, g_strdup (json_node_get_string (element)));
    }

  g_ptr_array_add (strv, NULL);

  if (out_value != NULL)
    *out_value = (char **) g_ptr_array_free (g_steal_pointer (&strv), FALSE);
  return TRUE;
}

char *
confab_json_node_to_string (JsonNode *node)
{
  g_return_val_if_fail (node != NULL, NULL);

  return json_to_string (node, FALSE);
}

char *
confab_json_object_to_string (JsonObject *object)
{
  g_autoptr (JsonNode) node = NULL;

  g_return_val_if_fail (object != NULL, NULL);

  node = json_node_init_object (json_node_alloc (), object);
  return json_to_string (node, FALSE);
}

glong
confab_utf8_length (const char *text)
{
  g_return_val_if_fail (text != NULL, 0);

  return g_utf8_strlen (text, -1);
}
