/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-visitor-pane.c: the visitor as the cache knows them (the relay's visitor events:
 * geolocation, device, journey), rebuilt when the cache says they changed.
 *
 * When online, the pane also asks the relay (GET /api/v1/visitors/{id}) for a fresh copy and
 * for the person's conversations across linked visitors, which the cache alone cannot know;
 * both go into the cache, so the pane shows the same offline. Offline, nothing claims the
 * visitor is there now: the cache's "online" is only as fresh as the last event. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "confab-client-chat.h"
#include "confab-client-http.h"
#include "confab-format.h"
#include "confab-util.h"
#include "confab-visitor-contact.h"
#include "confab-visitor-pane.h"

/* A pane, not a history: the newest few of each. */
#define MAX_PAGES          10
#define MAX_CONVERSATIONS  10

struct _ConfabVisitorPane
{
  GtkWidget            parent_instance;

  GtkStack            *stack;
  GtkScrolledWindow   *scroller;
  GtkWidget           *back_button;
  AdwAvatar           *avatar;
  GtkLabel            *name_label;
  GtkLabel            *email_label;
  GtkLabel            *presence_label;
  GtkLabel            *ghost_label;
  ConfabVisitorContact *contact;
  AdwPreferencesGroup *about_group;
  AdwPreferencesGroup *pages_group;
  AdwPreferencesGroup *conversations_group;

  ConfabAccount       *account;
  char                *visitor_id;
  char                *conversation_id;
  GPtrArray           *rows;   /* (group, row) pairs added */
  guint                clock_source;
  guint                tick_source;   /* the current page's time and "last seen", live */
  GtkWidget           *current_row;   /* the newest page while the visitor is online */
  char                *current_url;
  gint64               current_at;    /* Unix ms: when they opened it */
  gint64               current_seconds; /* what the relay last said they spent there */

  GCancellable        *cancellable;   /* the relay's copy of the visitor */
  gint64               fetch_started; /* Unix ms */
  GPtrArray           *history;       /* conversation ids from the relay, newest first */
  ConfabClientState    client_state;
};

G_DEFINE_FINAL_TYPE (ConfabVisitorPane, confab_visitor_pane, GTK_TYPE_WIDGET)

static ConfabClient *
client_of (ConfabVisitorPane *self)
{
  return self->account != NULL ? confab_account_get_client (self->account) : NULL;
}

static gboolean
client_online (ConfabVisitorPane *self)
{
  return client_of (self) != NULL && confab_client_get_state (client_of (self)) == CONFAB_CLIENT_ONLINE;
}

static void
clear_rows (ConfabVisitorPane *self)
{
  self->current_row = NULL;
  for (guint i = 0; i + 1 < self->rows->len; i += 2)
    adw_preferences_group_remove (g_ptr_array_index (self->rows, i), g_ptr_array_index (self->rows, i + 1));
  g_ptr_array_set_size (self->rows, 0);
}

static GtkWidget *
add_row (ConfabVisitorPane   *self,
         AdwPreferencesGroup *group,
         const char          *icon,
         const char          *title,
         const char          *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  if (icon != NULL)
    adw_action_row_set_icon_name (ADW_ACTION_ROW (row), icon);
  /* visitor-provided text: never markup */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_group_add (group, row);
  g_ptr_array_add (self->rows, group);
  g_ptr_array_add (self->rows, row);
  return row;
}

static char *
local_time_in (const char *timezone)
{
  g_autoptr (GTimeZone) tz = NULL;
  g_autoptr (GDateTime) now = NULL;

  /* what the visitor's browser said: a name, never a path for GLib to open */
  if (timezone == NULL || !confab_is_iana_zone_name (timezone))
    return NULL;
  tz = g_time_zone_new_identifier (timezone);
  if (tz == NULL)
    return NULL;
  now = g_date_time_new_now (tz);
  return g_date_time_format (now, "%H:%M");
}

