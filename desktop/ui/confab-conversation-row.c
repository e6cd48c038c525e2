/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-conversation-row.c: avatar, visitor, last message, time, unread count, status, rating. */
#define G_LOG_DOMAIN "confab-ui"

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>
#include <glib/gi18n.h>

#include "confab-client-chat.h"
#include "confab-conversation-row.h"
#include "confab-format.h"
#include "confab-labels.h"
#include "confab-routing.h"

/* ------------------------------------------------------------ avatar --- */

/* The visitor's avatar, drawn: a disc in one of libadwaita's avatar colours with the initials
 * on it. An AdwAvatar is a composite (gizmo, image, label) that changes its CSS class for every
 * name and re-measures its font: during a catch-up the list view builds and binds rows by the
 * hundred per frame, and each of those was a style change. The colours and the choice of colour
 * are AdwAvatar's (libadwaita 1.2, _avatar.scss), so the rows look as before. */
#define AVATAR_SIZE 40
#define N_AVATAR_COLORS 14

static const char *const avatar_colors[N_AVATAR_COLORS][3] = {
  /* text, gradient top, gradient bottom */
  { "#cfe1f5", "#83b6ec", "#337fdc" },
  { "#caeaf2", "#7ad9f1", "#0f9ac8" },
  { "#cef8d8", "#8de6b1", "#29ae74" },
  { "#e6f9d7", "#b5e98a", "#6ab85b" },
  { "#f9f4e1", "#f8e359", "#d29d09" },
  { "#ffead1", "#ffcb62", "#d68400" },
  { "#ffe5c5", "#ffa95a", "#ed5b00" },
  { "#f8d2ce", "#f78773", "#e62d42" },
  { "#fac7de", "#e973ab", "#e33b6a" },
  { "#e7c2e8", "#cb78d4", "#9945b5" },
  { "#d5d2f5", "#9e91e8", "#7a59ca" },
  { "#f2eade", "#e3cf9c", "#b08952" },
  { "#e5d6ca", "#be916d", "#785336" },
  { "#d8d7d3", "#c0bfbc", "#6e6d71" },
};

static GdkRGBA avatar_rgba[N_AVATAR_COLORS][3];

/* The first letters of the first and the last word, upper case, as AdwAvatar shows them. */
static char *
initials_of (const char *name)
{
  g_auto (GStrv) words = g_strsplit_set (name, " \t\n", -1);
  GString *initials = g_string_new (NULL);
  const char *first = NULL, *last = NULL;

  for (guint i = 0; words[i] != NULL; i++)
    if (words[i][0] != '\0')
      {
        if (first == NULL)
          first = words[i];
        else
          last = words[i];
      }
  if (first != NULL)
    g_string_append_unichar (initials, g_unichar_toupper (g_utf8_get_char (first)));
  if (last != NULL)
    g_string_append_unichar (initials, g_unichar_toupper (g_utf8_get_char (last)));
  return g_string_free (initials, FALSE);
}

/* --------------------------------------------------------------- row --- */

/* One widget drawing its own Pango layouts: during a catch-up GTK 4.8's list view builds a row
 * widget for every conversation that lands in view and measures and re-binds the ~200 it holds
 * on every frame; a template of three boxes, an avatar and five labels (each with its CSS node
 * and its own layout) was most of a frame's cost (bench/desktop-catchup.sh). The look is the
 * template's: 8/10 px margins, a 40 px avatar, 12 px to the text, the name (bold when unread)
 * and the time on the first line, the last message, the status tag and the unread badge on the
 * second; the colours are the theme's, read when drawn. */
#define MARGIN_Y    8
#define MARGIN_X    10
#define AVATAR_GAP  12
#define LINE_GAP    3
#define ITEM_GAP    6
#define PILL_PAD_X  7
#define TAG_PAD_X   6
#define DIM_ALPHA   0.55f
#define CHIP_PAD_X  5
#define MAX_CHIPS   3     /* then "+N" */
#define BADGE_SIZE  18    /* the channel's, on the avatar */
#define BADGE_ICON  12

struct _ConfabConversationRow
{
  GtkWidget    parent_instance;

  PangoLayout *initials;
  PangoLayout *name;
  PangoLayout *time;
  PangoLayout *preview;
  PangoLayout *status;   /* NULL when open: only the others are worth a tag */
  PangoLayout *unread;   /* NULL when nothing is unread */
  PangoLayout *rating;   /* "★ 4"; NULL while the visitor has not rated */
  PangoLayout *team;     /* the team's name (issue 18); NULL: no team */
  PangoLayout *target;   /* "Due soon" / "Overdue"; NULL while the target is fine or none */
  ConfabTargetState target_state;
  int          rating_score;
  guint        color;
  char        *status_id;
  char        *time_text;
  int          name_line_h;      /* line_height(), 0: not known yet */
  int          preview_line_h;
  GPtrArray   *chips;    /* PangoLayout*: the labels' names, after the name (then "+N") */
  GArray      *chip_colors; /* GdkRGBA, one per chip */

