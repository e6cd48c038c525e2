/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-keys-page.c: the site's API keys (see the header). */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-admin-list.h"
#include "confab-admin-util.h"
#include "confab-api-keys-page.h"
#include "confab-client-admin.h"

struct _ConfabApiKeysPage
{
  AdwPreferencesPage   parent_instance;

  AdwPreferencesGroup *group;
  ConfabClient        *client;
  char                *site_id;
  GCancellable        *cancellable;
  ConfabAdminList      list;
};

G_DEFINE_FINAL_TYPE (ConfabApiKeysPage, confab_api_keys_page, ADW_TYPE_PREFERENCES_PAGE)

enum {
  PROP_0,
  PROP_SITE_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* the relay's scopes, in the form's order after the name */
static const char * const scopes[] = { "conversations:read", "messages:write", "contacts:write" };

static const ConfabAdminField fields[] = {
  { "api-key-name-entry", N_("_Name"), N_("Shop back office"), FALSE, TRUE },
  { "api-key-scope-read", N_("_Read conversations and their messages"), NULL, FALSE, FALSE, TRUE },
  { "api-key-scope-write", N_("_Write messages"), NULL, FALSE, FALSE, TRUE },
  { "api-key-scope-contacts", N_("_Change contacts (visitors' names and e-mails)"), NULL, FALSE, FALSE, TRUE },
};

static void load (ConfabApiKeysPage *self);

/* "conversations:read, messages:write" for people */
static char *
scopes_text (JsonObject *key)
{
  JsonNode *node = json_object_get_member (key, "scopes");
  g_autoptr (GString) text = g_string_new (NULL);

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return g_strdup ("");
  for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
    {
      const char *scope = json_array_get_string_element (json_node_get_array (node), i);

      if (scope == NULL)
        continue;
      if (text->len > 0)
        g_string_append (text, ", ");
      g_string_append (text, g_str_equal (scope, "conversations:read") ? _("read conversations")
                             : g_str_equal (scope, "messages:write") ? _("write messages")
                             : g_str_equal (scope, "contacts:write") ? _("change contacts") : scope);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* -------------------------------------------------------------- write --- */

typedef struct {
  ConfabApiKeysPage *self;
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
call_new (ConfabApiKeysPage *self,
          const char        *id)
{
  Call *call = g_new0 (Call, 1);

  call->self = g_object_ref (self);
  call->id = g_strdup (id);
  return call;
}

static void create (ConfabApiKeysPage *self, const char *error, const char * const *values);

static void
created_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) key = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL, &error);

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (key == NULL)
        create (call->self, error->message, (const char * const *) call->values);
      else
        {
          /* Translators: %s is the API key's name */
          g_autofree char *heading = g_strdup_printf (_("“%s” Created"), confab_admin_string (key, "name"));

          confab_admin_show_once (GTK_WIDGET (call->self), heading,
                                  _("Copy the key now: it is not shown again. Send it as “Authorization: Bearer …”."),
                                  confab_admin_string (key, "key"));
        }
      load (call->self);
    }
  call_free (call);
}

static void
on_create (const char * const *values,
           gpointer            user_data)
{
  Call *call = call_new (((Call *) user_data)->self, NULL);
  ConfabApiKeysPage *self = call->self;
  g_autoptr (JsonObject) body = json_object_new ();
  JsonArray *chosen = json_array_new ();
  g_autofree char *path = confab_admin_path ("sites", self->site_id, "api-keys");

  call->values = g_strdupv ((char **) values);
  json_object_set_string_member (body, "name", values[0]);
  for (guint i = 0; i < G_N_ELEMENTS (scopes); i++)
    if (*values[i + 1] != '\0')
      json_array_add_string_element (chosen, scopes[i]);
  json_object_set_array_member (body, "scopes", chosen);
  confab_client_request_async (self->client, "POST", path, body, self->cancellable, created_cb, call);
}

static void
create (ConfabApiKeysPage  *self,
        const char         *error,
        const char * const *values)
{
  static ConfabAdminField translated[G_N_ELEMENTS (fields)];
  static const char * const fresh[] = { "", "1", "", "" };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      translated[i] = fields[i];
      translated[i].label = _(fields[i].label);
      translated[i].placeholder = fields[i].placeholder != NULL ? _(fields[i].placeholder) : NULL;
    }
  confab_admin_edit (GTK_WIDGET (self), _("New API Key"), error, translated, G_N_ELEMENTS (fields),
                     values != NULL ? values : fresh, _("C_reate"), on_create,
                     call_new (self, NULL), call_free);
}

static void
add_action (GtkWidget  *widget,
            const char *name,
            GVariant   *parameter)
{
  create (CONFAB_API_KEYS_PAGE (widget), NULL, NULL);
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
  g_autofree char *path = confab_admin_path ("api-keys", call->id, NULL);

  confab_client_request_async (call->self->client, "DELETE", path, NULL, call->self->cancellable,
                               revoked_cb, call_new (call->self, call->id));
}

static void
revoke_action (GtkWidget  *widget,
               const char *name,
               GVariant   *parameter)
{
  ConfabApiKeysPage *self = CONFAB_API_KEYS_PAGE (widget);
  const char *id = g_variant_get_string (parameter, NULL);
  JsonObject *key = confab_admin_list_find (&self->list, id);
  /* Translators: %s is an API key's name */
  g_autofree char *body = g_strdup_printf (_("Whatever uses “%s” is refused from now on."),
                                           key != NULL ? confab_admin_string (key, "name") : id);

  confab_admin_confirm (widget, _("Revoke the API Key?"), body, _("_Revoke"), do_revoke,
                        call_new (self, id), call_free);
}

