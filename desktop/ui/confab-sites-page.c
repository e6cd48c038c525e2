/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-sites-page.c: see the header.
 *
 * The page keeps the site object the relay last gave (GET, a PATCH's answer, or a pushed "site"
 * frame) and fills its rows from it; a change the user makes is sent at once and the rows are
 * filled again from the answer, so what shows is what the relay stored. A refusal is shown
 * where it belongs (beside the domains or the working hours) or as a toast, and the row goes
 * back to the stored value: nothing is lost silently. A row being edited keeps its text when a
 * push from another app arrives. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-admin-window.h"
#include "confab-client-admin.h"
#include "confab-json.h"
#include "confab-site.h"
#include "confab-sites-page.h"
#include "confab-widget-preview.h"

#define MIB (1024 * 1024)

static const char *switch_keys[] = {
  "typing_preview", "sound", "fingerprint", "consent_required", "faq_auto_answer",
  "assign_on_reply",
};
/* the widget's defaults for a key the site has not set (docs/http-api.md, site settings) */
static const gboolean switch_defaults[] = { TRUE, TRUE, FALSE, FALSE, TRUE, TRUE };

static const char *days[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
static const char *prechat_modes[] = { "off", "optional", "required" };

struct _ConfabSitesPage
{
  AdwPreferencesPage   parent_instance;

  ConfabClient        *client;
  char                *site_id;
  JsonObject          *site;
  GCancellable        *cancellable;   /* the loads of the site shown */
  gboolean             filling;       /* rows being set from the site: no PATCH */

  AdwPreferencesGroup *list_group;
  GPtrArray           *list_rows;
  GPtrArray           *site_groups;   /* hidden while no site is loaded */

  AdwEntryRow         *name_row;
  GtkSwitch           *enabled_switch;
  AdwPreferencesGroup *domains_group;
  GtkListBox          *domains_list;
  GPtrArray           *domain_rows;
  AdwEntryRow         *domain_entry;
  GtkLabel            *domain_error;
  ConfabWidgetPreview *preview;
  AdwEntryRow         *color_row;
  GtkColorButton      *color_button;
  AdwComboRow         *position_row;
  AdwEntryRow         *welcome_row;
  AdwEntryRow         *offline_row;
  AdwEntryRow         *consent_row;
  GtkSwitch           *switches[G_N_ELEMENTS (switch_keys)];
  GtkSpinButton       *threshold_spin;
  AdwComboRow         *prechat_row;
  GtkSpinButton       *upload_spin;
  GtkSwitch           *hours_switch;
  AdwEntryRow         *timezone_row;
  AdwEntryRow         *day_rows[G_N_ELEMENTS (days)];
  GtkLabel            *hours_error;
  GtkLabel            *snippet_label;
  AdwActionRow        *key_row;
  AdwPreferencesGroup *danger_group;
  GtkWidget           *delete_row;
  guint                spin_source;
  GtkSpinButton       *spin_changed;
};

G_DEFINE_FINAL_TYPE (ConfabSitesPage, confab_sites_page, ADW_TYPE_PREFERENCES_PAGE)

enum {
  PROP_0,
  PROP_SITE_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void fill (ConfabSitesPage *self);

/* ------------------------------------------------------------ helpers --- */

static JsonObject *
settings_of (ConfabSitesPage *self)
{
  JsonObject *settings = NULL;

  if (self->site != NULL)
    confab_json_get_object (self->site, "settings", FALSE, &settings, NULL);
  return settings;
}

static const char *
setting_string (ConfabSitesPage *self,
                const char      *key,
                const char      *fallback)
{
  JsonObject *settings = settings_of (self);
  const char *value = NULL;

  if (settings != NULL && confab_json_get_string (settings, key, FALSE, &value, NULL) && value)
    return value;
  return fallback;
}

static gboolean
setting_bool (ConfabSitesPage *self,
              const char      *key,
              gboolean         fallback)
{
  JsonObject *settings = settings_of (self);
  gboolean value = fallback;

  if (settings != NULL)
    confab_json_get_bool (settings, key, FALSE, fallback, &value, NULL);
  return value;
}

static gint64
setting_int (ConfabSitesPage *self,
             const char      *key,
             gint64           fallback)
{
  JsonObject *settings = settings_of (self);
  gint64 value = fallback;

  if (settings != NULL)
    confab_json_get_int (settings, key, FALSE, fallback, &value, NULL);
  return value;
}

static const char *
site_string (ConfabSitesPage *self,
             const char      *key)
{
  const char *value = NULL;

  if (self->site != NULL)
    confab_json_get_string (self->site, key, FALSE, &value, NULL);
  return value;
}

static gboolean
is_owner (ConfabSitesPage *self)
{
  return g_strcmp0 (site_string (self, "role"), "owner") == 0;
}

static gboolean
editing (GtkWidget *row)
{
  return (gtk_widget_get_state_flags (row) & GTK_STATE_FLAG_FOCUS_WITHIN) != 0;
}

/* Sets an entry row's text unless the user is typing in it. */
static void
set_entry (AdwEntryRow *row,
           const char  *text)
{
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (row)), text ? text : "") == 0 ||
      editing (GTK_WIDGET (row)))
    return;
  /* without the apply button while set: a stored value is not an edit waiting to be applied */
  adw_entry_row_set_show_apply_button (row, FALSE);
  gtk_editable_set_text (GTK_EDITABLE (row), text ? text : "");
  adw_entry_row_set_show_apply_button (row, TRUE);
}

static void
show_error (GtkLabel   *label,
            const char *text)
{
  gtk_label_set_text (label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (label), text != NULL);
}

static char *
site_path (ConfabSitesPage *self,
           const char      *rest)
{
  return g_strdup_printf ("/api/v1/sites/%s%s", self->site_id, rest ? rest : "");
}

/* ------------------------------------------------------------ patching --- */

typedef struct {
  ConfabSitesPage *self;
  GtkLabel        *error_label;  /* the refusal shows here, else as a toast */
  char            *done;         /* a toast on success, or NULL */
  char            *site_id;      /* the site it was for */
} Change;