  ConfabConversation *shown;   /* what the layouts say now */
  char         *channel;       /* NULL: the website */
  GdkPaintable *channel_icon;
};

G_DEFINE_FINAL_TYPE (ConfabConversationRow, confab_conversation_row, GTK_TYPE_WIDGET)

static PangoLayout *
new_layout (ConfabConversationRow *self,
            gboolean               bold,
            double                 scale)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), NULL);
  g_autoptr (PangoAttrList) attrs = pango_attr_list_new ();

  if (bold)
    pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  if (scale != 1.0)
    pango_attr_list_insert (attrs, pango_attr_scale_new (scale));
  pango_layout_set_attributes (layout, attrs);
  return layout;
}

static int
layout_width (PangoLayout *layout)
{
  int width = 0;

  if (layout != NULL)
    pango_layout_get_pixel_size (layout, &width, NULL);
  return width;
}

static int
layout_height (PangoLayout *layout)
{
  int height = 0;

  if (layout != NULL)
    pango_layout_get_pixel_size (layout, NULL, &height);
  return height;
}

/* The height of one line of @layout's font, whatever its text: the rows' height does not
 * depend on what they say, and measuring a new row shaped its whole name and last message
 * (unwrapped: the width comes later) for it — 6 % of a catch-up (perf,
 * bench/desktop-catchup.sh). Every row has the same fonts: the heights are measured once for
 * all rows, and again only when the font, its resolution or the font map change (the key
 * below); a row looks them up once, and again after a change of its style (css_changed). */
typedef struct {
  PangoFontDescription *font;
  PangoFontMap         *font_map;   /* not a reference: compared only */
  double                resolution;
  int                   name_h;
  int                   preview_h;
} LineHeights;

static LineHeights line_heights;

static int
line_height (ConfabConversationRow *self,
             PangoLayout           *layout)
{
  PangoContext *context;
  const PangoFontDescription *font;
  double resolution;

  if (self->name_line_h > 0 && self->preview_line_h > 0)
    return layout == self->name ? self->name_line_h : self->preview_line_h;
  context = gtk_widget_get_pango_context (GTK_WIDGET (self));
  font = pango_context_get_font_description (context);
  resolution = pango_cairo_context_get_resolution (context);
  if (line_heights.font == NULL || !pango_font_description_equal (line_heights.font, font) ||
      line_heights.font_map != pango_context_get_font_map (context) ||
      line_heights.resolution != resolution)
    {
      PangoLayout *measured[] = { self->name, self->preview };
      int *heights[] = { &line_heights.name_h, &line_heights.preview_h };

      for (guint i = 0; i < G_N_ELEMENTS (measured); i++)
        {
          g_autoptr (PangoLayout) probe = pango_layout_copy (measured[i]);

          pango_layout_set_text (probe, "Ag", -1);
          pango_layout_get_pixel_size (probe, NULL, heights[i]);
        }
      g_clear_pointer (&line_heights.font, pango_font_description_free);
      line_heights.font = pango_font_description_copy (font);
      line_heights.font_map = pango_context_get_font_map (context);
      line_heights.resolution = resolution;
    }
  self->name_line_h = line_heights.name_h;
  self->preview_line_h = line_heights.preview_h;
  return layout == self->name ? self->name_line_h : self->preview_line_h;
}

/* The labels on the first line, after the name. */
static int
chips_width (ConfabConversationRow *self)
{
  int width = 0;

  for (guint i = 0; self->chips != NULL && i < self->chips->len; i++)
    width += ITEM_GAP + layout_width (g_ptr_array_index (self->chips, i)) + 2 * CHIP_PAD_X;
  return width;
}

/* The second line's right-hand side: the rating, the status tag and the unread badge. */
static int
badges_width (ConfabConversationRow *self)
{
  int width = 0;

  if (self->rating != NULL)
    width += ITEM_GAP + layout_width (self->rating);
  if (self->team != NULL)
    width += ITEM_GAP + layout_width (self->team) + 2 * TAG_PAD_X;
  if (self->target != NULL)
    width += ITEM_GAP + layout_width (self->target) + 2 * TAG_PAD_X;

  if (self->status != NULL)
    width += ITEM_GAP + layout_width (self->status) + 2 * TAG_PAD_X;
  if (self->unread != NULL)
    width += ITEM_GAP + MAX (layout_width (self->unread) + 2 * PILL_PAD_X, layout_height (self->unread) + 2);
  return width;
}

