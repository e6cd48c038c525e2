/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-query-plans.c: every statement the store runs for a message is an index lookup
 * (issue 12). The message path is driven through the store as the hub drives it, each
 * statement SQLite runs is recorded, and EXPLAIN QUERY PLAN of each must not read the
 * messages or events of a whole conversation, site or table: a SCAN of either, or a SEARCH
 * that pins nothing narrower than a conversation, costs more the longer the chat or the
 * history. Also: the conversation keeps when an agent first replied, and the site cache
 * forgets what changed. */
#define G_LOG_DOMAIN "test-query-plans"

#include "confab-faq.h"
#include "confab-store.h"
#include "confab-store-private.h"
#include "confab-util.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sqlite3.h>

typedef struct {
  char        *dir;
  char        *path;
  ConfabStore *store;
  GHashTable  *statements; /* SQL text → NULL: what SQLite ran while recording */
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("test-query-plans-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "confab.db", NULL);
  fixture->statements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (data == NULL)
    {
      fixture->store = confab_store_open (fixture->path, CONFAB_STORE_SYNC_NORMAL, &error);
      g_assert_no_error (error);
    }
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;

  g_clear_pointer (&fixture->store, confab_store_close);
  dir = g_dir_open (fixture->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture->dir, name, NULL);
      g_assert_no_errno (g_remove (path));
    }
  g_assert_no_errno (g_rmdir (fixture->dir));
  g_hash_table_unref (fixture->statements);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static const char without_store[] = "without store";

#define TEST(path, func) \
  g_test_add ("/relay/query-plans/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
#define TEST_WITHOUT_STORE(path, func) \
  g_test_add ("/relay/query-plans/" path, Fixture, without_store, fixture_set_up, func, \
              fixture_tear_down)

/* --- recording what SQLite runs --- */

static int
on_trace (unsigned int  type,
          void         *user_data,
          void         *p,
          void         *x)
{
  Fixture *fixture = user_data;
  const char *sql = sqlite3_sql (p);

  /* the statements inside triggers are reported as "-- ..." and are planned with their own */
  if (sql != NULL && !g_str_has_prefix (sql, "--"))
    g_hash_table_add (fixture->statements, g_strdup (sql));
  return 0;
}

static void
record (Fixture  *fixture,
        gboolean  on)
{
  sqlite3_trace_v2 (fixture->store->db, on ? SQLITE_TRACE_STMT : 0, on ? on_trace : NULL, fixture);
}

/* --- the message path, as the hub walks it --- */

static ConfabMessage *
append (ConfabStore        *store,
        ConfabMessageDraft *draft,
        ConfabConversation **out_conversation)
{
  g_autoptr (GError) error = NULL;
  ConfabMessage *message = NULL;
  ConfabAppendResult result;
  gboolean changed;

  g_assert_true (confab_store_begin (store, &error));
  g_assert_no_error (error);
  g_assert_true (confab_store_append_message (store, draft, &message, out_conversation, &changed,
                                              &result, &error));
  g_assert_no_error (error);
  g_assert_true (confab_store_commit (store, &error));
  g_assert_no_error (error);
  return message;
}

/* What deliver_message() and confab_faq_after_visitor_message() ask of the store for one
 * visitor message, then the bot's answer, an agent's reply and a blind retry. */
static void
walk_message_path (Fixture *fixture)
{
  ConfabStore *store = fixture->store;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) owner = NULL;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (ConfabSite) cached = NULL;
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (ConfabFaq) faq = NULL;
  g_autoptr (ConfabConversation) current = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabConversation) after_agent = NULL;
  g_autoptr (ConfabMessage) first = NULL;
  g_autoptr (ConfabMessage) answer = NULL;
  g_autoptr (ConfabMessage) reply = NULL;
  g_autoptr (ConfabMessage) again = NULL;
  g_autoptr (GPtrArray) matches = NULL;
  g_autofree char *token_hash = confab_sha256_hex ("visitor token");
  const char * const keywords[] = { "shipping", NULL };
  ConfabMessageDraft draft = { 0 };
  gboolean may_answer = FALSE, answered = TRUE;

  owner = confab_store_create_user (store, "owner@plans.test", "Owner", "$argon2id$fake", &error);
  g_assert_no_error (error);
  site = confab_store_create_site (store, owner->id, "Plans", NULL, &error);
  g_assert_no_error (error);
  visitor = confab_store_create_visitor (store, site->id, token_hash, NULL, &error);
  g_assert_no_error (error);
  faq = confab_store_create_faq (store, site->id, "Is shipping free?", "Above 50 EUR.", keywords,
                                 &error);
  g_assert_no_error (error);

  /* some history before, so that the planner sees tables with rows */
  for (int i = 0; i < 50; i++)
    {
      g_autofree char *client_id = g_strdup_printf ("history-%d", i);
      g_autoptr (ConfabMessage) message = NULL;

      draft = (ConfabMessageDraft) { .site_id = site->id, .visitor_id = visitor->id,
                                     .client_id = client_id, .sender_type = CONFAB_SENDER_VISITOR,
                                     .sender_id = visitor->id, .body = "earlier" };
      message = append (store, &draft, NULL);
    }

  record (fixture, TRUE);

  /* a visitor's message */
  current = confab_store_get_current_conversation (store, visitor->id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (current);
  draft = (ConfabMessageDraft) { .site_id = site->id, .visitor_id = visitor->id,
                                 .conversation_id = current->id, .client_id = "c-1",
                                 .sender_type = CONFAB_SENDER_VISITOR, .sender_id = visitor->id,
                                 .body = "Is shipping free?" };
  first = append (store, &draft, &conversation);
  g_assert_cmpint (conversation->first_agent_reply_at, ==, 0);

  /* the bot's turn */
  g_assert_true (confab_store_bot_may_answer (store, conversation->id, &may_answer, &error));
  g_assert_no_error (error);
  g_assert_true (may_answer);
  cached = confab_store_get_site (store, conversation->site_id, &error);
  g_assert_no_error (error);
  matches = confab_faq_search (store, site->id, first->body, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (matches->len, ==, 1);
  g_assert_true (confab_store_faq_answered_in (store, conversation->id, faq->id, &answered, &error));
  g_assert_no_error (error);
  g_assert_false (answered);
  g_assert_true (confab_store_count_faq_view (store, faq->id, &error));
  g_assert_no_error (error);
  draft = (ConfabMessageDraft) { .conversation_id = conversation->id,
                                 .sender_type = CONFAB_SENDER_BOT, .sender_id = faq->id,
                                 .sender_name = "Plans assistant", .body = faq->answer };
  answer = append (store, &draft, NULL);
  g_assert_true (confab_store_faq_answered_in (store, conversation->id, faq->id, &answered, &error));
  g_assert_true (answered);

  /* an agent's reply, then the visitor's blind retry of the first message */
  draft = (ConfabMessageDraft) { .conversation_id = conversation->id, .client_id = "a-1",
                                 .sender_type = CONFAB_SENDER_AGENT, .sender_id = owner->id,
                                 .sender_name = "Owner", .body = "Anything else?" };
  reply = append (store, &draft, &after_agent);
  g_assert_cmpint (after_agent->first_agent_reply_at, ==, reply->created_at);
  g_assert_true (confab_store_bot_may_answer (store, conversation->id, &may_answer, &error));
  g_assert_false (may_answer);

  draft = (ConfabMessageDraft) { .site_id = site->id, .visitor_id = visitor->id,
                                 .client_id = "c-1", .sender_type = CONFAB_SENDER_VISITOR,
                                 .sender_id = visitor->id, .body = "Is shipping free?" };
  again = append (store, &draft, NULL);
  g_assert_cmpint (again->seq, ==, first->seq);

  record (fixture, FALSE);
}

/* --- the plans --- */

/* The names a statement gives messages and events: the tables and their aliases. */
static GPtrArray *
log_names (const char *sql)
{
  g_autoptr (GRegex) regex = g_regex_new ("\\b(messages|events)\\b(?:\\s+(?:AS\\s+)?(?!WHERE|ON|JOIN|"
                                          "LEFT|WHERE|ORDER|GROUP|LIMIT|SET|VALUES|USING|INDEXED)"
                                          "([a-z_][a-z0-9_]*))?",
                                          G_REGEX_CASELESS, 0, NULL);
  g_autoptr (GMatchInfo) match = NULL;
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);

  g_regex_match (regex, sql, 0, &match);
  while (g_match_info_matches (match))
    {
      g_autofree char *alias = g_match_info_fetch (match, 2);

      g_ptr_array_add (names, g_match_info_fetch (match, 1));
      if (alias != NULL && *alias != '\0')
        g_ptr_array_add (names, g_steal_pointer (&alias));
      g_match_info_next (match, NULL);
    }
  return names;
}

/* Why a plan line reads a whole conversation, site or table of @name; NULL if it does not. */
static char *
plan_line_problem (const char *detail,
                   const char *name)
{
  g_autofree char *scan = g_strdup_printf ("SCAN %s", name);
  g_autofree char *search = g_strdup_printf ("SEARCH %s ", name);
  const char *constraint;

  if (g_str_has_prefix (detail, scan) &&
      (detail[strlen (scan)] == '\0' || detail[strlen (scan)] == ' '))
    return g_strdup ("a SCAN");

  if (!g_str_has_prefix (detail, search))
    return NULL;

  /* a search must pin a row, a message's seq or cursor, or one sender's message: equality on
   * the conversation, site, visitor or kind alone reads all of theirs */
  constraint = strchr (detail, '(');
  if (constraint == NULL)
    return g_strdup ("a SEARCH without a constraint");
  if (strstr (constraint, "seq") == NULL && strstr (constraint, "cursor") == NULL &&
      strstr (constraint, "rowid") == NULL && strstr (constraint, "client_id") == NULL &&
      strstr (constraint, "sender_id") == NULL)
    return g_strdup ("a SEARCH of a whole conversation, site or visitor");
  return NULL;
}

/* Every problem in the plan of @sql, one per line; "" when none. */
static char *
plan_problems (sqlite3    *db,
               const char *sql)
{
  g_autofree char *explain = g_strconcat ("EXPLAIN QUERY PLAN ", sql, NULL);
  g_autoptr (GPtrArray) names = log_names (sql);
  GString *problems = g_string_new (NULL);
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, explain, -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *detail = (const char *) sqlite3_column_text (stmt, 3);

      for (guint i = 0; i < names->len; i++)
        {
          g_autofree char *problem = plan_line_problem (detail, g_ptr_array_index (names, i));

          if (problem != NULL)
            g_string_append_printf (problems, "%s in “%s”: %s\n", problem, detail, sql);
        }
    }
  sqlite3_finalize (stmt);
  return g_string_free (problems, FALSE);
}

