/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-filter-popover.c: the popover and button of an inbox filter (see the header). */
#define G_LOG_DOMAIN "confab-ui"

#include "confab-filter-popover.h"
#include "confab-labels.h"

static void
update_button (ConfabFilterPopover *popover)
{
  g_autofree char *tooltip = NULL;

  if (popover->id != NULL)
    {
      GString *text = g_string_new (popover->chosen_tooltip);

      gtk_menu_button_set_label (GTK_MENU_BUTTON (popover->button),
                                 popover->id_name != NULL ? popover->id_name : popover->unnamed_text);
      gtk_widget_add_css_class (popover->button, "accent");
      /* not a printf format: -Wformat-nonliteral, and a name is no format either */
      g_string_replace (text, "%s", popover->id_name != NULL ? popover->id_name : "", 1);
      tooltip = g_string_free (text, FALSE);
    }
  else
    {
      gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (popover->button), popover->icon_name);
      gtk_widget_remove_css_class (popover->button, "accent");
      tooltip = g_strdup (popover->any_tooltip);
    }
  /* the state is the accessible label's (and the button's own label): a tooltip set anew
   * here re-queried the one under the pointer, which under X11 could cost the next click */
  gtk_accessible_update_property (GTK_ACCESSIBLE (popover->button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  tooltip, -1);
}

void
confab_filter_popover_choose (ConfabFilterPopover *popover,
                              const char          *id,
                              const char          *name)
{
  if (g_strcmp0 (id, popover->id) == 0)
    return;
  g_free (popover->id);
  popover->id = g_strdup (id);
  g_free (popover->id_name);
  popover->id_name = g_strdup (name);
  update_button (popover);
  popover->changed (popover->owner);
}

static void
on_row_clicked (GtkButton           *button,
                ConfabFilterPopover *popover)
{
  confab_filter_popover_choose (popover, g_object_get_data (G_OBJECT (button), "item-id"),
                                g_object_get_data (G_OBJECT (button), "item-name"));
  gtk_menu_button_popdown (GTK_MENU_BUTTON (popover->button));
}

static void
add_row (ConfabFilterPopover *popover,
         const char          *id,
         const char          *name,
         const char          *color)
{
  GtkWidget *button = gtk_button_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *label = gtk_label_new (name);
  g_autofree char *row_name = g_strconcat (popover->name, "-row", NULL);

  if (id != NULL && popover->dots)
    gtk_box_append (GTK_BOX (box), confab_label_dot_new (color));
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_box_append (GTK_BOX (box), label);
  if (g_strcmp0 (id, popover->id) == 0)
    gtk_box_append (GTK_BOX (box), gtk_image_new_from_icon_name ("object-select-symbolic"));
  gtk_button_set_child (GTK_BUTTON (button), box);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_name (button, row_name);
  g_object_set_data_full (G_OBJECT (button), "item-id", g_strdup (id), g_free);
  g_object_set_data_full (G_OBJECT (button), "item-name", g_strdup (name), g_free);
  g_signal_connect (button, "clicked", G_CALLBACK (on_row_clicked), popover);
  gtk_box_append (GTK_BOX (popover->box), button);
}

static void
add_site (ConfabFilterPopover *popover,
          const char          *site_id,
          gboolean            *chosen_seen,
          gboolean            *any_added)
{
  JsonArray *items = g_hash_table_lookup (popover->items, site_id);

  for (guint i = 0; items != NULL && i < json_array_get_length (items); i++)
    {
      JsonNode *node = json_array_get_element (items, i);
      JsonObject *item;
      const char *id, *name;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      item = json_node_get_object (node);
      id = json_object_get_string_member_with_default (item, "id", NULL);
      name = json_object_get_string_member_with_default (item, "name", NULL);
      if (id == NULL || name == NULL)
        continue;
      if (g_strcmp0 (id, popover->id) == 0)
        *chosen_seen = TRUE;
      *any_added = TRUE;
      add_row (popover, id, name, json_object_get_string_member_with_default (item, "color", NULL));
    }
}

gboolean
confab_filter_popover_rebuild (ConfabFilterPopover *popover)
{
  GtkWidget *child;
  gboolean chosen_seen = FALSE;
  gboolean any_added = FALSE;

  while ((child = gtk_widget_get_first_child (popover->box)) != NULL)
    gtk_box_remove (GTK_BOX (popover->box), child);
  add_row (popover, NULL, popover->any_text, NULL);
  if (popover->site_id != NULL)
    add_site (popover, popover->site_id, &chosen_seen, &any_added);
  else
    {
      GHashTableIter iter;
      gpointer key;

      g_hash_table_iter_init (&iter, popover->items);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        add_site (popover, key, &chosen_seen, &any_added);
    }
  /* the chosen one is gone (deleted, or of another site): any again */
  if (popover->id != NULL && !chosen_seen)
    confab_filter_popover_choose (popover, NULL, NULL);
  return any_added;
}

void
confab_filter_popover_set_items (ConfabFilterPopover *popover,
                                 const char          *site_id,
                                 JsonArray           *items)
{
  g_hash_table_replace (popover->items, g_strdup (site_id), json_array_ref (items));
}

void
confab_filter_popover_set_site_id (ConfabFilterPopover *popover,
                                   const char          *site_id)
{
  g_free (popover->site_id);
  popover->site_id = g_strdup (site_id);
}

void
confab_filter_popover_set_id (ConfabFilterPopover *popover,
                              const char          *id)
{
  const char *name = NULL;

  for (GtkWidget *row = gtk_widget_get_first_child (popover->box); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (g_strcmp0 (g_object_get_data (G_OBJECT (row), "item-id"), id) == 0)
      name = g_object_get_data (G_OBJECT (row), "item-name");
  confab_filter_popover_choose (popover, id, name);
}

void
confab_filter_popover_init (ConfabFilterPopover *popover,
                            GtkWidget           *parent)
{
  GtkWidget *menu = gtk_popover_new ();
  g_autofree char *list_name = g_strconcat (popover->name, "-list", NULL);

  popover->items = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) json_array_unref);
  popover->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_name (popover->box, list_name);
  gtk_popover_set_child (GTK_POPOVER (menu), popover->box);
  popover->button = gtk_menu_button_new ();
  gtk_widget_set_name (popover->button, popover->name);
  gtk_widget_set_tooltip_text (popover->button, popover->any_tooltip);
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (popover->button), menu);
  gtk_widget_set_parent (popover->button, parent);
  update_button (popover);
  confab_filter_popover_rebuild (popover);
}

void
confab_filter_popover_dispose (ConfabFilterPopover *popover)
{
  g_clear_pointer (&popover->button, gtk_widget_unparent);
}

void
confab_filter_popover_finalize (ConfabFilterPopover *popover)
{
  g_clear_pointer (&popover->items, g_hash_table_unref);
  g_clear_pointer (&popover->site_id, g_free);
  g_clear_pointer (&popover->id, g_free);
  g_clear_pointer (&popover->id_name, g_free);
}