/* What the row needs across: only its time and the second line's badges vary. */
static int
minimum_width (ConfabConversationRow *self)
{
  return 2 * MARGIN_X + AVATAR_SIZE + AVATAR_GAP + layout_width (self->time) + badges_width (self) + 40;
}

/* After a change of what the row says: its height never depends on its texts (line_height),
 * so unless its minimum width moved, the row is only laid out again where it is. A resize
 * would go up to the list view, which measures its rows again, and to the window, which
 * GTK 4.8 sizes again with X round trips (bench/desktop-catchup.sh). */
static void
queue_relayout (ConfabConversationRow *self,
                int                    minimum_before)
{
  if (minimum_width (self) != minimum_before)
    gtk_widget_queue_resize (GTK_WIDGET (self));
  else
    {
      gtk_widget_queue_allocate (GTK_WIDGET (self));
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

static void
confab_conversation_row_measure (GtkWidget      *widget,
                                 GtkOrientation  orientation,
                                 int             for_size,
                                 int            *minimum,
                                 int            *natural,
                                 int            *minimum_baseline,
                                 int            *natural_baseline)
{
  ConfabConversationRow *self = CONFAB_CONVERSATION_ROW (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      /* the labels ellipsize: the row takes what the list gives it */
      *minimum = minimum_width (self);
      *natural = MAX (*minimum, 2 * MARGIN_X + AVATAR_SIZE + AVATAR_GAP + 240);
    }
  else
    {
      int text = line_height (self, self->name) + LINE_GAP + line_height (self, self->preview);

      *minimum = *natural = 2 * MARGIN_Y + MAX (AVATAR_SIZE, text);
    }
}

static void
confab_conversation_row_size_allocate (GtkWidget *widget,
                                       int        width,
                                       int        height,
                                       int        baseline)
{
  ConfabConversationRow *self = CONFAB_CONVERSATION_ROW (widget);
  int text_x = MARGIN_X + AVATAR_SIZE + AVATAR_GAP;
  int text_w = MAX (0, width - text_x - MARGIN_X);
  int name_w = MAX (0, text_w - ITEM_GAP - layout_width (self->time) - chips_width (self));
  int preview_w = MAX (0, text_w - badges_width (self));

  pango_layout_set_width (self->name, name_w * PANGO_SCALE);
  pango_layout_set_width (self->preview, preview_w * PANGO_SCALE);
}

static void
append_pill (GtkSnapshot   *snapshot,
             float          x,
             float          y,
             float          width,
             float          height,
             float          radius,
             const GdkRGBA *color)
{
  GskRoundedRect pill;

  gsk_rounded_rect_init_from_rect (&pill, &GRAPHENE_RECT_INIT (x, y, width, height), radius);
  gtk_snapshot_push_rounded_clip (snapshot, &pill);
  gtk_snapshot_append_color (snapshot, color, &pill.bounds);
  gtk_snapshot_pop (snapshot);
}

static void
append_layout_at (GtkSnapshot   *snapshot,
                  PangoLayout   *layout,
                  float          x,
                  float          y,
                  const GdkRGBA *color)
{
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

G_GNUC_BEGIN_IGNORE_DEPRECATIONS
static void
theme_color (GtkWidget  *widget,
             const char *name,
             GdkRGBA    *color,
             const char *fallback)
{
  /* GTK 4.8 has no other way to a named theme colour (4.10 deprecates this one) */
  if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), name, color))
    gdk_rgba_parse (color, fallback);
}

