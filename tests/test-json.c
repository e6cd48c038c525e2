/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-json"

#include "confab-json.h"
#include "confab-util.h"

#include <string.h>

#define MAX_LEN   65536
#define MAX_DEPTH 32

/* Helpers */

static JsonObject *
parse_len (const char  *data,
           gsize        len,
           GError     **error)
{
  return confab_json_parse_object (data, len, MAX_LEN, MAX_DEPTH, error);
}

static JsonObject *
parse_ok (const char *data)
{
  g_autoptr (GError) error = NULL;
  JsonObject *object = parse_len (data, strlen (data), &error);

  g_assert_no_error (error);
  g_assert_nonnull (object);
  return object;
}

static void
assert_parse_fails_len (const char *data,
                        gsize       len,
                        gsize       max_len,
                        guint       max_depth,
                        int         code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = NULL;

  object = confab_json_parse_object (data, len, max_len, max_depth, &error);
  g_assert_null (object);
  g_assert_error (error, CONFAB_JSON_ERROR, code);
  g_assert_nonnull (error->message);
  g_assert_cmpstr (error->message, !=, "");
}

static void
assert_parse_fails (const char *data,
                    int         code)
{
  assert_parse_fails_len (data, strlen (data), MAX_LEN, MAX_DEPTH, code);
}

/* "{"a":" + [[[…]]] + "}": an object holding arrays, @depth levels in all. */
static GString *
nested_arrays (guint depth)
{
  GString *s = g_string_new ("{\"a\":");

  for (guint i = 1; i < depth; i++)
    g_string_append_c (s, '[');
  g_string_append_c (s, '0');
  for (guint i = 1; i < depth; i++)
    g_string_append_c (s, ']');
  g_string_append_c (s, '}');
  return s;
}

/* {"a":{"a":…{}…}}, @depth levels. */
static GString *
nested_objects (guint depth)
{
  GString *s = g_string_new (NULL);

  for (guint i = 1; i < depth; i++)
    g_string_append (s, "{\"a\":");
  g_string_append (s, "{}");
  for (guint i = 1; i < depth; i++)
    g_string_append_c (s, '}');
  return s;
}

/* Asserts the error and that its message names the field in the house quotes. */
static void
assert_field_error (const GError *error,
                    int           code,
                    const char   *field)
{
  g_autofree char *quoted = g_strdup_printf ("“%s”", field);

  g_assert_error (error, CONFAB_JSON_ERROR, code);
  g_assert_nonnull (strstr (error->message, quoted));
}

/* Parsing */

static void
test_parse_valid (void)
{
  g_autoptr (JsonObject) empty = parse_ok ("{}");
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (JsonObject) spaced = parse_ok (" \t\r\n{ \"k\" : [ 1 , 2 ] }\n ");
  g_autoptr (JsonObject) escaped = NULL;
  const char *s;

  g_assert_cmpuint (json_object_get_size (empty), ==, 0);
  g_assert_cmpuint (json_object_get_size (spaced), ==, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (spaced, "k")), ==, 2);

  object = parse_ok ("{\"type\":\"send\",\"n\":-7,\"ok\":false,\"x\":null,"
                     "\"obj\":{\"b\":[1,2.5,\"s\",true,null,{}]},\"e\":1e3}");
  g_assert_cmpuint (json_object_get_size (object), ==, 6);
  g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, "send");
  g_assert_cmpint (json_object_get_int_member (object, "n"), ==, -7);
  g_assert_false (json_object_get_boolean_member (object, "ok"));
  g_assert_true (json_object_get_null_member (object, "x"));

  /* Every JSON escape, a surrogate pair and raw UTF-8 */
  escaped = parse_ok ("{\"s\":\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9 \\ud83d\\ude00 é\"}");
  g_assert_true (confab_json_get_string (escaped, "s", TRUE, &s, NULL));
  g_assert_cmpstr (s, ==, "q\" b\\ s/ \b\f\n\r\t é 😀 é");
}

static void
test_parse_not_nul_terminated (void)
{
  /* A frame is not a C string: the length, not a NUL, must end it. */
  const char frame[] = "{\"a\":1}GARBAGE";
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = parse_len (frame, 7, &error);

  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (object, "a"), ==, 1);
}

static void
test_parse_empty (void)
{
  assert_parse_fails_len (NULL, 0, MAX_LEN, MAX_DEPTH, CONFAB_JSON_ERROR_NOT_JSON);
  assert_parse_fails ("", CONFAB_JSON_ERROR_NOT_JSON);
  assert_parse_fails ("   \n\t", CONFAB_JSON_ERROR_NOT_JSON);
}

static void
test_parse_not_object (void)
{
  const char *docs[] = { "null", "[]", "[{}]", "42", "-1.5", "\"x\"", "true", " false " };

  for (gsize i = 0; i < G_N_ELEMENTS (docs); i++)
    {
      g_test_message ("%s", docs[i]);
      assert_parse_fails (docs[i], CONFAB_JSON_ERROR_NOT_OBJECT);
    }
}

