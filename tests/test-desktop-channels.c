/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-desktop-channels.c: issue 15 in the real app, against a real relay under Xvfb with fatal
 * criticals and real X input (xdotool): the settings area's API keys page (a key created with
 * its scopes is shown once and copied; it works on the relay; revoked, it does not) and its
 * Webhooks page (the signing secret shown once, turned off and on, the delivery log); a Messenger
 * conversation against a stand-in for the Send API (typing, "Send Again", a dropped picture).
 *
 * The relay side of issue 15 is built on other branches at the same time (email, meta, hooks):
 * each test skips, saying so, on a relay without its endpoints. */
#define G_LOG_DOMAIN "test-desktop-channels"

#include <string.h>

#include "confab-account-page.h"
#include "confab-api-keys-page.h"
#include "confab-channels-page.h"
#include "confab-webhooks-page.h"
#include "confab-cache.h"
#include "confab-chat-view.h"
#include "confab-conversation-row.h"
#include "test-desktop-app-util.h"

static GtkWindow *
open_settings (App       *app,
               GtkWidget *page)
{
  GtkWidget *window = adw_preferences_window_new ();

  gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (app->window));
  gtk_window_set_default_size (GTK_WINDOW (window), 820, 640);
  adw_preferences_window_set_search_enabled (ADW_PREFERENCES_WINDOW (window), FALSE);
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (window), ADW_PREFERENCES_PAGE (page));
  gtk_window_present (GTK_WINDOW (window));
  main_window = window;
  x_focus (GTK_WINDOW (window));
  return GTK_WINDOW (window);
}

static GtkWidget *
page_for (GtkWidget  *page,
          const char *site_id)
{
  g_object_set (page, "site-id", site_id, NULL);
  return page;
}

static void
start_app (App       *app,
           TestWorld *world)
{
  app_start (app, world->relay, FALSE);
  app_activate (app);
  sign_in (app, world->relay, world->email, world->password);
}

/* Whether the relay serves @path (GET) to the owner: else the test skips with @why. */
static gboolean
relay_serves (TestWorld  *world,
              const char *rest,
              const char *why)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/%s", world->site_id, rest);
  g_autoptr (TestResponse) probe = test_http (world->relay, "GET", path, world->token, NULL, NULL);

  if (probe->status == 200)
    return TRUE;
  test_harness_skip (why);
  return FALSE;
}

/* A visible widget named @name in any window. */
static GtkWidget *
find_anywhere (const char *name)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWidget) window = g_list_model_get_item (toplevels, i);
      GtkWidget *found;

      if (!gtk_widget_get_visible (window))
        continue;
      found = find_named (window, name);
      if (found != NULL && gtk_widget_get_mapped (found))
        return found;
    }
  return NULL;
}

static gboolean
shown_anywhere (gpointer data)
{
  return find_anywhere (data) != NULL;
}

static gboolean
gone_everywhere (gpointer data)
{
  return find_anywhere (data) == NULL;
}

static GtkWidget *
wait_shown (const char *name)
{
  wait_until (name, shown_anywhere, (gpointer) name);
  settle (100);
  return find_anywhere (name);
}

/* A button labelled @label (a dialog's response) under @root. */
static GtkWidget *
find_button (GtkWidget  *root,
             const char *label)
{
  if (GTK_IS_BUTTON (root) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (root)), label) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button (child, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
click_middle (GtkWidget *widget)
{
  x_click (widget, gtk_widget_get_width (widget) / 2.0, gtk_widget_get_height (widget) / 2.0);
}

typedef struct {
  GtkWidget  *widget;
  const char *text;
} Typed;

static gboolean
has_typed (gpointer data)
{
  Typed *t = data;
  g_autofree char *text = NULL;

  if (GTK_IS_TEXT_VIEW (t->widget))
    {
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (t->widget));
      GtkTextIter start, end;

      gtk_text_buffer_get_bounds (buffer, &start, &end);
      text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
    }
  else
    text = g_strdup (gtk_editable_get_text (GTK_EDITABLE (t->widget)));
  return strstr (text, t->text) != NULL;
}

/* Clicks @widget and types @text into it (a final newline is typed as Return, after the rest
 * arrived). */
static void
type_into (GtkWidget  *widget,
           const char *text)
{
  g_autofree char *line = g_strdup (text);
  gboolean enter = g_str_has_suffix (line, "\n");
  Typed t = { widget, line };

  if (enter)
    line[strlen (line) - 1] = '\0';
  click_middle (widget);
  x_type_text (line);
  wait_until ("the typed text", has_typed, &t);
  if (enter)
    x_key ("Return");
}

/* Clicks the response @label of the dialog named @dialog_name. */
static void
respond (const char *dialog_name,
         const char *label)
{
  GtkWidget *dialog = wait_shown (dialog_name);
  GtkWidget *button = find_button (dialog, label);

  g_assert_nonnull (button);
  x_focus (GTK_WINDOW (dialog));
  click_middle (button);
}

/* The row named @row_name's child named @child_name. */
static GtkWidget *
in_row (const char *row_name,
        const char *child_name)
{
  GtkWidget *row = wait_shown (row_name);

  return find_named (row, child_name);
}

static gboolean
group_says (gpointer data)
{
  GtkWidget *group = find_anywhere ("api-keys-group");

  return group != NULL && adw_preferences_group_get_description (ADW_PREFERENCES_GROUP (group)) != NULL &&
         strstr (adw_preferences_group_get_description (ADW_PREFERENCES_GROUP (group)), data) != NULL;
}

static void
check (GtkWidget *root,
       const char *name,
       gboolean    active)
{
  GtkWidget *button = find_named (root, name);

  g_assert_nonnull (button);
  if (gtk_check_button_get_active (GTK_CHECK_BUTTON (button)) != active)
    click_middle (button);
}

