/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-team-page.c: the members of one site (see the header).
 *
 * Only what the caller's role allows is offered: an owner does everything, an admin everything
 * but touching owners or making one, an agent nothing (the settings area does not show them
 * the page; if it is shown anyway, the relay's refusal is what they read). A setup code is in
 * one dialog only, never kept: once that is closed, nobody sees the code again. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>
#include <string.h>

#include "confab-admin-util.h"
#include "confab-avatar-textures.h"
#include "confab-client-admin.h"
#include "confab-client-avatars.h"
#include "confab-client-team.h"
#include "confab-client-http.h"
#include "confab-team-page.h"

struct _ConfabTeamPage
{
  AdwPreferencesPage   parent_instance;

  AdwPreferencesGroup *add_group;
  AdwPreferencesGroup *members_group;
  AdwPreferencesGroup *invitations_group;
  AdwEntryRow         *email_row;
  AdwComboRow         *role_row;
  GtkButton           *add_button;

  ConfabClient        *client;
  char                *site_id;
  char                *role;         /* the caller's: owner, admin or agent */
  GCancellable        *cancellable;
  GPtrArray           *member_rows;
  GPtrArray           *invitation_rows;
  GHashTable          *presence_icons; /* user id → GtkImage, owned by its row */
  JsonArray           *members;        /* as GET …/members last answered, or pushed */
  gboolean             adding;
};

G_DEFINE_FINAL_TYPE (ConfabTeamPage, confab_team_page, ADW_TYPE_PREFERENCES_PAGE)

enum {
  PROP_0,
  PROP_SITE_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char *roles[] = { "agent", "admin", "owner" };

static const char *
role_label (const char *role)
{
  if (g_strcmp0 (role, "owner") == 0)
    return _("Owner");
  if (g_strcmp0 (role, "admin") == 0)
    return _("Admin");
  return _("Agent");
}

static gboolean
is_owner (ConfabTeamPage *self)
{
  return g_strcmp0 (self->role, "owner") == 0;
}

static gboolean
may_manage (ConfabTeamPage *self)
{
  return is_owner (self) || g_strcmp0 (self->role, "admin") == 0;
}

/* The roles the caller may give: owners only by owners. */
static guint
n_roles_offered (ConfabTeamPage *self)
{
  return is_owner (self) ? 3 : 2;
}

/* An admin may not touch an owner; nobody changes or removes themselves here (the Account
 * page is for one's own password). */
static gboolean
may_touch (ConfabTeamPage *self,
           JsonObject     *member,
           const char     *user_id)
{
  if (!may_manage (self) || g_strcmp0 (user_id, confab_client_get_user_id (self->client)) == 0)
    return FALSE;
  return is_owner (self) || g_strcmp0 (confab_admin_string (member, "role"), "owner") != 0;
}

static const char *
presence_icon (const char *status)
{
  if (g_strcmp0 (status, "online") == 0)
    return "confab-online";
  if (g_strcmp0 (status, "away") == 0)
    return "confab-away";
  if (g_strcmp0 (status, "busy") == 0)
    return "confab-busy";
  return "confab-offline";
}

static const char *
presence_label (const char *status)
{
  if (g_strcmp0 (status, "online") == 0)
    return _("Online");
  if (g_strcmp0 (status, "away") == 0)
    return _("Away");
  if (g_strcmp0 (status, "busy") == 0)
    return _("Busy");
  return _("Offline");
}

static void
set_presence (GtkImage   *image,
              const char *status)
{
  gtk_image_set_from_icon_name (image, presence_icon (status));
  gtk_widget_set_tooltip_text (GTK_WIDGET (image), presence_label (status));
  gtk_accessible_update_property (GTK_ACCESSIBLE (image), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  presence_label (status), -1);
}

static void load (ConfabTeamPage *self);

/* ---------------------------------------------------------- setup code --- */

static void
on_copy_clicked (GtkButton *button,
                 GtkLabel  *label)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)), gtk_label_get_text (label));
  gtk_button_set_label (button, _("Copied"));
}

