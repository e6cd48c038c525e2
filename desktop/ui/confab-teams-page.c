/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-teams-page.c: a site's routing and teams (see the header). Built in code: its rows
 * follow the relay's lists (the members, the teams) and are made again when those change. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-admin-util.h"
#include "confab-client-admin.h"
#include "confab-client-routing.h"
#include "confab-client-team.h"
#include "confab-team-rules.h"
#include "confab-teams-page.h"

/* the spin buttons' changes go out once they stop for this long */
#define SAVE_DELAY_MS 600

struct _ConfabTeamsPage
{
  AdwPreferencesPage   parent_instance;

  AdwPreferencesGroup *routing_group;
  AdwPreferencesGroup *targets_group;
  AdwPreferencesGroup *teams_group;
  ConfabTeamRules     *rules_group;
  AdwComboRow         *assignment_row;
  GtkSpinButton       *grace_spin;
  GtkSwitch           *prechat_switch;
  GtkSpinButton       *first_spin;
  GtkSpinButton       *next_spin;
  GtkWidget           *add_button;

  ConfabClient        *client;
  char                *site_id;
  GCancellable        *cancellable;
  JsonArray           *teams;
  JsonArray           *members;
  GPtrArray           *team_rows;
  GHashTable          *expanded;      /* team ids whose rows are open */
  gboolean             filling;       /* showing the relay's values: no PATCH for them */
  guint                save_source;
};

G_DEFINE_FINAL_TYPE (ConfabTeamsPage, confab_teams_page, ADW_TYPE_PREFERENCES_PAGE)

enum {
  PROP_0,
  PROP_SITE_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* the site's modes, then a team's (which may also take the site's) */
static const char * const site_modes[] = { "off", "round_robin", "least_busy" };
static const char * const team_modes[] = { "inherit", "off", "round_robin", "least_busy" };

static const ConfabAdminField team_fields[] = {
  { "team-name-entry", N_("_Name"), N_("Billing"), FALSE, TRUE },
  { "team-key-entry", N_("_Key for the widget (data-team)"), N_("billing"), FALSE, FALSE },
};

static void load (ConfabTeamsPage *self);
static void show_teams (ConfabTeamsPage *self);
static void set_supported (ConfabTeamsPage *self, gboolean supported);

static guint
index_of (const char * const *modes,
          guint               n,
          const char         *mode)
{
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (modes[i], mode) == 0)
      return i;
  return 0;
}

static const char *
mode_label (const char *mode)
{
  if (g_strcmp0 (mode, "round_robin") == 0)
    return _("Round robin");
  if (g_strcmp0 (mode, "least_busy") == 0)
    return _("Least busy");
  if (g_strcmp0 (mode, "inherit") == 0)
    return _("As the site");
  return _("Off");
}

static JsonObject *
find_team (ConfabTeamsPage *self,
           const char      *id)
{
  for (guint i = 0; self->teams != NULL && i < json_array_get_length (self->teams); i++)
    {
      JsonObject *team = json_array_get_object_element (self->teams, i);

      if (team != NULL && g_strcmp0 (confab_admin_string (team, "id"), id) == 0)
        return team;
    }
  return NULL;
}

/* ------------------------------------------------------------ answers --- */

typedef struct {
  ConfabTeamsPage *self;
  char            *id;       /* the team; NULL: a new one or the site */
  char           **values;   /* a form as typed, to show again after a refusal */
} Call;

static Call *
call_new (ConfabTeamsPage *self,
          const char      *id)
{
  Call *call = g_new0 (Call, 1);

  call->self = g_object_ref (self);
  call->id = g_strdup (id);
  return call;
}

static void
call_free (gpointer data)
{
  Call *call = data;

  g_object_unref (call->self);
  g_free (call->id);
  g_strfreev (call->values);
  g_free (call);
}

static void edit_team (ConfabTeamsPage *self, const char *id, const char *error,
                       const char * const *values);

/* A team written: the `teams` frame shows it to everyone; the list is read again here too (a
 * relay may not push to a socket-less settings window). */
static void
team_saved_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL, &error);

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (error != NULL && call->values != NULL)
        edit_team (call->self, call->id, error->message, (const char * const *) call->values);
      else if (error != NULL)
        confab_admin_toast (GTK_WIDGET (call->self), error->message);
      load (call->self);
    }
  call_free (call);
}

