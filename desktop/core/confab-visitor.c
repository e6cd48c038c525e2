/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-visitor"

#include <json-glib/json-glib.h>

#include "confab-visitor.h"

struct _ConfabVisitor
{
  GObject parent_instance;

  char *id;
  char *site_id;
  gboolean online;
  char *name;
  char *email;
  char *country;
  char *city;
  char *timezone;
  char *locale;
  char *browser;
  char *os;
  char *page_url;
  char *page_title;
  char *journey;
  gint64 first_seen;
  gint64 last_seen;
  gint64 visits;
  /* issue 16's contact details; lead_score -1: the relay did not say (one without contacts) */
  char *phone;
  char *notes;
  char *tags;
  gint64 lead_score;
  char *goals;
};

G_DEFINE_FINAL_TYPE (ConfabVisitor, confab_visitor, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_SITE_ID,
  PROP_ONLINE,
  PROP_NAME,
  PROP_EMAIL,
  PROP_COUNTRY,
  PROP_CITY,
  PROP_TIMEZONE,
  PROP_LOCALE,
  PROP_BROWSER,
  PROP_OS,
  PROP_PAGE_URL,
  PROP_PAGE_TITLE,
  PROP_JOURNEY,
  PROP_FIRST_SEEN,
  PROP_LAST_SEEN,
  PROP_VISITS,
  PROP_PHONE,
  PROP_NOTES,
  PROP_TAGS,
  PROP_LEAD_SCORE,
  PROP_GOALS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Set once by the cache that makes the object, never changed after. */
#define PARAM_FLAGS (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS | \
                     G_PARAM_EXPLICIT_NOTIFY)

static void
confab_visitor_finalize (GObject *object)
{
  ConfabVisitor *self = CONFAB_VISITOR (object);

  g_free (self->id);
  g_free (self->site_id);
  g_free (self->name);
  g_free (self->email);
  g_free (self->country);
  g_free (self->city);
  g_free (self->timezone);
  g_free (self->locale);
  g_free (self->browser);
  g_free (self->os);
  g_free (self->page_url);
  g_free (self->page_title);
  g_free (self->journey);
  g_free (self->phone);
  g_free (self->notes);
  g_free (self->tags);
  g_free (self->goals);

  G_OBJECT_CLASS (confab_visitor_parent_class)->finalize (object);
}