static void
add_journey (ConfabVisitorPane *self,
             const char        *journey,
             gboolean           online)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *pages;
  guint n, shown = 0;

  if (journey == NULL || !json_parser_load_from_data (parser, journey, -1, NULL) ||
      !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    return;
  pages = json_node_get_array (json_parser_get_root (parser));
  n = json_array_get_length (pages);
  self->current_row = NULL;
  /* newest first */
  for (guint i = n; i > 0 && shown < MAX_PAGES; i--)
    {
      JsonNode *node = json_array_get_element (pages, i - 1);
      JsonObject *page;
      const char *url, *title;
      GtkWidget *row;
      g_autofree char *subtitle = NULL;
      g_autofree char *spent = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      page = json_node_get_object (node);
      url = json_object_get_string_member_with_default (page, "url", "");
      title = json_object_get_string_member_with_default (page, "title", "");
      spent = confab_format_duration (json_object_get_int_member_with_default (page, "seconds", 0));
      subtitle = g_strdup_printf ("%s · %s", spent, url);
      row = add_row (self, self->pages_group, NULL, *title != '\0' ? title : url, subtitle);
      /* the page they are on now: its time goes on growing (tick_cb) */
      if (shown == 0 && online)
        {
          const char *at = json_object_get_string_member_with_default (page, "at", NULL);
          gint64 at_ms = 0;

          if (at != NULL && confab_parse_time (at, &at_ms))
            {
              self->current_row = row;
              gtk_widget_set_name (row, "current-page-row");
              g_free (self->current_url);
              self->current_url = g_strdup (url);
              self->current_at = at_ms;
              self->current_seconds = json_object_get_int_member_with_default (page, "seconds", 0);
            }
        }
      shown++;
    }
}

static void
add_conversation_row (ConfabVisitorPane  *self,
                      ConfabConversation *c)
{
  g_autofree char *when = confab_format_time_short (confab_conversation_get_created_at (c));
  g_autofree char *title = NULL;
  const char *preview = confab_conversation_get_preview (c);
  GtkWidget *row;

  title = g_strdup_printf ("%s · %s", when, confab_format_status (confab_conversation_get_status (c)));
  row = add_row (self, self->conversations_group, NULL, title,
                 preview != NULL && *preview != '\0' ? preview : NULL);
  gtk_widget_set_name (row, "previous-conversation");
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  /* the target first: a name without its target is an action of the wrong type */
  gtk_actionable_set_action_target (GTK_ACTIONABLE (row), "s", confab_conversation_get_id (c));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (row), "win.open-conversation");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
}

/* The relay's list when it came (it spans linked visitors), else the cache's. */
static void
add_conversations (ConfabVisitorPane *self)
{
  ConfabCache *cache = confab_account_get_cache (self->account);
  guint shown = 0;

  if (self->history != NULL)
    {
      for (guint i = 0; i < self->history->len && shown < MAX_CONVERSATIONS; i++)
        {
          const char *id = g_ptr_array_index (self->history, i);
          g_autoptr (ConfabConversation) c = NULL;

          if (g_strcmp0 (id, self->conversation_id) == 0 ||
              (c = confab_cache_get_conversation (cache, id)) == NULL)
            continue;
          add_conversation_row (self, c);
          shown++;
        }
    }
  else
    {
      g_autoptr (GListModel) list = confab_cache_list_visitor_conversations (cache, self->visitor_id);

      for (guint i = 0; i < g_list_model_get_n_items (list) && shown < MAX_CONVERSATIONS; i++)
        {
          g_autoptr (ConfabConversation) c = g_list_model_get_item (list, i);

          if (g_strcmp0 (confab_conversation_get_id (c), self->conversation_id) == 0)
            continue;
          add_conversation_row (self, c);
          shown++;
        }
    }
  gtk_widget_set_visible (GTK_WIDGET (self->conversations_group), shown > 0);
}

/* "Online now" only when the app is online too and the relay says so; otherwise when the
 * cache last heard of them. */
