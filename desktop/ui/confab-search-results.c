/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-search-results.c: the relay's search results (see the header). Asked only when the
 * cache found nothing: the cache has the recent conversations, the relay every one. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-client-chat.h"
#include "confab-client-http.h"
#include "confab-format.h"
#include "confab-search-results.h"
#include "confab-util.h"

/* Typing goes on: ask once it pauses. */
#define SEARCH_DELAY_MS 350

struct _ConfabSearchResults
{
  GtkWidget      parent_instance;

  GtkWidget     *scroller;
  GtkWidget     *status;
  GtkListBox    *list;
  GtkWidget     *more;

  ConfabAccount *account;
  char          *text;
  char          *site_id;
  char          *next_before;
  guint          delay_source;
  GCancellable  *cancellable;
};

enum {
  SIGNAL_OPEN_RESULT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ConfabSearchResults, confab_search_results, GTK_TYPE_WIDGET)

static void
set_status (ConfabSearchResults *self,
            const char          *text)
{
  gtk_label_set_text (GTK_LABEL (self->status), text != NULL ? text : "");
  gtk_widget_set_visible (self->status, text != NULL);
}

static void
clear (ConfabSearchResults *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  g_clear_pointer (&self->next_before, g_free);
  gtk_widget_set_visible (self->more, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->list), FALSE);
}

static GtkWidget *
result_row (JsonObject *result)
{
  const char *snippet = json_object_get_string_member_with_default (result, "snippet", "");
  const char *created = json_object_get_string_member_with_default (result, "created_at", NULL);
  JsonObject *sender = json_object_has_member (result, "sender") &&
                       JSON_NODE_HOLDS_OBJECT (json_object_get_member (result, "sender"))
                       ? json_object_get_object_member (result, "sender") : NULL;
  const char *name = sender != NULL ? json_object_get_string_member_with_default (sender, "name", NULL) : NULL;
  const char *type = sender != NULL ? json_object_get_string_member_with_default (sender, "type", NULL) : NULL;
  g_autofree char *who = NULL;
  g_autofree char *when = NULL;
  g_autofree char *title = NULL;
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *heading = gtk_label_new (NULL);
  GtkWidget *text = gtk_label_new (snippet);
  gint64 at = 0;

  who = g_strdup (name != NULL && *name != '\0' ? name
                  : g_strcmp0 (type, "visitor") == 0 ? _("Visitor") : _("Team"));
  if (created != NULL && confab_parse_time (created, &at))
    when = confab_format_time_short (at);
  title = when != NULL ? g_strdup_printf ("%s · %s", who, when) : g_strdup (who);
  gtk_label_set_text (GTK_LABEL (heading), title);
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_label_set_ellipsize (GTK_LABEL (heading), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (heading, "heading");
  gtk_label_set_xalign (GTK_LABEL (text), 0);
  gtk_label_set_wrap (GTK_LABEL (text), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (text), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_lines (GTK_LABEL (text), 2);
  gtk_label_set_ellipsize (GTK_LABEL (text), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (text, "dim-label");
  gtk_box_append (GTK_BOX (box), heading);
  gtk_box_append (GTK_BOX (box), text);
  gtk_widget_set_margin_top (box, 8);
  gtk_widget_set_margin_bottom (box, 8);
  gtk_widget_set_margin_start (box, 10);
  gtk_widget_set_margin_end (box, 10);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_widget_set_name (row, "search-result");
  g_object_set_data_full (G_OBJECT (row), "conversation-id",
                          g_strdup (json_object_get_string_member_with_default (result, "conversation_id", NULL)),
                          g_free);
  g_object_set_data (G_OBJECT (row), "seq",
                     GINT_TO_POINTER ((int) json_object_get_int_member_with_default (result, "seq", 0)));
  return row;
}

static void
search_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  ConfabSearchResults *self;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_get_json_finish (CONFAB_CLIENT (source), result, &error);
  JsonNode *results, *next;
  guint shown = 0;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = user_data;
  if (answer == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("The relay could not search: %s"), error->message);

      set_status (self, text);
      return;
    }
  results = json_object_get_member (answer, "results");
  for (guint i = 0; results != NULL && JSON_NODE_HOLDS_ARRAY (results) &&
                    i < json_array_get_length (json_node_get_array (results)); i++)
    {
      JsonNode *node = json_array_get_element (json_node_get_array (results), i);

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          json_object_get_string_member_with_default (json_node_get_object (node), "conversation_id", NULL) == NULL)
        continue;
      gtk_list_box_append (self->list, result_row (json_node_get_object (node)));
      shown++;
    }
  g_clear_pointer (&self->next_before, g_free);
  next = json_object_get_member (answer, "next_before");
  if (next != NULL && JSON_NODE_HOLDS_VALUE (next))
    self->next_before = JSON_NODE_TYPE (next) == JSON_NODE_VALUE && json_node_get_value_type (next) == G_TYPE_STRING
                        ? g_strdup (json_node_get_string (next))
                        : g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (next));
  gtk_widget_set_visible (self->more, self->next_before != NULL);
  if (gtk_widget_get_first_child (GTK_WIDGET (self->list)) == NULL)
    set_status (self, _("No conversation on the relay has these words either."));
  else
    {
      set_status (self, _("Not in this app's recent conversations: found on the relay"));
      gtk_widget_set_visible (GTK_WIDGET (self->list), TRUE);
    }
  (void) shown;
}