static void
change_free (Change *change)
{
  g_object_unref (change->self);
  g_clear_object (&change->error_label);
  g_free (change->done);
  g_free (change->site_id);
  g_free (change);
}

static void
set_site (ConfabSitesPage *self,
          JsonObject      *site)
{
  g_clear_pointer (&self->site, json_object_unref);
  self->site = site != NULL ? json_object_ref (site) : NULL;
  fill (self);
}

static void
changed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Change *change = user_data;
  ConfabSitesPage *self = change->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) site = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL,
                                                              &error);

  /* a page closed meanwhile (disposed: no client) has nothing left to show it in */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->client == NULL ||
      g_strcmp0 (change->site_id, self->site_id) != 0)
    goto out;
  if (site == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Not saved: %s"), error->message);

      if (change->error_label != NULL)
        show_error (change->error_label, error->message);
      else
        confab_admin_window_toast (GTK_WIDGET (self), text);
      fill (self);  /* the row shows what is stored again */
      goto out;
    }
  if (change->error_label != NULL)
    show_error (change->error_label, NULL);
  if (json_object_has_member (site, "id"))
    {
      g_autoptr (GError) cache_error = NULL;

      set_site (self, site);
      /* the list and the picker show the new name now, pushed frame or not */
      if (!confab_client_apply_site (self->client, site, &cache_error))
        g_warning ("The site list was not updated: %s", cache_error->message);
    }
  if (change->done != NULL)
    confab_admin_window_toast (GTK_WIDGET (self), change->done);

out:
  change_free (change);
}

/* Sends @body (taken) as a PATCH of the site shown. */
static void
patch_site (ConfabSitesPage *self,
            JsonObject      *body,
            GtkLabel        *error_label)
{
  g_autoptr (JsonObject) owned = body;
  g_autofree char *path = NULL;
  Change *change;

  if (self->filling || self->site == NULL)
    return;
  change = g_new0 (Change, 1);
  change->self = g_object_ref (self);
  change->error_label = error_label != NULL ? g_object_ref (error_label) : NULL;
  change->site_id = g_strdup (self->site_id);
  path = site_path (self, NULL);
  confab_client_request_async (self->client, "PATCH", path, owned, NULL, changed_cb, change);
}

static void
patch_setting (ConfabSitesPage *self,
               const char      *key,
               JsonNode        *value,
               GtkLabel        *error_label)
{
  JsonObject *body = json_object_new ();
  JsonObject *settings = json_object_new ();

  json_object_set_member (settings, key, value);
  json_object_set_object_member (body, "settings", settings);
  patch_site (self, body, error_label);
}

static void
patch_setting_string (ConfabSitesPage *self,
                      const char      *key,
                      const char      *text)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);

  /* an empty text goes back to the widget's default */
  if (text == NULL || *text == '\0')
    json_node_init_null (node);
  else
    json_node_set_string (node, text);
  patch_setting (self, key, node, NULL);
}

/* ---------------------------------------------------------- the rows --- */

static void
on_name_apply (ConfabSitesPage *self)
{
  JsonObject *body = json_object_new ();

  json_object_set_string_member (body, "name", gtk_editable_get_text (GTK_EDITABLE (self->name_row)));
  patch_site (self, body, NULL);
}

static void
on_enabled (ConfabSitesPage *self)
{
  JsonObject *body = json_object_new ();

  json_object_set_boolean_member (body, "enabled", gtk_switch_get_active (self->enabled_switch));
  patch_site (self, body, NULL);
}

static JsonArray *
current_domains (ConfabSitesPage *self)
{
  JsonNode *node = self->site != NULL ? json_object_get_member (self->site, "domains") : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

/* The domains list with @add appended and @remove (an index, or -1) left out. */
static void
patch_domains (ConfabSitesPage *self,
               const char      *add,
               int              remove)
{
  JsonArray *domains = current_domains (self);
  JsonArray *list = json_array_new ();
  JsonObject *body = json_object_new ();

  for (guint i = 0; domains != NULL && i < json_array_get_length (domains); i++)
    if ((int) i != remove)
      json_array_add_string_element (list, json_array_get_string_element (domains, i));
  if (add != NULL)
    json_array_add_string_element (list, add);
  json_object_set_array_member (body, "domains", list);
  patch_site (self, body, self->domain_error);
}

static void
on_domain_add (ConfabSitesPage *self)
{
  g_autofree char *domain = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->domain_entry))));

  if (*domain == '\0')
    return;
  patch_domains (self, domain, -1);
}

static void
on_domain_remove (GtkButton       *button,
                  ConfabSitesPage *self)
{
  patch_domains (self, NULL, GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "index")));
}

static void
on_color_changed (ConfabSitesPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->color_row));
  GdkRGBA rgba;

  confab_widget_preview_set_color (self->preview, text);
  if (!self->filling && gdk_rgba_parse (&rgba, text) && strlen (text) == 7)
    {
      self->filling = TRUE;
      gtk_color_chooser_set_rgba (GTK_COLOR_CHOOSER (self->color_button), &rgba);
      self->filling = FALSE;
    }
}

static void
on_color_apply (ConfabSitesPage *self)
{
  patch_setting_string (self, "color", gtk_editable_get_text (GTK_EDITABLE (self->color_row)));
}

static void
on_color_set (ConfabSitesPage *self)
{
  GdkRGBA rgba;
  g_autofree char *hex = NULL;

  gtk_color_chooser_get_rgba (GTK_COLOR_CHOOSER (self->color_button), &rgba);
  hex = g_strdup_printf ("#%02x%02x%02x", (int) (rgba.red * 255 + 0.5),
                         (int) (rgba.green * 255 + 0.5), (int) (rgba.blue * 255 + 0.5));
  gtk_editable_set_text (GTK_EDITABLE (self->color_row), hex);
  patch_setting_string (self, "color", hex);
}

static void
on_position (ConfabSitesPage *self)
{
  const char *position = adw_combo_row_get_selected (self->position_row) == 1 ? "bottom-left"
                                                                            : "bottom-right";

  confab_widget_preview_set_position (self->preview, position);
  patch_setting_string (self, "position", position);
}

