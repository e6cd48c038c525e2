/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-admin-window.c: the settings area. The shape a page takes is in the header.
 *
 * A header bar with the site picker (the sites the user is owner or admin of, from the cache,
 * rebuilt on its sites-changed) and a view switcher; below, one AdwPreferencesPage per entry of
 * pages[], each told the picked site through its "site-id" property. Everything a page changes
 * goes to the relay at once (no "apply"); the relay's refusals come back as toasts or inline. */
#define G_LOG_DOMAIN "confab-ui"

#include <glib/gi18n.h>

#include "confab-account-page.h"
#include "confab-admin-window.h"
#include "confab-articles-page.h"
#include "confab-assistant-page.h"
#include "confab-audit-page.h"
#include "confab-canned-page.h"
#include "confab-data-page.h"
#include "confab-faqs-page.h"
#include "confab-labels-page.h"
#include "confab-api-keys-page.h"
#include "confab-channels-page.h"
#include "confab-webhooks-page.h"
#include "confab-site.h"
#include "confab-sites-page.h"
#include "confab-team-page.h"
#include "confab-triggers-page.h"
#include "confab-teams-page.h"

typedef GtkWidget *(*ConfabPageNew) (ConfabClient *client);

/* Every page of the window, in the switcher's order; admin_only pages show only while the picked
 * site is one the user is owner or admin of. Add a page in one line here (and its include). */
static const struct {
  ConfabPageNew page_new;
  gboolean      admin_only;
} pages[] = {
  { confab_sites_page_new, FALSE },
  { confab_team_page_new, TRUE },
  { confab_teams_page_new, TRUE },
  { confab_faqs_page_new, TRUE },
  { confab_articles_page_new, TRUE },
  { confab_assistant_page_new, TRUE },
  { confab_canned_page_new, TRUE },
  { confab_labels_page_new, TRUE },
  { confab_triggers_page_new, TRUE },
  { confab_channels_page_new, TRUE },
  { confab_api_keys_page_new, TRUE },
  { confab_webhooks_page_new, TRUE },
  { confab_audit_page_new, TRUE },
  { confab_data_page_new, TRUE },
  { confab_account_page_new, FALSE },
  { NULL, FALSE }
};

struct _ConfabAdminWindow
{
  AdwWindow          parent_instance;

  AdwToastOverlay   *toasts;
  AdwViewStack      *stack;
  GtkDropDown       *picker;
  GtkStringList     *picker_names;
  GPtrArray         *site_ids;     /* of the picker's rows */
  GPtrArray         *site_roles;
  GPtrArray         *pages;        /* GtkWidget*, as pages[] made them */
  ConfabClient      *client;
  char              *site_id;
  gboolean           rebuilding;
};

G_DEFINE_FINAL_TYPE (ConfabAdminWindow, confab_admin_window, ADW_TYPE_WINDOW)

static gboolean
administers (const char *role)
{
  return g_strcmp0 (role, "owner") == 0 || g_strcmp0 (role, "admin") == 0;
}

static const char *
picked_role (ConfabAdminWindow *self)
{
  for (guint i = 0; self->site_id != NULL && i < self->site_ids->len; i++)
    if (g_strcmp0 (self->site_ids->pdata[i], self->site_id) == 0)
      return self->site_roles->pdata[i];
  return NULL;
}

/* @moved: the picked site is another one than the pages were told (only then are they told). */
static void
update_pages (ConfabAdminWindow *self,
              gboolean           moved)
{
  gboolean admin = administers (picked_role (self));

  for (guint i = 0; i < self->pages->len; i++)
    {
      GtkWidget *page = self->pages->pdata[i];
      AdwViewStackPage *stack_page = adw_view_stack_get_page (self->stack, page);

      /* the page's data first, so that it never shows another site's while it becomes visible */
      if (moved && g_object_class_find_property (G_OBJECT_GET_CLASS (page), "site-id") != NULL)
        g_object_set (page, "site-id", self->site_id, NULL);
      adw_view_stack_page_set_visible (stack_page, !pages[i].admin_only || admin);
    }
}

