/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-channels-page.c: the site's e-mail, Messenger and WhatsApp channels (see the header).
 * One table (channels[]) says each channel's fields and how they go to the relay; the groups,
 * forms and calls are the same code for the three. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>
#include <string.h>

#include "confab-admin-util.h"
#include "confab-channels-page.h"
#include "confab-client-admin.h"
#include "confab-client-http.h"

typedef enum {
  KIND_BOOL,     /* a check button */
  KIND_TEXT,
  KIND_INT,
  KIND_SECRET,   /* write-only: has_<key> says whether it is set */
  KIND_TEMPLATES /* [{"name","language"}] as "name:language, name:language" */
} Kind;

typedef struct {
  const char *key;
  Kind        kind;
  const char *label;
  const char *placeholder;
} Field;

#define N_MAX_FIELDS 8

typedef struct {
  const char *id;            /* the path's last part: …/channels/<id> */
  const char *title;
  const char *description;
  const char *icon;
  const char *summary_key;   /* what the summary row shows when connected */
  Field       fields[N_MAX_FIELDS];
} Channel;

static const Channel channels[] = {
  { "email", N_("E-mail"),
    N_("A support mailbox read over IMAP: each new mail becomes a conversation, replies go out by mail."),
    "mail-unread-symbolic", "address",
    { { "enabled", KIND_BOOL, N_("_Read this mailbox"), NULL },
      { "address", KIND_TEXT, N_("_Address"), N_("support@shop.example") },
      { "imap_url", KIND_TEXT, N_("_IMAP URL"), N_("imaps://mail.shop.example/INBOX") },
      { "imap_user", KIND_TEXT, N_("IMAP _user"), N_("support@shop.example") },
      { "imap_password", KIND_SECRET, N_("IMAP _password"), NULL },
      { "poll_seconds", KIND_INT, N_("_Check every (seconds, 30–3600)"), N_("60") },
      { NULL } } },
  { "messenger", N_("Facebook Messenger"),
    N_("A Facebook Page: its Messenger conversations in the inbox, answered from here."),
    "user-available-symbolic", "page_id",
    { { "enabled", KIND_BOOL, N_("_Answer this Page's messages"), NULL },
      { "page_id", KIND_TEXT, N_("_Page ID"), N_("104…") },
      { "page_access_token", KIND_SECRET, N_("Page _access token"), NULL },
      { "app_secret", KIND_SECRET, N_("App _secret"), NULL },
      { "verify_token", KIND_TEXT, N_("_Verify token (you choose it; Meta asks for it)"), NULL },
      { NULL } } },
  { "whatsapp", N_("WhatsApp Business"),
    N_("A WhatsApp Business number (Cloud API). Outside 24 hours after the customer's last message, only templates may be sent."),
    "phone-symbolic", "phone_number_id",
    { { "enabled", KIND_BOOL, N_("_Answer this number's messages"), NULL },
      { "phone_number_id", KIND_TEXT, N_("Phone _number ID"), N_("109…") },
      { "access_token", KIND_SECRET, N_("_Access token"), NULL },
      { "app_secret", KIND_SECRET, N_("App _secret"), NULL },
      { "verify_token", KIND_TEXT, N_("_Verify token (you choose it; Meta asks for it)"), NULL },
      { "templates", KIND_TEMPLATES, N_("_Templates (name:language, …)"), N_("order_update:en_US, hello:de") },
      { NULL } } },
};

#define N_CHANNELS G_N_ELEMENTS (channels)

struct _ConfabChannelsPage
{
  AdwPreferencesPage   parent_instance;

  ConfabClient        *client;
  char                *site_id;
  GCancellable        *cancellable;
  AdwPreferencesGroup *groups[N_CHANNELS];
  GPtrArray           *rows[N_CHANNELS];
  GtkWidget           *edit_buttons[N_CHANNELS];
  JsonObject          *settings[N_CHANNELS];  /* as the relay last answered; NULL: none */
};

G_DEFINE_FINAL_TYPE (ConfabChannelsPage, confab_channels_page, ADW_TYPE_PREFERENCES_PAGE)