static void
on_welcome_changed (ConfabSitesPage *self)
{
  confab_widget_preview_set_welcome (self->preview,
                                     gtk_editable_get_text (GTK_EDITABLE (self->welcome_row)));
}

static void
on_text_apply (AdwEntryRow     *row,
               ConfabSitesPage *self)
{
  patch_setting_string (self, g_object_get_data (G_OBJECT (row), "setting"),
                        gtk_editable_get_text (GTK_EDITABLE (row)));
}

static void
on_switch (GtkSwitch       *toggle,
           GParamSpec      *pspec,
           ConfabSitesPage *self)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);

  json_node_set_boolean (node, gtk_switch_get_active (toggle));
  patch_setting (self, g_object_get_data (G_OBJECT (toggle), "setting"), node, NULL);
}

static void
on_prechat (ConfabSitesPage *self)
{
  guint selected = adw_combo_row_get_selected (self->prechat_row);

  if (selected < G_N_ELEMENTS (prechat_modes))
    patch_setting_string (self, "prechat", prechat_modes[selected]);
}

/* Spin buttons send their value once it rests (not one PATCH per step of a held arrow). */
static gboolean
spin_rested (gpointer data)
{
  ConfabSitesPage *self = data;
  GtkSpinButton *spin = self->spin_changed;
  JsonNode *node = json_node_new (JSON_NODE_VALUE);
  gint64 value = gtk_spin_button_get_value_as_int (spin);

  self->spin_source = 0;
  self->spin_changed = NULL;
  if (spin == self->upload_spin)
    value *= MIB;
  json_node_set_int (node, value);
  patch_setting (self, g_object_get_data (G_OBJECT (spin), "setting"), node, NULL);
  return G_SOURCE_REMOVE;
}

static void
on_spin (GtkSpinButton   *spin,
         ConfabSitesPage *self)
{
  if (self->filling)
    return;
  if (self->spin_source != 0 && self->spin_changed != spin)
    {
      /* another spin's value is still waiting: send it first */
      g_source_remove (self->spin_source);
      spin_rested (self);
    }
  g_clear_handle_id (&self->spin_source, g_source_remove);
  self->spin_changed = spin;
  self->spin_source = g_timeout_add (600, spin_rested, self);
}

/* ----------------------------------------------------- working hours --- */

static gboolean
valid_range (const char *range)
{
  int h1, m1, h2, m2;
  char end;

  return strlen (range) == 11 &&
         sscanf (range, "%2d:%2d-%2d:%2d%c", &h1, &m1, &h2, &m2, &end) == 4 &&
         h1 >= 0 && h1 <= 24 && h2 >= 0 && h2 <= 24 && m1 >= 0 && m1 < 60 && m2 >= 0 && m2 < 60;
}

static char *
local_timezone (void)
{
  g_autoptr (GTimeZone) tz = g_time_zone_new_local ();
  const char *id = g_time_zone_get_identifier (tz);

  /* a zone from a file path ("/etc/localtime") is no IANA name */
  return g_strdup (id != NULL && id[0] != '/' && strchr (id, '/') != NULL ? id : "UTC");
}

/* The hours as the rows show them: {"timezone","days":{"mon":["09:00-17:00"],…}}; NULL with
 * the error shown when a range is not HH:MM-HH:MM. */
static JsonObject *
hours_from_rows (ConfabSitesPage *self)
{
  g_autoptr (JsonObject) hours = json_object_new ();
  JsonObject *by_day = json_object_new ();
  const char *tz = gtk_editable_get_text (GTK_EDITABLE (self->timezone_row));
  g_autofree char *local = local_timezone ();

  json_object_set_string_member (hours, "timezone", *tz ? tz : local);
  json_object_set_object_member (hours, "days", by_day);
  for (guint d = 0; d < G_N_ELEMENTS (days); d++)
    {
      g_auto (GStrv) ranges = g_strsplit (gtk_editable_get_text (GTK_EDITABLE (self->day_rows[d])),
                                          ",", -1);
      JsonArray *list = json_array_new ();

      for (guint i = 0; ranges[i] != NULL; i++)
        {
          char *range = g_strstrip (ranges[i]);

          if (*range == '\0')
            continue;
          if (!valid_range (range))
            {
              g_autofree char *text = g_strdup_printf (_("“%s” is not a time range such as 09:00-17:00"),
                                                       range);
              show_error (self->hours_error, text);
              json_array_unref (list);
              return NULL;
            }
          json_array_add_string_element (list, range);
        }
      json_object_set_array_member (by_day, days[d], list);
    }
  return g_steal_pointer (&hours);
}

static void
on_hours_apply (ConfabSitesPage *self)
{
  JsonObject *hours = hours_from_rows (self);
  JsonNode *node;

  if (hours == NULL)
    return;
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, hours);
  patch_setting (self, "working_hours", node, self->hours_error);
}

static void
on_hours_switch (ConfabSitesPage *self)
{
  gboolean on = gtk_switch_get_active (self->hours_switch);
  JsonNode *node;

  for (guint d = 0; d < G_N_ELEMENTS (days); d++)
    gtk_widget_set_sensitive (GTK_WIDGET (self->day_rows[d]), on);
  gtk_widget_set_sensitive (GTK_WIDGET (self->timezone_row), on);
  if (self->filling)
    return;
  if (on)
    {
      /* office hours to start from, in the user's own zone */
      g_autofree char *local = local_timezone ();

      self->filling = TRUE;
      for (guint d = 0; d < G_N_ELEMENTS (days); d++)
        if (*gtk_editable_get_text (GTK_EDITABLE (self->day_rows[d])) == '\0' && d < 5)
          gtk_editable_set_text (GTK_EDITABLE (self->day_rows[d]), "09:00-17:00");
      if (*gtk_editable_get_text (GTK_EDITABLE (self->timezone_row)) == '\0')
        gtk_editable_set_text (GTK_EDITABLE (self->timezone_row), local);
      self->filling = FALSE;
      on_hours_apply (self);
      return;
    }
  node = json_node_new (JSON_NODE_VALUE);
  json_node_init_null (node);
  patch_setting (self, "working_hours", node, self->hours_error);
}