static char *
clipboard_text (GtkWidget *widget)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (widget);
  GdkContentProvider *content = gdk_clipboard_get_content (clipboard);
  GValue value = G_VALUE_INIT;
  char *text = NULL;

  g_value_init (&value, G_TYPE_STRING);
  if (content != NULL && gdk_content_provider_get_value (content, &value, NULL))
    text = g_value_dup_string (&value);
  g_value_unset (&value);
  return text;
}

/* ----------------------------------------------------------- API keys --- */

typedef struct {
  TestRelay  *relay;
  const char *key;
  const char *path;
  guint       status;
} KeyCall;

static gboolean
key_answers (gpointer data)
{
  KeyCall *k = data;
  g_autoptr (TestResponse) response = test_http (k->relay, "GET", k->path, k->key, NULL, NULL);

  return response->status == k->status;
}

/* A key made in the page (only "read conversations"): shown once with a Copy button (a real
 * click puts it in the clipboard), listed with its prefix and scopes; it reads the site's
 * conversations on the relay and may not post; revoked (confirmed), the relay refuses it. */
static void
test_api_keys (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autofree char *key = NULL;
  g_autofree char *copied = NULL;
  g_autofree char *list_path = NULL;
  GtkWindow *prefs;
  GtkWidget *dialog, *row;
  App app = { 0 };
  KeyCall k;

  if (!relay_serves (world, "api-keys", "the relay has no API keys yet (issue 15, hooks branch)"))
    return;
  start_app (&app, world);
  prefs = open_settings (&app, page_for (confab_api_keys_page_new (client_of (&app)), world->site_id));
  wait_until ("the empty list", group_says, (gpointer) "None yet");
  click_middle (wait_shown ("api-keys-add-button"));
  dialog = wait_shown ("edit-dialog");
  type_into (find_named (dialog, "api-key-name-entry"), "Back office");
  check (dialog, "api-key-scope-read", TRUE);
  check (dialog, "api-key-scope-write", FALSE);
  settle (100);
  g_free (save_screenshot (dialog, "settings-api-key-new"));
  respond ("edit-dialog", "C_reate");

  dialog = wait_shown ("secret-dialog");
  key = g_strdup (gtk_label_get_text (GTK_LABEL (find_named (dialog, "secret-value"))));
  g_assert_true (g_str_has_prefix (key, "cfk_"));
  x_focus (GTK_WINDOW (dialog));
  click_middle (find_named (dialog, "secret-copy"));
  settle (200);
  copied = clipboard_text (dialog);
  g_assert_cmpstr (copied, ==, key);
  g_free (save_screenshot (dialog, "settings-api-key-shown-once"));
  respond ("secret-dialog", "_Done");
  wait_until ("the secret dialog closed", gone_everywhere, "secret-dialog");

  row = wait_shown ("api-key-Back office");
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "read conversations"));
  g_assert_null (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "write messages"));
  g_free (save_screenshot (GTK_WIDGET (prefs), "settings-api-keys"));

  /* the key works for what it was given */
  list_path = g_strdup_printf ("/api/v1/sites/%s/conversations", world->site_id);
  k = (KeyCall) { world->relay, key, list_path, 200 };
  wait_until ("the key reads conversations", key_answers, &k);

  /* revoked: refused at once */
  click_middle (in_row ("api-key-Back office", "api-key-revoke"));
  respond ("confirm-dialog", "_Revoke");
  wait_until ("its row gone", gone_everywhere, "api-key-Back office");
  k.status = 401;
  wait_until ("the revoked key refused", key_answers, &k);

  gtk_window_destroy (prefs);
  app_stop (&app);
}

/* ----------------------------------------------------------- webhooks --- */

static JsonObject *
relay_webhook (TestWorld *world)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/webhooks", world->site_id);
  g_autoptr (TestResponse) response = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  JsonArray *list = test_obj_array (test_response_object (response), "webhooks");

  if (json_array_get_length (list) != 1)
    return NULL;
  return json_object_ref (json_array_get_object_element (list, 0));
}

typedef struct {
  TestWorld *world;
  gboolean   enabled;
} Hook;

static gboolean
webhook_enabled_is (gpointer data)
{
  Hook *h = data;
  g_autoptr (JsonObject) hook = relay_webhook (h->world);

  return hook != NULL && json_object_get_boolean_member (hook, "enabled") == h->enabled;
}

/* A webhook added in the page (to a loopback receiver: the test relay allows private
 * addresses) with two events: the secret is shown once; the relay has it with those events;
 * the switch turns it off and on; the delivery log opens; a delete (confirmed) removes it. */