static void
update_presence (ConfabVisitorPane *self,
                 ConfabVisitor     *v)
{
  gint64 last_seen = confab_visitor_get_last_seen (v);
  gboolean now = client_online (self) && confab_visitor_get_online (v);
  g_autofree char *text = NULL;

  if (now)
    text = g_strdup (_("Online now"));
  else if (last_seen > 0 && g_get_real_time () / 1000 - last_seen < 60 * 60 * 1000)
    {
      gint64 minutes = MAX (0, (g_get_real_time () / 1000 - last_seen) / 60000);

      /* within the hour: how long ago, kept current by tick_cb */
      if (minutes < 1)
        text = g_strdup (_("Last seen just now"));
      else
        text = g_strdup_printf (ngettext ("Last seen %d minute ago", "Last seen %d minutes ago",
                                          (int) minutes), (int) minutes);
    }
  else if (last_seen > 0)
    {
      g_autofree char *when = confab_format_time_short (last_seen);

      /* Translators: %s is "03:08" today, else "Yesterday", "Mon", "12 Mar"... */
      text = g_strdup_printf (_("Last seen %s"), when);
    }
  else
    text = g_strdup (_("Offline"));
  /* every second from tick_cb: only a change restyles the label */
  if (g_strcmp0 (gtk_label_get_text (self->presence_label), text) == 0 &&
      gtk_widget_has_css_class (GTK_WIDGET (self->presence_label), now ? "success" : "dim-label"))
    return;
  gtk_label_set_text (self->presence_label, text);
  gtk_widget_set_css_classes (GTK_WIDGET (self->presence_label),
                              (const char *[]) { "caption", now ? "success" : "dim-label", NULL });
}

/* The open conversation's rating, stars and the visitor's own words. */
static void
add_rating (ConfabVisitorPane *self)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GString) stars = g_string_new (NULL);
  const char *comment;
  GtkWidget *row;
  int score;

  if (self->conversation_id == NULL ||
      (conversation = confab_cache_get_conversation (confab_account_get_cache (self->account),
                                                     self->conversation_id)) == NULL ||
      (score = confab_conversation_get_rating_score (conversation)) <= 0)
    return;
  for (int i = 1; i <= 5; i++)
    g_string_append (stars, i <= score ? "★" : "☆");
  g_string_append_printf (stars, "  %d/5", score);
  comment = confab_conversation_get_rating_comment (conversation);
  row = add_row (self, self->about_group, "starred-symbolic", stars->str,
                 comment != NULL && *comment != '\0' ? comment : _("No comment"));
  gtk_widget_set_name (row, "visitor-rating");
  gtk_widget_set_tooltip_text (row, _("The visitor's rating of this conversation"));
}

static void rebuild (ConfabVisitorPane *self);

/* What the visitor types before they send it: shown under their name while it lasts. */
static void
update_ghost (ConfabVisitorPane *self)
{
  const char *text = self->visitor_id != NULL && client_online (self)
                     ? confab_client_get_typing_preview (client_of (self), self->visitor_id) : NULL;

  if (text != NULL)
    {
      g_autofree char *line = g_strdup_printf (_("Typing: %s"), text);

      gtk_label_set_text (self->ghost_label, line);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->ghost_label), text != NULL);
}

static void
on_typing_preview (ConfabVisitorPane *self,
                   const char        *site_id,
                   const char        *conversation_id,
                   const char        *visitor_id,
                   const char        *text,
                   gboolean           active)
{
  if (visitor_id != NULL && g_strcmp0 (visitor_id, self->visitor_id) == 0)
    update_ghost (self);
}

/* Every second while the visitor is shown: the time on their current page grows, "last seen"
 * ages, without rebuilding the pane. */
static gboolean
tick_cb (gpointer user_data)
{
  ConfabVisitorPane *self = user_data;
  g_autoptr (ConfabVisitor) v = NULL;

  if (self->account == NULL || self->visitor_id == NULL ||
      (v = confab_cache_get_visitor (confab_account_get_cache (self->account), self->visitor_id)) == NULL)
    return G_SOURCE_CONTINUE;
  update_presence (self, v);
  if (self->current_row != NULL)
    {
      gint64 spent = MAX (self->current_seconds,
                          (g_get_real_time () / 1000 - self->current_at) / 1000);
      g_autofree char *duration = confab_format_duration (spent);
      g_autofree char *subtitle = g_strdup_printf ("%s · %s", duration, self->current_url);

      if (g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (self->current_row)), subtitle) != 0)
        adw_action_row_set_subtitle (ADW_ACTION_ROW (self->current_row), subtitle);
    }
  return G_SOURCE_CONTINUE;
}