static void
patch_team (ConfabTeamsPage *self,
            const char      *id,
            JsonObject      *body)
{
  g_autofree char *path = confab_admin_path ("teams", id, NULL);

  confab_client_request_async (self->client, "PATCH", path, body, self->cancellable,
                               team_saved_cb, call_new (self, id));
}

/* -------------------------------------------------------- site settings --- */

static void
show_settings (ConfabTeamsPage *self,
               JsonObject      *settings)
{
  self->filling = TRUE;
  adw_combo_row_set_selected (self->assignment_row,
                              index_of (site_modes, G_N_ELEMENTS (site_modes),
                                        settings != NULL ? confab_admin_string (settings, "assignment") : NULL));
  gtk_spin_button_set_value (self->grace_spin,
                             settings != NULL ? json_object_get_int_member_with_default (settings, "reassign_after_seconds", 0) / 60.0 : 0);
  gtk_switch_set_active (self->prechat_switch,
                         settings != NULL && json_object_get_boolean_member_with_default (settings, "prechat_team", FALSE));
  gtk_spin_button_set_value (self->first_spin,
                             settings != NULL ? json_object_get_int_member_with_default (settings, "first_response_seconds", 0) / 60.0 : 0);
  gtk_spin_button_set_value (self->next_spin,
                             settings != NULL ? json_object_get_int_member_with_default (settings, "next_response_seconds", 0) / 60.0 : 0);
  confab_team_rules_show_settings (self->rules_group, settings);
  self->filling = FALSE;
}

static void
site_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (ConfabTeamsPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) site = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (site == NULL)
    {
      confab_admin_toast (GTK_WIDGET (self), error->message);
      return;
    }
  show_settings (self, confab_admin_object (site, "settings"));
}

static void
save_settings (ConfabTeamsPage *self)
{
  g_autoptr (JsonObject) body = json_object_new ();
  JsonObject *settings = json_object_new ();
  g_autofree char *path = NULL;
  guint mode = adw_combo_row_get_selected (self->assignment_row);

  g_clear_handle_id (&self->save_source, g_source_remove);
  if (self->site_id == NULL)
    {
      json_object_unref (settings);
      return;
    }
  json_object_set_string_member (settings, "assignment",
                                 site_modes[MIN (mode, G_N_ELEMENTS (site_modes) - 1)]);
  json_object_set_int_member (settings, "reassign_after_seconds",
                              gtk_spin_button_get_value_as_int (self->grace_spin) * 60);
  json_object_set_boolean_member (settings, "prechat_team", gtk_switch_get_active (self->prechat_switch));
  json_object_set_int_member (settings, "first_response_seconds",
                              gtk_spin_button_get_value_as_int (self->first_spin) * 60);
  json_object_set_int_member (settings, "next_response_seconds",
                              gtk_spin_button_get_value_as_int (self->next_spin) * 60);
  json_object_set_object_member (body, "settings", settings);
  path = confab_admin_path ("sites", self->site_id, NULL);
  /* the answer is the site: what the relay kept shows */
  confab_client_request_async (self->client, "PATCH", path, body, self->cancellable, site_cb,
                               g_object_ref (self));
}

static gboolean
save_settings_cb (gpointer user_data)
{
  ConfabTeamsPage *self = user_data;

  self->save_source = 0;
  save_settings (self);
  return G_SOURCE_REMOVE;
}

static void
on_setting_changed (ConfabTeamsPage *self)
{
  if (self->filling || self->site_id == NULL)
    return;
  g_clear_handle_id (&self->save_source, g_source_remove);
  self->save_source = g_timeout_add (SAVE_DELAY_MS, save_settings_cb, self);
}

/* -------------------------------------------------------------- teams --- */