static void
confab_conversation_row_snapshot (GtkWidget   *widget,
                                  GtkSnapshot *snapshot)
{
  ConfabConversationRow *self = CONFAB_CONVERSATION_ROW (widget);
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  int text_x = MARGIN_X + AVATAR_SIZE + AVATAR_GAP;
  int name_h = layout_height (self->name), preview_h = layout_height (self->preview);
  float text_y = (height - (name_h + LINE_GAP + preview_h)) / 2.f;
  float line2_y = text_y + name_h + LINE_GAP;
  float right = width - MARGIN_X;
  const GdkRGBA *avatar = avatar_rgba[self->color];
  GskColorStop stops[2] = { { 0.f, avatar[1] }, { 1.f, avatar[2] } };
  float ay = (height - AVATAR_SIZE) / 2.f;
  graphene_rect_t disc_bounds = GRAPHENE_RECT_INIT (MARGIN_X, ay, AVATAR_SIZE, AVATAR_SIZE);
  GskRoundedRect disc;
  GdkRGBA fg, dim;

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  dim = fg;
  dim.alpha *= DIM_ALPHA;

  /* the avatar */
  gsk_rounded_rect_init_from_rect (&disc, &disc_bounds, AVATAR_SIZE / 2.f);
  gtk_snapshot_push_rounded_clip (snapshot, &disc);
  gtk_snapshot_append_linear_gradient (snapshot, &disc_bounds, &GRAPHENE_POINT_INIT (MARGIN_X, ay),
                                       &GRAPHENE_POINT_INIT (MARGIN_X, ay + AVATAR_SIZE), stops, 2);
  gtk_snapshot_pop (snapshot);
  if (self->initials != NULL)
    {
      PangoRectangle ink, logical;

      pango_layout_get_pixel_extents (self->initials, &ink, &logical);
      append_layout_at (snapshot, self->initials, MARGIN_X + (AVATAR_SIZE - logical.width) / 2.f,
                        ay + (AVATAR_SIZE - ink.height) / 2.f - ink.y, &avatar[0]);
    }

  /* the channel's badge on the avatar's corner: a disc of the row's background, the icon */
  if (self->channel_icon != NULL)
    {
      float bx = MARGIN_X + AVATAR_SIZE - BADGE_SIZE + 3, by = ay + AVATAR_SIZE - BADGE_SIZE + 3;
      graphene_rect_t badge_bounds = GRAPHENE_RECT_INIT (bx, by, BADGE_SIZE, BADGE_SIZE);
      GskRoundedRect badge;
      GdkRGBA bg, accent;

      theme_color (widget, "view_bg_color", &bg, "#ffffff");
      theme_color (widget, "accent_color", &accent, "#1c71d8");
      gsk_rounded_rect_init_from_rect (&badge, &badge_bounds, BADGE_SIZE / 2.f);
      gtk_snapshot_push_rounded_clip (snapshot, &badge);
      gtk_snapshot_append_color (snapshot, &bg, &badge_bounds);
      gtk_snapshot_pop (snapshot);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (bx + (BADGE_SIZE - BADGE_ICON) / 2.f,
                                                              by + (BADGE_SIZE - BADGE_ICON) / 2.f));
      gtk_symbolic_paintable_snapshot_symbolic (GTK_SYMBOLIC_PAINTABLE (self->channel_icon), snapshot,
                                                BADGE_ICON, BADGE_ICON, &accent, 1);
      gtk_snapshot_restore (snapshot);
    }

  /* first line: the name, the time at the end */
  append_layout_at (snapshot, self->name, text_x, text_y, &fg);
  append_layout_at (snapshot, self->time, right - layout_width (self->time),
                    text_y + (name_h - layout_height (self->time)) / 2.f, &dim);
  /* the labels, as coloured chips right after the name */
  if (self->chips != NULL && self->chips->len > 0)
    {
      PangoRectangle logical;
      float x;

      pango_layout_get_pixel_extents (self->name, NULL, &logical);
      x = text_x + logical.width;
      for (guint i = 0; i < self->chips->len; i++)
        {
          PangoLayout *chip = g_ptr_array_index (self->chips, i);
          GdkRGBA bg = g_array_index (self->chip_colors, GdkRGBA, i);
          int h = layout_height (chip) + 2, w = layout_width (chip) + 2 * CHIP_PAD_X;
          float y = text_y + (name_h - h) / 2.f;

          x += ITEM_GAP;
          bg.alpha = 0.28f;
          append_pill (snapshot, x, y, w, h, 6, &bg);
          append_layout_at (snapshot, chip, x + CHIP_PAD_X, y + 1, &fg);
          x += w;
        }
    }

  /* second line: the last message, then the status tag and the unread badge at the end */
  append_layout_at (snapshot, self->preview, text_x, line2_y, &dim);
  if (self->unread != NULL)
    {
      GdkRGBA bg, badge_fg;
      int h = layout_height (self->unread) + 2;
      int w = MAX (layout_width (self->unread) + 2 * PILL_PAD_X, h);
      float y = line2_y + (preview_h - h) / 2.f;

      theme_color (widget, "accent_bg_color", &bg, "#3584e4");
      theme_color (widget, "accent_fg_color", &badge_fg, "#ffffff");
      right -= w;
      append_pill (snapshot, right, y, w, h, h / 2.f, &bg);
      append_layout_at (snapshot, self->unread, right + (w - layout_width (self->unread)) / 2.f, y + 1,
                        &badge_fg);
      right -= ITEM_GAP;
    }
  if (self->status != NULL)
    {
      GdkRGBA tag_fg, bg;
      int h = layout_height (self->status);
      int w = layout_width (self->status) + 2 * TAG_PAD_X;
      float y = line2_y + (preview_h - h) / 2.f;

      if (g_strcmp0 (self->status_id, "pending") == 0)
        theme_color (widget, "warning_color", &tag_fg, "#9c6e03");
      else if (g_strcmp0 (self->status_id, "resolved") == 0 || g_strcmp0 (self->status_id, "closed") == 0)
        theme_color (widget, "success_color", &tag_fg, "#1b8553");
      else
        tag_fg = fg;
      bg = tag_fg;
      bg.alpha *= 0.18f;
      right -= w;
      append_pill (snapshot, right, y, w, h, 6, &bg);
      append_layout_at (snapshot, self->status, right + TAG_PAD_X, y, &tag_fg);
      right -= ITEM_GAP;
    }
  /* issue 18: the response target when it needs the agent (near: warning, missed: error),
   * then the team, a quiet tag */
  if (self->target != NULL)
    {
      GdkRGBA tag_fg, bg;
      int h = layout_height (self->target);
      int w = layout_width (self->target) + 2 * TAG_PAD_X;
      float y = line2_y + (preview_h - h) / 2.f;

      if (self->target_state == CONFAB_TARGET_MISSED)
        theme_color (widget, "error_color", &tag_fg, "#c01c28");
      else
        theme_color (widget, "warning_color", &tag_fg, "#9c6e03");
      bg = tag_fg;
      bg.alpha *= 0.18f;
      right -= w;
      append_pill (snapshot, right, y, w, h, 6, &bg);
      append_layout_at (snapshot, self->target, right + TAG_PAD_X, y, &tag_fg);
      right -= ITEM_GAP;
    }
  if (self->team != NULL)
    {
      GdkRGBA bg = dim;
      int h = layout_height (self->team);
      int w = layout_width (self->team) + 2 * TAG_PAD_X;
      float y = line2_y + (preview_h - h) / 2.f;

      bg.alpha *= 0.25f;
      right -= w;
      append_pill (snapshot, right, y, w, h, 6, &bg);
      append_layout_at (snapshot, self->team, right + TAG_PAD_X, y, &fg);
      right -= ITEM_GAP;
    }
  if (self->rating != NULL)
    {
      /* the visitor's rating at a glance; a low one stands out */
      GdkRGBA star;
      int h = layout_height (self->rating);

      if (self->rating_score <= 2)
        theme_color (widget, "error_color", &star, "#c01c28");
      else
        theme_color (widget, "warning_color", &star, "#9c6e03");
      right -= layout_width (self->rating);
      append_layout_at (snapshot, self->rating, right, line2_y + (preview_h - h) / 2.f, &star);
    }
}
G_GNUC_END_IGNORE_DEPRECATIONS