/* -------------------------------------------------- key, snippet, delete --- */

static char *
snippet (ConfabSitesPage *self)
{
  g_autofree char *base = g_strdup (confab_client_get_relay_url (self->client));
  gsize len = base != NULL ? strlen (base) : 0;

  while (len > 0 && base[len - 1] == '/')
    base[--len] = '\0';
  return g_strdup_printf ("<script async src=\"%s/widget.js\" data-site-key=\"%s\"></script>",
                          base ? base : "", site_string (self, "site_key") ? site_string (self, "site_key") : "");
}

static void
on_copy (ConfabSitesPage *self)
{
  g_autofree char *text = snippet (self);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), text);
  confab_admin_window_toast (GTK_WIDGET (self), _("Snippet copied"));
}

static void
rotate_response (AdwMessageDialog *dialog,
                 const char       *response,
                 ConfabSitesPage  *self)
{
  g_autofree char *path = NULL;
  Change *change;

  if (g_strcmp0 (response, "rotate") != 0 || self->site == NULL)
    return;
  change = g_new0 (Change, 1);
  change->self = g_object_ref (self);
  change->site_id = g_strdup (self->site_id);
  change->done = g_strdup (_("New site key: update the snippet on your pages"));
  path = site_path (self, "/key");
  confab_client_request_async (self->client, "POST", path, NULL, NULL, changed_cb, change);
}

static void
on_rotate (ConfabSitesPage *self)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                              _("Rotate the Site Key?"),
                                              _("Pages that embed the old key stop showing the chat "
                                                "until their snippet has the new one, and open "
                                                "visitor chats are closed."));

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"), "rotate", _("_Rotate Key"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "rotate",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (rotate_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
deleted_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (ConfabSitesPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL,
                                                                &error);

  if (self->client == NULL)
    return;
  if (answer == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("The site was not deleted: %s"), error->message);

      confab_admin_window_toast (GTK_WIDGET (self), text);
      return;
    }
  confab_admin_window_toast (GTK_WIDGET (self), _("Site deleted"));
}

static void
on_delete_typed (GtkEditable      *entry,
                 AdwMessageDialog *dialog)
{
  adw_message_dialog_set_response_enabled (dialog, "delete",
                                           g_strcmp0 (gtk_editable_get_text (entry),
                                                      g_object_get_data (G_OBJECT (dialog), "name")) == 0);
}

static void
delete_response (AdwMessageDialog *dialog,
                 const char       *response,
                 ConfabSitesPage  *self)
{
  g_autofree char *path = NULL;

  if (g_strcmp0 (response, "delete") != 0 || self->site == NULL)
    return;
  path = site_path (self, NULL);
  confab_client_request_async (self->client, "DELETE", path, NULL, NULL, deleted_cb,
                               g_object_ref (self));
}

static void
on_delete (ConfabSitesPage *self)
{
  const char *name = site_string (self, "name");
  g_autofree char *body = g_strdup_printf (_("Its conversations, visitors, FAQs, canned responses, "
                                             "members and uploads are deleted for good. Type the "
                                             "site's name, “%s”, to confirm."), name);
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                              _("Delete the Site?"), body);
  GtkWidget *entry = gtk_entry_new ();

  gtk_widget_set_name (entry, "delete-site-entry");
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), name);
  g_object_set_data_full (G_OBJECT (dialog), "name", g_strdup (name), g_free);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"), "delete", _("_Delete Site"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "delete", FALSE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (entry, "changed", G_CALLBACK (on_delete_typed), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (delete_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ------------------------------------------------------------ new site --- */

static void
created_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (ConfabSitesPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) site = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL,
                                                              &error);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  const char *id = NULL;

  if (self->client == NULL)
    return;
  if (site == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("The site was not created: %s"), error->message);

      confab_admin_window_toast (GTK_WIDGET (self), text);
      return;
    }
  confab_admin_window_toast (GTK_WIDGET (self), _("Site created"));
  /* the relay's sites frame brings it into the list and the picker; show it now */
  if (confab_json_get_string (site, "id", FALSE, &id, NULL) && id != NULL &&
      CONFAB_IS_ADMIN_WINDOW (root))
    confab_admin_window_set_site_id (CONFAB_ADMIN_WINDOW (root), id);
}

static void
new_site_response (AdwMessageDialog *dialog,
                   const char       *response,
                   ConfabSitesPage  *self)
{
  GtkEditable *name = g_object_get_data (G_OBJECT (dialog), "name-entry");
  GtkEditable *domains = g_object_get_data (G_OBJECT (dialog), "domains-entry");
  g_autoptr (JsonObject) body = NULL;
  g_auto (GStrv) parts = NULL;
  JsonArray *list;

  if (g_strcmp0 (response, "create") != 0)
    return;
  body = json_object_new ();
  list = json_array_new ();
  json_object_set_string_member (body, "name", gtk_editable_get_text (name));
  parts = g_strsplit_set (gtk_editable_get_text (domains), ", ", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (*parts[i] != '\0')
      json_array_add_string_element (list, parts[i]);
  json_object_set_array_member (body, "domains", list);
  confab_client_request_async (self->client, "POST", "/api/v1/sites", body, NULL, created_cb,
                               g_object_ref (self));
}

static void
on_new_site_typed (GtkEditable      *entry,
                   AdwMessageDialog *dialog)
{
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  adw_message_dialog_set_response_enabled (dialog, "create", *name != '\0');
}

static void
on_new_site (ConfabSitesPage *self)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                              _("New Site"),
                                              _("The website visitors will chat from. Its widget "
                                                "works on the domains listed; none: everywhere."));
  GtkWidget *box = gtk_list_box_new ();
  GtkWidget *name = adw_entry_row_new ();
  GtkWidget *domains = adw_entry_row_new ();

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (box), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (box, "boxed-list");
  gtk_widget_set_name (name, "new-site-name");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (name), _("Name"));
  gtk_widget_set_name (domains, "new-site-domains");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (domains),
                                 _("Domains (example.com, *.example.com)"));
  gtk_list_box_append (GTK_LIST_BOX (box), name);
  gtk_list_box_append (GTK_LIST_BOX (box), domains);
  g_object_set_data (G_OBJECT (dialog), "name-entry", name);
  g_object_set_data (G_OBJECT (dialog), "domains-entry", domains);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"), "create", _("C_reate"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "create",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "create", FALSE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "create");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (name, "changed", G_CALLBACK (on_new_site_typed), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (new_site_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ----------------------------------------------------------- the list --- */