/* Rated while open: the pane shows it at once. */
static void
on_conversation_changed (ConfabVisitorPane  *self,
                         ConfabConversation *old,
                         ConfabConversation *now)
{
  if (now != NULL && g_strcmp0 (confab_conversation_get_id (now), self->conversation_id) == 0 &&
      (old == NULL ||
       confab_conversation_get_rating_score (old) != confab_conversation_get_rating_score (now) ||
       g_strcmp0 (confab_conversation_get_rating_comment (old),
                  confab_conversation_get_rating_comment (now)) != 0))
    rebuild (self);
}

static void
rebuild (ConfabVisitorPane *self)
{
  g_autoptr (ConfabVisitor) v = NULL;
  g_autofree char *name = NULL;
  g_autofree char *place = NULL;
  g_autofree char *local = NULL;
  g_autofree char *device = NULL;
  const char *country, *city, *browser, *os, *email, *page_title, *page_url;

  clear_rows (self);
  if (self->account == NULL || self->visitor_id == NULL ||
      (v = confab_cache_get_visitor (confab_account_get_cache (self->account), self->visitor_id)) == NULL)
    {
      confab_visitor_contact_set_visitor (self->contact, NULL);
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }
  gtk_stack_set_visible_child_name (self->stack, "visitor");
  confab_visitor_contact_set_visitor (self->contact, v);

  name = confab_format_visitor (confab_visitor_get_name (v), self->visitor_id);
  email = confab_visitor_get_email (v);
  adw_avatar_set_text (self->avatar, name);
  gtk_label_set_text (self->name_label, name);
  gtk_label_set_text (self->email_label, email != NULL ? email : _("No email given"));
  update_presence (self, v);
  update_ghost (self);
  add_rating (self);

  country = confab_visitor_get_country (v);
  city = confab_visitor_get_city (v);
  if (city != NULL && *city != '\0' && country != NULL && *country != '\0')
    place = g_strdup_printf ("%s, %s", city, country);
  else
    place = g_strdup (country != NULL && *country != '\0' ? country : _("Unknown"));
  add_row (self, self->about_group, "mark-location-symbolic", _("Location"), place);

  local = local_time_in (confab_visitor_get_timezone (v));
  if (local != NULL)
    {
      g_autofree char *subtitle = g_strdup_printf ("%s (%s)", local, confab_visitor_get_timezone (v));
      add_row (self, self->about_group, "preferences-system-time-symbolic", _("Local Time"), subtitle);
    }

  browser = confab_visitor_get_browser (v);
  os = confab_visitor_get_os (v);
  device = g_strdup_printf (_("%s on %s"), browser != NULL && *browser ? browser : _("Unknown browser"),
                            os != NULL && *os ? os : _("unknown system"));
  add_row (self, self->about_group, "computer-symbolic", _("Device"), device);

  page_title = confab_visitor_get_page_title (v);
  page_url = confab_visitor_get_page_url (v);
  if (page_url != NULL && *page_url != '\0')
    add_row (self, self->about_group, "web-browser-symbolic", _("Current Page"),
             page_title != NULL && *page_title != '\0' ? page_title : page_url);

  if (confab_visitor_get_visits (v) > 0)
    {
      g_autofree char *visits = g_strdup_printf ("%" G_GINT64_FORMAT, confab_visitor_get_visits (v));
      add_row (self, self->about_group, "view-refresh-symbolic", _("Visits"), visits);
    }

  add_journey (self, confab_visitor_get_journey (v),
               client_online (self) && confab_visitor_get_online (v));
  gtk_widget_set_visible (GTK_WIDGET (self->pages_group), self->rows->len > 0);
  add_conversations (self);
}

