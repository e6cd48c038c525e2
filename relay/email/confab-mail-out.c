/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-mail-out.c: what the relay mails, and how it reads (see confab-mail-out.h). Plain
 * text only: nothing a visitor or agent wrote is ever put into HTML. */
#define G_LOG_DOMAIN "confab-mail"

#include "confab-mail-out.h"
#include "confab-store-channels.h"
#include "confab-util.h"

#include <string.h>

/* a transcript holds at most this many messages, the newest ones */
#define TRANSCRIPT_MAX_MESSAGES 2000
#define TRANSCRIPT_PAGE         500

static char *
site_name (ConfabRelay *relay,
           const char  *site_id)
{
  g_autoptr (ConfabSite) site = confab_store_get_site (relay->store, site_id, NULL);

  return g_strdup (site != NULL ? site->name : "our site");
}

/* The site's mailbox address, so that an answer lands in the inbox; NULL without one. */
static char *
site_reply_to (ConfabRelay *relay,
               const char  *site_id)
{
  g_autoptr (ConfabEmailChannel) channel = confab_store_get_email_channel (relay->store, site_id,
                                                                           NULL);

  if (channel == NULL || !channel->enabled)
    return NULL;
  return g_strdup (channel->address);
}

static void
append_quoted (GString    *text,
               const char *body)
{
  g_auto (GStrv) lines = g_strsplit (body, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    g_string_append_printf (text, ">%s%s\n", *lines[i] ? " " : "", lines[i]);
}

static char *
readable_time (gint64 unix_ms)
{
  g_autoptr (GDateTime) time = g_date_time_new_from_unix_utc (unix_ms / 1000);

  return time != NULL ? g_date_time_format (time, "%Y-%m-%d %H:%M UTC") : g_strdup ("?");
}

ConfabOfflineReply *
confab_mail_offline_reply (ConfabRelay                *relay,
                           const ConfabOfflineMessage *offline,
                           const ConfabUser           *author,
                           const char                 *body,
                           GError                    **error)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autofree char *site = NULL, *reply_to = NULL, *subject = NULL, *when = NULL;
  g_autofree char *mail_id = NULL;
  ConfabOfflineReply *reply;
  const char *author_name = author->name != NULL ? author->name : author->email;
  ConfabMailDraft draft = { 0 };

  if (!confab_mailer_is_enabled (relay->mailer))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "This relay sends no e-mail ([email] smtp-server is not set)");
      return NULL;
    }
  if (offline->email == NULL || !confab_config_valid_mail_address (offline->email))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "This offline message has no e-mail address to reply to");
      return NULL;
    }

  site = site_name (relay, offline->site_id);
  reply_to = site_reply_to (relay, offline->site_id);
  when = readable_time (offline->created_at);
  subject = g_strdup_printf ("Re: your message to %s", site);
  g_string_append (text, body);
  g_string_append_printf (text, "\n\n-- \n%s, %s\n\nOn %s you wrote:\n", author_name, site, when);
  append_quoted (text, offline->body);

  draft.site_id = offline->site_id;
  draft.kind = "offline_reply";
  draft.to_address = offline->email;
  draft.to_name = offline->name;
  draft.subject = subject;
  draft.body = text->str;
  draft.reply_to = reply_to;

  if (!confab_store_begin (relay->store, error))
    return NULL;
  mail_id = confab_mailer_queue (relay->mailer, &draft, NULL, error);
  reply = mail_id != NULL
    ? confab_store_add_offline_reply (relay->store, offline->id, author->id, author_name, body,
                                      mail_id, error)
    : NULL;
  if (reply == NULL)
    {
      confab_store_rollback (relay->store);
      return NULL;
    }
  if (!confab_store_commit (relay->store, error))
    {
      confab_offline_reply_free (reply);
      return NULL;
    }
  return reply;
}

static const char *
sender_label (const ConfabMessage *message,
              const char          *visitor_name)
{
  switch (message->sender_type)
    {
    case CONFAB_SENDER_VISITOR:
      return visitor_name != NULL ? visitor_name : "You";
    case CONFAB_SENDER_AGENT:
      return message->sender_name != NULL ? message->sender_name : "Agent";
    case CONFAB_SENDER_BOT:
      return "Bot";
    case CONFAB_SENDER_SYSTEM:
    default:
      return NULL;
    }
}

