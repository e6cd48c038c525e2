/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-faqs-page.c: the FAQ bot's questions and answers of one site (see the header).
 *
 * "Try a question" asks the relay what its bot would do (GET /sites/{id}/faqs?q=: the FAQs it
 * would consider, best first, with their score) and reads the site's faq_threshold and
 * faq_auto_answer to say whether the bot would answer by itself. The search filters the list
 * shown here (a site has tens of FAQs, not thousands). */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>
#include <string.h>

#include "confab-admin-util.h"
#include "confab-client-admin.h"
#include "confab-client-team.h"
#include "confab-client-http.h"
#include "confab-faqs-page.h"

/* The relay's default (relay/confab-faq.h), for a site that never set one. */
#define DEFAULT_THRESHOLD 40
/* "Try a question" lists this many of the relay's matches. */
#define TRY_SHOWN 3

struct _ConfabFaqsPage
{
  AdwPreferencesPage   parent_instance;

  AdwPreferencesGroup *try_group;
  AdwPreferencesGroup *faqs_group;
  AdwEntryRow         *try_row;
  GtkSearchEntry      *search_entry;
  GtkWidget           *add_button;

  ConfabClient        *client;
  char                *site_id;
  gboolean             may_write;
  GCancellable        *cancellable;
  GCancellable        *try_cancellable;
  GPtrArray           *rows;          /* the FAQs' rows */
  GPtrArray           *try_rows;      /* the answer to "try a question" */
  JsonArray           *faqs;
};

G_DEFINE_FINAL_TYPE (ConfabFaqsPage, confab_faqs_page, ADW_TYPE_PREFERENCES_PAGE)

