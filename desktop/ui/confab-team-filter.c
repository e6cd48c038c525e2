/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-team-filter.c: the inbox's team filter (issue 18; see the header), made as the label
 * filter is. The teams of each routing site come from the cache at once, are read again once
 * online (GET /api/v1/sites/{id}/teams) and follow the pushed `teams` frames; a team deleted
 * while chosen leaves the filter on "any". Hidden while no site has teams. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-client-routing.h"
#include "confab-routing.h"
#include "confab-team-filter.h"

struct _ConfabTeamFilter
{
  GtkWidget      parent_instance;

  GtkWidget     *button;
  GtkWidget     *box;        /* the popover's rows */
  ConfabAccount *account;
  char          *site_id;
  char          *team_id;
  char          *team_name;
  GHashTable    *teams;      /* site id → JsonArray of its teams */
  GCancellable  *cancellable;
};

enum {
  PROP_0,
  PROP_TEAM_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (ConfabTeamFilter, confab_team_filter, GTK_TYPE_WIDGET)

static void rebuild (ConfabTeamFilter *self);
static void load_cached (ConfabTeamFilter *self);

static void
update_button (ConfabTeamFilter *self)
{
  g_autofree char *tooltip = NULL;

  if (self->team_id != NULL)
    {
      gtk_menu_button_set_label (GTK_MENU_BUTTON (self->button),
                                 self->team_name != NULL ? self->team_name : _("Team"));
      gtk_widget_add_css_class (self->button, "accent");
      /* Translators: %s is a team's name */
      tooltip = g_strdup_printf (_("Only conversations of the team “%s”"),
                                 self->team_name != NULL ? self->team_name : "");
    }
  else
    {
      gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (self->button), "system-users-symbolic");
      gtk_widget_remove_css_class (self->button, "accent");
      tooltip = g_strdup (_("Filter by Team"));
    }
  /* the state is the accessible label's (and the button's own label): a tooltip set anew
   * here re-queried the one under the pointer, which under X11 could cost the next click */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  tooltip, -1);
}

static void
choose (ConfabTeamFilter *self,
        const char       *team_id,
        const char       *name)
{
  if (g_strcmp0 (team_id, self->team_id) == 0)
    return;
  g_free (self->team_id);
  self->team_id = g_strdup (team_id);
  g_free (self->team_name);
  self->team_name = g_strdup (name);
  update_button (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEAM_ID]);
}

static void
on_row_clicked (GtkButton         *button,
                ConfabTeamFilter *self)
{
  choose (self, g_object_get_data (G_OBJECT (button), "team-id"),
          g_object_get_data (G_OBJECT (button), "team-name"));
  gtk_menu_button_popdown (GTK_MENU_BUTTON (self->button));
}

static GtkWidget *
add_row (ConfabTeamFilter *self,
         const char       *id,
         const char       *name)
{
  GtkWidget *button = gtk_button_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *label = gtk_label_new (name);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_box_append (GTK_BOX (box), label);
  if (g_strcmp0 (id, self->team_id) == 0)
    gtk_box_append (GTK_BOX (box), gtk_image_new_from_icon_name ("object-select-symbolic"));
  gtk_button_set_child (GTK_BUTTON (button), box);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_name (button, "team-filter-row");
  g_object_set_data_full (G_OBJECT (button), "team-id", g_strdup (id), g_free);
  g_object_set_data_full (G_OBJECT (button), "team-name", g_strdup (name), g_free);
  g_signal_connect (button, "clicked", G_CALLBACK (on_row_clicked), self);
  gtk_box_append (GTK_BOX (self->box), button);
  return button;
}

