/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-image.h: what an uploaded file is (magic bytes and header dimensions, before any
 * decoding) and its clean re-encoding plus thumbnail */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CONFAB_IMAGE_ERROR (confab_image_error_quark ())

typedef enum {
  CONFAB_IMAGE_ERROR_UNSUPPORTED, /* not PNG, JPEG, WebP or GIF (SVG, HTML, PDF, ...): 415 */
  CONFAB_IMAGE_ERROR_INVALID,     /* one of those, but truncated or corrupt: 400 */
  CONFAB_IMAGE_ERROR_TOO_LARGE,   /* more pixels than allowed: 413 */
  CONFAB_IMAGE_ERROR_FAILED,      /* encoding failed (out of memory, ...): 500 */
} ConfabImageError;

GQuark confab_image_error_quark (void);

typedef enum {
  CONFAB_IMAGE_UNKNOWN,
  CONFAB_IMAGE_PNG,
  CONFAB_IMAGE_JPEG,
  CONFAB_IMAGE_GIF,
  CONFAB_IMAGE_WEBP,
} ConfabImageType;

/* The longest side of a thumbnail. */
#define CONFAB_THUMB_SIZE 320

/* Decides the type by magic bytes alone and reads the dimensions from the headers (PNG IHDR,
 * GIF logical screen, JPEG SOFn, WebP VP8/VP8L/VP8X) without decoding anything.
 * UNSUPPORTED when the bytes are no image of ours, INVALID when they start like one but the
 * header is cut short or impossible (a zero side, no frame header before the scan). */
ConfabImageType confab_image_sniff      (const guint8   *data,
                                         gsize           len,
                                         guint          *out_width,
                                         guint          *out_height,
                                         GError        **error);

const char     *confab_image_type_mime  (ConfabImageType type);

typedef struct {
  GBytes          *image;         /* the re-encoded image: no metadata, nothing after its end */
  GBytes          *thumb;         /* the same, longest side at most CONFAB_THUMB_SIZE */
  ConfabImageType  type;          /* of both: GIF comes out as PNG (its first frame) */
  guint            width;
  guint            height;
  guint            thumb_width;
  guint            thumb_height;
} ConfabImage;

void confab_image_free (ConfabImage *image);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabImage, confab_image_free)

/* Sniffs, refuses more than @max_pixels before decoding, decodes with the decoder of the
 * sniffed type only, applies the EXIF orientation and re-encodes. Blocking and CPU-heavy:
 * run it in a worker thread. */
ConfabImage    *confab_image_process    (const guint8   *data,
                                         gsize           len,
                                         guint64         max_pixels,
                                         GError        **error);

/* An avatar: the image's middle square (as confab_image_process() checks and decodes it),
 * @size × @size pixels, as PNG. Blocking and CPU-heavy. */
GBytes         *confab_image_avatar     (const guint8   *data,
                                         gsize           len,
                                         guint64         max_pixels,
                                         guint           size,
                                         GError        **error);

G_END_DECLS