enum {
  PROP_0,
  PROP_SITE_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const ConfabAdminField fields[] = {
  { "faq-question-entry", N_("_Question"), N_("Do you ship abroad?"), FALSE, TRUE },
  { "faq-answer-view", N_("_Answer"), NULL, TRUE, TRUE },
  { "faq-keywords-entry", N_("_Keywords, separated by commas"), N_("shipping, delivery"), FALSE, FALSE },
  /* other words visitors use for the same thing: the bot's matching counts them as the question's */
  { "faq-synonyms-entry", N_("_Synonyms, separated by commas"), N_("overseas, ship to, outside the EU"), FALSE, FALSE },
};

static void load (ConfabFaqsPage *self);

static JsonObject *
find_faq (ConfabFaqsPage *self,
          const char     *id)
{
  for (guint i = 0; self->faqs != NULL && i < json_array_get_length (self->faqs); i++)
    {
      JsonObject *faq = json_array_get_object_element (self->faqs, i);

      if (g_strcmp0 (confab_admin_string (faq, "id"), id) == 0)
        return faq;
    }
  return NULL;
}

/* "shipping, delivery": the strings of the list @member ("keywords", "synonyms") */
static char *
list_text (JsonObject *faq,
           const char *member)
{
  JsonNode *node = json_object_get_member (faq, member);
  g_autoptr (GString) text = g_string_new (NULL);
  JsonArray *keywords;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return g_strdup ("");
  keywords = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (keywords); i++)
    {
      JsonNode *keyword = json_array_get_element (keywords, i);

      if (!JSON_NODE_HOLDS_VALUE (keyword) || json_node_get_value_type (keyword) != G_TYPE_STRING)
        continue;
      if (text->len > 0)
        g_string_append (text, ", ");
      g_string_append (text, json_node_get_string (keyword));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static char *
keywords_text (JsonObject *faq)
{
  return list_text (faq, "keywords");
}

/* "a, b , ,c" as ["a","b","c"] */
static JsonArray *
list_array (const char *text)
{
  g_auto (GStrv) words = g_strsplit (text, ",", -1);
  JsonArray *array = json_array_new ();

  for (guint i = 0; words[i] != NULL; i++)
    if (*g_strstrip (words[i]) != '\0')
      json_array_add_string_element (array, words[i]);
  return array;
}

/* ------------------------------------------------------------- search --- */

static gboolean
faq_matches (JsonObject *faq,
             const char *needle)
{
  g_autofree char *keywords = keywords_text (faq);
  g_autofree char *synonyms = list_text (faq, "synonyms");
  const char *texts[] = { confab_admin_string (faq, "question"),
                          confab_admin_string (faq, "answer"), keywords, synonyms };

  if (needle == NULL || *needle == '\0')
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autofree char *folded = texts[i] != NULL ? g_utf8_casefold (texts[i], -1) : NULL;

      if (folded != NULL && strstr (folded, needle) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
apply_search (ConfabFaqsPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *stripped = g_strstrip (g_strdup (text));
  g_autofree char *needle = g_utf8_casefold (stripped, -1);
  guint shown = 0;

  for (guint i = 0; i < self->rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->rows, i);
      JsonObject *faq = find_faq (self, g_object_get_data (G_OBJECT (row), "faq-id"));
      gboolean visible = faq != NULL && faq_matches (faq, needle);

      gtk_widget_set_visible (row, visible);
      shown += visible;
    }
  if (self->faqs == NULL)
    return;
  if (json_array_get_length (self->faqs) == 0)
    adw_preferences_group_set_description (self->faqs_group,
                                           _("No FAQs yet. The bot answers visitors’ questions with them while no agent has."));
  else if (shown == 0)
    adw_preferences_group_set_description (self->faqs_group, _("No FAQ matches the search."));
  else
    adw_preferences_group_set_description (self->faqs_group, NULL);
}

static void
on_search_changed (ConfabFaqsPage *self)
{
  apply_search (self);
}

/* -------------------------------------------------------------- write --- */

typedef struct {
  ConfabFaqsPage *self;
  char           *id;        /* NULL: a new one */
  char          **values;    /* what was typed, to show again after a refusal */
} Save;

static void
save_free (gpointer data)
{
  Save *save = data;

  g_object_unref (save->self);
  g_free (save->id);
  g_strfreev (save->values);
  g_free (save);
}

static Save *
save_new (ConfabFaqsPage *self,
          const char     *id)
{
  Save *save = g_new0 (Save, 1);

  save->self = g_object_ref (self);
  save->id = g_strdup (id);
  return save;
}

static void edit (ConfabFaqsPage *self, const char *id, const char *error,
                  const char * const *values);

static void
saved_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Save *save = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL, &error);

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (error != NULL && save->values != NULL)
        /* the form again, as it was typed, with the relay's reason */
        edit (save->self, save->id, error->message, (const char * const *) save->values);
      else if (error != NULL)
        confab_admin_toast (GTK_WIDGET (save->self), error->message);
      load (save->self);
    }
  save_free (save);
}

static void
on_edited (const char * const *values,
           gpointer            user_data)
{
  Save *save = save_new (((Save *) user_data)->self, ((Save *) user_data)->id);
  ConfabFaqsPage *self = save->self;
  g_autoptr (JsonObject) body = json_object_new ();
  g_autofree char *path = NULL;

  save->values = g_strdupv ((char **) values);
  json_object_set_string_member (body, "question", values[0]);
  json_object_set_string_member (body, "answer", values[1]);
  json_object_set_array_member (body, "keywords", list_array (values[2]));
  /* the whole list: an emptied entry clears them (PATCH replaces the list) */
  json_object_set_array_member (body, "synonyms", list_array (values[3]));
  path = save->id != NULL ? confab_admin_path ("faqs", save->id, NULL)
                          : confab_admin_path ("sites", self->site_id, "faqs");
  confab_client_request_async (self->client, save->id != NULL ? "PATCH" : "POST", path, body,
                               self->cancellable, saved_cb, save);
}