static void
add_site (ConfabTeamFilter *self,
         const char       *site_id,
         gboolean         *chosen_seen)
{
  JsonArray *teams = g_hash_table_lookup (self->teams, site_id);

  for (guint i = 0; teams != NULL && i < json_array_get_length (teams); i++)
    {
      JsonNode *node = json_array_get_element (teams, i);
      JsonObject *label;
      const char *id, *name;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      label = json_node_get_object (node);
      id = json_object_get_string_member_with_default (label, "id", NULL);
      name = json_object_get_string_member_with_default (label, "name", NULL);
      if (id == NULL || name == NULL)
        continue;
      if (g_strcmp0 (id, self->team_id) == 0)
        *chosen_seen = TRUE;
      add_row (self, id, name);
    }
}

static void
rebuild (ConfabTeamFilter *self)
{
  GtkWidget *child;
  gboolean chosen_seen = FALSE;

  while ((child = gtk_widget_get_first_child (self->box)) != NULL)
    gtk_box_remove (GTK_BOX (self->box), child);
  add_row (self, NULL, _("Any Team"));
  if (self->site_id != NULL)
    add_site (self, self->site_id, &chosen_seen);
  else
    {
      GHashTableIter iter;
      gpointer key;

      g_hash_table_iter_init (&iter, self->teams);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        add_site (self, key, &chosen_seen);
    }
  /* the chosen team is gone (deleted, or of another site): any team again */
  if (self->team_id != NULL && !chosen_seen)
    choose (self, NULL, NULL);
  /* only the "any" row: nothing to filter by */
  gtk_widget_set_visible (GTK_WIDGET (self),
                          gtk_widget_get_first_child (self->box) != gtk_widget_get_last_child (self->box) ||
                          self->team_id != NULL);
}

typedef struct {
  ConfabTeamFilter *self;
  char              *site_id;
} Fetch;

static void
teams_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Fetch *fetch = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) teams = confab_client_fetch_teams_finish (CONFAB_CLIENT (source), result, NULL, &error);

  /* the answer went through the cache: "teams-changed" has rebuilt the list */
  if (teams == NULL && error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("No teams for a site: %s", error->message);
  g_object_unref (fetch->self);
  g_free (fetch->site_id);
  g_free (fetch);
}

/* What the cache kept of every site's teams: the filter works offline. */
static void
load_cached (ConfabTeamFilter *self)
{
  g_autoptr (GListModel) sites = confab_cache_list_sites (confab_account_get_cache (self->account));

  for (guint i = 0; i < g_list_model_get_n_items (sites); i++)
    {
      g_autoptr (ConfabSite) site = g_list_model_get_item (sites, i);
      JsonArray *teams = confab_cache_dup_teams (confab_account_get_cache (self->account),
                                                 confab_site_get_id (site));

      if (teams != NULL)
        g_hash_table_replace (self->teams, g_strdup (confab_site_get_id (site)), teams);
    }
  rebuild (self);
}

/* Online: every site's teams once (a handful of requests, one per site). */
static void
fetch_all (ConfabTeamFilter *self)
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
      Fetch *fetch;

      /* a relay without routing has no teams to ask for */
      if (confab_site_get_max_chats (site) < 0)
        continue;
      /* a reference for each answer, given back in teams_cb */
      fetch = g_new0 (Fetch, 1);
      fetch->self = g_object_ref (self);
      fetch->site_id = g_strdup (confab_site_get_id (site));
      confab_client_fetch_teams_async (client, fetch->site_id, self->cancellable, teams_cb, fetch);
    }
}

static void
on_teams_changed (ConfabTeamFilter *self,
                  const char       *site_id,
                  JsonArray        *teams)
{
  if (site_id == NULL || teams == NULL)
    return;
  g_hash_table_replace (self->teams, g_strdup (site_id), json_array_ref (teams));
  rebuild (self);
}

static void
on_client_state (ConfabTeamFilter *self)
{
  if (confab_client_get_state (confab_account_get_client (self->account)) == CONFAB_CLIENT_ONLINE)
    fetch_all (self);
}