static void
test_parse_not_json (void)
{
  const char *docs[] = {
    "{", "}", "hello", "{} x", "{\"a\":1} {", "{\"a\":}", "{\"a\" 1}", "{\"a\":1,}",
    "{a:1}", "{\"a\":[1 2]}", "{\"a\":tru}", "{\"a\":\"unterminated}", "{\"a\":1]",
    "[}", "]{}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (docs); i++)
    {
      g_test_message ("%s", docs[i]);
      assert_parse_fails (docs[i], CONFAB_JSON_ERROR_NOT_JSON);
    }
}

static void
test_parse_json_glib_extensions (void)
{
  /* json-glib 1.6 accepts all of these, or reads them differently from JSON; the
   * scanner rejects them so that its view of strings always matches json-glib's. */
  const char *docs[] = {
    "{'a':1}",                        /* single-quoted strings */
    "{\"a\":'[[['}",
    "/* c */ {}",                     /* C comments */
    "{\"a\":1 /* \" */}",
    "{\"a\":0x10}",                   /* hex and $hex numbers */
    "{\"a\":$10}",
    "{}{}",                           /* several roots */
    "{\"type\":\"a\"}{\"type\":\"b\"}",
    "{\"a\":\"\\x41\"}",              /* escapes JSON does not have */
    "{\"a\":\"\\101\"}",
    "{\"a\":\"\\'\"}",
    "{\"a\":\"\\u12\"}",              /* short \u escape */
    "{\"a\":\"\\u12g4\"}",
    "{\"a\":\"\\ud800\"}",            /* lone or malformed surrogates */
    "{\"a\":\"\\udc00\"}",
    "{\"a\":\"\\ud800\\u0041\"}",
    "{\"a\":\"\\ud800\\ud800\"}",
    "{\"a\":\"\\ud800\"}\"}",         /* json-glib would read this one as valid */
    "{\"A\":TRUE}",
    "{\"a\":1}\xc2\xa0",              /* non-ASCII "whitespace" */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (docs); i++)
    {
      g_test_message ("%s", docs[i]);
      assert_parse_fails (docs[i], CONFAB_JSON_ERROR_NOT_JSON);
    }
}

static void
test_parse_invalid_utf8 (void)
{
  const char *bad[] = {
    "\xc0\xaf",          /* overlong '/' */
    "\xe0\x80\xaf",      /* overlong, 3 bytes */
    "\x80",              /* lone continuation byte */
    "\xe2\x82",          /* truncated sequence */
    "\xf0\x9f\x98",      /* truncated 4-byte sequence */
    "\xff",
    "\xfe",
    "\xed\xa0\x80",      /* UTF-8 encoded surrogate */
    "\xf4\x90\x80\x80",  /* above U+10FFFF */
  };
  const char with_nul[] = "{\"a\":\"x\0y\"}";

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *in_string = g_strdup_printf ("{\"a\":\"%s\"}", bad[i]);
      g_autofree char *in_key = g_strdup_printf ("{\"%s\":1}", bad[i]);

      assert_parse_fails (in_string, CONFAB_JSON_ERROR_INVALID_UTF8);
      assert_parse_fails (in_key, CONFAB_JSON_ERROR_INVALID_UTF8);
      assert_parse_fails (bad[i], CONFAB_JSON_ERROR_INVALID_UTF8);
    }

  assert_parse_fails_len (with_nul, sizeof with_nul - 1, MAX_LEN, MAX_DEPTH,
                          CONFAB_JSON_ERROR_INVALID_UTF8);
  assert_parse_fails_len ("{}\0", 3, MAX_LEN, MAX_DEPTH, CONFAB_JSON_ERROR_INVALID_UTF8);
  assert_parse_fails_len ("\0{}", 3, MAX_LEN, MAX_DEPTH, CONFAB_JSON_ERROR_INVALID_UTF8);
}

static void
test_parse_too_large (void)
{
  const char *doc = "{\"a\":\"12345\"}";
  gsize len = strlen (doc);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = NULL;

  object = confab_json_parse_object (doc, len, len, MAX_DEPTH, &error);
  g_assert_no_error (error);
  g_assert_nonnull (object);

  assert_parse_fails_len (doc, len, len - 1, MAX_DEPTH, CONFAB_JSON_ERROR_TOO_LARGE);
  assert_parse_fails_len (doc, len, 0, MAX_DEPTH, CONFAB_JSON_ERROR_TOO_LARGE);
}