enum {
  PROP_0,
  PROP_SITE_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void load (ConfabChannelsPage *self, guint channel);

static guint
n_fields (const Channel *channel)
{
  guint n = 0;

  while (n < N_MAX_FIELDS && channel->fields[n].key != NULL)
    n++;
  return n;
}

static char *
has_key (const char *key)
{
  return g_strconcat ("has_", key, NULL);
}

/* "order_update:en_US, hello:de" */
static char *
templates_text (JsonObject *settings)
{
  JsonNode *node = settings != NULL ? json_object_get_member (settings, "templates") : NULL;
  g_autoptr (GString) text = g_string_new (NULL);

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return g_strdup ("");
  for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
    {
      JsonObject *t = json_array_get_object_element (json_node_get_array (node), i);

      if (t == NULL)
        continue;
      g_string_append_printf (text, "%s%s:%s", text->len > 0 ? ", " : "",
                              confab_admin_string (t, "name") ? confab_admin_string (t, "name") : "",
                              confab_admin_string (t, "language") ? confab_admin_string (t, "language") : "");
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* A field's value as the form shows it. */
static char *
field_value (JsonObject  *settings,
             const Field *field)
{
  JsonNode *node = settings != NULL ? json_object_get_member (settings, field->key) : NULL;

  switch (field->kind)
    {
    case KIND_BOOL:
      return g_strdup (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_boolean (node) ? "1" : "");
    case KIND_INT:
      return node != NULL && JSON_NODE_HOLDS_VALUE (node)
             ? g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node)) : g_strdup ("");
    case KIND_SECRET:
      return g_strdup ("");
    case KIND_TEMPLATES:
      return templates_text (settings);
    case KIND_TEXT:
    default:
      return g_strdup (confab_admin_string (settings, field->key) != NULL
                       ? confab_admin_string (settings, field->key) : "");
    }
}

static gboolean
is_set (JsonObject  *settings,
        const Field *field)
{
  g_autofree char *key = has_key (field->key);

  return settings != NULL && json_object_get_boolean_member_with_default (settings, key, FALSE);
}

/* -------------------------------------------------------------- rows --- */

static void
copy_clicked (GtkButton  *button,
              GtkWidget  *row)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)),
                          g_object_get_data (G_OBJECT (row), "confab-url"));
  confab_admin_toast (GTK_WIDGET (button), _("Copied"));
}

static GtkWidget *
add_row (ConfabChannelsPage *self,
         guint               channel,
         const char         *name,
         const char         *title,
         const char         *subtitle)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *escaped_title = confab_admin_markup (title);
  g_autofree char *escaped = confab_admin_markup (subtitle != NULL ? subtitle : "");
  g_autofree char *full_name = g_strdup_printf ("%s-%s", channels[channel].id, name);

  gtk_widget_set_name (row, full_name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), escaped_title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), escaped);
  confab_admin_group_add (self->groups[channel], self->rows[channel], row);
  return row;
}

