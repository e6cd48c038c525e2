/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-json.c: libFuzzer target for the guard every untrusted JSON document passes (size,
 * UTF-8, depth with a flat scan) and json-glib's parse behind it, then the typed getters the
 * frame and body handlers read fields with.
 *
 * The guard exists because json-glib 1.6 recurses per nesting level: whatever it lets through
 * must parse without blowing the stack (ASan reports a stack overflow as a crash). */
#define G_LOG_DOMAIN "fuzz-json"

#include "confab-json.h"

#include <stdint.h>
#include <stdlib.h>

#define MAX_LEN   (64 * 1024)
#define MAX_DEPTH 32

/* The fields frames and bodies have; each is read with every getter, as a handler that
 * expects another type would. */
static const char *const fields[] = {
  "type", "client_id", "body", "attachment_id", "conversation_id", "visitor_token", "url",
  "title", "referrer", "name", "email", "user_agent", "text", "after_seq", "cursor", "rating",
  "comment", "status", "presence", "domains", "settings", "enabled", "password", "role",
};

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (GError) error = NULL;
  guint depth;

  depth = confab_json_nesting_depth ((const char *) data, size, MAX_DEPTH);
  if (depth > MAX_DEPTH + 1)
    abort ();

  object = confab_json_parse_object ((const char *) data, size, MAX_LEN, MAX_DEPTH, &error);
  if ((object == NULL) == (error == NULL))
    abort ();
  if (object == NULL)
    {
      /* every refusal maps to one of the protocol's codes */
      if (error->domain != CONFAB_JSON_ERROR || g_str_equal (confab_json_error_code (error), "bad_request"))
        abort ();
      return 0;
    }

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_autoptr (GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL, e5 = NULL;
      const char *text = NULL;
      gint64 number;
      gboolean flag;
      JsonObject *child = NULL;
      g_auto (GStrv) strv = NULL;

      if (confab_json_get_string (object, fields[i], FALSE, &text, &e1) && text != NULL &&
          confab_utf8_length (text) < 0)
        abort ();
      confab_json_get_int (object, fields[i], FALSE, 0, &number, &e2);
      confab_json_get_bool (object, fields[i], FALSE, FALSE, &flag, &e3);
      confab_json_get_object (object, fields[i], FALSE, &child, &e4);
      if (confab_json_get_strv (object, fields[i], FALSE, &strv, &e5) && strv != NULL)
        for (guint j = 0; strv[j]; j++)
          if (!g_utf8_validate (strv[j], -1, NULL))
            abort ();
    }

  /* what the relay echoes back must be a document it would take again */
  {
    g_autofree char *text = confab_json_object_to_string (object);

    if (confab_json_nesting_depth (text, strlen (text), MAX_DEPTH) > MAX_DEPTH)
      abort ();
  }

  return 0;
}