static void
on_visitor_changed (ConfabVisitorPane *self,
                    ConfabVisitor     *visitor)
{
  if (visitor != NULL && g_strcmp0 (confab_visitor_get_id (visitor), self->visitor_id) == 0)
    rebuild (self);
}

static void
on_history (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_get_json_finish (CONFAB_CLIENT (source), result, &error);
  g_autoptr (ConfabVisitor) cached = NULL;
  ConfabVisitorPane *self;
  ConfabCache *cache;
  JsonNode *list;
  const char *id, *site_id;

  /* cancelled: another visitor, another account, or the pane is gone */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = user_data;
  if (answer == NULL)
    {
      /* the cached view stays; the next reconnect tries again */
      g_debug ("Visitor not refreshed: %s", error->message);
      return;
    }
  id = json_object_get_string_member_with_default (answer, "id", NULL);
  site_id = json_object_get_string_member_with_default (answer, "site_id", NULL);
  if (id == NULL || g_strcmp0 (id, self->visitor_id) != 0 || self->account == NULL)
    return;
  cache = confab_account_get_cache (self->account);

  /* a live event that came in meanwhile is newer than this answer */
  cached = confab_cache_get_visitor (cache, id);
  if (site_id != NULL && (cached == NULL || confab_visitor_get_last_seen (cached) < self->fetch_started) &&
      !confab_cache_apply_visitor_snapshot (cache, site_id, answer, &error))
    {
      g_debug ("Visitor not cached: %s", error->message);
      g_clear_error (&error);
    }

  g_clear_pointer (&self->history, g_ptr_array_unref);
  self->history = g_ptr_array_new_with_free_func (g_free);
  list = json_object_get_member (answer, "conversations");
  for (guint i = 0; list != NULL && JSON_NODE_HOLDS_ARRAY (list) &&
                    i < json_array_get_length (json_node_get_array (list)); i++)
    {
      JsonNode *node = json_array_get_element (json_node_get_array (list), i);
      g_autoptr (ConfabConversation) known = NULL;
      JsonObject *conversation;
      const char *conversation_id;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      conversation = json_node_get_object (node);
      conversation_id = json_object_get_string_member_with_default (conversation, "id", NULL);
      if (conversation_id == NULL)
        continue;
      /* One the cache has is kept current by the live events; one it lacks (a linked visitor's,
       * older than the cache) goes in so that it can be opened. */
      known = confab_cache_get_conversation (cache, conversation_id);
      if (known == NULL && !confab_cache_apply_conversation (cache, conversation, 0, &error))
        {
          g_debug ("Conversation not cached: %s", error->message);
          g_clear_error (&error);
          continue;
        }
      g_ptr_array_add (self->history, g_strdup (conversation_id));
    }
  rebuild (self);
}

static void
fetch_visitor (ConfabVisitorPane *self)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->visitor_id == NULL || !client_online (self))
    return;
  self->cancellable = g_cancellable_new ();
  self->fetch_started = g_get_real_time () / 1000;
  escaped = g_uri_escape_string (self->visitor_id, NULL, FALSE);
  path = g_strconcat ("/api/v1/visitors/", escaped, NULL);
  confab_client_get_json_async (client_of (self), path, self->cancellable, on_history, self);
}

static void
on_client_state (ConfabVisitorPane *self)
{
  ConfabClientState state = confab_client_get_state (client_of (self));

  if (state == self->client_state)
    return;
  self->client_state = state;
  /* back online: whatever happened meanwhile */
  if (state == CONFAB_CLIENT_ONLINE)
    fetch_visitor (self);
  else
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }
  rebuild (self);
}

static gboolean
clock_cb (gpointer user_data)
{
  /* the visitor's local time moves on */
  rebuild (user_data);
  return G_SOURCE_CONTINUE;
}

void
confab_visitor_pane_set_folded (ConfabVisitorPane *self,
                                gboolean           folded)
{
  gtk_widget_set_visible (self->back_button, folded);
}

static void
disconnect_account (ConfabVisitorPane *self)
{
  if (self->account == NULL)
    return;
  g_signal_handlers_disconnect_by_data (confab_account_get_cache (self->account), self);
  g_signal_handlers_disconnect_by_data (confab_account_get_client (self->account), self);
}

