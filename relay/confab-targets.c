/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-targets.c: response-time targets turn near and missed on time (see confab-targets.h).
 * The store knows every running target's next mark (conversations.target_next_at); one timer
 * waits for the earliest, then confab_hub_advance_targets() moves the due ones on and tells
 * agents. The timer also looks again every minute: another relay on the same database may have
 * started a target. */
#define G_LOG_DOMAIN "confab-targets"

#include "confab-targets.h"
#include "confab-build-paths.h"
#include "confab-hub-targets.h"
#include "confab-hub-leads.h"
#include "confab-store-targets.h"
#include "confab-ratelimit.h"
#include "confab-util.h"

#if CONFAB_TEST_HOOKS
#include <glib-unix.h>
#include <signal.h>
#endif

/* The longest the timer waits before looking again (other relays' targets). */
#define POLL_MS  (60 * 1000)
/* After a failed step (the database busy or unreachable) */
#define RETRY_MS (5 * 1000)

struct _ConfabTargets
{
  ConfabRelay *relay;
  guint        timer;       /* the next mark, or the next look */
  guint        recheck;     /* an idle look after a target started */
  gint64       offset_ms;   /* the test clock's; 0 otherwise */
  char        *clock_path;  /* CONFAB_TEST_CLOCK (test builds only) */
  guint        clock_signal;
};

static gboolean on_timer (gpointer user_data);

/* The test clock's offset, for what has no ConfabTargets at hand (one relay per process) */
static gint64 clock_offset_ms;

gint64
confab_targets_now (ConfabTargets *targets)
{
  return confab_now_ms () + (targets != NULL ? targets->offset_ms : 0);
}

gint64
confab_clock_now_ms (void)
{
  return confab_now_ms () + clock_offset_ms;
}

static void
arm (ConfabTargets *targets,
     gint64         delay_ms)
{
  g_clear_handle_id (&targets->timer, g_source_remove);
  targets->timer = g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) CLAMP (delay_ms, 0, POLL_MS),
                                       on_timer, targets, NULL);
}

/* Waits for the next mark. */
static void
rearm (ConfabTargets *targets)
{
  g_autoptr (GError) error = NULL;
  gint64 next = confab_store_next_target_at (targets->relay->store, &error);

  if (next < 0)
    {
      g_warning ("Cannot read the next response-time target, retrying in %d s: %s",
                 RETRY_MS / 1000, error->message);
      arm (targets, RETRY_MS);
      return;
    }
  arm (targets, next > 0 ? next - confab_targets_now (targets) : POLL_MS);
}

/* Moves the due targets on, then waits for the next mark. */
static void
step (ConfabTargets *targets)
{
  g_autoptr (GError) error = NULL;

  if (confab_hub_advance_targets (targets->relay->hub, confab_targets_now (targets), &error) < 0)
    {
      g_warning ("Cannot mark the response-time targets, retrying in %d s: %s", RETRY_MS / 1000,
                 error->message);
      arm (targets, RETRY_MS);
      return;
    }
  rearm (targets);
}

static gboolean
on_timer (gpointer user_data)
{
  ConfabTargets *targets = user_data;

  targets->timer = 0;
  step (targets);
  return G_SOURCE_REMOVE;
}

/* A target started: only the wait may be shorter now (a write transaction for nothing would
 * follow every `conversation` event otherwise). */
static gboolean
on_recheck (gpointer user_data)
{
  ConfabTargets *targets = user_data;

  targets->recheck = 0;
  rearm (targets);
  return G_SOURCE_REMOVE;
}

void
confab_targets_changed (ConfabTargets *targets)
{
  if (targets != NULL && targets->recheck == 0)
    targets->recheck = g_idle_add (on_recheck, targets);
}

#if CONFAB_TEST_HOOKS
static void
read_test_clock (ConfabTargets *targets)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  if (!g_file_get_contents (targets->clock_path, &text, NULL, &error))
    {
      g_warning ("Cannot read the test clock: %s", error->message);
      return;
    }
  targets->offset_ms = g_ascii_strtoll (text, NULL, 10);
  clock_offset_ms = targets->offset_ms;
  /* the rate limits refill by it too (their own monotonic time plus the same offset) */
  confab_rate_limit_set_clock_offset (targets->offset_ms);
  /* the line tests wait for: after it every frame and request counts by the new time */
  g_message ("Test clock at +%" G_GINT64_FORMAT " ms", targets->offset_ms);
}

static gboolean
on_clock_signal (gpointer user_data)
{
  ConfabTargets *targets = user_data;

  read_test_clock (targets);
  step (targets);
  /* the visitors' time on site moved on too */
  confab_hub_refresh_lead_scores (targets->relay->hub);
  return G_SOURCE_CONTINUE;
}
#endif

ConfabTargets *
confab_targets_new (ConfabRelay *relay)
{
  ConfabTargets *targets = g_new0 (ConfabTargets, 1);

  targets->relay = relay;
#if CONFAB_TEST_HOOKS
  if (g_getenv ("CONFAB_TEST_CLOCK") != NULL)
    {
      targets->clock_path = g_strdup (g_getenv ("CONFAB_TEST_CLOCK"));
      g_message ("Response-time targets run on the test clock %s (SIGUSR2 reads it again)",
                 targets->clock_path);
      read_test_clock (targets);
      targets->clock_signal = g_unix_signal_add (SIGUSR2, on_clock_signal, targets);
    }
#endif
  /* once the main loop runs: the marks that came due while the relay was down */
  arm (targets, 0);
  return targets;
}

void
confab_targets_free (ConfabTargets *targets)
{
  if (targets == NULL)
    return;
  g_clear_handle_id (&targets->timer, g_source_remove);
  g_clear_handle_id (&targets->recheck, g_source_remove);
  g_clear_handle_id (&targets->clock_signal, g_source_remove);
  g_free (targets->clock_path);
  g_free (targets);
}
