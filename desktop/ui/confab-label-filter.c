/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-label-filter.c: the inbox's label filter (see the header). The labels of each site
 * are read once online (GET /api/v1/sites/{id}/labels) and follow the pushed `labels` frames;
 * a label deleted while chosen leaves the filter on "any". */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-client-chat.h"
#include "confab-client-http.h"
#include "confab-label-filter.h"
#include "confab-labels.h"

struct _ConfabLabelFilter
{
  GtkWidget      parent_instance;

  GtkWidget     *button;
  GtkWidget     *box;        /* the popover's rows */
  ConfabAccount *account;
  char          *site_id;
  char          *label_id;
  char          *label_name;
  GHashTable    *labels;     /* site id → JsonArray of its labels */
  GCancellable  *cancellable;
};

enum {
  PROP_0,
  PROP_LABEL_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (ConfabLabelFilter, confab_label_filter, GTK_TYPE_WIDGET)

static void rebuild (ConfabLabelFilter *self);

static void
update_button (ConfabLabelFilter *self)
{
  g_autofree char *tooltip = NULL;

  if (self->label_id != NULL)
    {
      gtk_menu_button_set_label (GTK_MENU_BUTTON (self->button),
                                 self->label_name != NULL ? self->label_name : _("Label"));
      gtk_widget_add_css_class (self->button, "accent");
      /* Translators: %s is a label's name */
      tooltip = g_strdup_printf (_("Only conversations labelled “%s”"),
                                 self->label_name != NULL ? self->label_name : "");
    }
  else
    {
      gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (self->button), "confab-label-symbolic");
      gtk_widget_remove_css_class (self->button, "accent");
      tooltip = g_strdup (_("Filter by Label"));
    }
  /* the state is the accessible label's (and the button's own label): a tooltip set anew
   * here re-queried the one under the pointer, which under X11 could cost the next click */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  tooltip, -1);
}

static void
choose (ConfabLabelFilter *self,
        const char        *label_id,
        const char        *name)
{
  if (g_strcmp0 (label_id, self->label_id) == 0)
    return;
  g_free (self->label_id);
  self->label_id = g_strdup (label_id);
  g_free (self->label_name);
  self->label_name = g_strdup (name);
  update_button (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LABEL_ID]);
}

static void
on_row_clicked (GtkButton         *button,
                ConfabLabelFilter *self)
{
  choose (self, g_object_get_data (G_OBJECT (button), "label-id"),
          g_object_get_data (G_OBJECT (button), "label-name"));
  gtk_menu_button_popdown (GTK_MENU_BUTTON (self->button));
}

static GtkWidget *
add_row (ConfabLabelFilter *self,
         const char        *id,
         const char        *name,
         const char        *color)
{
  GtkWidget *button = gtk_button_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *label = gtk_label_new (name);

  if (id != NULL)
    gtk_box_append (GTK_BOX (box), confab_label_dot_new (color));
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_box_append (GTK_BOX (box), label);
  if (g_strcmp0 (id, self->label_id) == 0)
    gtk_box_append (GTK_BOX (box), gtk_image_new_from_icon_name ("object-select-symbolic"));
  gtk_button_set_child (GTK_BUTTON (button), box);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_name (button, "label-filter-row");
  g_object_set_data_full (G_OBJECT (button), "label-id", g_strdup (id), g_free);
  g_object_set_data_full (G_OBJECT (button), "label-name", g_strdup (name), g_free);
  g_signal_connect (button, "clicked", G_CALLBACK (on_row_clicked), self);
  gtk_box_append (GTK_BOX (self->box), button);
  return button;
}

static void
add_site (ConfabLabelFilter *self,
          const char        *site_id,
          gboolean          *chosen_seen)
{
  JsonArray *labels = g_hash_table_lookup (self->labels, site_id);

  for (guint i = 0; labels != NULL && i < json_array_get_length (labels); i++)
    {
      JsonNode *node = json_array_get_element (labels, i);
      JsonObject *label;
      const char *id, *name;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      label = json_node_get_object (node);
      id = json_object_get_string_member_with_default (label, "id", NULL);
      name = json_object_get_string_member_with_default (label, "name", NULL);
      if (id == NULL || name == NULL)
        continue;
      if (g_strcmp0 (id, self->label_id) == 0)
        *chosen_seen = TRUE;
      add_row (self, id, name, json_object_get_string_member_with_default (label, "color", NULL));
    }
}

static void
rebuild (ConfabLabelFilter *self)
{
  GtkWidget *child;
  gboolean chosen_seen = FALSE;

  while ((child = gtk_widget_get_first_child (self->box)) != NULL)
    gtk_box_remove (GTK_BOX (self->box), child);
  add_row (self, NULL, _("Any Label"), NULL);
  if (self->site_id != NULL)
    add_site (self, self->site_id, &chosen_seen);
  else
    {
      GHashTableIter iter;
      gpointer key;

      g_hash_table_iter_init (&iter, self->labels);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        add_site (self, key, &chosen_seen);
    }
  /* the chosen label is gone (deleted, or of another site): any label again */
  if (self->label_id != NULL && !chosen_seen)
    choose (self, NULL, NULL);
}

typedef struct {
  ConfabLabelFilter *self;
  char              *site_id;
} Fetch;

static void
labels_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Fetch *fetch = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_get_json_finish (CONFAB_CLIENT (source), result, &error);
  JsonNode *labels = answer != NULL ? json_object_get_member (answer, "labels") : NULL;

  if (labels != NULL && JSON_NODE_HOLDS_ARRAY (labels))
    {
      g_hash_table_replace (fetch->self->labels, g_strdup (fetch->site_id),
                            json_array_ref (json_node_get_array (labels)));
      rebuild (fetch->self);
    }
  else if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("No labels for a site: %s", error->message);
  g_object_unref (fetch->self);
  g_free (fetch->site_id);
  g_free (fetch);
}