static const char *
role_label (const char *role)
{
  if (g_strcmp0 (role, "owner") == 0)
    return _("Owner");
  if (g_strcmp0 (role, "admin") == 0)
    return _("Admin");
  return _("Agent");
}

static void
on_list_row (AdwActionRow    *row,
             ConfabSitesPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (CONFAB_IS_ADMIN_WINDOW (root))
    confab_admin_window_set_site_id (CONFAB_ADMIN_WINDOW (root),
                                     g_object_get_data (G_OBJECT (row), "site-id"));
}

static void
rebuild_list (ConfabSitesPage *self)
{
  g_autoptr (GListModel) sites = confab_cache_list_sites (confab_client_get_cache (self->client));

  for (guint i = 0; i < self->list_rows->len; i++)
    adw_preferences_group_remove (self->list_group, self->list_rows->pdata[i]);
  g_ptr_array_set_size (self->list_rows, 0);
  for (guint i = 0; i < g_list_model_get_n_items (sites); i++)
    {
      g_autoptr (ConfabSite) site = g_list_model_get_item (sites, i);
      const char *role = confab_site_get_role (site);
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), confab_site_get_name (site));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), role_label (role));
      g_object_set_data_full (G_OBJECT (row), "site-id", g_strdup (confab_site_get_id (site)), g_free);
      if (g_strcmp0 (role, "owner") == 0 || g_strcmp0 (role, "admin") == 0)
        {
          GtkWidget *check = gtk_image_new_from_icon_name (
            g_strcmp0 (confab_site_get_id (site), self->site_id) == 0 ? "object-select-symbolic"
                                                                       : "go-next-symbolic");

          adw_action_row_add_suffix (ADW_ACTION_ROW (row), check);
          gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
          g_signal_connect (row, "activated", G_CALLBACK (on_list_row), self);
        }
      adw_preferences_group_add (self->list_group, row);
      g_ptr_array_add (self->list_rows, row);
    }
}

/* ---------------------------------------------------------------- fill --- */

static void
fill_domains (ConfabSitesPage *self)
{
  JsonArray *domains = current_domains (self);

  for (guint i = 0; i < self->domain_rows->len; i++)
    gtk_list_box_remove (self->domains_list, self->domain_rows->pdata[i]);
  g_ptr_array_set_size (self->domain_rows, 0);
  for (guint i = 0; domains != NULL && i < json_array_get_length (domains); i++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
      g_autofree char *label = g_strdup_printf (_("Remove %s"),
                                                json_array_get_string_element (domains, i));

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     json_array_get_string_element (domains, i));
      gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (remove, "flat");
      gtk_widget_set_tooltip_text (remove, label);
      gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
      g_object_set_data (G_OBJECT (remove), "index", GINT_TO_POINTER (i));
      g_signal_connect (remove, "clicked", G_CALLBACK (on_domain_remove), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
      /* before the entry, which stays last (and keeps its focus) */
      gtk_list_box_insert (self->domains_list, row, (int) i);
      g_ptr_array_add (self->domain_rows, row);
    }
  /* a refused domain stays in the entry, beside its reason, to be fixed */
  if (!gtk_widget_get_visible (GTK_WIDGET (self->domain_error)))
    {
      adw_entry_row_set_show_apply_button (self->domain_entry, FALSE);
      gtk_editable_set_text (GTK_EDITABLE (self->domain_entry), "");
      adw_entry_row_set_show_apply_button (self->domain_entry, TRUE);
    }
  adw_preferences_group_set_description (self->domains_group,
    domains != NULL && json_array_get_length (domains) > 0
    ? _("The widget works only on pages of these domains. *.example.com allows its subdomains.")
    : _("None listed: the widget works on any website. Add example.com, or *.example.com for its subdomains."));
}

static void
fill_hours (ConfabSitesPage *self)
{
  JsonObject *settings = settings_of (self);
  JsonObject *hours = NULL, *by_day = NULL;
  const char *tz = NULL;

  if (settings != NULL)
    confab_json_get_object (settings, "working_hours", FALSE, &hours, NULL);
  gtk_switch_set_active (self->hours_switch, hours != NULL);
  if (hours != NULL)
    {
      confab_json_get_string (hours, "timezone", FALSE, &tz, NULL);
      confab_json_get_object (hours, "days", FALSE, &by_day, NULL);
    }
  set_entry (self->timezone_row, tz);
  for (guint d = 0; d < G_N_ELEMENTS (days); d++)
    {
      JsonNode *node = by_day != NULL ? json_object_get_member (by_day, days[d]) : NULL;
      g_autoptr (GString) text = g_string_new (NULL);

      if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
        for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
          {
            const char *range = json_array_get_string_element (json_node_get_array (node), i);

            if (range == NULL)
              continue;
            if (text->len > 0)
              g_string_append (text, ", ");
            g_string_append (text, range);
          }
      set_entry (self->day_rows[d], text->str);
    }
}