static void
edit (ConfabFaqsPage     *self,
      const char         *id,
      const char         *error,
      const char * const *values)
{
  static ConfabAdminField translated[G_N_ELEMENTS (fields)];
  JsonObject *faq = id != NULL ? find_faq (self, id) : NULL;
  g_autofree char *keywords = faq != NULL ? keywords_text (faq) : NULL;
  g_autofree char *synonyms = faq != NULL ? list_text (faq, "synonyms") : NULL;
  const char *current[G_N_ELEMENTS (fields)] = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      translated[i] = fields[i];
      translated[i].label = _(fields[i].label);
      translated[i].placeholder = fields[i].placeholder != NULL ? _(fields[i].placeholder) : NULL;
    }
  if (values == NULL && faq != NULL)
    {
      current[0] = confab_admin_string (faq, "question");
      current[1] = confab_admin_string (faq, "answer");
      current[2] = keywords;
      current[3] = synonyms;
      values = current;
    }
  confab_admin_edit (GTK_WIDGET (self), id != NULL ? _("Edit FAQ") : _("New FAQ"), error,
                     translated, G_N_ELEMENTS (fields), values, _("_Save"), on_edited,
                     save_new (self, id), save_free);
}

static void
add_action (GtkWidget  *widget,
            const char *name,
            GVariant   *parameter)
{
  edit (CONFAB_FAQS_PAGE (widget), NULL, NULL, NULL);
}

static void
edit_action (GtkWidget  *widget,
             const char *name,
             GVariant   *parameter)
{
  edit (CONFAB_FAQS_PAGE (widget), g_variant_get_string (parameter, NULL), NULL, NULL);
}

static void
do_delete (gpointer data)
{
  Save *save = data;
  g_autofree char *path = confab_admin_path ("faqs", save->id, NULL);

  confab_client_request_async (save->self->client, "DELETE", path, NULL, save->self->cancellable,
                               saved_cb, save_new (save->self, save->id));
}

static void
delete_action (GtkWidget  *widget,
               const char *name,
               GVariant   *parameter)
{
  ConfabFaqsPage *self = CONFAB_FAQS_PAGE (widget);
  const char *id = g_variant_get_string (parameter, NULL);
  JsonObject *faq = find_faq (self, id);
  g_autofree char *body = g_strdup_printf (_("“%s” and its answer are deleted; the bot no longer answers with it."),
                                           faq != NULL ? confab_admin_string (faq, "question") : id);

  confab_admin_confirm (widget, _("Delete the FAQ?"), body, _("_Delete"), do_delete,
                        save_new (self, id), save_free);
}

/* --------------------------------------------------------------- list --- */

static GtkWidget *
faq_row (ConfabFaqsPage *self,
         JsonObject     *faq)
{
  const char *id = confab_admin_string (faq, "id");
  g_autofree char *title = confab_admin_markup (confab_admin_string (faq, "question"));
  g_autofree char *subtitle = confab_admin_markup (confab_admin_string (faq, "answer"));
  g_autofree char *keywords = keywords_text (faq);
  g_autofree char *synonyms = list_text (faq, "synonyms");
  g_autofree char *name = g_strdup_printf ("faq-%s", id);
  gint64 views = json_object_get_int_member_with_default (faq, "views", 0);
  gint64 helpful = json_object_get_int_member_with_default (faq, "helpful", 0);
  gint64 not_helpful = json_object_get_int_member_with_default (faq, "not_helpful", 0);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *stats;
  g_autofree char *stats_text = NULL;
  g_autofree char *tooltip = NULL;

  gtk_widget_set_name (row, name);
  g_object_set_data_full (G_OBJECT (row), "faq-id", g_strdup (id), g_free);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
  if (*keywords != '\0' && *synonyms != '\0')
    /* Translators: a FAQ's keywords and synonyms, each a list separated by commas */
    tooltip = g_strdup_printf (_("Keywords: %s\nSynonyms: %s"), keywords, synonyms);
  else if (*keywords != '\0')
    tooltip = g_strdup_printf (_("Keywords: %s"), keywords);
  else if (*synonyms != '\0')
    tooltip = g_strdup_printf (_("Synonyms: %s"), synonyms);
  if (tooltip != NULL)
    gtk_widget_set_tooltip_text (row, tooltip);

  /* Translators: how often the bot answered with a FAQ, and what the visitors said of it */
  stats_text = g_strdup_printf (_("%" G_GINT64_FORMAT " answers · %" G_GINT64_FORMAT " helpful, %" G_GINT64_FORMAT " not"),
                                views, helpful, not_helpful);
  stats = gtk_label_new (stats_text);
  gtk_widget_add_css_class (stats, "dim-label");
  gtk_widget_add_css_class (stats, "caption");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), stats);
  if (self->may_write)
    {
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 confab_admin_row_button ("document-edit-symbolic",
                                                          _("Edit"), "faqs.edit",
                                                          id, "faq-edit"));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 confab_admin_row_button ("user-trash-symbolic",
                                                          _("Delete"), "faqs.delete",
                                                          id, "faq-delete"));
    }
  return row;
}