/* Not BEGIN, SAVEPOINT, RELEASE or COMMIT. */
static gboolean
is_query (const char *sql)
{
  static const char * const verbs[] = { "SELECT", "INSERT", "UPDATE", "DELETE", "WITH" };

  for (guint i = 0; i < G_N_ELEMENTS (verbs); i++)
    if (g_ascii_strncasecmp (sql, verbs[i], strlen (verbs[i])) == 0)
      return TRUE;
  return FALSE;
}

static void
test_message_path (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr (GString) problems = g_string_new (NULL);
  GHashTableIter iter;
  gpointer sql;
  gboolean saw_message_insert = FALSE, saw_bot_check = FALSE, saw_answered = FALSE;

  walk_message_path (fixture);

  g_hash_table_iter_init (&iter, fixture->statements);
  while (g_hash_table_iter_next (&iter, &sql, NULL))
    {
      g_autofree char *found = NULL;

      if (!is_query (sql))
        continue;

      saw_message_insert |= strstr (sql, "INSERT INTO messages") != NULL;
      saw_bot_check |= strstr (sql, "human_requests") != NULL;
      saw_answered |= strstr (sql, "messages_bot_answers") != NULL;
      g_test_message ("%s", (const char *) sql);
      found = plan_problems (fixture->store->db, sql);
      g_string_append (problems, found);
    }

  /* and none of them is compiled again and again: SQLite re-prepares a statement on every
   * new binding when its plan depended on a bound value (a partial index whose condition a
   * parameter might meet did that to the client-id lookup of every message) */
  {
    GHashTableIter statements;
    gpointer stmt;

    g_hash_table_iter_init (&statements, fixture->store->statements);
    while (g_hash_table_iter_next (&statements, &sql, &stmt))
      if (sqlite3_stmt_status (stmt, SQLITE_STMTSTATUS_REPREPARE, FALSE) > 0)
        g_string_append_printf (problems, "re-prepared %d times: %s\n",
                                sqlite3_stmt_status (stmt, SQLITE_STMTSTATUS_REPREPARE, FALSE),
                                (const char *) sql);
  }

  /* the walk went where it should: a test that saw nothing would pass for nothing */
  g_assert_cmpuint (g_hash_table_size (fixture->statements), >=, 10);
  g_assert_true (saw_message_insert);
  g_assert_true (saw_bot_check);
  g_assert_true (saw_answered);
  g_assert_cmpstr (problems->str, ==, "");
}