void
confab_team_filter_set_account (ConfabTeamFilter *self,
                                ConfabAccount    *account)
{
  g_return_if_fail (CONFAB_IS_TEAM_FILTER (self));

  if (self->account == account)
    return;
  if (self->account != NULL)
    g_signal_handlers_disconnect_by_data (confab_account_get_client (self->account), self);
  g_cancellable_cancel (self->cancellable);
  g_set_object (&self->account, account);
  g_hash_table_remove_all (self->teams);
  choose (self, NULL, NULL);
  rebuild (self);
  if (account == NULL)
    return;
  load_cached (self);
  confab_client_ensure_routing_signals ();
  g_signal_connect_object (confab_account_get_client (account), "teams-changed",
                           G_CALLBACK (on_teams_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (confab_account_get_client (account), "notify::state",
                           G_CALLBACK (on_client_state), self, G_CONNECT_SWAPPED);
  fetch_all (self);
}

void
confab_team_filter_set_site_id (ConfabTeamFilter *self,
                                const char       *site_id)
{
  g_return_if_fail (CONFAB_IS_TEAM_FILTER (self));

  g_free (self->site_id);
  self->site_id = g_strdup (site_id);
  rebuild (self);
}

const char *
confab_team_filter_get_team_id (ConfabTeamFilter *self)
{
  g_return_val_if_fail (CONFAB_IS_TEAM_FILTER (self), NULL);
  return self->team_id;
}

void
confab_team_filter_set_team_id (ConfabTeamFilter *self,
                                const char       *team_id)
{
  const char *name = NULL;

  g_return_if_fail (CONFAB_IS_TEAM_FILTER (self));

  for (GtkWidget *row = gtk_widget_get_first_child (self->box); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (g_strcmp0 (g_object_get_data (G_OBJECT (row), "team-id"), team_id) == 0)
      name = g_object_get_data (G_OBJECT (row), "team-name");
  choose (self, team_id, name);
}

static void
confab_team_filter_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  ConfabTeamFilter *self = CONFAB_TEAM_FILTER (object);

  switch (prop_id)
    {
    case PROP_TEAM_ID:
      g_value_set_string (value, self->team_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_team_filter_dispose (GObject *object)
{
  ConfabTeamFilter *self = CONFAB_TEAM_FILTER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->account != NULL)
    g_signal_handlers_disconnect_by_data (confab_account_get_client (self->account), self);
  g_clear_object (&self->account);
  g_clear_pointer (&self->button, gtk_widget_unparent);
  G_OBJECT_CLASS (confab_team_filter_parent_class)->dispose (object);
}

static void
confab_team_filter_finalize (GObject *object)
{
  ConfabTeamFilter *self = CONFAB_TEAM_FILTER (object);

  g_hash_table_unref (self->teams);
  g_free (self->site_id);
  g_free (self->team_id);
  g_free (self->team_name);
  G_OBJECT_CLASS (confab_team_filter_parent_class)->finalize (object);
}

static void
confab_team_filter_class_init (ConfabTeamFilterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = confab_team_filter_get_property;
  object_class->dispose = confab_team_filter_dispose;
  object_class->finalize = confab_team_filter_finalize;
  properties[PROP_TEAM_ID] =
    g_param_spec_string ("team-id", NULL, "The team conversations must be of (NULL: any)", NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
confab_team_filter_init (ConfabTeamFilter *self)
{
  GtkWidget *popover = gtk_popover_new ();

  self->teams = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) json_array_unref);
  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_name (self->box, "team-filter-list");
  gtk_popover_set_child (GTK_POPOVER (popover), self->box);
  self->button = gtk_menu_button_new ();
  gtk_widget_set_name (self->button, "team-filter");
  gtk_widget_set_tooltip_text (self->button, _("Filter by Team"));
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (self->button), popover);
  gtk_widget_set_parent (self->button, GTK_WIDGET (self));
  update_button (self);
  rebuild (self);
}