static void
on_team_edited (const char * const *values,
                gpointer            user_data)
{
  Call *form = user_data;
  Call *call = call_new (form->self, form->id);
  ConfabTeamsPage *self = call->self;
  g_autoptr (JsonObject) body = json_object_new ();
  g_autofree char *key = g_strstrip (g_strdup (values[1]));
  g_autofree char *path = NULL;

  call->values = g_strdupv ((char **) values);
  json_object_set_string_member (body, "name", values[0]);
  /* no key: the relay makes one from the name */
  if (*key != '\0')
    json_object_set_string_member (body, "key", key);
  path = call->id != NULL ? confab_admin_path ("teams", call->id, NULL)
                          : confab_admin_path ("sites", self->site_id, "teams");
  confab_client_request_async (self->client, call->id != NULL ? "PATCH" : "POST", path, body,
                               self->cancellable, team_saved_cb, call);
}

static void
edit_team (ConfabTeamsPage    *self,
           const char         *id,
           const char         *error,
           const char * const *values)
{
  static ConfabAdminField translated[G_N_ELEMENTS (team_fields)];
  JsonObject *team = id != NULL ? find_team (self, id) : NULL;
  const char *current[G_N_ELEMENTS (team_fields)] = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (team_fields); i++)
    {
      translated[i] = team_fields[i];
      translated[i].label = _(team_fields[i].label);
      translated[i].placeholder = team_fields[i].placeholder != NULL ? _(team_fields[i].placeholder) : NULL;
    }
  if (values == NULL && team != NULL)
    {
      current[0] = confab_admin_string (team, "name");
      current[1] = confab_admin_string (team, "key");
      values = current;
    }
  confab_admin_edit (GTK_WIDGET (self), id != NULL ? _("Rename Team") : _("New Team"), error,
                     translated, G_N_ELEMENTS (team_fields), values, _("_Save"), on_team_edited,
                     call_new (self, id), call_free);
}

static void
add_action (GtkWidget  *widget,
            const char *name,
            GVariant   *parameter)
{
  edit_team (CONFAB_TEAMS_PAGE (widget), NULL, NULL, NULL);
}

static void
rename_action (GtkWidget  *widget,
               const char *name,
               GVariant   *parameter)
{
  edit_team (CONFAB_TEAMS_PAGE (widget), g_variant_get_string (parameter, NULL), NULL, NULL);
}

static void
do_delete (gpointer data)
{
  Call *call = data;
  g_autofree char *path = confab_admin_path ("teams", call->id, NULL);

  confab_client_request_async (call->self->client, "DELETE", path, NULL, call->self->cancellable,
                               team_saved_cb, call_new (call->self, call->id));
}

static void
delete_action (GtkWidget  *widget,
               const char *name,
               GVariant   *parameter)
{
  ConfabTeamsPage *self = CONFAB_TEAMS_PAGE (widget);
  const char *id = g_variant_get_string (parameter, NULL);
  JsonObject *team = find_team (self, id);
  /* Translators: %s is a team's name */
  g_autofree char *body = g_strdup_printf (_("“%s” is deleted. Its conversations go on without a "
                                             "team; those waiting join the site’s queue."),
                                           team != NULL ? confab_admin_string (team, "name") : id);

  confab_admin_confirm (widget, _("Delete the Team?"), body, _("_Delete"), do_delete,
                        call_new (self, id), call_free);
}

static void
on_team_mode (AdwComboRow     *row,
              GParamSpec      *pspec,
              ConfabTeamsPage *self)
{
  const char *id = g_object_get_data (G_OBJECT (row), "team-id");
  JsonObject *team = find_team (self, id);
  guint selected = adw_combo_row_get_selected (row);
  g_autoptr (JsonObject) body = NULL;

  if (self->filling || team == NULL || selected >= G_N_ELEMENTS (team_modes) ||
      g_strcmp0 (confab_admin_string (team, "assignment"), team_modes[selected]) == 0)
    return;
  body = json_object_new ();
  json_object_set_string_member (body, "assignment", team_modes[selected]);
  patch_team (self, id, body);
}

