/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-data-page.c: visitor data of one site (see the header).
 *
 * - Find: GET /sites/{id}/visitors?q= (name, e-mail or id); each visitor found can be exported
 *   (GET /visitors/{id}/export, written as the relay made it into a file the user picks with
 *   GtkFileChooserNative), deleted (after a confirmation) or blocked (with an optional reason).
 * - Retention: the site setting retention_days (PATCH /sites/{id} settings).
 * - Blocks: GET /sites/{id}/blocks, each with Unblock. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-admin-util.h"
#include "confab-client-admin.h"
#include "confab-client-http.h"
#include "confab-client-team.h"
#include "confab-data-page.h"
#include "confab-format.h"

#define SEARCH_LIMIT 20

struct _ConfabDataPage
{
  AdwPreferencesPage   parent_instance;

  AdwPreferencesGroup *search_group;
  AdwPreferencesGroup *retention_group;
  AdwPreferencesGroup *blocks_group;
  AdwEntryRow         *search_row;
  GtkSpinButton       *retention_spin;
  GtkWidget           *retention_button;

  ConfabClient        *client;
  char                *site_id;
  gboolean             may_manage;
  GCancellable        *cancellable;
  GPtrArray           *visitor_rows;
  GPtrArray           *block_rows;
  JsonArray           *visitors;      /* the last search's */
  gint64               retention;     /* as the relay has it; -1 before it said */
  GtkNativeDialog     *chooser;       /* the export's, while it is open */
};

G_DEFINE_FINAL_TYPE (ConfabDataPage, confab_data_page, ADW_TYPE_PREFERENCES_PAGE)

enum {
  PROP_0,
  PROP_SITE_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const ConfabAdminField block_fields[] = {
  { "block-reason-entry", N_("_Reason (only the team sees it)"), N_("Spam"), FALSE, FALSE },
};

static void search (ConfabDataPage *self);
static void load_blocks (ConfabDataPage *self);

static JsonObject *
find_visitor (ConfabDataPage *self,
              const char     *id)
{
  for (guint i = 0; self->visitors != NULL && i < json_array_get_length (self->visitors); i++)
    {
      JsonObject *visitor = json_array_get_object_element (self->visitors, i);

      if (g_strcmp0 (confab_admin_string (visitor, "id"), id) == 0)
        return visitor;
    }
  return NULL;
}

static char *
visitor_label (JsonObject *visitor,
               const char *id)
{
  const char *email = confab_admin_string (visitor, "email");
  const char *name = confab_admin_string (visitor, "name");

  if ((name == NULL || *name == '\0') && email != NULL && *email != '\0')
    return g_strdup (email);
  return confab_format_visitor (name, id);
}

/* A request about one visitor, with what the answer needs. */
typedef struct {
  ConfabDataPage *self;
  char           *visitor_id;
  char           *label;
  GFile          *file;     /* export: where to */
} Call;

static void
call_free (gpointer data)
{
  Call *call = data;

  g_object_unref (call->self);
  g_free (call->visitor_id);
  g_free (call->label);
  g_clear_object (&call->file);
  g_free (call);
}

static Call *
call_new (ConfabDataPage *self,
          const char     *visitor_id,
          const char     *label)
{
  Call *call = g_new0 (Call, 1);

  call->self = g_object_ref (self);
  call->visitor_id = g_strdup (visitor_id);
  call->label = g_strdup (label);
  return call;
}

static Call *
call_for (ConfabDataPage *self,
          const char     *visitor_id)
{
  g_autofree char *label = visitor_label (find_visitor (self, visitor_id), visitor_id);

  return call_new (self, visitor_id, label);
}

/* ------------------------------------------------------------- export --- */

static void
written_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  if (g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    {
      g_autofree char *name = g_file_get_basename (call->file);

      text = g_strdup_printf (_("%s exported to %s"), call->label, name);
    }
  else
    text = g_strdup_printf (_("The export could not be written: %s"), error->message);
  confab_admin_toast (GTK_WIDGET (call->self), text);
  call_free (call);
}

static void
exported_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = confab_client_download_finish (CONFAB_CLIENT (source), result, &error);