static void
show_channel (ConfabChannelsPage *self,
              guint               channel,
              JsonObject         *settings,
              const char         *unavailable)
{
  const Channel *c = &channels[channel];
  gboolean enabled;

  confab_admin_group_clear (self->groups[channel], self->rows[channel]);
  g_clear_pointer (&self->settings[channel], json_object_unref);
  gtk_widget_set_visible (self->edit_buttons[channel], unavailable == NULL);
  if (unavailable != NULL)
    {
      /* Translators: the channel's description, then why it cannot be used */
      g_autofree char *text = g_strdup_printf (_("%s — %s"), _(c->description), unavailable);

      adw_preferences_group_set_description (self->groups[channel], text);
      return;
    }
  adw_preferences_group_set_description (self->groups[channel], _(c->description));
  self->settings[channel] = settings != NULL ? json_object_ref (settings) : NULL;
  enabled = settings != NULL && json_object_get_boolean_member_with_default (settings, "enabled", FALSE);
  add_row (self, channel, "status", enabled ? _("Connected") : _("Not connected"),
           confab_admin_string (settings, c->summary_key));
  for (guint i = 0; i < n_fields (c); i++)
    if (c->fields[i].kind == KIND_SECRET)
      {
        /* the label without the form's mnemonic underscore */
        g_auto (GStrv) parts = g_strsplit (_(c->fields[i].label), "_", -1);
        g_autofree char *plain = g_strjoinv ("", parts);

        add_row (self, channel, c->fields[i].key, plain,
                 is_set (settings, &c->fields[i]) ? _("set") : _("not set"));
      }
  if (confab_admin_string (settings, "webhook_url") != NULL)
    {
      GtkWidget *row = add_row (self, channel, "webhook-url", _("Webhook URL (for Meta's app settings)"),
                                confab_admin_string (settings, "webhook_url"));
      GtkWidget *copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");

      g_object_set_data_full (G_OBJECT (row), "confab-url",
                              g_strdup (confab_admin_string (settings, "webhook_url")), g_free);
      gtk_widget_set_name (copy, "webhook-url-copy");
      gtk_widget_set_valign (copy, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (copy, "flat");
      gtk_widget_set_tooltip_text (copy, _("Copy"));
      g_signal_connect (copy, "clicked", G_CALLBACK (copy_clicked), row);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), copy);
    }
  if (confab_admin_string (settings, "last_error") != NULL)
    add_row (self, channel, "last-error", _("Last error"), confab_admin_string (settings, "last_error"));
  if (enabled || (settings != NULL && confab_admin_string (settings, c->summary_key) != NULL))
    {
      GtkWidget *row = add_row (self, channel, "disconnect", _("Disconnect"),
                                _("Its conversations stay in the inbox."));
      GtkWidget *button = confab_admin_row_button ("user-trash-symbolic", _("Disconnect"),
                                                   "channels.disconnect", c->id, "channel-disconnect");

      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
    }
}

/* ------------------------------------------------------------ relay --- */

typedef struct {
  ConfabChannelsPage *self;
  guint               channel;
  char              **values;
} Call;

static void
call_free (gpointer data)
{
  Call *call = data;

  g_object_unref (call->self);
  g_strfreev (call->values);
  g_free (call);
}

static Call *
call_new (ConfabChannelsPage *self,
          guint               channel)
{
  Call *call = g_new0 (Call, 1);

  call->self = g_object_ref (self);
  call->channel = channel;
  return call;
}

static char *
channel_path (ConfabChannelsPage *self,
              guint               channel)
{
  g_autofree char *rest = g_strdup_printf ("channels/%s", channels[channel].id);

  return confab_admin_path ("sites", self->site_id, rest);
}

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *code = NULL;
  g_autoptr (JsonObject) settings = confab_client_request_finish (CONFAB_CLIENT (source), result, &code, &error);

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (settings != NULL)
        show_channel (call->self, call->channel, settings, NULL);
      else if (g_strcmp0 (code, "not_found") == 0 || g_strcmp0 (code, "method_not_allowed") == 0)
        show_channel (call->self, call->channel, NULL, _("this relay does not offer it"));
      else if (g_strcmp0 (code, "email_unavailable") == 0)
        show_channel (call->self, call->channel, NULL, _("this relay sends no e-mail (its [email] settings)"));
      else
        show_channel (call->self, call->channel, NULL, error->message);
    }
  call_free (call);
}

static void
load (ConfabChannelsPage *self,
      guint               channel)
{
  g_autofree char *path = NULL;

  if (self->site_id == NULL || self->client == NULL)
    return;
  path = channel_path (self, channel);
  confab_client_request_async (self->client, "GET", path, NULL, self->cancellable, loaded_cb,
                               call_new (self, channel));
}

static void edit (ConfabChannelsPage *self, guint channel, const char *error, const char * const *values);

static void
saved_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) settings = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL, &error);

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (settings == NULL && call->values != NULL)
        edit (call->self, call->channel, error->message, (const char * const *) call->values);
      else if (settings == NULL)
        confab_admin_toast (GTK_WIDGET (call->self), error->message);
      load (call->self, call->channel);
    }
  call_free (call);
}

static JsonArray *
parse_templates (const char *text)
{
  JsonArray *array = json_array_new ();
  g_auto (GStrv) items = g_strsplit (text, ",", -1);

  for (guint i = 0; items[i] != NULL; i++)
    {
      g_auto (GStrv) parts = g_strsplit (g_strstrip (items[i]), ":", 2);
      JsonObject *t;

      if (parts[0] == NULL || *g_strstrip (parts[0]) == '\0')
        continue;
      t = json_object_new ();
      json_object_set_string_member (t, "name", parts[0]);
      json_object_set_string_member (t, "language", parts[1] != NULL ? g_strstrip (parts[1]) : "en_US");
      json_array_add_object_element (array, t);
    }
  return array;
}

