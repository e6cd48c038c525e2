/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-uploads.c: image uploads against the real relay — what is accepted, what is
 * refused and how, what comes back out, who may see it, and that nothing is left behind. */
#define _GNU_SOURCE /* memmem */
#include "relay-harness.h"
#include "relay-raw.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

/* The harness raises the chat limits out of the way; these do the same for uploads. */
#define NO_UPLOAD_LIMITS "[limits]\nuploads-per-minute=100000\nuploads-per-minute-per-site=100000\n"

/* --- test images --- */

static GdkPixbuf *
noise_pixbuf (int width,
              int height)
{
  GdkPixbuf *pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  guint32 state = 12345;

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width * 3; x++)
      {
        state = state * 1103515245 + 12345;
        /* a gradient with some noise: compresses like a photo, not like a flat fill */
        pixels[y * stride + x] = (guint8) ((x / 3 + y) / 8 + ((state >> 16) & 0x3F));
      }
  return pixbuf;
}

static GBytes *
encode_pixbuf (GdkPixbuf  *pixbuf,
               const char *type,
               const char *quality)
{
  g_autoptr (GError) error = NULL;
  gchar *buffer = NULL;
  gsize size = 0;

  if (quality != NULL)
    g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, type, &error,
                                              "quality", quality, NULL));
  else
    g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, type, &error, NULL));
  g_assert_no_error (error);
  return g_bytes_new_take (buffer, size);
}

static GBytes *
make_image (const char *type,
            int         width,
            int         height)
{
  g_autoptr (GdkPixbuf) pixbuf = noise_pixbuf (width, height);

  return encode_pixbuf (pixbuf, type, NULL);
}

/* The latitude 48/1 51/1 of the GPS IFD below, as it sits in the file. */
static const guint8 gps_latitude[16] = { 0, 0, 0, 48, 0, 0, 0, 1, 0, 0, 0, 51, 0, 0, 0, 1 };

/* A JPEG with an APP1 Exif segment right after SOI: IFD0 with a GPSInfo pointer, a GPS IFD with
 * GPSLatitudeRef "N" and GPSLatitude 48/1 51/1 2958/100. Written by hand, big-endian TIFF. */
static GBytes *
make_jpeg_with_gps (int width,
                    int height)
{
  g_autoptr (GBytes) plain = make_image ("jpeg", width, height);
  GByteArray *out = g_byte_array_new ();
  guint8 tiff[80] = { 'M', 'M', 0, 42, 0, 0, 0, 8 };
  guint8 *p = tiff + 8;
  guint8 header[10] = { 0xFF, 0xE1, 0, 0, 'E', 'x', 'i', 'f', 0, 0 };
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (plain, &len);
  guint segment = 2 + 6 + sizeof tiff;

  /* IFD0 at 8: one entry, GPSInfo (0x8825) LONG 1 → 26 */
  *p++ = 0; *p++ = 1;
  *p++ = 0x88; *p++ = 0x25; *p++ = 0; *p++ = 4; *p++ = 0; *p++ = 0; *p++ = 0; *p++ = 1;
  *p++ = 0; *p++ = 0; *p++ = 0; *p++ = 26;
  *p++ = 0; *p++ = 0; *p++ = 0; *p++ = 0;
  /* GPS IFD at 26: LatitudeRef ASCII 2 "N"; Latitude RATIONAL 3 → 56 */
  *p++ = 0; *p++ = 2;
  *p++ = 0; *p++ = 1; *p++ = 0; *p++ = 2; *p++ = 0; *p++ = 0; *p++ = 0; *p++ = 2;
  *p++ = 'N'; *p++ = 0; *p++ = 0; *p++ = 0;
  *p++ = 0; *p++ = 2; *p++ = 0; *p++ = 5; *p++ = 0; *p++ = 0; *p++ = 0; *p++ = 3;
  *p++ = 0; *p++ = 0; *p++ = 0; *p++ = 56;
  *p++ = 0; *p++ = 0; *p++ = 0; *p++ = 0;
  g_assert_cmpint (p - tiff, ==, 56);
  memcpy (p, gps_latitude, 16);
  p += 16;
  *p++ = 0; *p++ = 0; *p++ = 0x0B; *p++ = 0x8E; *p++ = 0; *p++ = 0; *p++ = 0; *p++ = 100;

  header[2] = segment >> 8;
  header[3] = segment & 0xFF;
  g_byte_array_append (out, data, 2);                 /* SOI */
  g_byte_array_append (out, header, sizeof header);
  g_byte_array_append (out, tiff, sizeof tiff);
  g_byte_array_append (out, data + 2, len - 2);
  return g_byte_array_free_to_bytes (out);
}

static gboolean
bytes_contain (GBytes       *haystack,
               const void   *needle,
               gsize         needle_len)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (haystack, &len);

  return len >= needle_len && memmem (data, len, needle, needle_len) != NULL;
}

/* Decodes what the relay sent back; asserts it is an image of @type and returns it. */
static GdkPixbuf *
decode (GBytes     *bytes,
        const char *type)
{
  g_autoptr (GdkPixbufLoader) loader = gdk_pixbuf_loader_new_with_type (type, NULL);
  g_autoptr (GError) error = NULL;
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  g_assert_nonnull (loader);
  g_assert_true (gdk_pixbuf_loader_write (loader, data, len, &error));
  g_assert_true (gdk_pixbuf_loader_close (loader, &error));
  g_assert_no_error (error);
  return g_object_ref (gdk_pixbuf_loader_get_pixbuf (loader));
}