  if (bytes == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *text = g_strdup_printf (_("Could not export %s: %s"), call->label,
                                                   error->message);

          confab_admin_toast (GTK_WIDGET (call->self), text);
        }
      call_free (call);
      return;
    }
  /* private data: readable by the user only (a new file; an existing one keeps its mode) */
  g_file_replace_contents_bytes_async (call->file, bytes, NULL, FALSE, G_FILE_CREATE_PRIVATE,
                                       NULL, written_cb, call);
}

static void
call_closure_free (gpointer  data,
                   GClosure *closure)
{
  call_free (data);
}

/* @call belongs to the chooser (freed with it); the download gets a copy. */
static void
on_chooser_response (GtkNativeDialog *chooser,
                     int              response,
                     Call            *call)
{
  ConfabDataPage *self = call->self;
  g_autoptr (GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser))) != NULL)
    {
      g_autofree char *path = confab_admin_path ("visitors", call->visitor_id, "export");
      Call *download = call_new (self, call->visitor_id, call->label);

      download->file = g_steal_pointer (&file);
      confab_client_download_async (self->client, path, self->cancellable, exported_cb, download);
    }
  /* the chooser hides itself; it goes with the next export or the page */
}

static void
export_action (GtkWidget  *widget,
               const char *name,
               GVariant   *parameter)
{
  ConfabDataPage *self = CONFAB_DATA_PAGE (widget);
  const char *visitor_id = g_variant_get_string (parameter, NULL);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autofree char *file_name = g_strdup_printf ("confab-visitor-%s.json", visitor_id);
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  GtkFileChooserNative *chooser;

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (self->chooser);
  g_clear_object (&self->chooser);
  chooser = gtk_file_chooser_native_new (_("Export Visitor Data"),
                                         GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), file_name);
  gtk_file_filter_set_name (filter, _("JSON"));
  gtk_file_filter_add_mime_type (filter, "application/json");
  gtk_file_filter_add_pattern (filter, "*.json");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  g_signal_connect_data (chooser, "response", G_CALLBACK (on_chooser_response),
                         call_for (self, visitor_id), call_closure_free, 0);
  self->chooser = GTK_NATIVE_DIALOG (chooser);
  gtk_native_dialog_show (self->chooser);
}

/* ------------------------------------------------- delete, block, unblock --- */

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL, &error);

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (error != NULL)
        {
          g_autofree char *text = g_strdup_printf (_("%s: %s"), call->label, error->message);

          confab_admin_toast (GTK_WIDGET (call->self), text);
        }
      search (call->self);
      load_blocks (call->self);
    }
  call_free (call);
}

static void
do_delete (gpointer data)
{
  Call *call = data;
  g_autofree char *path = confab_admin_path ("visitors", call->visitor_id, NULL);

  confab_client_request_async (call->self->client, "DELETE", path, NULL, call->self->cancellable,
                               done_cb, call_new (call->self, call->visitor_id, call->label));
}

static void
delete_action (GtkWidget  *widget,
               const char *name,
               GVariant   *parameter)
{
  Call *call = call_for (CONFAB_DATA_PAGE (widget), g_variant_get_string (parameter, NULL));
  g_autofree char *heading = g_strdup_printf (_("Delete Everything About %s?"), call->label);

  confab_admin_confirm (widget, heading,
                        _("Their conversations, messages, pages visited, ratings, offline messages and images are deleted for good. A block stays."),
                        _("_Delete"), do_delete, call, call_free);
}

static void
on_block_reason (const char * const *values,
                 gpointer            user_data)
{
  Call *call = user_data;
  g_autofree char *path = confab_admin_path ("visitors", call->visitor_id, "block");
  g_autoptr (JsonObject) body = json_object_new ();

  if (values[0] != NULL && *values[0] != '\0')
    json_object_set_string_member (body, "reason", values[0]);
  confab_client_request_async (call->self->client, "POST", path, body, call->self->cancellable,
                               done_cb, call_new (call->self, call->visitor_id, call->label));
}

static void
block_action (GtkWidget  *widget,
              const char *name,
              GVariant   *parameter)
{
  static ConfabAdminField translated[G_N_ELEMENTS (block_fields)];
  Call *call = call_for (CONFAB_DATA_PAGE (widget), g_variant_get_string (parameter, NULL));
  g_autofree char *heading = g_strdup_printf (_("Block %s?"), call->label);

  for (guint i = 0; i < G_N_ELEMENTS (block_fields); i++)
    {
      translated[i] = block_fields[i];
      translated[i].label = _(block_fields[i].label);
      translated[i].placeholder = _(block_fields[i].placeholder);
    }
  confab_admin_edit (widget, heading,
                     _("Their chat will say it is not available, also from another browser on the same address."),
                     translated, G_N_ELEMENTS (translated), NULL, _("_Block"), on_block_reason,
                     call, call_free);
}

