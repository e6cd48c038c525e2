/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-mail-in.c: the sites' mailboxes over IMAP (see confab-mail-in.h) */
#define G_LOG_DOMAIN "confab-mail"

#include "confab-mail-in.h"
#include "confab-mail-idle.h"
#include "confab-gmime.h"
#include "confab-hub-email.h"
#include "confab-mail-out.h"
#include "confab-faq.h"
#include "confab-store-channels.h"
#include "confab-store-email.h"
#include "confab-image.h"
#include "confab-uploads.h"
#include "confab-util.h"
#include "confab-build-paths.h"

#include <curl/curl.h>
#include <string.h>

#define MAX_MAIL_BYTES     (25 * 1024 * 1024)
/* the hub's limit on a message's body (MAX_BODY_CHARS): longer mails are cut, saying so */
#define MAX_TEXT_CHARS     4000
#define CONNECT_TIMEOUT_S  10
#define TRANSFER_TIMEOUT_S 120
#define RETRY_AFTER_STORE_ERROR_S 30
/* images of one mail that become messages of their own; more are listed like other files */
#define MAX_MAIL_IMAGES    10

struct _ConfabMailIn
{
  gatomicrefcount  ref;
  ConfabRelay     *relay;   /* NULL once the relay let go */
  GHashTable      *timers;  /* site id → source id of its next poll */
  GQueue           due;     /* site ids whose poll is due, one at a time */
  gboolean         polling;
  /* A fetched mail is marked unseen again at once and seen only when everything of it (its
   * text, each of its pictures) is committed: a relay stopped or failing in between reads it
   * again, and the markers in mail_threads make that import skip what is already stored.
   * site id → GArray of UIDs stored in full, marked seen by the site's next poll */
  GHashTable      *see;
  GHashTable      *importing;  /* "SITE MESSAGE-ID" of mails whose pictures are under way */
  GHashTable      *idlers;  /* site id → ConfabMailIdle*, for a mailbox whose server offers IDLE */
};

typedef struct {
  char      *site_id;
  char      *url;          /* imap(s)://host[:port]/MAILBOX */
  char      *user;
  char      *password;
  gboolean   require_tls;
  GPtrArray *mails;        /* GBytes*, the raw mails fetched */
  GArray    *uids;         /* guint64, the UID of each of @mails */
  GArray    *see;          /* guint64: UIDs to mark seen first; those it could not stay in it */
  char      *error;        /* why the poll failed, NULL when it worked */
} PollJob;

static void poll_next     (ConfabMailIn *mail_in);
static char *part_marker  (const char   *message_id,
                           int           image);
static void schedule_site (ConfabMailIn *mail_in,
                           const char   *site_id,
                           guint         delay_ms);

static void
poll_job_free (PollJob *job)
{
  g_free (job->site_id);
  g_free (job->url);
  g_free (job->user);
  if (job->password != NULL)
    memset (job->password, 0, strlen (job->password));
  g_free (job->password);
  g_ptr_array_unref (job->mails);
  g_array_unref (job->uids);
  g_array_unref (job->see);
  g_free (job->error);
  g_free (job);
}

static void
mail_in_unref (ConfabMailIn *mail_in)
{
  if (!g_atomic_ref_count_dec (&mail_in->ref))
    return;
  g_hash_table_unref (mail_in->timers);
  g_hash_table_unref (mail_in->see);
  g_hash_table_unref (mail_in->importing);
  g_hash_table_unref (mail_in->idlers);
  g_queue_clear_full (&mail_in->due, g_free);
  g_free (mail_in);
}

/* --- the worker thread ------------------------------------------------------------------------ */

typedef struct {
  GByteArray *data;
  gboolean    too_large;
} Sink;

static size_t
sink_write (char   *buffer,
            size_t  size,
            size_t  count,
            void   *user_data)
{
  Sink *sink = user_data;

  if (sink->data->len + size * count > MAX_MAIL_BYTES)
    {
      sink->too_large = TRUE;
      return 0;
    }
  g_byte_array_append (sink->data, (const guint8 *) buffer, size * count);
  return size * count;
}

static CURLcode
imap_request (CURL       *curl,
              PollJob    *job,
              const char *url,
              const char *custom,
              Sink       *sink,
              char       *detail)
{
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, (long) CONNECT_TIMEOUT_S);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT, (long) TRANSFER_TIMEOUT_S);
  curl_easy_setopt (curl, CURLOPT_USE_SSL, job->require_tls ? (long) CURLUSESSL_ALL : (long) CURLUSESSL_NONE);
  curl_easy_setopt (curl, CURLOPT_USERNAME, job->user);
  curl_easy_setopt (curl, CURLOPT_PASSWORD, job->password);
  curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, custom);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, sink_write);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, sink);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, detail);
  detail[0] = '\0';
  return curl_easy_perform (curl);
}

/* The UIDs of "* SEARCH 3 7 12" lines, at most MAIL_IN_BATCH, oldest first. */
static GArray *
parse_search (const GByteArray *data)
{
  g_autofree char *text = g_strndup ((const char *) data->data, data->len);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  GArray *uids = g_array_new (FALSE, FALSE, sizeof (guint64));

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) words = NULL;

      if (!g_str_has_prefix (lines[i], "* SEARCH"))
        continue;
      words = g_strsplit (g_strstrip (lines[i] + 8), " ", -1);
      for (guint w = 0; words[w] != NULL && uids->len < MAIL_IN_BATCH; w++)
        {
          guint64 uid = g_ascii_strtoull (words[w], NULL, 10);

          if (uid > 0)
            g_array_append_val (uids, uid);
        }
    }
  return uids;
}

static CURLcode
set_seen (CURL     *curl,
          PollJob  *job,
          guint64   uid,
          gboolean  seen,
          char     *detail)
{
  g_autofree char *command = g_strdup_printf ("UID STORE %" G_GUINT64_FORMAT " %cFLAGS (\\Seen)",
                                              uid, seen ? '+' : '-');
  Sink ignored = { g_byte_array_new (), FALSE };
  CURLcode rc = imap_request (curl, job, job->url, command, &ignored, detail);

  g_byte_array_unref (ignored.data);
  return rc;
}

