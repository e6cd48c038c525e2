/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-widget-assets.c: the website widget's two scripts, gzipped, with cache headers.
 *
 * /widget.js is the URL customers paste into their pages: it must change as soon as we ship a
 * new one, so it is cached briefly and revalidated by ETag. /widget-full.js?v=HASH is asked for
 * by that bootstrap with the content hash of the full widget: that URL never changes content
 * and is cached for a year. Any other ?v= (an old bootstrap in a cache) gets today's file with
 * the short lifetime. */
#define G_LOG_DOMAIN "confab-widget"

#include "confab-widget-assets.h"
#include "confab-http.h"
#include "confab-paths.h"

#include <gio/gio.h>
#include <string.h>

#define SHORT_CACHE "public, max-age=300, stale-while-revalidate=86400"
#define LONG_CACHE  "public, max-age=31536000, immutable"

typedef struct {
  const char *name;        /* "widget.js" */
  char       *path;
  GBytes     *plain;
  GBytes     *gzipped;
  char       *version;     /* first 12 hex digits of the SHA-256 of the content */
  char       *etag;        /* of the plain bytes; the gzipped ones add "-gz" */
  char       *etag_gz;
  guint64     mtime;       /* what the file was when it was read, to notice a rebuild */
  goffset     size;
} Asset;

typedef struct {
  Asset    assets[2];
  gboolean built_without;  /* -Dwidget=false and no [widget] dir of the admin's own */
} Assets;

static void
asset_clear (Asset *asset)
{
  g_clear_pointer (&asset->path, g_free);
  g_clear_pointer (&asset->plain, g_bytes_unref);
  g_clear_pointer (&asset->gzipped, g_bytes_unref);
  g_clear_pointer (&asset->version, g_free);
  g_clear_pointer (&asset->etag, g_free);
  g_clear_pointer (&asset->etag_gz, g_free);
}

static void
assets_free (gpointer data)
{
  Assets *assets = data;

  for (guint i = 0; i < G_N_ELEMENTS (assets->assets); i++)
    asset_clear (&assets->assets[i]);
  g_free (assets);
}

static GBytes *
gzip_bytes (GBytes  *plain,
            GError **error)
{
  g_autoptr (GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 9);
  g_autoptr (GOutputStream) memory = g_memory_output_stream_new_resizable ();
  g_autoptr (GOutputStream) out = g_converter_output_stream_new (memory, G_CONVERTER (compressor));
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (plain, &size);

  if (!g_output_stream_write_all (out, data, size, NULL, NULL, error) ||
      !g_output_stream_close (out, NULL, error))
    return NULL;

  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (memory));
}

/* (Re)reads @asset when the file changed since the last read. FALSE when there is none. */
static gboolean
asset_refresh (Asset *asset)
{
  g_autoptr (GFile) file = g_file_new_for_path (asset->path);
  g_autoptr (GFileInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) plain = NULL;
  g_autoptr (GBytes) gzipped = NULL;
  g_autofree char *digest = NULL;
  guint64 mtime;
  goffset size;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_TIME_MODIFIED "," G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC ","
                            G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE, NULL, &error);
  if (info == NULL)
    {
      if (asset->plain != NULL)
        g_warning ("%s is gone; serving the copy read before", asset->path);
      return asset->plain != NULL;
    }

  mtime = g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED) * G_USEC_PER_SEC +
          g_file_info_get_attribute_uint32 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC);
  size = g_file_info_get_size (info);
  if (asset->plain != NULL && mtime == asset->mtime && size == asset->size)
    return TRUE;

  plain = g_file_load_bytes (file, NULL, NULL, &error);
  if (plain == NULL || (gzipped = gzip_bytes (plain, &error)) == NULL)
    {
      g_warning ("Cannot read the widget file %s: %s", asset->path, error->message);
      return asset->plain != NULL;
    }

  digest = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, plain);
  g_clear_pointer (&asset->plain, g_bytes_unref);
  g_clear_pointer (&asset->gzipped, g_bytes_unref);
  g_free (asset->version);
  g_free (asset->etag);
  g_free (asset->etag_gz);
  asset->plain = g_steal_pointer (&plain);
  asset->gzipped = g_steal_pointer (&gzipped);
  asset->version = g_strndup (digest, 12);
  asset->etag = g_strdup_printf ("\"%.24s\"", digest);
  asset->etag_gz = g_strdup_printf ("\"%.24s-gz\"", digest);
  asset->mtime = mtime;
  asset->size = size;
  g_debug ("Loaded %s: %" G_GSIZE_FORMAT " bytes, %" G_GSIZE_FORMAT " gzipped", asset->name,
           g_bytes_get_size (asset->plain), g_bytes_get_size (asset->gzipped));
  return TRUE;
}