static void
show_faqs (ConfabFaqsPage *self,
           JsonArray      *faqs)
{
  if (faqs != self->faqs)
    {
      g_clear_pointer (&self->faqs, json_array_unref);
      self->faqs = json_array_ref (faqs);
    }
  confab_admin_group_clear (self->faqs_group, self->rows);
  for (guint i = 0; i < json_array_get_length (faqs); i++)
    {
      JsonNode *node = json_array_get_element (faqs, i);

      if (JSON_NODE_HOLDS_OBJECT (node) && confab_admin_string (json_node_get_object (node), "id"))
        confab_admin_group_add (self->faqs_group, self->rows, faq_row (self, json_node_get_object (node)));
    }
  apply_search (self);
}

static void
faqs_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  ConfabFaqsPage *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_get_json_finish (CONFAB_CLIENT (source), result, &error);
  JsonNode *list;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  list = answer != NULL ? json_object_get_member (answer, "faqs") : NULL;
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    {
      g_autofree char *text = g_strdup_printf (_("The FAQs could not be loaded: %s"),
                                               error != NULL ? error->message : _("no list"));
      adw_preferences_group_set_description (self->faqs_group, text);
      return;
    }
  show_faqs (self, json_node_get_array (list));
}

static void
load (ConfabFaqsPage *self)
{
  g_autofree char *path = NULL;

  if (self->site_id == NULL || self->client == NULL)
    return;
  path = confab_admin_path ("sites", self->site_id, "faqs");
  confab_client_get_json_async (self->client, path, self->cancellable, faqs_cb, self);
}

/* ---------------------------------------------------------------- try --- */

typedef struct {
  ConfabFaqsPage *self;
  JsonObject     *matches;   /* GET …/faqs?q= */
  JsonObject     *site;      /* GET /sites/{id}, for the threshold */
  guint           pending;
  char           *error;
  GCancellable   *cancellable;
} Try;

static void
try_free (Try *try)
{
  g_clear_pointer (&try->matches, json_object_unref);
  g_clear_pointer (&try->site, json_object_unref);
  g_free (try->error);
  g_object_unref (try->cancellable);
  g_free (try);
}

