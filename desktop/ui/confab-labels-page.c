/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-labels-page.c: the labels of one site (see the header). Agents may read them (the
 * conversation header's picker does), owners and admins change them; every change is pushed to
 * the site's agents as a `labels` frame. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-admin-list.h"
#include "confab-admin-util.h"
#include "confab-labels-page.h"
#include "confab-client-admin.h"
#include "confab-client-team.h"
#include "confab-client-chat.h"
#include "confab-client-http.h"
#include "confab-labels.h"

struct _ConfabLabelsPage
{
  AdwPreferencesPage   parent_instance;

  AdwPreferencesGroup *labels_group;
  GtkWidget           *add_button;

  ConfabClient        *client;
  char                *site_id;
  gboolean             may_write;
  GCancellable        *cancellable;
  ConfabAdminList      list;
};

G_DEFINE_FINAL_TYPE (ConfabLabelsPage, confab_labels_page, ADW_TYPE_PREFERENCES_PAGE)

enum {
  PROP_0,
  PROP_SITE_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const ConfabAdminField fields[] = {
  { "label-name-entry", N_("_Name"), N_("Billing"), FALSE, TRUE },
  { "label-color-entry", N_("_Colour: #rrggbb"), N_("#3584e4"), FALSE, TRUE },
};

static void load (ConfabLabelsPage *self);

static JsonObject *
find_label (ConfabLabelsPage *self,
             const char       *id)
{
  return confab_admin_list_find (&self->list, id);
}

/* -------------------------------------------------------------- write --- */

typedef struct {
  ConfabLabelsPage *self;
  char             *id;      /* NULL: a new one */
  char            **values;  /* what was typed, to show again after a refusal */
} Save;

static void
save_free (gpointer data)
{
  Save *save = data;

  g_object_unref (save->self);
  g_free (save->id);
  g_strfreev (save->values);
  g_free (save);
}

static Save *
save_new (ConfabLabelsPage *self,
          const char       *id)
{
  Save *save = g_new0 (Save, 1);

  save->self = g_object_ref (self);
  save->id = g_strdup (id);
  return save;
}

static void edit (ConfabLabelsPage *self, const char *id, const char *error,
                  const char * const *values);

static void
saved_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Save *save = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL, &error);

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (error != NULL && save->values != NULL)
        /* the form again, as it was typed, with the relay's reason (a name taken...) */
        edit (save->self, save->id, error->message, (const char * const *) save->values);
      else if (error != NULL)
        confab_admin_toast (GTK_WIDGET (save->self), error->message);
      load (save->self);
    }
  save_free (save);
}

static void
on_edited (const char * const *values,
           gpointer            user_data)
{
  Save *save = save_new (((Save *) user_data)->self, ((Save *) user_data)->id);
  ConfabLabelsPage *self = save->self;
  g_autoptr (JsonObject) body = json_object_new ();
  g_autofree char *color = g_strstrip (g_ascii_strdown (values[1], -1));
  g_autofree char *path = NULL;

  save->values = g_strdupv ((char **) values);
  json_object_set_string_member (body, "name", values[0]);
  /* "3584e4" is what people paste from a colour picker: the relay wants the "#" */
  if (*color != '\0' && color[0] != '#')
    {
      g_autofree char *with_hash = g_strconcat ("#", color, NULL);

      json_object_set_string_member (body, "color", with_hash);
    }
  else
    json_object_set_string_member (body, "color", color);
  path = save->id != NULL ? confab_admin_path ("labels", save->id, NULL)
                          : confab_admin_path ("sites", self->site_id, "labels");
  confab_client_request_async (self->client, save->id != NULL ? "PATCH" : "POST", path, body,
                               self->cancellable, saved_cb, save);
}

