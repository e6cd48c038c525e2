/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-webhooks-page.c: the site's outgoing webhooks (see the header). */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-admin-list.h"
#include "confab-admin-util.h"
#include "confab-webhooks-page.h"
#include "confab-client-admin.h"

struct _ConfabWebhooksPage
{
  AdwPreferencesPage   parent_instance;

  AdwPreferencesGroup *group;
  ConfabClient        *client;
  char                *site_id;
  GCancellable        *cancellable;
  ConfabAdminList      list;
};

G_DEFINE_FINAL_TYPE (ConfabWebhooksPage, confab_webhooks_page, ADW_TYPE_PREFERENCES_PAGE)

enum {
  PROP_0,
  PROP_SITE_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* the relay's events, in the form's order after the URL */
static const char * const events[] = {
  "conversation.created", "conversation.resolved", "message.created", "rating.created",
};

static const ConfabAdminField fields[] = {
  { "webhook-url-entry", N_("_URL"), N_("https://shop.example/confab-hook"), FALSE, TRUE },
  { "webhook-event-created", N_("A conversation _starts"), NULL, FALSE, FALSE, TRUE },
  { "webhook-event-resolved", N_("A conversation is _resolved"), NULL, FALSE, FALSE, TRUE },
  { "webhook-event-message", N_("A _message is sent"), NULL, FALSE, FALSE, TRUE },
  { "webhook-event-rating", N_("A visitor _rates a conversation"), NULL, FALSE, FALSE, TRUE },
};

static void load (ConfabWebhooksPage *self);

/* "conversation.created, message.created" */
static char *
events_text (JsonObject *hook)
{
  JsonNode *node = json_object_get_member (hook, "events");
  g_autoptr (GString) text = g_string_new (NULL);

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return g_strdup ("");
  for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
    {
      const char *event = json_array_get_string_element (json_node_get_array (node), i);

      if (event == NULL)
        continue;
      if (text->len > 0)
        g_string_append (text, ", ");
      g_string_append (text, event);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* -------------------------------------------------------------- write --- */

typedef struct {
  ConfabWebhooksPage *self;
  char              *id;
  char             **values;
} Call;

static void
call_free (gpointer data)
{
  Call *call = data;

  g_object_unref (call->self);
  g_free (call->id);
  g_strfreev (call->values);
  g_free (call);
}

static Call *
call_new (ConfabWebhooksPage *self,
          const char        *id)
{
  Call *call = g_new0 (Call, 1);

  call->self = g_object_ref (self);
  call->id = g_strdup (id);
  return call;
}

static void create (ConfabWebhooksPage *self, const char *error, const char * const *values);

static void
created_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) hook = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL, &error);

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (hook == NULL)
        create (call->self, error->message, (const char * const *) call->values);
      else
        confab_admin_show_once (GTK_WIDGET (call->self), _("Webhook Added"),
                                _("Copy its signing secret now: it is not shown again. The receiver checks X-Confab-Signature with it."),
                                confab_admin_string (hook, "secret"));
      load (call->self);
    }
  call_free (call);
}

static void
on_create (const char * const *values,
           gpointer            user_data)
{
  Call *call = call_new (((Call *) user_data)->self, NULL);
  ConfabWebhooksPage *self = call->self;
  g_autoptr (JsonObject) body = json_object_new ();
  JsonArray *chosen = json_array_new ();
  g_autofree char *path = confab_admin_path ("sites", self->site_id, "webhooks");

  call->values = g_strdupv ((char **) values);
  json_object_set_string_member (body, "url", values[0]);
  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    if (*values[i + 1] != '\0')
      json_array_add_string_element (chosen, events[i]);
  json_object_set_array_member (body, "events", chosen);
  json_object_set_boolean_member (body, "enabled", TRUE);
  confab_client_request_async (self->client, "POST", path, body, self->cancellable, created_cb, call);
}

