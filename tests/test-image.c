/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-image.c: magic-byte sniffing, header dimensions and re-encoding (relay/media/confab-image.c) */
#include "confab-image.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <string.h>
#include <webp/encode.h>

static void
put_be32 (guint8  *p,
          guint32  v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

/* Signature, IHDR claiming @width × @height, one bogus IDAT, IEND: a header that passes the
 * chunk walk but whose pixels would be enormous. */
static GByteArray *
png_header (guint32 width,
            guint32 height)
{
  static const guint8 signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
  GByteArray *png = g_byte_array_new ();
  guint8 ihdr[25] = { 0 };
  guint8 idat[16] = { 0, 0, 0, 4, 'I', 'D', 'A', 'T', 1, 2, 3, 4, 0, 0, 0, 0 };
  guint8 iend[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82 };

  put_be32 (ihdr, 13);
  memcpy (ihdr + 4, "IHDR", 4);
  put_be32 (ihdr + 8, width);
  put_be32 (ihdr + 12, height);
  ihdr[16] = 8; /* depth */
  ihdr[17] = 2; /* RGB */
  g_byte_array_append (png, signature, 8);
  g_byte_array_append (png, ihdr, 25);
  g_byte_array_append (png, idat, 16);
  g_byte_array_append (png, iend, 12);
  return png;
}

static GBytes *
draw (const char *type,
      int         width,
      int         height)
{
  g_autoptr (GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autoptr (GError) error = NULL;
  gchar *buffer = NULL;
  gsize size = 0;

  gdk_pixbuf_fill (pixbuf, 0x3366ccff);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, type, &error, NULL));
  g_assert_no_error (error);
  return g_bytes_new_take (buffer, size);
}

static ConfabImageType
sniff (const void *data,
       gsize       len,
       guint      *width,
       guint      *height,
       GError    **error)
{
  return confab_image_sniff (data, len, width, height, error);
}

static void
test_sniff_png (void)
{
  g_autoptr (GByteArray) png = png_header (50000, 40000);
  g_autoptr (GError) error = NULL;
  guint width = 0, height = 0;

  g_assert_cmpint (sniff (png->data, png->len, &width, &height, &error), ==, CONFAB_IMAGE_PNG);
  g_assert_no_error (error);
  g_assert_cmpuint (width, ==, 50000);
  g_assert_cmpuint (height, ==, 40000);

  /* cut before IEND: incomplete */
  g_assert_cmpint (sniff (png->data, png->len - 6, &width, &height, &error), ==, CONFAB_IMAGE_UNKNOWN);
  g_assert_error (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_INVALID);
  g_clear_error (&error);

  /* zero width */
  put_be32 (png->data + 16, 0);
  g_assert_cmpint (sniff (png->data, png->len, &width, &height, &error), ==, CONFAB_IMAGE_UNKNOWN);
  g_assert_error (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_INVALID);
}

static void
test_sniff_jpeg (void)
{
  g_autoptr (GBytes) jpeg = draw ("jpeg", 123, 45);
  g_autoptr (GByteArray) padded = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (jpeg, &len);
  guint8 app1[4 + 60000];
  guint width = 0, height = 0;

  g_assert_cmpint (sniff (data, len, &width, &height, &error), ==, CONFAB_IMAGE_JPEG);
  g_assert_no_error (error);
  g_assert_cmpuint (width, ==, 123);
  g_assert_cmpuint (height, ==, 45);

  /* a big APP1 before the frame header is walked over */
  memset (app1, 'x', sizeof app1);
  app1[0] = 0xFF;
  app1[1] = 0xE1;
  app1[2] = (sizeof app1 - 2) >> 8;
  app1[3] = (sizeof app1 - 2) & 0xFF;
  g_byte_array_append (padded, data, 2);
  g_byte_array_append (padded, app1, sizeof app1);
  g_byte_array_append (padded, data + 2, len - 2);
  g_assert_cmpint (sniff (padded->data, padded->len, &width, &height, &error), ==, CONFAB_IMAGE_JPEG);
  g_assert_cmpuint (width, ==, 123);

  /* without its EOI (cut short) */
  g_assert_cmpint (sniff (data, len - 2, &width, &height, &error), ==, CONFAB_IMAGE_UNKNOWN);
  g_assert_error (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_INVALID);
  g_clear_error (&error);

  /* cut inside the headers */
  g_assert_cmpint (sniff (data, 40, &width, &height, &error), ==, CONFAB_IMAGE_UNKNOWN);
  g_assert_error (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_INVALID);
}

