/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-application.c: accounts, app actions, sounds and notifications.
 *
 * Start: the active account's cache opens at once (the inbox paints from it), then its token is
 * looked up in the keyring and the client connects; with no token the sign-in page shows,
 * pre-filled. Sounds and notifications follow the client's signals, which come once per event
 * after it is in the cache; while the client is syncing they are the backlog, and stay quiet. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "confab-admin-window.h"
#include "confab-application.h"
#include "confab-client-admin.h"
#include "confab-client-chat.h"
#include "confab-preferences-window.h"
#include "confab-secrets.h"
#include "confab-format.h"
#include "confab-routing.h"
#include "confab-sound-player.h"

struct _ConfabApplication
{
  AdwApplication     parent_instance;

  ConfabSettings    *settings;
  ConfabSoundPlayer *player;
  ConfabWindow      *window;
  ConfabAccount     *account;
  ConfabAccount     *pending;      /* signing in, not yet the active one */
  GCancellable      *cancellable;
  GHashTable        *seen_visitors;
  GHashTable        *seen_conversations;
  GHashTable        *notified;       /* conversation id → the seq its notification shows */
  GHashTable        *awaiting_first; /* new conversations whose first message is not here yet */
  GHashTable        *mentions;       /* "note:ID" notification → its conversation id */
};

G_DEFINE_FINAL_TYPE (ConfabApplication, confab_application, ADW_TYPE_APPLICATION)

static void use_account (ConfabApplication *self, ConfabAccount *account);

/* ------------------------------------------------------------- sounds --- */

static ConfabSoundMode
sound_mode (ConfabApplication *self,
            const char        *key)
{
  const char *mode = confab_settings_get_sound_mode (self->settings, key);

  if (g_strcmp0 (mode, "repeat") == 0)
    return CONFAB_SOUND_REPEAT;
  if (g_strcmp0 (mode, "once") == 0)
    return CONFAB_SOUND_ONCE;
  return CONFAB_SOUND_OFF;
}

static void
play (ConfabApplication *self,
      ConfabSoundEvent   event,
      const char        *key,
      const char        *conversation_id)
{
  if (self->player != NULL)
    confab_sound_player_play (self->player, event, sound_mode (self, key), conversation_id);
}

static gboolean
is_live (ConfabApplication *self)
{
  return self->account != NULL &&
         confab_client_get_state (confab_account_get_client (self->account)) == CONFAB_CLIENT_ONLINE;
}

static gboolean
window_focused (ConfabApplication *self)
{
  return self->window != NULL && gtk_window_is_active (GTK_WINDOW (self->window));
}

/* One notification per conversation (its id is the conversation's), replaced by the next
 * event in it and withdrawn once the conversation is read. @seq: the message it shows. */
static void
notify (ConfabApplication *self,
        const char        *id,
        const char        *title,
        const char        *body,
        const char        *conversation_id,
        gint64             seq)
{
  g_autoptr (GNotification) notification = NULL;

  if (window_focused (self) || !confab_settings_get_notifications (self->settings))
    return;
  g_hash_table_insert (self->notified, g_strdup (id), GINT_TO_POINTER ((int) seq));
  notification = g_notification_new (title);
  if (body != NULL)
    g_notification_set_body (notification, body);
  if (conversation_id != NULL)
    {
      g_notification_set_default_action_and_target (notification, "app.open-conversation", "s",
                                                    conversation_id);
      g_notification_add_button_with_target (notification, _("Open"), "app.open-conversation", "s",
                                             conversation_id);
    }
  g_application_send_notification (G_APPLICATION (self), id, notification);
}

static void
on_message (ConfabApplication *self,
            ConfabMessage     *message)
{
  const char *conversation_id = confab_message_get_conversation_id (message);
  const char *sender = confab_message_get_sender_type (message);

  if (g_strcmp0 (sender, "agent") == 0)
    {
      /* someone of the team answered: the conversation stops ringing */
      if (self->player != NULL)
        confab_sound_player_answered (self->player, conversation_id);
      return;
    }
  if (g_strcmp0 (sender, "visitor") != 0 || !is_live (self))
    return;
  if (window_focused (self) &&
      g_strcmp0 (confab_window_get_conversation_id (self->window), conversation_id) == 0)
    return;  /* it is on screen */
  /* already told: the conversation's own notification showed this message */
  if (GPOINTER_TO_INT (g_hash_table_lookup (self->notified, conversation_id)) >=
      confab_message_get_seq (message))
    return;
  {
    g_autoptr (ConfabConversation) c = confab_cache_get_conversation (
      confab_account_get_cache (self->account), conversation_id);
    const char *name = c != NULL ? confab_conversation_get_visitor_name (c) : NULL;
    gboolean first = g_hash_table_remove (self->awaiting_first, conversation_id);
    g_autofree char *title = NULL;
    const char *body = confab_message_get_body (message);

    /* a new conversation and its first message are one event: one sound, one notification */
    if (first)
      title = g_strdup (_("New conversation"));
    else
      {
        play (self, CONFAB_SOUND_NEW_MESSAGE, "sound-new-message", conversation_id);
        title = g_strdup_printf (_("New message from %s"), name != NULL && *name ? name : _("a visitor"));
      }
    notify (self, conversation_id, title,
            body != NULL && *body != '\0' ? body : _("Sent an image"), conversation_id,
            confab_message_get_seq (message));
  }
}

