/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-chart-private.h: what the chart widget (confab-chart.c) and its drawing
 * (confab-chart-draw.c) share. */
#pragma once

#include "confab-chart.h"

G_BEGIN_DECLS

/* A value's place on the chart and what its tooltip says. */
typedef struct {
  graphene_rect_t  area;
  char            *text;
} ConfabChartHit;

typedef struct {
  GtkWidget *widget;
  cairo_t   *cr;
  double     width;
  double     height;
  GdkRGBA    fg;      /* the widget's text colour: labels */
  GdkRGBA    accent;  /* the first series (the accent colour) */
  GdkRGBA    second;  /* the second series, legible on both styles */
  GArray    *hits;    /* ConfabChartHit, in value order */
} ConfabChartCanvas;

void  confab_chart_draw            (ConfabChartKind         kind,
                                    const ConfabAnalytics  *analytics,
                                    ConfabChartCanvas      *canvas);
/* The figures in words, for the accessible description. */
char *confab_chart_describe        (ConfabChartKind         kind,
                                    const ConfabAnalytics  *analytics);
/* "Mon 30 Nov" (or "Monday 30 November 2026" when @long_form) from "2026-11-30". */
char *confab_chart_day_label       (const char             *date,
                                    gboolean                long_form);
/* "Monday" (@day 0) … "Sunday", abbreviated when @abbreviated. */
char *confab_chart_weekday         (guint                   day,
                                    gboolean                abbreviated);

G_END_DECLS