/* Online: every site's labels once (a handful of requests, one per site). */
static void
fetch_all (ConfabLabelFilter *self)
{
  ConfabClient *client;
  g_autoptr (GListModel) sites = NULL;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->account == NULL ||
      confab_client_get_state ((client = confab_account_get_client (self->account))) != CONFAB_CLIENT_ONLINE)
    return;
  self->cancellable = g_cancellable_new ();
  sites = confab_cache_list_sites (confab_account_get_cache (self->account));
  for (guint i = 0; i < g_list_model_get_n_items (sites); i++)
    {
      g_autoptr (ConfabSite) site = g_list_model_get_item (sites, i);
      g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/labels", confab_site_get_id (site));
      Fetch *fetch = g_new0 (Fetch, 1);

      /* a reference for each answer, given back in labels_cb */
      fetch->self = g_object_ref (self);
      fetch->site_id = g_strdup (confab_site_get_id (site));
      confab_client_get_json_async (client, path, self->cancellable, labels_cb, fetch);
    }
}

static void
on_labels_changed (ConfabLabelFilter *self,
                   const char        *site_id,
                   JsonArray         *labels)
{
  if (site_id == NULL || labels == NULL)
    return;
  g_hash_table_replace (self->labels, g_strdup (site_id), json_array_ref (labels));
  rebuild (self);
}

static void
on_client_state (ConfabLabelFilter *self)
{
  if (confab_client_get_state (confab_account_get_client (self->account)) == CONFAB_CLIENT_ONLINE)
    fetch_all (self);
}

void
confab_label_filter_set_account (ConfabLabelFilter *self,
                                 ConfabAccount     *account)
{
  g_return_if_fail (CONFAB_IS_LABEL_FILTER (self));

  if (self->account == account)
    return;
  if (self->account != NULL)
    g_signal_handlers_disconnect_by_data (confab_account_get_client (self->account), self);
  g_cancellable_cancel (self->cancellable);
  g_set_object (&self->account, account);
  g_hash_table_remove_all (self->labels);
  choose (self, NULL, NULL);
  rebuild (self);
  if (account == NULL)
    return;
  confab_client_ensure_chat_signals ();
  g_signal_connect_object (confab_account_get_client (account), "labels-changed",
                           G_CALLBACK (on_labels_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (confab_account_get_client (account), "notify::state",
                           G_CALLBACK (on_client_state), self, G_CONNECT_SWAPPED);
  fetch_all (self);
}

void
confab_label_filter_set_site_id (ConfabLabelFilter *self,
                                 const char        *site_id)
{
  g_return_if_fail (CONFAB_IS_LABEL_FILTER (self));

  g_free (self->site_id);
  self->site_id = g_strdup (site_id);
  rebuild (self);
}

const char *
confab_label_filter_get_label_id (ConfabLabelFilter *self)
{
  g_return_val_if_fail (CONFAB_IS_LABEL_FILTER (self), NULL);
  return self->label_id;
}

void
confab_label_filter_set_label_id (ConfabLabelFilter *self,
                                  const char        *label_id)
{
  const char *name = NULL;

  g_return_if_fail (CONFAB_IS_LABEL_FILTER (self));

  for (GtkWidget *row = gtk_widget_get_first_child (self->box); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (g_strcmp0 (g_object_get_data (G_OBJECT (row), "label-id"), label_id) == 0)
      name = g_object_get_data (G_OBJECT (row), "label-name");
  choose (self, label_id, name);
}

static void
confab_label_filter_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  ConfabLabelFilter *self = CONFAB_LABEL_FILTER (object);

  switch (prop_id)
    {
    case PROP_LABEL_ID:
      g_value_set_string (value, self->label_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_label_filter_dispose (GObject *object)
{
  ConfabLabelFilter *self = CONFAB_LABEL_FILTER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->account != NULL)
    g_signal_handlers_disconnect_by_data (confab_account_get_client (self->account), self);
  g_clear_object (&self->account);
  g_clear_pointer (&self->button, gtk_widget_unparent);
  G_OBJECT_CLASS (confab_label_filter_parent_class)->dispose (object);
}

static void
confab_label_filter_finalize (GObject *object)
{
  ConfabLabelFilter *self = CONFAB_LABEL_FILTER (object);

  g_hash_table_unref (self->labels);
  g_free (self->site_id);
  g_free (self->label_id);
  g_free (self->label_name);
  G_OBJECT_CLASS (confab_label_filter_parent_class)->finalize (object);
}

static void
confab_label_filter_class_init (ConfabLabelFilterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = confab_label_filter_get_property;
  object_class->dispose = confab_label_filter_dispose;
  object_class->finalize = confab_label_filter_finalize;
  properties[PROP_LABEL_ID] =
    g_param_spec_string ("label-id", NULL, "The label conversations must have (NULL: any)", NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
confab_label_filter_init (ConfabLabelFilter *self)
{
  GtkWidget *popover = gtk_popover_new ();

  self->labels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) json_array_unref);
  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_name (self->box, "label-filter-list");
  gtk_popover_set_child (GTK_POPOVER (popover), self->box);
  self->button = gtk_menu_button_new ();
  gtk_widget_set_name (self->button, "label-filter");
  gtk_widget_set_tooltip_text (self->button, _("Filter by Label"));
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (self->button), popover);
  gtk_widget_set_parent (self->button, GTK_WIDGET (self));
  update_button (self);
  rebuild (self);
}