/* The checker itself: the agent-reply check as it was before issue 12, and a plain scan, are
 * caught; a primary-key lookup is not. */
static void
test_checker (Fixture       *fixture,
              gconstpointer  data)
{
  sqlite3 *db = fixture->store->db;
  g_autofree char *walk = plan_problems (db, "SELECT c.assignee_id IS NULL AND NOT EXISTS (SELECT 1 "
                                             "FROM messages m WHERE m.conversation_id = c.id AND "
                                             "m.sender_type = 'agent') FROM conversations c "
                                             "WHERE c.id = ?1");
  g_autofree char *scan = plan_problems (db, "SELECT count(*) FROM events WHERE payload = ?1");
  g_autofree char *site = plan_problems (db, "SELECT max(cursor) FROM events e "
                                             "WHERE e.site_id = ?1 AND e.kind = 'x'");
  g_autofree char *lookup = plan_problems (db, "SELECT body FROM messages m "
                                               "WHERE m.conversation_id = ?1 AND m.seq = ?2");

  g_assert_nonnull (strstr (walk, "whole conversation"));
  g_assert_nonnull (strstr (scan, "a SCAN"));
  g_assert_cmpstr (site, !=, "");
  g_assert_cmpstr (lookup, ==, "");
}

/* --- first_agent_reply_at --- */