static void
poll_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  PollJob *job = task_data;
  CURL *curl = curl_easy_init ();
  char detail[CURL_ERROR_SIZE];
  g_autoptr (GArray) uids = NULL;
  Sink search = { g_byte_array_new (), FALSE };
  CURLcode rc;

  if (curl == NULL)
    {
      job->error = g_strdup ("libcurl could not start");
      g_byte_array_unref (search.data);
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* what earlier polls fetched and the relay has stored in full is seen now */
  for (guint i = 0; i < job->see->len; )
    {
      if (set_seen (curl, job, g_array_index (job->see, guint64, i), TRUE, detail) == CURLE_OK)
        g_array_remove_index (job->see, i);
      else
        i++;
    }

  rc = imap_request (curl, job, job->url, "UID SEARCH UNSEEN", &search, detail);
  if (rc != CURLE_OK)
    {
      job->error = g_strdup_printf ("%s%s%s", curl_easy_strerror (rc), *detail ? " — " : "", detail);
      goto out;
    }
  uids = parse_search (search.data);

  for (guint i = 0; i < uids->len; i++)
    {
      /* ;UID= makes libcurl send UID FETCH n BODY[], which also marks the mail seen */
      g_autofree char *url = g_strdup_printf ("%s%s;UID=%" G_GUINT64_FORMAT, job->url,
                                              g_str_has_suffix (job->url, "/") ? "" : "/",
                                              g_array_index (uids, guint64, i));
      Sink mail = { g_byte_array_new (), FALSE };

      /* a path ending in the mailbox needs the UID on it: imap://h/INBOX/;UID=1 */
      rc = imap_request (curl, job, url, NULL, &mail, detail);
      if (rc == CURLE_OK && mail.data->len > 0)
        {
          /* unseen until the relay has stored all of it (mail_in->see); when that fails it is
           * still read now, only not again after a stop */
          if (set_seen (curl, job, g_array_index (uids, guint64, i), FALSE, detail) != CURLE_OK &&
              job->error == NULL)
            job->error = g_strdup_printf ("A mail could not be marked unseen until stored: %s", detail);
          g_ptr_array_add (job->mails, g_byte_array_free_to_bytes (mail.data));
          g_array_append_val (job->uids, g_array_index (uids, guint64, i));
        }
      else
        {
          if (job->error == NULL)
            job->error = mail.too_large
              ? g_strdup_printf ("A mail over %d MB was left in the mailbox", MAX_MAIL_BYTES / 1024 / 1024)
              : g_strdup_printf ("%s%s%s", curl_easy_strerror (rc), *detail ? " — " : "", detail);
          g_byte_array_unref (mail.data);
        }
    }

out:
  g_byte_array_unref (search.data);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, NULL);
  curl_easy_cleanup (curl);
  g_task_return_boolean (task, TRUE);
}

/* --- reading a mail --------------------------------------------------------------------------- */

/* Bounces, auto-replies, list and bulk mail: answering them could loop (RFC 3834). */
static const char *
automatic_reason (GMimeMessage *message)
{
  GMimeObject *object = GMIME_OBJECT (message);
  GMimeObject *body = g_mime_message_get_mime_part (message);
  InternetAddressList *from = g_mime_message_get_from (message);
  const char *auto_submitted = g_mime_object_get_header (object, "Auto-Submitted");
  const char *precedence = g_mime_object_get_header (object, "Precedence");
  const char *return_path = g_mime_object_get_header (object, "Return-Path");

  if (auto_submitted != NULL)
    {
      g_autofree char *value = g_strstrip (g_ascii_strdown (auto_submitted, -1));

      /* "no" may carry comments: "no (a person)" */
      if (!(g_str_has_prefix (value, "no") && (value[2] == '\0' || value[2] == ' ' || value[2] == ';' || value[2] == '(')))
        return "Auto-Submitted";
    }
  if (precedence != NULL)
    {
      g_autofree char *value = g_strstrip (g_ascii_strdown (precedence, -1));

      if (strcmp (value, "bulk") == 0 || strcmp (value, "junk") == 0 || strcmp (value, "list") == 0)
        return "Precedence";
    }
  if (g_mime_object_get_header (object, "List-Id") != NULL ||
      g_mime_object_get_header (object, "X-Autoreply") != NULL ||
      g_mime_object_get_header (object, "X-Autorespond") != NULL)
    return "list or auto-reply header";
  if (body != NULL)
    {
      GMimeContentType *type = g_mime_object_get_content_type (body);

      if (g_mime_content_type_is_type (type, "multipart", "report"))
        return "delivery report";
    }
  if (return_path != NULL && strstr (return_path, "<>") != NULL)
    return "null sender";
  for (int i = 0; from != NULL && i < internet_address_list_length (from); i++)
    {
      InternetAddress *address = internet_address_list_get_address (from, i);
      const char *addr = INTERNET_ADDRESS_IS_MAILBOX (address)
                         ? internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (address)) : NULL;

      if (addr != NULL && (g_ascii_strncasecmp (addr, "mailer-daemon@", 14) == 0 ||
                           g_ascii_strncasecmp (addr, "postmaster@", 11) == 0))
        return "bounce";
    }
  return NULL;
}

/* HTML as plain text: tags dropped (script and style with their content), block ends as line
 * breaks, the few entities mail uses decoded. Nothing of it is ever shown as HTML. */