static void
unblock_action (GtkWidget  *widget,
                const char *name,
                GVariant   *parameter)
{
  ConfabDataPage *self = CONFAB_DATA_PAGE (widget);
  const char *visitor_id = g_variant_get_string (parameter, NULL);
  g_autofree char *path = confab_admin_path ("visitors", visitor_id, "block");

  confab_client_request_async (self->client, "DELETE", path, NULL, self->cancellable, done_cb,
                               call_for (self, visitor_id));
}

/* ------------------------------------------------------------- search --- */

static GtkWidget *
visitor_row (ConfabDataPage *self,
             JsonObject     *visitor)
{
  const char *id = confab_admin_string (visitor, "id");
  const char *email = confab_admin_string (visitor, "email");
  g_autofree char *label = visitor_label (visitor, id);
  g_autofree char *title = confab_admin_markup (label);
  g_autofree char *seen = confab_admin_format_time (confab_admin_string (visitor, "last_seen"));
  g_autofree char *subtitle = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *name = g_strdup_printf ("visitor-%s", id);
  GtkWidget *row = adw_action_row_new ();

  /* Translators: an e-mail address (or a visitor id), then when they were last seen */
  subtitle = g_strdup_printf (_("%s · last seen %s"),
                              email != NULL && *email != '\0' && g_strcmp0 (email, label) != 0 ? email : id,
                              seen);
  escaped = confab_admin_markup (subtitle);
  gtk_widget_set_name (row, name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), escaped);
  if (self->may_manage)
    {
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 confab_admin_row_button ("document-save-symbolic", _("Export…"),
                                                          "data.export", id, "visitor-export"));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 confab_admin_row_button ("action-unavailable-symbolic", _("Block…"),
                                                          "data.block", id, "visitor-block"));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 confab_admin_row_button ("user-trash-symbolic", _("Delete…"),
                                                          "data.delete", id, "visitor-delete"));
    }
  return row;
}

static void
visitors_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  ConfabDataPage *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL, &error);
  JsonNode *list;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  confab_admin_group_clear (self->search_group, self->visitor_rows);
  g_clear_pointer (&self->visitors, json_array_unref);
  list = answer != NULL ? json_object_get_member (answer, "visitors") : NULL;
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    {
      g_autofree char *text = g_strdup_printf (_("The search failed: %s"),
                                               error != NULL ? error->message : _("no list"));
      adw_preferences_group_set_description (self->search_group, text);
      return;
    }
  self->visitors = json_array_ref (json_node_get_array (list));
  for (guint i = 0; i < json_array_get_length (self->visitors); i++)
    {
      JsonNode *node = json_array_get_element (self->visitors, i);

      if (JSON_NODE_HOLDS_OBJECT (node) && confab_admin_string (json_node_get_object (node), "id"))
        confab_admin_group_add (self->search_group, self->visitor_rows,
                                visitor_row (self, json_node_get_object (node)));
    }
  adw_preferences_group_set_description (self->search_group,
                                         self->visitor_rows->len == 0
                                         ? _("No visitor matches.")
                                         : _("Export everything the site keeps about a visitor, delete it, or block them."));
}

static void
search (ConfabDataPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_row));
  g_autofree char *query = g_strstrip (g_strdup (text));
  g_autofree char *escaped = NULL;
  g_autofree char *base = NULL;
  g_autofree char *path = NULL;

  /* nothing asked, nothing listed: the search is for one person, not for browsing */
  if (self->site_id == NULL || self->client == NULL || *query == '\0')
    return;
  escaped = g_uri_escape_string (query, NULL, FALSE);
  base = confab_admin_path ("sites", self->site_id, "visitors");
  path = g_strdup_printf ("%s?limit=%d&q=%s", base, SEARCH_LIMIT, escaped);
  confab_client_request_async (self->client, "GET", path, NULL, self->cancellable, visitors_cb, self);
}

static void
on_search (ConfabDataPage *self)
{
  search (self);
}

/* ------------------------------------------------------------- blocks --- */