static void
create (ConfabWebhooksPage  *self,
        const char         *error,
        const char * const *values)
{
  static ConfabAdminField translated[G_N_ELEMENTS (fields)];
  static const char * const fresh[] = { "", "1", "1", "1", "1" };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      translated[i] = fields[i];
      translated[i].label = _(fields[i].label);
      translated[i].placeholder = fields[i].placeholder != NULL ? _(fields[i].placeholder) : NULL;
    }
  confab_admin_edit (GTK_WIDGET (self), _("New Webhook"), error, translated, G_N_ELEMENTS (fields),
                     values != NULL ? values : fresh, _("_Add"), on_create,
                     call_new (self, NULL), call_free);
}

static void
add_action (GtkWidget  *widget,
            const char *name,
            GVariant   *parameter)
{
  create (CONFAB_WEBHOOKS_PAGE (widget), NULL, NULL);
}

static void
revoked_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL, &error);

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (error != NULL)
        confab_admin_toast (GTK_WIDGET (call->self), error->message);
      load (call->self);
    }
  call_free (call);
}

static void
do_revoke (gpointer data)
{
  Call *call = data;
  g_autofree char *path = confab_admin_path ("webhooks", call->id, NULL);

  confab_client_request_async (call->self->client, "DELETE", path, NULL, call->self->cancellable,
                               revoked_cb, call_new (call->self, call->id));
}

static void
revoke_action (GtkWidget  *widget,
               const char *name,
               GVariant   *parameter)
{
  ConfabWebhooksPage *self = CONFAB_WEBHOOKS_PAGE (widget);
  const char *id = g_variant_get_string (parameter, NULL);
  JsonObject *hook = confab_admin_list_find (&self->list, id);
  /* Translators: %s is a webhook's URL */
  g_autofree char *body = g_strdup_printf (_("Nothing is sent to %s any more, and its delivery log goes."),
                                           hook != NULL ? confab_admin_string (hook, "url") : id);

  confab_admin_confirm (widget, _("Delete the Webhook?"), body, _("_Delete"), do_revoke,
                        call_new (self, id), call_free);
}

/* --------------------------------------------------------------- list --- */

static void
on_enabled (GtkSwitch          *toggle,
            GParamSpec         *pspec,
            ConfabWebhooksPage *self)
{
  const char *id = g_object_get_data (G_OBJECT (toggle), "webhook-id");
  g_autoptr (JsonObject) body = json_object_new ();
  g_autofree char *path = confab_admin_path ("webhooks", id, NULL);

  json_object_set_boolean_member (body, "enabled", gtk_switch_get_active (toggle));
  confab_client_request_async (self->client, "PATCH", path, body, self->cancellable, revoked_cb,
                               call_new (self, id));
}

static GtkWidget *
hook_row (gpointer    page,
          JsonObject *hook)
{
  ConfabWebhooksPage *self = page;
  const char *id = confab_admin_string (hook, "id");
  g_autofree char *title = confab_admin_markup (confab_admin_string (hook, "url"));
  g_autofree char *event_list = events_text (hook);
  g_autofree char *subtitle = confab_admin_markup (event_list);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *toggle = gtk_switch_new ();

  gtk_widget_set_name (row, "webhook-row");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_switch_set_active (GTK_SWITCH (toggle),
                         json_object_get_boolean_member_with_default (hook, "enabled", TRUE));
  gtk_widget_set_valign (toggle, GTK_ALIGN_CENTER);
  gtk_widget_set_name (toggle, "webhook-enabled");
  gtk_widget_set_tooltip_text (toggle, _("Send Events"));
  g_object_set_data_full (G_OBJECT (toggle), "webhook-id", g_strdup (id), g_free);
  g_signal_connect_object (toggle, "notify::active", G_CALLBACK (on_enabled), self, 0);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), toggle);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             confab_admin_row_button ("view-list-symbolic", _("Delivery Log"),
                                                      "webhooks.deliveries", id, "webhook-deliveries"));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             confab_admin_row_button ("user-trash-symbolic", _("Delete"),
                                                      "webhooks.delete", id, "webhook-delete"));
  return row;
}

