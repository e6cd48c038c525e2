/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-assistant-sources.c: see the header. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-assistant-sources.h"

/* @url as an absolute http(s) URL, or NULL: a label's link opens in the browser, so nothing
 * else (javascript:, file:) may become one. */
static char *
link_of (const char *url,
         const char *relay_url)
{
  g_autofree char *absolute = NULL;
  g_autofree char *scheme = NULL;

  if (url == NULL || *url == '\0')
    return NULL;
  if (relay_url != NULL)
    absolute = g_uri_resolve_relative (relay_url, url, G_URI_FLAGS_NONE, NULL);
  else
    absolute = g_strdup (url);
  if (absolute == NULL)
    return NULL;
  scheme = g_uri_parse_scheme (absolute);
  if (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0)
    return NULL;
  return g_steal_pointer (&absolute);
}

char *
confab_assistant_sources_markup (JsonArray  *sources,
                                 const char *relay_url)
{
  g_autoptr (GString) line = NULL;
  guint shown = 0;

  if (sources == NULL)
    return NULL;
  line = g_string_new (NULL);
  for (guint i = 0; i < json_array_get_length (sources); i++)
    {
      JsonNode *element = json_array_get_element (sources, i);
      JsonObject *source;
      JsonNode *title_node, *url_node;
      const char *title, *url = NULL;
      g_autofree char *link = NULL;
      g_autofree char *part = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        continue;
      source = json_node_get_object (element);
      title_node = json_object_get_member (source, "title");
      if (title_node == NULL || !JSON_NODE_HOLDS_VALUE (title_node) ||
          json_node_get_value_type (title_node) != G_TYPE_STRING)
        continue;
      title = json_node_get_string (title_node);
      url_node = json_object_get_member (source, "url");
      if (url_node != NULL && JSON_NODE_HOLDS_VALUE (url_node) &&
          json_node_get_value_type (url_node) == G_TYPE_STRING)
        url = json_node_get_string (url_node);
      link = link_of (url, relay_url);
      part = link != NULL ? g_markup_printf_escaped ("<a href=\"%s\">%s</a>", link, title)
                          : g_markup_escape_text (title, -1);
      if (shown++ > 0)
        g_string_append (line, " · ");
      g_string_append (line, part);
    }
  if (shown == 0)
    return NULL;
  {
    g_autofree char *head = g_markup_escape_text (_("Sources:"), -1);

    g_string_prepend_c (line, ' ');
    g_string_prepend (line, head);
  }
  return g_string_free (g_steal_pointer (&line), FALSE);
}
