/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-analytics-row.c: an immutable table row of the Analytics view (see the header). */
#define G_LOG_DOMAIN "confab-ui"

#include <math.h>

#include "confab-analytics-row.h"

struct _ConfabAnalyticsRow
{
  GObject   parent_instance;

  char     *label;
  gint64    count;
  gint64    messages;
  double    first_response;
  double    csat;
  gboolean  own;
};

G_DEFINE_FINAL_TYPE (ConfabAnalyticsRow, confab_analytics_row, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_LABEL,
  PROP_COUNT,
  PROP_MESSAGES,
  PROP_FIRST_RESPONSE,
  PROP_CSAT,
  PROP_OWN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The sort keys: a figure that does not exist sorts after every real one when ascending
 * (a faster first response first, then those without one). */
static double
sort_key (double value)
{
  return isnan (value) ? G_MAXDOUBLE : value;
}

static void
confab_analytics_row_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  ConfabAnalyticsRow *self = CONFAB_ANALYTICS_ROW (object);

  switch (prop_id)
    {
    case PROP_LABEL: g_value_set_string (value, self->label); break;
    case PROP_COUNT: g_value_set_int64 (value, self->count); break;
    case PROP_MESSAGES: g_value_set_int64 (value, self->messages); break;
    case PROP_FIRST_RESPONSE: g_value_set_double (value, sort_key (self->first_response)); break;
    /* a better rating first when sorted "descending", none last */
    case PROP_CSAT: g_value_set_double (value, isnan (self->csat) ? -1 : self->csat); break;
    case PROP_OWN: g_value_set_boolean (value, self->own); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_analytics_row_finalize (GObject *object)
{
  g_free (CONFAB_ANALYTICS_ROW (object)->label);
  G_OBJECT_CLASS (confab_analytics_row_parent_class)->finalize (object);
}

static void
confab_analytics_row_class_init (ConfabAnalyticsRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->get_property = confab_analytics_row_get_property;
  object_class->finalize = confab_analytics_row_finalize;
  properties[PROP_LABEL] = g_param_spec_string ("label", NULL, NULL, NULL, flags);
  properties[PROP_COUNT] = g_param_spec_int64 ("count", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_MESSAGES] = g_param_spec_int64 ("messages", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_FIRST_RESPONSE] = g_param_spec_double ("first-response", NULL, NULL, 0,
                                                         G_MAXDOUBLE, 0, flags);
  properties[PROP_CSAT] = g_param_spec_double ("csat", NULL, NULL, -1, 5, -1, flags);
  properties[PROP_OWN] = g_param_spec_boolean ("own", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_analytics_row_init (ConfabAnalyticsRow *self)
{
}

ConfabAnalyticsRow *
confab_analytics_row_new (const char *label,
                          gint64      count,
                          gint64      messages,
                          double      first_response,
                          double      csat,
                          gboolean    own)
{
  ConfabAnalyticsRow *self = g_object_new (CONFAB_TYPE_ANALYTICS_ROW, NULL);

  self->label = g_strdup (label != NULL ? label : "");
  self->count = count;
  self->messages = messages;
  self->first_response = first_response;
  self->csat = csat;
  self->own = own;
  return self;
}

const char *
confab_analytics_row_get_label (ConfabAnalyticsRow *self)
{
  return self->label;
}

gint64
confab_analytics_row_get_count (ConfabAnalyticsRow *self)
{
  return self->count;
}

gint64
confab_analytics_row_get_messages (ConfabAnalyticsRow *self)
{
  return self->messages;
}

double
confab_analytics_row_get_first_response (ConfabAnalyticsRow *self)
{
  return self->first_response;
}

double
confab_analytics_row_get_csat (ConfabAnalyticsRow *self)
{
  return self->csat;
}

gboolean
confab_analytics_row_get_own (ConfabAnalyticsRow *self)
{
  return self->own;
}