/* ------------------------------------------------------- delivery log --- */

static void
deliveries_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL, &error);
  JsonNode *node = answer != NULL ? json_object_get_member (answer, "deliveries") : NULL;
  JsonObject *hook = confab_admin_list_find (&call->self->list, call->id);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (call->self));
  GtkWidget *dialog, *list, *scrolled;
  guint n = 0;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    goto out;
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      confab_admin_toast (GTK_WIDGET (call->self), error != NULL ? error->message : _("No delivery log"));
      goto out;
    }
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, _("Delivery Log"),
                                   hook != NULL ? confab_admin_string (hook, "url") : NULL);
  gtk_widget_set_name (dialog, "deliveries-dialog");
  gtk_window_set_modal (GTK_WINDOW (dialog), TRUE);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
    {
      JsonObject *d = json_array_get_object_element (json_node_get_array (node), i);
      const char *status = confab_admin_string (d, "status");
      const char *err = confab_admin_string (d, "error");
      g_autofree char *when = confab_admin_format_time (confab_admin_string (d, "created_at"));
      g_autofree char *title = confab_admin_markup (confab_admin_string (d, "event"));
      g_autofree char *answer_text = json_object_get_member (d, "response_status") != NULL &&
                                     !json_object_get_null_member (d, "response_status")
                                     ? g_strdup_printf ("HTTP %" G_GINT64_FORMAT,
                                                        json_object_get_int_member (d, "response_status"))
                                     : g_strdup (err != NULL ? err : "");
      /* Translators: when, the delivery's status, its attempts and the receiver's answer */
      g_autofree char *text = g_strdup_printf (_("%s · %s · %" G_GINT64_FORMAT " attempt(s)%s%s"), when,
                                               g_strcmp0 (status, "delivered") == 0 ? _("delivered")
                                               : g_strcmp0 (status, "failed") == 0 ? _("failed")
                                               : _("pending"),
                                               json_object_get_int_member_with_default (d, "attempts", 0),
                                               *answer_text != '\0' ? " · " : "", answer_text);
      g_autofree char *subtitle = confab_admin_markup (text);
      GtkWidget *row = adw_action_row_new ();

      gtk_widget_set_name (row, "delivery-row");
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gtk_list_box_append (GTK_LIST_BOX (list), row);
      n++;
    }
  if (n == 0)
    adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog), _("Nothing was sent yet."));
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), list);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 420);
  gtk_widget_set_size_request (scrolled, 460, -1);
  gtk_widget_set_visible (scrolled, n > 0);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), scrolled);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "done", _("_Close"));
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "done");
  gtk_window_present (GTK_WINDOW (dialog));

out:
  call_free (call);
}

static void
deliveries_action (GtkWidget  *widget,
                   const char *name,
                   GVariant   *parameter)
{
  ConfabWebhooksPage *self = CONFAB_WEBHOOKS_PAGE (widget);
  const char *id = g_variant_get_string (parameter, NULL);
  g_autofree char *path = confab_admin_path ("webhooks", id, "deliveries?limit=50");

  confab_client_request_async (self->client, "GET", path, NULL, self->cancellable, deliveries_cb,
                               call_new (self, id));
}

static void
load (ConfabWebhooksPage *self)
{
  g_autofree char *path = NULL;

  if (self->site_id == NULL || self->client == NULL)
    return;
  path = confab_admin_path ("sites", self->site_id, "webhooks");
  confab_admin_list_load (&self->list, self->client, path, self->cancellable);
}

static void
set_site_id (ConfabWebhooksPage *self,
             const char        *site_id)
{
  if (g_strcmp0 (self->site_id, site_id) == 0)
    return;
  g_free (self->site_id);
  self->site_id = g_strdup (site_id);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  confab_admin_list_clear (&self->list);
  load (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SITE_ID]);
}

