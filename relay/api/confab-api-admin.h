/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-api-admin.h: the site-admin resources of the REST API — FAQs (confab-api-faq.c),
 * canned responses (confab-api-canned.c), members (confab-api-members.c), offline messages and
 * conversation timelines (confab-api-unseen.c) — and the few
 * request helpers they share (confab-api-admin.c). confab-api.c dispatches to them. */
#pragma once

#include "confab-http.h"

G_BEGIN_DECLS

typedef struct {
  ConfabRelay       *relay;
  SoupServerMessage *msg;
  GHashTable        *query;
  const char        *method;
  ConfabUser        *user;   /* signed in */
} ConfabApiCall;

/* TRUE for the resources under /sites/{id}/ handled here: "faqs", "canned", "members",
 * "offline-messages", "invitations", and confab-api-data.c's "audit", "visitors", "blocks". */
gboolean confab_api_admin_is_site_resource (const char    *name);
/* /sites/{id}/@rest…, the site being one of the user's (site->role set). */
void     confab_api_admin_site_resource    (ConfabApiCall *call,
                                            ConfabSite    *site,
                                            char         **rest);
/* TRUE for the top-level resources handled here: "faqs", "canned", "offline-messages". */
gboolean confab_api_admin_is_resource      (const char    *name);
/* /@segments[0]/{id}…: /faqs/{id}, /canned/{id}. */
void     confab_api_admin_resource         (ConfabApiCall *call,
                                            char         **segments);

/* Per resource (confab-api-faq.c, confab-api-canned.c, confab-api-members.c). */
void     confab_api_site_faqs              (ConfabApiCall *call,
                                            ConfabSite    *site,
                                            char         **rest);
void     confab_api_faq                    (ConfabApiCall *call,
                                            const char    *faq_id,
                                            char         **rest);
void     confab_api_site_canned            (ConfabApiCall *call,
                                            ConfabSite    *site,
                                            char         **rest);
void     confab_api_canned                 (ConfabApiCall *call,
                                            const char    *canned_id,
                                            char         **rest);
void     confab_api_site_members           (ConfabApiCall *call,
                                            ConfabSite    *site,
                                            char         **rest);

/* confab-api-unseen.c */
void     confab_api_site_offline_messages  (ConfabApiCall *call,
                                            ConfabSite    *site,
                                            char         **rest);
void     confab_api_offline_message        (ConfabApiCall *call,
                                            const char    *offline_id,
                                            char         **rest);
void     confab_api_conversation_timeline  (ConfabApiCall            *call,
                                            const ConfabConversation *conversation);

/* --- helpers: each answers the request when it returns FALSE --- */
gboolean confab_api_method_is              (ConfabApiCall *call,
                                            const char    *method);
void     confab_api_method_not_allowed     (ConfabApiCall *call,
                                            const char    *allowed);
void     confab_api_not_found              (ConfabApiCall *call);
void     confab_api_forbidden              (ConfabApiCall *call,
                                            const char    *message);
void     confab_api_bad_value              (ConfabApiCall *call,
                                            const char    *message);
/* The user's role on @site_id; NONE for sites that are not theirs. */
ConfabRole confab_api_role                 (ConfabApiCall *call,
                                            const char    *site_id);
/* 403 unless the user is an admin or owner of the site. */
gboolean confab_api_require_admin          (ConfabApiCall *call,
                                            ConfabRole     role);
/* A string field of @min..@max characters, not only white space when @min > 0. */
gboolean confab_api_text_field             (ConfabApiCall *call,
                                            JsonObject    *body,
                                            const char    *field,
                                            gboolean       required,
                                            glong          min,
                                            glong          max,
                                            const char   **out_value);
/* 400 invalid_field for a member of @body not in the NULL-terminated @allowed. */
gboolean confab_api_only_fields            (ConfabApiCall *call,
                                            JsonObject    *body,
                                            const char * const *allowed);
/* An audit log entry with the caller and a hash of their IP (confab_audit()). */
void     confab_api_audit                  (ConfabApiCall *call,
                                            const char    *site_id,
                                            const char    *action,
                                            const char    *target_type,
                                            const char    *target_id,
                                            const char    *target_name,
                                            JsonObject    *detail);
/* 204 No Content. */
void     confab_api_no_content             (ConfabApiCall *call);

G_END_DECLS