static void
on_edited (const char * const *values,
           gpointer            user_data)
{
  Call *call = call_new (((Call *) user_data)->self, ((Call *) user_data)->channel);
  const Channel *c = &channels[call->channel];
  g_autoptr (JsonObject) body = json_object_new ();
  g_autofree char *path = channel_path (call->self, call->channel);

  call->values = g_strdupv ((char **) values);
  for (guint i = 0; i < n_fields (c); i++)
    {
      const Field *f = &c->fields[i];

      switch (f->kind)
        {
        case KIND_BOOL:
          json_object_set_boolean_member (body, f->key, *values[i] != '\0');
          break;
        case KIND_INT:
          if (*values[i] != '\0')
            json_object_set_int_member (body, f->key, g_ascii_strtoll (values[i], NULL, 10));
          break;
        case KIND_SECRET:
          /* empty: the relay keeps what it has */
          if (*values[i] != '\0')
            json_object_set_string_member (body, f->key, values[i]);
          break;
        case KIND_TEMPLATES:
          json_object_set_array_member (body, f->key, parse_templates (values[i]));
          break;
        case KIND_TEXT:
        default:
          json_object_set_string_member (body, f->key, values[i]);
        }
    }
  confab_client_request_async (call->self->client, "PUT", path, body, call->self->cancellable,
                               saved_cb, call);
}

static void
edit (ConfabChannelsPage *self,
      guint               channel,
      const char         *error,
      const char * const *values)
{
  const Channel *c = &channels[channel];
  guint n = n_fields (c);
  g_autofree ConfabAdminField *fields = g_new0 (ConfabAdminField, n);
  g_autoptr (GPtrArray) current = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *heading = NULL;
  g_autoptr (GPtrArray) placeholders = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < n; i++)
    {
      const Field *f = &c->fields[i];
      const char *placeholder = f->placeholder != NULL ? _(f->placeholder) : NULL;

      if (f->kind == KIND_SECRET)
        placeholder = is_set (self->settings[channel], f) ? _("set — leave empty to keep it")
                                                          : _("not set");
      fields[i] = (ConfabAdminField) { f->key, _(f->label), placeholder, FALSE, FALSE,
                                       f->kind == KIND_BOOL, f->kind == KIND_SECRET };
      g_ptr_array_add (current, field_value (self->settings[channel], f));
    }
  g_ptr_array_add (current, NULL);
  heading = g_strdup (_(c->title));
  /* the dialog keeps only pointers: the fields must outlive it (one form at a time) */
  {
    static ConfabAdminField *shown;

    g_free (shown);
    shown = g_steal_pointer (&fields);
    confab_admin_edit (GTK_WIDGET (self), heading, error, shown, n,
                       values != NULL ? values : (const char * const *) current->pdata,
                       _("_Save"), on_edited, call_new (self, channel), call_free);
  }
}

static guint
channel_index (const char *id)
{
  for (guint i = 0; i < N_CHANNELS; i++)
    if (g_strcmp0 (channels[i].id, id) == 0)
      return i;
  return 0;
}

static void
edit_action (GtkWidget  *widget,
             const char *name,
             GVariant   *parameter)
{
  edit (CONFAB_CHANNELS_PAGE (widget), channel_index (g_variant_get_string (parameter, NULL)), NULL, NULL);
}

static void
do_disconnect (gpointer data)
{
  Call *call = data;
  g_autofree char *path = channel_path (call->self, call->channel);

  confab_client_request_async (call->self->client, "DELETE", path, NULL, call->self->cancellable,
                               saved_cb, call_new (call->self, call->channel));
}

static void
disconnect_action (GtkWidget  *widget,
                   const char *name,
                   GVariant   *parameter)
{
  ConfabChannelsPage *self = CONFAB_CHANNELS_PAGE (widget);
  guint channel = channel_index (g_variant_get_string (parameter, NULL));
  /* Translators: %s is a channel: "E-mail", "WhatsApp Business" */
  g_autofree char *heading = g_strdup_printf (_("Disconnect %s?"), _(channels[channel].title));

  confab_admin_confirm (widget, heading,
                        _("No new messages come in by it; its conversations stay in the inbox."),
                        _("_Disconnect"), do_disconnect, call_new (self, channel), call_free);
}

