/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-config"

#include "confab-config.h"
#include "confab-paths.h"

#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

ConfabConfig *
confab_config_new (void)
{
  ConfabConfig *config = g_new0 (ConfabConfig, 1);

  config->listen = g_strdup ("127.0.0.1:8080");
  config->data_dir = g_strdup (confab_paths_data_dir ());
  config->trusted_proxies = g_new0 (char *, 1);
  config->sync = CONFAB_STORE_SYNC_FULL;
  config->store_backend = CONFAB_STORE_BACKEND_SQLITE;
  config->writer_thread = TRUE;
  config->store_url = g_strdup ("");
  config->cluster_redis = g_strdup ("");
  config->cluster_node_name = g_strdup_printf ("%s-%d", g_get_host_name (), (int) getpid ());
  config->keepalive_interval = 20;
  config->idle_timeout = 60;
  config->max_frame_bytes = 64 * 1024;
  config->send_queue_bytes = 1024 * 1024;
  config->request_timeout = 30;
  config->max_body_bytes = 64 * 1024;
  config->messages_per_minute = 30;
  config->messages_per_minute_per_ip = 120;
  config->typing_per_second = 10;
  config->logins_per_minute_per_ip = 30;
  config->logins_per_minute_per_account = 5;
  config->bad_frames_before_close = 20;
  config->uploads_per_minute = 10;
  config->uploads_per_minute_per_site = 60;
  config->max_connections = 10000;
  config->max_connections_per_address = 64;
  /* The widget sends a few frames a second at most (typing previews every 150 ms); a site's
   * visitors behind one NAT share the per-address budgets, hence their size. */
  config->frames_per_second = 20;
  config->frames_per_second_per_ip = 200;
  config->hellos_per_minute_per_ip = 120;
  config->page_views_per_minute = 30;
  config->page_views_per_minute_per_ip = 120;
  config->rate_limited_before_close = 60;
  config->token_lifetime_days = 30;
  config->setup_code_lifetime_hours = 7 * 24;
  config->geo_databases = g_new0 (char *, 1);
  config->new_visit_after_minutes = 30;
  config->visitor_update_ms = 1000;
  /* the installed share/confab/widget, or the build's widget/ when run uninstalled */
  config->widget_dir = g_strdup (confab_paths_widget_dir ());
  config->meta_graph_url = g_strdup ("https://graph.facebook.com/v19.0");
  config->meta_public_url = g_strdup ("");
  config->metrics_enabled = TRUE;
  config->metrics_allow = g_strsplit ("127.0.0.0/8;::1", ";", -1);
  config->webhooks_allow_private = FALSE;
  config->webhooks_timeout = 10;
  config->webhooks_retry_initial = 30;
  config->webhooks_retry_max = 3600;
  config->webhooks_retry_for = 24 * 3600;
  config->webhooks_log_days = 30;
  config->api_requests_per_minute = 120;
  config->smtp_server = g_strdup ("");
  config->smtp_port = 587;
  config->smtp_security = CONFAB_SMTP_STARTTLS;
  config->smtp_user = g_strdup ("");
  config->from_address = g_strdup ("");
  config->from_name = g_strdup ("");
  config->assistant_model = g_strdup ("");
  config->assistant_timeout = 20;
  config->assistant_max_tokens = 400;

  return config;
}

void
confab_config_free (ConfabConfig *config)
{
  if (config == NULL)
    return;

  g_free (config->listen);
  g_free (config->data_dir);
  g_strfreev (config->trusted_proxies);
  g_strfreev (config->geo_databases);
  g_free (config->widget_dir);
  g_free (config->help_public_url);
  g_free (config->uploads_dir);
  g_strfreev (config->metrics_allow);
  g_free (config->store_url);
  g_free (config->cluster_redis);
  g_free (config->meta_graph_url);
  g_free (config->meta_public_url);
  g_free (config->cluster_node_name);
  g_free (config->smtp_server);
  g_free (config->smtp_user);
  if (config->smtp_password != NULL)
    memset (config->smtp_password, 0, strlen (config->smtp_password));
  g_free (config->smtp_password);
  g_free (config->from_address);
  g_free (config->from_name);
  g_free (config->assistant_url);
  g_free (config->assistant_model);
  if (config->assistant_api_key != NULL)
    memset (config->assistant_api_key, 0, strlen (config->assistant_api_key));
  g_free (config->assistant_api_key);
  g_free (config->assistant_embeddings_url);
  g_free (config->assistant_embeddings_model);
  g_free (config);
}

