/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-team-filter.c: the inbox's team filter (issue 18; see the header), made as the label
 * filter is. The teams of each routing site come from the cache at once, are read again once
 * online (GET /api/v1/sites/{id}/teams) and follow the pushed `teams` frames; a team deleted
 * while chosen leaves the filter on "any". Hidden while no site has teams. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-client-routing.h"
#include "confab-filter-popover.h"
#include "confab-routing.h"
#include "confab-team-filter.h"

struct _ConfabTeamFilter
{
  GtkWidget            parent_instance;

  ConfabFilterPopover  popover;
  ConfabAccount       *account;
  GCancellable        *cancellable;
};

enum {
  PROP_0,
  PROP_TEAM_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (ConfabTeamFilter, confab_team_filter, GTK_TYPE_WIDGET)

static void
on_chosen (gpointer owner)
{
  g_object_notify_by_pspec (G_OBJECT (owner), properties[PROP_TEAM_ID]);
}

/* Hidden while no site has teams: nothing to filter by. */
static void
rebuild (ConfabTeamFilter *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self), confab_filter_popover_rebuild (&self->popover));
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
      g_autoptr (JsonArray) teams = confab_cache_dup_teams (confab_account_get_cache (self->account),
                                                            confab_site_get_id (site));

      if (teams != NULL)
        confab_filter_popover_set_items (&self->popover, confab_site_get_id (site), teams);
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
  confab_filter_popover_set_items (&self->popover, site_id, teams);
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
  g_hash_table_remove_all (self->popover.items);
  confab_filter_popover_choose (&self->popover, NULL, NULL);
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

  confab_filter_popover_set_site_id (&self->popover, site_id);
  rebuild (self);
}

const char *
confab_team_filter_get_team_id (ConfabTeamFilter *self)
{
  g_return_val_if_fail (CONFAB_IS_TEAM_FILTER (self), NULL);
  return self->popover.id;
}

void
confab_team_filter_set_team_id (ConfabTeamFilter *self,
                                const char       *team_id)
{
  g_return_if_fail (CONFAB_IS_TEAM_FILTER (self));

  confab_filter_popover_set_id (&self->popover, team_id);
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
      g_value_set_string (value, self->popover.id);
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
  confab_filter_popover_dispose (&self->popover);
  G_OBJECT_CLASS (confab_team_filter_parent_class)->dispose (object);
}

static void
confab_team_filter_finalize (GObject *object)
{
  ConfabTeamFilter *self = CONFAB_TEAM_FILTER (object);

  confab_filter_popover_finalize (&self->popover);
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
  self->popover.name = "team-filter";
  self->popover.icon_name = "system-users-symbolic";
  self->popover.any_text = _("Any Team");
  self->popover.any_tooltip = _("Filter by Team");
  /* Translators: %s is a team's name */
  self->popover.chosen_tooltip = _("Only conversations of the team “%s”");
  self->popover.unnamed_text = _("Team");
  self->popover.changed = on_chosen;
  self->popover.owner = self;
  confab_filter_popover_init (&self->popover, GTK_WIDGET (self));
  rebuild (self);
}