/* The code, once: the dialog is the only place it is ever shown or kept. */
static void
show_setup_code (ConfabTeamPage *self,
                 const char     *who,
                 const char     *code,
                 const char     *expires_at)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  int days = confab_admin_days_until (expires_at);
  g_autofree char *heading = g_strdup_printf (_("Setup Code for %s"), who);
  g_autofree char *until = confab_admin_format_time (expires_at);
  g_autofree char *body = NULL;
  GtkWidget *dialog;
  GtkWidget *box;
  GtkWidget *label;
  GtkWidget *copy;

  if (days < 0)
    days = 7;
  body = g_strdup_printf (g_dngettext (NULL,
                                       "Give this code to %s with the relay address: they sign in with it once and choose a password. It is valid for %d day (until %s).\n\nIt is shown only now: once this is closed, nobody can see it again.",
                                       "Give this code to %s with the relay address: they sign in with it once and choose a password. It is valid for %d days (until %s).\n\nIt is shown only now: once this is closed, nobody can see it again.",
                                       days),
                          who, days, until);
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, body);
  gtk_widget_set_name (dialog, "setup-code-dialog");
  gtk_window_set_modal (GTK_WINDOW (dialog), TRUE);

  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_halign (box, GTK_ALIGN_CENTER);
  label = gtk_label_new (code);
  gtk_widget_set_name (label, "setup-code-label");
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "title-3");
  gtk_widget_add_css_class (label, "monospace");
  copy = gtk_button_new_with_mnemonic (_("_Copy"));
  gtk_widget_set_name (copy, "setup-code-copy");
  gtk_widget_set_valign (copy, GTK_ALIGN_CENTER);
  g_signal_connect (copy, "clicked", G_CALLBACK (on_copy_clicked), label);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), copy);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "done", _("_Done"));
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "done");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "done");
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ------------------------------------------------------------- actions --- */

typedef struct {
  ConfabTeamPage *self;
  char           *who;
} Call;

static Call *
call_new (ConfabTeamPage *self,
          const char     *who)
{
  Call *call = g_new0 (Call, 1);

  call->self = self;
  call->who = g_strdup (who);
  return call;
}

static void
call_free (Call *call)
{
  g_free (call->who);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Call, call_free)

static void
added_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (Call) call = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) member = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL, &error);
  ConfabTeamPage *self = call->self;
  const char *code;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->adding = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->add_button), TRUE);
  if (member == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Could not add %s: %s"), call->who,
                                               error != NULL ? error->message : _("no answer"));
      confab_admin_toast (GTK_WIDGET (self), text);
      return;
    }
  gtk_editable_set_text (GTK_EDITABLE (self->email_row), "");
  code = confab_admin_string (member, "setup_code");
  if (code != NULL)
    show_setup_code (self, call->who, code, confab_admin_string (member, "setup_code_expires_at"));
  else
    {
      g_autofree char *text = g_strdup_printf (_("%s is on the team as %s"), call->who,
                                               role_label (confab_admin_string (member, "role")));
      confab_admin_toast (GTK_WIDGET (self), text);
    }
  load (self);
}

static void
on_add_clicked (ConfabTeamPage *self)
{
  g_autoptr (JsonObject) body = json_object_new ();
  g_autofree char *path = NULL;
  g_autofree char *email = NULL;
  guint selected = adw_combo_row_get_selected (self->role_row);

  email = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->email_row))));
  if (self->adding || *email == '\0' || !may_manage (self) || self->site_id == NULL)
    return;
  json_object_set_string_member (body, "email", email);
  json_object_set_string_member (body, "role",
                                 roles[selected < n_roles_offered (self) ? selected : 0]);
  path = confab_admin_path ("sites", self->site_id, "members");
  self->adding = TRUE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->add_button), FALSE);
  confab_client_request_async (self->client, "POST", path, body, self->cancellable, added_cb,
                               call_new (self, email));
}

static void
on_email_changed (ConfabTeamPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->email_row));

  gtk_widget_set_sensitive (GTK_WIDGET (self->add_button),
                            !self->adding && strchr (text, '@') != NULL);
}

/* Any change's answer: the list again (the relay's push would do too, but a relay that does
 * not push must not leave the page stale), or the refusal as a toast. */
static void
changed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (Call) call = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Could not change %s: %s"), call->who,
                                               error->message);
      confab_admin_toast (GTK_WIDGET (call->self), text);
    }
  else if (answer != NULL && confab_admin_string (answer, "setup_code") != NULL)
    show_setup_code (call->self, call->who, confab_admin_string (answer, "setup_code"),
                     confab_admin_string (answer, "expires_at"));
  load (call->self);
}