static void
test_parse_check_order (void)
{
  g_autoptr (GString) deep = nested_arrays (MAX_DEPTH + 1);
  g_autoptr (GString) deep_bad_utf8 = nested_arrays (MAX_DEPTH + 1);
  g_autoptr (GString) deep_not_json = nested_arrays (MAX_DEPTH + 1);

  /* Size before UTF-8 */
  assert_parse_fails_len ("\xff\xff\xff", 3, 2, MAX_DEPTH, CONFAB_JSON_ERROR_TOO_LARGE);

  /* UTF-8 before depth */
  g_string_insert (deep_bad_utf8, 1, "\xff");
  assert_parse_fails (deep_bad_utf8->str, CONFAB_JSON_ERROR_INVALID_UTF8);

  /* Depth before syntax, even where the syntax error comes first */
  g_string_truncate (deep, deep->len - 1);
  assert_parse_fails (deep->str, CONFAB_JSON_ERROR_TOO_DEEP);
  g_string_insert (deep_not_json, 5, "'x', ");
  assert_parse_fails (deep_not_json->str, CONFAB_JSON_ERROR_TOO_DEEP);

  /* Syntax before the root type */
  assert_parse_fails ("[1,]", CONFAB_JSON_ERROR_NOT_JSON);
}

/* Grammar: json-glib 1.6 leaks what it has built when it meets a syntax error inside an
 * object or array, so such documents must be refused by our own scan ("Invalid JSON at byte
 * N: ...") before json-glib sees them; valid JSON still parses. */
static void
test_parse_grammar (void)
{
  static const char *const bad[] = {
    "{\"a\":{\"b\":[1,2,}}",          /* trailing comma in an array */
    "{\"a\":1,}",                     /* and in an object */
    "{\"a\" 1}",                      /* no colon */
    "{\"a\":}",                       /* no value */
    "{1:2}",                          /* a member name that is no string */
    "{\"a\":[1 2]}",                  /* no comma */
    "{\"a\":{\"b\":\"c\"]}",          /* the wrong closing bracket */
    "{\"a\":[{\"b\":tru}]}",          /* a cut literal */
    "{\"a\":nulll}",                  /* a longer one */
    "{\"a\":01}",                     /* leading zero */
    "{\"a\":1.}",                     /* no fraction digits */
    "{\"a\":-}",                      /* a lone minus */
    "{\"a\":1e}",                     /* no exponent digits */
    "{\"a\":{\"b\":[\"c\"",           /* cut short */
    "{\"a\":{\"b\":\"unterminated}}",  /* a string that runs to the end */
  };
  static const char *const good[] = {
    "{\"a\":{\"b\":[1,-2.5e+3,0,1E5,-0.0,true,false,null,\"x\",[],{}]}}",
    " { \"a\" : [ 1 , 2 ] , \"b\" : { } } ",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonObject) object = NULL;

      g_test_message ("%s", bad[i]);
      object = confab_json_parse_object (bad[i], strlen (bad[i]), MAX_LEN, MAX_DEPTH, &error);
      g_assert_null (object);
      g_assert_error (error, CONFAB_JSON_ERROR, CONFAB_JSON_ERROR_NOT_JSON);
      g_assert_true (g_str_has_prefix (error->message, "Invalid JSON at byte "));
    }

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (JsonObject) object = parse_ok (good[i]);
    }
}

/* Depth */

static void
test_depth_limit (void)
{
  for (guint depth = 1; depth <= MAX_DEPTH + 1; depth++)
    {
      g_autoptr (GString) arrays = nested_arrays (depth);
      g_autoptr (GString) objects = nested_objects (depth);

      g_assert_cmpuint (confab_json_nesting_depth (arrays->str, arrays->len, 1000), ==, depth);
      g_assert_cmpuint (confab_json_nesting_depth (objects->str, objects->len, 1000), ==, depth);

      if (depth <= MAX_DEPTH)
        {
          g_autoptr (JsonObject) a = parse_ok (arrays->str);
          g_autoptr (JsonObject) o = parse_ok (objects->str);
        }
      else
        {
          assert_parse_fails (arrays->str, CONFAB_JSON_ERROR_TOO_DEEP);
          assert_parse_fails (objects->str, CONFAB_JSON_ERROR_TOO_DEEP);
        }
    }
}

static void
test_depth_counting (void)
{
  struct {
    const char *doc;
    guint depth;
  } cases[] = {
    { "", 0 },
    { "42", 0 },
    { "\"[[[\"", 0 },
    { "{}", 1 },
    { "[]", 1 },
    { "[[]]", 2 },
    { "[[],[],{}]", 2 },
    { "{\"a\":[1],\"b\":{\"c\":[[2]]}}", 4 },
    { "{\"a\":\"[[[[\\\"[[[\"}", 1 },            /* brackets after an escaped quote */
    { "{\"a\":\"{{{\\\\\",\"b\":[[]]}", 3 },      /* an escaped backslash ends no string */
    { "{\"a\":\"\\\\\\\"[[[\"}", 1 },             /* \\ then \" : still in the string */
    { "{\"[[[[\":\"]]]]]]\"}", 1 },
    { "{\"a\":\"\\u005b\\u007b\"}", 1 },          /* escaped brackets are text */
    { "{\"a\":\"\\ud83d\\ude00[[\"}", 1 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("%s", cases[i].doc);
      g_assert_cmpuint (confab_json_nesting_depth (cases[i].doc, strlen (cases[i].doc), 100),
                        ==, cases[i].depth);
    }

  /* Stops as soon as the limit is passed */
  g_assert_cmpuint (confab_json_nesting_depth ("[[[[[[", 6, 2), ==, 3);
  g_assert_cmpuint (confab_json_nesting_depth ("[[[]]]", 6, 0), ==, 1);

  /* Parsing with a depth limit of 1 proves that the strings did not count */
  {
    const char *doc = "{\"a\":\"[[[[\\\"[[[\",\"b\":\"\\\\\",\"c\":\"{\"}";
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) object = NULL;
    const char *s;

    object = confab_json_parse_object (doc, strlen (doc), MAX_LEN, 1, &error);
    g_assert_no_error (error);
    g_assert_true (confab_json_get_string (object, "a", TRUE, &s, NULL));
    g_assert_cmpstr (s, ==, "[[[[\"[[[");
    g_assert_true (confab_json_get_string (object, "b", TRUE, &s, NULL));
    g_assert_cmpstr (s, ==, "\\");

    doc = "{\"a\":\"\\\\\",\"b\":[]}";
    assert_parse_fails_len (doc, strlen (doc), MAX_LEN, 1, CONFAB_JSON_ERROR_TOO_DEEP);
  }
}

