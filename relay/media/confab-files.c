/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-files.c: what an uploaded file that is no image is, from its bytes (see confab-files.h).
 *
 * Only the bytes decide: a name says nothing a browser or the app should trust, except which
 * kind of text a text is (CSV). The relay never opens what it accepts; it stores the bytes and
 * serves them as downloads only (confab-uploads.c), so sniffing needs to be right about the
 * kind, not to validate documents. */
#define G_LOG_DOMAIN "confab-uploads"

#include "confab-files.h"
#include "confab-json.h"

#include <gio/gio.h>
#include <string.h>

#define MAX_NAME_BYTES   255
#define MAX_ZIP_ENTRIES  10000

static const struct {
  ConfabFileKind kind;
  const char    *name;
} kind_names[] = {
  { CONFAB_FILE_IMAGE, "image" },
  { CONFAB_FILE_PDF, "pdf" },
  { CONFAB_FILE_TEXT, "text" },
  { CONFAB_FILE_CSV, "csv" },
  { CONFAB_FILE_OFFICE, "office" },
  { CONFAB_FILE_ZIP, "zip" },
};

ConfabFileKind
confab_file_kind_from_string (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (kind_names); i++)
    if (g_strcmp0 (kind_names[i].name, name) == 0)
      return kind_names[i].kind;
  return 0;
}

const char *
confab_file_kind_to_string (ConfabFileKind kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (kind_names); i++)
    if (kind_names[i].kind == kind)
      return kind_names[i].name;
  return NULL;
}

guint
confab_file_kinds_allowed (const char *settings_json)
{
  g_autoptr (JsonObject) settings = NULL;
  JsonNode *node;
  JsonArray *array;
  guint kinds = 0;

  if (settings_json == NULL ||
      (settings = confab_json_parse_object (settings_json, strlen (settings_json), G_MAXSIZE, 64,
                                            NULL)) == NULL ||
      (node = json_object_get_member (settings, "upload_file_types")) == NULL ||
      !JSON_NODE_HOLDS_ARRAY (node))
    return CONFAB_FILE_ALL;

  /* validated when it was written (confab-api.c); an unknown name adds nothing */
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
        kinds |= confab_file_kind_from_string (json_node_get_string (element));
    }
  return kinds;
}

static guint
le16 (const guint8 *p)
{
  return p[0] | (p[1] << 8);
}

static guint32
le32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) | ((guint32) p[3] << 24);
}

/* The zip's end of central directory record: searched from the end, over at most the longest
 * comment a zip may have. */
static const guint8 *
find_eocd (const guint8 *data,
           gsize         len)
{
  gsize lowest;

  if (len < 22)
    return NULL;
  lowest = len > 22 + 65535 ? len - 22 - 65535 : 0;
  for (gsize i = len - 22 + 1; i-- > lowest;)
    if (memcmp (data + i, "PK\x05\x06", 4) == 0)
      return data + i;
  return NULL;
}

/* ODF's first entry "mimetype", stored uncompressed, names the document's type. */
static const char *
odf_mime (const guint8 *data,
          gsize         len,
          const guint8 *entry)
{
  static const char * const types[] = {
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
  };
  guint32 size = le32 (entry + 24);
  guint32 offset = le32 (entry + 42);
  const guint8 *local;
  gsize start;

  if (le16 (entry + 10) != 0 || size == 0 || size > 100 || (gsize) offset + 30 > len)
    return NULL;
  local = data + offset;
  if (memcmp (local, "PK\x03\x04", 4) != 0)
    return NULL;
  start = (gsize) offset + 30 + le16 (local + 26) + le16 (local + 28);
  if (start + size > len)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (strlen (types[i]) == size && memcmp (data + start, types[i], size) == 0)
      return types[i];
  return NULL;
}

/* A zip: an office document by what is inside, else a zip. NULL when the central directory
 * cannot be read (not a whole zip). */