static void
test_webhooks (void)
{
  g_autoptr (TestWorld) world = test_world_new ("[webhooks]\nallow-private=true\n",
                                                TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autoptr (JsonObject) hook = NULL;
  GtkWindow *prefs;
  GtkWidget *dialog, *toggle;
  App app = { 0 };
  Hook h = { world, FALSE };

  if (!relay_serves (world, "webhooks", "the relay has no webhooks yet (issue 15, hooks branch)"))
    return;
  start_app (&app, world);
  prefs = open_settings (&app, page_for (confab_webhooks_page_new (client_of (&app)), world->site_id));
  click_middle (wait_shown ("webhooks-add-button"));
  dialog = wait_shown ("edit-dialog");
  type_into (find_named (dialog, "webhook-url-entry"), "http://127.0.0.1:9/hook");
  check (dialog, "webhook-event-created", TRUE);
  check (dialog, "webhook-event-resolved", FALSE);
  check (dialog, "webhook-event-message", TRUE);
  check (dialog, "webhook-event-rating", FALSE);
  respond ("edit-dialog", "_Add");
  dialog = wait_shown ("secret-dialog");
  g_assert_cmpuint (strlen (gtk_label_get_text (GTK_LABEL (find_named (dialog, "secret-value")))), >=, 16);
  respond ("secret-dialog", "_Done");
  wait_until ("the secret dialog closed", gone_everywhere, "secret-dialog");

  hook = relay_webhook (world);
  g_assert_nonnull (hook);
  g_assert_cmpstr (test_obj_string (hook, "url"), ==, "http://127.0.0.1:9/hook");
  g_assert_cmpuint (json_array_get_length (test_obj_array (hook, "events")), ==, 2);
  g_assert_false (json_object_has_member (hook, "secret"));
  wait_shown ("webhook-row");
  g_free (save_screenshot (GTK_WIDGET (prefs), "settings-webhooks"));

  /* off, then on again */
  toggle = in_row ("webhook-row", "webhook-enabled");
  click_middle (toggle);
  h.enabled = FALSE;
  wait_until ("the webhook off on the relay", webhook_enabled_is, &h);
  toggle = in_row ("webhook-row", "webhook-enabled");
  click_middle (toggle);
  h.enabled = TRUE;
  wait_until ("the webhook on again", webhook_enabled_is, &h);

  /* the delivery log */
  click_middle (in_row ("webhook-row", "webhook-deliveries"));
  wait_shown ("deliveries-dialog");
  respond ("deliveries-dialog", "_Close");
  wait_until ("the log closed", gone_everywhere, "deliveries-dialog");

  click_middle (in_row ("webhook-row", "webhook-delete"));
  respond ("confirm-dialog", "_Delete");
  wait_until ("its row gone", gone_everywhere, "webhook-row");

  gtk_window_destroy (prefs);
  app_stop (&app);
}

/* ----------------------------------------------------------- channels --- */

typedef struct {
  TestWorld  *world;
  const char *path;
  const char *member;
  gboolean    value;
} Flag;

static gboolean
relay_flag_is (gpointer data)
{
  Flag *f = data;
  g_autoptr (TestResponse) response = test_http (f->world->relay, "GET", f->path, f->world->token, NULL, NULL);
  JsonObject *object;

  if (response->status != 200)
    return FALSE;
  object = test_response_object (response);
  if (json_object_has_member (object, "user") && g_str_equal (f->path, "/api/v1/me"))
    object = json_object_get_object_member (object, "user");
  return json_object_has_member (object, f->member) &&
         json_object_get_boolean_member (object, f->member) == f->value;
}

typedef struct {
  const char *name;
  const char *text;
} RowText;

static gboolean
row_says (gpointer data)
{
  RowText *r = data;
  GtkWidget *row = find_anywhere (r->name);

  return row != NULL && g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), r->text) == 0;
}

/* The Messenger form: the Page's id, its token and the app secret (write-only) and the verify
 * token saved on the relay, which answers has_… and never the secrets; the page shows "set",
 * and the webhook URL with a Copy button (a real click: the clipboard has it). */
static void
test_channels_page (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/channels/messenger", world->site_id);
  g_autoptr (TestResponse) saved = NULL;
  g_autofree char *copied = NULL;
  GtkWindow *prefs;
  GtkWidget *dialog, *copy;
  App app = { 0 };
  Flag f = { world, path, "has_page_access_token", TRUE };
  RowText r = { "messenger-page_access_token", "set" };

  if (!relay_serves (world, "channels/messenger", "the relay has no Messenger channel yet (issue 15, meta branch)"))
    return;
  start_app (&app, world);
  prefs = open_settings (&app, page_for (confab_channels_page_new (client_of (&app)), world->site_id));
  r = (RowText) { "messenger-page_access_token", "not set" };
  wait_until ("the token not set", row_says, &r);
  click_middle (wait_shown ("channel-messenger-edit"));
  dialog = wait_shown ("edit-dialog");
  check (dialog, "enabled", TRUE);
  type_into (find_named (dialog, "page_id"), "1045550001");
  type_into (find_named (dialog, "page_access_token"), "EAAB-page-token-for-tests");
  type_into (find_named (dialog, "app_secret"), "app-secret-for-tests");
  type_into (find_named (dialog, "verify_token"), "verify-me");
  respond ("edit-dialog", "_Save");
  wait_until ("the token on the relay", relay_flag_is, &f);
  saved = test_http (world->relay, "GET", path, world->token, NULL, NULL);
  {
    g_autofree char *body = g_strndup (g_bytes_get_data (saved->body, NULL), g_bytes_get_size (saved->body));

    /* write-only: never given back */
    g_assert_null (strstr (body, "EAAB-page-token-for-tests"));
    g_assert_null (strstr (body, "app-secret-for-tests"));
  }
  g_assert_cmpstr (test_obj_string (test_response_object (saved), "page_id"), ==, "1045550001");
  r = (RowText) { "messenger-page_access_token", "set" };
  wait_until ("the token shown as set", row_says, &r);
  copy = in_row ("messenger-webhook-url", "webhook-url-copy");
  click_middle (copy);
  settle (200);
  copied = clipboard_text (copy);
  g_assert_cmpstr (copied, ==, test_obj_string (test_response_object (saved), "webhook_url"));
  g_free (save_screenshot (GTK_WIDGET (prefs), "settings-channels"));
  gtk_window_destroy (prefs);
  app_stop (&app);
}

/* The account's e-mail notifications switch: on by default, a real click turns it off on the
 * relay. */
static void
test_email_notifications (void)
{
  g_autoptr (TestWorld) world = test_world_new (NULL, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  GtkWindow *prefs;
  GtkWidget *toggle;
  App app = { 0 };
  Flag f = { world, "/api/v1/me", "email_notifications", TRUE };

  if (!relay_flag_is (&f))
    {
      test_harness_skip ("the relay has no e-mail notifications yet (issue 15, email branch)");
      return;
    }
  start_app (&app, world);
  prefs = open_settings (&app, confab_account_page_new (client_of (&app)));
  toggle = wait_shown ("email-notifications-switch");
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (toggle)));
  click_middle (toggle);
  f.value = FALSE;
  wait_until ("off on the relay", relay_flag_is, &f);
  gtk_window_destroy (prefs);
  app_stop (&app);
}