static void
test_depth_non_json_upper_bound (void)
{
  /* Where json-glib could read strings differently, every later bracket counts. */
  g_assert_cmpuint (confab_json_nesting_depth ("['\"', [[]]]", 11, 100), ==, 3);
  g_assert_cmpuint (confab_json_nesting_depth ("{'a':'[[['}", 11, 100), ==, 4);
  g_assert_cmpuint (confab_json_nesting_depth ("[\"\\ud800\",\"[\"]", 14, 100), ==, 2);
  g_assert_cmpuint (confab_json_nesting_depth ("[\"\\ud800\",\"[\"]", 14, 1), ==, 2);
}

static void
assert_huge_too_deep (const char *label,
                      GString    *doc)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = NULL;
  gint64 start = g_get_monotonic_time ();
  gint64 elapsed_ms;

  object = confab_json_parse_object (doc->str, doc->len, G_MAXSIZE, MAX_DEPTH, &error);
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  g_test_message ("%s: %" G_GSIZE_FORMAT " bytes rejected in %" G_GINT64_FORMAT " ms",
                  label, doc->len, elapsed_ms);

  g_assert_null (object);
  g_assert_error (error, CONFAB_JSON_ERROR, CONFAB_JSON_ERROR_TOO_DEEP);
  /* A flat scan of a few MB; generous so that valgrind passes too */
  g_assert_cmpint (elapsed_ms, <, 20000);
}

static GString *
repeated (const char *prefix,
          const char *unit,
          guint       times)
{
  GString *s = g_string_new (prefix);

  for (guint i = 0; i < times; i++)
    g_string_append (s, unit);
  return s;
}

static void
test_depth_huge (void)
{
  /* Debian 12's json-glib overflows the stack on each of these: none may reach it. */
  const guint levels = 1000000;
  g_autoptr (GString) arrays = repeated ("", "[", levels);
  g_autoptr (GString) objects = repeated ("", "{\"a\":", levels);
  g_autoptr (GString) closed = nested_arrays (levels);
  /* Each hides the brackets from a scanner that only knows "…" strings and \-escapes. */
  g_autoptr (GString) single_quote = repeated ("{\"a\":['\"', ", "[", levels);
  g_autoptr (GString) comment = repeated ("{\"a\":/* \" */ ", "[", levels);
  g_autoptr (GString) surrogate = repeated ("{\"a\":[\"\\ud800\",\", ", "[", levels);
  g_autoptr (GString) short_u = repeated ("{\"a\":[\"\\u1\",\", ", "[", levels);

  assert_huge_too_deep ("arrays", arrays);
  assert_huge_too_deep ("objects", objects);
  assert_huge_too_deep ("closed arrays", closed);
  assert_huge_too_deep ("single quote", single_quote);
  assert_huge_too_deep ("comment", comment);
  assert_huge_too_deep ("lone surrogate", surrogate);
  assert_huge_too_deep ("short \\u", short_u);

  g_assert_cmpuint (confab_json_nesting_depth (arrays->str, arrays->len, G_MAXUINT - 1),
                    ==, levels);
}

/* Getters */

