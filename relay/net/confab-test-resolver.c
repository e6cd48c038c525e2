/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-test-resolver.c: a DNS-rebinding name for the tests (see confab-test-resolver.h) */
#define G_LOG_DOMAIN "confab-relay"

#include "confab-test-resolver.h"
#include "confab-build-paths.h"

#include <gio/gio.h>
#include <string.h>

#if CONFAB_TEST_HOOKS

#define CONFAB_TYPE_TEST_RESOLVER (confab_test_resolver_get_type ())
G_DECLARE_FINAL_TYPE (ConfabTestResolver, confab_test_resolver, CONFAB, TEST_RESOLVER, GResolver)

struct _ConfabTestResolver
{
  GResolver     parent_instance;
  GResolver    *system;
  char         *name;
  GInetAddress *checked;    /* what a plain lookup of @name answers */
  GInetAddress *connected;  /* what a connection's lookup answers: 127.0.0.1 */
};

G_DEFINE_FINAL_TYPE (ConfabTestResolver, confab_test_resolver, G_TYPE_RESOLVER)

/* NULL (and no error) for a name that is not ours */
static GList *
answer (ConfabTestResolver        *self,
        const char                *hostname,
        GResolverNameLookupFlags   flags,
        gboolean                   connecting,
        GError                   **error)
{
  GInetAddress *address = connecting ? self->connected : self->checked;

  if (g_ascii_strcasecmp (hostname, self->name) != 0)
    return NULL;
  if (((flags & G_RESOLVER_NAME_LOOKUP_FLAGS_IPV6_ONLY) &&
       g_inet_address_get_family (address) != G_SOCKET_FAMILY_IPV6) ||
      ((flags & G_RESOLVER_NAME_LOOKUP_FLAGS_IPV4_ONLY) &&
       g_inet_address_get_family (address) != G_SOCKET_FAMILY_IPV4))
    {
      g_set_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "No such address of %s", hostname);
      return NULL;
    }
  return g_list_append (NULL, g_object_ref (address));
}

static GList *
lookup_by_name (GResolver     *resolver,
                const char    *hostname,
                GCancellable  *cancellable,
                GError       **error)
{
  ConfabTestResolver *self = CONFAB_TEST_RESOLVER (resolver);
  GError *local_error = NULL;
  GList *list = answer (self, hostname, G_RESOLVER_NAME_LOOKUP_FLAGS_DEFAULT, FALSE, &local_error);

  if (list != NULL || local_error != NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, local_error);
      return list;
    }
  return g_resolver_lookup_by_name (self->system, hostname, cancellable, error);
}

static GList *
lookup_by_name_with_flags (GResolver                 *resolver,
                           const char                *hostname,
                           GResolverNameLookupFlags   flags,
                           GCancellable              *cancellable,
                           GError                   **error)
{
  ConfabTestResolver *self = CONFAB_TEST_RESOLVER (resolver);
  GError *local_error = NULL;
  GList *list = answer (self, hostname, flags, flags != G_RESOLVER_NAME_LOOKUP_FLAGS_DEFAULT, &local_error);

  if (list != NULL || local_error != NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, local_error);
      return list;
    }
  return g_resolver_lookup_by_name_with_flags (self->system, hostname, flags, cancellable, error);
}

static void
system_answered (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  GList *list = g_resolver_lookup_by_name_with_flags_finish (G_RESOLVER (source), result, &error);

  if (list == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, list, (GDestroyNotify) g_resolver_free_addresses);
}

static void
lookup_by_name_with_flags_async (GResolver                *resolver,
                                 const char               *hostname,
                                 GResolverNameLookupFlags  flags,
                                 GCancellable             *cancellable,
                                 GAsyncReadyCallback       callback,
                                 gpointer                  user_data)
{
  ConfabTestResolver *self = CONFAB_TEST_RESOLVER (resolver);
  g_autoptr (GTask) task = g_task_new (resolver, cancellable, callback, user_data);
  GError *error = NULL;
  GList *list = answer (self, hostname, flags, flags != G_RESOLVER_NAME_LOOKUP_FLAGS_DEFAULT, &error);

  if (list != NULL)
    g_task_return_pointer (task, list, (GDestroyNotify) g_resolver_free_addresses);
  else if (error != NULL)
    g_task_return_error (task, error);
  else
    g_resolver_lookup_by_name_with_flags_async (self->system, hostname, flags, cancellable,
                                                system_answered, g_steal_pointer (&task));
}

static GList *
lookup_by_name_with_flags_finish (GResolver     *resolver,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
lookup_by_name_async (GResolver           *resolver,
                      const char          *hostname,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  lookup_by_name_with_flags_async (resolver, hostname, G_RESOLVER_NAME_LOOKUP_FLAGS_DEFAULT,
                                   cancellable, callback, user_data);
}

static GList *
lookup_by_name_finish (GResolver     *resolver,
                       GAsyncResult  *result,
                       GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
confab_test_resolver_finalize (GObject *object)
{
  ConfabTestResolver *self = CONFAB_TEST_RESOLVER (object);

  g_clear_object (&self->system);
  g_free (self->name);
  g_clear_object (&self->checked);
  g_clear_object (&self->connected);
  G_OBJECT_CLASS (confab_test_resolver_parent_class)->finalize (object);
}

static void
confab_test_resolver_class_init (ConfabTestResolverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GResolverClass *resolver_class = G_RESOLVER_CLASS (klass);

  object_class->finalize = confab_test_resolver_finalize;
  resolver_class->lookup_by_name = lookup_by_name;
  resolver_class->lookup_by_name_async = lookup_by_name_async;
  resolver_class->lookup_by_name_finish = lookup_by_name_finish;
  resolver_class->lookup_by_name_with_flags = lookup_by_name_with_flags;
  resolver_class->lookup_by_name_with_flags_async = lookup_by_name_with_flags_async;
  resolver_class->lookup_by_name_with_flags_finish = lookup_by_name_with_flags_finish;
}

static void
confab_test_resolver_init (ConfabTestResolver *self)
{
}

void
confab_test_resolver_install (void)
{
  const char *spec = g_getenv ("CONFAB_TEST_REBIND");
  g_auto (GStrv) parts = NULL;
  g_autoptr (ConfabTestResolver) resolver = NULL;
  g_autoptr (GInetAddress) checked = NULL;

  if (spec == NULL || *spec == '\0')
    return;
  parts = g_strsplit (spec, "=", 2);
  if (g_strv_length (parts) != 2 || (checked = g_inet_address_new_from_string (parts[1])) == NULL)
    g_error ("CONFAB_TEST_REBIND must be NAME=ADDRESS");
  resolver = g_object_new (CONFAB_TYPE_TEST_RESOLVER, NULL);
  resolver->system = g_resolver_get_default ();
  resolver->name = g_strdup (parts[0]);
  resolver->checked = g_steal_pointer (&checked);
  resolver->connected = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_resolver_set_default (G_RESOLVER (resolver));
  g_message ("%s resolves to %s when checked and to 127.0.0.1 when connected (CONFAB_TEST_REBIND)",
             resolver->name, parts[1]);
}

#else

void
confab_test_resolver_install (void)
{
}

#endif