static void
load_dump (const char *path,
           const char *dump_name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dump_path = g_test_build_filename (G_TEST_DIST, "data", dump_name, NULL);
  g_autofree char *sql = NULL;
  char *message = NULL;
  sqlite3 *db = NULL;

  g_file_get_contents (dump_path, &sql, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("Cannot load %s: %s", dump_path, message);
  sqlite3_close (db);
}

static char *
dump_schema (const char *path)
{
  GString *schema = g_string_new (NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT type, name, tbl_name, sql FROM sqlite_schema "
                                       "WHERE name NOT LIKE 'sqlite_stat%' "
                                       "ORDER BY type, name", -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (schema, "%s %s %s\n%s\n", sqlite3_column_text (stmt, 0),
                            sqlite3_column_text (stmt, 1), sqlite3_column_text (stmt, 2),
                            sqlite3_column_text (stmt, 3));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return g_string_free (schema, FALSE);
}

/* A schema 10 database learns when each conversation's first agent reply was; the bot then
 * keeps quiet where an agent wrote, and a later agent message does not move the time. */
static void
test_migrate_first_agent_reply (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabConversation) replied = NULL;
  g_autoptr (ConfabConversation) unanswered = NULL;
  g_autoptr (ConfabConversation) later = NULL;
  g_autoptr (ConfabMessage) message = NULL;
  g_autofree char *fresh_path = g_build_filename (fixture->dir, "fresh.db", NULL);
  g_autofree char *fresh_schema = NULL;
  g_autofree char *migrated_schema = NULL;
  ConfabMessageDraft draft = { 0 };
  gboolean may_answer = TRUE;
  gint64 first_reply_at;

  load_dump (fixture->path, "store-v10-first-reply.sql");
  fixture->store = confab_store_open (fixture->path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_store_schema_version (fixture->store), ==,
                   confab_store_current_schema_version ());

  replied = confab_store_get_conversation (fixture->store, "conv_0v7conversation00000", &error);
  g_assert_no_error (error);
  g_assert_cmpint (replied->first_agent_reply_at, ==, 1700000070000);
  unanswered = confab_store_get_conversation (fixture->store, "conv_0v10conversation0001", &error);
  g_assert_no_error (error);
  g_assert_cmpint (unanswered->first_agent_reply_at, ==, 0);

  g_assert_true (confab_store_bot_may_answer (fixture->store, replied->id, &may_answer, &error));
  g_assert_no_error (error);
  g_assert_false (may_answer);

  draft = (ConfabMessageDraft) { .conversation_id = unanswered->id, .client_id = "late",
                                 .sender_type = CONFAB_SENDER_AGENT,
                                 .sender_id = "usr_0v7user00000000000000", .sender_name = "Olga",
                                 .body = "Sorry for the wait" };
  message = append (fixture->store, &draft, &later);
  g_assert_cmpint (later->first_agent_reply_at, ==, message->created_at);
  first_reply_at = later->first_agent_reply_at;
  g_clear_pointer (&later, confab_conversation_free);
  g_clear_pointer (&message, confab_message_free);
  g_usleep (2000);
  draft.client_id = "later";
  draft.body = "Still there?";
  message = append (fixture->store, &draft, &later);
  g_assert_cmpint (message->created_at, >, first_reply_at);
  g_assert_cmpint (later->first_agent_reply_at, ==, first_reply_at);

  {
    g_autoptr (ConfabStore) fresh = confab_store_open (fresh_path, CONFAB_STORE_SYNC_NORMAL, &error);
    g_assert_no_error (error);
  }
  fresh_schema = dump_schema (fresh_path);
  migrated_schema = dump_schema (fixture->path);
  g_assert_cmpstr (migrated_schema, ==, fresh_schema);
}

/* --- the site cache --- */

static void
test_site_cache (Fixture       *fixture,
                 gconstpointer  data)
{
  ConfabStore *store = fixture->store;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) owner = NULL;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (ConfabSite) updated = NULL;
  g_autoptr (ConfabSite) read = NULL;
  g_autoptr (ConfabSite) undone = NULL;
  g_autoptr (ConfabSite) raw = NULL;

  owner = confab_store_create_user (store, "owner@cache.test", "Owner", "$argon2id$fake", &error);
  g_assert_no_error (error);
  site = confab_store_create_site (store, owner->id, "Before", NULL, &error);
  g_assert_no_error (error);
  read = confab_store_get_site (store, site->id, &error);
  g_assert_cmpstr (read->name, ==, "Before");
  g_clear_pointer (&read, confab_site_free);

  /* through the store's update */
  updated = confab_store_update_site (store, site->id, "After", NULL, "{\"faq_auto_answer\":false}",
                                      -1, &error);
  g_assert_no_error (error);
  read = confab_store_get_site (store, site->id, &error);
  g_assert_cmpstr (read->name, ==, "After");
  g_assert_cmpstr (read->settings_json, ==, "{\"faq_auto_answer\":false}");
  g_clear_pointer (&read, confab_site_free);

  /* a change read back inside a transaction that is then undone */
  g_assert_true (confab_store_begin (store, &error));
  g_clear_pointer (&updated, confab_site_free);
  updated = confab_store_update_site (store, site->id, "Undone", NULL, NULL, -1, &error);
  g_assert_cmpstr (updated->name, ==, "Undone");
  confab_store_rollback (store);
  undone = confab_store_get_site (store, site->id, &error);
  g_assert_cmpstr (undone->name, ==, "After");

  /* any other statement that changes a site (code written later than the cache) */
  g_assert_cmpint (sqlite3_exec (store->db, "UPDATE sites SET enabled = 0", NULL, NULL, NULL), ==,
                   SQLITE_OK);
  raw = confab_store_get_site (store, site->id, &error);
  g_assert_false (raw->enabled);
  g_assert_cmpint (sqlite3_exec (store->db, "DELETE FROM sites", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_null (confab_store_get_site (store, site->id, &error));
  g_assert_error (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_NOT_FOUND);
}

/* --- what a message writes --- */

static char *
conversation_columns (sqlite3    *db,
                      const char *conversation_id)
{
  static const char sql[] = "SELECT first_visitor_seq || ' ' || first_visitor_text || ' ' || "
                            "coalesce (first_reply_by, '-') || ' ' || agent_wrote || ' ' || "
                            "bot_answered || ' ' || unread || ' ' || last_seq "
                            "FROM conversations WHERE id = ?1";
  sqlite3_stmt *stmt = NULL;
  char *text;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, conversation_id, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return text;
}

static int
updates_of_conversations (sqlite3 *db)
{
  sqlite3_stmt *stmt = NULL;
  int n;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT n FROM temp.conversation_updates", -1, &stmt,
                                       NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE temp.conversation_updates SET n = 0", NULL, NULL,
                                 NULL), ==, SQLITE_OK);
  return n;
}

