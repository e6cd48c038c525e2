/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-audit-page.c: the audit log of one site (see the header).
 *
 * GET /sites/{id}/audit answers a page of entries, newest first, and the `before` that asks for
 * the next older page. The page asks for one when it is scrolled near its end (or the button
 * under the list is pressed): rows are made only for the pages a user scrolled to, so a long log
 * costs what was looked at. Each entry reads as a sentence (who did what to whom), with its time
 * and the start of the hashed address it came from (which tells two addresses apart and
 * reveals neither). */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-admin-util.h"
#include "confab-audit-page.h"
#include "confab-client-admin.h"
#include "confab-client-http.h"
#include "confab-client-team.h"

#define PAGE_SIZE 50
/* Closer than this to the end of what is shown, the next page is fetched. */
#define NEAR_END_PX 300

struct _ConfabAuditPage
{
  AdwPreferencesPage   parent_instance;

  AdwPreferencesGroup *entries_group;
  GtkWidget           *more_button;

  ConfabClient        *client;
  char                *site_id;
  GCancellable        *cancellable;
  GPtrArray           *rows;
  gint64               next_before;   /* 0: no older page */
  gboolean             loading;
  GtkAdjustment       *vadjustment;
};

G_DEFINE_FINAL_TYPE (ConfabAuditPage, confab_audit_page, ADW_TYPE_PREFERENCES_PAGE)

enum {
  PROP_0,
  PROP_SITE_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void load (ConfabAuditPage *self, gint64 before);

/* ------------------------------------------------------------ entries --- */

static const char *
role_label (const char *role)
{
  if (g_strcmp0 (role, "owner") == 0)
    return _("owner");
  if (g_strcmp0 (role, "admin") == 0)
    return _("admin");
  return _("agent");
}

/* The entry as one sentence (not markup). */
char *
confab_audit_page_describe (JsonObject *entry)
{
  const char *action = confab_admin_string (entry, "action");
  JsonObject *actor = confab_admin_object (entry, "actor");
  JsonObject *target = confab_admin_object (entry, "target");
  JsonObject *details = confab_admin_object (entry, "details");
  const char *who = confab_admin_string (actor, "name");
  const char *what = confab_admin_string (target, "name");
  const char *role = confab_admin_string (details, "role");
  gint64 count = details != NULL ? json_object_get_int_member_with_default (details, "conversations", 0) : 0;

  if (who == NULL || *who == '\0')
    who = actor != NULL ? confab_admin_string (actor, "id") : _("The relay");
  if (what == NULL || *what == '\0')
    what = target != NULL && confab_admin_string (target, "id") != NULL
           ? confab_admin_string (target, "id") : _("someone");
  if (action == NULL)
    return g_strdup (who);

  if (g_str_equal (action, "site.created"))
    return g_strdup_printf (_("%s created the site"), who);
  if (g_str_equal (action, "site.updated"))
    return g_strdup_printf (_("%s changed the site’s settings"), who);
  if (g_str_equal (action, "site.key_rotated"))
    return g_strdup_printf (_("%s rotated the site key"), who);
  if (g_str_equal (action, "member.added"))
    return details != NULL && json_object_get_boolean_member_with_default (details, "invited", FALSE)
           ? g_strdup_printf (_("%s invited %s as %s"), who, what, role_label (role))
           : g_strdup_printf (_("%s added %s as %s"), who, what, role_label (role));
  if (g_str_equal (action, "member.updated"))
    return g_strdup_printf (_("%s made %s %s"), who, what, role_label (role));
  if (g_str_equal (action, "member.removed"))
    return g_strdup_printf (_("%s removed %s from the site"), who, what);
  if (g_str_equal (action, "member.password_reset"))
    return g_strdup_printf (_("%s reset the password of %s"), who, what);
  if (g_str_equal (action, "faq.created"))
    return g_strdup_printf (_("%s added the FAQ “%s”"), who, what);
  if (g_str_equal (action, "faq.updated"))
    return g_strdup_printf (_("%s changed the FAQ “%s”"), who, what);
  if (g_str_equal (action, "faq.deleted"))
    return g_strdup_printf (_("%s deleted the FAQ “%s”"), who, what);
  if (g_str_equal (action, "canned.created"))
    return g_strdup_printf (_("%s added the canned response /%s"), who, what);
  if (g_str_equal (action, "canned.updated"))
    return g_strdup_printf (_("%s changed the canned response /%s"), who, what);
  if (g_str_equal (action, "canned.deleted"))
    return g_strdup_printf (_("%s deleted the canned response /%s"), who, what);
  if (g_str_equal (action, "visitor.exported"))
    return g_strdup_printf (_("%s exported the data of %s"), who, what);
  if (g_str_equal (action, "visitor.deleted"))
    return g_strdup_printf (g_dngettext (NULL, "%s deleted a visitor and %d conversation",
                                         "%s deleted a visitor and %d conversations", count),
                            who, (int) count);
  if (g_str_equal (action, "visitor.blocked"))
    return g_strdup_printf (_("%s blocked %s"), who, what);
  if (g_str_equal (action, "visitor.unblocked"))
    return g_strdup_printf (_("%s unblocked %s"), who, what);
  if (g_str_equal (action, "retention.purged"))
    return g_strdup_printf (g_dngettext (NULL, "%d resolved conversation older than %d days was deleted",
                                         "%d resolved conversations older than %d days were deleted",
                                         count),
                            (int) count,
                            (int) json_object_get_int_member_with_default (details, "retention_days", 0));
  /* an action of a newer relay: its name says enough */
  return g_strdup_printf ("%s: %s", who, action);
}

static GtkWidget *
entry_row (JsonObject *entry)
{
  g_autofree char *sentence = confab_audit_page_describe (entry);
  g_autofree char *title = confab_admin_markup (sentence);
  g_autofree char *when = confab_admin_format_time (confab_admin_string (entry, "at"));
  const char *ip_hash = confab_admin_string (entry, "ip_hash");
  g_autofree char *subtitle = NULL;
  g_autofree char *name = g_strdup_printf ("audit-%" G_GINT64_FORMAT,
                                           json_object_get_int_member_with_default (entry, "id", 0));
  GtkWidget *row = adw_action_row_new ();

  if (ip_hash != NULL && *ip_hash != '\0')
    {
      g_autofree char *short_hash = g_strndup (ip_hash, 8);

      /* Translators: a time, then the start of the hash of the address an action came from */
      subtitle = g_strdup_printf (_("%s · from address #%s"), when, short_hash);
    }
  else
    subtitle = g_strdup (when);
  gtk_widget_set_name (row, name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_tooltip_text (row, confab_admin_string (entry, "action"));
  return row;
}

static void
entries_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  ConfabAuditPage *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) answer = confab_client_request_finish (CONFAB_CLIENT (source), result, NULL, &error);
  JsonNode *list;
  JsonArray *entries;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->loading = FALSE;
  list = answer != NULL ? json_object_get_member (answer, "entries") : NULL;
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    {
      g_autofree char *text = g_strdup_printf (_("The audit log could not be loaded: %s"),
                                               error != NULL ? error->message : _("no list"));
      adw_preferences_group_set_description (self->entries_group, text);
      return;
    }
  entries = json_node_get_array (list);
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonNode *node = json_array_get_element (entries, i);