static void
test_get_string (void)
{
  g_autoptr (JsonObject) object = parse_ok ("{\"body\":\"hi\",\"empty\":\"\",\"nul\":null,"
                                            "\"n\":1,\"b\":true,\"o\":{},\"a\":[\"x\"]}");
  const char *wrong[] = { "n", "b", "o", "a" };
  const char *value = NULL;

  g_assert_true (confab_json_get_string (object, "body", TRUE, &value, NULL));
  g_assert_cmpstr (value, ==, "hi");
  g_assert_true (confab_json_get_string (object, "empty", TRUE, &value, NULL));
  g_assert_cmpstr (value, ==, "");

  /* Absent or null and optional */
  value = "stale";
  g_assert_true (confab_json_get_string (object, "absent", FALSE, &value, NULL));
  g_assert_null (value);
  value = "stale";
  g_assert_true (confab_json_get_string (object, "nul", FALSE, &value, NULL));
  g_assert_null (value);

  /* Absent or null and required */
  {
    g_autoptr (GError) error = NULL;

    g_assert_false (confab_json_get_string (object, "absent", TRUE, &value, &error));
    assert_field_error (error, CONFAB_JSON_ERROR_MISSING_FIELD, "absent");
    g_assert_cmpstr (confab_json_error_code (error), ==, "missing_field");
  }
  {
    g_autoptr (GError) error = NULL;

    g_assert_false (confab_json_get_string (object, "nul", TRUE, &value, &error));
    assert_field_error (error, CONFAB_JSON_ERROR_MISSING_FIELD, "nul");
  }

  /* Another type: an error even when optional */
  for (gsize i = 0; i < G_N_ELEMENTS (wrong); i++)
    for (int required = 0; required <= 1; required++)
      {
        g_autoptr (GError) error = NULL;

        g_assert_false (confab_json_get_string (object, wrong[i], required, &value, &error));
        assert_field_error (error, CONFAB_JSON_ERROR_WRONG_TYPE, wrong[i]);
        g_assert_cmpstr (confab_json_error_code (error), ==, "invalid_field");
      }

  /* The message format the protocol shows */
  {
    g_autoptr (JsonObject) frame = parse_ok ("{\"body\":5}");
    g_autoptr (GError) error = NULL;

    g_assert_false (confab_json_get_string (frame, "body", TRUE, &value, &error));
    g_assert_cmpstr (error->message, ==, "“body” must be a string");
  }

  /* The error may be ignored */
  g_assert_false (confab_json_get_string (object, "n", FALSE, &value, NULL));
}

static void
test_get_int (void)
{
  g_autoptr (JsonObject) object = parse_ok ("{\"n\":42,\"neg\":-5,\"zero\":0,"
                                            "\"max\":9223372036854775807,"
                                            "\"min\":-9223372036854775808,\"nul\":null,"
                                            "\"half\":1.5,\"whole\":2.0,\"exp\":1e3,"
                                            "\"t\":true,\"f\":false,\"s\":\"42\","
                                            "\"o\":{},\"a\":[1]}");
  const char *wrong[] = { "half", "whole", "exp", "t", "f", "s", "o", "a" };
  gint64 value = 0;

  g_assert_true (confab_json_get_int (object, "n", TRUE, 7, &value, NULL));
  g_assert_cmpint (value, ==, 42);
  g_assert_true (confab_json_get_int (object, "neg", TRUE, 7, &value, NULL));
  g_assert_cmpint (value, ==, -5);
  g_assert_true (confab_json_get_int (object, "zero", FALSE, 7, &value, NULL));
  g_assert_cmpint (value, ==, 0);
  g_assert_true (confab_json_get_int (object, "max", TRUE, 7, &value, NULL));
  g_assert_cmpint (value, ==, G_MAXINT64);
  g_assert_true (confab_json_get_int (object, "min", TRUE, 7, &value, NULL));
  g_assert_cmpint (value, ==, G_MININT64);

  /* Absent or null and optional: the default */
  value = 0;
  g_assert_true (confab_json_get_int (object, "absent", FALSE, 50, &value, NULL));
  g_assert_cmpint (value, ==, 50);
  value = 0;
  g_assert_true (confab_json_get_int (object, "nul", FALSE, -3, &value, NULL));
  g_assert_cmpint (value, ==, -3);

  {
    g_autoptr (GError) error = NULL;

    g_assert_false (confab_json_get_int (object, "absent", TRUE, 50, &value, &error));
    assert_field_error (error, CONFAB_JSON_ERROR_MISSING_FIELD, "absent");
  }
  {
    g_autoptr (GError) error = NULL;

    g_assert_false (confab_json_get_int (object, "nul", TRUE, 50, &value, &error));
    assert_field_error (error, CONFAB_JSON_ERROR_MISSING_FIELD, "nul");
  }

  /* Doubles (even whole ones), booleans, strings, containers */
  for (gsize i = 0; i < G_N_ELEMENTS (wrong); i++)
    for (int required = 0; required <= 1; required++)
      {
        g_autoptr (GError) error = NULL;

        g_test_message ("%s", wrong[i]);
        g_assert_false (confab_json_get_int (object, wrong[i], required, 0, &value, &error));
        assert_field_error (error, CONFAB_JSON_ERROR_WRONG_TYPE, wrong[i]);
      }
}