gboolean
confab_mail_transcript (ConfabRelay               *relay,
                        const ConfabConversation  *conversation,
                        const char                *to_address,
                        GError                   **error)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autofree char *site = NULL, *subject = NULL, *mail_id = NULL;
  ConfabMailDraft draft = { 0 };
  gint64 after = MAX (conversation->last_seq - TRANSCRIPT_MAX_MESSAGES, 0);

  visitor = confab_store_get_visitor (relay->store, conversation->visitor_id, NULL);
  site = site_name (relay, conversation->site_id);
  subject = g_strdup_printf ("Your conversation with %s", site);
  g_string_append_printf (text, "Here is your conversation with %s, as you asked.\n\n", site);
  if (after > 0)
    g_string_append_printf (text, "(Its %" G_GINT64_FORMAT " earliest messages are left out.)\n\n",
                            after);

  for (;;)
    {
      g_autoptr (GPtrArray) page = confab_store_list_messages (relay->store, conversation->id,
                                                               after, TRANSCRIPT_PAGE, error);

      if (page == NULL)
        return FALSE;
      for (guint i = 0; i < page->len; i++)
        {
          ConfabMessage *message = g_ptr_array_index (page, i);
          const char *who = sender_label (message, visitor != NULL ? visitor->name : NULL);
          g_autofree char *when = readable_time (message->created_at);

          after = message->seq;
          if (who == NULL)
            continue;
          g_string_append_printf (text, "[%s] %s:\n", when, who);
          if (message->body != NULL && *message->body != '\0')
            g_string_append_printf (text, "%s\n", message->body);
          if (message->attachment_id != NULL)
            g_string_append (text, "(an attachment)\n");
          g_string_append_c (text, '\n');
        }
      if (page->len < TRANSCRIPT_PAGE)
        break;
    }

  draft.site_id = conversation->site_id;
  draft.kind = "transcript";
  draft.to_address = to_address;
  draft.subject = subject;
  draft.body = text->str;
  draft.automatic = TRUE;
  mail_id = confab_mailer_queue (relay->mailer, &draft, NULL, error);
  return mail_id != NULL;
}

static gboolean
notify_members (ConfabRelay *relay,
                const char  *site_id,
                const char  *subject,
                const char  *body,
                GError     **error)
{
  g_auto (GStrv) addresses = NULL;

  if (!confab_mailer_is_enabled (relay->mailer))
    return TRUE;
  addresses = confab_store_list_notified_members (relay->store, site_id, error);
  if (addresses == NULL)
    return FALSE;
  for (guint i = 0; addresses[i] != NULL; i++)
    {
      ConfabMailDraft draft = {
        .site_id = site_id,
        .kind = "notification",
        .to_address = addresses[i],
        .subject = subject,
        .body = body,
        .automatic = TRUE,
      };
      g_autofree char *mail_id = NULL;

      if (!confab_config_valid_mail_address (addresses[i]))
        continue;
      mail_id = confab_mailer_queue (relay->mailer, &draft, NULL, error);
      if (mail_id == NULL)
        return FALSE;
    }
  return TRUE;
}

gboolean
confab_mail_notify_offline (ConfabRelay  *relay,
                            const char   *offline_id,
                            GError      **error)
{
  g_autoptr (ConfabOfflineMessage) offline = NULL;
  g_autoptr (GString) text = g_string_new (NULL);
  g_autofree char *site = NULL, *subject = NULL;
  const char *who;

  if (!confab_mailer_is_enabled (relay->mailer))
    return TRUE;
  offline = confab_store_get_offline_message (relay->store, offline_id, error);
  if (offline == NULL)
    return FALSE;
  site = site_name (relay, offline->site_id);
  who = offline->name != NULL ? offline->name : offline->email != NULL ? offline->email : "A visitor";
  subject = g_strdup_printf ("New message from %s on %s", who, site);
  g_string_append_printf (text, "%s left a message on %s while nobody was online:\n\n", who, site);
  append_quoted (text, offline->body);
  if (offline->email != NULL)
    g_string_append_printf (text, "\nTheir address: %s\n", offline->email);
  if (offline->page_url != NULL)
    g_string_append_printf (text, "They were on: %s\n", offline->page_url);
  g_string_append (text, "\nAnswer it from Confab's offline messages.\n\n-- \nYou get this mail "
                         "because you are a member of this site; turn it off in Confab's "
                         "account settings.\n");
  return notify_members (relay, offline->site_id, subject, text->str, error);
}

gboolean
confab_mail_notify_missed_chat (ConfabRelay               *relay,
                                const ConfabConversation  *conversation,
                                const char                *first_text,
                                GError                   **error)
{
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (GString) text = g_string_new (NULL);
  g_autofree char *site = NULL, *subject = NULL;
  const char *who;

  if (!confab_mailer_is_enabled (relay->mailer))
    return TRUE;
  visitor = confab_store_get_visitor (relay->store, conversation->visitor_id, NULL);
  site = site_name (relay, conversation->site_id);
  who = visitor != NULL && visitor->name != NULL ? visitor->name : "A visitor";
  subject = g_strdup_printf ("Missed chat from %s on %s", who, site);
  g_string_append_printf (text, "%s started a chat on %s while no agent was online:\n\n", who, site);
  if (first_text != NULL)
    append_quoted (text, first_text);
  g_string_append (text, "\nOpen Confab to answer.\n\n-- \nYou get this mail because you are a "
                         "member of this site; turn it off in Confab's account settings.\n");
  return notify_members (relay, conversation->site_id, subject, text->str, error);
}

/* "help@example.com" → "help+TOKEN@example.com": a reply finds its conversation by it. */
static char *
plus_address (const char *address,
              const char *token)
{
  const char *at = strrchr (address, '@');

  if (at == NULL || strchr (address, '+') != NULL)
    return g_strdup (address);
  return g_strdup_printf ("%.*s+%s%s", (int) (at - address), address, token, at);
}

