/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-metrics.h: counters for GET /metrics (Prometheus text format 0.0.4).
 *
 * The counters are process-wide so that counting is a one-line call wherever something
 * happens, with no relay pointer to pass around. Fixed counters and the commit histogram are
 * relaxed atomic adds (a store worker thread may count too); the labelled ones with open-ended
 * labels (close codes) are counted on the main loop only. Gauges (connections, send-queue
 * bytes) are read when scraped, so nothing is counted for them on any hot path.
 */
#pragma once

#include <glib.h>

#include "confab-relay.h"

G_BEGIN_DECLS

typedef enum {
  CONFAB_METRIC_MESSAGES_IN_VISITOR,   /* chat messages accepted into a batch */
  CONFAB_METRIC_MESSAGES_IN_AGENT,
  CONFAB_METRIC_FRAMES_IN,             /* WebSocket data frames received */
  CONFAB_METRIC_FRAMES_OUT,            /* WebSocket data frames queued to a client */
  CONFAB_METRIC_COMMITS,               /* group commits that made a batch durable */
  CONFAB_METRIC_COMMIT_FAILURES,       /* batches rolled back */
  CONFAB_METRIC_STORE_ERRORS,          /* requests and frames answered internal_error */
  CONFAB_METRIC_RATE_LIMITED_LOGIN,    /* 429 on /api/v1/auth/login */
  CONFAB_METRIC_RATE_LIMITED_UPLOAD,   /* 429 on /api/v1/uploads */
  CONFAB_METRIC_RATE_LIMITED_HTTP,     /* any other 429 */
  CONFAB_METRIC_RATE_LIMITED_VISITOR,  /* rate_limited error frames to visitors */
  CONFAB_METRIC_RATE_LIMITED_AGENT,    /* rate_limited error frames to agents */
  CONFAB_METRIC_UPLOADS_REFUSED_TOO_LARGE,
  CONFAB_METRIC_UPLOADS_REFUSED_TYPE,
  CONFAB_METRIC_UPLOADS_REFUSED_INVALID,
  CONFAB_METRIC_UPLOADS_REFUSED_RATE,
  CONFAB_METRIC_UPLOADS_REFUSED_DENIED,
  CONFAB_METRIC_UPLOADS_REFUSED_NO_SPACE,
  CONFAB_METRIC_UPLOADS_REFUSED_ERROR,
  CONFAB_METRIC_HTTP_2XX,              /* HTTP responses by status class */
  CONFAB_METRIC_HTTP_3XX,
  CONFAB_METRIC_HTTP_4XX,
  CONFAB_METRIC_HTTP_5XX,
  CONFAB_METRIC_ASSISTANT_FAILURES,    /* assistant calls that failed (confab-assistant.c) */
  CONFAB_N_METRICS
} ConfabMetric;

void     confab_metrics_inc            (ConfabMetric metric);
/* A close frame the relay sent (main loop only). */
void     confab_metrics_count_close    (gushort      code);
/* How long one group commit took, and whether it made the batch durable. */
void     confab_metrics_observe_commit (gint64       duration_us,
                                        gboolean     committed);

/* Adds GET /metrics and the HTTP connection gauge to @relay's server. */
void     confab_metrics_register       (ConfabRelay *relay);
void     confab_metrics_unregister     (ConfabRelay *relay);

/* Whether the metrics may be served to @peer (the TCP peer, never a forwarded address). */
gboolean confab_metrics_peer_allowed   (const ConfabConfig *config,
                                        GInetAddress       *peer);

/* The exposition text (tests and the handler). */
char    *confab_metrics_render         (ConfabRelay *relay);

G_END_DECLS