static char *
html_to_text (const char *html)
{
  g_autoptr (GString) text = g_string_new (NULL);
  const char *p = html;

  while (*p != '\0')
    {
      if (*p == '<')
        {
          const char *end = strchr (p, '>');
          g_autofree char *tag = NULL;

          if (end == NULL)
            break;
          tag = g_ascii_strdown (p + 1, end - p - 1);
          if (g_str_has_prefix (tag, "script") || g_str_has_prefix (tag, "style"))
            {
              const char *close = strstr (end, g_str_has_prefix (tag, "script") ? "</script" : "</style");

              if (close == NULL)
                close = strstr (end, g_str_has_prefix (tag, "script") ? "</SCRIPT" : "</STYLE");
              if (close == NULL)
                break;
              end = strchr (close, '>');
              if (end == NULL)
                break;
            }
          else if (g_str_has_prefix (tag, "br") || g_str_has_prefix (tag, "/p") ||
                   g_str_has_prefix (tag, "/div") || g_str_has_prefix (tag, "/li") ||
                   g_str_has_prefix (tag, "/tr") || g_str_has_prefix (tag, "/h"))
            g_string_append_c (text, '\n');
          p = end + 1;
          continue;
        }
      if (*p == '&')
        {
          static const struct { const char *name; const char *text; } entities[] = {
            { "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" },
            { "&#39;", "'" }, { "&apos;", "'" }, { "&nbsp;", " " },
          };
          gboolean found = FALSE;

          for (guint i = 0; i < G_N_ELEMENTS (entities); i++)
            if (g_ascii_strncasecmp (p, entities[i].name, strlen (entities[i].name)) == 0)
              {
                g_string_append (text, entities[i].text);
                p += strlen (entities[i].name);
                found = TRUE;
                break;
              }
          if (found)
            continue;
        }
      if (*p == '\r')
        {
          p++;
          continue;
        }
      g_string_append_c (text, *p);
      p++;
    }

  /* runs of blank lines and spaces that the markup's layout left behind */
  {
    g_auto (GStrv) lines = g_strsplit (text->str, "\n", -1);
    g_autoptr (GString) out = g_string_new (NULL);
    guint blank = 0;

    for (guint i = 0; lines[i] != NULL; i++)
      {
        g_strstrip (lines[i]);
        if (*lines[i] == '\0')
          {
            if (out->len > 0 && blank++ == 0)
              g_string_append_c (out, '\n');
            continue;
          }
        blank = 0;
        g_string_append_printf (out, "%s\n", lines[i]);
      }
    return g_strchomp (g_string_free (g_steal_pointer (&out), FALSE));
  }
}

typedef struct {
  GMimeTextPart *plain;        /* the first text/plain that is no attachment */
  GMimeTextPart *html;
  GString       *attachments;  /* "- name (size)" lines */
  GPtrArray     *images;       /* GBytes*: decoded image parts, for the upload checks */
} Parts;

static void
collect_part (GMimeObject *parent,
              GMimeObject *part,
              gpointer     user_data)
{
  Parts *parts = user_data;
  GMimeContentType *type = g_mime_object_get_content_type (part);
  GMimeContentDisposition *disposition = g_mime_object_get_content_disposition (part);
  gboolean attached = disposition != NULL && g_mime_content_disposition_is_attachment (disposition);

  if (GMIME_IS_MULTIPART (part) || GMIME_IS_MESSAGE_PART (part))
    return;
  if (!attached && GMIME_IS_TEXT_PART (part) && g_mime_content_type_is_type (type, "text", "plain"))
    {
      if (parts->plain == NULL)
        parts->plain = GMIME_TEXT_PART (part);
      return;
    }
  if (!attached && GMIME_IS_TEXT_PART (part) && g_mime_content_type_is_type (type, "text", "html"))
    {
      if (parts->html == NULL)
        parts->html = GMIME_TEXT_PART (part);
      return;
    }
  if (GMIME_IS_PART (part))
    {
      GMimeDataWrapper *content = g_mime_part_get_content (GMIME_PART (part));
      const char *name = g_mime_part_get_filename (GMIME_PART (part));
      g_autoptr (GMimeStream) counter = g_mime_stream_null_new ();
      g_autofree char *size = NULL, *mime = g_mime_content_type_get_mime_type (type);
      g_autofree char *clean = NULL;

      if (content != NULL)
        g_mime_data_wrapper_write_to_stream (content, counter);
      /* an image goes through the same checks as an upload and becomes a message of its own
       * (ingest_images); anything else is listed, never stored or shown: the decoded size only */
      if (g_mime_content_type_is_type (type, "image", "*") && content != NULL &&
          GMIME_STREAM_NULL (counter)->written <= CONFAB_UPLOAD_DEFAULT_MAX_BYTES &&
          parts->images->len < MAX_MAIL_IMAGES)
        {
          g_autoptr (GMimeStream) decoded = g_mime_stream_mem_new ();
          GByteArray *bytes;

          g_mime_data_wrapper_write_to_stream (content, decoded);
          bytes = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (decoded));
          g_ptr_array_add (parts->images, g_bytes_new (bytes->data, bytes->len));
          return;
        }
      size = g_format_size (GMIME_STREAM_NULL (counter)->written);
      clean = g_strdup (name != NULL ? name : "(no name)");
      g_strdelimit (clean, "\r\n\t", ' ');
      g_string_append_printf (parts->attachments, "- %s (%s, %s)\n", clean, mime, size);
    }
}