static JsonObject *
find_member (ConfabTeamPage *self,
             const char     *user_id)
{
  for (guint i = 0; self->members != NULL && i < json_array_get_length (self->members); i++)
    {
      JsonObject *member = json_array_get_object_element (self->members, i);

      if (g_strcmp0 (confab_admin_string (member, "id"), user_id) == 0)
        return member;
    }
  return NULL;
}

static const char *
display_name (JsonObject *member)
{
  const char *name = confab_admin_string (member, "name");

  return name != NULL && *name != '\0' ? name : confab_admin_string (member, "email");
}

typedef struct {
  ConfabTeamPage *self;
  char           *site_id;   /* as it was asked: the picker may move before the answer */
  char           *user_id;
  char           *who;
} Pending;

static void
pending_free (gpointer data)
{
  Pending *pending = data;

  g_object_unref (pending->self);
  g_free (pending->site_id);
  g_free (pending->user_id);
  g_free (pending->who);
  g_free (pending);
}

static Pending *
pending_new (ConfabTeamPage *self,
             const char     *user_id)
{
  Pending *pending = g_new0 (Pending, 1);
  JsonObject *member = find_member (self, user_id);

  pending->self = g_object_ref (self);
  pending->site_id = g_strdup (self->site_id);
  pending->user_id = g_strdup (user_id);
  pending->who = g_strdup (member != NULL ? display_name (member) : user_id);
  return pending;
}

static void
do_reset (gpointer data)
{
  Pending *pending = data;
  g_autofree char *rest = g_strdup_printf ("members/%s/reset", pending->user_id);
  g_autofree char *path = confab_admin_path ("sites", pending->site_id, rest);

  confab_client_request_async (pending->self->client, "POST", path, NULL,
                               pending->self->cancellable, changed_cb,
                               call_new (pending->self, pending->who));
}

static void
do_remove (gpointer data)
{
  Pending *pending = data;
  g_autofree char *rest = g_strdup_printf ("members/%s", pending->user_id);
  g_autofree char *path = confab_admin_path ("sites", pending->site_id, rest);

  confab_client_request_async (pending->self->client, "DELETE", path, NULL,
                               pending->self->cancellable, changed_cb,
                               call_new (pending->self, pending->who));
}

static void
reset_action (GtkWidget  *widget,
              const char *name,
              GVariant   *parameter)
{
  ConfabTeamPage *self = CONFAB_TEAM_PAGE (widget);
  Pending *pending = pending_new (self, g_variant_get_string (parameter, NULL));
  JsonObject *member = find_member (self, pending->user_id);
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;

  if (member != NULL && json_object_get_boolean_member_with_default (member, "pending", FALSE))
    {
      /* an invitation: a new code, nothing else to lose */
      do_reset (pending);
      pending_free (pending);
      return;
    }
  heading = g_strdup_printf (_("Reset the Password of %s?"), pending->who);
  body = g_strdup_printf (_("%s's password stops working at once and they are signed out everywhere. They sign in once with a new setup code, shown to you next."),
                          pending->who);
  confab_admin_confirm (widget, heading, body, _("_Reset Password"), do_reset, pending,
                        pending_free);
}

static void
remove_action (GtkWidget  *widget,
               const char *name,
               GVariant   *parameter)
{
  ConfabTeamPage *self = CONFAB_TEAM_PAGE (widget);
  Pending *pending = pending_new (self, g_variant_get_string (parameter, NULL));
  g_autofree char *heading = g_strdup_printf (_("Remove %s from the Site?"), pending->who);
  g_autofree char *body = g_strdup_printf (_("%s stops seeing this site's conversations at once. Their account stays."),
                                           pending->who);

  confab_admin_confirm (widget, heading, body, _("_Remove"), do_remove, pending, pending_free);
}