static void
try_show (Try *try)
{
  ConfabFaqsPage *self = try->self;
  JsonObject *settings = confab_admin_object (try->site, "settings");
  gint64 threshold = DEFAULT_THRESHOLD;
  gboolean bot_on = TRUE;
  JsonNode *list = try->matches != NULL ? json_object_get_member (try->matches, "faqs") : NULL;
  JsonArray *matches = list != NULL && JSON_NODE_HOLDS_ARRAY (list) ? json_node_get_array (list) : NULL;

  confab_admin_group_clear (self->try_group, self->try_rows);
  if (settings != NULL)
    {
      threshold = json_object_get_int_member_with_default (settings, "faq_threshold", threshold);
      bot_on = json_object_get_boolean_member_with_default (settings, "faq_auto_answer", TRUE);
    }
  if (matches == NULL || json_array_get_length (matches) == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      gtk_widget_set_name (row, "faq-try-result");
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     try->error != NULL ? _("The relay could not be asked")
                                                        : _("No FAQ answers this question"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                                   try->error != NULL ? try->error
                                                      : _("The bot stays quiet; an agent answers."));
      confab_admin_group_add (self->try_group, self->try_rows, row);
      return;
    }
  for (guint i = 0; i < json_array_get_length (matches) && i < TRY_SHOWN; i++)
    {
      JsonObject *faq = json_array_get_object_element (matches, i);
      gint64 score = json_object_get_int_member_with_default (faq, "score", 0);
      g_autofree char *title = confab_admin_markup (confab_admin_string (faq, "question"));
      g_autofree char *subtitle = NULL;
      g_autofree char *badge_text = g_strdup_printf ("%" G_GINT64_FORMAT, score);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *badge = gtk_label_new (badge_text);

      if (i > 0)
        /* Translators: a FAQ the bot considered but did not pick */
        subtitle = g_strdup_printf (_("Score %" G_GINT64_FORMAT " of 100 · less close"), score);
      else if (!bot_on)
        subtitle = g_strdup_printf (_("Score %" G_GINT64_FORMAT " of 100 · the bot is off for this site: an agent answers"),
                                    score);
      else if (score >= threshold)
        subtitle = g_strdup_printf (_("Score %" G_GINT64_FORMAT " of 100 · the bot answers with it (threshold %" G_GINT64_FORMAT ")"),
                                    score, threshold);
      else
        subtitle = g_strdup_printf (_("Score %" G_GINT64_FORMAT " of 100 · under the threshold of %" G_GINT64_FORMAT ": the bot stays quiet"),
                                    score, threshold);
      gtk_widget_set_name (row, i == 0 ? "faq-try-result" : "faq-try-other");
      g_object_set_data_full (G_OBJECT (row), "faq-id", g_strdup (confab_admin_string (faq, "id")), g_free);
      g_object_set_data (G_OBJECT (row), "score", GINT_TO_POINTER ((int) score));
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gtk_widget_set_name (badge, "faq-try-score");
      gtk_widget_set_valign (badge, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (badge, "title-4");
      if (i == 0 && bot_on && score >= threshold)
        gtk_widget_add_css_class (badge, "success");
      else
        gtk_widget_add_css_class (badge, "dim-label");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), badge);
      confab_admin_group_add (self->try_group, self->try_rows, row);
    }
}

static void
try_done (Try *try)
{
  if (--try->pending > 0)
    return;
  if (!g_cancellable_is_cancelled (try->cancellable))
    try_show (try);
  try_free (try);
}

static void
try_matches_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Try *try = user_data;
  g_autoptr (GError) error = NULL;

  try->matches = confab_client_get_json_finish (CONFAB_CLIENT (source), result, &error);
  if (try->matches == NULL)
    try->error = g_strdup (error->message);
  try_done (try);
}

/* The site's threshold; without it (an agent may not read every setting) the default. */
static void
try_site_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Try *try = user_data;

  try->site = confab_client_get_json_finish (CONFAB_CLIENT (source), result, NULL);
  try_done (try);
}

static void
on_try (ConfabFaqsPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->try_row));
  g_autofree char *question = g_strstrip (g_strdup (text));
  g_autofree char *escaped = NULL;
  g_autofree char *faqs = NULL;
  g_autofree char *site = NULL;
  g_autofree char *path = NULL;
  Try *try;

  if (*question == '\0' || self->site_id == NULL)
    return;
  g_cancellable_cancel (self->try_cancellable);
  g_clear_object (&self->try_cancellable);
  self->try_cancellable = g_cancellable_new ();
  escaped = g_uri_escape_string (question, NULL, FALSE);
  faqs = confab_admin_path ("sites", self->site_id, "faqs");
  path = g_strdup_printf ("%s?q=%s", faqs, escaped);
  site = confab_admin_path ("sites", self->site_id, NULL);
  try = g_new0 (Try, 1);
  try->self = self;
  try->pending = 2;
  try->cancellable = g_object_ref (self->try_cancellable);
  confab_client_get_json_async (self->client, path, try->cancellable, try_matches_cb, try);
  confab_client_get_json_async (self->client, site, try->cancellable, try_site_cb, try);
}

/* ------------------------------------------------------------- pushed --- */

static void
on_faqs_changed (ConfabClient   *client,
                 const char     *site_id,
                 JsonArray      *faqs,
                 ConfabFaqsPage *self)
{
  if (g_strcmp0 (site_id, self->site_id) != 0)
    return;
  if (faqs != NULL)
    show_faqs (self, faqs);
  else
    load (self); /* too long to push: over REST */
}

