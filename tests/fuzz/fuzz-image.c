/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-image.c: libFuzzer target for the upload sniffer: magic bytes and the PNG, GIF, JPEG
 * and WebP header readers, which see every uploaded byte before any decoder does. */
#define G_LOG_DOMAIN "fuzz-image"

#include "confab-image.h"

#include <stdint.h>
#include <stdlib.h>

/* A critical is a broken precondition: a crash for the fuzzer, with the input saved. */
static void
abort_on_critical (const char     *log_domain,
                   GLogLevelFlags  log_level,
                   const char     *message,
                   gpointer        user_data)
{
  g_printerr ("%s-CRITICAL: %s\n", log_domain ? log_domain : "", message);
  abort ();
}

int LLVMFuzzerInitialize (int *argc, char ***argv);

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_log_set_handler (NULL, G_LOG_LEVEL_CRITICAL, abort_on_critical, NULL);
  g_log_set_handler ("GdkPixbuf", G_LOG_LEVEL_CRITICAL, abort_on_critical, NULL);
  return 0;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  /* a copy of exactly @size bytes, so that ASan sees any read past the end */
  g_autofree guint8 *copy = g_memdup2 (data, size);
  g_autoptr (GError) error = NULL;
  guint width = 0, height = 0;
  ConfabImageType type;

  type = confab_image_sniff (copy, size, &width, &height, &error);
  if (type == CONFAB_IMAGE_UNKNOWN)
    {
      if (error == NULL || error->domain != CONFAB_IMAGE_ERROR)
        abort ();
    }
  else
    {
      if (error != NULL || width == 0 || height == 0 || confab_image_type_mime (type) == NULL)
        abort ();
    }

  /* Small pictures go on through the decoder of the sniffed type and our re-encoding, EXIF
   * orientation and thumbnail code; big ones are refused before decoding, as in the relay. */
  if (type != CONFAB_IMAGE_UNKNOWN)
    {
      g_autoptr (ConfabImage) image = NULL;
      g_autoptr (GError) process_error = NULL;

      image = confab_image_process (copy, size, 64 * 64, &process_error);
      if ((image == NULL) == (process_error == NULL))
        abort ();
      if (image != NULL &&
          (image->width == 0 || image->height == 0 || (guint64) image->width * image->height > 64 * 64 ||
           image->thumb_width > CONFAB_THUMB_SIZE || image->thumb_height > CONFAB_THUMB_SIZE))
        abort ();
    }

  return 0;
}