static void
on_role_selected (GtkDropDown    *dropdown,
                  GParamSpec     *pspec,
                  ConfabTeamPage *self)
{
  const char *user_id = g_object_get_data (G_OBJECT (dropdown), "user-id");
  JsonObject *member = find_member (self, user_id);
  guint selected = gtk_drop_down_get_selected (dropdown);
  g_autoptr (JsonObject) body = NULL;
  g_autofree char *rest = NULL;
  g_autofree char *path = NULL;

  if (member == NULL || selected >= G_N_ELEMENTS (roles) ||
      g_strcmp0 (confab_admin_string (member, "role"), roles[selected]) == 0)
    return;
  body = json_object_new ();
  json_object_set_string_member (body, "role", roles[selected]);
  rest = g_strdup_printf ("members/%s", user_id);
  path = confab_admin_path ("sites", self->site_id, rest);
  confab_client_request_async (self->client, "PATCH", path, body, self->cancellable, changed_cb,
                               call_new (self, display_name (member)));
}

/* Issue 18: the most chats the agent takes at once (0: no limit); only from a relay that says
 * it (the member object's "max_chats"). */
static void
on_max_chats_changed (GtkSpinButton  *spin,
                      ConfabTeamPage *self)
{
  const char *user_id = g_object_get_data (G_OBJECT (spin), "user-id");
  JsonObject *member = find_member (self, user_id);
  int value = gtk_spin_button_get_value_as_int (spin);
  g_autoptr (JsonObject) body = NULL;
  g_autofree char *rest = NULL;
  g_autofree char *path = NULL;

  if (member == NULL || json_object_get_int_member_with_default (member, "max_chats", -1) == value)
    return;
  body = json_object_new ();
  json_object_set_int_member (body, "max_chats", value);
  rest = g_strdup_printf ("members/%s", user_id);
  path = confab_admin_path ("sites", self->site_id, rest);
  confab_client_request_async (self->client, "PATCH", path, body, self->cancellable, changed_cb,
                               call_new (self, display_name (member)));
}

static GtkWidget *
max_chats_spin (ConfabTeamPage *self,
                JsonObject     *member,
                const char     *user_id)
{
  GtkWidget *spin = gtk_spin_button_new_with_range (0, 100, 1);

  gtk_widget_set_name (spin, "member-max-chats");
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin),
                             (double) json_object_get_int_member_with_default (member, "max_chats", 0));
  /* Translators: the most chats an agent takes at once; 0 is no limit */
  gtk_widget_set_tooltip_text (spin, _("Most chats at once (0: no limit)"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (spin), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Most chats at once"), -1);
  g_object_set_data_full (G_OBJECT (spin), "user-id", g_strdup (user_id), g_free);
  g_signal_connect (spin, "value-changed", G_CALLBACK (on_max_chats_changed), self);
  return spin;
}

/* --------------------------------------------------------------- rows --- */

static void
cancel_and_unref (gpointer cancellable)
{
  g_cancellable_cancel (cancellable);
  g_object_unref (cancellable);
}

static void
member_avatar_ready (GdkTexture *texture,
                     gpointer    user_data)
{
  adw_avatar_set_custom_image (ADW_AVATAR (user_data), texture != NULL ? GDK_PAINTABLE (texture) : NULL);
}

/* The member's picture (initials until it comes, or without one); the load ends with the row. */
static GtkWidget *
member_avatar (ConfabTeamPage *self,
               JsonObject     *member)
{
  GtkWidget *avatar = adw_avatar_new (32, display_name (member), TRUE);
  GCancellable *cancellable = g_cancellable_new ();

  gtk_widget_set_name (avatar, "member-avatar");
  g_object_set_data_full (G_OBJECT (avatar), "confab-load", cancellable, cancel_and_unref);
  confab_avatar_textures_load (self->client, confab_admin_string (member, "id"), cancellable,
                               member_avatar_ready, avatar);
  return avatar;
}

static GtkWidget *
member_row (ConfabTeamPage *self,
            JsonObject     *member)
{
  const char *user_id = confab_admin_string (member, "id");
  const char *email = confab_admin_string (member, "email");
  const char *role = confab_admin_string (member, "role");
  gboolean me = g_strcmp0 (user_id, confab_client_get_user_id (self->client)) == 0;
  g_autofree char *title = confab_admin_markup (display_name (member));
  g_autofree char *escaped = confab_admin_markup (email);
  g_autofree char *subtitle = me ? g_strdup_printf (_("%s · you"), escaped) : g_strdup (escaped);
  g_autofree char *name = g_strdup_printf ("member-%s", email);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *image = gtk_image_new ();

  gtk_widget_set_name (row, name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  set_presence (GTK_IMAGE (image), confab_client_get_agent_presence (self->client, user_id));
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), member_avatar (self, member));
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), image);
  g_hash_table_replace (self->presence_icons, g_strdup (user_id), image);

  if (may_touch (self, member, user_id))
    {
      g_autoptr (GtkStringList) labels = gtk_string_list_new (NULL);
      GtkWidget *dropdown;
      guint current = 0;

      for (guint i = 0; i < n_roles_offered (self); i++)
        {
          gtk_string_list_append (labels, role_label (roles[i]));
          if (g_strcmp0 (role, roles[i]) == 0)
            current = i;
        }
      dropdown = gtk_drop_down_new (G_LIST_MODEL (g_steal_pointer (&labels)), NULL);
      gtk_widget_set_name (dropdown, "member-role");
      gtk_widget_set_valign (dropdown, GTK_ALIGN_CENTER);
      gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), current);
      gtk_widget_set_tooltip_text (dropdown, _("Role"));
      g_object_set_data_full (G_OBJECT (dropdown), "user-id", g_strdup (user_id), g_free);
      g_signal_connect (dropdown, "notify::selected", G_CALLBACK (on_role_selected), self);
      if (json_object_has_member (member, "max_chats"))
        adw_action_row_add_suffix (ADW_ACTION_ROW (row), max_chats_spin (self, member, user_id));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), dropdown);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 confab_admin_row_button ("dialog-password-symbolic",
                                                          _("Reset Password"), "team.reset",
                                                          user_id, "member-reset"));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 confab_admin_row_button ("user-trash-symbolic",
                                                          _("Remove from the Site"), "team.remove",
                                                          user_id, "member-remove"));
    }
  else
    {
      GtkWidget *label = gtk_label_new (role_label (role));

      gtk_widget_add_css_class (label, "dim-label");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
    }
  return row;
}