/* A message rewrites its conversation's row once (last_seq, unread…): the analytics trigger
 * (schema 11) wrote it a second time for every message, though after the visitor's first
 * message, the first reply and the first bot answer it has nothing left to change. What it
 * keeps is still kept. */
static void
test_conversation_written_once (Fixture       *fixture,
                                gconstpointer  data)
{
  ConfabStore *store = fixture->store;
  sqlite3 *db = store->db;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) owner = NULL;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autofree char *token_hash = confab_sha256_hex ("visitor token");
  g_autofree char *columns = NULL;
  ConfabMessageDraft draft = { 0 };
  struct {
    ConfabSenderType  sender_type;
    const char       *client_id;
    const char       *body;
    int               updates;
    const char       *columns;
  } steps[] = {
    { CONFAB_SENDER_VISITOR, "v-1", "first", 2, "1 first - 0 0 1 1" },
    { CONFAB_SENDER_VISITOR, "v-2", "second", 1, "1 first - 0 0 2 2" },
    { CONFAB_SENDER_AGENT, "a-1", "reply", 2, "1 first AGENT 1 0 2 3" },
    { CONFAB_SENDER_AGENT, "a-2", "again", 1, "1 first AGENT 1 0 2 4" },
    { CONFAB_SENDER_BOT, NULL, "answer", 2, "1 first AGENT 1 1 2 5" },
    { CONFAB_SENDER_BOT, NULL, "answer again", 1, "1 first AGENT 1 1 2 6" },
    { CONFAB_SENDER_VISITOR, "v-3", "third", 1, "1 first AGENT 1 1 3 7" },
  };

  owner = confab_store_create_user (store, "owner@rows.test", "Owner", "$argon2id$fake", &error);
  g_assert_no_error (error);
  site = confab_store_create_site (store, owner->id, "Rows", NULL, &error);
  g_assert_no_error (error);
  visitor = confab_store_create_visitor (store, site->id, token_hash, NULL, &error);
  g_assert_no_error (error);
  conversation = confab_store_create_conversation (store, site->id, visitor->id, &error);
  g_assert_no_error (error);

  g_assert_cmpint (sqlite3_exec (db,
                                 "CREATE TEMP TABLE conversation_updates (n INTEGER NOT NULL);"
                                 "INSERT INTO temp.conversation_updates VALUES (0);"
                                 "CREATE TEMP TRIGGER count_conversation_updates "
                                 "AFTER UPDATE ON main.conversations BEGIN "
                                 "  UPDATE conversation_updates SET n = n + 1; END;",
                                 NULL, NULL, NULL), ==, SQLITE_OK);

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autoptr (ConfabMessage) message = NULL;
      g_autofree char *expected = NULL;

      draft = (ConfabMessageDraft) { .conversation_id = conversation->id,
                                     .client_id = steps[i].client_id,
                                     .sender_type = steps[i].sender_type,
                                     .sender_id = steps[i].sender_type == CONFAB_SENDER_VISITOR
                                                    ? visitor->id : owner->id,
                                     .body = steps[i].body };
      message = append (store, &draft, NULL);
      g_assert_nonnull (message);
      g_clear_pointer (&columns, g_free);
      columns = conversation_columns (db, conversation->id);
      expected = g_strdup (steps[i].columns);
      /* the first reply's author is the owner, whose id the table cannot spell */
      if (strstr (expected, "AGENT") != NULL)
        {
          g_autofree char *before = g_strndup (expected, strstr (expected, "AGENT") - expected);

          g_free (expected);
          expected = g_strconcat (before, owner->id, strstr (steps[i].columns, "AGENT") + 5, NULL);
        }
      g_assert_cmpstr (columns, ==, expected);
      g_assert_cmpint (updates_of_conversations (db), ==, steps[i].updates);
    }
}