static void
on_team_target (GtkSpinButton   *spin,
                ConfabTeamsPage *self)
{
  const char *id = g_object_get_data (G_OBJECT (spin), "team-id");
  const char *member = g_object_get_data (G_OBJECT (spin), "member");
  int minutes = gtk_spin_button_get_value_as_int (spin);
  g_autoptr (JsonObject) body = NULL;

  if (self->filling || find_team (self, id) == NULL)
    return;
  body = json_object_new ();
  /* 0: the site's target */
  if (minutes > 0)
    json_object_set_int_member (body, member, minutes * 60);
  else
    json_object_set_null_member (body, member);
  patch_team (self, id, body);
}

static void
on_member_toggled (GtkCheckButton  *check,
                   ConfabTeamsPage *self)
{
  const char *id = g_object_get_data (G_OBJECT (check), "team-id");
  const char *user_id = g_object_get_data (G_OBJECT (check), "user-id");
  JsonObject *team = find_team (self, id);
  JsonNode *node = team != NULL ? json_object_get_member (team, "member_ids") : NULL;
  g_autoptr (JsonObject) body = NULL;
  JsonArray *ids;
  gboolean on = gtk_check_button_get_active (check);

  if (self->filling || team == NULL)
    return;
  ids = json_array_new ();
  for (guint i = 0; node != NULL && JSON_NODE_HOLDS_ARRAY (node) && i < json_array_get_length (json_node_get_array (node)); i++)
    {
      const char *member = json_array_get_string_element (json_node_get_array (node), i);

      if (g_strcmp0 (member, user_id) != 0)
        json_array_add_string_element (ids, member);
    }
  if (on)
    json_array_add_string_element (ids, user_id);
  body = json_object_new ();
  json_object_set_array_member (body, "member_ids", ids);
  patch_team (self, id, body);
}

static void
on_expanded (AdwExpanderRow  *row,
             GParamSpec      *pspec,
             ConfabTeamsPage *self)
{
  const char *id = g_object_get_data (G_OBJECT (row), "team-id");

  if (adw_expander_row_get_expanded (row))
    g_hash_table_add (self->expanded, g_strdup (id));
  else
    g_hash_table_remove (self->expanded, id);
}

static gboolean
has_member (JsonObject *team,
            const char *user_id)
{
  JsonNode *node = json_object_get_member (team, "member_ids");

  for (guint i = 0; node != NULL && JSON_NODE_HOLDS_ARRAY (node) && i < json_array_get_length (json_node_get_array (node)); i++)
    if (g_strcmp0 (json_array_get_string_element (json_node_get_array (node), i), user_id) == 0)
      return TRUE;
  return FALSE;
}

static GtkWidget *
target_row (ConfabTeamsPage *self,
            JsonObject      *team,
            const char      *member,
            const char      *title,
            const char      *name)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *spin = gtk_spin_button_new_with_range (0, 1440, 1);
  JsonNode *node = json_object_get_member (team, member);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _("Minutes; 0 takes the site’s"));
  gtk_widget_set_name (spin, name);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin),
                             node != NULL && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_int (node) / 60.0 : 0);
  g_object_set_data_full (G_OBJECT (spin), "team-id", g_strdup (confab_admin_string (team, "id")), g_free);
  g_object_set_data (G_OBJECT (spin), "member", (gpointer) member);
  g_signal_connect (spin, "value-changed", G_CALLBACK (on_team_target), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
  return row;
}