      if (JSON_NODE_HOLDS_OBJECT (node))
        confab_admin_group_add (self->entries_group, self->rows, entry_row (json_node_get_object (node)));
    }
  self->next_before = json_object_get_int_member_with_default (answer, "next_before", 0);
  gtk_widget_set_visible (self->more_button, self->next_before > 0);
  if (self->rows->len == 0)
    adw_preferences_group_set_description (self->entries_group, _("Nothing has been changed yet."));
}

static void
load (ConfabAuditPage *self,
      gint64           before)
{
  g_autofree char *base = NULL;
  g_autofree char *path = NULL;

  if (self->site_id == NULL || self->client == NULL || self->loading)
    return;
  base = confab_admin_path ("sites", self->site_id, "audit");
  if (before > 0)
    path = g_strdup_printf ("%s?limit=%d&before=%" G_GINT64_FORMAT, base, PAGE_SIZE, before);
  else
    path = g_strdup_printf ("%s?limit=%d", base, PAGE_SIZE);
  self->loading = TRUE;
  confab_client_request_async (self->client, "GET", path, NULL, self->cancellable, entries_cb, self);
}

/* From the newest again: what is shown is dropped. */
static void
reload (ConfabAuditPage *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->loading = FALSE;
  self->next_before = 0;
  confab_admin_group_clear (self->entries_group, self->rows);
  gtk_widget_set_visible (self->more_button, FALSE);
  load (self, 0);
}