/* The mail's text; @images gets its image parts (GBytes*). */
static char *
mail_text (GMimeMessage *message,
           GPtrArray    *images)
{
  Parts parts = { NULL, NULL, g_string_new (NULL), images };
  g_autofree char *body = NULL;
  g_autoptr (GString) text = NULL;

  g_mime_message_foreach (message, collect_part, &parts);
  if (parts.plain != NULL)
    body = g_mime_text_part_get_text (parts.plain);
  else if (parts.html != NULL)
    {
      g_autofree char *html = g_mime_text_part_get_text (parts.html);

      body = html != NULL ? html_to_text (html) : NULL;
    }
  text = g_string_new (body != NULL ? g_strstrip (body) : "");
  /* CRLF from the wire */
  for (char *cr; (cr = strchr (text->str, '\r')) != NULL; )
    g_string_erase (text, cr - text->str, 1);
  if (parts.attachments->len > 0)
    g_string_append_printf (text, "%sAttachments (not kept):\n%s", text->len > 0 ? "\n\n" : "",
                            parts.attachments->str);
  g_string_free (parts.attachments, TRUE);
  if (g_utf8_strlen (text->str, -1) > MAX_TEXT_CHARS)
    {
      const char *cut = g_utf8_offset_to_pointer (text->str, MAX_TEXT_CHARS - 40);

      g_string_truncate (text, cut - text->str);
      g_string_append (text, "\n\n[… the rest of this mail is cut]");
    }
  if (text->len == 0 && images->len > 0)
    g_string_append_printf (text, "(a mail with %u picture%s)", images->len, images->len > 1 ? "s" : "");
  else if (text->len == 0)
    g_string_append (text, "(an empty mail)");
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* The conversation token of a "+TOKEN" recipient or a "[#TOKEN]" subject. */
static char *
find_token (GMimeMessage *message)
{
  const char *subject = g_mime_message_get_subject (message);
  const char *mark;
  GMimeAddressType types[] = { GMIME_ADDRESS_TYPE_TO, GMIME_ADDRESS_TYPE_CC };

  for (guint t = 0; t < G_N_ELEMENTS (types); t++)
    {
      InternetAddressList *list = g_mime_message_get_addresses (message, types[t]);

      for (int i = 0; list != NULL && i < internet_address_list_length (list); i++)
        {
          InternetAddress *address = internet_address_list_get_address (list, i);
          const char *addr, *plus, *at;

          if (!INTERNET_ADDRESS_IS_MAILBOX (address))
            continue;
          addr = internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (address));
          plus = addr != NULL ? strchr (addr, '+') : NULL;
          at = plus != NULL ? strchr (plus, '@') : NULL;
          if (at != NULL && at - plus > 1)
            return g_strndup (plus + 1, at - plus - 1);
        }
    }
  if (subject != NULL && (mark = strstr (subject, "[#")) != NULL)
    {
      const char *end = strchr (mark, ']');

      if (end != NULL && end - mark > 2)
        return g_strndup (mark + 2, end - mark - 2);
    }
  return NULL;
}

/* The conversation of the site this mail answers, or NULL. */
static char *
find_conversation (ConfabStore  *store,
                   const char   *site_id,
                   GMimeMessage *message,
                   const char   *sender)
{
  const char *in_reply_to = g_mime_object_get_header (GMIME_OBJECT (message), "In-Reply-To");
  const char *references = g_mime_object_get_header (GMIME_OBJECT (message), "References");
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *token = NULL;

  for (guint h = 0; h < 2; h++)
    {
      const char *header = h == 0 ? in_reply_to : references;
      GMimeReferences *refs = header != NULL ? g_mime_references_parse (NULL, header) : NULL;

      for (int i = 0; refs != NULL && i < g_mime_references_length (refs); i++)
        g_ptr_array_add (ids, g_strdup (g_mime_references_get_message_id (refs, i)));
      if (refs != NULL)
        g_mime_references_free (refs);
    }
  for (guint i = 0; i < ids->len; i++)
    {
      g_autofree char *conversation_id = confab_store_find_mail_thread (store, ids->pdata[i], NULL);
      g_autoptr (ConfabConversation) conversation = NULL;

      if (conversation_id == NULL)
        continue;
      conversation = confab_store_get_conversation (store, conversation_id, NULL);
      if (conversation != NULL && strcmp (conversation->site_id, site_id) == 0)
        return g_steal_pointer (&conversation_id);
    }

  /* a token joins only mail from the conversation's own sender: anyone may write the token */
  token = find_token (message);
  if (token != NULL && g_str_has_prefix (token, "conv_"))
    {
      g_autoptr (ConfabConversation) conversation = confab_store_get_conversation (store, token, NULL);
      g_autoptr (ConfabVisitor) visitor = NULL;

      if (conversation != NULL && strcmp (conversation->site_id, site_id) == 0)
        visitor = confab_store_get_visitor (store, conversation->visitor_id, NULL);
      if (visitor != NULL && visitor->email != NULL && g_ascii_strcasecmp (visitor->email, sender) == 0)
        return g_strdup (conversation->id);
    }
  return NULL;
}

typedef struct {
  const char *message_id;
  const char *conversation_id;
} ThreadRecord;

static gboolean
record_thread (ConfabStore  *store,
               gpointer      user_data,
               GError      **error)
{
  ThreadRecord *record = user_data;
  g_autofree char *marker = part_marker (record->message_id, -1);

  return confab_store_add_mail_thread (store, record->message_id, record->conversation_id, error) &&
         confab_store_add_mail_thread (store, marker, record->conversation_id, error);
}

/* A conversation of a sender's, in the e-mail channel: their visitor is the one that stands for
 * the address (meta's channel contacts, so that a sender's mails are one visitor's history),
 * made the first time they write. */
static char *
new_conversation (ConfabRelay  *relay,
                  const char   *site_id,
                  const char   *sender,
                  const char   *name,
                  GError      **error)
{
  ConfabStore *store = relay->store;
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (ConfabVisitor) touched = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabConversation) in_channel = NULL;
  g_autofree char *address = g_ascii_strdown (sender, -1);
  ConfabVisitorInfo info = { 0 };
  g_autoptr (GError) local_error = NULL;

  info.email = sender;
  info.name = name != NULL && *name != '\0' ? name : NULL;
  if (!confab_store_begin (store, error))
    return NULL;
  visitor = confab_store_find_channel_contact (store, site_id, CONFAB_CHANNEL_EMAIL, address,
                                               &local_error);
  /* nobody holds the new visitor's token: the sender writes by mail, never through the widget */
  if (visitor == NULL && local_error == NULL)
    visitor = confab_store_add_channel_contact (store, site_id, CONFAB_CHANNEL_EMAIL, address,
                                                info.name, &local_error);
  if (visitor == NULL ||
      (touched = confab_store_touch_visitor (store, visitor->id, &info, FALSE, &local_error)) == NULL ||
      (conversation = confab_store_create_conversation (store, site_id, visitor->id,
                                                        &local_error)) == NULL ||
      (in_channel = confab_store_set_conversation_channel (store, conversation->id,
                                                           CONFAB_CHANNEL_EMAIL, 0,
                                                           &local_error)) == NULL)
    {
      confab_store_rollback (store);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (!confab_store_commit (store, error))
    return NULL;
  return g_strdup (conversation->id);
}

