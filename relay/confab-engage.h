/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-engage.h: contacts and their lead score, goals (Confab.track) and the proactive
 * triggers' greetings (issue 16) — what the hub and the API share of them */
#pragma once

#include <json-glib/json-glib.h>

#include "confab-store.h"
#include "confab-store-engage.h"

G_BEGIN_DECLS

#define CONFAB_MAX_PHONE_CHARS 40
#define CONFAB_MAX_NOTES_CHARS 4000
#define CONFAB_MAX_TAGS 20
#define CONFAB_MAX_TAG_CHARS 40
#define CONFAB_MAX_GOAL_NAME_CHARS 64
/* goals a visitor may record per hour */
#define CONFAB_GOALS_PER_HOUR 60
/* goals the visitor object lists, newest first */
#define CONFAB_VISITOR_GOALS 10

/* The lead score (docs/http-api.md, "Lead score"): pages seen ×3 (at most 30), minutes on
 * the site ×2 (at most 20), 20 when they asked about prices, 10 when returning, 10 when their
 * e-mail is known, 20 when they reached a goal; at most 100. */
gint      confab_lead_score          (guint        pages,
                                      gint64       seconds,
                                      gboolean     asked_price,
                                      gboolean     returning,
                                      gboolean     email_known,
                                      gboolean     reached_goal);
/* TRUE when @text asks about prices: price, cost, discount, quote words in English, German,
 * French and Spanish (stemmed, so "prices", "Preise", "coûte" count too). */
gboolean  confab_asks_price          (const char  *text);

/* Adds "phone", "notes", "tags", "lead_score" and "goals" to the agent's visitor @object, and
 * stores the lead score when it changed (the visitor list sorts by the stored one). */
void      confab_engage_visitor_json (ConfabStore         *store,
                                      const ConfabVisitor *visitor,
                                      gboolean             online,
                                      JsonObject          *object);
/* Computes @visitor's lead score as it is now (at confab_clock_now_ms ()) and stores it when it
 * changed; TRUE when it did. *@out_seconds: the time on the site it counted. FALSE with
 * @error set when the store failed. */
gboolean  confab_engage_refresh_lead_score (ConfabStore         *store,
                                            const ConfabVisitor *visitor,
                                            gboolean             online,
                                            gboolean            *out_changed,
                                            gint64              *out_seconds,
                                            GError             **error);

/* A trigger's {"id","conditions"} for the widget config, or its full object for agents. */
JsonObject *confab_trigger_to_json   (const ConfabTrigger *trigger,
                                      gboolean             for_widget);
/* The trigger's message in @locale ("de-AT" finds "de"), else its first text. */
char       *confab_trigger_text      (const ConfabTrigger *trigger,
                                      const char          *locale);
/* The enabled triggers of @site_id for the widget config (a JSON array), never NULL. */
JsonArray  *confab_engage_widget_triggers (ConfabStore *store,
                                           const char  *site_id);

G_END_DECLS