static void
confab_visitor_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  ConfabVisitor *self = CONFAB_VISITOR (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;

    case PROP_SITE_ID:
      g_value_set_string (value, self->site_id);
      break;

    case PROP_ONLINE:
      g_value_set_boolean (value, self->online);
      break;

    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    case PROP_EMAIL:
      g_value_set_string (value, self->email);
      break;

    case PROP_COUNTRY:
      g_value_set_string (value, self->country);
      break;

    case PROP_CITY:
      g_value_set_string (value, self->city);
      break;

    case PROP_TIMEZONE:
      g_value_set_string (value, self->timezone);
      break;

    case PROP_LOCALE:
      g_value_set_string (value, self->locale);
      break;

    case PROP_BROWSER:
      g_value_set_string (value, self->browser);
      break;

    case PROP_OS:
      g_value_set_string (value, self->os);
      break;

    case PROP_PAGE_URL:
      g_value_set_string (value, self->page_url);
      break;

    case PROP_PAGE_TITLE:
      g_value_set_string (value, self->page_title);
      break;

    case PROP_JOURNEY:
      g_value_set_string (value, self->journey);
      break;

    case PROP_FIRST_SEEN:
      g_value_set_int64 (value, self->first_seen);
      break;

    case PROP_LAST_SEEN:
      g_value_set_int64 (value, self->last_seen);
      break;

    case PROP_VISITS:
      g_value_set_int64 (value, self->visits);
      break;

    case PROP_PHONE:
      g_value_set_string (value, self->phone);
      break;

    case PROP_NOTES:
      g_value_set_string (value, self->notes);
      break;

    case PROP_TAGS:
      g_value_set_string (value, self->tags);
      break;

    case PROP_LEAD_SCORE:
      g_value_set_int64 (value, self->lead_score);
      break;

    case PROP_GOALS:
      g_value_set_string (value, self->goals);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_visitor_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  ConfabVisitor *self = CONFAB_VISITOR (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_dup_string (value);
      break;

    case PROP_SITE_ID:
      self->site_id = g_value_dup_string (value);
      break;

    case PROP_ONLINE:
      self->online = g_value_get_boolean (value);
      break;

    case PROP_NAME:
      self->name = g_value_dup_string (value);
      break;

    case PROP_EMAIL:
      self->email = g_value_dup_string (value);
      break;

    case PROP_COUNTRY:
      self->country = g_value_dup_string (value);
      break;

    case PROP_CITY:
      self->city = g_value_dup_string (value);
      break;

    case PROP_TIMEZONE:
      self->timezone = g_value_dup_string (value);
      break;

    case PROP_LOCALE:
      self->locale = g_value_dup_string (value);
      break;

    case PROP_BROWSER:
      self->browser = g_value_dup_string (value);
      break;

    case PROP_OS:
      self->os = g_value_dup_string (value);
      break;

    case PROP_PAGE_URL:
      self->page_url = g_value_dup_string (value);
      break;

    case PROP_PAGE_TITLE:
      self->page_title = g_value_dup_string (value);
      break;

    case PROP_JOURNEY:
      self->journey = g_value_dup_string (value);
      break;

    case PROP_FIRST_SEEN:
      self->first_seen = g_value_get_int64 (value);
      break;

    case PROP_LAST_SEEN:
      self->last_seen = g_value_get_int64 (value);
      break;

    case PROP_VISITS:
      self->visits = g_value_get_int64 (value);
      break;

    case PROP_PHONE:
      self->phone = g_value_dup_string (value);
      break;

    case PROP_NOTES:
      self->notes = g_value_dup_string (value);
      break;

    case PROP_TAGS:
      self->tags = g_value_dup_string (value);
      break;

    case PROP_LEAD_SCORE:
      self->lead_score = g_value_get_int64 (value);
      break;

    case PROP_GOALS:
      self->goals = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_visitor_class_init (ConfabVisitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = confab_visitor_finalize;
  object_class->get_property = confab_visitor_get_property;
  object_class->set_property = confab_visitor_set_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, "The visitor id",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_SITE_ID] =
    g_param_spec_string ("site-id", NULL, "Their site",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_ONLINE] =
    g_param_spec_boolean ("online", NULL, "On the site right now",
                          FALSE,
                          PARAM_FLAGS);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, "Name, when given",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_EMAIL] =
    g_param_spec_string ("email", NULL, "Email, when given",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_COUNTRY] =
    g_param_spec_string ("country", NULL, "Country code from geo lookup",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_CITY] =
    g_param_spec_string ("city", NULL, "City from geo lookup",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_TIMEZONE] =
    g_param_spec_string ("timezone", NULL, "IANA time zone the browser reported",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_LOCALE] =
    g_param_spec_string ("locale", NULL, "Browser locale",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_BROWSER] =
    g_param_spec_string ("browser", NULL, "Browser name",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_OS] =
    g_param_spec_string ("os", NULL, "Operating system",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_PAGE_URL] =
    g_param_spec_string ("page-url", NULL, "Current page URL",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_PAGE_TITLE] =
    g_param_spec_string ("page-title", NULL, "Current page title",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_JOURNEY] =
    g_param_spec_string ("journey", NULL, "The last pages as JSON: [{url,title,at,seconds}]",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_FIRST_SEEN] =
    g_param_spec_int64 ("first-seen", NULL, "First visit, Unix ms",
                        0, G_MAXINT64, 0,
                        PARAM_FLAGS);
  properties[PROP_LAST_SEEN] =
    g_param_spec_int64 ("last-seen", NULL, "Last seen, Unix ms",
                        0, G_MAXINT64, 0,
                        PARAM_FLAGS);
  properties[PROP_VISITS] =
    g_param_spec_int64 ("visits", NULL, "Number of visits",
                        0, G_MAXINT64, 0,
                        PARAM_FLAGS);
  properties[PROP_PHONE] =
    g_param_spec_string ("phone", NULL, "Phone, when an agent or the API set one",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_NOTES] =
    g_param_spec_string ("notes", NULL, "The agents' notes on the contact",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_TAGS] =
    g_param_spec_string ("tags", NULL, "The contact's tags as JSON: [\"vip\", …]",
                         NULL,
                         PARAM_FLAGS);
  properties[PROP_LEAD_SCORE] =
    g_param_spec_int64 ("lead-score", NULL, "Lead score 0–100, -1 when the relay has none",
                        -1, 100, -1,
                        PARAM_FLAGS);
  properties[PROP_GOALS] =
    g_param_spec_string ("goals", NULL, "The last goals as JSON: [{name,value,at}]",
                         NULL,
                         PARAM_FLAGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_visitor_init (ConfabVisitor *self)
{
  self->lead_score = -1;
}

const char *
confab_visitor_get_id (ConfabVisitor *self)
{
  g_return_val_if_fail (CONFAB_IS_VISITOR (self), NULL);

  return self->id;
}

const char *
confab_visitor_get_site_id (ConfabVisitor *self)
{
  g_return_val_if_fail (CONFAB_IS_VISITOR (self), NULL);

  return self->site_id;
}

gboolean
confab_visitor_get_online (ConfabVisitor *self)
{
  g_return_val_if_fail (CONFAB_IS_VISITOR (self), FALSE);

  return self->online;
}

const char *
confab_visitor_get_name (ConfabVisitor *self)
{
  g_return_val_if_fail (CONFAB_IS_VISITOR (self), NULL);

  return self->name;
}

const char *
confab_visitor_get_email (ConfabVisitor *self)
{
  g_return_val_if_fail (CONFAB_IS_VISITOR (self), NULL);

  return self->email;
}

const char *
confab_visitor_get_country (ConfabVisitor *self)
{
  g_return_val_if_fail (CONFAB_IS_VISITOR (self), NULL);

  return self->country;
}

const char *
confab_visitor_get_city (ConfabVisitor *self)
{
  g_return_val_if_fail (CONFAB_IS_VISITOR (self), NULL);

  return self->city;
}

const char *
confab_visitor_get_timezone (ConfabVisitor *self)
{
  g_return_val_if_fail (CONFAB_IS_VISITOR (self), NULL);

  return self->timezone;
}

const char *
confab_visitor_get_locale (ConfabVisitor *self)
{
  g_return_val_if_fail (CONFAB_IS_VISITOR (self), NULL);

  return self->locale;
}

const char *
confab_visitor_get_browser (ConfabVisitor *self)
{
  g_return_val_if_fail (CONFAB_IS_VISITOR (self), NULL);

  return self->browser;
}

const char *
confab_visitor_get_os (ConfabVisitor *self)
{
  g_return_val_if_fail (CONFAB_IS_VISITOR (self), NULL);

  return self->os;
}

const char *
confab_visitor_get_page_url (ConfabVisitor *self)
{
  g_return_val_if_fail (CONFAB_IS_VISITOR (self), NULL);

  return self->page_url;
}

const char *
confab_visitor_get_page_title (ConfabVisitor *self)
{
  g_return_val_if_fail (CONFAB_IS_VISITOR (self), NULL);

  return self->page_title;
}

const char *
confab_visitor_get_journey (ConfabVisitor *self)
{
  g_return_val_if_fail (CONFAB_IS_VISITOR (self), NULL);

  return self->journey;
}

gint64
confab_visitor_get_first_seen (ConfabVisitor *self)
{
  g_return_val_if_fail (CONFAB_IS_VISITOR (self), 0);

  return self->first_seen;
}

gint64
confab_visitor_get_last_seen (ConfabVisitor *self)
{
  g_return_val_if_fail (CONFAB_IS_VISITOR (self), 0);

  return self->last_seen;
}

gint64
confab_visitor_get_visits (ConfabVisitor *self)
{
  g_return_val_if_fail (CONFAB_IS_VISITOR (self), 0);

  return self->visits;
}

const char *
confab_visitor_get_phone (ConfabVisitor *self)
{
  g_return_val_if_fail (CONFAB_IS_VISITOR (self), NULL);

  return self->phone;
}

const char *
confab_visitor_get_notes (ConfabVisitor *self)
{
  g_return_val_if_fail (CONFAB_IS_VISITOR (self), NULL);

  return self->notes;
}

const char *
confab_visitor_get_tags (ConfabVisitor *self)
{
  g_return_val_if_fail (CONFAB_IS_VISITOR (self), NULL);

  return self->tags;
}

gint64
confab_visitor_get_lead_score (ConfabVisitor *self)
{
  g_return_val_if_fail (CONFAB_IS_VISITOR (self), -1);

  return self->lead_score;
}

const char *
confab_visitor_get_goals (ConfabVisitor *self)
{
  g_return_val_if_fail (CONFAB_IS_VISITOR (self), NULL);

  return self->goals;
}

/* The tags as a NULL-terminated vector; empty when there are none or they are not a list. */
char **
confab_visitor_dup_tags (ConfabVisitor *self)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  JsonNode *root;

  g_return_val_if_fail (CONFAB_IS_VISITOR (self), NULL);

  if (self->tags != NULL && json_parser_load_from_data (parser, self->tags, -1, NULL) &&
      JSON_NODE_HOLDS_ARRAY (root = json_parser_get_root (parser)))
    {
      JsonArray *tags = json_node_get_array (root);

      for (guint i = 0; i < json_array_get_length (tags); i++)
        {
          JsonNode *tag = json_array_get_element (tags, i);

          if (JSON_NODE_HOLDS_VALUE (tag) && json_node_get_value_type (tag) == G_TYPE_STRING)
            g_strv_builder_add (builder, json_node_get_string (tag));
        }
    }
  return g_strv_builder_end (builder);
}