static void
test_get_bool (void)
{
  g_autoptr (JsonObject) object = parse_ok ("{\"t\":true,\"f\":false,\"nul\":null,\"one\":1,"
                                            "\"zero\":0,\"s\":\"true\",\"a\":[]}");
  const char *wrong[] = { "one", "zero", "s", "a" };
  gboolean value;

  value = FALSE;
  g_assert_true (confab_json_get_bool (object, "t", TRUE, FALSE, &value, NULL));
  g_assert_true (value);
  value = TRUE;
  g_assert_true (confab_json_get_bool (object, "f", TRUE, TRUE, &value, NULL));
  g_assert_false (value);

  value = FALSE;
  g_assert_true (confab_json_get_bool (object, "absent", FALSE, TRUE, &value, NULL));
  g_assert_true (value);
  value = TRUE;
  g_assert_true (confab_json_get_bool (object, "nul", FALSE, FALSE, &value, NULL));
  g_assert_false (value);

  {
    g_autoptr (GError) error = NULL;

    g_assert_false (confab_json_get_bool (object, "absent", TRUE, FALSE, &value, &error));
    assert_field_error (error, CONFAB_JSON_ERROR_MISSING_FIELD, "absent");
  }
  {
    g_autoptr (GError) error = NULL;

    g_assert_false (confab_json_get_bool (object, "nul", TRUE, FALSE, &value, &error));
    assert_field_error (error, CONFAB_JSON_ERROR_MISSING_FIELD, "nul");
  }

  for (gsize i = 0; i < G_N_ELEMENTS (wrong); i++)
    for (int required = 0; required <= 1; required++)
      {
        g_autoptr (GError) error = NULL;

        g_assert_false (confab_json_get_bool (object, wrong[i], required, FALSE, &value,
                                              &error));
        assert_field_error (error, CONFAB_JSON_ERROR_WRONG_TYPE, wrong[i]);
      }
}

static void
test_get_object (void)
{
  g_autoptr (JsonObject) object = parse_ok ("{\"o\":{\"k\":\"v\"},\"e\":{},\"nul\":null,"
                                            "\"a\":[{}],\"s\":\"{}\",\"n\":1}");
  const char *wrong[] = { "a", "s", "n" };
  JsonObject *value = NULL;

  g_assert_true (confab_json_get_object (object, "o", TRUE, &value, NULL));
  g_assert_nonnull (value);
  g_assert_cmpstr (json_object_get_string_member (value, "k"), ==, "v");
  g_assert_true (confab_json_get_object (object, "e", TRUE, &value, NULL));
  g_assert_cmpuint (json_object_get_size (value), ==, 0);

  value = object;
  g_assert_true (confab_json_get_object (object, "absent", FALSE, &value, NULL));
  g_assert_null (value);
  value = object;
  g_assert_true (confab_json_get_object (object, "nul", FALSE, &value, NULL));
  g_assert_null (value);

  {
    g_autoptr (GError) error = NULL;

    g_assert_false (confab_json_get_object (object, "absent", TRUE, &value, &error));
    assert_field_error (error, CONFAB_JSON_ERROR_MISSING_FIELD, "absent");
  }
  {
    g_autoptr (GError) error = NULL;

    g_assert_false (confab_json_get_object (object, "nul", TRUE, &value, &error));
    assert_field_error (error, CONFAB_JSON_ERROR_MISSING_FIELD, "nul");
  }

  for (gsize i = 0; i < G_N_ELEMENTS (wrong); i++)
    for (int required = 0; required <= 1; required++)
      {
        g_autoptr (GError) error = NULL;

        g_assert_false (confab_json_get_object (object, wrong[i], required, &value, &error));
        assert_field_error (error, CONFAB_JSON_ERROR_WRONG_TYPE, wrong[i]);
      }
}

static void
test_get_strv (void)
{
  g_autoptr (JsonObject) object = parse_ok ("{\"ids\":[\"a\",\"b\",\"\"],\"empty\":[],"
                                            "\"nul\":null,\"s\":\"a\",\"o\":{},"
                                            "\"num\":[\"a\",1],\"with_null\":[\"a\",null],"
                                            "\"nested\":[\"a\",[\"b\"]],\"b\":[true]}");
  const char *wrong[] = { "s", "o", "num", "with_null", "nested", "b" };

  {
    g_auto (GStrv) value = NULL;

    g_assert_true (confab_json_get_strv (object, "ids", TRUE, &value, NULL));
    g_assert_nonnull (value);
    g_assert_cmpuint (g_strv_length (value), ==, 3);
    g_assert_cmpstr (value[0], ==, "a");
    g_assert_cmpstr (value[1], ==, "b");
    g_assert_cmpstr (value[2], ==, "");
    g_assert_null (value[3]);
  }
  {
    g_auto (GStrv) value = NULL;

    /* An empty array is an empty vector, not "missing" */
    g_assert_true (confab_json_get_strv (object, "empty", TRUE, &value, NULL));
    g_assert_nonnull (value);
    g_assert_null (value[0]);
  }
  {
    g_auto (GStrv) value = NULL;

    g_assert_true (confab_json_get_strv (object, "absent", FALSE, &value, NULL));
    g_assert_null (value);
    g_assert_true (confab_json_get_strv (object, "nul", FALSE, &value, NULL));
    g_assert_null (value);
  }
  {
    g_auto (GStrv) value = NULL;
    g_autoptr (GError) error = NULL;

    g_assert_false (confab_json_get_strv (object, "absent", TRUE, &value, &error));
    assert_field_error (error, CONFAB_JSON_ERROR_MISSING_FIELD, "absent");
    g_assert_null (value);
  }
  {
    g_auto (GStrv) value = NULL;
    g_autoptr (GError) error = NULL;

    g_assert_false (confab_json_get_strv (object, "nul", TRUE, &value, &error));
    assert_field_error (error, CONFAB_JSON_ERROR_MISSING_FIELD, "nul");
  }

  for (gsize i = 0; i < G_N_ELEMENTS (wrong); i++)
    for (int required = 0; required <= 1; required++)
      {
        g_auto (GStrv) value = NULL;
        g_autoptr (GError) error = NULL;

        g_test_message ("%s", wrong[i]);
        g_assert_false (confab_json_get_strv (object, wrong[i], required, &value, &error));
        assert_field_error (error, CONFAB_JSON_ERROR_WRONG_TYPE, wrong[i]);
        g_assert_null (value);
      }
}