/* ----------------------------------------------------------- WhatsApp --- */

#define APP_SECRET "whatsapp-app-secret-for-tests"
#define PLATFORM_ERROR "(#131047) Re-engagement message: more than 24 hours have passed"

/* A stand-in for the Graph API that refuses every send as Meta does outside the window. */
static void
graph_refuses (SoupServer        *server,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  static const char answer[] =
    "{\"error\":{\"message\":\"" PLATFORM_ERROR "\",\"type\":\"OAuthException\",\"code\":131047}}";

  soup_server_message_set_status (msg, 400, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, answer, strlen (answer));
}

static gboolean
row_channel_is (gpointer data)
{
  AppText *at = ((gpointer *) data)[0];
  GtkWidget *row = conversation_row (at->app, at->text);

  return row != NULL && g_strcmp0 (confab_conversation_row_get_channel (CONFAB_CONVERSATION_ROW (row)),
                                   ((gpointer *) data)[1]) == 0;
}

static gboolean
picker_has_templates (gpointer data)
{
  GtkWidget *picker = find_named (data, "template-picker");

  return picker != NULL && gtk_widget_get_mapped (picker) &&
         g_list_model_get_n_items (gtk_drop_down_get_model (GTK_DROP_DOWN (picker))) == 1;
}

static gboolean
has_width (gpointer data)
{
  return gtk_widget_get_width (data) > 0;
}

/* A mapped label named @name under @root says @text (list rows are recycled: hidden ones hold
 * old texts). */
static gboolean
mapped_label_says (GtkWidget  *root,
                   const char *name,
                   const char *text)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0 && gtk_widget_get_mapped (root) &&
      strstr (gtk_label_get_text (GTK_LABEL (root)), text) != NULL)
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (mapped_label_says (child, name, text))
      return TRUE;
  return FALSE;
}

static gboolean
delivery_failed_shown (gpointer data)
{
  return mapped_label_says (data, "message-delivery-error", "Re-engagement message");
}

static gboolean
outbox_failed (gpointer data)
{
  ConfabCache *cache = confab_account_get_cache (confab_window_get_account (((App *) data)->window));
  g_autoptr (GPtrArray) queued = confab_cache_outbox_list (cache);

  return confab_cache_outbox_length (cache) == 1 && queued->len == 0;
}

typedef struct {
  TestWorld  *world;
  const char *id;
} Offline;

/* The agent's message in conversation @id is there on the relay with its delivery failed. */
static gboolean
relay_template_failed (gpointer data)
{
  Offline *o = data;
  g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s/messages", o->id);
  g_autoptr (TestResponse) response = test_http (o->world->relay, "GET", path, o->world->token, NULL, NULL);
  JsonArray *messages;

  if (response->status != 200)
    return FALSE;
  messages = test_obj_array (test_response_object (response), "messages");
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *m = json_array_get_object_element (messages, i);

      if (g_strcmp0 (test_obj_string (m, "sender.type"), "agent") == 0 &&
          json_object_has_member (m, "delivery") && !json_object_get_null_member (m, "delivery"))
        {
          return g_strcmp0 (test_obj_string (m, "delivery.status"), "failed") == 0;
        }
    }
  return FALSE;
}

/* A WhatsApp customer who wrote 25 hours ago: their conversation has the WhatsApp badge in the
 * inbox and in the header; the composer says the window closed and offers the site's template;
 * a plain reply is refused (the outbox entry fails, nothing is retried); the template sent with
 * a real click reaches the platform, whose refusal (a stand-in answering 400) shows under the
 * message with its words. */