static void
fill (ConfabSitesPage *self)
{
  gboolean loaded = self->site != NULL;
  const char *prechat;
  g_autofree char *code = NULL;

  for (guint i = 0; i < self->site_groups->len; i++)
    gtk_widget_set_visible (self->site_groups->pdata[i], loaded);
  rebuild_list (self);
  if (!loaded)
    return;

  self->filling = TRUE;
  set_entry (self->name_row, site_string (self, "name"));
  {
    gboolean enabled = TRUE;

    confab_json_get_bool (self->site, "enabled", FALSE, TRUE, &enabled, NULL);
    gtk_switch_set_active (self->enabled_switch, enabled);
  }
  fill_domains (self);

  set_entry (self->color_row, setting_string (self, "color", "#1a73e8"));
  confab_widget_preview_set_color (self->preview, gtk_editable_get_text (GTK_EDITABLE (self->color_row)));
  {
    GdkRGBA rgba;

    if (gdk_rgba_parse (&rgba, setting_string (self, "color", "#1a73e8")))
      gtk_color_chooser_set_rgba (GTK_COLOR_CHOOSER (self->color_button), &rgba);
  }
  adw_combo_row_set_selected (self->position_row,
                              g_strcmp0 (setting_string (self, "position", NULL), "bottom-left") == 0);
  confab_widget_preview_set_position (self->preview, setting_string (self, "position", "bottom-right"));
  set_entry (self->welcome_row, setting_string (self, "welcome_message", NULL));
  confab_widget_preview_set_welcome (self->preview, gtk_editable_get_text (GTK_EDITABLE (self->welcome_row)));
  confab_widget_preview_set_title (self->preview, site_string (self, "name"));
  set_entry (self->offline_row, setting_string (self, "offline_message", NULL));
  set_entry (self->consent_row, setting_string (self, "consent_text", NULL));

  for (guint i = 0; i < G_N_ELEMENTS (switch_keys); i++)
    gtk_switch_set_active (self->switches[i], setting_bool (self, switch_keys[i], switch_defaults[i]));
  gtk_spin_button_set_value (self->threshold_spin, setting_int (self, "faq_threshold", 50));
  prechat = setting_string (self, "prechat", "off");
  for (guint i = 0; i < G_N_ELEMENTS (prechat_modes); i++)
    if (g_strcmp0 (prechat, prechat_modes[i]) == 0)
      adw_combo_row_set_selected (self->prechat_row, i);
  gtk_spin_button_set_value (self->upload_spin,
                             (double) setting_int (self, "upload_max_bytes", 10 * MIB) / MIB);
  fill_hours (self);

  code = snippet (self);
  gtk_label_set_text (self->snippet_label, code);
  adw_action_row_set_subtitle (self->key_row, site_string (self, "site_key"));
  gtk_widget_set_visible (self->delete_row, is_owner (self));
  self->filling = FALSE;
}

/* -------------------------------------------------------------- loading --- */

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  ConfabSitesPage *self;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) site = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL,
                                                              &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = CONFAB_SITES_PAGE (user_data);
  if (site == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("The site could not be loaded: %s"), error->message);

      confab_admin_window_toast (GTK_WIDGET (self), text);
      return;
    }
  set_site (self, site);
}

static void
load (ConfabSitesPage *self)
{
  g_autofree char *path = NULL;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->spin_source, g_source_remove);
  set_site (self, NULL);
  for (guint d = 0; d < G_N_ELEMENTS (days); d++)
    gtk_editable_set_text (GTK_EDITABLE (self->day_rows[d]), "");
  show_error (self->domain_error, NULL);
  show_error (self->hours_error, NULL);
  if (self->site_id == NULL)
    return;
  self->cancellable = g_cancellable_new ();
  path = site_path (self, NULL);
  /* the cancellable ends the call before the page goes: no reference needed */
  confab_client_request_async (self->client, "GET", path, NULL, self->cancellable, loaded_cb, self);
}

/* Someone (here or in another app) changed the site: the relay pushed it whole. */
static void
on_site_pushed (ConfabSitesPage *self,
                const char      *site_id,
                JsonObject      *site)
{
  if (g_strcmp0 (site_id, self->site_id) != 0 || self->site == NULL || site == NULL)
    return;
  set_site (self, site);
}

JsonObject *
confab_sites_page_get_site (ConfabSitesPage *self)
{
  g_return_val_if_fail (CONFAB_IS_SITES_PAGE (self), NULL);
  return self->site;
}

/* ------------------------------------------------------------- building --- */

static AdwPreferencesGroup *
add_group (ConfabSitesPage *self,
           const char      *title,
           const char      *description,
           gboolean         per_site)
{
  GtkWidget *group = adw_preferences_group_new ();

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), title);
  if (description != NULL)
    adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group), description);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), ADW_PREFERENCES_GROUP (group));
  if (per_site)
    g_ptr_array_add (self->site_groups, group);
  return ADW_PREFERENCES_GROUP (group);
}

static AdwEntryRow *
add_entry (AdwPreferencesGroup *group,
           const char          *name,
           const char          *title)
{
  GtkWidget *row = adw_entry_row_new ();

  gtk_widget_set_name (row, name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (row), TRUE);
  adw_preferences_group_add (group, row);
  return ADW_ENTRY_ROW (row);
}

static AdwEntryRow *
add_text_setting (ConfabSitesPage     *self,
                  AdwPreferencesGroup *group,
                  const char          *key,
                  const char          *title)
{
  g_autofree char *name = g_strdup_printf ("setting-%s", key);
  AdwEntryRow *row = add_entry (group, name, title);

  g_object_set_data (G_OBJECT (row), "setting", (gpointer) key);
  g_signal_connect (row, "apply", G_CALLBACK (on_text_apply), self);
  return row;
}

static GtkSwitch *
add_switch (ConfabSitesPage     *self,
            AdwPreferencesGroup *group,
            const char          *key,
            const char          *title,
            const char          *subtitle)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *toggle = gtk_switch_new ();
  g_autofree char *name = g_strdup_printf ("setting-%s", key);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_name (toggle, name);
  gtk_widget_set_valign (toggle, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), toggle);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), toggle);
  adw_preferences_group_add (group, row);
  if (key != NULL)
    {
      g_object_set_data (G_OBJECT (toggle), "setting", (gpointer) key);
      g_signal_connect (toggle, "notify::active", G_CALLBACK (on_switch), self);
    }
  return GTK_SWITCH (toggle);
}