/* Reads an unsigned number within [min, max] when the key is there. */
static gboolean
read_uint (GKeyFile    *file,
           const char  *group,
           const char  *key,
           guint        min,
           guint        max,
           guint       *value,
           GError     **error)
{
  g_autoptr (GError) local_error = NULL;
  gint64 number;

  if (!g_key_file_has_key (file, group, key, NULL))
    return TRUE;

  number = g_key_file_get_int64 (file, group, key, &local_error);
  if (local_error != NULL || number < min || number > max)
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[%s] %s must be a whole number from %u to %u", group, key, min, max);
      return FALSE;
    }

  *value = (guint) number;
  return TRUE;
}

static gboolean
read_string (GKeyFile    *file,
             const char  *group,
             const char  *key,
             char       **value)
{
  char *text = g_key_file_get_string (file, group, key, NULL);

  if (text == NULL)
    return FALSE;

  g_free (*value);
  *value = g_strstrip (text);
  return TRUE;
}

/* An http(s) URL, or NULL for an empty value. */
static gboolean
read_url (GKeyFile    *file,
          const char  *group,
          const char  *key,
          char       **value,
          GError     **error)
{
  if (!read_string (file, group, key, value))
    return TRUE;
  if (**value == '\0')
    {
      g_clear_pointer (value, g_free);
      return TRUE;
    }
  if ((!g_str_has_prefix (*value, "https://") && !g_str_has_prefix (*value, "http://")) ||
      strpbrk (*value, " \t\"<>") != NULL)
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[%s] %s must be an http:// or https:// URL, or empty", group, key);
      return FALSE;
    }
  return TRUE;
}

/* [assistant]: the OpenAI-compatible endpoint the assistant and agent assist use */
static gboolean
read_assistant (GKeyFile      *file,
                ConfabConfig  *config,
                GError       **error)
{
  g_autofree char *key_file = NULL;

  read_string (file, "assistant", "model", &config->assistant_model);
  read_string (file, "assistant", "embeddings-model", &config->assistant_embeddings_model);
  if (!read_url (file, "assistant", "url", &config->assistant_url, error) ||
      !read_url (file, "assistant", "embeddings-url", &config->assistant_embeddings_url, error) ||
      !read_uint (file, "assistant", "timeout-seconds", 1, 600, &config->assistant_timeout, error) ||
      !read_uint (file, "assistant", "max-tokens", 1, 100000, &config->assistant_max_tokens, error))
    return FALSE;

  if (read_string (file, "assistant", "api-key-file", &key_file) && *key_file != '\0')
    {
      g_autoptr (GError) local_error = NULL;
      g_autofree char *contents = NULL;

      if (!g_file_get_contents (key_file, &contents, NULL, &local_error))
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                       "[assistant] api-key-file: %s", local_error->message);
          return FALSE;
        }
      g_strstrip (contents);
      /* it goes into a header line */
      if (*contents == '\0' || strpbrk (contents, "\r\n") != NULL)
        {
          g_set_error_literal (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                               "[assistant] api-key-file must hold the key on one line");
          return FALSE;
        }
      if (config->assistant_api_key != NULL)
        memset (config->assistant_api_key, 0, strlen (config->assistant_api_key));
      g_free (config->assistant_api_key);
      config->assistant_api_key = g_steal_pointer (&contents);
    }
  return TRUE;
}

/* [webhooks], and the API keys' [limits] api-requests-per-minute */
static gboolean
read_webhooks (GKeyFile      *file,
               ConfabConfig  *config,
               GError       **error)
{
  if (g_key_file_has_key (file, "webhooks", "allow-private", NULL))
    {
      g_autoptr (GError) local_error = NULL;

      config->webhooks_allow_private = g_key_file_get_boolean (file, "webhooks", "allow-private",
                                                               &local_error);
      if (local_error != NULL)
        {
          g_set_error_literal (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                               "[webhooks] allow-private must be true or false");
          return FALSE;
        }
    }

  return read_uint (file, "webhooks", "timeout-seconds", 1, 300, &config->webhooks_timeout, error) &&
         read_uint (file, "webhooks", "retry-initial-seconds", 1, 86400, &config->webhooks_retry_initial, error) &&
         read_uint (file, "webhooks", "retry-max-seconds", 1, 86400, &config->webhooks_retry_max, error) &&
         read_uint (file, "webhooks", "retry-for-seconds", 1, 30 * 86400, &config->webhooks_retry_for, error) &&
         read_uint (file, "webhooks", "log-days", 1, 3650, &config->webhooks_log_days, error) &&
         read_uint (file, "limits", "api-requests-per-minute", 1, 1000000, &config->api_requests_per_minute, error);
}