/* ---------------------------------------------------------- lifecycle --- */

static void
confab_webhooks_page_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_SITE_ID:
      g_value_set_string (value, CONFAB_WEBHOOKS_PAGE (object)->site_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_webhooks_page_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_SITE_ID:
      set_site_id (CONFAB_WEBHOOKS_PAGE (object), g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_webhooks_page_dispose (GObject *object)
{
  ConfabWebhooksPage *self = CONFAB_WEBHOOKS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  G_OBJECT_CLASS (confab_webhooks_page_parent_class)->dispose (object);
}

static void
confab_webhooks_page_finalize (GObject *object)
{
  ConfabWebhooksPage *self = CONFAB_WEBHOOKS_PAGE (object);

  g_free (self->site_id);
  g_clear_pointer (&self->list.items, json_array_unref);
  g_ptr_array_unref (self->list.rows);
  G_OBJECT_CLASS (confab_webhooks_page_parent_class)->finalize (object);
}

static void
confab_webhooks_page_class_init (ConfabWebhooksPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = confab_webhooks_page_dispose;
  G_OBJECT_CLASS (klass)->finalize = confab_webhooks_page_finalize;
  G_OBJECT_CLASS (klass)->get_property = confab_webhooks_page_get_property;
  G_OBJECT_CLASS (klass)->set_property = confab_webhooks_page_set_property;
  properties[PROP_SITE_ID] =
    g_param_spec_string ("site-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (G_OBJECT_CLASS (klass), N_PROPS, properties);
  gtk_widget_class_install_action (widget_class, "webhooks.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "webhooks.delete", "s", revoke_action);
  gtk_widget_class_install_action (widget_class, "webhooks.deliveries", "s", deliveries_action);
}

static void
confab_webhooks_page_init (ConfabWebhooksPage *self)
{
  GtkWidget *add = gtk_button_new ();
  GtkWidget *content = adw_button_content_new ();

  gtk_widget_set_name (GTK_WIDGET (self), "webhooks-page");
  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (self), _("Webhooks"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (self), "network-transmit-symbolic");
  self->group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  gtk_widget_set_name (GTK_WIDGET (self->group), "webhooks-group");
  adw_preferences_group_set_title (self->group, _("Webhooks"));
  adw_button_content_set_icon_name (ADW_BUTTON_CONTENT (content), "list-add-symbolic");
  adw_button_content_set_label (ADW_BUTTON_CONTENT (content), _("_Add"));
  adw_button_content_set_use_underline (ADW_BUTTON_CONTENT (content), TRUE);
  gtk_button_set_child (GTK_BUTTON (add), content);
  gtk_widget_set_name (add, "webhooks-add-button");
  gtk_widget_set_valign (add, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (add, _("Add a Webhook"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (add), "webhooks.add");
  adw_preferences_group_set_header_suffix (self->group, add);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), self->group);
  self->cancellable = g_cancellable_new ();
  self->list = (ConfabAdminList) {
    .group = self->group,
    .member = "webhooks",
    .empty_text = _("None yet. A webhook tells another system (a CRM, a shop) what happens here, signed with its secret."),
    .filled_text = _("Failed deliveries are tried again for a day; the log shows each one."),
    .failed_text = _("The webhooks could not be loaded"),
    .make_row = hook_row,
    .page = self,
  };
  confab_admin_list_init (&self->list);
}

GtkWidget *
confab_webhooks_page_new (ConfabClient *client)
{
  ConfabWebhooksPage *self;

  g_return_val_if_fail (CONFAB_IS_CLIENT (client), NULL);

  self = g_object_new (CONFAB_TYPE_WEBHOOKS_PAGE, NULL);
  self->client = g_object_ref (client);
  return GTK_WIDGET (self);
}