/* A note that names the agent: one notification per note, withdrawn once its conversation is
 * looked at (confab_application_withdraw_mentions). Old ones (a first catch-up) stay quiet. */
#define MENTION_MAX_AGE_MS (60 * 60 * 1000)

static void
on_note (ConfabApplication *self,
         ConfabMessage     *note,
         gboolean           mentions_me)
{
  const char *conversation_id = confab_message_get_conversation_id (note);
  const char *author = confab_message_get_sender_name (note);
  const char *id = confab_message_get_client_id (note);
  g_autoptr (GNotification) notification = NULL;
  g_autofree char *title = NULL;

  if (!mentions_me || id == NULL || !confab_settings_get_notifications (self->settings) ||
      g_get_real_time () / 1000 - confab_message_get_created_at (note) > MENTION_MAX_AGE_MS)
    return;
  if (window_focused (self) &&
      g_strcmp0 (confab_window_get_conversation_id (self->window), conversation_id) == 0)
    return;  /* it is on screen */
  /* Translators: %s is the name of the agent who wrote the note */
  title = g_strdup_printf (_("%s mentioned you in a note"),
                           author != NULL && *author != '\0' ? author : _("Someone"));
  notification = g_notification_new (title);
  g_notification_set_body (notification, confab_message_get_body (note));
  g_notification_set_default_action_and_target (notification, "app.open-conversation", "s",
                                                conversation_id);
  g_notification_add_button_with_target (notification, _("Open"), "app.open-conversation", "s",
                                         conversation_id);
  g_hash_table_replace (self->mentions, g_strdup (id), g_strdup (conversation_id));
  g_application_send_notification (G_APPLICATION (self), id, notification);
}

void
confab_application_withdraw_mentions (ConfabApplication *self,
                                      const char        *conversation_id)
{
  GHashTableIter iter;
  gpointer key, value;

  g_return_if_fail (CONFAB_IS_APPLICATION (self));

  g_hash_table_iter_init (&iter, self->mentions);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (g_strcmp0 (value, conversation_id) == 0)
      {
        g_application_withdraw_notification (G_APPLICATION (self), key);
        g_hash_table_iter_remove (&iter);
      }
}

/* Read (here or on another of the agent's devices): its notification is done. */
static ConfabTargetState
target_state_of (ConfabConversation *conversation)
{
  g_autoptr (ConfabRouting) routing = confab_routing_from_conversation (conversation);

  return conversation != NULL ? routing->target_state : CONFAB_TARGET_NONE;
}

/* Issue 18: a response target turned "near" (the relay says so with a conversation event) on a
 * conversation of the user's, or one nobody has on the user's sites: its own sound and a
 * notification, before the target is missed. Live only: a backlog's old warnings stay quiet. */
static void
warn_target_near (ConfabApplication  *self,
                  ConfabConversation *old,
                  ConfabConversation *now)
{
  const char *assignee = confab_conversation_get_assignee_id (now);
  const char *me = confab_client_get_user_id (confab_account_get_client (self->account));
  const char *id = confab_conversation_get_id (now);
  g_autofree char *key = NULL;
  g_autofree char *name = NULL;
  g_autofree char *body = NULL;
  g_autoptr (GNotification) notification = NULL;

  if (target_state_of (now) != CONFAB_TARGET_NEAR || target_state_of (old) == CONFAB_TARGET_NEAR ||
      !is_live (self) || (assignee != NULL && g_strcmp0 (assignee, me) != 0))
    return;
  play (self, CONFAB_SOUND_TARGET_NEAR, "sound-target-near", id);
  if (window_focused (self) || !confab_settings_get_notifications (self->settings))
    return;
  key = g_strconcat ("target:", id, NULL);
  name = confab_format_visitor (confab_conversation_get_visitor_name (now),
                                confab_conversation_get_visitor_id (now));
  notification = g_notification_new (_("Reply due soon"));
  /* Translators: %s is the visitor */
  body = g_strdup_printf (_("%s is waiting for an answer"), name);
  g_notification_set_body (notification, body);
  g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
  g_notification_set_default_action_and_target (notification, "app.open-conversation", "s", id);
  g_notification_add_button_with_target (notification, _("Open"), "app.open-conversation", "s", id);
  g_application_send_notification (G_APPLICATION (self), key, notification);
}