/* --- pictures of a mail ---------------------------------------------------------------------- */

/* Markers in mail_threads, each written in the transaction of what it marks: the mail's text
 * ("ID#mail") and its picture number N ("ID#image-N"), so that a mail read again after a stop
 * or a failure gets only what is missing. A mail stored before the markers has neither. */
static char *
part_marker (const char *message_id,
             int         image)
{
  return image < 0 ? g_strdup_printf ("%s#mail", message_id)
                   : g_strdup_printf ("%s#image-%d", message_id, image);
}

static char *
importing_key (const char *site_id,
               const char *message_id)
{
  return g_strdup_printf ("%s %s", site_id, message_id);
}

/* The mail of @uid is stored in full: the site's next poll marks it seen. */
static void
stored_in_full (ConfabMailIn *mail_in,
                const char   *site_id,
                guint64       uid)
{
  GArray *see = g_hash_table_lookup (mail_in->see, site_id);

  if (see == NULL)
    {
      see = g_array_new (FALSE, FALSE, sizeof (guint64));
      g_hash_table_insert (mail_in->see, g_strdup (site_id), see);
    }
  /* once: a mail read again while its mark waits is not marked twice */
  for (guint i = 0; i < see->len; i++)
    if (g_array_index (see, guint64, i) == uid)
      return;
  g_array_append_val (see, uid);
}

/* The images of one stored mail, one after the other through the upload checks (a worker
 * thread each), each then a message of the sender's with it as attachment, after the mail's
 * text. */
typedef struct {
  ConfabMailIn *mail_in;      /* a reference: the relay may let go meanwhile */
  char         *site_id;
  char         *conversation_id;
  char         *visitor_id;
  char         *sender_name;
  char         *message_id;
  guint64       uid;
  GPtrArray    *images;       /* GBytes*, those not stored yet */
  GArray       *numbers;      /* guint: each one's place among the mail's pictures */
  guint         next;
  gboolean      failed;       /* one was not stored: the mail is read again */
} MailImages;

static void
mail_images_free (MailImages *images)
{
  mail_in_unref (images->mail_in);
  g_free (images->site_id);
  g_free (images->conversation_id);
  g_free (images->visitor_id);
  g_free (images->sender_name);
  g_free (images->message_id);
  g_ptr_array_unref (images->images);
  g_array_unref (images->numbers);
  g_free (images);
}

typedef struct {
  const char *upload_id;      /* NULL: a message saying the picture was refused */
  const char *conversation_id;
  const char *visitor_id;
  const char *marker;
} ImageClaim;

static gboolean
claim_image (ConfabStore  *store,
             gpointer      user_data,
             GError      **error)
{
  ImageClaim *claim = user_data;

  return (claim->upload_id == NULL ||
          confab_store_claim_upload (store, claim->upload_id, claim->conversation_id,
                                     claim->visitor_id, error)) &&
         confab_store_add_mail_thread (store, claim->marker, claim->conversation_id, error);
}

static void import_next_image (MailImages *images);

static void
image_imported (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  MailImages *images = user_data;
  ConfabRelay *relay = images->mail_in->relay;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) post_error = NULL;
  g_autofree char *upload_id = confab_uploads_import_image_finish (result, &error);
  g_autofree char *refused = NULL;
  g_autofree char *marker = part_marker (images->message_id,
                                         (int) g_array_index (images->numbers, guint, images->next - 1));
  g_autoptr (ConfabMessage) posted = NULL;
  ConfabMessageDraft draft = { 0 };
  ImageClaim claim = { upload_id, images->conversation_id, images->visitor_id, marker };

  if (relay == NULL)
    {
      mail_images_free (images);
      return;
    }
  draft.conversation_id = images->conversation_id;
  draft.sender_type = CONFAB_SENDER_VISITOR;
  draft.sender_id = images->visitor_id;
  draft.sender_name = images->sender_name;
  if (upload_id != NULL)
    {
      draft.attachment_id = upload_id;
      posted = confab_hub_post_message (relay->hub, &draft, NULL, claim_image, &claim, &post_error);
    }
  else if (error->domain == CONFAB_IMAGE_ERROR)
    {
      /* not a picture of ours (an SVG, a broken file): the agent hears that one came */
      refused = g_strdup_printf ("(a picture Confab could not take: %s)", error->message);
      draft.body = refused;
      posted = confab_hub_post_message (relay->hub, &draft, NULL, claim_image, &claim, &post_error);
    }
  else
    g_warning ("Mailbox of site %s: a picture of a mail in %s was not stored (read again later): %s",
               images->site_id, images->conversation_id, error->message);
  if (posted == NULL && post_error != NULL)
    g_warning ("Mailbox of site %s: a picture of a mail in %s was not stored (read again later): %s",
               images->site_id, images->conversation_id, post_error->message);
  if (posted == NULL)
    images->failed = TRUE;
  import_next_image (images);
}

static void
import_next_image (MailImages *images)
{
  ConfabMailIn *mail_in = images->mail_in;
  ConfabRelay *relay = mail_in->relay;

  if (relay != NULL && images->next >= images->images->len)
    {
      g_autofree char *key = importing_key (images->site_id, images->message_id);

      g_hash_table_remove (mail_in->importing, key);
      /* seen only now, by a poll right away */
      if (!images->failed)
        {
          stored_in_full (mail_in, images->site_id, images->uid);
          schedule_site (mail_in, images->site_id, 0);
        }
    }
  if (relay == NULL || images->next >= images->images->len)
    {
      mail_images_free (images);
      return;
    }
  confab_uploads_import_image_async (relay, images->site_id, images->visitor_id,
                                     g_ptr_array_index (images->images, images->next++), NULL,
                                     image_imported, images);
}