gboolean
confab_mail_agent_message (ConfabRelay               *relay,
                           const ConfabConversation  *conversation,
                           ConfabMessage             *message,
                           GError                   **error)
{
  ConfabStore *store = relay->store;
  g_auto (GStrv) thread = NULL;
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (ConfabEmailChannel) channel = NULL;
  g_autoptr (GString) text = g_string_new (NULL);
  g_autofree char *site = NULL, *subject = NULL, *reply_to = NULL, *mail_id = NULL;
  g_autofree char *message_id = NULL;
  ConfabMailDraft draft = { 0 };
  guint n;

  if (!confab_mailer_is_enabled (relay->mailer))
    return TRUE;
  /* an e-mail conversation is one with a thread of Message-IDs: one indexed lookup */
  thread = confab_store_list_mail_thread (store, conversation->id, 20, error);
  if (thread == NULL)
    return FALSE;
  if ((n = g_strv_length (thread)) == 0)
    return TRUE;
  visitor = confab_store_get_visitor (store, conversation->visitor_id, NULL);
  if (visitor == NULL || visitor->email == NULL || !confab_config_valid_mail_address (visitor->email))
    return TRUE;

  channel = confab_store_get_email_channel (store, conversation->site_id, NULL);
  if (channel != NULL)
    reply_to = plus_address (channel->address, conversation->id);
  site = site_name (relay, conversation->site_id);
  subject = g_strdup_printf ("Re: your message to %s [#%s]", site, conversation->id);
  if (message->body != NULL)
    g_string_append (text, message->body);
  if (message->attachment_id != NULL)
    g_string_append (text, text->len > 0 ? "\n\n(an attachment: open the chat to see it)"
                                         : "(an attachment: open the chat to see it)");
  g_string_append_printf (text, "\n\n-- \n%s, %s\n",
                          message->sender_name != NULL ? message->sender_name : "Support", site);

  draft.site_id = conversation->site_id;
  draft.kind = "conversation";
  draft.conversation_id = conversation->id;
  draft.seq = message->seq;
  draft.to_address = visitor->email;
  draft.to_name = visitor->name;
  draft.subject = subject;
  draft.body = text->str;
  draft.reply_to = reply_to;
  draft.in_reply_to = thread[n - 1];
  draft.references = (const char * const *) thread;
  /* the FAQ bot's (or the assistant's) answer: no other robot should answer it (RFC 3834) */
  draft.automatic = message->sender_type == CONFAB_SENDER_BOT;
  mail_id = confab_mailer_queue (relay->mailer, &draft, &message_id, error);
  /* its delivery state, as a Messenger reply's: "pending" until the mailer tells
   * (confab_mail_agent_delivered) */
  if (mail_id == NULL ||
      !confab_store_add_mail_thread (store, message_id, conversation->id, error) ||
      !confab_store_set_message_delivery (store, conversation->id, message->seq, "pending", NULL,
                                          NULL, error))
    return FALSE;
  g_free (message->delivery_status);
  message->delivery_status = g_strdup ("pending");
  g_clear_pointer (&message->delivery_error, g_free);
  return TRUE;
}

JsonObject *
confab_mail_delivery_to_json (const char *status,
                              const char *error)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "status", status != NULL ? status : "pending");
  if (error != NULL)
    json_object_set_string_member (object, "error", error);
  else
    json_object_set_null_member (object, "error");
  return object;
}

JsonObject *
confab_offline_reply_to_json (const ConfabOfflineReply *reply)
{
  JsonObject *object = json_object_new ();
  JsonObject *author = json_object_new ();
  g_autofree char *sent_at = confab_format_time (reply->sent_at);

  json_object_set_string_member (object, "id", reply->id);
  json_object_set_string_member (object, "offline_message_id", reply->offline_message_id);
  json_object_set_string_member (object, "body", reply->body);
  if (reply->author_id != NULL)
    json_object_set_string_member (author, "id", reply->author_id);
  else
    json_object_set_null_member (author, "id");
  if (reply->author_name != NULL)
    json_object_set_string_member (author, "name", reply->author_name);
  else
    json_object_set_null_member (author, "name");
  json_object_set_object_member (object, "author", author);
  json_object_set_string_member (object, "sent_at", sent_at);
  /* a pending mail's last failure says why it is still pending */
  json_object_set_object_member (object, "delivery",
                                 confab_mail_delivery_to_json (reply->status, reply->error));
  return object;
}

gboolean
confab_mail_add_offline_replies (ConfabRelay  *relay,
                                 JsonObject   *object,
                                 const char   *offline_id,
                                 GError      **error)
{
  g_autoptr (GPtrArray) replies = NULL;
  JsonArray *array = json_array_new ();

  replies = confab_store_list_offline_replies (relay->store, offline_id, error);
  if (replies == NULL)
    {
      json_array_unref (array);
      return FALSE;
    }
  for (guint i = 0; i < replies->len; i++)
    json_array_add_object_element (array, confab_offline_reply_to_json (g_ptr_array_index (replies, i)));
  json_object_set_array_member (object, "replies", array);
  return TRUE;
}