static GtkWidget *
invitation_row (ConfabTeamPage *self,
                JsonObject     *invitation)
{
  const char *user_id = confab_admin_string (invitation, "user_id");
  const char *email = confab_admin_string (invitation, "email");
  const char *expires_at = confab_admin_string (invitation, "expires_at");
  gboolean reset = g_strcmp0 (confab_admin_string (invitation, "kind"), "reset") == 0;
  gboolean expired = json_object_get_boolean_member_with_default (invitation, "expired", FALSE);
  int days = confab_admin_days_until (expires_at);
  JsonObject *member = find_member (self, user_id);
  g_autofree char *title = confab_admin_markup (email);
  g_autofree char *when = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *name = g_strdup_printf ("invitation-%s", email);
  GtkWidget *row = adw_action_row_new ();

  if (expired || days == 0)
    when = g_strdup (_("the code has expired"));
  else
    when = g_strdup_printf (g_dngettext (NULL, "the code is valid %d more day",
                                         "the code is valid %d more days", days), days);
  /* Translators: "Agent · invited · the code is valid 6 more days" */
  subtitle = g_strdup_printf (_("%s · %s · %s"),
                              role_label (confab_admin_string (invitation, "role")),
                              reset ? _("password reset") : _("invited"), when);
  gtk_widget_set_name (row, name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  if (member == NULL || may_touch (self, member, user_id))
    {
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 confab_admin_row_button ("view-refresh-symbolic",
                                                          _("New Setup Code"), "team.reset",
                                                          user_id, "invitation-new-code"));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 confab_admin_row_button ("user-trash-symbolic",
                                                          _("Withdraw"), "team.remove",
                                                          user_id, "invitation-remove"));
    }
  return row;
}