static void
edit (ConfabLabelsPage   *self,
      const char         *id,
      const char         *error,
      const char * const *values)
{
  static ConfabAdminField translated[G_N_ELEMENTS (fields)];
  JsonObject *label = id != NULL ? find_label (self, id) : NULL;
  const char *current[G_N_ELEMENTS (fields)] = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      translated[i] = fields[i];
      translated[i].label = _(fields[i].label);
      translated[i].placeholder = fields[i].placeholder != NULL ? _(fields[i].placeholder) : NULL;
    }
  if (values == NULL && label != NULL)
    {
      current[0] = confab_admin_string (label, "name");
      current[1] = confab_admin_string (label, "color");
      values = current;
    }
  confab_admin_edit (GTK_WIDGET (self),
                     id != NULL ? _("Edit Label") : _("New Label"), error,
                     translated, G_N_ELEMENTS (fields), values, _("_Save"), on_edited,
                     save_new (self, id), save_free);
}

static void
add_action (GtkWidget  *widget,
            const char *name,
            GVariant   *parameter)
{
  edit (CONFAB_LABELS_PAGE (widget), NULL, NULL, NULL);
}

static void
edit_action (GtkWidget  *widget,
             const char *name,
             GVariant   *parameter)
{
  edit (CONFAB_LABELS_PAGE (widget), g_variant_get_string (parameter, NULL), NULL, NULL);
}

static void
do_delete (gpointer data)
{
  Save *save = data;
  g_autofree char *path = confab_admin_path ("labels", save->id, NULL);

  confab_client_request_async (save->self->client, "DELETE", path, NULL, save->self->cancellable,
                               saved_cb, save_new (save->self, save->id));
}

static void
delete_action (GtkWidget  *widget,
               const char *name,
               GVariant   *parameter)
{
  ConfabLabelsPage *self = CONFAB_LABELS_PAGE (widget);
  const char *id = g_variant_get_string (parameter, NULL);
  JsonObject *label = find_label (self, id);
  /* Translators: %s is a label's name */
  g_autofree char *body = g_strdup_printf (_("“%s” is taken off every conversation that has it."),
                                           label != NULL ? confab_admin_string (label, "name") : id);

  confab_admin_confirm (widget, _("Delete the Label?"), body, _("_Delete"), do_delete,
                        save_new (self, id), save_free);
}

/* --------------------------------------------------------------- list --- */

static GtkWidget *
label_row (gpointer    page,
           JsonObject *label)
{
  ConfabLabelsPage *self = page;
  const char *id = confab_admin_string (label, "id");
  g_autofree char *title = confab_admin_markup (confab_admin_string (label, "name"));
  g_autofree char *subtitle = confab_admin_markup (confab_admin_string (label, "color"));
  g_autofree char *name = g_strdup_printf ("label-%s", confab_admin_string (label, "name"));
  GtkWidget *row = adw_action_row_new ();

  gtk_widget_set_name (row, name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row),
                             confab_label_dot_new (confab_admin_string (label, "color")));
  if (self->may_write)
    {
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 confab_admin_row_button ("document-edit-symbolic", _("Edit"),
                                                          "labels.edit", id, "label-edit"));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 confab_admin_row_button ("user-trash-symbolic", _("Delete"),
                                                          "labels.delete", id, "label-delete"));
    }
  return row;
}

static void
show_labels (ConfabLabelsPage *self,
             JsonArray        *labels)
{
  confab_admin_list_show (&self->list, labels);
}

static void
load (ConfabLabelsPage *self)
{
  g_autofree char *path = NULL;

  if (self->site_id == NULL || self->client == NULL)
    return;
  path = confab_admin_path ("sites", self->site_id, "labels");
  confab_admin_list_load (&self->list, self->client, path, self->cancellable);
}

/* ------------------------------------------------------------- pushed --- */

static void
on_labels_changed (ConfabClient     *client,
                   const char       *site_id,
                   JsonArray        *labels,
                   ConfabLabelsPage *self)
{
  if (g_strcmp0 (site_id, self->site_id) != 0)
    return;
  if (labels != NULL)
    show_labels (self, labels);
  else
    load (self); /* too long to push: over REST */
}