/* A font or scale change reaches the widget's Pango context: the layouts shape again. */
static void
confab_conversation_row_css_changed (GtkWidget         *widget,
                                     GtkCssStyleChange *change)
{
  ConfabConversationRow *self = CONFAB_CONVERSATION_ROW (widget);
  PangoLayout *layouts[] = { self->initials, self->name, self->time, self->preview, self->status,
                             self->unread, self->rating, self->team, self->target };

  GTK_WIDGET_CLASS (confab_conversation_row_parent_class)->css_changed (widget, change);
  self->name_line_h = self->preview_line_h = 0;
  for (guint i = 0; self->chips != NULL && i < self->chips->len; i++)
    pango_layout_context_changed (g_ptr_array_index (self->chips, i));
  for (guint i = 0; i < G_N_ELEMENTS (layouts); i++)
    if (layouts[i] != NULL)
      pango_layout_context_changed (layouts[i]);
  gtk_widget_queue_resize (widget);
}

static void
confab_conversation_row_dispose (GObject *object)
{
  ConfabConversationRow *self = CONFAB_CONVERSATION_ROW (object);

  g_clear_object (&self->shown);
  g_clear_object (&self->initials);
  g_clear_object (&self->name);
  g_clear_object (&self->time);
  g_clear_object (&self->preview);
  g_clear_object (&self->status);
  g_clear_object (&self->unread);
  g_clear_object (&self->rating);
  g_clear_object (&self->team);
  g_clear_object (&self->target);
  g_clear_pointer (&self->status_id, g_free);
  g_clear_pointer (&self->time_text, g_free);
  g_clear_pointer (&self->chips, g_ptr_array_unref);
  g_clear_pointer (&self->chip_colors, g_array_unref);
  g_clear_pointer (&self->channel, g_free);
  g_clear_object (&self->channel_icon);
  G_OBJECT_CLASS (confab_conversation_row_parent_class)->dispose (object);
}

static void
confab_conversation_row_class_init (ConfabConversationRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = confab_conversation_row_dispose;
  widget_class->measure = confab_conversation_row_measure;
  widget_class->size_allocate = confab_conversation_row_size_allocate;
  widget_class->snapshot = confab_conversation_row_snapshot;
  widget_class->css_changed = confab_conversation_row_css_changed;
  gtk_widget_class_set_css_name (widget_class, "conversationrow");
  for (guint i = 0; i < N_AVATAR_COLORS; i++)
    for (guint k = 0; k < 3; k++)
      gdk_rgba_parse (&avatar_rgba[i][k], avatar_colors[i][k]);
}