static const char *
zip_mime (const guint8 *data,
          gsize         len,
          gboolean     *out_office)
{
  const guint8 *eocd = find_eocd (data, len);
  guint entries;
  guint32 offset;
  gboolean content_types = FALSE, word = FALSE, sheet = FALSE, slides = FALSE;
  const char *odf = NULL;

  *out_office = FALSE;
  if (eocd == NULL)
    return NULL;
  entries = le16 (eocd + 10);
  offset = le32 (eocd + 16);
  if (entries > MAX_ZIP_ENTRIES || offset > len)
    return NULL;

  for (guint i = 0; i < entries; i++)
    {
      const guint8 *entry = data + offset;
      guint name_len, extra_len, comment_len;
      const char *name;

      if ((gsize) offset + 46 > len || memcmp (entry, "PK\x01\x02", 4) != 0)
        return NULL;
      name_len = le16 (entry + 28);
      extra_len = le16 (entry + 30);
      comment_len = le16 (entry + 32);
      if ((gsize) offset + 46 + name_len > len)
        return NULL;
      name = (const char *) entry + 46;

      if (name_len == 19 && memcmp (name, "[Content_Types].xml", 19) == 0)
        content_types = TRUE;
      else if (name_len > 5 && memcmp (name, "word/", 5) == 0)
        word = TRUE;
      else if (name_len > 3 && memcmp (name, "xl/", 3) == 0)
        sheet = TRUE;
      else if (name_len > 4 && memcmp (name, "ppt/", 4) == 0)
        slides = TRUE;
      else if (name_len == 8 && memcmp (name, "mimetype", 8) == 0 && i == 0)
        odf = odf_mime (data, len, entry);

      offset += 46 + name_len + extra_len + comment_len;
    }

  if (odf != NULL)
    {
      *out_office = TRUE;
      return odf;
    }
  if (content_types && word + sheet + slides == 1)
    {
      *out_office = TRUE;
      if (word)
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
      if (sheet)
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
      return "application/vnd.openxmlformats-officedocument.presentationml.presentation";
    }
  return "application/zip";
}

/* UTF-8 without NUL and without control characters other than white space: text a person
 * wrote, not binary data that happens to decode. */
static gboolean
is_text (const guint8 *data,
         gsize         len)
{
  if (len == 0 || !g_utf8_validate ((const char *) data, len, NULL))
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (data[i] < 0x20 && data[i] != '\t' && data[i] != '\n' && data[i] != '\r' && data[i] != '\f')
      return FALSE;
  return TRUE;
}

/* Markup a browser would render (HTML, SVG, any XML): no plain text, even served as a download,
 * since whoever opens it downloaded opens it in a browser. */
static gboolean
is_markup (const guint8 *data,
           gsize         len)
{
  static const char * const starts[] = { "<!doctype", "<html", "<svg", "<?xml", "<head", "<body",
                                         "<script", "<iframe", "<!--" };
  gsize i = 0;

  /* after a byte order mark and white space */
  if (len >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0)
    i = 3;
  while (i < len && g_ascii_isspace (data[i]))
    i++;
  for (guint k = 0; k < G_N_ELEMENTS (starts); k++)
    if (len - i >= strlen (starts[k]) && g_ascii_strncasecmp ((const char *) data + i, starts[k],
                                                              strlen (starts[k])) == 0)
      return TRUE;
  return FALSE;
}

ConfabFileKind
confab_file_sniff (const guint8  *data,
                   gsize          len,
                   const char    *name,
                   const char   **out_mime,
                   GError       **error)
{
  *out_mime = NULL;

  if (len >= 5 && memcmp (data, "%PDF-", 5) == 0)
    {
      *out_mime = "application/pdf";
      return CONFAB_FILE_PDF;
    }

  if (len >= 4 && (memcmp (data, "PK\x03\x04", 4) == 0 || memcmp (data, "PK\x05\x06", 4) == 0))
    {
      gboolean office = FALSE;

      if ((*out_mime = zip_mime (data, len, &office)) != NULL)
        return office ? CONFAB_FILE_OFFICE : CONFAB_FILE_ZIP;
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "The file starts like a zip but is not a whole one");
      return 0;
    }

  if (is_text (data, len) && !is_markup (data, len))
    {
      g_autofree char *lower = name != NULL ? g_ascii_strdown (name, -1) : NULL;

      if (lower != NULL && g_str_has_suffix (lower, ".csv"))
        {
          *out_mime = "text/csv; charset=utf-8";
          return CONFAB_FILE_CSV;
        }
      *out_mime = "text/plain; charset=utf-8";
      return CONFAB_FILE_TEXT;
    }

  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       "Only images, PDF, plain text, CSV, office documents and zip files are "
                       "accepted");
  return 0;
}

char *
confab_file_clean_name (const char *name)
{
  const char *base;
  g_autoptr (GString) clean = NULL;

  if (name == NULL || !g_utf8_validate (name, -1, NULL))
    return NULL;
  base = strrchr (name, '/');
  base = base != NULL ? base + 1 : name;
  if (strrchr (base, '\\') != NULL)
    base = strrchr (base, '\\') + 1;

  clean = g_string_new (NULL);
  for (const char *p = base; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || c == '"' || c == 0x2028 || c == 0x2029)
        continue;
      g_string_append_unichar (clean, c);
    }
  g_strstrip (clean->str);
  clean->len = strlen (clean->str);
  if (clean->len == 0 || clean->len > MAX_NAME_BYTES || strcmp (clean->str, ".") == 0 ||
      strcmp (clean->str, "..") == 0)
    return NULL;
  return g_string_free (g_steal_pointer (&clean), FALSE);
}