static GtkWidget *
block_row (JsonObject *block)
{
  const char *id = confab_admin_string (block, "visitor_id");
  const char *name = confab_admin_string (block, "name");
  const char *email = confab_admin_string (block, "email");
  const char *reason = confab_admin_string (block, "reason");
  const char *by = confab_admin_string (confab_admin_object (block, "blocked_by"), "name");
  g_autofree char *label = (name == NULL || *name == '\0') && email != NULL
                           ? g_strdup (email) : confab_format_visitor (name, id);
  g_autofree char *title = confab_admin_markup (label);
  g_autofree char *when = confab_admin_format_time (confab_admin_string (block, "blocked_at"));
  g_autofree char *subtitle = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *row_name = g_strdup_printf ("block-%s", id);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *button = gtk_button_new_with_mnemonic (_("_Unblock"));

  if (by != NULL && reason != NULL && *reason != '\0')
    subtitle = g_strdup_printf (_("Blocked by %s on %s: %s"), by, when, reason);
  else if (by != NULL)
    subtitle = g_strdup_printf (_("Blocked by %s on %s"), by, when);
  else
    subtitle = g_strdup_printf (_("Blocked on %s"), when);
  escaped = confab_admin_markup (subtitle);
  gtk_widget_set_name (row, row_name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), escaped);
  gtk_widget_set_name (button, "block-remove");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "data.unblock");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", id);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  return row;
}

static void
blocks_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  ConfabDataPage *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL, &error);
  JsonNode *list;
  JsonArray *blocks;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  confab_admin_group_clear (self->blocks_group, self->block_rows);
  list = answer != NULL ? json_object_get_member (answer, "blocks") : NULL;
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    {
      g_autofree char *text = g_strdup_printf (_("The blocked visitors could not be loaded: %s"),
                                               error != NULL ? error->message : _("no list"));
      adw_preferences_group_set_description (self->blocks_group, text);
      return;
    }
  blocks = json_node_get_array (list);
  for (guint i = 0; i < json_array_get_length (blocks); i++)
    {
      JsonNode *node = json_array_get_element (blocks, i);

      if (JSON_NODE_HOLDS_OBJECT (node) && confab_admin_string (json_node_get_object (node), "visitor_id"))
        confab_admin_group_add (self->blocks_group, self->block_rows, block_row (json_node_get_object (node)));
    }
  adw_preferences_group_set_description (self->blocks_group,
                                         self->block_rows->len == 0
                                         ? _("Nobody is blocked.")
                                         : _("Their chat says it is not available, by visitor and by address."));
}

static void
load_blocks (ConfabDataPage *self)
{
  g_autofree char *path = NULL;

  if (self->site_id == NULL || self->client == NULL || !self->may_manage)
    return;
  path = confab_admin_path ("sites", self->site_id, "blocks");
  confab_client_request_async (self->client, "GET", path, NULL, self->cancellable, blocks_cb, self);
}

/* ---------------------------------------------------------- retention --- */

static void
update_retention_button (ConfabDataPage *self)
{
  gtk_widget_set_sensitive (self->retention_button,
                            self->may_manage && self->retention >= 0 &&
                            gtk_spin_button_get_value_as_int (self->retention_spin) != self->retention);
}

static void
site_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  ConfabDataPage *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) site = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL, &error);
  JsonObject *settings;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (site == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("The site’s retention could not be read: %s"),
                                               error->message);

      adw_preferences_group_set_description (self->retention_group, text);
      return;
    }
  settings = confab_admin_object (site, "settings");
  self->retention = settings != NULL
                    ? json_object_get_int_member_with_default (settings, "retention_days", 0) : 0;
  adw_preferences_group_set_description (self->retention_group, NULL);
  gtk_spin_button_set_value (self->retention_spin, (double) self->retention);
  update_retention_button (self);
}

static void
load_site (ConfabDataPage *self)
{
  g_autofree char *path = NULL;

  if (self->site_id == NULL || self->client == NULL)
    return;
  path = confab_admin_path ("sites", self->site_id, NULL);
  confab_client_request_async (self->client, "GET", path, NULL, self->cancellable, site_cb, self);
}

static void
on_retention_changed (ConfabDataPage *self)
{
  update_retention_button (self);
}