static void
on_conversation_changed (ConfabApplication  *self,
                         ConfabConversation *old,
                         ConfabConversation *now)
{
  const char *id = now != NULL ? confab_conversation_get_id (now) : NULL;

  if (now != NULL && self->account != NULL)
    warn_target_near (self, old, now);

  if (id == NULL || confab_conversation_get_unread (now) > 0 ||
      !g_hash_table_remove (self->notified, id))
    return;
  g_application_withdraw_notification (G_APPLICATION (self), id);
}

static void
on_conversation (ConfabApplication  *self,
                 ConfabConversation *conversation)
{
  const char *id = confab_conversation_get_id (conversation);
  gboolean known = g_hash_table_contains (self->seen_conversations, id);

  g_hash_table_add (self->seen_conversations, g_strdup (id));
  /* a conversation seen before the app started is not new; one made in the last minute is */
  if (known || !is_live (self) ||
      g_get_real_time () / 1000 - confab_conversation_get_created_at (conversation) > 60 * 1000 ||
      g_strcmp0 (confab_conversation_get_status (conversation), "open") != 0)
    return;
  play (self, CONFAB_SOUND_NEW_CONVERSATION, "sound-new-conversation", id);
  /* the visitor's first words come as the next message: that is the notification's body */
  if (confab_conversation_get_last_seq (conversation) == 0)
    g_hash_table_add (self->awaiting_first, g_strdup (id));
  else
    notify (self, id, _("New conversation"), confab_conversation_get_preview (conversation), id,
            confab_conversation_get_last_seq (conversation));
}

/* A visitor left a message while nobody was online (or nobody answered): the same alert as a
 * new conversation, once — nobody is waiting live for its answer, so it never repeats. */
static void
on_offline_message_changed (ConfabApplication    *self,
                            ConfabOfflineMessage *old,
                            ConfabOfflineMessage *now)
{
  g_autoptr (GNotification) notification = NULL;
  g_autofree char *name = NULL;
  g_autofree char *title = NULL;
  const char *id;

  if (old != NULL || now == NULL || !confab_offline_message_is_open (now) || !is_live (self) ||
      g_get_real_time () / 1000 - confab_offline_message_get_created_at (now) > 60 * 1000)
    return;
  if (self->player != NULL && sound_mode (self, "sound-new-conversation") != CONFAB_SOUND_OFF)
    confab_sound_player_play (self->player, CONFAB_SOUND_NEW_CONVERSATION, CONFAB_SOUND_ONCE, NULL);
  if (window_focused (self) || !confab_settings_get_notifications (self->settings))
    return;
  id = confab_offline_message_get_id (now);
  name = confab_format_visitor (confab_offline_message_get_name (now),
                                confab_offline_message_get_visitor_id (now));
  title = g_strdup_printf (_("%s left a message"), name);
  notification = g_notification_new (title);
  g_notification_set_body (notification, confab_offline_message_get_body (now));
  g_notification_set_default_action_and_target (notification, "app.open-offline-message", "s", id);
  g_notification_add_button_with_target (notification, _("Open"), "app.open-offline-message", "s", id);
  g_application_send_notification (G_APPLICATION (self), id, notification);
}

static void
on_visitor (ConfabApplication *self,
            ConfabVisitor     *visitor)
{
  const char *id = confab_visitor_get_id (visitor);

  if (!confab_visitor_get_online (visitor) || g_hash_table_contains (self->seen_visitors, id))
    return;
  g_hash_table_add (self->seen_visitors, g_strdup (id));
  if (is_live (self))
    play (self, CONFAB_SOUND_NEW_VISITOR, "sound-new-visitor", NULL);
}

static void
on_volume_changed (ConfabApplication *self)
{
  if (self->player != NULL)
    confab_sound_player_set_volume (self->player, confab_settings_get_sound_volume (self->settings));
}

/* ----------------------------------------------------------- accounts --- */

static void
update_account_menu (ConfabApplication *self)
{
  g_auto (GStrv) accounts = confab_settings_dup_accounts (self->settings);

  if (self->window != NULL)
    confab_window_set_accounts (self->window, accounts);
}

static void
secret_cleared_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (GError) error = NULL;

  if (!confab_secrets_clear_finish (result, &error))
    g_warning ("Could not remove a session from the keyring: %s", error->message);
}