static GtkWidget *
team_row (ConfabTeamsPage *self,
          JsonObject      *team)
{
  const char *id = confab_admin_string (team, "id");
  g_autofree char *title = confab_admin_markup (confab_admin_string (team, "name"));
  g_autofree char *name = g_strdup_printf ("team-%s", confab_admin_string (team, "key"));
  JsonNode *ids = json_object_get_member (team, "member_ids");
  guint n_members = ids != NULL && JSON_NODE_HOLDS_ARRAY (ids) ? json_array_get_length (json_node_get_array (ids)) : 0;
  g_autofree char *members = g_strdup_printf (ngettext ("%u member", "%u members", n_members), n_members);
  g_autofree char *subtitle = NULL;
  g_autofree char *escaped = NULL;
  GtkWidget *row = adw_expander_row_new ();
  GtkWidget *mode_row = adw_combo_row_new ();
  g_autoptr (GtkStringList) modes = gtk_string_list_new (NULL);

  /* Translators: a team's key, its members, its assignment */
  subtitle = g_strdup_printf (_("%s · %s · %s"), confab_admin_string (team, "key"), members,
                              mode_label (confab_admin_string (team, "assignment")));
  escaped = confab_admin_markup (subtitle);
  gtk_widget_set_name (row, name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), escaped);
  g_object_set_data_full (G_OBJECT (row), "team-id", g_strdup (id), g_free);
  adw_expander_row_add_action (ADW_EXPANDER_ROW (row),
                               confab_admin_row_button ("document-edit-symbolic", _("Rename"),
                                                        "teams.rename", id, "team-rename"));
  adw_expander_row_add_action (ADW_EXPANDER_ROW (row),
                               confab_admin_row_button ("user-trash-symbolic", _("Delete"),
                                                        "teams.delete", id, "team-delete"));

  for (guint i = 0; i < G_N_ELEMENTS (team_modes); i++)
    gtk_string_list_append (modes, mode_label (team_modes[i]));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (mode_row), _("Assignment"));
  gtk_widget_set_name (mode_row, "team-assignment");
  adw_combo_row_set_model (ADW_COMBO_ROW (mode_row), G_LIST_MODEL (modes));
  adw_combo_row_set_selected (ADW_COMBO_ROW (mode_row),
                              index_of (team_modes, G_N_ELEMENTS (team_modes),
                                        confab_admin_string (team, "assignment")));
  g_object_set_data_full (G_OBJECT (mode_row), "team-id", g_strdup (id), g_free);
  g_signal_connect (mode_row, "notify::selected", G_CALLBACK (on_team_mode), self);
  adw_expander_row_add_row (ADW_EXPANDER_ROW (row), mode_row);
  adw_expander_row_add_row (ADW_EXPANDER_ROW (row),
                            target_row (self, team, "first_response_seconds",
                                        _("First response target"), "team-first-response"));
  adw_expander_row_add_row (ADW_EXPANDER_ROW (row),
                            target_row (self, team, "next_response_seconds",
                                        _("Next response target"), "team-next-response"));

  for (guint i = 0; self->members != NULL && i < json_array_get_length (self->members); i++)
    {
      JsonObject *member = json_array_get_object_element (self->members, i);
      const char *user_id = member != NULL ? confab_admin_string (member, "id") : NULL;
      const char *member_name;
      g_autofree char *member_title = NULL;
      GtkWidget *member_row, *check;

      if (user_id == NULL)
        continue;
      member_name = confab_admin_string (member, "name");
      member_title = confab_admin_markup (member_name != NULL ? member_name : confab_admin_string (member, "email"));
      member_row = adw_action_row_new ();
      check = gtk_check_button_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (member_row), member_title);
      gtk_widget_set_name (check, "team-member-check");
      gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), has_member (team, user_id));
      g_object_set_data_full (G_OBJECT (check), "team-id", g_strdup (id), g_free);
      g_object_set_data_full (G_OBJECT (check), "user-id", g_strdup (user_id), g_free);
      g_signal_connect (check, "toggled", G_CALLBACK (on_member_toggled), self);
      adw_action_row_add_prefix (ADW_ACTION_ROW (member_row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (member_row), check);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), member_row);
    }
  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row), g_hash_table_contains (self->expanded, id));
  g_signal_connect (row, "notify::expanded", G_CALLBACK (on_expanded), self);
  return row;
}

static void
show_teams (ConfabTeamsPage *self)
{
  guint n = self->teams != NULL ? json_array_get_length (self->teams) : 0;

  self->filling = TRUE;
  confab_admin_group_clear (self->teams_group, self->team_rows);
  /* NULL while the page is being made */
  if (self->rules_group != NULL)
    confab_team_rules_set_teams (self->rules_group, self->teams);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *team = json_array_get_object_element (self->teams, i);

      if (team != NULL && confab_admin_string (team, "id") != NULL)
        confab_admin_group_add (self->teams_group, self->team_rows, team_row (self, team));
    }
  adw_preferences_group_set_description (self->teams_group,
                                         n == 0 ? _("None yet. A team takes the conversations of its "
                                                    "pages, language or topic; the widget names it "
                                                    "with data-team.")
                                                : _("Open a team for its members, assignment and "
                                                    "targets."));
  self->filling = FALSE;
}