static void
ask (ConfabSearchResults *self,
     const char          *before)
{
  ConfabClient *client = self->account != NULL ? confab_account_get_client (self->account) : NULL;
  g_autofree char *path = NULL;

  if (client == NULL || self->text == NULL)
    return;
  if (confab_client_get_state (client) != CONFAB_CLIENT_ONLINE)
    {
      set_status (self, _("No match here. Offline: the relay's search is there once the connection is back."));
      return;
    }
  if (before == NULL)
    set_status (self, _("No match here: searching every conversation on the relay…"));
  path = confab_client_search_path (self->text, self->site_id, before);
  confab_client_get_json_async (client, path, self->cancellable, search_cb, self);
}

static gboolean
delay_cb (gpointer user_data)
{
  ConfabSearchResults *self = user_data;

  self->delay_source = 0;
  ask (self, NULL);
  return G_SOURCE_REMOVE;
}

void
confab_search_results_search (ConfabSearchResults *self,
                              const char          *text,
                              const char          *site_id)
{
  g_return_if_fail (CONFAB_IS_SEARCH_RESULTS (self));

  if (text != NULL && *text == '\0')
    text = NULL;
  if (g_strcmp0 (text, self->text) == 0 && g_strcmp0 (site_id, self->site_id) == 0)
    return;
  g_free (self->text);
  self->text = g_strdup (text);
  g_free (self->site_id);
  self->site_id = g_strdup (site_id);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_handle_id (&self->delay_source, g_source_remove);
  clear (self);
  set_status (self, NULL);
  if (text != NULL)
    self->delay_source = g_timeout_add (SEARCH_DELAY_MS, delay_cb, self);
}

void
confab_search_results_set_account (ConfabSearchResults *self,
                                   ConfabAccount       *account)
{
  g_return_if_fail (CONFAB_IS_SEARCH_RESULTS (self));

  confab_search_results_search (self, NULL, NULL);
  g_set_object (&self->account, account);
}

static void
on_row_activated (ConfabSearchResults *self,
                  GtkListBoxRow       *row)
{
  const char *conversation_id = g_object_get_data (G_OBJECT (row), "conversation-id");

  if (conversation_id != NULL)
    g_signal_emit (self, signals[SIGNAL_OPEN_RESULT], 0, conversation_id,
                   (gint64) GPOINTER_TO_INT (g_object_get_data (G_OBJECT (row), "seq")));
}

static void
on_more_clicked (ConfabSearchResults *self)
{
  if (self->next_before != NULL)
    {
      g_autofree char *before = g_strdup (self->next_before);

      gtk_widget_set_visible (self->more, FALSE);
      ask (self, before);
    }
}

static void
confab_search_results_dispose (GObject *object)
{
  ConfabSearchResults *self = CONFAB_SEARCH_RESULTS (object);

  g_clear_handle_id (&self->delay_source, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->account);
  g_clear_pointer (&self->scroller, gtk_widget_unparent);
  G_OBJECT_CLASS (confab_search_results_parent_class)->dispose (object);
}

static void
confab_search_results_finalize (GObject *object)
{
  ConfabSearchResults *self = CONFAB_SEARCH_RESULTS (object);

  g_free (self->text);
  g_free (self->site_id);
  g_free (self->next_before);
  G_OBJECT_CLASS (confab_search_results_parent_class)->finalize (object);
}

static void
confab_search_results_class_init (ConfabSearchResultsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_search_results_dispose;
  object_class->finalize = confab_search_results_finalize;
  /* (conversation id, seq of the found message) */
  signals[SIGNAL_OPEN_RESULT] =
    g_signal_new ("open-result", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_INT64);
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
}

static void
confab_search_results_init (ConfabSearchResults *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);

  self->cancellable = g_cancellable_new ();
  self->status = gtk_label_new (NULL);
  gtk_widget_set_name (self->status, "search-status");
  gtk_label_set_wrap (GTK_LABEL (self->status), TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->status), 0);
  gtk_widget_add_css_class (self->status, "dim-label");
  gtk_widget_add_css_class (self->status, "caption");
  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_widget_set_name (GTK_WIDGET (self->list), "search-results");
  gtk_list_box_set_selection_mode (self->list, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "boxed-list");
  g_signal_connect_swapped (self->list, "row-activated", G_CALLBACK (on_row_activated), self);
  self->more = gtk_button_new_with_mnemonic (_("_More Results"));
  gtk_widget_set_halign (self->more, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (self->more, "clicked", G_CALLBACK (on_more_clicked), self);
  gtk_box_append (GTK_BOX (box), self->status);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->list));
  gtk_box_append (GTK_BOX (box), self->more);
  gtk_widget_set_margin_start (box, 10);
  gtk_widget_set_margin_end (box, 10);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 10);
  self->scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scroller), box);
  gtk_widget_set_parent (self->scroller, GTK_WIDGET (self));
  clear (self);
  set_status (self, NULL);
}