static void
on_signed_out (ConfabApplication *self)
{
  ConfabSignInPage *page;

  if (self->account == NULL)
    return;
  /* the relay revoked the token: it is useless in the keyring */
  confab_secrets_clear_async (confab_account_get_relay_url (self->account),
                              confab_account_get_email (self->account), NULL,
                              secret_cleared_cb, NULL);
  page = confab_window_show_sign_in (self->window, FALSE);
  confab_sign_in_page_set_relay_url (page, confab_account_get_relay_url (self->account));
  confab_sign_in_page_set_email (page, confab_account_get_email (self->account));
  confab_sign_in_page_set_error (page, _("Your session ended. Sign in again."));
}

static void
token_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (ConfabAccount) account = user_data;
  ConfabApplication *self = CONFAB_APPLICATION (g_application_get_default ());
  g_autoptr (GError) error = NULL;
  g_autofree char *token = confab_secrets_lookup_finish (result, &error);
  ConfabSignInPage *page;

  if (self == NULL || account != self->account)
    return;  /* switched to another account meanwhile */
  if (token != NULL)
    {
      confab_client_set_token (confab_account_get_client (account), token);
      confab_client_start (confab_account_get_client (account));
      return;
    }
  if (error != NULL)
    g_warning ("The keyring could not be read: %s", error->message);
  page = confab_window_show_sign_in (self->window, FALSE);
  confab_sign_in_page_set_relay_url (page, confab_account_get_relay_url (account));
  confab_sign_in_page_set_email (page, confab_account_get_email (account));
}

/* The settings area is of the account it was opened for: it goes with it. */
static void
close_settings_of_others (ConfabApplication *self,
                          ConfabAccount     *account)
{
  g_autoptr (GList) windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));

  for (GList *l = windows; l != NULL; l = l->next)
    if (CONFAB_IS_ADMIN_WINDOW (l->data) &&
        (account == NULL ||
         confab_admin_window_get_client (l->data) != confab_account_get_client (account)))
      gtk_window_destroy (l->data);
}

static void
use_account (ConfabApplication *self,
             ConfabAccount     *account)
{
  close_settings_of_others (self, account);
  if (self->account != NULL)
    {
      g_signal_handlers_disconnect_by_data (confab_account_get_client (self->account), self);
      g_signal_handlers_disconnect_by_data (confab_account_get_cache (self->account), self);
      confab_client_stop (confab_account_get_client (self->account));
    }
  if (self->player != NULL)
    confab_sound_player_stop (self->player);
  g_set_object (&self->account, account);
  if (account != NULL)
    {
      ConfabClient *client = confab_account_get_client (account);

      g_signal_connect_object (client, "message", G_CALLBACK (on_message), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (client, "conversation", G_CALLBACK (on_conversation), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (client, "visitor", G_CALLBACK (on_visitor), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (client, "signed-out", G_CALLBACK (on_signed_out), self, G_CONNECT_SWAPPED);
      confab_client_ensure_chat_signals ();
      g_signal_connect_object (client, "note", G_CALLBACK (on_note), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (confab_account_get_cache (account), "conversation-changed",
                               G_CALLBACK (on_conversation_changed), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (confab_account_get_cache (account), "offline-message-changed",
                               G_CALLBACK (on_offline_message_changed), self, G_CONNECT_SWAPPED);
    }
  confab_window_set_account (self->window, account);
  update_account_menu (self);
}

/* Opens "relay\nemail": the inbox from its cache now, the connection once the keyring answers. */
static void
open_account (ConfabApplication *self,
              const char        *key)
{
  g_auto (GStrv) parts = g_strsplit (key, "\n", 2);
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabAccount) account = NULL;

  if (parts[0] == NULL || parts[1] == NULL)
    return;
  account = confab_account_new (parts[0], parts[1], &error);
  if (account == NULL)
    {
      g_warning ("Could not open the saved data of %s: %s", parts[1], error->message);
      confab_window_show_sign_in (self->window, FALSE);
      return;
    }
  confab_settings_add_account (self->settings, parts[0], parts[1]);
  use_account (self, account);
  confab_secrets_lookup_async (parts[0], parts[1], self->cancellable, token_cb, g_object_ref (account));
}

static void
secret_stored_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GError) error = NULL;

  /* still signed in for this run; the next start asks again */
  if (!confab_secrets_store_finish (result, &error))
    g_warning ("The session could not be saved in the keyring: %s", error->message);
}

/* ------------------------------------------------------------ keyring --- */

typedef struct {
  ConfabApplication *self;
  char              *relay_url;
  char              *email;
  char              *token;
} SaveToken;

static void
save_token_free (SaveToken *save)
{
  g_object_unref (save->self);
  g_free (save->relay_url);
  g_free (save->email);
  if (save->token != NULL)
    memset (save->token, 0, strlen (save->token));
  g_free (save->token);
  g_free (save);
}

static void
store_token (SaveToken *save)
{
  confab_secrets_store_async (save->relay_url, save->email, save->token, NULL, secret_stored_cb, NULL);
  save_token_free (save);
}

static void
keyring_explained_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      SaveToken        *save)
{
  /* once: closing the dialog after a response answers "not-now" again */
  g_signal_handlers_disconnect_by_func (dialog, keyring_explained_cb, save);
  /* "not now": signed in for this run only; the next start asks for the password again */
  if (g_strcmp0 (response, "continue") == 0)
    store_token (save);
  else
    save_token_free (save);
}

/* Without a default keyring (a first start outside a GNOME session), storing the token makes
 * the desktop ask for "a password for a new keyring" out of nowhere: say first what it is. */
static void
default_keyring_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  SaveToken *save = user_data;
  g_autoptr (GError) error = NULL;
  AdwMessageDialog *dialog;

  if (confab_secrets_has_default_keyring_finish (result, &error) || error != NULL ||
      save->self->window == NULL)
    {
      /* there is one (or no Secret Service at all: the store says so) */
      store_token (save);
      return;
    }
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (save->self->window),
                                                       _("Remember This Sign-In?"), NULL));
  gtk_widget_set_name (GTK_WIDGET (dialog), "keyring-explanation");
  adw_message_dialog_format_body (dialog, "%s",
    _("Confab keeps your sign-in in the keyring of your desktop, so that it starts signed in "
      "next time. This desktop has no keyring yet: it will now ask you to choose a password "
      "for a new one. That password protects the sign-ins and passwords apps keep there; "
      "you may need it again after you log in."));
  adw_message_dialog_add_responses (dialog, "not-now", _("_Not Now"), "continue", _("_Continue"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "continue", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "continue");
  adw_message_dialog_set_close_response (dialog, "not-now");
  g_signal_connect (dialog, "response", G_CALLBACK (keyring_explained_cb), save);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
save_token (ConfabApplication *self,
            ConfabAccount     *account)
{
  SaveToken *save = g_new0 (SaveToken, 1);

  save->self = g_object_ref (self);
  save->relay_url = g_strdup (confab_account_get_relay_url (account));
  save->email = g_strdup (confab_account_get_email (account));
  save->token = g_strdup (confab_client_get_token (confab_account_get_client (account)));
  confab_secrets_has_default_keyring_async (NULL, default_keyring_cb, save);
}

static void
signed_in_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (ConfabApplication) self = user_data;
  ConfabClient *client = CONFAB_CLIENT (source);
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabAccount) account = g_steal_pointer (&self->pending);
  ConfabSignInPage *page = confab_window_show_sign_in (self->window, self->account != NULL);

  confab_sign_in_page_set_busy (page, FALSE);
  if (!confab_client_sign_in_finish (client, result, &error))
    {
      if (g_error_matches (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_INVALID_CREDENTIALS))
        confab_sign_in_page_set_error (page, _("The email or the password is not right."));
      else
        confab_sign_in_page_set_error (page, error->message);
      return;
    }
  save_token (self, account);
  confab_settings_add_account (self->settings, confab_account_get_relay_url (account),
                               confab_account_get_email (account));
  use_account (self, account);
  confab_client_start (client);
}