void
confab_admin_window_set_site_id (ConfabAdminWindow *self,
                                 const char        *site_id)
{
  gboolean moved;

  g_return_if_fail (CONFAB_IS_ADMIN_WINDOW (self));

  moved = g_strcmp0 (self->site_id, site_id) != 0;
  g_free (self->site_id);
  self->site_id = g_strdup (site_id);
  for (guint i = 0; i < self->site_ids->len; i++)
    if (g_strcmp0 (self->site_ids->pdata[i], site_id) == 0 &&
        gtk_drop_down_get_selected (self->picker) != i)
      {
        self->rebuilding = TRUE;
        gtk_drop_down_set_selected (self->picker, i);
        self->rebuilding = FALSE;
      }
  update_pages (self, moved);
}

static void
on_picked (ConfabAdminWindow *self)
{
  guint selected = gtk_drop_down_get_selected (self->picker);

  if (self->rebuilding || selected >= self->site_ids->len)
    return;
  confab_admin_window_set_site_id (self, self->site_ids->pdata[selected]);
}

/* The sites the user administers, from the cache (the relay's sites frames keep it current). */
static void
rebuild_picker (ConfabAdminWindow *self)
{
  g_autoptr (GListModel) sites = confab_cache_list_sites (confab_client_get_cache (self->client));
  g_autofree char *keep = g_strdup (self->site_id);
  guint n = g_list_model_get_n_items (sites);
  const char *pick = NULL;

  self->rebuilding = TRUE;
  g_ptr_array_set_size (self->site_ids, 0);
  g_ptr_array_set_size (self->site_roles, 0);
  gtk_string_list_splice (self->picker_names, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->picker_names)), NULL);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ConfabSite) site = g_list_model_get_item (sites, i);

      if (!administers (confab_site_get_role (site)))
        continue;
      g_ptr_array_add (self->site_ids, g_strdup (confab_site_get_id (site)));
      g_ptr_array_add (self->site_roles, g_strdup (confab_site_get_role (site)));
      gtk_string_list_append (self->picker_names, confab_site_get_name (site));
      if (g_strcmp0 (keep, confab_site_get_id (site)) == 0)
        pick = keep;
    }
  if (pick == NULL && self->site_ids->len > 0)
    pick = self->site_ids->pdata[0];
  /* one site needs no picker */
  gtk_widget_set_visible (GTK_WIDGET (self->picker), self->site_ids->len > 1);
  self->rebuilding = FALSE;
  confab_admin_window_set_site_id (self, pick);
}

static void
add_page (ConfabAdminWindow *self,
          GtkWidget         *page,
          const char        *name)
{
  AdwViewStackPage *stack_page;
  g_autofree char *title = NULL, *icon_name = NULL;

  g_object_get (page, "title", &title, "icon-name", &icon_name, NULL);
  stack_page = adw_view_stack_add_titled (self->stack, page, name, title);
  adw_view_stack_page_set_icon_name (stack_page, icon_name);
  g_ptr_array_add (self->pages, page);
}

ConfabClient *
confab_admin_window_get_client (ConfabAdminWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_ADMIN_WINDOW (self), NULL);
  return self->client;
}

const char *
confab_admin_window_get_site_id (ConfabAdminWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_ADMIN_WINDOW (self), NULL);
  return self->site_id;
}

void
confab_admin_window_show_page (ConfabAdminWindow *self,
                               const char        *name)
{
  g_return_if_fail (CONFAB_IS_ADMIN_WINDOW (self));
  adw_view_stack_set_visible_child_name (self->stack, name);
}

static ConfabAdminWindow *
window_of (GtkWidget *inside)
{
  GtkRoot *root = inside != NULL ? gtk_widget_get_root (inside) : NULL;

  return CONFAB_IS_ADMIN_WINDOW (root) ? CONFAB_ADMIN_WINDOW (root) : NULL;
}

const char *
confab_admin_window_get_role (GtkWidget *inside)
{
  ConfabAdminWindow *self = window_of (inside);

  return self != NULL ? picked_role (self) : NULL;
}