static void
test_whatsapp_window (void)
{
  g_autoptr (SoupServer) graph = soup_server_new (NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (TestWorld) world = NULL;
  g_autoptr (TestResponse) response = NULL;
  g_autofree char *config = NULL;
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;
  g_autofree char *signature = NULL;
  g_autofree char *hex = NULL;
  g_autofree char *conversation_id = NULL;
  GSList *uris;
  GtkWidget *root, *send;
  App app = { 0 };
  AppText at;
  gpointer pair[2];

  soup_server_add_handler (graph, NULL, graph_refuses, NULL, NULL);
  g_assert_true (soup_server_listen_local (graph, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  uris = soup_server_get_uris (graph);
  config = g_strdup_printf ("[meta]\ngraph-url=http://127.0.0.1:%d/v19.0\n", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  world = test_world_new (config, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  if (!relay_serves (world, "channels/whatsapp", "the relay has no WhatsApp channel yet (issue 15, meta branch)"))
    return;
  path = g_strdup_printf ("/api/v1/sites/%s/channels/whatsapp", world->site_id);
  response = test_http (world->relay, "PUT", path, world->token,
                        "{\"enabled\":true,\"phone_number_id\":\"109000\",\"access_token\":\"wa-token\","
                        "\"app_secret\":\"" APP_SECRET "\",\"verify_token\":\"v\","
                        "\"templates\":[{\"name\":\"order_update\",\"language\":\"en_US\"}]}", NULL);
  test_assert_http_status (response, 200);
  g_clear_pointer (&response, test_response_free);
  body = g_strdup_printf ("{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"WABA\","
                          "\"changes\":[{\"field\":\"messages\",\"value\":{\"messaging_product\":\"whatsapp\","
                          "\"metadata\":{\"display_phone_number\":\"15550001111\",\"phone_number_id\":\"109000\"},"
                          "\"contacts\":[{\"profile\":{\"name\":\"Ana Souza\"},\"wa_id\":\"5511999990000\"}],"
                          "\"messages\":[{\"from\":\"5511999990000\",\"id\":\"wamid.old\",\"timestamp\":\"%"
                          G_GINT64_FORMAT "\",\"type\":\"text\",\"text\":{\"body\":\"Is my order on its way?\"}}]}}]}]}",
                          g_get_real_time () / G_USEC_PER_SEC - 25 * 3600);
  hex = g_compute_hmac_for_string (G_CHECKSUM_SHA256, (const guchar *) APP_SECRET, strlen (APP_SECRET), body, -1);
  signature = g_strconcat ("sha256=", hex, NULL);
  {
    g_autofree char *hook = g_strdup_printf ("/webhooks/whatsapp/%s", world->site_id);
    g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
    const char *headers[] = { "X-Hub-Signature-256", signature, NULL };

    response = test_http_bytes (world->relay, "POST", hook, NULL, bytes, "application/json", headers);
    test_assert_http_status (response, 200);
  }

  start_app (&app, world);
  x_focus (GTK_WINDOW (app.window));
  root = GTK_WIDGET (app.window);
  at = (AppText) { &app, "1" };
  wait_until ("the WhatsApp conversation in the inbox", has_n_conversations, &at);
  conversation_id = conversation_id_at (&app, 0);
  at = (AppText) { &app, conversation_id };
  pair[0] = &at;
  pair[1] = (gpointer) "whatsapp";
  wait_until ("the WhatsApp badge in the inbox", row_channel_is, pair);
  confab_window_open_conversation (app.window, conversation_id);
  wait_until ("the conversation", conversation_open, &at);
  wait_until ("the template picker", picker_has_templates, root);
  {
    AdwWindowTitle *title = ADW_WINDOW_TITLE (find_type (find_type (root, g_type_from_name ("ConfabChatView")),
                                                         ADW_TYPE_WINDOW_TITLE));

    g_assert_true (g_str_has_prefix (adw_window_title_get_subtitle (title), "WhatsApp · "));
  }
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (find_named (root, "reply-window-label"))),
                            "24-hour window closed"));

  /* a plain reply: refused by the relay, failed for good in the outbox */
  x_type_text ("Yes, tomorrow.");
  x_key ("Return");
  wait_until ("the plain reply refused", outbox_failed, &app);

  /* the template: the platform refuses it (the stand-in), the row says why */
  send = find_named (root, "template-send");
  /* laid out once the picker has its template */
  wait_until ("the button laid out", has_width, send);
  x_focus (GTK_WINDOW (app.window));
  x_click (send, gtk_widget_get_width (send) / 2.0, gtk_widget_get_height (send) / 2.0);
  {
    Offline o = { world, conversation_id };

    wait_until ("the template on the relay, failed", relay_template_failed, &o);
  }
  wait_until ("the platform's refusal under the message", delivery_failed_shown, root);
  settle (300);
  g_free (save_screenshot (root, "conversation-whatsapp"));
  app_stop (&app);
}

/* ---------------------------------------------- Messenger: Send Again, typing --- */

#define PAGE_ID "1122334455"
#define PSID    "7001"

/* A stand-in for Messenger's Send API that keeps what it was sent and refuses the first
 * message (not the sender actions): a 400 with the platform's words. */
typedef struct {
  GPtrArray *actions;   /* sender_action of each typing request */
  GPtrArray *texts;     /* message.text of each message request */
  guint      refuse;    /* messages still to refuse */
  guint      pictures;  /* attachment uploads with an image/png "filedata" */
} Messenger;

/* Messenger's attachment upload: multipart, an image attachment and the PNG as "filedata". */
static gboolean
is_png_upload (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  SoupMultipart *form = soup_multipart_new_from_message (headers, bytes);
  gboolean png = FALSE, image = FALSE;

  for (int i = 0; form != NULL && i < soup_multipart_get_length (form); i++)
    {
      SoupMessageHeaders *part_headers = NULL;
      GBytes *part = NULL;
      g_autoptr (GHashTable) params = NULL;

      if (!soup_multipart_get_part (form, i, &part_headers, &part) ||
          !soup_message_headers_get_content_disposition (part_headers, NULL, &params))
        continue;
      if (g_strcmp0 (g_hash_table_lookup (params, "name"), "filedata") == 0)
        png = g_strcmp0 (soup_message_headers_get_content_type (part_headers, NULL), "image/png") == 0 &&
              g_bytes_get_size (part) > 8 && memcmp (g_bytes_get_data (part, NULL), "\x89PNG", 4) == 0;
      else if (g_strcmp0 (g_hash_table_lookup (params, "name"), "message") == 0)
        image = g_strstr_len (g_bytes_get_data (part, NULL), g_bytes_get_size (part), "\"image\"") != NULL;
    }
  g_clear_pointer (&form, soup_multipart_free);
  return png && image;
}

static void
messenger_standin (SoupServer        *server,
                   SoupServerMessage *msg,
                   const char        *path,
                   GHashTable        *query,
                   gpointer           user_data)
{
  static const char refused[] =
    "{\"error\":{\"message\":\"(#1200) Temporary send message failure\",\"type\":\"OAuthException\",\"code\":1200}}";
  Messenger *m = user_data;
  g_autoptr (GBytes) bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *answer = NULL;
  JsonObject *body;

  if (strcmp (soup_server_message_get_method (msg), "POST") == 0 &&
      strcmp (path, "/v19.0/me/messages") == 0 && is_png_upload (msg))
    {
      m->pictures++;
      answer = g_strdup_printf ("{\"recipient_id\":\"" PSID "\",\"message_id\":\"m_pic_%u\"}", m->pictures);
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, answer, strlen (answer));
      return;
    }
  if (strcmp (soup_server_message_get_method (msg), "POST") != 0 ||
      strcmp (path, "/v19.0/me/messages") != 0 ||
      !json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL))
    {
      soup_server_message_set_status (msg, 404, NULL);
      return;
    }
  body = json_node_get_object (json_parser_get_root (parser));
  if (json_object_has_member (body, "sender_action"))
    g_ptr_array_add (m->actions, g_strdup (json_object_get_string_member (body, "sender_action")));
  else
    {
      g_ptr_array_add (m->texts, g_strdup (test_obj_string (body, "message.text")));
      if (m->refuse > 0)
        {
          m->refuse--;
          soup_server_message_set_status (msg, 400, NULL);
          soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, refused,
                                            strlen (refused));
          return;
        }
    }
  answer = g_strdup_printf ("{\"recipient_id\":\"" PSID "\",\"message_id\":\"m_out_%u\"}", m->texts->len);
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, answer, strlen (answer));
}