/* Error codes */

static void
test_error_codes (void)
{
  struct {
    int code;
    const char *name;
  } codes[] = {
    { CONFAB_JSON_ERROR_TOO_LARGE, "too_large" },
    { CONFAB_JSON_ERROR_INVALID_UTF8, "invalid_utf8" },
    { CONFAB_JSON_ERROR_TOO_DEEP, "too_deep" },
    { CONFAB_JSON_ERROR_NOT_JSON, "invalid_json" },
    { CONFAB_JSON_ERROR_NOT_OBJECT, "not_an_object" },
    { CONFAB_JSON_ERROR_MISSING_FIELD, "missing_field" },
    { CONFAB_JSON_ERROR_WRONG_TYPE, "invalid_field" },
    { CONFAB_JSON_ERROR_BAD_VALUE, "invalid_value" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      g_autoptr (GError) error = g_error_new_literal (CONFAB_JSON_ERROR, codes[i].code, "x");

      g_assert_cmpstr (confab_json_error_code (error), ==, codes[i].name);
    }

  {
    g_autoptr (GError) unknown = g_error_new_literal (CONFAB_JSON_ERROR, 999, "x");
    g_autoptr (GError) other = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "x");
    g_autoptr (GError) parse = g_error_new_literal (JSON_PARSER_ERROR,
                                                    CONFAB_JSON_ERROR_TOO_DEEP, "x");

    g_assert_cmpstr (confab_json_error_code (unknown), ==, "bad_request");
    g_assert_cmpstr (confab_json_error_code (other), ==, "bad_request");
    g_assert_cmpstr (confab_json_error_code (parse), ==, "bad_request");
    g_assert_cmpstr (confab_json_error_code (NULL), ==, "bad_request");
  }

  /* From real failures */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) object = parse_len ("[]", 2, &error);

    g_assert_cmpstr (confab_json_error_code (error), ==, "not_an_object");
  }
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) object = parse_len ("{", 1, &error);

    g_assert_cmpstr (confab_json_error_code (error), ==, "invalid_json");
  }
}

/* Serialisation and text length */

static void
test_to_string (void)
{
  const char *doc = "{\"a\":1,\"b\":[true,null,\"x\\\"y\"],\"c\":{\"d\":-2}}";
  g_autoptr (JsonObject) object = parse_ok ("{ \"a\" : 1,\n \"b\" : [ true, null, \"x\\\"y\" ],"
                                            " \"c\" : { \"d\" : -2 } }");
  g_autofree char *text = confab_json_object_to_string (object);
  g_autofree char *node_text = NULL;
  g_autoptr (JsonNode) node = json_from_string ("[1, \"é\", {}]", NULL);

  g_assert_cmpstr (text, ==, doc);
  node_text = confab_json_node_to_string (node);
  g_assert_cmpstr (node_text, ==, "[1,\"é\",{}]");

  /* The object is still usable: the temporary node only borrowed it */
  g_assert_cmpint (json_object_get_int_member (object, "a"), ==, 1);

  /* Round trip */
  {
    g_autoptr (JsonObject) again = parse_ok (text);
    g_autofree char *again_text = confab_json_object_to_string (again);

    g_assert_cmpstr (again_text, ==, doc);
  }
}

static void
test_utf8_length (void)
{
  g_assert_cmpint (confab_utf8_length (""), ==, 0);
  g_assert_cmpint (confab_utf8_length ("abc"), ==, 3);
  g_assert_cmpint (confab_utf8_length ("héllo"), ==, 5);
  g_assert_cmpint (confab_utf8_length ("😀"), ==, 1);
  g_assert_cmpint (confab_utf8_length ("日本語"), ==, 3);
}

/* Values json-glib 1.6 would change silently: a NUL inside a string (its C string ends
 * there) and an integer beyond int64 (it wraps). */