static void
show_members (ConfabTeamPage *self,
              JsonArray      *members)
{
  guint shown = 0;

  if (members != self->members)
    {
      g_clear_pointer (&self->members, json_array_unref);
      self->members = json_array_ref (members);
    }
  /* the URLs of their pictures, for the rows below and the conversations' */
  confab_client_note_member_avatars (self->client, members);
  confab_admin_group_clear (self->members_group, self->member_rows);
  g_hash_table_remove_all (self->presence_icons);
  for (guint i = 0; i < json_array_get_length (members); i++)
    {
      JsonNode *node = json_array_get_element (members, i);
      JsonObject *member = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

      /* a pending one is listed with its invitation */
      if (member == NULL || confab_admin_string (member, "id") == NULL ||
          json_object_get_boolean_member_with_default (member, "pending", FALSE))
        continue;
      confab_admin_group_add (self->members_group, self->member_rows, member_row (self, member));
      shown++;
    }
  adw_preferences_group_set_description (self->members_group,
                                         shown == 0 ? _("Nobody has signed in to this site yet.") : NULL);
}

static void
invitations_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ConfabTeamPage *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_get_json_finish (CONFAB_CLIENT (source), result, &error);
  JsonNode *list;
  JsonArray *invitations;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  confab_admin_group_clear (self->invitations_group, self->invitation_rows);
  list = answer != NULL ? json_object_get_member (answer, "invitations") : NULL;
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    {
      gtk_widget_set_visible (GTK_WIDGET (self->invitations_group), FALSE);
      return;
    }
  invitations = json_node_get_array (list);
  for (guint i = 0; i < json_array_get_length (invitations); i++)
    {
      JsonNode *node = json_array_get_element (invitations, i);

      if (JSON_NODE_HOLDS_OBJECT (node))
        confab_admin_group_add (self->invitations_group, self->invitation_rows,
                                invitation_row (self, json_node_get_object (node)));
    }
  gtk_widget_set_visible (GTK_WIDGET (self->invitations_group), self->invitation_rows->len > 0);
}

static void
members_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  ConfabTeamPage *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_get_json_finish (CONFAB_CLIENT (source), result, &error);
  JsonNode *list;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  list = answer != NULL ? json_object_get_member (answer, "members") : NULL;
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    {
      g_autofree char *text = g_strdup_printf (_("The team could not be loaded: %s"),
                                               error != NULL ? error->message : _("no list"));
      confab_admin_group_clear (self->members_group, self->member_rows);
      adw_preferences_group_set_description (self->members_group, text);
      return;
    }
  show_members (self, json_node_get_array (list));
}

static void
load (ConfabTeamPage *self)
{
  g_autofree char *members = NULL;
  g_autofree char *invitations = NULL;

  if (self->site_id == NULL || self->client == NULL)
    return;
  members = confab_admin_path ("sites", self->site_id, "members");
  invitations = confab_admin_path ("sites", self->site_id, "invitations");
  confab_client_get_json_async (self->client, members, self->cancellable, members_cb, self);
  if (may_manage (self))
    confab_client_get_json_async (self->client, invitations, self->cancellable, invitations_cb, self);
}

/* ------------------------------------------------------------- pushed --- */

static void
on_members_changed (ConfabClient   *client,
                    const char     *site_id,
                    JsonArray      *members,
                    ConfabTeamPage *self)
{
  g_autofree char *invitations = NULL;

  if (g_strcmp0 (site_id, self->site_id) != 0)
    return;
  if (members == NULL)
    {
      /* too long to push: over REST */
      load (self);
      return;
    }
  show_members (self, members);
  /* the push has the members; their invitations' times come over REST */
  invitations = confab_admin_path ("sites", self->site_id, "invitations");
  if (may_manage (self))
    confab_client_get_json_async (self->client, invitations, self->cancellable, invitations_cb, self);
}

static void
on_presence_changed (ConfabClient   *client,
                     const char     *agent_id,
                     const char     *name,
                     const char     *status,
                     ConfabTeamPage *self)
{
  GtkImage *image = g_hash_table_lookup (self->presence_icons, agent_id);

  if (image != NULL)
    set_presence (image, status);
}

static void
on_state_changed (ConfabClient   *client,
                  GParamSpec     *pspec,
                  ConfabTeamPage *self)
{
  const char *me = confab_client_get_user_id (client);
  GtkImage *image = me != NULL ? g_hash_table_lookup (self->presence_icons, me) : NULL;

  if (image != NULL)
    set_presence (image, confab_client_get_agent_presence (client, me));
  /* back online: what changed meanwhile was pushed to nobody */
  if (confab_client_get_state (client) == CONFAB_CLIENT_ONLINE)
    load (self);
}

/* --------------------------------------------------------------- site --- */

