/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-image.c: magic-byte sniffing, header dimensions, decoding and clean re-encoding.
 *
 * Decoders. PNG, JPEG and GIF go through gdk-pixbuf, but only ever through
 * gdk_pixbuf_loader_new_with_type() with the one loader of the type the magic bytes said:
 * gdk-pixbuf never gets to sniff, so none of the loaders Debian 12 also ships and that are not
 * safe on hostile input (ANI, BMP, ICNS, ICO, PNM, QTIF, TGA, XBM, XPM, and the SVG one of
 * librsvg) can be reached by an upload. Those three loaders are thin layers over libpng,
 * libjpeg-turbo and gdk-pixbuf's own (rewritten, fuzzed) LZW decoder, and gdk-pixbuf gives us
 * orientation, scaling and the PNG/JPEG savers for free. WebP goes to libwebp directly:
 * Debian's gdk-pixbuf has no WebP loader, and installing webp-pixbuf-loader would add one more
 * sniffing loader to every GdkPixbuf user on the machine.
 *
 * Every file is re-encoded from its pixels: whatever was not pixels (EXIF with GPS, comments,
 * ICC profiles, a ZIP or HTML appended after the end) does not survive. */
#define G_LOG_DOMAIN "confab-image"

#include "confab-image.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <string.h>
#include <webp/decode.h>
#include <webp/encode.h>

G_DEFINE_QUARK (confab-image-error-quark, confab_image_error)

/* Fed to a loader in pieces: an error stops it early, without it chewing through the rest. */
#define LOADER_CHUNK (64 * 1024)
#define JPEG_QUALITY       90
#define JPEG_THUMB_QUALITY 80
#define WEBP_QUALITY       90

void
confab_image_free (ConfabImage *image)
{
  if (image == NULL)
    return;
  g_clear_pointer (&image->image, g_bytes_unref);
  g_clear_pointer (&image->thumb, g_bytes_unref);
  g_free (image);
}

const char *
confab_image_type_mime (ConfabImageType type)
{
  switch (type)
    {
    case CONFAB_IMAGE_PNG:  return "image/png";
    case CONFAB_IMAGE_JPEG: return "image/jpeg";
    case CONFAB_IMAGE_GIF:  return "image/gif";
    case CONFAB_IMAGE_WEBP: return "image/webp";
    case CONFAB_IMAGE_UNKNOWN:
    default:
      return NULL;
    }
}

/* --- sniffing --------------------------------------------------------------------------- */

static guint32
be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static guint
be16 (const guint8 *p)
{
  return ((guint) p[0] << 8) | p[1];
}

static guint
le16 (const guint8 *p)
{
  return p[0] | ((guint) p[1] << 8);
}

static guint32
le24 (const guint8 *p)
{
  return p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16);
}

static guint32
le32 (const guint8 *p)
{
  return le24 (p) | ((guint32) p[3] << 24);
}

static gboolean
invalid (GError     **error,
         const char  *what)
{
  g_set_error (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_INVALID,
               "The image is damaged or incomplete (%s)", what);
  return FALSE;
}

/* IHDR must be the first chunk; then every chunk up to IEND must be there whole, so that a
 * file cut short is refused here rather than decoded into half a picture. */
static gboolean
sniff_png (const guint8  *data,
           gsize          len,
           guint         *width,
           guint         *height,
           GError       **error)
{
  gsize pos = 8;

  if (len < 33 || be32 (data + 8) != 13 || memcmp (data + 12, "IHDR", 4) != 0)
    return invalid (error, "no PNG header");

  *width = be32 (data + 16);
  *height = be32 (data + 20);
  if (*width == 0 || *height == 0 || *width > G_MAXINT32 || *height > G_MAXINT32)
    return invalid (error, "impossible PNG dimensions");

  while (pos + 12 <= len)
    {
      guint32 chunk = be32 (data + pos);

      if (chunk > G_MAXINT32 || chunk > len - pos - 12)
        break;
      if (memcmp (data + pos + 4, "IEND", 4) == 0)
        return TRUE;
      pos += 12 + chunk;
    }

  return invalid (error, "the PNG ends before its IEND chunk");
}