static void
test_refused_values (void)
{
  static const char *refused[] = {
    "{\"a\":\"x\\u0000y\"}",
    "{\"a\":\"\\u0000\"}",
    "{\"a\":[\"ok\",\"\\u0000\"]}",
    "{\"k\\u0000\":1}",                           /* in a member name too */
    "{\"a\":9223372036854775808}",
    "{\"a\":-9223372036854775809}",
    "{\"a\":18446744073709551626}",
    "{\"a\":[1,2,99999999999999999999]}",
    "{\"a\":{\"b\":123456789012345678901234567890}}",
  };
  static const struct {
    const char *text;
    gint64      value;
  } kept[] = {
    { "{\"a\":9223372036854775807}", G_MAXINT64 },
    { "{\"a\":-9223372036854775808}", G_MININT64 },
    { "{\"a\":-0}", 0 },
    { "{\"a\":1234567890123456789}", G_GINT64_CONSTANT (1234567890123456789) },
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_test_message ("%s", refused[i]);
      assert_parse_fails (refused[i], CONFAB_JSON_ERROR_BAD_VALUE);
    }

  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    {
      g_autoptr (JsonObject) object = parse_ok (kept[i].text);

      g_assert_cmpint (json_object_get_int_member (object, "a"), ==, kept[i].value);
    }

  /* an escaped backslash followed by the letters u0000 is text, not a NUL */
  {
    g_autoptr (JsonObject) object = parse_ok ("{\"a\":\"\\\\u0000\"}");
    g_assert_cmpstr (json_object_get_string_member (object, "a"), ==, "\\u0000");
  }
  /* big numbers that are not integers stay doubles, as before */
  {
    g_autoptr (JsonObject) object = parse_ok ("{\"a\":99999999999999999999.5,\"b\":1e30}");
    g_assert_cmpfloat (json_object_get_double_member (object, "b"), ==, 1e30);
  }
  /* other escapes still work */
  {
    g_autoptr (JsonObject) object = parse_ok ("{\"a\":\"\\u0001\\u00e9\"}");
    g_assert_cmpstr (json_object_get_string_member (object, "a"), ==, "\x01\xc3\xa9");
  }
  /* still counted for depth after a refused value: the error stays BAD_VALUE, not TOO_DEEP */
  assert_parse_fails ("{\"a\":\"\\u0000\",\"b\":[[[]]]}", CONFAB_JSON_ERROR_BAD_VALUE);
}

static void
test_iana_zone_names (void)
{
  static const char *names[] = {
    "UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "Etc/GMT-14",
    "America/Port-au-Prince", "EST5EDT",
  };
  static const char *not_names[] = {
    "", "/usr/share/zoneinfo/UTC", "../../../../etc/passwd", "Europe/../UTC", ":/etc/localtime",
    "Europe//Berlin", "Europe/", "/Europe", "1Europe", "Europe/Berlin ", "Europe\\Berlin",
    "+05:00", "Europe/Ber.lin",
    "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",   /* 65 */
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_true (confab_is_iana_zone_name (names[i]));
  for (guint i = 0; i < G_N_ELEMENTS (not_names); i++)
    {
      g_test_message ("“%s”", not_names[i]);
      g_assert_false (confab_is_iana_zone_name (not_names[i]));
    }
  g_assert_false (confab_is_iana_zone_name (NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/common/json/parse/valid", test_parse_valid);
  g_test_add_func ("/common/json/parse/not-nul-terminated", test_parse_not_nul_terminated);
  g_test_add_func ("/common/json/parse/empty", test_parse_empty);
  g_test_add_func ("/common/json/parse/not-object", test_parse_not_object);
  g_test_add_func ("/common/json/parse/not-json", test_parse_not_json);
  g_test_add_func ("/common/json/parse/json-glib-extensions", test_parse_json_glib_extensions);
  g_test_add_func ("/common/json/parse/invalid-utf8", test_parse_invalid_utf8);
  g_test_add_func ("/common/json/parse/too-large", test_parse_too_large);
  g_test_add_func ("/common/json/parse/check-order", test_parse_check_order);
  g_test_add_func ("/common/json/depth/limit", test_depth_limit);
  g_test_add_func ("/common/json/depth/counting", test_depth_counting);
  g_test_add_func ("/common/json/depth/non-json-upper-bound", test_depth_non_json_upper_bound);
  g_test_add_func ("/common/json/depth/huge", test_depth_huge);
  g_test_add_func ("/common/json/get/string", test_get_string);
  g_test_add_func ("/common/json/get/int", test_get_int);
  g_test_add_func ("/common/json/get/bool", test_get_bool);
  g_test_add_func ("/common/json/get/object", test_get_object);
  g_test_add_func ("/common/json/get/strv", test_get_strv);
  g_test_add_func ("/common/json/error-codes", test_error_codes);
  g_test_add_func ("/common/json/to-string", test_to_string);
  g_test_add_func ("/common/json/utf8-length", test_utf8_length);
  g_test_add_func ("/common/json/parse/refused-values", test_refused_values);
  g_test_add_func ("/common/util/iana-zone-name", test_iana_zone_names);
  g_test_add_func ("/common/json/parse/grammar", test_parse_grammar);

  return g_test_run ();
}