/* --- what the writer thread reads per message --- */

static int
on_count (unsigned int  type,
          void         *user_data,
          void         *p,
          void         *x)
{
  GHashTable *counts = user_data;
  const char *sql = sqlite3_sql (p);

  if (sql != NULL && !g_str_has_prefix (sql, "--"))
    g_hash_table_insert (counts, g_strdup (sql),
                         GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts, sql)) + 1));
  return 0;
}

/* How often statements whose SQL holds @fragment ran. */
static guint
count_runs (GHashTable *counts,
            const char *fragment)
{
  GHashTableIter iter;
  gpointer sql, n;
  guint runs = 0;

  g_hash_table_iter_init (&iter, counts);
  while (g_hash_table_iter_next (&iter, &sql, &n))
    if (strstr (sql, fragment) != NULL)
      runs += GPOINTER_TO_UINT (n);
  return runs;
}

/* A visitor's message as store_unit () in confab-hub-writer.c stores it, on the writer's own
 * connection: the current conversation, then the append with that row. */
static ConfabConversation *
writer_append (ConfabStore   *writer,
               ConfabVisitor *visitor,
               const char    *client_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabConversation) current = NULL;
  g_autoptr (ConfabMessage) message = NULL;
  ConfabConversation *conversation = NULL;
  ConfabAppendResult result;
  gboolean changed = FALSE;
  ConfabMessageDraft draft = { .site_id = visitor->site_id, .visitor_id = visitor->id,
                               .client_id = client_id, .sender_type = CONFAB_SENDER_VISITOR,
                               .sender_id = visitor->id, .sender_name = "Visitor",
                               .body = "Where is my order?" };

  g_assert_true (confab_store_begin (writer, &error));
  current = confab_store_get_current_conversation (writer, visitor->id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (current);
  draft.conversation_id = current->id;
  draft.conversation = current;
  g_assert_true (confab_store_append_message (writer, &draft, &message, &conversation, &changed,
                                              &result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (result, ==, CONFAB_APPEND_NEW);
  g_assert_true (confab_store_commit (writer, &error));
  g_assert_no_error (error);
  return conversation;
}

/* Per visitor message the writer read the conversation twice (its current-conversation lookup,
 * then the append by id) and parsed the site's settings three times for the response-time
 * targets (issue 12). Now: the row once, the settings once while no other connection commits.
 * A change made on another connection (the main loop's, here @store) still reaches the writer's
 * next message. */
static void
test_writer_reads_once (Fixture       *fixture,
                        gconstpointer  data)
{
  ConfabStore *store = fixture->store;
  ConfabStore *writer;
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (ConfabUser) owner = NULL;
  g_autoptr (ConfabSite) site = NULL;
  g_autoptr (ConfabSite) updated = NULL;
  g_autoptr (ConfabVisitor) visitor = NULL;
  g_autoptr (ConfabConversation) first = NULL;
  g_autoptr (ConfabConversation) last = NULL;
  g_autofree char *token_hash = confab_sha256_hex ("writer visitor");

  owner = confab_store_create_user (store, "owner@writer.test", "Owner", "$argon2id$fake", &error);
  g_assert_no_error (error);
  site = confab_store_create_site (store, owner->id, "Writer", NULL, &error);
  g_assert_no_error (error);
  visitor = confab_store_create_visitor (store, site->id, token_hash, NULL, &error);
  g_assert_no_error (error);
  first = confab_store_create_conversation (store, site->id, visitor->id, &error);
  g_assert_no_error (error);

  writer = confab_store_open (fixture->path, CONFAB_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  sqlite3_trace_v2 (writer->db, SQLITE_TRACE_STMT, on_count, counts);

  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *client_id = g_strdup_printf ("w-%u", i);
      g_autoptr (ConfabConversation) conversation = writer_append (writer, visitor, client_id);

      g_assert_cmpstr (conversation->id, ==, first->id);
      g_assert_cmpint (conversation->last_seq, ==, i + 1);
      g_assert_cmpint (conversation->unread, ==, i + 1);
      g_assert_cmpint (conversation->target_kind, ==, CONFAB_TARGET_NONE);
    }
  /* confab_store_get_conversation ()'s statement, and the settings' JSON */
  g_assert_cmpuint (count_runs (counts, "FROM conversations c WHERE c.id = ?1"), ==, 0);
  g_assert_cmpuint (count_runs (counts, "json_valid (settings)"), ==, 1);

  /* the main loop's connection sets a target: the writer's next message starts it */
  updated = confab_store_update_site (store, site->id, NULL, NULL,
                                      "{\"first_response_seconds\":60}", -1, &error);
  g_assert_no_error (error);
  last = writer_append (writer, visitor, "w-last");
  g_assert_cmpint (last->target_kind, ==, CONFAB_TARGET_FIRST_RESPONSE);
  g_assert_cmpint (last->target_due_at, >, 0);
  g_assert_cmpuint (count_runs (counts, "json_valid (settings)"), ==, 2);

  sqlite3_trace_v2 (writer->db, 0, NULL, NULL);
  confab_store_close (writer);
}

/* A trigger's WHEN x IN ('a', 'b', 'c') makes SQLite fill an ephemeral table with the list every
 * time the trigger runs: on messages, for every message. None has one. (events_analytics_resolved
 * has a list after new.kind = 'timeline' AND …, which a message's event never reaches.) */
static void
test_triggers_without_lists (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr (GString) problems = g_string_new (NULL);
  sqlite3_stmt *stmt = NULL;
  guint triggers = 0;

  g_assert_cmpint (sqlite3_prepare_v2 (fixture->store->db,
                                       "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' "
                                       "AND tbl_name = 'messages'", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *sql = (const char *) sqlite3_column_text (stmt, 1);
      g_autofree char *upper = g_ascii_strup (sql, -1);
      const char *begin = strstr (upper, "BEGIN");
      g_autofree char *when = g_strndup (upper, begin != NULL ? (gsize) (begin - upper)
                                                              : strlen (upper));

      triggers++;
      if (strstr (when, " IN (") != NULL)
        g_string_append_printf (problems, "%s\n", (const char *) sqlite3_column_text (stmt, 0));
    }
  sqlite3_finalize (stmt);
  g_assert_cmpuint (triggers, >=, 3);
  g_assert_cmpstr (problems->str, ==, "");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  TEST ("message-path", test_message_path);
  TEST ("checker", test_checker);
  TEST_WITHOUT_STORE ("migrate-first-agent-reply", test_migrate_first_agent_reply);
  TEST ("site-cache", test_site_cache);
  TEST ("conversation-written-once", test_conversation_written_once);
  TEST ("triggers-without-lists", test_triggers_without_lists);
  TEST ("writer-reads-once", test_writer_reads_once);
  return g_test_run ();
}
