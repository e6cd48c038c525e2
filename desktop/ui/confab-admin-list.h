/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-admin-list.h: the list part the settings pages share — a group of rows, one per object
 * of a JSON list the relay answers (GET …/labels, …/api-keys, …/webhooks), with a description
 * for an empty list and one for a full one, the relay's reason when it could not be loaded, and
 * finding an object by id. Embedded in a page (not a widget of its own): the page keeps its
 * group, its actions and its dialogs, and gives the row maker. */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "confab-client.h"

G_BEGIN_DECLS

typedef GtkWidget *(*ConfabAdminRowMaker) (gpointer    page,
                                           JsonObject *item);

typedef struct {
  AdwPreferencesGroup *group;
  const char          *member;       /* the answer's list: "labels" */
  const char          *empty_text;   /* the group's description without one (translated) */
  const char          *filled_text;  /* with some; may be NULL */
  const char          *failed_text;  /* "The labels could not be loaded" (translated) */
  ConfabAdminRowMaker  make_row;
  gpointer             page;
  /* kept by the list */
  GPtrArray           *rows;
  JsonArray           *items;
} ConfabAdminList;

/* Fills in what the list keeps; the page set the fields above. */
void        confab_admin_list_init   (ConfabAdminList *list);
void        confab_admin_list_clear  (ConfabAdminList *list);
/* The rows for @items (objects with an "id"), replacing those shown. */
void        confab_admin_list_show   (ConfabAdminList *list,
                                      JsonArray       *items);
/* GET @path and show its list (or why not). */
void        confab_admin_list_load   (ConfabAdminList *list,
                                      ConfabClient    *client,
                                      const char      *path,
                                      GCancellable    *cancellable);
/* The shown object with this "id", or NULL. */
JsonObject *confab_admin_list_find   (ConfabAdminList *list,
                                      const char      *id);

G_END_DECLS