static void
confab_conversation_row_init (ConfabConversationRow *self)
{
  g_autoptr (PangoAttrList) initials = pango_attr_list_new ();

  self->initials = gtk_widget_create_pango_layout (GTK_WIDGET (self), NULL);
  pango_attr_list_insert (initials, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  pango_attr_list_insert (initials, pango_attr_size_new_absolute (15 * PANGO_SCALE));
  pango_layout_set_attributes (self->initials, initials);
  self->name = new_layout (self, FALSE, 1.0);
  pango_layout_set_ellipsize (self->name, PANGO_ELLIPSIZE_END);
  pango_layout_set_single_paragraph_mode (self->name, TRUE);
  self->time = new_layout (self, FALSE, 0.82);   /* Adwaita's caption */
  self->preview = new_layout (self, FALSE, 1.0);
  pango_layout_set_ellipsize (self->preview, PANGO_ELLIPSIZE_END);
  pango_layout_set_single_paragraph_mode (self->preview, TRUE);
  self->chips = g_ptr_array_new_with_free_func (g_object_unref);
  self->chip_colors = g_array_new (FALSE, FALSE, sizeof (GdkRGBA));
}

/* What a screen reader says for the row: GTK 4.8's list items cannot carry a label of their
 * own (GtkListItem:accessible-label is 4.12), so the row says it all in one, in reading order. */
static void
update_accessible_label (ConfabConversationRow *self,
                         const char            *name,
                         const char            *preview,
                         gint64                 unread,
                         const char            *status,
                         int                    rating,
                         const char            *labels,
                         const ConfabRouting   *routing,
                         ConfabTargetState      target)
{
  g_autoptr (GString) label = g_string_new (name);

  g_string_append_printf (label, ", %s", preview);
  if (unread > 0)
    {
      g_string_append (label, ", ");
      g_string_append_printf (label, ngettext ("%u unread message", "%u unread messages", (gulong) unread),
                              (guint) unread);
    }
  if (status != NULL && g_strcmp0 (status, "open") != 0)
    g_string_append_printf (label, ", %s", confab_format_status (status));
  if (rating > 0)
    {
      g_string_append (label, ", ");
      g_string_append_printf (label, _("rated %d out of 5"), rating);
    }
  if (labels != NULL)
    g_string_append_printf (label, ", %s", labels);
  if (routing->team_name != NULL)
    {
      g_string_append (label, ", ");
      g_string_append_printf (label, _("team %s"), routing->team_name);
    }
  if (target == CONFAB_TARGET_NEAR)
    g_string_append_printf (label, ", %s", _("response due soon"));
  else if (target == CONFAB_TARGET_MISSED)
    g_string_append_printf (label, ", %s", _("response target missed"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, label->str, -1);
}

/* The chips for @labels (parsed once per conversation: confab_conversation_peek_labels());
 * returns "Labels: a, b" for the accessible label (NULL: none). */
static char *
set_chips (ConfabConversationRow *self,
           JsonArray             *labels)
{
  g_autoptr (GString) names = NULL;
  guint n;

  g_ptr_array_set_size (self->chips, 0);
  g_array_set_size (self->chip_colors, 0);
  if (labels == NULL)
    return NULL;
  n = json_array_get_length (labels);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (labels, i);
      const char *name;
      PangoLayout *chip;
      GdkRGBA rgba;

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          (name = json_object_get_string_member_with_default (json_node_get_object (node), "name", NULL)) == NULL)
        continue;
      if (names == NULL)
        names = g_string_new (_("Labels: "));
      else
        g_string_append (names, ", ");
      g_string_append (names, name);
      if (self->chips->len == MAX_CHIPS)
        {
          g_autofree char *more = g_strdup_printf ("+%u", n - MAX_CHIPS);

          chip = new_layout (self, TRUE, 0.72);
          pango_layout_set_text (chip, more, -1);
          confab_label_parse_color (NULL, &rgba);
          g_ptr_array_add (self->chips, chip);
          g_array_append_val (self->chip_colors, rgba);
          break;
        }
      chip = new_layout (self, TRUE, 0.72);
      pango_layout_set_text (chip, name, -1);
      pango_layout_set_width (chip, 90 * PANGO_SCALE);
      pango_layout_set_ellipsize (chip, PANGO_ELLIPSIZE_END);
      pango_layout_set_single_paragraph_mode (chip, TRUE);
      confab_label_parse_color (json_object_get_string_member_with_default (json_node_get_object (node),
                                                                             "color", NULL), &rgba);
      g_ptr_array_add (self->chips, chip);
      g_array_append_val (self->chip_colors, rgba);
    }
  if (names != NULL && self->chips->len < n && self->chips->len == MAX_CHIPS + 1)
    {
      /* the accessible label names every label, the chips only the first few */
      for (guint i = MAX_CHIPS + 1; i < n; i++)
        {
          JsonNode *node = json_array_get_element (labels, i);
          const char *name = JSON_NODE_HOLDS_OBJECT (node)
                             ? json_object_get_string_member_with_default (json_node_get_object (node), "name", NULL)
                             : NULL;

          if (name != NULL)
            g_string_append_printf (names, ", %s", name);
        }
    }
  return names != NULL ? g_string_free (g_steal_pointer (&names), FALSE) : NULL;
}