static gboolean
is_loopback_host (const char *host)
{
  g_autoptr (GInetAddress) address = g_inet_address_new_from_string (host);

  if (address != NULL)
    return g_inet_address_get_is_loopback (address);
  return g_ascii_strcasecmp (host, "localhost") == 0;
}

/* A bare address as a mail header and SMTP's MAIL FROM take it: one @, no spaces, no angle
 * brackets, no control characters (a line break would let it write headers of its own). */
gboolean
confab_config_valid_mail_address (const char *address)
{
  const char *at;

  if (address == NULL || strlen (address) > 254)
    return FALSE;
  at = strchr (address, '@');
  if (at == NULL || at == address || at[1] == '\0' || strchr (at + 1, '@') != NULL)
    return FALSE;
  for (const char *p = address; *p; p++)
    if ((guchar) *p <= ' ' || *p == '<' || *p == '>' || *p == ',' || *p == ';' || *p == '"' ||
        *p == '(' || *p == ')' || *p == '\\' || (guchar) *p == 0x7f)
      return FALSE;
  return TRUE;
}

/* [email]: only checked when smtp-server is set, so that an empty one turns mail off whatever
 * else the section says. */
static gboolean
load_email (ConfabConfig  *config,
            GKeyFile      *file,
            GError       **error)
{
  g_autofree char *security = NULL, *password_file = NULL;
  g_autoptr (GError) local_error = NULL;

  read_string (file, "email", "smtp-server", &config->smtp_server);
  read_string (file, "email", "smtp-user", &config->smtp_user);
  read_string (file, "email", "from-address", &config->from_address);
  read_string (file, "email", "from-name", &config->from_name);
  if (!read_uint (file, "email", "smtp-port", 1, 65535, &config->smtp_port, error))
    return FALSE;
  if (g_key_file_has_key (file, "email", "allow-insecure-imap", NULL))
    {
      config->allow_insecure_imap = g_key_file_get_boolean (file, "email", "allow-insecure-imap",
                                                            &local_error);
      if (local_error != NULL)
        {
          g_set_error_literal (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                               "[email] allow-insecure-imap must be true or false");
          return FALSE;
        }
    }
  if (read_string (file, "email", "smtp-security", &security))
    {
      if (g_ascii_strcasecmp (security, "starttls") == 0)
        config->smtp_security = CONFAB_SMTP_STARTTLS;
      else if (g_ascii_strcasecmp (security, "tls") == 0)
        config->smtp_security = CONFAB_SMTP_TLS;
      else if (g_ascii_strcasecmp (security, "none") == 0)
        config->smtp_security = CONFAB_SMTP_NONE;
      else
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                       "[email] smtp-security must be “starttls”, “tls” or “none”, not “%s”",
                       security);
          return FALSE;
        }
    }

  if (*config->smtp_server == '\0')
    return TRUE;

  if (strpbrk (config->smtp_server, " /:@?#\r\n") != NULL && !g_hostname_is_ip_address (config->smtp_server))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[email] smtp-server must be a host name or IP address (the port goes in "
                   "smtp-port), not “%s”", config->smtp_server);
      return FALSE;
    }
  /* a password and every mail in clear over the network: only where nothing is in between */
  if (config->smtp_security == CONFAB_SMTP_NONE && !is_loopback_host (config->smtp_server))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[email] smtp-security=none is only allowed to a server on loopback "
                   "(127.0.0.1, ::1, localhost), not “%s”: use starttls or tls",
                   config->smtp_server);
      return FALSE;
    }
  if (!confab_config_valid_mail_address (config->from_address))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[email] from-address must be an e-mail address such as "
                   "support@example.com, not “%s”", config->from_address);
      return FALSE;
    }
  if (strpbrk (config->from_name, "\r\n") != NULL)
    {
      g_set_error_literal (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                           "[email] from-name must be one line");
      return FALSE;
    }
  if (read_string (file, "email", "smtp-password-file", &password_file) && *password_file != '\0')
    {
      g_autofree char *contents = NULL;

      if (*config->smtp_user == '\0')
        {
          g_set_error_literal (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                               "[email] smtp-password-file needs smtp-user");
          return FALSE;
        }
      if (!g_file_get_contents (password_file, &contents, NULL, &local_error))
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                       "[email] smtp-password-file: %s", local_error->message);
          return FALSE;
        }
      /* the file's last line break is no part of the password */
      g_strchomp (contents);
      if (config->smtp_password != NULL)
        memset (config->smtp_password, 0, strlen (config->smtp_password));
      g_free (config->smtp_password);
      config->smtp_password = g_steal_pointer (&contents);
    }
  return TRUE;
}