static void
more_action (GtkWidget  *widget,
             const char *name,
             GVariant   *parameter)
{
  ConfabAuditPage *self = CONFAB_AUDIT_PAGE (widget);

  if (self->next_before > 0)
    load (self, self->next_before);
}

static void
refresh_action (GtkWidget  *widget,
                const char *name,
                GVariant   *parameter)
{
  reload (CONFAB_AUDIT_PAGE (widget));
}

/* Scrolled near the end of what is shown: the next older page. */
static void
on_scrolled (GtkAdjustment   *adjustment,
             ConfabAuditPage *self)
{
  double end = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);

  if (self->next_before > 0 && !self->loading &&
      gtk_adjustment_get_value (adjustment) >= end - NEAR_END_PX)
    load (self, self->next_before);
}

/* The page's own scrolled window (AdwPreferencesPage scrolls its groups). */
static void
confab_audit_page_realize (GtkWidget *widget)
{
  ConfabAuditPage *self = CONFAB_AUDIT_PAGE (widget);

  GTK_WIDGET_CLASS (confab_audit_page_parent_class)->realize (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_SCROLLED_WINDOW (child) && self->vadjustment == NULL)
      {
        self->vadjustment = g_object_ref (gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (child)));
        g_signal_connect_object (self->vadjustment, "value-changed", G_CALLBACK (on_scrolled), self, 0);
      }
}

/* Shown again (another page of the settings area was in front): what was done there meanwhile
 * is in the log now. */
static void
confab_audit_page_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (confab_audit_page_parent_class)->map (widget);
  reload (CONFAB_AUDIT_PAGE (widget));
}

/* --------------------------------------------------------------- site --- */

static void
set_site_id (ConfabAuditPage *self,
             const char      *site_id)
{
  if (g_strcmp0 (self->site_id, site_id) == 0)
    return;
  g_free (self->site_id);
  self->site_id = g_strdup (site_id);
  adw_preferences_group_set_description (self->entries_group,
                                         _("Who changed the site’s settings, team, FAQs, canned responses and visitor data, newest first. Addresses are kept only as hashes."));
  reload (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SITE_ID]);
}

/* ---------------------------------------------------------- lifecycle --- */

static void
confab_audit_page_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  ConfabAuditPage *self = CONFAB_AUDIT_PAGE (object);

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
confab_audit_page_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  ConfabAuditPage *self = CONFAB_AUDIT_PAGE (object);

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
confab_audit_page_dispose (GObject *object)
{
  ConfabAuditPage *self = CONFAB_AUDIT_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->vadjustment);
  gtk_widget_dispose_template (GTK_WIDGET (object), CONFAB_TYPE_AUDIT_PAGE);
  G_OBJECT_CLASS (confab_audit_page_parent_class)->dispose (object);
}

static void
confab_audit_page_finalize (GObject *object)
{
  ConfabAuditPage *self = CONFAB_AUDIT_PAGE (object);

  g_free (self->site_id);
  g_ptr_array_unref (self->rows);
  G_OBJECT_CLASS (confab_audit_page_parent_class)->finalize (object);
}

static void
confab_audit_page_class_init (ConfabAuditPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = confab_audit_page_dispose;
  G_OBJECT_CLASS (klass)->finalize = confab_audit_page_finalize;
  G_OBJECT_CLASS (klass)->get_property = confab_audit_page_get_property;
  G_OBJECT_CLASS (klass)->set_property = confab_audit_page_set_property;
  widget_class->realize = confab_audit_page_realize;
  widget_class->map = confab_audit_page_map;

  /* the site the settings area's picker shows; NULL: none */
  properties[PROP_SITE_ID] =
    g_param_spec_string ("site-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (G_OBJECT_CLASS (klass), N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/chat/confab/Confab/confab-audit-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabAuditPage, entries_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabAuditPage, more_button);
  gtk_widget_class_install_action (widget_class, "audit.more", NULL, more_action);
  gtk_widget_class_install_action (widget_class, "audit.refresh", NULL, refresh_action);
}

static void
confab_audit_page_init (ConfabAuditPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->rows = g_ptr_array_new ();
}

GtkWidget *
confab_audit_page_new (ConfabClient *client)
{
  ConfabAuditPage *self;

  g_return_val_if_fail (CONFAB_IS_CLIENT (client), NULL);

  self = g_object_new (CONFAB_TYPE_AUDIT_PAGE, NULL);
  self->client = g_object_ref (client);
  return GTK_WIDGET (self);
}