/* Routing on this relay, or not: an older relay has no teams (404). */
static void
set_supported (ConfabTeamsPage *self,
               gboolean         supported)
{
  gtk_widget_set_visible (GTK_WIDGET (self->routing_group), supported);
  gtk_widget_set_visible (GTK_WIDGET (self->targets_group), supported);
  gtk_widget_set_visible (self->add_button, supported);
  gtk_widget_set_visible (GTK_WIDGET (self->rules_group), supported);
  if (!supported)
    {
      confab_admin_group_clear (self->teams_group, self->team_rows);
      adw_preferences_group_set_description (self->teams_group,
                                             _("This relay does not route conversations yet: "
                                               "update it for teams, queues and response targets."));
    }
}

static void
teams_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (ConfabTeamsPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *code = NULL;
  g_autoptr (JsonArray) teams = confab_client_fetch_teams_finish (CONFAB_CLIENT (source), result, &code, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (teams == NULL)
    {
      if (g_strcmp0 (code, "not_found") == 0)
        set_supported (self, FALSE);
      else
        adw_preferences_group_set_description (self->teams_group, error->message);
      return;
    }
  set_supported (self, TRUE);
  /* "teams-changed" has shown them (the answer went through the client) */
}

static void
members_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (ConfabTeamsPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL, &error);
  JsonNode *members = answer != NULL ? json_object_get_member (answer, "members") : NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_pointer (&self->members, json_array_unref);
  if (members != NULL && JSON_NODE_HOLDS_ARRAY (members))
    self->members = json_array_ref (json_node_get_array (members));
  show_teams (self);
}

static void
load (ConfabTeamsPage *self)
{
  g_autofree char *site_path = NULL;
  g_autofree char *members_path = NULL;

  if (self->site_id == NULL || self->client == NULL)
    return;
  site_path = confab_admin_path ("sites", self->site_id, NULL);
  members_path = confab_admin_path ("sites", self->site_id, "members");
  confab_client_request_async (self->client, "GET", site_path, NULL, self->cancellable, site_cb,
                               g_object_ref (self));
  confab_client_request_async (self->client, "GET", members_path, NULL, self->cancellable,
                               members_cb, g_object_ref (self));
  confab_client_fetch_teams_async (self->client, self->site_id, self->cancellable, teams_cb,
                                   g_object_ref (self));
  confab_team_rules_reload (self->rules_group);
}

/* ------------------------------------------------------------- pushed --- */

static void
on_teams_changed (ConfabClient    *client,
                  const char      *site_id,
                  JsonArray       *teams,
                  ConfabTeamsPage *self)
{
  if (g_strcmp0 (site_id, self->site_id) != 0 || teams == NULL)
    return;
  g_clear_pointer (&self->teams, json_array_unref);
  self->teams = json_array_ref (teams);
  /* only a routing relay pushes teams */
  set_supported (self, TRUE);
  show_teams (self);
}

static void
on_members_changed (ConfabClient    *client,
                    const char      *site_id,
                    JsonArray       *members,
                    ConfabTeamsPage *self)
{
  if (g_strcmp0 (site_id, self->site_id) != 0)
    return;
  if (members == NULL)
    {
      load (self);
      return;
    }
  g_clear_pointer (&self->members, json_array_unref);
  self->members = json_array_ref (members);
  show_teams (self);
}

static void
on_state_changed (ConfabClient    *client,
                  GParamSpec      *pspec,
                  ConfabTeamsPage *self)
{
  if (confab_client_get_state (client) == CONFAB_CLIENT_ONLINE)
    load (self);
}

/* --------------------------------------------------------------- site --- */