void
confab_admin_window_toast (GtkWidget  *inside,
                           const char *text)
{
  ConfabAdminWindow *self = window_of (inside);

  if (self != NULL)
    adw_toast_overlay_add_toast (self->toasts, adw_toast_new (text));
}

static void
confab_admin_window_dispose (GObject *object)
{
  ConfabAdminWindow *self = CONFAB_ADMIN_WINDOW (object);

  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (confab_client_get_cache (self->client), self);
  g_clear_object (&self->client);
  G_OBJECT_CLASS (confab_admin_window_parent_class)->dispose (object);
}

static void
confab_admin_window_finalize (GObject *object)
{
  ConfabAdminWindow *self = CONFAB_ADMIN_WINDOW (object);

  g_ptr_array_unref (self->site_ids);
  g_ptr_array_unref (self->site_roles);
  g_ptr_array_unref (self->pages);
  g_free (self->site_id);
  G_OBJECT_CLASS (confab_admin_window_parent_class)->finalize (object);
}

static void
confab_admin_window_class_init (ConfabAdminWindowClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = confab_admin_window_dispose;
  G_OBJECT_CLASS (klass)->finalize = confab_admin_window_finalize;
  gtk_widget_class_add_binding_action (GTK_WIDGET_CLASS (klass), GDK_KEY_Escape, 0,
                                       "window.close", NULL);
}

static void
confab_admin_window_init (ConfabAdminWindow *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *switcher_title = adw_view_switcher_title_new ();
  GtkWidget *switcher_bar = adw_view_switcher_bar_new ();

  self->site_ids = g_ptr_array_new_with_free_func (g_free);
  self->site_roles = g_ptr_array_new_with_free_func (g_free);
  self->pages = g_ptr_array_new ();

  gtk_window_set_title (GTK_WINDOW (self), _("Settings"));
  gtk_window_set_default_size (GTK_WINDOW (self), 760, 720);

  self->stack = ADW_VIEW_STACK (adw_view_stack_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);
  adw_view_switcher_title_set_stack (ADW_VIEW_SWITCHER_TITLE (switcher_title), self->stack);
  adw_view_switcher_title_set_title (ADW_VIEW_SWITCHER_TITLE (switcher_title), _("Settings"));
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), switcher_title);
  adw_view_switcher_bar_set_stack (ADW_VIEW_SWITCHER_BAR (switcher_bar), self->stack);
  g_object_bind_property (switcher_title, "title-visible", switcher_bar, "reveal",
                          G_BINDING_SYNC_CREATE);

  self->picker_names = gtk_string_list_new (NULL);
  self->picker = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (self->picker_names), NULL));
  gtk_widget_set_name (GTK_WIDGET (self->picker), "site-picker");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->picker), _("The site these settings are for"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->picker), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Site"), -1);
  g_signal_connect_swapped (self->picker, "notify::selected", G_CALLBACK (on_picked), self);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), GTK_WIDGET (self->picker));

  gtk_box_append (GTK_BOX (box), header);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->stack));
  gtk_box_append (GTK_BOX (box), switcher_bar);
  self->toasts = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  adw_toast_overlay_set_child (self->toasts, box);
  adw_window_set_content (ADW_WINDOW (self), GTK_WIDGET (self->toasts));
}

GtkWidget *
confab_admin_window_new (GtkWindow    *parent,
                         ConfabClient *client)
{
  ConfabAdminWindow *self;

  g_return_val_if_fail (CONFAB_IS_CLIENT (client), NULL);

  self = g_object_new (CONFAB_TYPE_ADMIN_WINDOW, "transient-for", parent, NULL);
  self->client = g_object_ref (client);
  for (guint i = 0; pages[i].page_new != NULL; i++)
    {
      GtkWidget *page = pages[i].page_new (client);

      add_page (self, page, G_OBJECT_TYPE_NAME (page));
    }
  g_signal_connect_object (confab_client_get_cache (client), "sites-changed",
                           G_CALLBACK (rebuild_picker), self, G_CONNECT_SWAPPED);
  rebuild_picker (self);
  if (self->site_id == NULL)
    update_pages (self, TRUE);
  return GTK_WIDGET (self);
}
