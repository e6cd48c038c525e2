/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-files.h: what an uploaded file that is no image is, from its bytes (issue 14: files
 * beyond images), and the site's allow-list of upload kinds */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The kinds a site's "upload_file_types" setting lists; a bit each. */
typedef enum {
  CONFAB_FILE_IMAGE  = 1 << 0,  /* PNG, JPEG, GIF, WebP: re-encoded (confab-image.c) */
  CONFAB_FILE_PDF    = 1 << 1,
  CONFAB_FILE_TEXT   = 1 << 2,  /* UTF-8 text */
  CONFAB_FILE_CSV    = 1 << 3,  /* UTF-8 text named *.csv */
  CONFAB_FILE_OFFICE = 1 << 4,  /* docx, xlsx, pptx, odt, ods, odp */
  CONFAB_FILE_ZIP    = 1 << 5,  /* any other zip */
} ConfabFileKind;

#define CONFAB_FILE_ALL (CONFAB_FILE_IMAGE | CONFAB_FILE_PDF | CONFAB_FILE_TEXT | CONFAB_FILE_CSV | \
                         CONFAB_FILE_OFFICE | CONFAB_FILE_ZIP)

/* "image", "pdf", …; NULL for a value that is not one. */
ConfabFileKind  confab_file_kind_from_string (const char     *name);
const char     *confab_file_kind_to_string   (ConfabFileKind  kind);
/* The site's "upload_file_types" (a JSON array of kind names) as bits; all of them when unset. */
guint           confab_file_kinds_allowed    (const char     *settings_json);

/* The kind and MIME type of @data, from its bytes: PDF by its header, zip-based office
 * documents by the names in the zip (OOXML's directories, ODF's "mimetype" entry), other zips
 * as zip, and valid UTF-8 without control characters as text — as CSV when @name ends in
 * ".csv" — unless it is markup a browser renders (HTML, SVG, XML).
 * 0 (and @error, G_IO_ERROR_NOT_SUPPORTED) when it is none of them. */
ConfabFileKind  confab_file_sniff            (const guint8   *data,
                                              gsize           len,
                                              const char     *name,
                                              const char    **out_mime,
                                              GError        **error);

/* A file name fit to store and to send back in Content-Disposition: the last component of
 * @name, 1–255 bytes of valid UTF-8 without control characters, '/', '\' or '"'; NULL when
 * @name cannot be made one. */
char           *confab_file_clean_name       (const char     *name);

G_END_DECLS