static void
set_site_id (ConfabTeamsPage *self,
             const char      *site_id)
{
  if (g_strcmp0 (self->site_id, site_id) == 0)
    return;
  g_free (self->site_id);
  self->site_id = g_strdup (site_id);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_handle_id (&self->save_source, g_source_remove);
  g_clear_pointer (&self->teams, json_array_unref);
  g_clear_pointer (&self->members, json_array_unref);
  g_hash_table_remove_all (self->expanded);
  confab_team_rules_set_site_id (self->rules_group, site_id);
  show_teams (self);
  load (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SITE_ID]);
}

/* ---------------------------------------------------------- lifecycle --- */

static void
confab_teams_page_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  ConfabTeamsPage *self = CONFAB_TEAMS_PAGE (object);

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
confab_teams_page_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  ConfabTeamsPage *self = CONFAB_TEAMS_PAGE (object);

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
confab_teams_page_dispose (GObject *object)
{
  ConfabTeamsPage *self = CONFAB_TEAMS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->save_source, g_source_remove);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (confab_teams_page_parent_class)->dispose (object);
}

static void
confab_teams_page_finalize (GObject *object)
{
  ConfabTeamsPage *self = CONFAB_TEAMS_PAGE (object);

  g_free (self->site_id);
  g_clear_pointer (&self->teams, json_array_unref);
  g_clear_pointer (&self->members, json_array_unref);
  g_ptr_array_unref (self->team_rows);
  g_hash_table_unref (self->expanded);
  G_OBJECT_CLASS (confab_teams_page_parent_class)->finalize (object);
}