static void
set_site_id (ConfabChannelsPage *self,
             const char         *site_id)
{
  if (g_strcmp0 (self->site_id, site_id) == 0)
    return;
  g_free (self->site_id);
  self->site_id = g_strdup (site_id);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  for (guint i = 0; i < N_CHANNELS; i++)
    {
      confab_admin_group_clear (self->groups[i], self->rows[i]);
      g_clear_pointer (&self->settings[i], json_object_unref);
      load (self, i);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SITE_ID]);
}

/* ---------------------------------------------------------- lifecycle --- */

static void
confab_channels_page_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_SITE_ID:
      g_value_set_string (value, CONFAB_CHANNELS_PAGE (object)->site_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_channels_page_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_SITE_ID:
      set_site_id (CONFAB_CHANNELS_PAGE (object), g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_channels_page_dispose (GObject *object)
{
  ConfabChannelsPage *self = CONFAB_CHANNELS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  G_OBJECT_CLASS (confab_channels_page_parent_class)->dispose (object);
}

static void
confab_channels_page_finalize (GObject *object)
{
  ConfabChannelsPage *self = CONFAB_CHANNELS_PAGE (object);

  g_free (self->site_id);
  for (guint i = 0; i < N_CHANNELS; i++)
    {
      g_ptr_array_unref (self->rows[i]);
      g_clear_pointer (&self->settings[i], json_object_unref);
    }
  G_OBJECT_CLASS (confab_channels_page_parent_class)->finalize (object);
}

static void
confab_channels_page_class_init (ConfabChannelsPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = confab_channels_page_dispose;
  G_OBJECT_CLASS (klass)->finalize = confab_channels_page_finalize;
  G_OBJECT_CLASS (klass)->get_property = confab_channels_page_get_property;
  G_OBJECT_CLASS (klass)->set_property = confab_channels_page_set_property;
  properties[PROP_SITE_ID] =
    g_param_spec_string ("site-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (G_OBJECT_CLASS (klass), N_PROPS, properties);
  gtk_widget_class_install_action (widget_class, "channels.edit", "s", edit_action);
  gtk_widget_class_install_action (widget_class, "channels.disconnect", "s", disconnect_action);
}

static void
confab_channels_page_init (ConfabChannelsPage *self)
{
  gtk_widget_set_name (GTK_WIDGET (self), "channels-page");
  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (self), _("Channels"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (self), "mail-send-receive-symbolic");
  self->cancellable = g_cancellable_new ();
  for (guint i = 0; i < N_CHANNELS; i++)
    {
      g_autofree char *name = g_strdup_printf ("channel-%s", channels[i].id);
      g_autofree char *button_name = g_strdup_printf ("channel-%s-edit", channels[i].id);
      GtkWidget *edit_button = gtk_button_new_with_mnemonic (_("_Set Up"));

      self->groups[i] = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
      self->rows[i] = g_ptr_array_new ();
      gtk_widget_set_name (GTK_WIDGET (self->groups[i]), name);
      adw_preferences_group_set_title (self->groups[i], _(channels[i].title));
      adw_preferences_group_set_description (self->groups[i], _(channels[i].description));
      gtk_widget_set_name (edit_button, button_name);
      gtk_widget_set_valign (edit_button, GTK_ALIGN_CENTER);
      gtk_actionable_set_action_target (GTK_ACTIONABLE (edit_button), "s", channels[i].id);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (edit_button), "channels.edit");
      adw_preferences_group_set_header_suffix (self->groups[i], edit_button);
      self->edit_buttons[i] = edit_button;
      adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), self->groups[i]);
    }
}

GtkWidget *
confab_channels_page_new (ConfabClient *client)
{
  ConfabChannelsPage *self;

  g_return_val_if_fail (CONFAB_IS_CLIENT (client), NULL);

  self = g_object_new (CONFAB_TYPE_CHANNELS_PAGE, NULL);
  self->client = g_object_ref (client);
  return GTK_WIDGET (self);
}