static void
on_sign_in_submit (ConfabApplication *self,
                   const char        *relay_url,
                   const char        *email,
                   const char        *password,
                   ConfabSignInPage  *page)
{
  g_autoptr (GError) error = NULL;

  g_clear_object (&self->pending);
  self->pending = confab_account_new (relay_url, email, &error);
  if (self->pending == NULL)
    {
      confab_sign_in_page_set_error (page, error->message);
      return;
    }
  confab_sign_in_page_set_error (page, NULL);
  confab_sign_in_page_set_busy (page, TRUE);
  confab_client_sign_in_async (confab_account_get_client (self->pending), email, password,
                               self->cancellable, signed_in_cb, g_object_ref (self));
}

/* The first sign-in with a setup code: as a sign-in, with the relay's reasons for refusing a
 * code said plainly. */
static void
set_up_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (ConfabApplication) self = user_data;
  ConfabClient *client = CONFAB_CLIENT (source);
  g_autoptr (GError) error = NULL;
  g_autofree char *code = NULL;
  g_autoptr (ConfabAccount) account = g_steal_pointer (&self->pending);
  ConfabSignInPage *page = confab_window_show_sign_in (self->window, self->account != NULL);

  confab_sign_in_page_set_busy (page, FALSE);
  if (!confab_client_setup_finish (client, result, &code, &error))
    {
      if (g_strcmp0 (code, "invalid_setup_code") == 0)
        confab_sign_in_page_set_error (page, _("This setup code is not valid for this email address. "
                                               "Check both; a code works only once — ask your admin "
                                               "for a new one if it was used."));
      else if (g_strcmp0 (code, "setup_code_expired") == 0)
        confab_sign_in_page_set_error (page, _("This setup code has expired. Ask your admin for a new one."));
      else if (g_strcmp0 (code, "weak_password") == 0)
        confab_sign_in_page_set_error (page, _("Choose a password of at least 8 characters."));
      else if (g_strcmp0 (code, "rate_limited") == 0)
        confab_sign_in_page_set_error (page, _("Too many attempts. Wait a minute and try again."));
      else
        confab_sign_in_page_set_error (page, error->message);
      return;
    }
  save_token (self, account);
  confab_settings_add_account (self->settings, confab_account_get_relay_url (account),
                               confab_account_get_email (account));
  confab_sign_in_page_set_setup_mode (page, FALSE);
  use_account (self, account);
  confab_client_start (client);
}