/* A PNG header claiming @width × @height with a bogus IDAT and an IEND. */
static GBytes *
make_png_header (guint32 width,
                 guint32 height)
{
  guint8 png[] = {
    0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n',
    0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 0, 0, 0, 0, 0, 8, 2, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 4, 'I', 'D', 'A', 'T', 1, 2, 3, 4, 0, 0, 0, 0,
    0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82,
  };

  png[16] = width >> 24; png[17] = width >> 16; png[18] = width >> 8; png[19] = width;
  png[20] = height >> 24; png[21] = height >> 16; png[22] = height >> 8; png[23] = height;
  return g_bytes_new (png, sizeof png);
}

/* --- requests --- */

static TestResponse *
upload (TestRelay  *relay,
        const char *token,
        const char *conversation_id,
        GBytes     *body,
        const char *content_type)
{
  g_autofree char *path = conversation_id
    ? g_strdup_printf ("/api/v1/uploads?conversation_id=%s", conversation_id)
    : g_strdup ("/api/v1/uploads");

  return test_http_bytes (relay, "POST", path, token, body, content_type, NULL);
}

static TestResponse *
download (TestRelay  *relay,
          const char *token,
          const char *path)
{
  return test_http_bytes (relay, "GET", path, token, NULL, NULL, NULL);
}

/* Uploads and asserts 201; returns the answer. */
static JsonObject *
upload_ok (TestRelay  *relay,
           const char *token,
           const char *conversation_id,
           GBytes     *body)
{
  g_autoptr (TestResponse) response = upload (relay, token, conversation_id, body, "image/png");

  test_assert_http_status (response, 201);
  return json_object_ref (test_response_object (response));
}

static void
patch_settings (TestWorld  *world,
                const char *settings_json)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);
  g_autofree char *body = g_strdup_printf ("{\"settings\":%s}", settings_json);
  g_autoptr (TestResponse) response = test_http (world->relay, "PATCH", path, world->token, body, NULL);

  test_assert_http_status (response, 200);
}

static char *
start_conversation (TestWorld *world)
{
  char *conversation_id = NULL;

  test_visitor_say (world->visitor, "hello", &conversation_id);
  return conversation_id;
}

/* --- what is on disk --- */

static gboolean
is_hex64 (const char *text,
          gsize       len)
{
  if (len != 64)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit (text[i]) || g_ascii_isupper (text[i]))
      return FALSE;
  return TRUE;
}

/* Walks <data-dir>/uploads: uploads/tmp must be empty, and everything else must be
 * ab/cd/<sha256> or ab/cd/<sha256>.thumb — exactly @images of each. */
static void
assert_upload_files_at (const char *file,
                        int         line,
                        TestRelay  *relay,
                        guint       images)
{
  g_autofree char *root = g_build_filename (test_relay_data_dir (relay), "uploads", NULL);
  g_autofree char *tmp = g_build_filename (root, "tmp", NULL);
  g_autoptr (GDir) tmp_dir = NULL;
  g_autoptr (GDir) level1 = g_dir_open (root, 0, NULL);
  const char *a, *b, *name = NULL;
  guint found_images = 0, found_thumbs = 0;

  /* The relay removes a request's temporary file when it tears the request down, which may be
   * a main-loop turn after the client saw its connection close: give it a moment, not more. */
  for (guint attempt = 0; attempt < 40; attempt++)
    {
      g_clear_pointer (&tmp_dir, g_dir_close);
      tmp_dir = g_dir_open (tmp, 0, NULL);
      g_assert_nonnull (tmp_dir);
      if ((name = g_dir_read_name (tmp_dir)) == NULL)
        break;
      test_sleep_ms (50);
    }
  if (name != NULL)
    g_error ("%s:%d: left in uploads/tmp: %s", file, line, name);

  g_assert_nonnull (level1);
  while ((a = g_dir_read_name (level1)) != NULL)
    {
      g_autofree char *path1 = g_build_filename (root, a, NULL);
      g_autoptr (GDir) level2 = NULL;

      if (strcmp (a, "tmp") == 0)
        continue;
      level2 = g_dir_open (path1, 0, NULL);
      if (level2 == NULL || strlen (a) != 2)
        g_error ("%s:%d: unexpected uploads/%s", file, line, a);
      while ((b = g_dir_read_name (level2)) != NULL)
        {
          g_autofree char *path2 = g_build_filename (path1, b, NULL);
          g_autoptr (GDir) level3 = g_dir_open (path2, 0, NULL);

          if (level3 == NULL || strlen (b) != 2)
            g_error ("%s:%d: unexpected uploads/%s/%s", file, line, a, b);
          while ((name = g_dir_read_name (level3)) != NULL)
            {
              gsize len = strlen (name);
              gboolean thumb = g_str_has_suffix (name, ".thumb");

              if (!is_hex64 (name, thumb ? len - 6 : len) ||
                  strncmp (name, a, 2) != 0 || strncmp (name + 2, b, 2) != 0)
                g_error ("%s:%d: unexpected file uploads/%s/%s/%s", file, line, a, b, name);
              if (thumb)
                found_thumbs++;
              else
                found_images++;
            }
        }
    }

  if (found_images != images || found_thumbs != images)
    g_error ("%s:%d: expected %u images and thumbnails, found %u and %u",
             file, line, images, found_images, found_thumbs);
}

#define assert_upload_files(r, n) assert_upload_files_at (__FILE__, __LINE__, (r), (n))

/* --- tests --- */