static gboolean
sniff_gif (const guint8  *data,
           gsize          len,
           guint         *width,
           guint         *height,
           GError       **error)
{
  gsize pos = 13;
  guint frames = 0;

  if (len < 13)
    return invalid (error, "no GIF screen descriptor");

  *width = le16 (data + 6);
  *height = le16 (data + 8);
  if (*width == 0 || *height == 0)
    return invalid (error, "impossible GIF dimensions");

  /* Every frame must have a size too, within the logical screen: gdk-pixbuf's GIF loader
   * meets an empty one with a GdkPixbuf-CRITICAL per upload (found by tests/fuzz/fuzz-image).
   * So the blocks are walked: extensions and image data skipped sub-block by sub-block, each
   * image descriptor checked. A file cut short is left to the decoder, which refuses it. */
  if (data[10] & 0x80)
    pos += 3 * ((gsize) 2 << (data[10] & 0x07));
  while (pos < len && data[pos] != 0x3B)
    {
      if (data[pos] == 0x2C)
        {
          guint8 packed;

          if (pos + 10 > len)
            break;
          packed = data[pos + 9];

          if (le16 (data + pos + 5) == 0 || le16 (data + pos + 7) == 0)
            return invalid (error, "impossible GIF frame dimensions");
          /* and one outside the screen trips gdk_pixbuf_copy_area()'s precondition */
          if (le16 (data + pos + 1) + le16 (data + pos + 5) > *width ||
              le16 (data + pos + 3) + le16 (data + pos + 7) > *height)
            return invalid (error, "a GIF frame outside its screen");
          frames++;
          pos += 10;                 /* the descriptor */
          if (packed & 0x80)
            pos += 3 * ((gsize) 2 << (packed & 0x07));
          /* the LZW minimum code size: 2 to 8 by the format; gdk-pixbuf's loader takes 0 and
           * then trips over its own frame (another GdkPixbuf-CRITICAL found by fuzz-image) */
          if (pos < len && (data[pos] < 2 || data[pos] > 8))
            return invalid (error, "an impossible GIF code size");
          pos++;
        }
      else if (data[pos] == 0x21)
        {
          /* a graphic control extension's block is 4 bytes by the format */
          if (pos + 2 < len && data[pos + 1] == 0xF9 && data[pos + 2] != 4)
            return invalid (error, "a damaged GIF graphic control block");
          pos += 2;                  /* introducer, label */
        }
      else
        return invalid (error, "unknown GIF block");

      while (pos < len && data[pos] != 0)
        pos += 1 + data[pos];        /* a sub-block: its size, then that many bytes */
      pos++;                         /* the terminator */
    }
  if (frames == 0 && pos < len)
    return invalid (error, "no image in the GIF");

  return TRUE;
}

/* After the first SOS: entropy-coded data, maybe more segments (progressive JPEGs), and the
 * EOI marker. Without EOI the file was cut short. */
static gboolean
jpeg_reaches_eoi (const guint8 *data,
                  gsize         len,
                  gsize         pos)
{
  while (pos + 1 < len)
    {
      guint8 marker;

      if (data[pos] != 0xFF)
        {
          pos++;
          continue;
        }
      marker = data[pos + 1];
      if (marker == 0x00 || marker == 0xFF || (marker >= 0xD0 && marker <= 0xD7))
        {
          pos += marker == 0xFF ? 1 : 2;
          continue;
        }
      if (marker == 0xD9)
        return TRUE;
      /* DHT, SOS, DRI... of a later scan: skip the segment, go on scanning */
      if (pos + 4 > len)
        return FALSE;
      pos += 2 + be16 (data + pos + 2);
    }

  return FALSE;
}

static gboolean
sniff_jpeg (const guint8  *data,
            gsize          len,
            guint         *width,
            guint         *height,
            GError       **error)
{
  gsize pos = 2;
  gboolean have_frame = FALSE;

  while (pos + 4 <= len)
    {
      guint8 marker;
      guint segment;

      if (data[pos] != 0xFF)
        return invalid (error, "garbage between JPEG segments");
      marker = data[pos + 1];
      if (marker == 0xFF)
        {
          pos++;                 /* fill byte */
          continue;
        }
      if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7))
        {
          pos += 2;              /* no length */
          continue;
        }
      if (marker == 0xD8 || marker == 0xD9)
        return invalid (error, "no JPEG frame before the end");

      segment = be16 (data + pos + 2);
      if (segment < 2 || pos + 2 + segment > len)
        break;

      /* SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC) which share the range */
      if (!have_frame && marker >= 0xC0 && marker <= 0xCF &&
          marker != 0xC4 && marker != 0xC8 && marker != 0xCC)
        {
          if (segment < 8)
            return invalid (error, "short JPEG frame header");
          *height = be16 (data + pos + 5);
          *width = be16 (data + pos + 7);
          if (*width == 0 || *height == 0)
            return invalid (error, "impossible JPEG dimensions");
          have_frame = TRUE;
        }

      if (marker == 0xDA)
        {
          if (!have_frame)
            return invalid (error, "no JPEG frame header before the scan");
          if (!jpeg_reaches_eoi (data, len, pos + 2 + segment))
            return invalid (error, "the JPEG ends before its last scan does");
          return TRUE;
        }

      pos += 2 + segment;
    }

  return invalid (error, "the JPEG ends inside its headers");
}