static void
on_sign_in_setup (ConfabApplication *self,
                  const char        *relay_url,
                  const char        *email,
                  const char        *setup_code,
                  const char        *password,
                  const char        *name,
                  ConfabSignInPage  *page)
{
  g_autoptr (GError) error = NULL;

  g_clear_object (&self->pending);
  self->pending = confab_account_new (relay_url, email, &error);
  if (self->pending == NULL)
    {
      confab_sign_in_page_set_error (page, error->message);
      return;
    }
  confab_sign_in_page_set_error (page, NULL);
  confab_sign_in_page_set_busy (page, TRUE);
  confab_client_setup_async (confab_account_get_client (self->pending), email, setup_code, password,
                             name, self->cancellable, set_up_cb, g_object_ref (self));
}

static void
on_sign_in_cancel (ConfabApplication *self)
{
  if (self->account != NULL)
    confab_window_show_inbox (self->window);
}

static void
signed_out_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (GError) error = NULL;

  /* best effort: the token goes from the keyring anyway */
  if (!confab_client_sign_out_finish (CONFAB_CLIENT (source), result, &error))
    g_message ("The relay was not told about the sign-out: %s", error->message);
}

static void
sign_out_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  ConfabApplication *self = user_data;
  g_autoptr (ConfabAccount) account = NULL;
  g_auto (GStrv) rest = NULL;

  if (self->account == NULL)
    return;
  account = g_object_ref (self->account);
  confab_client_sign_out_async (confab_account_get_client (account), NULL, signed_out_cb, NULL);
  confab_secrets_clear_async (confab_account_get_relay_url (account), confab_account_get_email (account),
                              NULL, secret_cleared_cb, NULL);
  confab_settings_remove_account (self->settings, confab_account_get_relay_url (account),
                                  confab_account_get_email (account));
  rest = confab_settings_dup_accounts (self->settings);
  if (rest[0] != NULL)
    open_account (self, rest[0]);
  else
    {
      use_account (self, NULL);
      confab_window_show_sign_in (self->window, FALSE);
    }
}

static void
add_account_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  ConfabApplication *self = user_data;
  ConfabSignInPage *page = confab_window_show_sign_in (self->window, self->account != NULL);

  confab_sign_in_page_set_email (page, "");
}

static void
switch_account_action (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  open_account (user_data, g_variant_get_string (parameter, NULL));
}

/* -------------------------------------------------------- app actions --- */

static void
open_conversation_action (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer       user_data)
{
  ConfabApplication *self = user_data;

  g_application_activate (G_APPLICATION (self));
  confab_window_open_conversation (self->window, g_variant_get_string (parameter, NULL));
}

static void
open_offline_message_action (GSimpleAction *action,
                             GVariant      *parameter,
                             gpointer       user_data)
{
  ConfabApplication *self = user_data;

  g_application_activate (G_APPLICATION (self));
  confab_window_open_offline_message (self->window, g_variant_get_string (parameter, NULL));
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  ConfabApplication *self = user_data;
  GtkWidget *window = confab_preferences_window_new (GTK_WINDOW (self->window), self->settings,
                                                     self->player);

  gtk_window_present (GTK_WINDOW (window));
}

/* The settings area of the signed-in account (one window per account: a second Ctrl+Alt+,
 * brings it back). */