GtkWidget *
confab_conversation_row_new (void)
{
  return g_object_new (CONFAB_TYPE_CONVERSATION_ROW, NULL);
}

/* Does @a read as @b on screen (apart from its time, which "now" changes)? */
static gboolean
reads_the_same (ConfabConversation *a,
                ConfabConversation *b)
{
  if (a == b)
    return TRUE;
  return a != NULL && b != NULL &&
         g_strcmp0 (confab_conversation_get_visitor_name (a), confab_conversation_get_visitor_name (b)) == 0 &&
         g_strcmp0 (confab_conversation_get_visitor_id (a), confab_conversation_get_visitor_id (b)) == 0 &&
         g_strcmp0 (confab_conversation_get_preview (a), confab_conversation_get_preview (b)) == 0 &&
         g_strcmp0 (confab_conversation_get_status (a), confab_conversation_get_status (b)) == 0 &&
         confab_conversation_get_unread (a) == confab_conversation_get_unread (b) &&
         confab_conversation_get_rating_score (a) == confab_conversation_get_rating_score (b) &&
         g_strcmp0 (confab_conversation_get_labels (a), confab_conversation_get_labels (b)) == 0 &&
         g_strcmp0 (confab_conversation_get_routing (a), confab_conversation_get_routing (b)) == 0 &&
         (confab_conversation_get_last_seq (a) > 0) == (confab_conversation_get_last_seq (b) > 0);
}

void
confab_conversation_row_set_conversation (ConfabConversationRow *self,
                                          ConfabConversation    *conversation)
{
  g_autofree char *name = NULL;
  g_autofree char *time = NULL;
  g_autofree char *unread = NULL;
  g_autofree char *initials = NULL;
  const ConfabRouting *routing;
  const char *status, *preview, *preview_text;
  gint64 count;
  int minimum_before = -1;   /* measured only when something changes */

  if (conversation == NULL)
    return;
  time = confab_format_time_short (confab_conversation_get_last_message_at (conversation));
  if (g_strcmp0 (time, self->time_text) != 0)
    {
      minimum_before = minimum_width (self);
      pango_layout_set_text (self->time, time, -1);
      g_free (self->time_text);
      self->time_text = g_steal_pointer (&time);
    }
  /* A list view binds a row again for every change around it (a catch-up: thousands of times
   * for rows that read the same); setting labels, CSS classes and the accessible label anew
   * each time was most of the catch-up's cost (perf, bench/desktop-catchup.sh). */
  if (reads_the_same (self->shown, conversation))
    {
      g_set_object (&self->shown, conversation);
      if (minimum_before >= 0)
        queue_relayout (self, minimum_before);
      return;
    }
  if (minimum_before < 0)
    minimum_before = minimum_width (self);
  g_set_object (&self->shown, conversation);
  name = confab_format_visitor (confab_conversation_get_visitor_name (conversation),
                                confab_conversation_get_visitor_id (conversation));
  count = confab_conversation_get_unread (conversation);
  status = confab_conversation_get_status (conversation);
  preview = confab_conversation_get_preview (conversation);

  initials = initials_of (name);
  pango_layout_set_text (self->initials, initials, -1);
  /* the colour AdwAvatar picks for the same text */
  self->color = *name != '\0' ? g_str_hash (name) % N_AVATAR_COLORS : 0;
  {
    /* bold while something is unread, as the "heading" class made the label */
    g_autoptr (PangoAttrList) attrs = pango_attr_list_new ();

    if (count > 0)
      pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
    pango_layout_set_attributes (self->name, attrs);
  }
  pango_layout_set_text (self->name, name, -1);
  if (preview != NULL && *preview != '\0')
    preview_text = preview;
  else
    /* a message without text is an image */
    preview_text = confab_conversation_get_last_seq (conversation) > 0 ? _("Sent an image") : _("No messages yet");
  pango_layout_set_text (self->preview, preview_text, -1);
  g_clear_object (&self->unread);
  if (count > 0)
    {
      unread = g_strdup_printf ("%" G_GINT64_FORMAT, count);
      self->unread = new_layout (self, FALSE, 0.8);
      pango_layout_set_text (self->unread, unread, -1);
    }
  g_clear_object (&self->status);
  g_free (self->status_id);
  self->status_id = g_strdup (status != NULL ? status : "open");
  if (g_strcmp0 (self->status_id, "open") != 0)
    {
      self->status = new_layout (self, TRUE, 0.75);
      pango_layout_set_text (self->status, confab_format_status (status), -1);
    }
  self->rating_score = confab_conversation_get_rating_score (conversation);
  g_clear_object (&self->rating);
  if (self->rating_score > 0)
    {
      g_autofree char *stars = g_strdup_printf ("★ %d", self->rating_score);

      self->rating = new_layout (self, TRUE, 0.75);
      pango_layout_set_text (self->rating, stars, -1);
    }
  routing = confab_routing_peek (conversation);
  g_clear_object (&self->team);
  if (routing->team_name != NULL)
    {
      self->team = new_layout (self, FALSE, 0.75);
      pango_layout_set_text (self->team, routing->team_name, -1);
    }
  /* the relay says when a target turns near or missed; the clock only adds a missed one whose
   * event is late (an offline app) */
  self->target_state = confab_routing_target_state_at (routing, g_get_real_time () / 1000);
  g_clear_object (&self->target);
  if (self->target_state == CONFAB_TARGET_NEAR || self->target_state == CONFAB_TARGET_MISSED)
    {
      self->target = new_layout (self, TRUE, 0.75);
      pango_layout_set_text (self->target, self->target_state == CONFAB_TARGET_NEAR
                                           ? C_("response target", "Due soon")
                                           : C_("response target", "Overdue"), -1);
    }
  {
    g_autofree char *names = set_chips (self, confab_conversation_peek_labels (conversation));

    queue_relayout (self, minimum_before);
    update_accessible_label (self, name, preview_text, count, status, self->rating_score, names,
                             routing, self->target_state);
  }
}