typedef enum {
  INGEST_DONE,      /* stored in full, or nothing to store: mark it seen */
  INGEST_PENDING,   /* its pictures are under way: seen when they are stored */
  INGEST_FAILED,    /* the store failed: read again later */
} IngestOutcome;

/* One fetched mail into the site's inbox. A mail read before (after a stop, a failed picture)
 * gets only what it does not have yet: never its text twice. */
static IngestOutcome
ingest (ConfabMailIn *mail_in,
        const char   *site_id,
        GBytes       *raw,
        guint64       uid,
        GError      **error)
{
  ConfabRelay *relay = mail_in->relay;
  ConfabStore *store = relay->store;
  g_autoptr (GMimeStream) stream = NULL;
  g_autoptr (GMimeParser) parser = NULL;
  g_autoptr (GMimeMessage) message = NULL;
  g_autoptr (ConfabMessage) posted = NULL;
  g_autofree char *message_id = NULL, *conversation_id = NULL, *text = NULL, *known = NULL;
  g_autofree char *key = NULL;
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (GPtrArray) images = NULL;
  g_autoptr (GPtrArray) missing = NULL;
  g_autoptr (GArray) numbers = NULL;
  InternetAddressList *from;
  InternetAddress *address = NULL;
  const char *sender = NULL, *name = NULL, *reason;
  ConfabMessageDraft draft = { 0 };
  ThreadRecord record;
  gboolean again = FALSE;   /* its text is stored: read before */
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (raw, &size);

  stream = g_mime_stream_mem_new_with_buffer ((const char *) data, size);
  parser = g_mime_parser_new_with_stream (stream);
  message = g_mime_parser_construct_message (parser, NULL);
  if (message == NULL)
    {
      g_message ("Mailbox of site %s: a mail that is not one was left out", site_id);
      return INGEST_DONE;
    }

  if ((reason = automatic_reason (message)) != NULL)
    {
      g_message ("Mailbox of site %s: an automatic mail (%s) was left out", site_id, reason);
      return INGEST_DONE;
    }
  from = g_mime_message_get_from (message);
  if (from != NULL && internet_address_list_length (from) > 0)
    address = internet_address_list_get_address (from, 0);
  if (address != NULL && INTERNET_ADDRESS_IS_MAILBOX (address))
    {
      sender = internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (address));
      name = internet_address_get_name (address);
    }
  if (sender == NULL || !confab_config_valid_mail_address (sender) ||
      g_ascii_strcasecmp (sender, relay->config->from_address) == 0)
    {
      g_message ("Mailbox of site %s: a mail without a usable sender was left out", site_id);
      return INGEST_DONE;
    }

  /* the same mail twice (fetched again after a crash, or sent to two addresses) is one */
  message_id = g_strdup (g_mime_message_get_message_id (message));
  if (message_id == NULL)
    {
      g_autofree char *digest = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, raw);

      message_id = g_strdup_printf ("%s@confab.invalid", digest);
    }
  key = importing_key (site_id, message_id);
  if (g_hash_table_contains (mail_in->importing, key))
    return INGEST_PENDING;
  known = confab_store_find_mail_thread (store, message_id, error);
  if (known == NULL && error != NULL && *error != NULL)
    return INGEST_FAILED;
  if (known != NULL)
    {
      g_autofree char *marker = part_marker (message_id, -1);
      g_autofree char *marked = confab_store_find_mail_thread (store, marker, error);

      if (marked == NULL)
        /* stored before the markers, or a relay's own mail read back: nothing is missing */
        return error != NULL && *error != NULL ? INGEST_FAILED : INGEST_DONE;
      conversation_id = g_steal_pointer (&known);
      again = TRUE;
    }
  else
    {
      conversation_id = find_conversation (store, site_id, message, sender);
      if (conversation_id == NULL &&
          ((conversation_id = new_conversation (relay, site_id, sender, name, error)) == NULL ||
           !confab_hub_announce_conversation (relay->hub, conversation_id, error)))
        return INGEST_FAILED;
    }
  {
    g_autoptr (ConfabConversation) conversation = confab_store_get_conversation (store, conversation_id, error);

    if (conversation == NULL)
      return INGEST_FAILED;
    visitor = confab_store_get_visitor (store, conversation->visitor_id, error);
    if (visitor == NULL)
      return INGEST_FAILED;
  }

  images = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  text = mail_text (message, images);
  draft.conversation_id = conversation_id;
  draft.sender_type = CONFAB_SENDER_VISITOR;
  draft.sender_id = visitor->id;
  draft.sender_name = name != NULL && *name != '\0' ? name : visitor->name;
  draft.body = text;
  record.message_id = message_id;
  record.conversation_id = conversation_id;
  missing = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  numbers = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < images->len; i++)
    {
      g_autofree char *marker = part_marker (message_id, (int) i);
      g_autofree char *stored = NULL;

      if (again && (stored = confab_store_find_mail_thread (store, marker, error)) != NULL)
        continue;
      if (error != NULL && *error != NULL)
        return INGEST_FAILED;
      g_ptr_array_add (missing, g_bytes_ref (g_ptr_array_index (images, i)));
      g_array_append_val (numbers, i);
    }
  /* the text only the first time */
  if (!again)
    {
      g_autoptr (ConfabConversation) conversation = NULL;

      posted = confab_hub_post_message (relay->hub, &draft, NULL, record_thread, &record, error);
      if (posted == NULL)
        return INGEST_FAILED;
      /* the FAQ bot (or the assistant) answers it by mail, as it would in the widget */
      conversation = confab_store_get_conversation (store, conversation_id, NULL);
      if (conversation != NULL)
        confab_faq_after_visitor_message (relay, conversation, posted);
    }
  if (missing->len == 0)
    return INGEST_DONE;

  {
    MailImages *pictures = g_new0 (MailImages, 1);

    g_atomic_ref_count_inc (&mail_in->ref);
    pictures->mail_in = mail_in;
    pictures->site_id = g_strdup (site_id);
    pictures->conversation_id = g_strdup (conversation_id);
    pictures->visitor_id = g_strdup (visitor->id);
    pictures->sender_name = g_strdup (draft.sender_name);
    pictures->message_id = g_strdup (message_id);
    pictures->uid = uid;
    pictures->images = g_steal_pointer (&missing);
    pictures->numbers = g_steal_pointer (&numbers);
    g_hash_table_add (mail_in->importing, g_steal_pointer (&key));
    import_next_image (pictures);
  }
  return INGEST_PENDING;
}