static gboolean
sniff_webp (const guint8  *data,
            gsize          len,
            guint         *width,
            guint         *height,
            GError       **error)
{
  const guint8 *chunk = data + 12;
  const guint8 *payload = data + 20;

  if (len < 30)
    return invalid (error, "no WebP header");
  if ((guint64) le32 (data + 4) + 8 > len)
    return invalid (error, "the WebP is shorter than its RIFF header says");

  if (memcmp (chunk, "VP8 ", 4) == 0)
    {
      if (payload[3] != 0x9D || payload[4] != 0x01 || payload[5] != 0x2A)
        return invalid (error, "bad VP8 start code");
      *width = le16 (payload + 6) & 0x3FFF;
      *height = le16 (payload + 8) & 0x3FFF;
    }
  else if (memcmp (chunk, "VP8L", 4) == 0)
    {
      guint32 bits = le32 (payload + 1);

      if (payload[0] != 0x2F)
        return invalid (error, "bad VP8L signature");
      *width = (bits & 0x3FFF) + 1;
      *height = ((bits >> 14) & 0x3FFF) + 1;
    }
  else if (memcmp (chunk, "VP8X", 4) == 0)
    {
      *width = le24 (payload + 4) + 1;
      *height = le24 (payload + 7) + 1;
    }
  else
    return invalid (error, "unknown WebP chunk");

  if (*width == 0 || *height == 0)
    return invalid (error, "impossible WebP dimensions");

  return TRUE;
}