static guint
count_strings (GPtrArray  *array,
               const char *text)
{
  guint n = 0;

  for (guint i = 0; i < array->len; i++)
    n += g_strcmp0 (g_ptr_array_index (array, i), text) == 0;
  return n;
}

typedef struct {
  GPtrArray  *array;
  const char *text;
  guint       n;
} Seen;

static gboolean
seen_n (gpointer data)
{
  Seen *seen = data;

  return count_strings (seen->array, seen->text) >= seen->n;
}

/* The first mapped widget named @name under @root. */
static GtkWidget *
find_mapped_named (GtkWidget  *root,
                   const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0 && gtk_widget_get_mapped (root))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_mapped_named (child, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
refusal_shown (gpointer data)
{
  return mapped_label_says (data, "message-delivery-error", "Temporary send message failure");
}

static gboolean
refusal_gone (gpointer data)
{
  return !mapped_label_says (data, "message-delivery-error", "Not delivered");
}

/* The agent's messages of conversation @o->id on the relay: how many, and the last one's
 * delivery status. */
static guint
relay_agent_messages (Offline     *o,
                      char       **out_status)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/conversations/%s/messages", o->id);
  g_autoptr (TestResponse) response = test_http (o->world->relay, "GET", path, o->world->token, NULL, NULL);
  JsonArray *messages = test_obj_array (test_response_object (response), "messages");
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *m = json_array_get_object_element (messages, i);

      if (g_strcmp0 (test_obj_string (m, "sender.type"), "agent") != 0)
        continue;
      n++;
      g_free (*out_status);
      *out_status = g_strdup (test_obj_string (m, "delivery.status"));
    }
  return n;
}

static gboolean
relay_reply_sent (gpointer data)
{
  g_autofree char *status = NULL;

  return relay_agent_messages (data, &status) == 1 && g_strcmp0 (status, "sent") == 0;
}

static gboolean
relay_picture_sent (gpointer data)
{
  g_autofree char *status = NULL;

  return relay_agent_messages (data, &status) == 2 && g_strcmp0 (status, "sent") == 0;
}

static gboolean
got_picture (gpointer data)
{
  return ((Messenger *) data)->pictures == 1;
}

static GtkWidget *
file_chooser (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();  /* transfer none */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (GTK_IS_FILE_CHOOSER_DIALOG (window) && gtk_widget_get_mapped (window))
        return window;
    }
  return NULL;
}

static gboolean
chooser_shown (gpointer data)
{
  return file_chooser () != NULL;
}

static gboolean
chooser_gone (gpointer data)
{
  return file_chooser () == NULL;
}

/* Whether @filter shows a file of @mime. */
static gboolean
filter_takes (GtkFileFilter *filter,
              const char    *mime)
{
  g_autoptr (GFileInfo) info = g_file_info_new ();
  g_autofree char *type = g_content_type_from_mime_type (mime);

  g_file_info_set_display_name (info, "file");
  g_file_info_set_content_type (info, type);
  return gtk_filter_match (GTK_FILTER (filter), info);
}

static gboolean
attach_refused (gpointer data)
{
  return mapped_label_says (data, "attach-refusal", "(JPEG, PNG or GIF) can be sent to Messenger") &&
         mapped_label_says (data, "attach-refusal", "share a file as a link instead");
}

static gboolean
attach_refusal_gone (gpointer data)
{
  return find_mapped_named (data, "attach-refusal") == NULL;
}

/* A Messenger customer's conversation: the agent types with real keys — Messenger gets one
 * typing_on however many keys (renewed only every 10 s), and typing_off when the reply goes;
 * Messenger refuses the reply, the row says so with "Send Again", and a real click on it sends
 * the same message again: the platform gets the same words, the row's refusal goes, and the
 * relay still has one agent message, now sent. The attach button's chooser shows only the
 * pictures Messenger takes; a dropped PDF is refused in the composer before any upload, a
 * dropped picture goes. */