static void
on_state_changed (ConfabClient   *client,
                  GParamSpec     *pspec,
                  ConfabFaqsPage *self)
{
  /* back online: what changed meanwhile was pushed to nobody */
  if (confab_client_get_state (client) == CONFAB_CLIENT_ONLINE)
    load (self);
}

/* --------------------------------------------------------------- site --- */

static void
set_site_id (ConfabFaqsPage *self,
             const char     *site_id)
{
  g_autofree char *role = NULL;

  if (g_strcmp0 (self->site_id, site_id) == 0)
    return;
  g_free (self->site_id);
  self->site_id = g_strdup (site_id);
  /* what was on its way for the last site is not for this one */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  if (self->try_cancellable != NULL)
    g_cancellable_cancel (self->try_cancellable);
  if (site_id != NULL && self->client != NULL)
    role = confab_client_dup_site_role (self->client, site_id);
  self->may_write = g_strcmp0 (role, "owner") == 0 || g_strcmp0 (role, "admin") == 0;
  gtk_widget_set_visible (self->add_button, self->may_write);
  g_clear_pointer (&self->faqs, json_array_unref);
  confab_admin_group_clear (self->faqs_group, self->rows);
  confab_admin_group_clear (self->try_group, self->try_rows);
  adw_preferences_group_set_description (self->faqs_group, NULL);
  load (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SITE_ID]);
}

/* ---------------------------------------------------------- lifecycle --- */

static void
confab_faqs_page_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  ConfabFaqsPage *self = CONFAB_FAQS_PAGE (object);

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
confab_faqs_page_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  ConfabFaqsPage *self = CONFAB_FAQS_PAGE (object);

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
confab_faqs_page_dispose (GObject *object)
{
  ConfabFaqsPage *self = CONFAB_FAQS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->try_cancellable != NULL)
    g_cancellable_cancel (self->try_cancellable);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->try_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (object), CONFAB_TYPE_FAQS_PAGE);
  G_OBJECT_CLASS (confab_faqs_page_parent_class)->dispose (object);
}

static void
confab_faqs_page_finalize (GObject *object)
{
  ConfabFaqsPage *self = CONFAB_FAQS_PAGE (object);

  g_free (self->site_id);
  g_clear_pointer (&self->faqs, json_array_unref);
  g_ptr_array_unref (self->rows);
  g_ptr_array_unref (self->try_rows);
  G_OBJECT_CLASS (confab_faqs_page_parent_class)->finalize (object);
}

static void
confab_faqs_page_class_init (ConfabFaqsPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = confab_faqs_page_dispose;
  G_OBJECT_CLASS (klass)->finalize = confab_faqs_page_finalize;
  G_OBJECT_CLASS (klass)->get_property = confab_faqs_page_get_property;
  G_OBJECT_CLASS (klass)->set_property = confab_faqs_page_set_property;

  /* the site the settings area's picker shows; NULL: none */
  properties[PROP_SITE_ID] =
    g_param_spec_string ("site-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (G_OBJECT_CLASS (klass), N_PROPS, properties);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/chat/confab/Confab/confab-faqs-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabFaqsPage, try_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabFaqsPage, faqs_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabFaqsPage, try_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabFaqsPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, ConfabFaqsPage, add_button);
  gtk_widget_class_bind_template_callback (widget_class, on_try);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_install_action (widget_class, "faqs.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "faqs.edit", "s", edit_action);
  gtk_widget_class_install_action (widget_class, "faqs.delete", "s", delete_action);
}

static void
confab_faqs_page_init (ConfabFaqsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->rows = g_ptr_array_new ();
  self->try_rows = g_ptr_array_new ();
}

GtkWidget *
confab_faqs_page_new (ConfabClient *client)
{
  ConfabFaqsPage *self;

  g_return_val_if_fail (CONFAB_IS_CLIENT (client), NULL);

  self = g_object_new (CONFAB_TYPE_FAQS_PAGE, NULL);
  self->client = g_object_ref (client);
  confab_client_ensure_list_signals ();
  g_signal_connect (client, "faqs-changed", G_CALLBACK (on_faqs_changed), self);
  g_signal_connect (client, "notify::state", G_CALLBACK (on_state_changed), self);
  return GTK_WIDGET (self);
}