ConfabImageType
confab_image_sniff (const guint8  *data,
                    gsize          len,
                    guint         *out_width,
                    guint         *out_height,
                    GError       **error)
{
  static const guint8 png_magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
  ConfabImageType type = CONFAB_IMAGE_UNKNOWN;
  gboolean ok = FALSE;
  guint width = 0, height = 0;

  if (len >= 8 && memcmp (data, png_magic, 8) == 0)
    {
      type = CONFAB_IMAGE_PNG;
      ok = sniff_png (data, len, &width, &height, error);
    }
  else if (len >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
    {
      type = CONFAB_IMAGE_JPEG;
      ok = sniff_jpeg (data, len, &width, &height, error);
    }
  else if (len >= 6 && (memcmp (data, "GIF87a", 6) == 0 || memcmp (data, "GIF89a", 6) == 0))
    {
      type = CONFAB_IMAGE_GIF;
      ok = sniff_gif (data, len, &width, &height, error);
    }
  else if (len >= 12 && memcmp (data, "RIFF", 4) == 0 && memcmp (data + 8, "WEBP", 4) == 0)
    {
      type = CONFAB_IMAGE_WEBP;
      ok = sniff_webp (data, len, &width, &height, error);
    }
  else
    {
      g_set_error_literal (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_UNSUPPORTED,
                           "Only PNG, JPEG, WebP and GIF images can be uploaded");
      return CONFAB_IMAGE_UNKNOWN;
    }

  if (!ok)
    return CONFAB_IMAGE_UNKNOWN;

  if (out_width != NULL)
    *out_width = width;
  if (out_height != NULL)
    *out_height = height;
  return type;
}

/* --- decoding --------------------------------------------------------------------------- */

typedef struct {
  guint    width;
  guint    height;
  gboolean mismatch;
} Expected;

static void
size_prepared (GdkPixbufLoader *loader,
               int              width,
               int              height,
               gpointer         user_data)
{
  Expected *expected = user_data;

  /* The loader must see the dimensions our own parser checked against the pixel limit; a
   * file whose headers say two different things is refused. */
  if ((guint) width != expected->width || (guint) height != expected->height)
    expected->mismatch = TRUE;
}

static GdkPixbuf *
decode_pixbuf (const char    *loader_type,
               const guint8  *data,
               gsize          len,
               guint          width,
               guint          height,
               GError       **error)
{
  g_autoptr (GdkPixbufLoader) loader = NULL;
  g_autoptr (GError) local = NULL;
  Expected expected = { width, height, FALSE };
  gboolean ok = TRUE;
  GdkPixbuf *pixbuf;

  loader = gdk_pixbuf_loader_new_with_type (loader_type, &local);
  if (loader == NULL)
    {
      g_set_error (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_FAILED,
                   "No %s decoder is installed: %s", loader_type, local->message);
      return NULL;
    }
  g_signal_connect (loader, "size-prepared", G_CALLBACK (size_prepared), &expected);

  for (gsize pos = 0; ok && pos < len && !expected.mismatch; pos += LOADER_CHUNK)
    ok = gdk_pixbuf_loader_write (loader, data + pos, MIN (LOADER_CHUNK, len - pos), &local);

  /* close even after a failure: an open loader warns when finalised */
  if (!gdk_pixbuf_loader_close (loader, ok ? &local : NULL))
    ok = FALSE;

  if (expected.mismatch)
    {
      invalid (error, "the decoder found other dimensions than the header");
      return NULL;
    }
  pixbuf = ok ? gdk_pixbuf_loader_get_pixbuf (loader) : NULL;
  if (pixbuf == NULL)
    {
      invalid (error, local ? local->message : "it decodes to nothing");
      return NULL;
    }

  return g_object_ref (pixbuf);
}

static void
free_webp_pixels (guchar   *pixels,
                  gpointer  user_data)
{
  WebPFree (pixels);
}

static GdkPixbuf *
decode_webp (const guint8  *data,
             gsize          len,
             GError       **error)
{
  WebPBitstreamFeatures features;
  guint8 *pixels;
  int width = 0, height = 0;

  if (WebPGetFeatures (data, len, &features) != VP8_STATUS_OK)
    {
      invalid (error, "unreadable WebP header");
      return NULL;
    }
  if (features.has_animation)
    {
      g_set_error_literal (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_UNSUPPORTED,
                           "Animated WebP images are not supported; send a still image");
      return NULL;
    }

  pixels = features.has_alpha ? WebPDecodeRGBA (data, len, &width, &height)
                              : WebPDecodeRGB (data, len, &width, &height);
  if (pixels == NULL)
    {
      invalid (error, "the WebP data does not decode");
      return NULL;
    }

  return gdk_pixbuf_new_from_data (pixels, GDK_COLORSPACE_RGB, features.has_alpha, 8,
                                   width, height, width * (features.has_alpha ? 4 : 3),
                                   free_webp_pixels, NULL);
}

/* --- encoding --------------------------------------------------------------------------- */

static void
free_webp_output (gpointer data)
{
  WebPFree (data);
}

static GBytes *
encode (GdkPixbuf        *pixbuf,
        ConfabImageType   type,
        gboolean          thumb,
        GError          **error)
{
  g_autoptr (GError) local = NULL;
  gchar *buffer = NULL;
  gsize size = 0;
  gboolean ok = FALSE;

  switch (type)
    {
    case CONFAB_IMAGE_JPEG:
      ok = gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, "jpeg", &local, "quality",
                                      thumb ? G_STRINGIFY (JPEG_THUMB_QUALITY)
                                            : G_STRINGIFY (JPEG_QUALITY), NULL);
      break;

    case CONFAB_IMAGE_PNG:
      ok = gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, "png", &local, NULL);
      break;

    case CONFAB_IMAGE_WEBP:
      {
        const guint8 *pixels = gdk_pixbuf_read_pixels (pixbuf);
        int w = gdk_pixbuf_get_width (pixbuf), h = gdk_pixbuf_get_height (pixbuf);
        int stride = gdk_pixbuf_get_rowstride (pixbuf);
        guint8 *out = NULL;

        size = gdk_pixbuf_get_has_alpha (pixbuf)
               ? WebPEncodeRGBA (pixels, w, h, stride, WEBP_QUALITY, &out)
               : WebPEncodeRGB (pixels, w, h, stride, WEBP_QUALITY, &out);
        if (size == 0)
          {
            WebPFree (out);
            break;
          }
        return g_bytes_new_with_free_func (out, size, free_webp_output, out);
      }

    case CONFAB_IMAGE_GIF:
    case CONFAB_IMAGE_UNKNOWN:
    default:
      g_assert_not_reached ();
    }

  if (!ok)
    {
      g_set_error (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_FAILED,
                   "Cannot encode the image: %s", local ? local->message : "the encoder failed");
      return NULL;
    }

  return g_bytes_new_take (buffer, size);
}

/* Sniffs, refuses more than @max_pixels, decodes with the sniffed type's decoder only and
 * turns the pixels as the EXIF orientation says. */
