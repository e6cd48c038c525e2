/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-store-engage.h: contacts (phone, notes, tags, lead score), goals and proactive
 * triggers (issue 16). Kept in tables of their own beside visitors, so that a visitor's row and
 * every query reading it stay as they are. */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

/* What agents wrote down about a visitor, and the lead score the relay keeps for them. A
 * visitor nobody wrote about has an empty contact (no row yet), never NULL. */
typedef struct {
  char      *visitor_id;
  char      *phone;          /* NULL when unknown */
  char      *notes;
  char     **tags;           /* never NULL */
  gboolean   asked_price;    /* a message of theirs asked about prices (confab-engage.c) */
  gint       lead_score;     /* 0–100 */
} ConfabContact;

void confab_contact_free (ConfabContact *contact);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabContact, confab_contact_free)

/* A change of a contact: the set_ fields say which ones change (NULL clears), asked_price and
 * lead_score are kept when negative. */
typedef struct {
  gboolean             set_phone;
  const char          *phone;
  gboolean             set_notes;
  const char          *notes;
  gboolean             set_tags;
  const char * const  *tags;
  gint                 asked_price;
  gint                 lead_score;
} ConfabContactChange;

ConfabContact *confab_store_get_contact          (ConfabStore               *store,
                                                  const char                *visitor_id,
                                                  GError                   **error);
gboolean       confab_store_put_contact          (ConfabStore               *store,
                                                  const char                *site_id,
                                                  const char                *visitor_id,
                                                  const ConfabContactChange *change,
                                                  GError                   **error);
/* As confab_store_search_visitors (), highest lead score first (then the latest seen). */
GPtrArray     *confab_store_search_visitors_by_score (ConfabStore           *store,
                                                      const char            *site_id,
                                                      const char            *query,
                                                      guint                  limit,
                                                      GError               **error);

/* --- goals (Confab.track) --- */

typedef struct {
  char     *name;
  gboolean  has_value;
  double    value;
  gint64    at;
} ConfabGoal;

void confab_goal_free (ConfabGoal *goal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabGoal, confab_goal_free)

gboolean   confab_store_add_goal   (ConfabStore  *store,
                                    const char   *site_id,
                                    const char   *visitor_id,
                                    const char   *name,
                                    gboolean      has_value,
                                    double        value,
                                    gint64        at,
                                    GError      **error);
/* The visitor's last @limit goals, newest first. */
GPtrArray *confab_store_list_goals (ConfabStore  *store,
                                    const char   *visitor_id,
                                    guint         limit,
                                    GError      **error);

/* --- triggers --- */

typedef struct {
  char      *id;
  char      *site_id;
  char      *name;
  gboolean   enabled;
  char      *conditions_json;  /* the "conditions" object as given */
  char      *message_json;     /* a JSON string, or an object of texts per language */
  char      *sender_json;      /* {"type":"agent","agent_id"} or {"type":"assistant"} */
  gboolean   ask_email;
  gint64     created_at;
} ConfabTrigger;

void confab_trigger_free (ConfabTrigger *trigger);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabTrigger, confab_trigger_free)

/* @trigger->id and created_at are set by the store. */
ConfabTrigger *confab_store_create_trigger (ConfabStore          *store,
                                            const ConfabTrigger  *trigger,
                                            GError              **error);
ConfabTrigger *confab_store_get_trigger    (ConfabStore          *store,
                                            const char           *trigger_id,
                                            GError              **error);
/* Oldest first. */
GPtrArray     *confab_store_list_triggers  (ConfabStore          *store,
                                            const char           *site_id,
                                            GError              **error);
/* Writes every field but id, site_id and created_at. */
ConfabTrigger *confab_store_update_trigger (ConfabStore          *store,
                                            const ConfabTrigger  *trigger,
                                            GError              **error);
gboolean       confab_store_delete_trigger (ConfabStore          *store,
                                            const char           *trigger_id,
                                            GError              **error);
/* A greeting of @trigger_id goes to @visitor_id in their visit number @visit: *@out_added is
 * FALSE when it went already in that visit (once per visit, on every relay of the database). */
gboolean       confab_store_add_trigger_fire (ConfabStore        *store,
                                              const char         *site_id,
                                              const char         *trigger_id,
                                              const char         *visitor_id,
                                              gint64              visit,
                                              gint64              at,
                                              gboolean           *out_added,
                                              GError            **error);
/* The visitor wrote after a greeting of their visit @visit that led to no conversation yet:
 * the latest such greeting leads to @conversation_id now. Its trigger's id, or NULL (no error)
 * when there is none. */
char          *confab_store_claim_trigger_fire (ConfabStore *store,
                                                const char  *visitor_id,
                                                gint64       visit,
                                                const char  *conversation_id,
                                                GError     **error);

/* --- analytics --- */

typedef struct {
  gint64 goals;               /* goals reached in the range */
  double goals_value;         /* the sum of their values */
  gint64 goal_visitors;       /* distinct visitors who reached one */
  gint64 goals_after_conversation; /* goals within 7 days after a conversation of theirs */
  gint64 triggers_fired;      /* greetings sent */
  gint64 trigger_conversations; /* greetings the visitor answered */
} ConfabEngageFigures;

gboolean confab_store_analytics_engage (ConfabStore          *store,
                                        const char           *sites_json,
                                        gint64                from_ms,
                                        gint64                to_ms,
                                        ConfabEngageFigures  *out,
                                        GError              **error);

G_END_DECLS