gboolean
confab_config_load (ConfabConfig  *config,
                    const char    *path,
                    GError       **error)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autofree char *sync = NULL, *backend = NULL, *node_name = NULL;
  g_autoptr (GError) local_error = NULL;

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, &local_error))
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "Cannot read the config file %s: %s", path, local_error->message);
      return FALSE;
    }

  read_string (file, "relay", "listen", &config->listen);
  read_string (file, "relay", "data-dir", &config->data_dir);
  read_string (file, "widget", "dir", &config->widget_dir);
  read_string (file, "help", "public-url", &config->help_public_url);
  if (config->help_public_url != NULL)
    {
      g_strstrip (config->help_public_url);
      /* links in the FAQ bot's answers: an absolute http(s) address, without the final "/" */
      while (g_str_has_suffix (config->help_public_url, "/"))
        config->help_public_url[strlen (config->help_public_url) - 1] = '\0';
      if (*config->help_public_url == '\0')
        g_clear_pointer (&config->help_public_url, g_free);
      else if ((!g_str_has_prefix (config->help_public_url, "https://") &&
                !g_str_has_prefix (config->help_public_url, "http://")) ||
               strpbrk (config->help_public_url, " \t\"<>") != NULL)
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                       "[help] public-url must be an http:// or https:// address such as "
                       "https://chat.example.com");
          return FALSE;
        }
    }
  read_string (file, "uploads", "dir", &config->uploads_dir);
  if (g_key_file_has_key (file, "relay", "trusted-proxies", NULL))
    {
      g_strfreev (config->trusted_proxies);
      config->trusted_proxies = g_key_file_get_string_list (file, "relay", "trusted-proxies",
                                                            NULL, NULL);
      if (config->trusted_proxies == NULL)
        config->trusted_proxies = g_new0 (char *, 1);
      for (guint i = 0; config->trusted_proxies[i]; i++)
        g_strstrip (config->trusted_proxies[i]);
    }

  if (g_key_file_has_key (file, "geo", "database", NULL))
    {
      g_auto (GStrv) paths = g_key_file_get_string_list (file, "geo", "database", NULL, NULL);
      g_autoptr (GPtrArray) kept = g_ptr_array_new_with_free_func (g_free);

      /* "database=" (empty) means the default, like leaving the key out. */
      for (guint i = 0; paths && paths[i]; i++)
        if (*g_strstrip (paths[i]) != '\0')
          g_ptr_array_add (kept, g_strdup (paths[i]));
      g_ptr_array_add (kept, NULL);
      g_strfreev (config->geo_databases);
      config->geo_databases = (char **) g_ptr_array_free (g_steal_pointer (&kept), FALSE);
    }

  if (g_key_file_has_key (file, "metrics", "enabled", NULL))
    {
      config->metrics_enabled = g_key_file_get_boolean (file, "metrics", "enabled", &local_error);
      if (local_error != NULL)
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                       "[metrics] enabled must be true or false");
          return FALSE;
        }
    }
  if (g_key_file_has_key (file, "metrics", "allow", NULL))
    {
      g_auto (GStrv) allow = g_key_file_get_string_list (file, "metrics", "allow", NULL, NULL);
      g_autoptr (GPtrArray) kept = g_ptr_array_new_with_free_func (g_free);

      for (guint i = 0; allow && allow[i]; i++)
        {
          g_autoptr (GInetAddressMask) mask = NULL;

          if (*g_strstrip (allow[i]) == '\0')
            continue;
          mask = g_inet_address_mask_new_from_string (allow[i], NULL);
          if (mask == NULL)
            {
              g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                           "[metrics] allow: “%s” is not an IP address or CIDR range such as "
                           "10.0.0.0/8", allow[i]);
              return FALSE;
            }
          g_ptr_array_add (kept, g_strdup (allow[i]));
        }
      g_ptr_array_add (kept, NULL);
      g_strfreev (config->metrics_allow);
      config->metrics_allow = (char **) g_ptr_array_free (g_steal_pointer (&kept), FALSE);
    }

  if (read_string (file, "store", "synchronous", &sync))
    {
      if (g_ascii_strcasecmp (sync, "full") == 0)
        config->sync = CONFAB_STORE_SYNC_FULL;
      else if (g_ascii_strcasecmp (sync, "normal") == 0)
        config->sync = CONFAB_STORE_SYNC_NORMAL;
      else
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                       "[store] synchronous must be “full” or “normal”, not “%s”", sync);
          return FALSE;
        }
    }

  if (read_string (file, "store", "backend", &backend))
    {
      if (g_ascii_strcasecmp (backend, "sqlite") == 0)
        config->store_backend = CONFAB_STORE_BACKEND_SQLITE;
      else if (g_ascii_strcasecmp (backend, "postgresql") == 0)
        config->store_backend = CONFAB_STORE_BACKEND_POSTGRESQL;
      else
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                       "[store] backend must be “sqlite” or “postgresql”, not “%s”", backend);
          return FALSE;
        }
    }
  read_string (file, "store", "url", &config->store_url);
  if (g_key_file_has_key (file, "store", "writer-thread", NULL))
    {
      config->writer_thread = g_key_file_get_boolean (file, "store", "writer-thread", &local_error);
      if (local_error != NULL)
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                       "[store] writer-thread must be true or false");
          return FALSE;
        }
    }
  if (config->store_backend == CONFAB_STORE_BACKEND_POSTGRESQL && *config->store_url == '\0')
    {
      g_set_error_literal (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                           "[store] backend=postgresql needs [store] url, for example "
                           "postgresql://confab@127.0.0.1:5432/confab");
      return FALSE;
    }
  read_string (file, "meta", "graph-url", &config->meta_graph_url);
  while (g_str_has_suffix (config->meta_graph_url, "/"))
    config->meta_graph_url[strlen (config->meta_graph_url) - 1] = '\0';
  if (!g_str_has_prefix (config->meta_graph_url, "https://") &&
      !g_str_has_prefix (config->meta_graph_url, "http://"))
    {
      g_set_error_literal (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                           "[meta] graph-url must be an http:// or https:// URL");
      return FALSE;
    }
  read_string (file, "meta", "public-url", &config->meta_public_url);
  if (*config->meta_public_url != '\0' && !g_str_has_prefix (config->meta_public_url, "https://") &&
      !g_str_has_prefix (config->meta_public_url, "http://"))
    {
      g_set_error_literal (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                           "[meta] public-url must be an http:// or https:// URL, or empty");
      return FALSE;
    }
  read_string (file, "cluster", "redis", &config->cluster_redis);
  if (*config->cluster_redis != '\0' && !g_str_has_prefix (config->cluster_redis, "redis://") &&
      !g_str_has_prefix (config->cluster_redis, "unix://"))
    {
      g_set_error_literal (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                           "[cluster] redis must be a redis://HOST:PORT/DB or unix://PATH URL, "
                           "or empty for a single relay");
      return FALSE;
    }
  /* "node-name=" (empty) keeps the default, host name + pid */
  if (read_string (file, "cluster", "node-name", &node_name) && *node_name != '\0')
    {
      g_free (config->cluster_node_name);
      config->cluster_node_name = g_steal_pointer (&node_name);
    }

  if (!read_uint (file, "websocket", "keepalive-interval", 1, 3600, &config->keepalive_interval, error) ||
      !read_uint (file, "websocket", "idle-timeout", 1, 86400, &config->idle_timeout, error) ||
      !read_uint (file, "websocket", "max-frame-bytes", 1024, 16 * 1024 * 1024, &config->max_frame_bytes, error) ||
      !read_uint (file, "websocket", "send-queue-bytes", 4096, 1024 * 1024 * 1024, &config->send_queue_bytes, error) ||
      !read_uint (file, "http", "request-timeout", 1, 3600, &config->request_timeout, error) ||
      !read_uint (file, "http", "max-body-bytes", 1024, 64 * 1024 * 1024, &config->max_body_bytes, error) ||
      !read_uint (file, "limits", "messages-per-minute", 1, 1000000, &config->messages_per_minute, error) ||
      !read_uint (file, "limits", "messages-per-minute-per-ip", 1, 1000000, &config->messages_per_minute_per_ip, error) ||
      !read_uint (file, "limits", "typing-per-second", 1, 1000, &config->typing_per_second, error) ||
      !read_uint (file, "limits", "logins-per-minute-per-ip", 1, 1000000, &config->logins_per_minute_per_ip, error) ||
      !read_uint (file, "limits", "logins-per-minute-per-account", 1, 1000000, &config->logins_per_minute_per_account, error) ||
      !read_uint (file, "limits", "bad-frames-before-close", 1, 1000000, &config->bad_frames_before_close, error) ||
      !read_uint (file, "limits", "uploads-per-minute", 1, 1000000, &config->uploads_per_minute, error) ||
      !read_uint (file, "limits", "uploads-per-minute-per-site", 1, 1000000, &config->uploads_per_minute_per_site, error) ||
      !read_uint (file, "limits", "max-connections", 1, 10000000, &config->max_connections, error) ||
      !read_uint (file, "limits", "max-connections-per-address", 0, 10000000, &config->max_connections_per_address, error) ||
      !read_uint (file, "limits", "frames-per-second", 1, 1000000, &config->frames_per_second, error) ||
      !read_uint (file, "limits", "frames-per-second-per-ip", 1, 1000000, &config->frames_per_second_per_ip, error) ||
      !read_uint (file, "limits", "hellos-per-minute-per-ip", 1, 1000000, &config->hellos_per_minute_per_ip, error) ||
      !read_uint (file, "limits", "page-views-per-minute", 1, 1000000, &config->page_views_per_minute, error) ||
      !read_uint (file, "limits", "page-views-per-minute-per-ip", 1, 1000000, &config->page_views_per_minute_per_ip, error) ||
      !read_uint (file, "limits", "rate-limited-before-close", 1, 1000000, &config->rate_limited_before_close, error) ||
      !read_uint (file, "auth", "token-lifetime-days", 1, 3650, &config->token_lifetime_days, error) ||
      !read_uint (file, "auth", "setup-code-lifetime-hours", 1, 8760, &config->setup_code_lifetime_hours, error) ||
      !read_uint (file, "visitors", "new-visit-after-minutes", 0, 10080, &config->new_visit_after_minutes, error) ||
      !read_uint (file, "visitors", "update-interval-ms", 0, 60000, &config->visitor_update_ms, error))
    return FALSE;
  if (!load_email (config, file, error))
    return FALSE;

  if (!read_webhooks (file, config, error))
    return FALSE;
  if (!read_assistant (file, config, error))
    return FALSE;

  return TRUE;
}

gboolean
confab_config_parse_listen (const char  *listen,
                            char       **out_host,
                            guint16     *out_port,
                            GError     **error)
{
  const char *colon;
  g_autofree char *host = NULL;
  guint64 port;
  char *end = NULL;

  colon = listen ? strrchr (listen, ':') : NULL;
  if (colon == NULL || colon == listen || colon[1] == '\0')
    goto bad;

  if (listen[0] == '[')
    {
      if (colon[-1] != ']')
        goto bad;
      host = g_strndup (listen + 1, colon - listen - 2);
    }
  else
    host = g_strndup (listen, colon - listen);

  port = g_ascii_strtoull (colon + 1, &end, 10);
  if (*end != '\0' || port > 65535)
    goto bad;

  *out_host = g_steal_pointer (&host);
  *out_port = (guint16) port;
  return TRUE;

bad:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "“%s” is not HOST:PORT (for example 127.0.0.1:8080, [::1]:8080, or port 0 for any free port)",
               listen ? listen : "");
  return FALSE;
}