static void
set_site_id (ConfabTeamPage *self,
             const char     *site_id)
{
  g_autoptr (GtkStringList) labels = gtk_string_list_new (NULL);

  if (g_strcmp0 (self->site_id, site_id) == 0)
    return;
  g_free (self->site_id);
  self->site_id = g_strdup (site_id);
  /* what was on its way for the last site is not for this one */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_pointer (&self->role, g_free);
  if (site_id != NULL && self->client != NULL)
    self->role = confab_client_dup_site_role (self->client, site_id);

  for (guint i = 0; i < n_roles_offered (self); i++)
    gtk_string_list_append (labels, role_label (roles[i]));
  adw_combo_row_set_model (self->role_row, G_LIST_MODEL (labels));
  gtk_widget_set_visible (GTK_WIDGET (self->add_group), may_manage (self));
  g_clear_pointer (&self->members, json_array_unref);
  confab_admin_group_clear (self->members_group, self->member_rows);
  confab_admin_group_clear (self->invitations_group, self->invitation_rows);
  g_hash_table_remove_all (self->presence_icons);
  gtk_widget_set_visible (GTK_WIDGET (self->invitations_group), FALSE);
  adw_preferences_group_set_description (self->members_group, NULL);
  self->adding = FALSE;
  load (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SITE_ID]);
}

/* ---------------------------------------------------------- lifecycle --- */

static void
confab_team_page_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  ConfabTeamPage *self = CONFAB_TEAM_PAGE (object);

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
confab_team_page_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  ConfabTeamPage *self = CONFAB_TEAM_PAGE (object);

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
confab_team_page_dispose (GObject *object)
{
  ConfabTeamPage *self = CONFAB_TEAM_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (object), CONFAB_TYPE_TEAM_PAGE);
  G_OBJECT_CLASS (confab_team_page_parent_class)->dispose (object);
}

static void
confab_team_page_finalize (GObject *object)
{
  ConfabTeamPage *self = CONFAB_TEAM_PAGE (object);

  g_free (self->site_id);
  g_free (self->role);
  g_clear_pointer (&self->members, json_array_unref);
  g_ptr_array_unref (self->member_rows);
  g_ptr_array_unref (self->invitation_rows);
  g_hash_table_unref (self->presence_icons);
  G_OBJECT_CLASS (confab_team_page_parent_class)->finalize (object);
}

static void
confab_team_page_class_init (ConfabTeamPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = confab_team_page_dispose;
  G_OBJECT_CLASS (klass)->finalize = confab_team_page_finalize;
  G_OBJECT_CLASS (klass)->get_property = confab_team_page_get_property;
  G_OBJECT_CLASS (klass)->set_property = confab_team_page_set_property;

  /* the site the settings area's picker shows; NULL: none */
  properties[PROP_SITE_ID] =
    g_param_spec_string ("site-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (G_OBJECT_CLASS (klass), N_PROPS, properties);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/chat/confab/Confab/confab-team-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabTeamPage, add_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabTeamPage, members_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabTeamPage, invitations_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabTeamPage, email_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabTeamPage, role_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabTeamPage, add_button);
  gtk_widget_class_bind_template_callback (widget_class, on_add_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_email_changed);
  gtk_widget_class_install_action (widget_class, "team.reset", "s", reset_action);
  gtk_widget_class_install_action (widget_class, "team.remove", "s", remove_action);
}

static void
confab_team_page_init (ConfabTeamPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->member_rows = g_ptr_array_new ();
  self->invitation_rows = g_ptr_array_new ();
  self->presence_icons = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

GtkWidget *
confab_team_page_new (ConfabClient *client)
{
  ConfabTeamPage *self;

  g_return_val_if_fail (CONFAB_IS_CLIENT (client), NULL);

  self = g_object_new (CONFAB_TYPE_TEAM_PAGE, NULL);
  self->client = g_object_ref (client);
  confab_client_ensure_list_signals ();
  g_signal_connect (client, "members-changed", G_CALLBACK (on_members_changed), self);
  g_signal_connect (client, "presence-changed", G_CALLBACK (on_presence_changed), self);
  g_signal_connect (client, "notify::state", G_CALLBACK (on_state_changed), self);
  return GTK_WIDGET (self);
}