static const guint8 tiny_gif[] = {
  'G', 'I', 'F', '8', '9', 'a', 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xFF, 0xFF, 0xFF,
  0x00, 0x00, 0x00, 0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00,
  0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B,
};

static void
test_sniff_gif_webp (void)
{
  g_autoptr (GError) error = NULL;
  guint8 *webp = NULL;
  guint8 pixels[7 * 5 * 3] = { 0 };
  gsize webp_len;
  guint width = 0, height = 0;
  guint8 vp8x[30] = { 'R', 'I', 'F', 'F', 22, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'X',
                      10, 0, 0, 0, 0, 0, 0, 0, 0x0F, 0x27, 0x00, 0x1F, 0x4E, 0x00 };

  g_assert_cmpint (sniff (tiny_gif, sizeof tiny_gif, &width, &height, &error), ==, CONFAB_IMAGE_GIF);
  g_assert_cmpuint (width, ==, 1);
  g_assert_cmpuint (height, ==, 1);

  webp_len = WebPEncodeLosslessRGB (pixels, 7, 5, 7 * 3, &webp);
  g_assert_cmpuint (webp_len, >, 0);
  g_assert_cmpint (sniff (webp, webp_len, &width, &height, &error), ==, CONFAB_IMAGE_WEBP);
  g_assert_no_error (error);
  g_assert_cmpuint (width, ==, 7);
  g_assert_cmpuint (height, ==, 5);
  WebPFree (webp);

  webp_len = WebPEncodeRGB (pixels, 7, 5, 7 * 3, 80, &webp);
  g_assert_cmpint (sniff (webp, webp_len, &width, &height, &error), ==, CONFAB_IMAGE_WEBP);
  g_assert_cmpuint (width, ==, 7);
  g_assert_cmpuint (height, ==, 5);
  WebPFree (webp);

  /* VP8X canvas 10000 × 20000 */
  g_assert_cmpint (sniff (vp8x, sizeof vp8x, &width, &height, &error), ==, CONFAB_IMAGE_WEBP);
  g_assert_cmpuint (width, ==, 10000);
  g_assert_cmpuint (height, ==, 20000);
}

/* A frame of no size, or outside the screen: gdk-pixbuf's GIF loader answers it with a
 * GdkPixbuf-CRITICAL, so the sniffer refuses it (found by tests/fuzz/fuzz-image). */
/* What the format fixes, gdk-pixbuf's loader does not check: an LZW code size outside 2..8, a
 * graphic control block that is not 4 bytes (fuzz-image found a critical behind these). */
static void
test_sniff_gif_codes (void)
{
  const struct { guint offset; guint8 value; } damage[] = {
    { 37, 0 },     /* LZW minimum code size 0 */
    { 37, 1 },
    { 37, 9 },
    { 21, 0 },     /* a graphic control block of no bytes */
    { 21, 5 },
  };

  g_assert_cmpint (tiny_gif[37], ==, 2);
  g_assert_cmpint (tiny_gif[21], ==, 4);
  for (guint i = 0; i < G_N_ELEMENTS (damage); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GError) process_error = NULL;
      g_autoptr (ConfabImage) image = NULL;
      guint8 gif[sizeof tiny_gif];
      guint width = 0, height = 0;

      memcpy (gif, tiny_gif, sizeof gif);
      gif[damage[i].offset] = damage[i].value;
      g_assert_cmpint (sniff (gif, sizeof gif, &width, &height, &error), ==, CONFAB_IMAGE_UNKNOWN);
      g_assert_error (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_INVALID);
      image = confab_image_process (gif, sizeof gif, 40000000, &process_error);
      g_assert_null (image);
      g_assert_error (process_error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_INVALID);
    }
}