/* Whether the client takes gzip: listed in Accept-Encoding without q=0. */
static gboolean
accepts_gzip (SoupServerMessage *msg)
{
  const char *header = soup_message_headers_get_list (soup_server_message_get_request_headers (msg),
                                                      "Accept-Encoding");
  GSList *unacceptable = NULL;
  GSList *acceptable;
  gboolean gzip = FALSE;

  if (header == NULL)
    return FALSE;

  acceptable = soup_header_parse_quality_list (header, &unacceptable);
  for (GSList *l = acceptable; l; l = l->next)
    gzip |= g_ascii_strcasecmp (l->data, "gzip") == 0 || strcmp (l->data, "*") == 0;
  for (GSList *l = unacceptable; l; l = l->next)
    if (g_ascii_strcasecmp (l->data, "gzip") == 0)
      gzip = FALSE;
  soup_header_free_list (acceptable);
  soup_header_free_list (unacceptable);
  return gzip;
}

static void
handle_asset (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  Assets *assets = user_data;
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  const char *if_none_match;
  const char *wanted_version = query ? g_hash_table_lookup (query, "v") : NULL;
  Asset *asset = NULL;
  Asset *full = &assets->assets[1];
  gboolean gzip;
  const char *etag;
  GBytes *body;

  for (guint i = 0; i < G_N_ELEMENTS (assets->assets); i++)
    if (strcmp (path + 1, assets->assets[i].name) == 0)
      asset = &assets->assets[i];
  if (asset == NULL)
    return confab_http_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "There is nothing at this address");

  if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0)
    {
      soup_message_headers_replace (response, "Allow", "GET, HEAD");
      return confab_http_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                                "Only GET and HEAD are allowed here");
    }

  if (!asset_refresh (asset))
    return confab_http_error (msg, SOUP_STATUS_NOT_FOUND, "widget_not_built",
                              assets->built_without
                              ? "This relay was built without its widget (meson -Dwidget=false); "
                                "set [widget] dir to a widget built elsewhere"
                              : "The widget has not been built on this relay (node widget/build.mjs)");

  gzip = accepts_gzip (msg);
  etag = gzip ? asset->etag_gz : asset->etag;
  body = gzip ? asset->gzipped : asset->plain;

  /* Scripts may be embedded anywhere, also by pages that isolate themselves (COEP). */
  soup_message_headers_replace (response, "Access-Control-Allow-Origin", "*");
  soup_message_headers_replace (response, "Cross-Origin-Resource-Policy", "cross-origin");
  soup_message_headers_replace (response, "Vary", "Accept-Encoding");
  soup_message_headers_replace (response, "ETag", etag);
  soup_message_headers_replace (response, "Cache-Control",
                                asset == full && g_strcmp0 (wanted_version, asset->version) == 0
                                ? LONG_CACHE : SHORT_CACHE);

  if_none_match = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "If-None-Match");
  if (if_none_match != NULL && (strstr (if_none_match, etag) != NULL || strcmp (if_none_match, "*") == 0))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_MODIFIED, NULL);
      return;
    }

  if (gzip)
    soup_message_headers_replace (response, "Content-Encoding", "gzip");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (response, "text/javascript; charset=utf-8", NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), body);
}

void
confab_widget_assets_register (ConfabRelay *relay)
{
  Assets *assets = g_new0 (Assets, 1);
  const char *names[] = { "widget.js", "widget-full.js" };

  assets->built_without = !confab_paths_have_widget () &&
                          g_strcmp0 (relay->config->widget_dir, confab_paths_widget_dir ()) == 0;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      assets->assets[i].name = names[i];
      assets->assets[i].path = g_build_filename (relay->config->widget_dir, names[i], NULL);
      if (!asset_refresh (&assets->assets[i]) && assets->built_without)
        g_message ("No %s: this relay was built without its widget (-Dwidget=false); "
                   "[widget] dir names one built elsewhere", names[i]);
      else if (assets->assets[i].plain == NULL)
        g_message ("No %s yet; the widget is served once it is built into %s",
                   names[i], relay->config->widget_dir);
    }

  /* one Assets for both paths: the server frees it with the first handler it removes */
  soup_server_add_handler (relay->server, "/widget.js", handle_asset, assets, assets_free);
  soup_server_add_handler (relay->server, "/widget-full.js", handle_asset, assets, NULL);
}