/* How long a mailbox waits for its next poll. Test builds only: CONFAB_TEST_MAIL_POLL_MS
 * shortens every site's interval (at least 30 s otherwise), so that a test of a server without
 * IDLE sees the timer's poll without waiting half a minute. */
static guint
poll_interval_ms (guint poll_seconds)
{
#if CONFAB_TEST_HOOKS
  static gint64 test_ms = -1;

  if (test_ms < 0)
    {
      const char *value = g_getenv ("CONFAB_TEST_MAIL_POLL_MS");

      test_ms = value != NULL ? CLAMP (g_ascii_strtoll (value, NULL, 10), 0, G_MAXINT) : 0;
      if (test_ms > 0)
        g_message ("Mailboxes are polled every %" G_GINT64_FORMAT " ms (CONFAB_TEST_MAIL_POLL_MS)",
                   test_ms);
    }
  if (test_ms > 0)
    return (guint) test_ms;
#endif
  return poll_seconds * 1000;
}

/* --- polling ---------------------------------------------------------------------------------- */

typedef struct {
  ConfabMailIn *mail_in;
  char         *site_id;
} Due;

static void
due_free (Due *due)
{
  g_free (due->site_id);
  g_free (due);
}

static gboolean
timer_fired (gpointer user_data)
{
  Due *due = user_data;
  ConfabMailIn *mail_in = due->mail_in;

  g_hash_table_remove (mail_in->timers, due->site_id);
  if (g_queue_find_custom (&mail_in->due, due->site_id, (GCompareFunc) g_strcmp0) == NULL)
    g_queue_push_tail (&mail_in->due, g_strdup (due->site_id));
  poll_next (mail_in);
  return G_SOURCE_REMOVE;
}

static void
schedule_site (ConfabMailIn *mail_in,
               const char   *site_id,
               guint         delay_ms)
{
  Due *due = g_new0 (Due, 1);
  gpointer source;

  /* one timer per site: a poll asked for while another was under way must not leave two */
  if (g_hash_table_lookup_extended (mail_in->timers, site_id, NULL, &source))
    g_source_remove (GPOINTER_TO_UINT (source));
  due->mail_in = mail_in;
  due->site_id = g_strdup (site_id);
  source = GUINT_TO_POINTER (g_timeout_add_full (G_PRIORITY_DEFAULT, delay_ms, timer_fired, due,
                                                (GDestroyNotify) due_free));
  g_hash_table_replace (mail_in->timers, g_strdup (site_id), source);
}

static void
poll_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  ConfabMailIn *mail_in = user_data;
  PollJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (ConfabEmailChannel) channel = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *last_error = g_strdup (job->error);
  guint delay_s, stored = 0;
  GArray *see;

  mail_in->polling = FALSE;
  if (mail_in->relay == NULL)
    {
      mail_in_unref (mail_in);
      return;
    }

  /* the marks this poll could not make are made by the next */
  for (guint i = 0; i < job->see->len; i++)
    stored_in_full (mail_in, job->site_id, g_array_index (job->see, guint64, i));
  for (guint i = 0; i < job->mails->len; i++)
    {
      g_autoptr (GError) ingest_error = NULL;
      guint64 uid = g_array_index (job->uids, guint64, i);

      switch (ingest (mail_in, job->site_id, g_ptr_array_index (job->mails, i), uid, &ingest_error))
        {
        case INGEST_DONE:
          stored_in_full (mail_in, job->site_id, uid);
          stored++;
          break;
        case INGEST_PENDING:
          stored++;
          break;
        case INGEST_FAILED:
        default:
          /* addresses and ids only, never the mail */
          g_warning ("Mailbox of site %s: a mail could not be stored: %s", job->site_id,
                     ingest_error != NULL ? ingest_error->message : "?");
          if (last_error == NULL)
            last_error = g_strdup ("A mail could not be stored; the next poll reads it again");
          break;
        }
    }
  if (job->error != NULL)
    g_message ("Mailbox of site %s: %s", job->site_id, job->error);

  channel = confab_store_get_email_channel (mail_in->relay->store, job->site_id, &error);
  if (channel != NULL)
    {
      if (!confab_store_email_channel_polled (mail_in->relay->store, job->site_id, confab_now_ms (),
                                              last_error, &error))
        g_warning ("Cannot record the poll of site %s's mailbox: %s", job->site_id, error->message);
      delay_s = channel->enabled ? channel->poll_seconds : 0;
      see = g_hash_table_lookup (mail_in->see, job->site_id);
      /* a full batch: more are waiting, read them now; mails stored now are marked seen now —
       * not when marking failed (a read-only mailbox): that would poll again and again */
      if (delay_s > 0)
        schedule_site (mail_in, job->site_id,
                       stored > 0 && job->see->len == 0 &&
                       (job->mails->len >= MAIL_IN_BATCH || (see != NULL && see->len > 0))
                       ? 0 : poll_interval_ms (delay_s));
    }

  poll_next (mail_in);
  mail_in_unref (mail_in);
}