static void
test_sniff_gif_empty_frame (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) process_error = NULL;
  g_autoptr (ConfabImage) image = NULL;
  guint8 gif[sizeof tiny_gif];
  guint width = 0, height = 0;

  memcpy (gif, tiny_gif, sizeof gif);
  g_assert_cmpint (gif[27], ==, 0x2C);   /* the image descriptor, after the GCE extension */
  gif[32] = 0;                           /* frame width 0 */
  gif[33] = 0;

  g_assert_cmpint (sniff (gif, sizeof gif, &width, &height, &error), ==, CONFAB_IMAGE_UNKNOWN);
  g_assert_error (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_INVALID);

  /* the whole way, where the critical came from (fatal in tests) */
  image = confab_image_process (gif, sizeof gif, 40000000, &process_error);
  g_assert_null (image);
  g_assert_error (process_error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_INVALID);

  /* a later frame of no size (an animation) */
  {
    g_autoptr (GByteArray) animation = g_byte_array_new ();

    g_clear_error (&error);
    g_byte_array_append (animation, tiny_gif, sizeof tiny_gif - 1);     /* without the trailer */
    g_byte_array_append (animation, tiny_gif + 19, sizeof tiny_gif - 19); /* GCE, frame, trailer */
    g_assert_cmpint (sniff (animation->data, animation->len, &width, &height, &error), ==, CONFAB_IMAGE_GIF);
    g_assert_no_error (error);
    animation->data[sizeof tiny_gif - 1 + 8 + 7] = 0;             /* the second frame's height */
    g_assert_cmpint (sniff (animation->data, animation->len, &width, &height, &error), ==, CONFAB_IMAGE_UNKNOWN);
    g_assert_error (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_INVALID);
  }

  /* a frame larger than the screen (1 × 1 here): another critical in the loader */
  g_clear_error (&error);
  memcpy (gif, tiny_gif, sizeof gif);
  gif[33] = 0x30;                        /* frame width 0x3001 */
  g_assert_cmpint (sniff (gif, sizeof gif, &width, &height, &error), ==, CONFAB_IMAGE_UNKNOWN);
  g_assert_error (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_INVALID);
  g_clear_error (&error);
  memcpy (gif, tiny_gif, sizeof gif);
  gif[30] = 1;                           /* frame top 1: one row below the screen */
  g_assert_cmpint (sniff (gif, sizeof gif, &width, &height, &error), ==, CONFAB_IMAGE_UNKNOWN);
  g_assert_error (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_INVALID);

  /* no image descriptor at all, only the trailer */
  g_clear_error (&error);
  memcpy (gif, tiny_gif, 27);
  gif[27] = 0x3B;
  g_assert_cmpint (sniff (gif, 28, &width, &height, &error), ==, CONFAB_IMAGE_UNKNOWN);
  g_assert_error (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_INVALID);
}

static void
test_sniff_unsupported (void)
{
  const char *others[] = {
    "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
    "<!DOCTYPE html><html><body>hi</body></html>",
    "%PDF-1.7\n1 0 obj\n",
    "RIFF\x10\0\0\0AVI LIST",
    "BM\x36\0\0\0\0\0\0\0\x36\0\0\0",
    "GIF8",
  };

  for (guint i = 0; i < G_N_ELEMENTS (others); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_cmpint (sniff (others[i], strlen (others[i]), NULL, NULL, &error), ==, CONFAB_IMAGE_UNKNOWN);
      g_assert_error (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_UNSUPPORTED);
    }
}