static void
site_settings_action (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  ConfabApplication *self = user_data;
  ConfabClient *client;
  GtkWidget *window;

  if (self->account == NULL || self->window == NULL)
    return;
  client = confab_account_get_client (self->account);
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (CONFAB_IS_ADMIN_WINDOW (l->data) &&
        confab_admin_window_get_client (l->data) == client)
      {
        gtk_window_present (l->data);
        return;
      }
  window = confab_admin_window_new (GTK_WINDOW (self->window), client);
  gtk_window_set_application (GTK_WINDOW (window), GTK_APPLICATION (self));
  gtk_window_present (GTK_WINDOW (window));
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  ConfabApplication *self = user_data;
  const char *developers[] = { "The Confab developers", NULL };
  GtkWidget *about = adw_about_window_new ();

  g_object_set (about,
                "transient-for", self->window,
                "application-name", _("Confab"),
                "application-icon", g_application_get_application_id (G_APPLICATION (self)),
                "version", CONFAB_VERSION,
                "developer-name", _("The Confab developers"),
                "developers", developers,
                "license-type", GTK_LICENSE_GPL_3_0,
                "comments", _("Answer your website's visitors, even offline."),
                "translator-credits", _("translator-credits"),
                NULL);
  /* the relay locates visitors with DB-IP's free database, whose licence asks for this */
  adw_about_window_add_legal_section (ADW_ABOUT_WINDOW (about), _("IP geolocation"),
                                      _("IP geolocation by DB-IP, CC BY 4.0"),
                                      GTK_LICENSE_CUSTOM,
                                      "<a href=\"https://db-ip.com\">IP Geolocation by DB-IP</a> "
                                      "(<a href=\"https://creativecommons.org/licenses/by/4.0/\">CC BY 4.0</a>)");
  gtk_window_present (GTK_WINDOW (about));
}

static void save_window_state (ConfabApplication *self);

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  ConfabApplication *self = user_data;

  save_window_state (self);
  if (self->window != NULL)
    gtk_window_destroy (GTK_WINDOW (self->window));
  g_application_quit (G_APPLICATION (self));
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action },
  { "preferences", preferences_action },
  { "site-settings", site_settings_action },
  { "about", about_action },
  { "sign-out", sign_out_action },
  { "add-account", add_account_action },
  { "switch-account", switch_account_action, "s" },
  { "open-conversation", open_conversation_action, "s" },
  { "open-offline-message", open_offline_message_action, "s" },
};

/* ---------------------------------------------------------- lifecycle --- */

/* The size the window had before it was maximized (GTK keeps it as the default size) and
 * whether it is: on closing, and on Ctrl+Q, which destroys the window without a close-request. */
static void
save_window_state (ConfabApplication *self)
{
  int width = 0, height = 0;

  if (self->window == NULL)
    return;
  gtk_window_get_default_size (GTK_WINDOW (self->window), &width, &height);
  if (width > 0 && height > 0)
    g_object_set (self->settings, "window-width", width, "window-height", height, NULL);
  g_object_set (self->settings,
                "window-maximized", gtk_window_is_maximized (GTK_WINDOW (self->window)),
                NULL);
}

static gboolean
on_close_request (ConfabApplication *self)
{
  save_window_state (self);
  return FALSE;
}

static void
on_window_active (ConfabApplication *self)
{
  const char *id;

  /* the agent looks at it: its notification and its ringing are done */
  if (!window_focused (self) || (id = confab_window_get_conversation_id (self->window)) == NULL)
    return;
  g_hash_table_remove (self->notified, id);
  g_application_withdraw_notification (G_APPLICATION (self), id);
  confab_application_withdraw_mentions (self, id);
  if (self->player != NULL)
    confab_sound_player_answered (self->player, id);
}

static void
confab_application_startup (GApplication *application)
{
  ConfabApplication *self = CONFAB_APPLICATION (application);
  const char *quit_accels[] = { "<Control>q", NULL };
  const char *prefs_accels[] = { "<Control>comma", NULL };
  const char *help_accels[] = { "<Control>question", NULL };
  const char *site_settings_accels[] = { "<Control><Alt>comma", NULL };

  G_APPLICATION_CLASS (confab_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", prefs_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-help-overlay", help_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.site-settings",
                                         site_settings_accels);

  self->settings = confab_settings_new ();
  if (g_getenv ("CONFAB_NO_SOUND") == NULL)
    {
      self->player = confab_sound_player_new ();
      confab_sound_player_set_volume (self->player, confab_settings_get_sound_volume (self->settings));
    }
  g_signal_connect_object (self->settings, "notify::sound-volume", G_CALLBACK (on_volume_changed),
                           self, G_CONNECT_SWAPPED);
}

/* CONFAB_BENCH_STARTUP: prints the time from the process's start (the kernel's record, so
 * that loading the libraries counts) to the first frame painted with the inbox in it, then
 * quits. For bench/desktop-startup.sh; not used otherwise. */
static double
ms_since_process_start (void)
{
  g_autofree char *stat = NULL;
  const char *after_comm;
  unsigned long long start_ticks = 0;
  struct timespec now;

  if (!g_file_get_contents ("/proc/self/stat", &stat, NULL, NULL) ||
      (after_comm = strrchr (stat, ')')) == NULL ||
      sscanf (after_comm + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
              &start_ticks) != 1)
    return -1;
  clock_gettime (CLOCK_BOOTTIME, &now);
  return (now.tv_sec + now.tv_nsec / 1e9 - (double) start_ticks / sysconf (_SC_CLK_TCK)) * 1000;
}