/* imaps:// is TLS from the start; imap:// must upgrade, unless the operator allows it not to */
static gboolean
require_tls (ConfabMailIn             *mail_in,
             const ConfabEmailChannel *channel)
{
  return g_str_has_prefix (channel->imap_url, "imap://") && !mail_in->relay->config->allow_insecure_imap;
}

static void
poll_next (ConfabMailIn *mail_in)
{
  g_autofree char *site_id = NULL;
  g_autoptr (ConfabEmailChannel) channel = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GTask) task = NULL;
  PollJob *job;

  if (mail_in->relay == NULL || mail_in->polling)
    return;
  while ((site_id = g_queue_pop_head (&mail_in->due)) != NULL)
    {
      channel = confab_store_get_email_channel (mail_in->relay->store, site_id, &error);
      if (channel != NULL && channel->enabled)
        break;
      if (error != NULL)
        {
          g_warning ("Cannot read site %s's mailbox: %s", site_id, error->message);
          schedule_site (mail_in, site_id, RETRY_AFTER_STORE_ERROR_S * 1000);
          g_clear_error (&error);
        }
      g_clear_pointer (&site_id, g_free);
    }
  if (channel == NULL)
    return;

  job = g_new0 (PollJob, 1);
  job->site_id = g_strdup (site_id);
  job->url = g_strdup (channel->imap_url);
  job->user = g_strdup (channel->imap_user);
  job->password = g_strdup (channel->imap_password);
  job->require_tls = require_tls (mail_in, channel);
  job->mails = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  job->uids = g_array_new (FALSE, FALSE, sizeof (guint64));
  {
    g_autofree char *key = NULL;

    if (!g_hash_table_steal_extended (mail_in->see, site_id, (gpointer *) &key, (gpointer *) &job->see))
      job->see = g_array_new (FALSE, FALSE, sizeof (guint64));
  }

  mail_in->polling = TRUE;
  g_atomic_ref_count_inc (&mail_in->ref);
  task = g_task_new (NULL, NULL, poll_done, mail_in);
  g_task_set_source_tag (task, poll_next);
  g_task_set_task_data (task, job, (GDestroyNotify) poll_job_free);
  g_task_run_in_thread (task, poll_thread);
}

/* --- IMAP IDLE -------------------------------------------------------------------------------- */

static void
idle_event (const char          *site_id,
            ConfabMailIdleEvent  event,
            gpointer             user_data)
{
  ConfabMailIn *mail_in = user_data;

  /* ready: what came while nobody was idling is read now; the poll timer stays as it is, the
   * fallback whenever IDLE is cut or missing */
  if (event == CONFAB_MAIL_IDLE_READY || event == CONFAB_MAIL_IDLE_NEW_MAIL)
    schedule_site (mail_in, site_id, 0);
}

/* Waits on @channel's mailbox with IDLE (instead of any earlier watch), while it is enabled. */
static void
watch_site (ConfabMailIn             *mail_in,
            const char               *site_id,
            const ConfabEmailChannel *channel)
{
  g_hash_table_remove (mail_in->idlers, site_id);
  if (channel == NULL || !channel->enabled)
    return;
  g_hash_table_replace (mail_in->idlers, g_strdup (site_id),
                        confab_mail_idle_start (site_id, channel->imap_url, channel->imap_user,
                                                channel->imap_password,
                                                require_tls (mail_in, channel), idle_event, mail_in));
}

ConfabMailIn *
confab_mail_in_new (ConfabRelay *relay)
{
  ConfabMailIn *mail_in = g_new0 (ConfabMailIn, 1);
  g_autoptr (GPtrArray) channels = NULL;
  g_autoptr (GError) error = NULL;

  g_atomic_ref_count_init (&mail_in->ref);
  mail_in->relay = relay;
  mail_in->timers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  mail_in->see = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) g_array_unref);
  mail_in->importing = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  mail_in->idlers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) confab_mail_idle_stop);
  g_queue_init (&mail_in->due);

  channels = confab_store_list_email_channels (relay->store, &error);
  if (channels == NULL)
    {
      g_warning ("Cannot list the sites' mailboxes: %s", error->message);
      return mail_in;
    }
  for (guint i = 0; i < channels->len; i++)
    {
      ConfabEmailChannel *channel = g_ptr_array_index (channels, i);
      gint64 interval = poll_interval_ms (channel->poll_seconds);
      gint64 wait = channel->last_polled_at + interval - confab_now_ms ();

      schedule_site (mail_in, channel->site_id, (guint) CLAMP (wait, 0, interval));
      watch_site (mail_in, channel->site_id, channel);
    }
  return mail_in;
}

void
confab_mail_in_free (ConfabMailIn *mail_in)
{
  GHashTableIter iter;
  gpointer source;

  if (mail_in == NULL)
    return;
  g_hash_table_iter_init (&iter, mail_in->timers);
  while (g_hash_table_iter_next (&iter, NULL, &source))
    g_source_remove (GPOINTER_TO_UINT (source));
  g_hash_table_remove_all (mail_in->timers);
  g_hash_table_remove_all (mail_in->idlers);
  mail_in->relay = NULL;
  mail_in_unref (mail_in);
}

void
confab_mail_in_changed (ConfabMailIn *mail_in,
                        const char   *site_id)
{
  g_autoptr (ConfabEmailChannel) channel = NULL;
  g_autoptr (GError) error = NULL;

  if (mail_in == NULL || mail_in->relay == NULL)
    return;
  /* poll_next () skips a site whose mailbox is gone or off */
  schedule_site (mail_in, site_id, 0);
  channel = confab_store_get_email_channel (mail_in->relay->store, site_id, &error);
  if (error != NULL)
    g_warning ("Cannot read site %s's mailbox: %s", site_id, error->message);
  watch_site (mail_in, site_id, channel);
}

gboolean
confab_mail_in_idling (ConfabMailIn *mail_in,
                       const char   *site_id)
{
  return mail_in != NULL && confab_mail_idle_active (g_hash_table_lookup (mail_in->idlers, site_id));
}