static void
test_process_too_many_pixels (void)
{
  g_autoptr (GByteArray) png = png_header (50000, 50000);
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabImage) image = NULL;
  gint64 start = g_get_monotonic_time ();

  image = confab_image_process (png->data, png->len, 40000000, &error);
  g_assert_null (image);
  g_assert_error (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_TOO_LARGE);
  /* refused from the header: nothing was allocated or decoded */
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
}

static void
test_process_png_thumb (void)
{
  g_autoptr (GBytes) png = draw ("png", 1000, 500);
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabImage) image = NULL;
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (png, &len);
  guint width = 0, height = 0;

  image = confab_image_process (data, len, 40000000, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->type, ==, CONFAB_IMAGE_PNG);
  g_assert_cmpuint (image->width, ==, 1000);
  g_assert_cmpuint (image->height, ==, 500);
  g_assert_cmpuint (image->thumb_width, ==, 320);
  g_assert_cmpuint (image->thumb_height, ==, 160);

  data = g_bytes_get_data (image->thumb, &len);
  g_assert_cmpint (sniff (data, len, &width, &height, NULL), ==, CONFAB_IMAGE_PNG);
  g_assert_cmpuint (width, ==, 320);
  g_assert_cmpuint (height, ==, 160);
}

static void
test_process_gif_and_webp (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabImage) gif = NULL;
  g_autoptr (ConfabImage) webp_image = NULL;
  guint8 pixels[400 * 300 * 3];
  guint8 *webp = NULL;
  gsize webp_len;

  gif = confab_image_process (tiny_gif, sizeof tiny_gif, 40000000, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gif->type, ==, CONFAB_IMAGE_PNG); /* GIF comes out as PNG */
  g_assert_cmpuint (gif->width, ==, 1);

  for (gsize i = 0; i < sizeof pixels; i++)
    pixels[i] = i * 7;
  webp_len = WebPEncodeRGB (pixels, 400, 300, 400 * 3, 80, &webp);
  webp_image = confab_image_process (webp, webp_len, 40000000, &error);
  WebPFree (webp);
  g_assert_no_error (error);
  g_assert_cmpint (webp_image->type, ==, CONFAB_IMAGE_WEBP);
  g_assert_cmpuint (webp_image->width, ==, 400);
  g_assert_cmpuint (webp_image->thumb_width, ==, 320);
  g_assert_cmpuint (webp_image->thumb_height, ==, 240);
}

static void
test_process_truncated (void)
{
  g_autoptr (GBytes) png = draw ("png", 200, 200);
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabImage) image = NULL;
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (png, &len);

  image = confab_image_process (data, len / 2, 40000000, &error);
  g_assert_null (image);
  g_assert_error (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_INVALID);
  g_clear_error (&error);

  image = confab_image_process (tiny_gif, sizeof tiny_gif - 5, 40000000, &error);
  g_assert_null (image);
  g_assert_error (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_INVALID);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/relay/image/sniff-png", test_sniff_png);
  g_test_add_func ("/relay/image/sniff-jpeg", test_sniff_jpeg);
  g_test_add_func ("/relay/image/sniff-gif-webp", test_sniff_gif_webp);
  g_test_add_func ("/relay/image/sniff-gif-empty-frame", test_sniff_gif_empty_frame);
  g_test_add_func ("/relay/image/sniff-gif-codes", test_sniff_gif_codes);
  g_test_add_func ("/relay/image/sniff-unsupported", test_sniff_unsupported);
  g_test_add_func ("/relay/image/too-many-pixels", test_process_too_many_pixels);
  g_test_add_func ("/relay/image/png-thumbnail", test_process_png_thumb);
  g_test_add_func ("/relay/image/gif-and-webp", test_process_gif_and_webp);
  g_test_add_func ("/relay/image/truncated", test_process_truncated);

  return g_test_run ();
}
