/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-filter-popover.h: what the inbox's filters (labels, teams) share — a menu button whose
 * popover lists an "any" row, then one row per object of the site shown (of every site under
 * "All sites"), the chosen one ticked, and the button showing the choice. Embedded in the filter
 * widget (not a widget of its own, as ConfabAdminList is in a settings page): the filter keeps
 * how its objects are loaded and followed, and its own property, notified by @changed. */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
  /* set by the filter before confab_filter_popover_init () (static or translated strings) */
  const char  *name;            /* the button's widget name; rows "<name>-row", list "<name>-list" */
  const char  *icon_name;       /* the button's icon while any object passes */
  const char  *any_text;        /* the first row: "Any Label" */
  const char  *any_tooltip;     /* "Filter by Label" */
  const char  *chosen_tooltip;  /* "Only conversations labelled “%s”": one %s, the name */
  const char  *unnamed_text;    /* the button's label while the chosen one's name is unknown */
  gboolean     dots;            /* a colour dot (the object's "color") before each name */
  void       (*changed) (gpointer owner);
  gpointer     owner;
  /* kept by the popover */
  GtkWidget   *button;
  GtkWidget   *box;             /* the popover's rows */
  char        *site_id;         /* NULL: every site's objects */
  char        *id;              /* the chosen object's (NULL: any) */
  char        *id_name;
  GHashTable  *items;           /* site id → JsonArray of its objects ("id", "name"[, "color"]) */
} ConfabFilterPopover;

/* Makes the button, a child of @parent (whose layout is a GtkBinLayout). */
void        confab_filter_popover_init        (ConfabFilterPopover *popover,
                                               GtkWidget           *parent);
/* In the filter's dispose and finalize. */
void        confab_filter_popover_dispose     (ConfabFilterPopover *popover);
void        confab_filter_popover_finalize    (ConfabFilterPopover *popover);
/* Remakes the rows; a chosen object no longer listed leaves the filter on "any".
 * Returns whether any object is listed. */
gboolean    confab_filter_popover_rebuild     (ConfabFilterPopover *popover);
/* @items (a reference is taken) as @site_id's objects; rebuild () to show them. */
void        confab_filter_popover_set_items   (ConfabFilterPopover *popover,
                                               const char          *site_id,
                                               JsonArray           *items);
void        confab_filter_popover_set_site_id (ConfabFilterPopover *popover,
                                               const char          *site_id);
/* Chooses @id (NULL: any) as a click on its row does; @changed runs when that is a change. */
void        confab_filter_popover_choose      (ConfabFilterPopover *popover,
                                               const char          *id,
                                               const char          *name);
/* Chooses @id by its row, whose name it takes. */
void        confab_filter_popover_set_id      (ConfabFilterPopover *popover,
                                               const char          *id);

G_END_DECLS