static GtkSpinButton *
add_spin (ConfabSitesPage     *self,
          AdwPreferencesGroup *group,
          const char          *key,
          const char          *title,
          const char          *subtitle,
          double               upper)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *spin = gtk_spin_button_new_with_range (0, upper, 1);
  g_autofree char *name = g_strdup_printf ("setting-%s", key);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_name (spin, name);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (spin), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
  adw_preferences_group_add (group, row);
  g_object_set_data (G_OBJECT (spin), "setting", (gpointer) key);
  g_signal_connect (spin, "value-changed", G_CALLBACK (on_spin), self);
  return GTK_SPIN_BUTTON (spin);
}

static AdwComboRow *
add_combo (AdwPreferencesGroup *group,
           const char          *name,
           const char          *title,
           const char * const  *labels)
{
  GtkWidget *row = adw_combo_row_new ();
  g_autoptr (GtkStringList) model = gtk_string_list_new (labels);

  gtk_widget_set_name (row, name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (model));
  adw_preferences_group_add (group, row);
  return ADW_COMBO_ROW (row);
}

static GtkLabel *
add_error_label (AdwPreferencesGroup *group,
                 const char          *name)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_widget_set_name (label, name);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "error");
  gtk_widget_set_margin_top (label, 6);
  gtk_widget_set_visible (label, FALSE);
  adw_preferences_group_add (group, label);
  return GTK_LABEL (label);
}

static void
build (ConfabSitesPage *self)
{
  AdwPreferencesGroup *group;
  GtkWidget *row, *button;
  const char *positions[] = { _("Bottom right"), _("Bottom left"), NULL };
  const char *prechat_labels[] = { _("Off"), _("Optional"), _("Required"), NULL };
  const char *switch_titles[] = {
    _("Typing Preview"), _("Sound"), _("Recognise Returning Visitors"), _("Ask for Consent"),
    _("FAQ Bot Answers"), _("Assign on Reply"),
  };
  const char *switch_subtitles[] = {
    _("See what visitors type before they send it"),
    _("The widget plays a sound on new messages"),
    _("A privacy-friendly fingerprint links a visitor who cleared their storage"),
    _("Visitors accept the consent text before chatting"),
    _("The FAQ bot answers questions while no agent has"),
    _("Replying to an unassigned conversation assigns it to you"),
  };
  const char *day_titles[] = {
    _("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday"),
  };

  /* your sites */
  self->list_group = add_group (self, _("Your Sites"), _("Pick one you administer to change it."), FALSE);
  button = gtk_button_new_with_mnemonic (_("_New Site…"));
  gtk_widget_set_name (button, "new-site-button");
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (on_new_site), self);
  adw_preferences_group_set_header_suffix (self->list_group, button);

  /* general */
  group = add_group (self, _("Site"), NULL, TRUE);
  self->name_row = add_entry (group, "site-name", _("Name"));
  g_signal_connect_swapped (self->name_row, "apply", G_CALLBACK (on_name_apply), self);
  self->enabled_switch = add_switch (self, group, NULL, _("Chat Enabled"),
                                     _("Off: the widget disappears from every page and open chats close"));
  gtk_widget_set_name (GTK_WIDGET (self->enabled_switch), "site-enabled");
  g_signal_connect_swapped (self->enabled_switch, "notify::active", G_CALLBACK (on_enabled), self);

  /* domains */
  self->domains_group = add_group (self, _("Allowed Domains"), NULL, TRUE);
  self->domains_list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->domains_list, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->domains_list), "boxed-list");
  adw_preferences_group_add (self->domains_group, GTK_WIDGET (self->domains_list));
  self->domain_entry = ADW_ENTRY_ROW (adw_entry_row_new ());
  gtk_widget_set_name (GTK_WIDGET (self->domain_entry), "domain-entry");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->domain_entry), _("Add a domain (*.example.com)"));
  adw_entry_row_set_show_apply_button (self->domain_entry, TRUE);
  gtk_list_box_append (self->domains_list, GTK_WIDGET (self->domain_entry));
  g_signal_connect_swapped (self->domain_entry, "apply", G_CALLBACK (on_domain_add), self);
  self->domain_error = add_error_label (self->domains_group, "domain-error");

  /* look */
  group = add_group (self, _("Look"), _("The preview below follows what you type; a change is saved when applied (Enter)."),
                     TRUE);
  self->preview = CONFAB_WIDGET_PREVIEW (confab_widget_preview_new ());
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->preview), 12);
  adw_preferences_group_add (group, GTK_WIDGET (self->preview));
  self->color_row = add_entry (group, "setting-color", _("Colour (#rrggbb)"));
  self->color_button = GTK_COLOR_BUTTON (gtk_color_button_new ());
  gtk_widget_set_valign (GTK_WIDGET (self->color_button), GTK_ALIGN_CENTER);
  gtk_color_chooser_set_use_alpha (GTK_COLOR_CHOOSER (self->color_button), FALSE);
  adw_entry_row_add_suffix (self->color_row, GTK_WIDGET (self->color_button));
  g_signal_connect_swapped (self->color_row, "changed", G_CALLBACK (on_color_changed), self);
  g_signal_connect_swapped (self->color_row, "apply", G_CALLBACK (on_color_apply), self);
  g_signal_connect_swapped (self->color_button, "color-set", G_CALLBACK (on_color_set), self);
  self->position_row = add_combo (group, "setting-position", _("Position"), positions);
  g_signal_connect_swapped (self->position_row, "notify::selected", G_CALLBACK (on_position), self);
  self->welcome_row = add_text_setting (self, group, "welcome_message", _("Welcome Message"));
  g_signal_connect_swapped (self->welcome_row, "changed", G_CALLBACK (on_welcome_changed), self);
  self->offline_row = add_text_setting (self, group, "offline_message",
                                        _("Offline Message (no agent online)"));

  /* behaviour */
  group = add_group (self, _("Behaviour"), NULL, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (switch_keys); i++)
    self->switches[i] = add_switch (self, group, switch_keys[i], switch_titles[i], switch_subtitles[i]);
  self->consent_row = add_text_setting (self, group, "consent_text", _("Consent Text"));
  self->threshold_spin = add_spin (self, group, "faq_threshold", _("FAQ Bot Threshold"),
                                   _("The least score (0–100) the bot answers with"), 100);
  self->prechat_row = add_combo (group, "setting-prechat", _("Pre-Chat Form"), prechat_labels);
  g_signal_connect_swapped (self->prechat_row, "notify::selected", G_CALLBACK (on_prechat), self);
  self->upload_spin = add_spin (self, group, "upload_max_bytes", _("Upload Limit (MiB)"),
                                _("The largest image a visitor may send; 0 turns uploads off"), 100);

  /* working hours */
  group = add_group (self, _("Working Hours"),
                     _("Outside them the widget offers to leave a message. Ranges such as "
                       "09:00-12:00, 13:00-17:00; empty: closed that day."), TRUE);
  self->hours_switch = add_switch (self, group, NULL, _("Use Working Hours"), NULL);
  gtk_widget_set_name (GTK_WIDGET (self->hours_switch), "hours-switch");
  g_signal_connect_swapped (self->hours_switch, "notify::active", G_CALLBACK (on_hours_switch), self);
  self->timezone_row = add_entry (group, "hours-timezone", _("Time Zone (Europe/Berlin)"));
  g_signal_connect_swapped (self->timezone_row, "apply", G_CALLBACK (on_hours_apply), self);
  for (guint d = 0; d < G_N_ELEMENTS (days); d++)
    {
      g_autofree char *name = g_strdup_printf ("hours-%s", days[d]);

      self->day_rows[d] = add_entry (group, name, day_titles[d]);
      g_signal_connect_swapped (self->day_rows[d], "apply", G_CALLBACK (on_hours_apply), self);
    }
  self->hours_error = add_error_label (group, "hours-error");

  /* embedding */
  group = add_group (self, _("Embed"), _("Paste this into every page that should show the chat."), TRUE);
  self->snippet_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_set_name (GTK_WIDGET (self->snippet_label), "snippet");
  gtk_label_set_selectable (self->snippet_label, TRUE);
  gtk_label_set_wrap (self->snippet_label, TRUE);
  gtk_label_set_wrap_mode (self->snippet_label, PANGO_WRAP_CHAR);
  gtk_label_set_xalign (self->snippet_label, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->snippet_label), "monospace");
  gtk_widget_add_css_class (GTK_WIDGET (self->snippet_label), "card");
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->snippet_label), 6);
  adw_preferences_group_add (group, GTK_WIDGET (self->snippet_label));
  button = gtk_button_new_with_mnemonic (_("_Copy"));
  gtk_widget_set_name (button, "copy-snippet");
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (on_copy), self);
  adw_preferences_group_set_header_suffix (group, button);

  /* key and deletion */
  self->danger_group = add_group (self, _("Site Key"), NULL, TRUE);
  row = adw_action_row_new ();
  self->key_row = ADW_ACTION_ROW (row);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Key"));
  gtk_widget_add_css_class (row, "property");
  button = gtk_button_new_with_mnemonic (_("_Rotate…"));
  gtk_widget_set_name (button, "rotate-key");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (on_rotate), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  adw_preferences_group_add (self->danger_group, row);
  row = adw_action_row_new ();
  self->delete_row = row;
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Delete Site"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _("With all its conversations, visitors and uploads"));
  button = gtk_button_new_with_mnemonic (_("_Delete…"));
  gtk_widget_set_name (button, "delete-site");
  gtk_widget_add_css_class (button, "destructive-action");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (on_delete), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  adw_preferences_group_add (self->danger_group, row);
}