static void
on_retention_save (ConfabDataPage *self)
{
  g_autoptr (JsonObject) body = json_object_new ();
  JsonObject *settings = json_object_new ();
  g_autofree char *path = NULL;

  if (self->site_id == NULL)
    return;
  json_object_set_int_member (settings, "retention_days",
                              gtk_spin_button_get_value_as_int (self->retention_spin));
  json_object_set_object_member (body, "settings", settings);
  path = confab_admin_path ("sites", self->site_id, NULL);
  gtk_widget_set_sensitive (self->retention_button, FALSE);
  /* the answer is the site with its settings: site_cb shows what the relay kept */
  confab_client_request_async (self->client, "PATCH", path, body, self->cancellable, site_cb, self);
}

/* ------------------------------------------------------------ actions --- */

static void
set_site_id (ConfabDataPage *self,
             const char     *site_id)
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
  self->may_manage = g_strcmp0 (role, "owner") == 0 || g_strcmp0 (role, "admin") == 0;
  self->retention = -1;
  confab_admin_group_clear (self->search_group, self->visitor_rows);
  confab_admin_group_clear (self->blocks_group, self->block_rows);
  g_clear_pointer (&self->visitors, json_array_unref);
  gtk_editable_set_text (GTK_EDITABLE (self->search_row), "");
  gtk_widget_set_visible (GTK_WIDGET (self->retention_group), self->may_manage);
  gtk_widget_set_visible (GTK_WIDGET (self->blocks_group), self->may_manage);
  update_retention_button (self);
  load_site (self);
  load_blocks (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SITE_ID]);
}

/* ---------------------------------------------------------- lifecycle --- */

static void
confab_data_page_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  ConfabDataPage *self = CONFAB_DATA_PAGE (object);

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
confab_data_page_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  ConfabDataPage *self = CONFAB_DATA_PAGE (object);

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
confab_data_page_dispose (GObject *object)
{
  ConfabDataPage *self = CONFAB_DATA_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (self->chooser);
  g_clear_object (&self->chooser);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (object), CONFAB_TYPE_DATA_PAGE);
  G_OBJECT_CLASS (confab_data_page_parent_class)->dispose (object);
}

static void
confab_data_page_finalize (GObject *object)
{
  ConfabDataPage *self = CONFAB_DATA_PAGE (object);

  g_free (self->site_id);
  g_clear_pointer (&self->visitors, json_array_unref);
  g_ptr_array_unref (self->visitor_rows);
  g_ptr_array_unref (self->block_rows);
  G_OBJECT_CLASS (confab_data_page_parent_class)->finalize (object);
}

static void
confab_data_page_class_init (ConfabDataPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = confab_data_page_dispose;
  G_OBJECT_CLASS (klass)->finalize = confab_data_page_finalize;
  G_OBJECT_CLASS (klass)->get_property = confab_data_page_get_property;
  G_OBJECT_CLASS (klass)->set_property = confab_data_page_set_property;

  /* the site the settings area's picker shows; NULL: none */
  properties[PROP_SITE_ID] =
    g_param_spec_string ("site-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (G_OBJECT_CLASS (klass), N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/chat/confab/Confab/confab-data-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabDataPage, search_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabDataPage, retention_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabDataPage, blocks_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabDataPage, search_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabDataPage, retention_spin);
  gtk_widget_class_bind_template_child (widget_class, ConfabDataPage, retention_button);
  gtk_widget_class_bind_template_callback (widget_class, on_search);
  gtk_widget_class_bind_template_callback (widget_class, on_retention_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_retention_save);
  gtk_widget_class_install_action (widget_class, "data.export", "s", export_action);
  gtk_widget_class_install_action (widget_class, "data.delete", "s", delete_action);
  gtk_widget_class_install_action (widget_class, "data.block", "s", block_action);
  gtk_widget_class_install_action (widget_class, "data.unblock", "s", unblock_action);
}

static void
confab_data_page_init (ConfabDataPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->visitor_rows = g_ptr_array_new ();
  self->block_rows = g_ptr_array_new ();
  self->retention = -1;
}

GtkWidget *
confab_data_page_new (ConfabClient *client)
{
  ConfabDataPage *self;

  g_return_val_if_fail (CONFAB_IS_CLIENT (client), NULL);

  self = g_object_new (CONFAB_TYPE_DATA_PAGE, NULL);
  self->client = g_object_ref (client);
  return GTK_WIDGET (self);
}