static void
bench_after_paint (GdkFrameClock     *clock,
                   ConfabApplication *self)
{
  GtkWidget *list = self->window != NULL
                    ? gtk_widget_get_first_child (GTK_WIDGET (self->window)) : NULL;

  if (list == NULL || confab_window_get_account (self->window) == NULL)
    return;
  g_print ("first painted inbox: %.0f ms after the process started\n", ms_since_process_start ());
  g_signal_handlers_disconnect_by_func (clock, bench_after_paint, self);
  g_application_quit (G_APPLICATION (self));
}

static void
bench_on_map (GtkWidget         *window,
              ConfabApplication *self)
{
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint",
                    G_CALLBACK (bench_after_paint), self);
}

static void
confab_application_activate (GApplication *application)
{
  ConfabApplication *self = CONFAB_APPLICATION (application);
  g_auto (GStrv) accounts = NULL;
  gboolean maximized = FALSE;

  if (self->window != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->window));
      return;
    }
  self->window = confab_window_new (ADW_APPLICATION (self), self->settings);
  g_object_add_weak_pointer (G_OBJECT (self->window), (gpointer *) &self->window);
  g_object_get (self->settings, "window-maximized", &maximized, NULL);
  if (maximized)
    gtk_window_maximize (GTK_WINDOW (self->window));
  g_signal_connect_object (self->window, "close-request", G_CALLBACK (on_close_request), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->window, "notify::is-active", G_CALLBACK (on_window_active), self,
                           G_CONNECT_SWAPPED);
  {
    ConfabSignInPage *page = confab_window_show_sign_in (self->window, FALSE);

    g_signal_connect_object (page, "submit", G_CALLBACK (on_sign_in_submit), self, G_CONNECT_SWAPPED);
    g_signal_connect_object (page, "cancel", G_CALLBACK (on_sign_in_cancel), self, G_CONNECT_SWAPPED);
    g_signal_connect_object (page, "setup", G_CALLBACK (on_sign_in_setup), self, G_CONNECT_SWAPPED);
  }

  accounts = confab_settings_dup_accounts (self->settings);
  if (accounts[0] != NULL)
    open_account (self, accounts[0]);
  update_account_menu (self);
  if (g_getenv ("CONFAB_BENCH_STARTUP") != NULL)
    g_signal_connect (self->window, "map", G_CALLBACK (bench_on_map), self);
  gtk_window_present (GTK_WINDOW (self->window));
}

static void
confab_application_shutdown (GApplication *application)
{
  ConfabApplication *self = CONFAB_APPLICATION (application);

  g_cancellable_cancel (self->cancellable);
  if (self->player != NULL)
    confab_sound_player_stop (self->player);
  if (self->account != NULL)
    confab_client_stop (confab_account_get_client (self->account));
  /* the window's size and state were just set: dconf writes them asynchronously, and a
   * process that exits first loses them */
  g_settings_sync ();
  G_APPLICATION_CLASS (confab_application_parent_class)->shutdown (application);
}

static void
confab_application_dispose (GObject *object)
{
  ConfabApplication *self = CONFAB_APPLICATION (object);

  g_clear_object (&self->account);
  g_clear_object (&self->pending);
  g_clear_object (&self->player);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->seen_visitors, g_hash_table_unref);
  g_clear_pointer (&self->seen_conversations, g_hash_table_unref);
  g_clear_pointer (&self->notified, g_hash_table_unref);
  g_clear_pointer (&self->awaiting_first, g_hash_table_unref);
  g_clear_pointer (&self->mentions, g_hash_table_unref);
  G_OBJECT_CLASS (confab_application_parent_class)->dispose (object);
}

static void
confab_application_class_init (ConfabApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = confab_application_dispose;
  app_class->startup = confab_application_startup;
  app_class->activate = confab_application_activate;
  app_class->shutdown = confab_application_shutdown;
}

static void
confab_application_init (ConfabApplication *self)
{
  self->cancellable = g_cancellable_new ();
  self->seen_visitors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->seen_conversations = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->notified = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->awaiting_first = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->mentions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

ConfabApplication *
confab_application_new (const char        *application_id,
                        GApplicationFlags  flags)
{
  /* the resources keep their path whatever the app id (chat.confab.Confab.Devel) */
  return g_object_new (CONFAB_TYPE_APPLICATION,
                       "application-id", application_id,
                       "flags", flags,
                       "resource-base-path", "/chat/confab/Confab",
                       NULL);
}

ConfabSettings *
confab_application_get_settings (ConfabApplication *self)
{
  return self->settings;
}

ConfabWindow *
confab_application_get_window (ConfabApplication *self)
{
  return self->window;
}

ConfabSoundPlayer *
confab_application_get_sound_player (ConfabApplication *self)
{
  return self->player;
}