/* ---------------------------------------------------------------- class --- */

static void
confab_sites_page_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  ConfabSitesPage *self = CONFAB_SITES_PAGE (object);

  switch (prop_id)
    {
    case PROP_SITE_ID:
      g_free (self->site_id);
      self->site_id = g_value_dup_string (value);
      if (self->client != NULL)
        load (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_sites_page_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  ConfabSitesPage *self = CONFAB_SITES_PAGE (object);

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
confab_sites_page_dispose (GObject *object)
{
  ConfabSitesPage *self = CONFAB_SITES_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->spin_source, g_source_remove);
  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      g_signal_handlers_disconnect_by_data (confab_client_get_cache (self->client), self);
    }
  g_clear_object (&self->client);
  g_clear_pointer (&self->site, json_object_unref);
  G_OBJECT_CLASS (confab_sites_page_parent_class)->dispose (object);
}

static void
confab_sites_page_finalize (GObject *object)
{
  ConfabSitesPage *self = CONFAB_SITES_PAGE (object);

  g_free (self->site_id);
  g_ptr_array_unref (self->list_rows);
  g_ptr_array_unref (self->site_groups);
  g_ptr_array_unref (self->domain_rows);
  G_OBJECT_CLASS (confab_sites_page_parent_class)->finalize (object);
}

static void
confab_sites_page_class_init (ConfabSitesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->set_property = confab_sites_page_set_property;
  object_class->get_property = confab_sites_page_get_property;
  object_class->dispose = confab_sites_page_dispose;
  object_class->finalize = confab_sites_page_finalize;
  properties[PROP_SITE_ID] =
    g_param_spec_string ("site-id", NULL, "The site shown", NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_sites_page_init (ConfabSitesPage *self)
{
  self->list_rows = g_ptr_array_new ();
  self->site_groups = g_ptr_array_new ();
  self->domain_rows = g_ptr_array_new ();
  build (self);
}

GtkWidget *
confab_sites_page_new (ConfabClient *client)
{
  ConfabSitesPage *self;

  g_return_val_if_fail (CONFAB_IS_CLIENT (client), NULL);

  self = g_object_new (CONFAB_TYPE_SITES_PAGE,
                       "title", _("Sites"),
                       "icon-name", "confab-globe-symbolic",
                       NULL);
  /* gtk_widget_set_name(): AdwPreferencesPage's own "name" property hides GtkWidget's */
  gtk_widget_set_name (GTK_WIDGET (self), "sites-page");
  self->client = g_object_ref (client);
  g_signal_connect_object (client, "site-updated", G_CALLBACK (on_site_pushed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (confab_client_get_cache (client), "sites-changed",
                           G_CALLBACK (rebuild_list), self, G_CONNECT_SWAPPED);
  fill (self);
  return GTK_WIDGET (self);
}