static void
confab_teams_page_class_init (ConfabTeamsPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = confab_teams_page_dispose;
  G_OBJECT_CLASS (klass)->finalize = confab_teams_page_finalize;
  G_OBJECT_CLASS (klass)->get_property = confab_teams_page_get_property;
  G_OBJECT_CLASS (klass)->set_property = confab_teams_page_set_property;
  /* the site the settings area's picker shows; NULL: none */
  properties[PROP_SITE_ID] =
    g_param_spec_string ("site-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (G_OBJECT_CLASS (klass), N_PROPS, properties);
  gtk_widget_class_install_action (widget_class, "teams.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "teams.rename", "s", rename_action);
  gtk_widget_class_install_action (widget_class, "teams.delete", "s", delete_action);
}

/* A spin button of minutes at a row's end. */
static GtkSpinButton *
minutes_row (AdwPreferencesGroup *group,
             const char          *title,
             const char          *subtitle,
             const char          *name,
             double               max,
             ConfabTeamsPage     *self)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *spin = gtk_spin_button_new_with_range (0, max, 1);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_name (spin, name);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (spin), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  g_signal_connect_swapped (spin, "value-changed", G_CALLBACK (on_setting_changed), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
  adw_preferences_group_add (group, row);
  return GTK_SPIN_BUTTON (spin);
}

static void
confab_teams_page_init (ConfabTeamsPage *self)
{
  g_autoptr (GtkStringList) modes = gtk_string_list_new (NULL);
  GtkWidget *prechat_row = adw_action_row_new ();
  GtkWidget *content = adw_button_content_new ();

  self->cancellable = g_cancellable_new ();
  self->team_rows = g_ptr_array_new ();
  self->expanded = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gtk_widget_set_name (GTK_WIDGET (self), "teams-page");
  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (self), _("Teams"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (self), "system-users-symbolic");

  self->routing_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  gtk_widget_set_name (GTK_WIDGET (self->routing_group), "routing-group");
  adw_preferences_group_set_title (self->routing_group, _("Routing"));
  adw_preferences_group_set_description (self->routing_group,
                                         _("Who gets a new conversation: with assignment on, an online "
                                           "agent under their limit; when nobody is free it waits in "
                                           "the queue."));
  for (guint i = 0; i < G_N_ELEMENTS (site_modes); i++)
    gtk_string_list_append (modes, mode_label (site_modes[i]));
  self->assignment_row = ADW_COMBO_ROW (adw_combo_row_new ());
  gtk_widget_set_name (GTK_WIDGET (self->assignment_row), "routing-assignment");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->assignment_row), _("Assignment"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->assignment_row),
                               _("For conversations without a team and teams that follow the site"));
  adw_combo_row_set_model (self->assignment_row, G_LIST_MODEL (modes));
  g_signal_connect_swapped (self->assignment_row, "notify::selected", G_CALLBACK (on_setting_changed), self);
  adw_preferences_group_add (self->routing_group, GTK_WIDGET (self->assignment_row));
  self->grace_spin = minutes_row (self->routing_group, _("Grace period"),
                                  _("Minutes before an away agent’s chats go back to the queue; 0: never"),
                                  "routing-grace", 60, self);
  self->prechat_switch = GTK_SWITCH (gtk_switch_new ());
  gtk_widget_set_name (GTK_WIDGET (self->prechat_switch), "routing-prechat-team");
  gtk_widget_set_valign (GTK_WIDGET (self->prechat_switch), GTK_ALIGN_CENTER);
  g_signal_connect_swapped (self->prechat_switch, "notify::active", G_CALLBACK (on_setting_changed), self);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (prechat_row), _("Visitors choose a team"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (prechat_row), _("The pre-chat form lists the teams"));
  adw_action_row_add_suffix (ADW_ACTION_ROW (prechat_row), GTK_WIDGET (self->prechat_switch));
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (prechat_row), GTK_WIDGET (self->prechat_switch));
  adw_preferences_group_add (self->routing_group, prechat_row);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), self->routing_group);

  self->targets_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  gtk_widget_set_name (GTK_WIDGET (self->targets_group), "targets-group");
  adw_preferences_group_set_title (self->targets_group, _("Response Targets"));
  adw_preferences_group_set_description (self->targets_group,
                                         _("Agents are warned before a reply is late; a team’s own "
                                           "targets come first."));
  self->first_spin = minutes_row (self->targets_group, _("First response"),
                                  _("Minutes from the visitor’s first message; 0: none"),
                                  "routing-first-response", 1440, self);
  self->next_spin = minutes_row (self->targets_group, _("Next response"),
                                 _("Minutes from each later visitor message; 0: none"),
                                 "routing-next-response", 1440, self);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), self->targets_group);

  self->teams_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  gtk_widget_set_name (GTK_WIDGET (self->teams_group), "teams-group");
  adw_preferences_group_set_title (self->teams_group, _("Teams"));
  self->add_button = gtk_button_new ();
  gtk_widget_set_name (self->add_button, "teams-add-button");
  gtk_widget_set_valign (self->add_button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (self->add_button, _("Add a Team"));
  adw_button_content_set_icon_name (ADW_BUTTON_CONTENT (content), "list-add-symbolic");
  adw_button_content_set_label (ADW_BUTTON_CONTENT (content), _("_Add"));
  adw_button_content_set_use_underline (ADW_BUTTON_CONTENT (content), TRUE);
  gtk_button_set_child (GTK_BUTTON (self->add_button), content);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->add_button), "teams.add");
  adw_preferences_group_set_header_suffix (self->teams_group, self->add_button);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), self->teams_group);
  show_teams (self);
}

/* The rules need the client: made with it, below the teams they name. */
static void
add_rules_group (ConfabTeamsPage *self)
{
  self->rules_group = CONFAB_TEAM_RULES (confab_team_rules_new (self->client));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), ADW_PREFERENCES_GROUP (self->rules_group));
}

GtkWidget *
confab_teams_page_new (ConfabClient *client)
{
  ConfabTeamsPage *self;

  g_return_val_if_fail (CONFAB_IS_CLIENT (client), NULL);

  self = g_object_new (CONFAB_TYPE_TEAMS_PAGE, NULL);
  self->client = g_object_ref (client);
  add_rules_group (self);
  confab_client_ensure_routing_signals ();
  confab_client_ensure_list_signals ();
  g_signal_connect (client, "teams-changed", G_CALLBACK (on_teams_changed), self);
  g_signal_connect (client, "members-changed", G_CALLBACK (on_members_changed), self);
  g_signal_connect (client, "notify::state", G_CALLBACK (on_state_changed), self);
  return GTK_WIDGET (self);
}