static void
test_jpeg_gps_stripped (void)
{
  g_autoptr (TestWorld) world = test_world_new (NO_UPLOAD_LIMITS, TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = start_conversation (world);
  g_autoptr (GBytes) jpeg = make_jpeg_with_gps (640, 480);
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (TestResponse) image = NULL;
  g_autoptr (GdkPixbuf) decoded = NULL;
  g_autofree char *expected_url = NULL;
  gsize len = 0;
  const guint8 *data;

  /* the test image really carries what must go */
  g_assert_true (bytes_contain (jpeg, "Exif", 4));
  g_assert_true (bytes_contain (jpeg, gps_latitude, sizeof gps_latitude));

  answer = upload_ok (world->relay, world->token, conversation_id, jpeg);
  g_assert_cmpstr (test_obj_string (answer, "mime"), ==, "image/jpeg");
  g_assert_cmpint (test_obj_int (answer, "width"), ==, 640);
  g_assert_cmpint (test_obj_int (answer, "height"), ==, 480);
  expected_url = g_strdup_printf ("/api/v1/uploads/%s", test_obj_string (answer, "id"));
  g_assert_cmpstr (test_obj_string (answer, "url"), ==, expected_url);

  image = download (world->relay, world->token, test_obj_string (answer, "url"));
  test_assert_http_status (image, 200);
  g_assert_false (bytes_contain (image->body, "Exif", 4));
  g_assert_false (bytes_contain (image->body, gps_latitude, sizeof gps_latitude));
  g_assert_cmpint (g_bytes_get_size (image->body), ==, test_obj_int (answer, "size"));

  data = g_bytes_get_data (image->body, &len);
  g_assert_cmpuint (len, >, 4);
  g_assert_true (data[0] == 0xFF && data[1] == 0xD8 && data[len - 2] == 0xFF && data[len - 1] == 0xD9);
  decoded = decode (image->body, "jpeg");
  g_assert_cmpint (gdk_pixbuf_get_width (decoded), ==, 640);
  g_assert_cmpint (gdk_pixbuf_get_height (decoded), ==, 480);

  /* served as what it is, never as a document */
  g_assert_cmpstr (test_response_header (image, "Content-Type"), ==, "image/jpeg");
  g_assert_cmpstr (test_response_header (image, "X-Content-Type-Options"), ==, "nosniff");
  g_assert_cmpstr (test_response_header (image, "Content-Security-Policy"), ==,
                   "default-src 'none'; sandbox");
  g_assert_cmpstr (test_response_header (image, "Cache-Control"), ==,
                   "private, max-age=31536000, immutable");

  assert_upload_files (world->relay, 1);
}

static void
test_refused_types (void)
{
  g_autoptr (TestWorld) world = test_world_new (NO_UPLOAD_LIMITS, TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = start_conversation (world);
  const char *bodies[] = {
    "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"><rect width=\"9\" height=\"9\"/></svg>",
    "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    "<!DOCTYPE html><html><script>alert(document.cookie)</script></html>",
    /* (a PDF is a file since issue 14: test-relay-files.c) */
    "PK\x03\x04 not an image at all",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr (GBytes) body = g_bytes_new_static (bodies[i], strlen (bodies[i]));
      /* declared as a PNG: the declared type counts for nothing */
      g_autoptr (TestResponse) response = upload (world->relay, world->token, conversation_id,
                                                  body, "image/png");

      test_assert_http_error (response, 415, "unsupported_media_type");
    }

  assert_upload_files (world->relay, 0);
}

static void
test_too_many_pixels (void)
{
  g_autoptr (TestWorld) world = test_world_new (NO_UPLOAD_LIMITS, TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = start_conversation (world);
  g_autoptr (GBytes) png = make_png_header (50000, 50000);
  g_autoptr (TestResponse) response = NULL;
  g_autofree char *text = NULL;
  gint64 start = g_get_monotonic_time ();

  response = upload (world->relay, world->token, conversation_id, png, "image/png");
  test_assert_http_error (response, 413, "too_large");
  /* refused from the header: 2.5 gigapixels were never allocated (that would take seconds) */
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
  text = test_response_text (response);
  g_assert_nonnull (strstr (text, "50000"));
  g_assert_nonnull (strstr (text, "megapixels"));

  assert_upload_files (world->relay, 0);
}

static void
test_truncated_and_empty (void)
{
  g_autoptr (TestWorld) world = test_world_new (NO_UPLOAD_LIMITS, TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = start_conversation (world);
  g_autoptr (GBytes) png = make_image ("png", 300, 200);
  g_autoptr (GBytes) jpeg = make_image ("jpeg", 300, 200);
  g_autoptr (GBytes) half_png = g_bytes_new_from_bytes (png, 0, g_bytes_get_size (png) / 2);
  g_autoptr (GBytes) half_jpeg = g_bytes_new_from_bytes (jpeg, 0, g_bytes_get_size (jpeg) / 2);
  g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr (TestResponse) r1 = NULL;
  g_autoptr (TestResponse) r2 = NULL;
  g_autoptr (TestResponse) r3 = NULL;

  r1 = upload (world->relay, world->token, conversation_id, half_png, "image/png");
  test_assert_http_error (r1, 400, "invalid_image");
  r2 = upload (world->relay, world->token, conversation_id, half_jpeg, "image/jpeg");
  test_assert_http_error (r2, 400, "invalid_image");
  r3 = upload (world->relay, world->token, conversation_id, empty, "image/png");
  test_assert_http_error (r3, 400, "invalid_image");

  assert_upload_files (world->relay, 0);
}

static void
test_too_large_body (void)
{
  g_autoptr (TestWorld) world = test_world_new (NO_UPLOAD_LIMITS, TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = start_conversation (world);
  g_autoptr (GBytes) big = NULL;
  g_autoptr (GBytes) image = make_image ("png", 400, 400);
  g_autoptr (TestResponse) r1 = NULL;
  g_autoptr (TestResponse) r2 = NULL;
  g_autoptr (TestResponse) r3 = NULL;
  guint8 *data = g_malloc0 (10 * 1024 * 1024 + 1);

  /* the default limit, 10 MiB: one byte more is refused from Content-Length */
  memcpy (data, g_bytes_get_data (image, NULL), g_bytes_get_size (image));
  big = g_bytes_new_take (data, 10 * 1024 * 1024 + 1);
  r1 = upload (world->relay, world->token, conversation_id, big, "image/png");
  test_assert_http_error (r1, 413, "too_large");

  /* the site's own limit */
  g_assert_cmpuint (g_bytes_get_size (image), >, 20000);
  patch_settings (world, "{\"upload_max_bytes\":20000}");
  r2 = upload (world->relay, world->token, conversation_id, image, "image/png");
  test_assert_http_error (r2, 413, "too_large");

  /* 0: the site takes no uploads */
  patch_settings (world, "{\"upload_max_bytes\":0}");
  r3 = upload (world->relay, world->token, conversation_id, image, "image/png");
  test_assert_http_error (r3, 413, "too_large");

  assert_upload_files (world->relay, 0);
}

/* A chunked body has no Content-Length to refuse early: it is counted while it arrives. */
static void
test_too_large_chunked (void)
{
  g_autoptr (TestWorld) world = test_world_new (NO_UPLOAD_LIMITS, TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = start_conversation (world);
  g_autoptr (RawConn) conn = NULL;
  g_autofree char *head = NULL;
  g_autoptr (GString) answer = g_string_new (NULL);
  char chunk_head[32];
  guint8 chunk[10000];

  patch_settings (world, "{\"upload_max_bytes\":50000}");
  memset (chunk, 0x89, sizeof chunk);

  conn = raw_connect (world->relay, 0);
  head = g_strdup_printf ("POST /api/v1/uploads?conversation_id=%s HTTP/1.1\r\nHost: x\r\n"
                          "Authorization: Bearer %s\r\nContent-Type: image/png\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n", conversation_id, world->token);
  g_assert_true (raw_send (conn, head, strlen (head)));
  for (int i = 0; i < 8; i++)
    {
      g_snprintf (chunk_head, sizeof chunk_head, "%zx\r\n", sizeof chunk);
      g_assert_true (raw_send (conn, chunk_head, strlen (chunk_head)));
      g_assert_true (raw_send (conn, chunk, sizeof chunk));
      g_assert_true (raw_send (conn, "\r\n", 2));
    }
  g_assert_true (raw_send (conn, "0\r\n\r\n", 5));

  while (strstr (answer->str, "too_large") == NULL)
    {
      guint8 buf[4096];
      gsize got = 0;

      if (raw_recv (conn, buf, sizeof buf, &got, TEST_TIMEOUT_MS) != RAW_DATA)
        break;
      g_string_append_len (answer, (const char *) buf, got);
    }
  g_assert_true (g_str_has_prefix (answer->str, "HTTP/1.1 413"));
  g_assert_nonnull (strstr (answer->str, "too_large"));

  assert_upload_files (world->relay, 0);
}

/* The client goes away in the middle of the body: the temporary file goes with it. */
/* Whether uploads/ holds @images images with their thumbnails and nothing half-written. */
static gboolean
upload_files_settled (TestRelay *relay,
                      guint      images)
{
  g_autofree char *root = g_build_filename (test_relay_data_dir (relay), "uploads", NULL);
  g_autoptr (GDir) level1 = g_dir_open (root, 0, NULL);
  guint found_images = 0, found_thumbs = 0;
  const char *a;

  while (level1 != NULL && (a = g_dir_read_name (level1)) != NULL)
    {
      g_autofree char *path1 = g_build_filename (root, a, NULL);
      g_autoptr (GDir) level2 = strcmp (a, "tmp") != 0 ? g_dir_open (path1, 0, NULL) : NULL;
      const char *b;

      while (level2 != NULL && (b = g_dir_read_name (level2)) != NULL)
        {
          g_autofree char *path2 = g_build_filename (path1, b, NULL);
          g_autoptr (GDir) level3 = g_dir_open (path2, 0, NULL);
          const char *name;

          while (level3 != NULL && (name = g_dir_read_name (level3)) != NULL)
            {
              if (g_str_has_suffix (name, ".thumb"))
                found_thumbs++;
              else if (strchr (name, '.') == NULL)
                found_images++;
              else
                return FALSE;  /* being written */
            }
        }
    }
  return found_images == images && found_thumbs == images;
}

static void
test_disconnect_mid_body (void)
{
  g_autoptr (TestWorld) world = test_world_new (NO_UPLOAD_LIMITS, TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = start_conversation (world);
  g_autofree char *tmp = g_build_filename (test_relay_data_dir (world->relay), "uploads", "tmp", NULL);
  g_autoptr (GBytes) png = make_image ("png", 600, 600);
  g_autoptr (TestResponse) health = NULL;
  g_autofree char *head = NULL;
  RawConn *conn;
  gboolean seen = FALSE, gone = FALSE;

  g_assert_cmpuint (g_bytes_get_size (png), >, 20000);
  conn = raw_connect (world->relay, 0);
  head = g_strdup_printf ("POST /api/v1/uploads?conversation_id=%s HTTP/1.1\r\nHost: x\r\n"
                          "Authorization: Bearer %s\r\nContent-Type: image/png\r\n"
                          "Content-Length: %zu\r\n\r\n", conversation_id, world->token,
                          g_bytes_get_size (png));
  g_assert_true (raw_send (conn, head, strlen (head)));
  g_assert_true (raw_send (conn, g_bytes_get_data (png, NULL), g_bytes_get_size (png) / 2));

  /* the half body is on disk: the check below could fail */
  for (int i = 0; i < 100 && !seen; i++)
    {
      g_autoptr (GDir) dir = g_dir_open (tmp, 0, NULL);

      seen = dir != NULL && g_dir_read_name (dir) != NULL;
      if (!seen)
        test_sleep_ms (20);
    }
  g_assert_true (seen);

  raw_conn_free (conn);
  for (int i = 0; i < 150 && !gone; i++)
    {
      g_autoptr (GDir) dir = g_dir_open (tmp, 0, NULL);

      gone = dir != NULL && g_dir_read_name (dir) == NULL;
      if (!gone)
        test_sleep_ms (20);
    }
  g_assert_true (gone);
  assert_upload_files (world->relay, 0);

  /* gone after the whole body, while the image is being decoded: the relay finishes the job
   * for nobody, stores it like any other, and keeps serving */
  conn = raw_connect (world->relay, 0);
  g_assert_true (raw_send (conn, head, strlen (head)));
  g_assert_true (raw_send (conn, g_bytes_get_data (png, NULL), g_bytes_get_size (png)));
  raw_conn_free (conn);
  /* decoding takes what it takes on a busy machine: wait for the stored files, not a time */
  for (int i = 0; i < 600 && !upload_files_settled (world->relay, 1); i++)
    test_sleep_ms (50);

  health = test_http (world->relay, "GET", "/healthz", NULL, NULL, NULL);
  test_assert_http_status (health, 200);
  assert_upload_files (world->relay, 1);
}

/* request-timeout=1: a body that keeps coming (64 KiB+ per second) may take longer than that;
 * one that trickles is cut off like any stalled request. */
static void
test_slow_body (void)
{
  g_autoptr (TestWorld) world = test_world_new (NO_UPLOAD_LIMITS "[http]\nrequest-timeout=1\n",
                                                TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = start_conversation (world);
  g_autoptr (GdkPixbuf) pixbuf = noise_pixbuf (400, 400);
  g_autoptr (GBytes) png = encode_pixbuf (pixbuf, "png", NULL);
  g_autoptr (RawConn) steady = NULL;
  g_autoptr (RawConn) trickle = NULL;
  g_autoptr (GString) answer = g_string_new (NULL);
  g_autofree char *head = NULL;
  const guint8 *data = g_bytes_get_data (png, NULL);
  gsize len = g_bytes_get_size (png), step = 80 * 1024;
  guint8 buf[4096];
  gsize got = 0;

  g_assert_cmpuint (len, >, 4 * step); /* more than 2.5 s at one step per 0.6 s */
  head = g_strdup_printf ("POST /api/v1/uploads?conversation_id=%s HTTP/1.1\r\nHost: x\r\n"
                          "Authorization: Bearer %s\r\nContent-Type: image/png\r\n"
                          "Content-Length: %zu\r\n\r\n", conversation_id, world->token, len);

  steady = raw_connect (world->relay, 0);
  g_assert_true (raw_send (steady, head, strlen (head)));
  for (gsize pos = 0; pos < len; pos += step)
    {
      g_assert_true (raw_send (steady, data + pos, MIN (step, len - pos)));
      if (pos + step < len)
        test_sleep_ms (600);
    }
  while (strstr (answer->str, "\r\n\r\n") == NULL &&
         raw_recv (steady, buf, sizeof buf, &got, TEST_TIMEOUT_MS) == RAW_DATA)
    g_string_append_len (answer, (const char *) buf, got);
  g_assert_true (g_str_has_prefix (answer->str, "HTTP/1.1 201"));

  trickle = raw_connect (world->relay, 0);
  g_assert_true (raw_send (trickle, head, strlen (head)));
  g_assert_true (raw_send (trickle, data, 1000));
  g_assert_true (raw_wait_disconnected (trickle, 3000, NULL));

  assert_upload_files (world->relay, 1);
}

static void
test_foreign (void)
{
  g_autoptr (TestWorld) world = test_world_new (NO_UPLOAD_LIMITS, TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = start_conversation (world);
  g_autofree char *token_b = NULL, *site_b = NULL, *key_b = NULL;
  g_autoptr (GBytes) png = make_image ("png", 64, 64);
  g_autoptr (JsonObject) mine = NULL;
  g_autoptr (TestResponse) foreign_up = NULL;
  g_autoptr (TestResponse) unknown_up = NULL;
  g_autoptr (TestResponse) missing = NULL;
  g_autoptr (TestResponse) foreign_get = NULL;
  g_autoptr (TestResponse) foreign_thumb = NULL;
  g_autoptr (TestResponse) unknown_get = NULL;
  g_autoptr (TestResponse) anonymous = NULL;
  g_autofree char *foreign_text = NULL, *unknown_text = NULL;
  g_autofree char *thumb_url = NULL;

  test_world_add_tenant (world, "b", &token_b, &site_b, &key_b);

  /* into someone else's conversation: the same 404 as for one that does not exist */
  foreign_up = upload (world->relay, token_b, conversation_id, png, "image/png");
  test_assert_http_error (foreign_up, 404, "not_found");
  unknown_up = upload (world->relay, token_b, "conv_doesnotexist", png, "image/png");
  test_assert_http_error (unknown_up, 404, "not_found");
  /* an agent must say where */
  missing = upload (world->relay, world->token, NULL, png, "image/png");
  test_assert_http_error (missing, 400, "missing_field");

  mine = upload_ok (world->relay, world->token, conversation_id, png);
  foreign_get = download (world->relay, token_b, test_obj_string (mine, "url"));
  test_assert_http_error (foreign_get, 404, "not_found");
  thumb_url = g_strdup (test_obj_string (mine, "thumb_url"));
  foreign_thumb = download (world->relay, token_b, thumb_url);
  test_assert_http_error (foreign_thumb, 404, "not_found");
  unknown_get = download (world->relay, token_b, "/api/v1/uploads/upl_doesnotexist");
  test_assert_http_error (unknown_get, 404, "not_found");
  foreign_text = test_response_text (foreign_get);
  unknown_text = test_response_text (unknown_get);
  g_assert_cmpstr (foreign_text, ==, unknown_text);

  anonymous = download (world->relay, NULL, test_obj_string (mine, "url"));
  test_assert_http_error (anonymous, 401, "unauthorized");

  assert_upload_files (world->relay, 1);
}

static void
test_polyglot (void)
{
  g_autoptr (TestWorld) world = test_world_new (NO_UPLOAD_LIMITS, TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = start_conversation (world);
  g_autoptr (GBytes) png = make_image ("png", 100, 80);
  static const char payload[] = "PK\x03\x04\x14\0\0\0\x08\0evil.html<html><script>alert(1)</script></html>";
  g_autoptr (GByteArray) polyglot = g_byte_array_new ();
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (TestResponse) image = NULL;
  g_autoptr (GdkPixbuf) decoded = NULL;
  static const guint8 iend[8] = { 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82 };
  gsize len = 0;
  const guint8 *data;

  g_byte_array_append (polyglot, g_bytes_get_data (png, NULL), g_bytes_get_size (png));
  g_byte_array_append (polyglot, (const guint8 *) payload, sizeof payload - 1);
  body = g_bytes_new (polyglot->data, polyglot->len);

  answer = upload_ok (world->relay, world->token, conversation_id, body);
  g_assert_cmpstr (test_obj_string (answer, "mime"), ==, "image/png");
  image = download (world->relay, world->token, test_obj_string (answer, "url"));
  test_assert_http_status (image, 200);
  g_assert_false (bytes_contain (image->body, "PK\x03\x04", 4));
  g_assert_false (bytes_contain (image->body, "<script", 7));
  g_assert_false (bytes_contain (image->body, "<html", 5));
  /* it ends where a PNG ends */
  data = g_bytes_get_data (image->body, &len);
  g_assert_cmpint (memcmp (data + len - 8, iend, 8), ==, 0);
  decoded = decode (image->body, "png");
  g_assert_cmpint (gdk_pixbuf_get_width (decoded), ==, 100);
  g_assert_cmpstr (test_response_header (image, "Content-Type"), ==, "image/png");

  assert_upload_files (world->relay, 1);
}

static void
test_thumbnail (void)
{
  g_autoptr (TestWorld) world = test_world_new (NO_UPLOAD_LIMITS, TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = start_conversation (world);
  g_autoptr (GBytes) wide = make_image ("jpeg", 1000, 500);
  g_autoptr (GBytes) tall = make_image ("png", 300, 900);
  g_autoptr (GBytes) small = make_image ("png", 200, 100);
  struct { GBytes *bytes; const char *type; int width, height; } cases[] = {
    { wide, "jpeg", 320, 160 }, { tall, "png", 106, 320 }, { small, "png", 200, 100 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (JsonObject) answer = upload_ok (world->relay, world->token, conversation_id,
                                                 cases[i].bytes);
      g_autoptr (TestResponse) thumb = download (world->relay, world->token,
                                                 test_obj_string (answer, "thumb_url"));
      g_autoptr (GdkPixbuf) decoded = NULL;

      test_assert_http_status (thumb, 200);
      g_assert_cmpstr (test_response_header (thumb, "X-Content-Type-Options"), ==, "nosniff");
      g_assert_cmpstr (test_response_header (thumb, "Content-Security-Policy"), ==,
                       "default-src 'none'; sandbox");
      decoded = decode (thumb->body, cases[i].type);
      g_assert_cmpint (gdk_pixbuf_get_width (decoded), ==, cases[i].width);
      g_assert_cmpint (gdk_pixbuf_get_height (decoded), ==, cases[i].height);
      g_assert_cmpint (MAX (gdk_pixbuf_get_width (decoded), gdk_pixbuf_get_height (decoded)), <=, 320);
    }

  assert_upload_files (world->relay, 3);
}

static void
assert_attachment (JsonObject *message,
                   JsonObject *upload)
{
  JsonObject *attachment = test_obj_object (message, "attachment");

  g_assert_cmpstr (test_obj_string (attachment, "id"), ==, test_obj_string (upload, "id"));
  g_assert_cmpstr (test_obj_string (attachment, "url"), ==, test_obj_string (upload, "url"));
  g_assert_cmpstr (test_obj_string (attachment, "thumb_url"), ==, test_obj_string (upload, "thumb_url"));
  g_assert_cmpstr (test_obj_string (attachment, "mime"), ==, "image/png");
  g_assert_cmpint (test_obj_int (attachment, "width"), ==, test_obj_int (upload, "width"));
  g_assert_cmpint (test_obj_int (attachment, "height"), ==, test_obj_int (upload, "height"));
  g_assert_cmpint (test_obj_int (attachment, "size"), ==, test_obj_int (upload, "size"));
}

static void
test_message_with_attachment (void)
{
  g_autoptr (TestWorld) world = test_world_new (NO_UPLOAD_LIMITS, TEST_WORLD_DEFAULT);
  g_autoptr (GBytes) png = make_image ("png", 500, 250);
  g_autoptr (GBytes) png2 = make_image ("png", 50, 50);
  g_autoptr (JsonObject) pending = NULL;
  g_autoptr (JsonObject) ack = NULL;
  g_autoptr (JsonObject) echo = NULL;
  g_autoptr (JsonObject) at_agent = NULL;
  g_autoptr (JsonObject) from_agent = NULL;
  g_autoptr (JsonObject) agent_upload = NULL;
  g_autoptr (JsonObject) other_error = NULL;
  g_autoptr (JsonObject) other_welcome = NULL;
  g_autoptr (TestWs) other = NULL;
  g_autoptr (TestResponse) by_query = NULL;
  g_autoptr (TestResponse) by_header = NULL;
  g_autoptr (TestResponse) by_agent = NULL;
  g_autoptr (TestResponse) by_other = NULL;
  g_autoptr (TestResponse) listed = NULL;
  g_autoptr (TestResponse) agent_file = NULL;
  g_autofree char *client_id = test_client_id ();
  g_autofree char *client_id2 = test_client_id ();
  g_autofree char *client_id3 = test_client_id ();
  g_autofree char *query_path = NULL;
  g_autofree char *messages_path = NULL;
  const char *conversation_id, *other_token;
  JsonArray *messages;

  /* a new visitor, no conversation yet: the upload belongs to the visitor until the message */
  pending = upload_ok (world->relay, world->visitor_token, NULL, png);
  test_ws_sendf (world->visitor, "{'type':'message','client_id':'%s','attachment_id':'%s'}",
                 client_id, test_obj_string (pending, "id"));
  ack = test_ws_wait_for_match (world->visitor, "ack", "client_id", client_id, TEST_TIMEOUT_MS);
  conversation_id = test_obj_string (ack, "conversation_id");
  echo = test_ws_wait_for_match (world->visitor, "message", "client_id", client_id, TEST_TIMEOUT_MS);
  g_assert_true (test_obj_is_null (echo, "body"));
  assert_attachment (echo, pending);
  at_agent = test_ws_wait_for_match (world->agent, "message", "client_id", client_id, TEST_TIMEOUT_MS);
  assert_attachment (at_agent, pending);

  /* the visitor reads it with the token in the URL (an <img>) or in the header */
  query_path = g_strdup_printf ("%s?visitor_token=%s", test_obj_string (pending, "url"),
                                world->visitor_token);
  by_query = download (world->relay, NULL, query_path);
  test_assert_http_status (by_query, 200);
  by_header = download (world->relay, world->visitor_token, test_obj_string (pending, "thumb_url"));
  test_assert_http_status (by_header, 200);
  by_agent = download (world->relay, world->token, test_obj_string (pending, "url"));
  test_assert_http_status (by_agent, 200);
  g_assert_cmpstr (test_response_header (by_query, "Access-Control-Allow-Origin"), ==, "*");

  /* another visitor of the same site sees nothing of it and cannot send it */
  other = test_ws_widget (world->relay, world->site_key);
  other_welcome = test_visitor_hello (other, NULL, NULL, "https://a.test/");
  other_token = test_obj_string (other_welcome, "visitor_token");
  by_other = download (world->relay, other_token, test_obj_string (pending, "url"));
  test_assert_http_error (by_other, 404, "not_found");
  test_ws_sendf (other, "{'type':'message','client_id':'%s','attachment_id':'%s'}",
                 client_id2, test_obj_string (pending, "id"));
  other_error = test_ws_expect_error (other, "not_found", TEST_TIMEOUT_MS);

  /* the agent sends a picture too; the visitor gets it and may read it */
  agent_upload = upload_ok (world->relay, world->token, conversation_id, png2);
  test_ws_sendf (world->agent, "{'type':'message','conversation_id':'%s','client_id':'%s',"
                 "'body':'here you go','attachment_id':'%s'}", conversation_id, client_id3,
                 test_obj_string (agent_upload, "id"));
  from_agent = test_ws_wait_for_match (world->visitor, "message", "client_id", client_id3, TEST_TIMEOUT_MS);
  g_assert_cmpstr (test_obj_string (from_agent, "body"), ==, "here you go");
  g_assert_cmpint (test_obj_int (from_agent, "attachment.width"), ==, 50);
  agent_file = download (world->relay, world->visitor_token, test_obj_string (agent_upload, "url"));
  test_assert_http_status (agent_file, 200);

  /* and the history has them */
  messages_path = g_strdup_printf ("/api/v1/conversations/%s/messages", conversation_id);
  listed = test_http (world->relay, "GET", messages_path, world->token, NULL, NULL);
  test_assert_http_status (listed, 200);
  messages = test_obj_array (test_response_object (listed), "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 2);
  assert_attachment (json_array_get_object_element (messages, 0), pending);

  assert_upload_files (world->relay, 2);
}

static void
test_rate_limits (void)
{
  g_autoptr (TestWorld) world = test_world_new ("[limits]\nuploads-per-minute=3\n"
                                                "uploads-per-minute-per-site=5\n",
                                                TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = start_conversation (world);
  g_autoptr (GBytes) png = make_image ("png", 32, 32);
  g_autoptr (TestResponse) limited = NULL;
  g_autoptr (TestResponse) site_limited = NULL;

  for (int i = 0; i < 3; i++)
    {
      g_autoptr (JsonObject) answer = upload_ok (world->relay, world->token, conversation_id, png);
    }
  limited = upload (world->relay, world->token, conversation_id, png, "image/png");
  test_assert_http_error (limited, 429, "rate_limited");
  g_assert_nonnull (test_response_header (limited, "Retry-After"));
  g_assert_cmpint (atoi (test_response_header (limited, "Retry-After")), >=, 1);

  /* the visitor has a bucket of their own, but the site's is shared: 3 + 2 = 5 */
  for (int i = 0; i < 2; i++)
    {
      g_autoptr (JsonObject) answer = upload_ok (world->relay, world->visitor_token, NULL, png);
    }
  site_limited = upload (world->relay, world->visitor_token, NULL, png, "image/png");
  test_assert_http_error (site_limited, 429, "rate_limited");

  assert_upload_files (world->relay, 1); /* the same picture every time: stored once */
}

static void
test_cors_preflight (void)
{
  g_autoptr (TestWorld) world = test_world_new (NO_UPLOAD_LIMITS, TEST_WORLD_NO_AGENT);
  const char *headers[] = { "Origin", "https://a.test", "Access-Control-Request-Method", "POST",
                            "Access-Control-Request-Headers", "authorization", NULL };
  g_autoptr (TestResponse) preflight = test_http_bytes (world->relay, "OPTIONS", "/api/v1/uploads",
                                                        NULL, NULL, NULL, headers);
  g_autoptr (TestResponse) wrong = NULL;

  test_assert_http_status (preflight, 204);
  g_assert_cmpstr (test_response_header (preflight, "Access-Control-Allow-Origin"), ==, "*");
  g_assert_nonnull (strstr (test_response_header (preflight, "Access-Control-Allow-Methods"), "POST"));
  g_assert_nonnull (strstr (test_response_header (preflight, "Access-Control-Allow-Headers"), "Authorization"));

  wrong = test_http (world->relay, "DELETE", "/api/v1/uploads", world->token, NULL, NULL);
  test_assert_http_error (wrong, 405, "method_not_allowed");
}

/* Not a pass/fail benchmark: how long a 10 MiB, 12-megapixel JPEG takes and what the relay's
 * memory peaks at, reported in the test log. */
typedef struct {
  int     pid;
  guint64 max_kib;
} RssSampler;

static gboolean
sample_rss (gpointer user_data)
{
  RssSampler *sampler = user_data;

  sampler->max_kib = MAX (sampler->max_kib, raw_rss_kib (sampler->pid));
  return G_SOURCE_CONTINUE;
}

static void
test_measure_big_jpeg (void)
{
  g_autoptr (TestWorld) world = test_world_new (NO_UPLOAD_LIMITS, TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = start_conversation (world);
  g_autoptr (GdkPixbuf) pixbuf = noise_pixbuf (4000, 3000);
  g_autoptr (GBytes) jpeg = encode_pixbuf (pixbuf, "jpeg", "96");
  g_autoptr (JsonObject) answer = NULL;
  int pid = raw_relay_pid (world->relay);
  guint64 before_kib = raw_rss_kib (pid), after_kib;
  RssSampler sampler = { pid, 0 };
  gint64 start, elapsed_us;
  guint source;

  patch_settings (world, "{\"upload_max_bytes\":20000000}");
  /* the peak (VmHWM) of a relay is set by its start (the geo database); sample RSS instead */
  source = g_timeout_add (2, sample_rss, &sampler);
  start = g_get_monotonic_time ();
  answer = upload_ok (world->relay, world->token, conversation_id, jpeg);
  elapsed_us = g_get_monotonic_time () - start;
  g_source_remove (source);
  after_kib = raw_rss_kib (pid);

  g_assert_cmpint (test_obj_int (answer, "width"), ==, 4000);
  /* on stderr: the harness runs each test in a subprocess whose stdout is not shown */
  g_printerr ("# 4000x3000 JPEG of %.1f MiB accepted in %.0f ms (re-encoded: %.1f MiB); relay RSS "
              "%" G_GUINT64_FORMAT " KiB before, at most %" G_GUINT64_FORMAT " KiB during (sampled "
              "every 2 ms), %" G_GUINT64_FORMAT " KiB after\n",
              g_bytes_get_size (jpeg) / 1048576.0, elapsed_us / 1000.0,
              test_obj_int (answer, "size") / 1048576.0, before_kib, sampler.max_kib, after_kib);
  assert_upload_files (world->relay, 1);
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/uploads/jpeg-gps-stripped", test_jpeg_gps_stripped);
  test_harness_add ("/relay/uploads/refused-types", test_refused_types);
  test_harness_add ("/relay/uploads/too-many-pixels", test_too_many_pixels);
  test_harness_add ("/relay/uploads/truncated-and-empty", test_truncated_and_empty);
  test_harness_add ("/relay/uploads/too-large-body", test_too_large_body);
  test_harness_add ("/relay/uploads/too-large-chunked", test_too_large_chunked);
  test_harness_add ("/relay/uploads/disconnect-mid-body", test_disconnect_mid_body);
  test_harness_add ("/relay/uploads/slow-body", test_slow_body);
  test_harness_add ("/relay/uploads/foreign", test_foreign);
  test_harness_add ("/relay/uploads/polyglot", test_polyglot);
  test_harness_add ("/relay/uploads/thumbnail", test_thumbnail);
  test_harness_add ("/relay/uploads/message-with-attachment", test_message_with_attachment);
  test_harness_add ("/relay/uploads/rate-limits", test_rate_limits);
  test_harness_add ("/relay/uploads/cors-preflight", test_cors_preflight);
  test_harness_add ("/relay/uploads/measure-big-jpeg", test_measure_big_jpeg);

  return g_test_run ();
}
