/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-label-filter.c: the inbox's label filter (see the header). The labels of each site
 * are read once online (GET /api/v1/sites/{id}/labels) and follow the pushed `labels` frames;
 * a label deleted while chosen leaves the filter on "any". */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-client-chat.h"
#include "confab-client-http.h"
#include "confab-filter-popover.h"
#include "confab-label-filter.h"

struct _ConfabLabelFilter
{
  GtkWidget            parent_instance;

  ConfabFilterPopover  popover;
  ConfabAccount       *account;
  GCancellable        *cancellable;
};

enum {
  PROP_0,
  PROP_LABEL_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (ConfabLabelFilter, confab_label_filter, GTK_TYPE_WIDGET)

static void
on_chosen (gpointer owner)
{
  g_object_notify_by_pspec (G_OBJECT (owner), properties[PROP_LABEL_ID]);
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
      confab_filter_popover_set_items (&fetch->self->popover, fetch->site_id,
                                       json_node_get_array (labels));
      confab_filter_popover_rebuild (&fetch->self->popover);
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
  confab_filter_popover_set_items (&self->popover, site_id, labels);
  confab_filter_popover_rebuild (&self->popover);
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
  g_hash_table_remove_all (self->popover.items);
  confab_filter_popover_choose (&self->popover, NULL, NULL);
  confab_filter_popover_rebuild (&self->popover);
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

  confab_filter_popover_set_site_id (&self->popover, site_id);
  confab_filter_popover_rebuild (&self->popover);
}

const char *
confab_label_filter_get_label_id (ConfabLabelFilter *self)
{
  g_return_val_if_fail (CONFAB_IS_LABEL_FILTER (self), NULL);
  return self->popover.id;
}

void
confab_label_filter_set_label_id (ConfabLabelFilter *self,
                                  const char        *label_id)
{
  g_return_if_fail (CONFAB_IS_LABEL_FILTER (self));

  confab_filter_popover_set_id (&self->popover, label_id);
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
      g_value_set_string (value, self->popover.id);
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
  confab_filter_popover_dispose (&self->popover);
  G_OBJECT_CLASS (confab_label_filter_parent_class)->dispose (object);
}

static void
confab_label_filter_finalize (GObject *object)
{
  ConfabLabelFilter *self = CONFAB_LABEL_FILTER (object);

  confab_filter_popover_finalize (&self->popover);
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
  self->popover.name = "label-filter";
  self->popover.icon_name = "confab-label-symbolic";
  self->popover.any_text = _("Any Label");
  self->popover.any_tooltip = _("Filter by Label");
  /* Translators: %s is a label's name */
  self->popover.chosen_tooltip = _("Only conversations labelled “%s”");
  self->popover.unnamed_text = _("Label");
  self->popover.dots = TRUE;
  self->popover.changed = on_chosen;
  self->popover.owner = self;
  confab_filter_popover_init (&self->popover, GTK_WIDGET (self));
}