int
confab_conversation_row_get_target_state (ConfabConversationRow *self)
{
  return self->target != NULL ? (int) self->target_state : CONFAB_TARGET_NONE;
}

const char *
confab_conversation_row_get_team_name (ConfabConversationRow *self)
{
  return self->team != NULL ? pango_layout_get_text (self->team) : NULL;
}

guint
confab_conversation_row_get_n_labels (ConfabConversationRow *self)
{
  return self->chips != NULL ? self->chips->len : 0;
}

int
confab_conversation_row_get_rating (ConfabConversationRow *self)
{
  return self->rating != NULL ? self->rating_score : 0;
}

/* The conversation the row shows now (rows are recycled), NULL before the first bind. */
const char *
confab_channel_icon_name (const char *channel)
{
  if (g_strcmp0 (channel, "email") == 0)
    return "mail-unread-symbolic";
  if (g_strcmp0 (channel, "messenger") == 0)
    return "user-available-symbolic";
  if (g_strcmp0 (channel, "whatsapp") == 0)
    return "phone-symbolic";
  return NULL;
}

const char *
confab_channel_title (const char *channel)
{
  if (g_strcmp0 (channel, "email") == 0)
    return _("E-mail");
  if (g_strcmp0 (channel, "messenger") == 0)
    return _("Messenger");
  if (g_strcmp0 (channel, "whatsapp") == 0)
    return _("WhatsApp");
  return NULL;
}

void
confab_conversation_row_set_channel (ConfabConversationRow *self,
                                     const char            *channel)
{
  const char *icon = confab_channel_icon_name (channel);

  if (g_strcmp0 (self->channel, icon != NULL ? channel : NULL) == 0)
    return;
  g_free (self->channel);
  self->channel = icon != NULL ? g_strdup (channel) : NULL;
  g_clear_object (&self->channel_icon);
  if (icon != NULL)
    self->channel_icon = GDK_PAINTABLE (gtk_icon_theme_lookup_icon (
      gtk_icon_theme_get_for_display (gtk_widget_get_display (GTK_WIDGET (self))), icon, NULL,
      BADGE_ICON, gtk_widget_get_scale_factor (GTK_WIDGET (self)), GTK_TEXT_DIR_NONE, 0));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  icon != NULL ? confab_channel_title (channel) : "", -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const char *
confab_conversation_row_get_channel (ConfabConversationRow *self)
{
  return self->channel;
}

const char *
confab_conversation_row_get_conversation_id (ConfabConversationRow *self)
{
  return self->shown != NULL ? confab_conversation_get_id (self->shown) : NULL;
}