static void
test_messenger_send_again (void)
{
  g_autoptr (SoupServer) graph = soup_server_new (NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (TestWorld) world = NULL;
  g_autoptr (TestResponse) response = NULL;
  g_autoptr (GPtrArray) actions = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *config = NULL, *path = NULL, *body = NULL, *hex = NULL, *signature = NULL;
  g_autofree char *conversation_id = NULL;
  Messenger m = { actions, texts, 1, 0 };
  GtkWidget *root, *again;
  gint64 started;
  GSList *uris;
  App app = { 0 };
  AppText at;
  Offline o;
  Seen seen;

  soup_server_add_handler (graph, NULL, messenger_standin, &m, NULL);
  g_assert_true (soup_server_listen_local (graph, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  uris = soup_server_get_uris (graph);
  config = g_strdup_printf ("[meta]\ngraph-url=http://127.0.0.1:%d/v19.0\n", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  world = test_world_new (config, TEST_WORLD_NO_AGENT | TEST_WORLD_NO_VISITOR);
  path = g_strdup_printf ("/api/v1/sites/%s/channels/messenger", world->site_id);
  response = test_http (world->relay, "PUT", path, world->token,
                        "{\"enabled\":true,\"page_id\":\"" PAGE_ID "\",\"page_access_token\":\"page-token\","
                        "\"app_secret\":\"" APP_SECRET "\",\"verify_token\":\"v\"}", NULL);
  test_assert_http_status (response, 200);
  g_clear_pointer (&response, test_response_free);
  body = g_strdup ("{\"object\":\"page\",\"entry\":[{\"id\":\"" PAGE_ID "\",\"time\":1,\"messaging\":[{"
                   "\"sender\":{\"id\":\"" PSID "\"},\"recipient\":{\"id\":\"" PAGE_ID "\"},"
                   "\"timestamp\":1700000000000,\"message\":{\"mid\":\"m_in_1\",\"text\":\"Where is my parcel?\"}}]}]}");
  hex = g_compute_hmac_for_string (G_CHECKSUM_SHA256, (const guchar *) APP_SECRET, strlen (APP_SECRET), body, -1);
  signature = g_strconcat ("sha256=", hex, NULL);
  {
    g_autofree char *hook = g_strdup_printf ("/webhooks/messenger/%s", world->site_id);
    g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));
    const char *headers[] = { "X-Hub-Signature-256", signature, NULL };

    response = test_http_bytes (world->relay, "POST", hook, NULL, bytes, "application/json", headers);
    test_assert_http_status (response, 200);
  }

  start_app (&app, world);
  x_focus (GTK_WINDOW (app.window));
  root = GTK_WIDGET (app.window);
  at = (AppText) { &app, "1" };
  wait_until ("the Messenger conversation in the inbox", has_n_conversations, &at);
  conversation_id = conversation_id_at (&app, 0);
  at = (AppText) { &app, conversation_id };
  confab_window_open_conversation (app.window, conversation_id);
  wait_until ("the conversation", conversation_open, &at);
  at = (AppText) { &app, "composer" };
  wait_until ("the composer focused", focus_in, &at);

  /* every key reports typing; Messenger hears it once (again only after 10 s of typing) */
  started = g_get_monotonic_time ();
  x_type_text ("Your parcel left on Monday.");
  seen = (Seen) { actions, "typing_on", 1 };
  wait_until ("typing_on at Messenger", seen_n, &seen);
  x_key ("Return");
  seen = (Seen) { actions, "typing_off", 1 };
  wait_until ("typing_off at Messenger once the reply went", seen_n, &seen);
  g_assert_cmpuint (count_strings (actions, "typing_on"), <=,
                    1 + (g_get_monotonic_time () - started) / (10 * G_USEC_PER_SEC));

  wait_until ("the refusal under the message", refusal_shown, root);
  g_assert_cmpuint (count_strings (texts, "Your parcel left on Monday."), ==, 1);
  /* the mapped one: list rows are recycled, hidden ones hold buttons too */
  again = find_mapped_named (root, "message-send-again");
  g_assert_nonnull (again);
  wait_until ("Send Again laid out", has_width, again);
  x_focus (GTK_WINDOW (app.window));
  click_middle (again);

  seen = (Seen) { texts, "Your parcel left on Monday.", 2 };
  wait_until ("the same words at Messenger again", seen_n, &seen);
  o = (Offline) { world, conversation_id };
  wait_until ("the one reply sent on the relay", relay_reply_sent, &o);
  wait_until ("the refusal gone from the row", refusal_gone, root);
  g_assert_cmpuint (texts->len, ==, 2);

  /* the attach button offers the pictures Messenger takes, nothing else */
  {
    GtkWidget *attach = find_mapped_named (root, "attach-button");
    GtkFileFilter *filter;

    g_assert_nonnull (attach);
    x_focus (GTK_WINDOW (app.window));
    click_middle (attach);
    wait_until ("the file chooser", chooser_shown, NULL);
    filter = gtk_file_chooser_get_filter (GTK_FILE_CHOOSER (file_chooser ()));
    g_assert_nonnull (filter);
    g_assert_true (filter_takes (filter, "image/jpeg"));
    g_assert_true (filter_takes (filter, "image/png"));
    g_assert_true (filter_takes (filter, "image/gif"));
    g_assert_false (filter_takes (filter, "image/webp"));
    g_assert_false (filter_takes (filter, "application/pdf"));
    g_assert_false (filter_takes (filter, "text/plain"));
    gtk_window_close (GTK_WINDOW (file_chooser ()));
    wait_until ("the file chooser closed", chooser_gone, NULL);
  }

  /* a PDF dropped on it is refused in the composer, with the relay's words, before any upload
   * (relay_picture_sent below counts the relay's agent messages: the PDF is none of them) */
  {
    g_autofree char *pdf_path = g_build_filename (test_relay_tmp_dir (world->relay), "return form.pdf", NULL);
    g_autoptr (GFile) pdf_file = NULL;
    static const char pdf[] = "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
                              "2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
                              "trailer << /Root 1 0 R >>\n%%EOF\n";

    g_assert_true (g_file_set_contents (pdf_path, pdf, -1, &error));
    pdf_file = g_file_new_for_path (pdf_path);
    g_assert_true (drop_files (drop_target_of (find_type (root, g_type_from_name ("ConfabChatView"))),
                               pdf_file));
    wait_until ("the refusal in the composer", attach_refused, root);
  }

  /* a picture dropped on the conversation goes to Messenger as an image attachment */
  {
    g_autofree char *png_path = g_build_filename (test_relay_tmp_dir (world->relay), "label.png", NULL);
    g_autoptr (GFile) png_file = NULL;
    g_autoptr (GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 320, 200);

    /* a parcel label: light paper, a dark address block and a bar code */
    gdk_pixbuf_fill (pixbuf, 0xf6f5f4ff);
    {
      g_autoptr (GdkPixbuf) address = gdk_pixbuf_new_subpixbuf (pixbuf, 24, 24, 180, 70);
      g_autoptr (GdkPixbuf) stamp = gdk_pixbuf_new_subpixbuf (pixbuf, 236, 24, 60, 60);

      gdk_pixbuf_fill (address, 0x77767bff);
      gdk_pixbuf_fill (stamp, 0xe66100ff);
      for (int x = 24; x < 296; x += 9)
        {
          g_autoptr (GdkPixbuf) bar = gdk_pixbuf_new_subpixbuf (pixbuf, x, 120, 2 + (x / 9) % 4, 56);

          gdk_pixbuf_fill (bar, 0x241f31ff);
        }
    }
    g_assert_true (gdk_pixbuf_save (pixbuf, png_path, "png", &error, NULL));
    png_file = g_file_new_for_path (png_path);
    g_assert_true (drop_files (drop_target_of (find_type (root, g_type_from_name ("ConfabChatView"))),
                               png_file));
  }
  wait_until ("the picture at Messenger", got_picture, &m);
  wait_until ("the picture sent on the relay", relay_picture_sent, &o);
  /* a picture it takes: the refusal of the PDF is over */
  wait_until ("the refusal gone from the composer", attach_refusal_gone, root);
  settle (300);
  g_free (save_screenshot (root, "conversation-messenger"));
  app_stop (&app);
  soup_server_disconnect (graph);
}

/* ------------------------------------------------------ offline reply --- */

static gboolean
reply_listed (gpointer data)
{
  GtkWidget *sent = find_named (data, "offline-reply-sent");

  return sent != NULL && gtk_widget_get_mapped (sent) &&
         g_strcmp0 (gtk_label_get_text (GTK_LABEL (sent)), "Yes, we ship to Norway.") == 0;
}

static gboolean
relay_has_reply (gpointer data)
{
  Offline *o = data;
  g_autofree char *path = g_strdup_printf ("/api/v1/offline-messages/%s", o->id);
  g_autoptr (TestResponse) response = test_http (o->world->relay, "GET", path, o->world->token, NULL, NULL);
  JsonArray *replies;

  if (response->status != 200 || !json_object_has_member (test_response_object (response), "replies"))
    return FALSE;
  replies = test_obj_array (test_response_object (response), "replies");
  return json_array_get_length (replies) == 1 &&
         g_strcmp0 (test_obj_string (json_array_get_object_element (replies, 0), "body"),
                    "Yes, we ship to Norway.") == 0;
}

/* The offline message view's reply box: typed (real keys) and sent, the relay has the reply
 * to mail and the view lists it under the box. The relay's SMTP server is a closed local port:
 * the reply is queued (its delivery pending), which is all the app sees of it. */
static void
test_offline_reply (void)
{
  g_autoptr (TestWorld) world = test_world_new ("[email]\nsmtp-server=127.0.0.1\nsmtp-port=9\n"
                                                "smtp-security=none\nfrom-address=help@a.test\n",
                                                TEST_WORLD_NO_AGENT);
  g_autoptr (JsonObject) left = NULL;
  g_autofree char *offline_id = NULL;
  GtkWidget *root, *text, *send;
  App app = { 0 };
  Offline o;

  test_ws_sendf (world->visitor, "{'type':'leave_message','name':'Ann','email':'ann@b.test',"
                                 "'body':'Do you ship to Norway?'}");
  left = test_ws_wait_for (world->visitor, "left_message", TEST_TIMEOUT_MS);
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s/offline-messages", world->site_id);
    g_autoptr (TestResponse) list = test_http (world->relay, "GET", path, world->token, NULL, NULL);
    JsonArray *items = test_obj_array (test_response_object (list), "offline_messages");
    g_autofree char *probe_path = NULL;
    g_autoptr (TestResponse) probe = NULL;

    offline_id = g_strdup (test_obj_string (json_array_get_object_element (items, 0), "id"));
    probe_path = g_strdup_printf ("/api/v1/offline-messages/%s", offline_id);
    probe = test_http (world->relay, "GET", probe_path, world->token, NULL, NULL);
    if (!json_object_has_member (test_response_object (probe), "replies"))
      {
        test_harness_skip ("the relay has no replies to offline messages yet (issue 15, email branch)");
        return;
      }
  }
  start_app (&app, world);
  x_focus (GTK_WINDOW (app.window));
  root = GTK_WIDGET (app.window);
  g_action_group_activate_action (G_ACTION_GROUP (app.app), "open-offline-message",
                                  g_variant_new_string (offline_id));
  text = wait_shown ("offline-reply-text");
  x_focus (GTK_WINDOW (app.window));
  settle (200);
  type_into (text, "Yes, we ship to Norway.");
  send = find_named (root, "offline-reply-send");
  g_assert_true (gtk_widget_get_sensitive (send));
  click_middle (send);
  o = (Offline) { world, offline_id };
  wait_until ("the reply on the relay", relay_has_reply, &o);
  wait_until ("the reply listed", reply_listed, root);
  settle (300);
  g_free (save_screenshot (root, "offline-reply"));
  app_stop (&app);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GTK_USE_PORTAL", "0", TRUE);
  g_setenv ("GTK_A11Y", "test", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("ADW_DISABLE_PORTAL", "1", TRUE);
  g_setenv ("GDK_BACKEND", "x11", TRUE);
  test_harness_init (&argc, &argv);

  test_harness_add ("/desktop/channels/api-keys", test_api_keys);
  test_harness_add ("/desktop/channels/webhooks", test_webhooks);
  test_harness_add ("/desktop/channels/channels-page", test_channels_page);
  test_harness_add ("/desktop/channels/email-notifications", test_email_notifications);
  test_harness_add ("/desktop/channels/whatsapp-window", test_whatsapp_window);
  test_harness_add ("/desktop/channels/offline-reply", test_offline_reply);
  test_harness_add ("/desktop/channels/messenger-send-again", test_messenger_send_again);

  return g_test_run ();
}