static void
on_state_changed (ConfabClient     *client,
                  GParamSpec       *pspec,
                  ConfabLabelsPage *self)
{
  /* back online: what changed meanwhile was pushed to nobody */
  if (confab_client_get_state (client) == CONFAB_CLIENT_ONLINE)
    load (self);
}

/* --------------------------------------------------------------- site --- */

static void
set_site_id (ConfabLabelsPage *self,
             const char       *site_id)
{
  g_autofree char *role = NULL;

  if (g_strcmp0 (self->site_id, site_id) == 0)
    return;
  g_free (self->site_id);
  self->site_id = g_strdup (site_id);
  /* what was on its way for the last site is not for this one */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  if (site_id != NULL && self->client != NULL)
    role = confab_client_dup_site_role (self->client, site_id);
  self->may_write = g_strcmp0 (role, "owner") == 0 || g_strcmp0 (role, "admin") == 0;
  gtk_widget_set_visible (self->add_button, self->may_write);
  confab_admin_list_clear (&self->list);
  load (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SITE_ID]);
}

/* ---------------------------------------------------------- lifecycle --- */

static void
confab_labels_page_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  ConfabLabelsPage *self = CONFAB_LABELS_PAGE (object);

  switch (prop_id)
    {
    case PROP_SITE_ID:
      g_value_set_string (value, self->site_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_labels_page_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  ConfabLabelsPage *self = CONFAB_LABELS_PAGE (object);

  switch (prop_id)
    {
    case PROP_SITE_ID:
      set_site_id (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_labels_page_dispose (GObject *object)
{
  ConfabLabelsPage *self = CONFAB_LABELS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (object), CONFAB_TYPE_LABELS_PAGE);
  G_OBJECT_CLASS (confab_labels_page_parent_class)->dispose (object);
}

static void
confab_labels_page_finalize (GObject *object)
{
  ConfabLabelsPage *self = CONFAB_LABELS_PAGE (object);

  g_free (self->site_id);
  g_clear_pointer (&self->list.items, json_array_unref);
  g_ptr_array_unref (self->list.rows);
  G_OBJECT_CLASS (confab_labels_page_parent_class)->finalize (object);
}

static void
confab_labels_page_class_init (ConfabLabelsPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = confab_labels_page_dispose;
  G_OBJECT_CLASS (klass)->finalize = confab_labels_page_finalize;
  G_OBJECT_CLASS (klass)->get_property = confab_labels_page_get_property;
  G_OBJECT_CLASS (klass)->set_property = confab_labels_page_set_property;

  /* the site the settings area's picker shows; NULL: none */
  properties[PROP_SITE_ID] =
    g_param_spec_string ("site-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (G_OBJECT_CLASS (klass), N_PROPS, properties);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/chat/confab/Confab/confab-labels-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabLabelsPage, labels_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabLabelsPage, add_button);
  gtk_widget_class_install_action (widget_class, "labels.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "labels.edit", "s", edit_action);
  gtk_widget_class_install_action (widget_class, "labels.delete", "s", delete_action);
}

static void
confab_labels_page_init (ConfabLabelsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->list = (ConfabAdminList) {
    .group = self->labels_group,
    .member = "labels",
    .empty_text = _("None yet. Agents put labels on conversations and filter the inbox by them."),
    .filled_text = _("Agents put labels on conversations and filter the inbox by them."),
    .failed_text = _("The labels could not be loaded"),
    .make_row = label_row,
    .page = self,
  };
  confab_admin_list_init (&self->list);
}

GtkWidget *
confab_labels_page_new (ConfabClient *client)
{
  ConfabLabelsPage *self;

  g_return_val_if_fail (CONFAB_IS_CLIENT (client), NULL);

  self = g_object_new (CONFAB_TYPE_LABELS_PAGE, NULL);
  self->client = g_object_ref (client);
  confab_client_ensure_chat_signals ();
  g_signal_connect (client, "labels-changed", G_CALLBACK (on_labels_changed), self);
  g_signal_connect (client, "notify::state", G_CALLBACK (on_state_changed), self);
  return GTK_WIDGET (self);
}