/* --------------------------------------------------------------- list --- */

static GtkWidget *
key_row (gpointer    page,
         JsonObject *key)
{
  const char *id = confab_admin_string (key, "id");
  const char *last_used = confab_admin_string (key, "last_used_at");
  g_autofree char *title = confab_admin_markup (confab_admin_string (key, "name"));
  g_autofree char *scope_list = scopes_text (key);
  g_autofree char *used = last_used != NULL ? confab_admin_format_time (last_used) : NULL;
  /* Translators: an API key's prefix, its scopes, and when it was last used */
  g_autofree char *text = g_strdup_printf (_("%s… · %s · %s"),
                                           confab_admin_string (key, "prefix") != NULL
                                           ? confab_admin_string (key, "prefix") : "cfk_",
                                           scope_list,
                                           used != NULL ? used : _("never used"));
  g_autofree char *subtitle = confab_admin_markup (text);
  g_autofree char *name = g_strdup_printf ("api-key-%s", confab_admin_string (key, "name"));
  GtkWidget *row = adw_action_row_new ();

  gtk_widget_set_name (row, name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             confab_admin_row_button ("user-trash-symbolic", _("Revoke"),
                                                      "api-keys.revoke", id, "api-key-revoke"));
  return row;
}

static void
load (ConfabApiKeysPage *self)
{
  g_autofree char *path = NULL;

  if (self->site_id == NULL || self->client == NULL)
    return;
  path = confab_admin_path ("sites", self->site_id, "api-keys");
  confab_admin_list_load (&self->list, self->client, path, self->cancellable);
}

static void
set_site_id (ConfabApiKeysPage *self,
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
confab_api_keys_page_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_SITE_ID:
      g_value_set_string (value, CONFAB_API_KEYS_PAGE (object)->site_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_api_keys_page_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_SITE_ID:
      set_site_id (CONFAB_API_KEYS_PAGE (object), g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_api_keys_page_dispose (GObject *object)
{
  ConfabApiKeysPage *self = CONFAB_API_KEYS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  G_OBJECT_CLASS (confab_api_keys_page_parent_class)->dispose (object);
}

static void
confab_api_keys_page_finalize (GObject *object)
{
  ConfabApiKeysPage *self = CONFAB_API_KEYS_PAGE (object);

  g_free (self->site_id);
  g_clear_pointer (&self->list.items, json_array_unref);
  g_ptr_array_unref (self->list.rows);
  G_OBJECT_CLASS (confab_api_keys_page_parent_class)->finalize (object);
}

static void
confab_api_keys_page_class_init (ConfabApiKeysPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = confab_api_keys_page_dispose;
  G_OBJECT_CLASS (klass)->finalize = confab_api_keys_page_finalize;
  G_OBJECT_CLASS (klass)->get_property = confab_api_keys_page_get_property;
  G_OBJECT_CLASS (klass)->set_property = confab_api_keys_page_set_property;
  properties[PROP_SITE_ID] =
    g_param_spec_string ("site-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (G_OBJECT_CLASS (klass), N_PROPS, properties);
  gtk_widget_class_install_action (widget_class, "api-keys.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "api-keys.revoke", "s", revoke_action);
}

static void
confab_api_keys_page_init (ConfabApiKeysPage *self)
{
  GtkWidget *add = gtk_button_new ();
  GtkWidget *content = adw_button_content_new ();

  gtk_widget_set_name (GTK_WIDGET (self), "api-keys-page");
  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (self), _("API Keys"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (self), "dialog-password-symbolic");
  self->group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  gtk_widget_set_name (GTK_WIDGET (self->group), "api-keys-group");
  adw_preferences_group_set_title (self->group, _("API Keys"));
  adw_button_content_set_icon_name (ADW_BUTTON_CONTENT (content), "list-add-symbolic");
  adw_button_content_set_label (ADW_BUTTON_CONTENT (content), _("_Add"));
  adw_button_content_set_use_underline (ADW_BUTTON_CONTENT (content), TRUE);
  gtk_button_set_child (GTK_BUTTON (add), content);
  gtk_widget_set_name (add, "api-keys-add-button");
  gtk_widget_set_valign (add, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (add, _("Create an API Key"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (add), "api-keys.add");
  adw_preferences_group_set_header_suffix (self->group, add);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), self->group);
  self->cancellable = g_cancellable_new ();
  self->list = (ConfabAdminList) {
    .group = self->group,
    .member = "api_keys",
    .empty_text = _("None yet. A key lets a shop's back office read conversations and post messages over the REST API."),
    .filled_text = _("Each key works for this site only, with the scopes it was given."),
    .failed_text = _("The API keys could not be loaded"),
    .make_row = key_row,
    .page = self,
  };
  confab_admin_list_init (&self->list);
}

GtkWidget *
confab_api_keys_page_new (ConfabClient *client)
{
  ConfabApiKeysPage *self;

  g_return_val_if_fail (CONFAB_IS_CLIENT (client), NULL);

  self = g_object_new (CONFAB_TYPE_API_KEYS_PAGE, NULL);
  self->client = g_object_ref (client);
  return GTK_WIDGET (self);
}