static GdkPixbuf *
decode_checked (const guint8     *data,
                gsize             len,
                guint64           max_pixels,
                ConfabImageType  *out_type,
                GError          **error)
{
  g_autoptr (GdkPixbuf) decoded = NULL;
  ConfabImageType type;
  guint width = 0, height = 0;

  type = confab_image_sniff (data, len, &width, &height, error);
  if (type == CONFAB_IMAGE_UNKNOWN)
    return NULL;

  if ((guint64) width * height > max_pixels)
    {
      g_set_error (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_TOO_LARGE,
                   "The image is %u × %u pixels; at most %" G_GUINT64_FORMAT
                   " megapixels are accepted", width, height, max_pixels / 1000000);
      return NULL;
    }

  switch (type)
    {
    case CONFAB_IMAGE_PNG:
      decoded = decode_pixbuf ("png", data, len, width, height, error);
      break;
    case CONFAB_IMAGE_JPEG:
      decoded = decode_pixbuf ("jpeg", data, len, width, height, error);
      break;
    case CONFAB_IMAGE_GIF:
      decoded = decode_pixbuf ("gif", data, len, width, height, error);
      break;
    case CONFAB_IMAGE_WEBP:
      decoded = decode_webp (data, len, error);
      break;
    case CONFAB_IMAGE_UNKNOWN:
    default:
      g_assert_not_reached ();
    }
  if (decoded == NULL)
    return NULL;

  *out_type = type;
  /* The EXIF orientation goes away with the EXIF block: turn the pixels instead, or phone
   * photos would arrive sideways. */
  return gdk_pixbuf_apply_embedded_orientation (decoded);
}

ConfabImage *
confab_image_process (const guint8  *data,
                      gsize          len,
                      guint64        max_pixels,
                      GError       **error)
{
  g_autoptr (ConfabImage) image = g_new0 (ConfabImage, 1);
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  g_autoptr (GdkPixbuf) thumb = NULL;
  ConfabImageType type = CONFAB_IMAGE_UNKNOWN;

  if ((pixbuf = decode_checked (data, len, max_pixels, &type, error)) == NULL)
    return NULL;

  /* GIF has no encoder here; its first frame is kept, as PNG, which loses nothing of it. */
  image->type = type == CONFAB_IMAGE_GIF ? CONFAB_IMAGE_PNG : type;
  image->width = gdk_pixbuf_get_width (pixbuf);
  image->height = gdk_pixbuf_get_height (pixbuf);

  if (MAX (image->width, image->height) > CONFAB_THUMB_SIZE)
    {
      if (image->width >= image->height)
        {
          image->thumb_width = CONFAB_THUMB_SIZE;
          image->thumb_height = MAX (1, (guint) ((guint64) image->height * CONFAB_THUMB_SIZE / image->width));
        }
      else
        {
          image->thumb_height = CONFAB_THUMB_SIZE;
          image->thumb_width = MAX (1, (guint) ((guint64) image->width * CONFAB_THUMB_SIZE / image->height));
        }
      thumb = gdk_pixbuf_scale_simple (pixbuf, image->thumb_width, image->thumb_height,
                                       GDK_INTERP_BILINEAR);
      if (thumb == NULL)
        {
          g_set_error_literal (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_FAILED,
                               "Not enough memory for the thumbnail");
          return NULL;
        }
    }
  else
    {
      image->thumb_width = image->width;
      image->thumb_height = image->height;
      thumb = g_object_ref (pixbuf);
    }

  if ((image->image = encode (pixbuf, image->type, FALSE, error)) == NULL ||
      (image->thumb = encode (thumb, image->type, TRUE, error)) == NULL)
    return NULL;

  return g_steal_pointer (&image);
}

GBytes *
confab_image_avatar (const guint8  *data,
                     gsize          len,
                     guint64        max_pixels,
                     guint          size,
                     GError       **error)
{
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  g_autoptr (GdkPixbuf) square = NULL;
  g_autoptr (GdkPixbuf) scaled = NULL;
  ConfabImageType type = CONFAB_IMAGE_UNKNOWN;
  int width, height, side;

  if ((pixbuf = decode_checked (data, len, max_pixels, &type, error)) == NULL)
    return NULL;

  /* the middle square: a face is rarely at the edge of a photo */
  width = gdk_pixbuf_get_width (pixbuf);
  height = gdk_pixbuf_get_height (pixbuf);
  side = MIN (width, height);
  square = gdk_pixbuf_new_subpixbuf (pixbuf, (width - side) / 2, (height - side) / 2, side, side);
  scaled = gdk_pixbuf_scale_simple (square, size, size, GDK_INTERP_BILINEAR);
  if (scaled == NULL)
    {
      g_set_error_literal (error, CONFAB_IMAGE_ERROR, CONFAB_IMAGE_ERROR_FAILED,
                           "Not enough memory for the avatar");
      return NULL;
    }
  return encode (scaled, CONFAB_IMAGE_PNG, TRUE, error);
}