void
confab_visitor_pane_set_account (ConfabVisitorPane *self,
                                 ConfabAccount     *account)
{
  disconnect_account (self);
  g_set_object (&self->account, account);
  confab_visitor_contact_set_account (self->contact, account);
  if (account != NULL)
    {
      g_signal_connect_object (confab_account_get_cache (account), "visitor-changed",
                               G_CALLBACK (on_visitor_changed), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (confab_account_get_cache (account), "conversation-changed",
                               G_CALLBACK (on_conversation_changed), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (confab_account_get_client (account), "notify::state",
                               G_CALLBACK (on_client_state), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (confab_account_get_client (account), "typing-preview",
                               G_CALLBACK (on_typing_preview), self, G_CONNECT_SWAPPED);
      self->client_state = confab_client_get_state (confab_account_get_client (account));
    }
  confab_visitor_pane_set_visitor_id (self, NULL, NULL);
}

void
confab_visitor_pane_set_visitor_id (ConfabVisitorPane *self,
                                    const char        *visitor_id,
                                    const char        *conversation_id)
{
  /* the same visitor from another of their conversations: the list they had stays until the
   * fresh one comes */
  gboolean other = g_strcmp0 (visitor_id, self->visitor_id) != 0;

  if (other)
    g_clear_pointer (&self->history, g_ptr_array_unref);
  g_free (self->visitor_id);
  self->visitor_id = g_strdup (visitor_id);
  g_free (self->conversation_id);
  self->conversation_id = g_strdup (conversation_id);
  rebuild (self);
  /* someone else: from the top, who they are */
  if (other)
    gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->scroller), 0);
  fetch_visitor (self);
}

static void
confab_visitor_pane_dispose (GObject *object)
{
  ConfabVisitorPane *self = CONFAB_VISITOR_PANE (object);

  g_clear_handle_id (&self->clock_source, g_source_remove);
  g_clear_handle_id (&self->tick_source, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  disconnect_account (self);
  g_clear_object (&self->account);
  g_clear_pointer (&self->history, g_ptr_array_unref);
  g_ptr_array_set_size (self->rows, 0);
  gtk_widget_dispose_template (GTK_WIDGET (object), CONFAB_TYPE_VISITOR_PANE);
  /* the template's root box has no id: dispose_template leaves it */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL;)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (confab_visitor_pane_parent_class)->dispose (object);
}

static void
confab_visitor_pane_finalize (GObject *object)
{
  ConfabVisitorPane *self = CONFAB_VISITOR_PANE (object);

  g_ptr_array_unref (self->rows);
  g_free (self->visitor_id);
  g_free (self->conversation_id);
  g_free (self->current_url);
  G_OBJECT_CLASS (confab_visitor_pane_parent_class)->finalize (object);
}

static void
confab_visitor_pane_class_init (ConfabVisitorPaneClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = confab_visitor_pane_dispose;
  G_OBJECT_CLASS (klass)->finalize = confab_visitor_pane_finalize;
  g_type_ensure (CONFAB_TYPE_VISITOR_CONTACT);
  gtk_widget_class_set_template_from_resource (widget_class, "/chat/confab/Confab/confab-visitor-pane.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabVisitorPane, stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabVisitorPane, scroller);
  gtk_widget_class_bind_template_child (widget_class, ConfabVisitorPane, back_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabVisitorPane, avatar);
  gtk_widget_class_bind_template_child (widget_class, ConfabVisitorPane, name_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabVisitorPane, email_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabVisitorPane, presence_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabVisitorPane, ghost_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabVisitorPane, contact);
  gtk_widget_class_bind_template_child (widget_class, ConfabVisitorPane, about_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabVisitorPane, pages_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabVisitorPane, conversations_group);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
confab_visitor_pane_init (ConfabVisitorPane *self)
{
  self->rows = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  self->clock_source = g_timeout_add_seconds (60, clock_cb, self);
  self->tick_source = g_timeout_add_seconds (1, tick_cb, self);
}
