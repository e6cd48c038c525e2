/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-relay-files.c: files beyond images (issue 14) — the kind sniffed from the bytes (never
 * the name alone: office documents by what is in their zip, text by UTF-8), the site's
 * allow-list, the upload object's kind and name, and files served only as downloads */

#include "relay-harness.h"

#include <string.h>

/* every test here uploads more than the default 10 a minute */
#define MANY_UPLOADS "[limits]\nuploads-per-minute=1000\nuploads-per-minute-per-site=1000\n"

static const char *pdf_bytes = "%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

static guint32
crc32_of (const guint8 *data,
          gsize         len)
{
  guint32 crc = 0xFFFFFFFF;

  for (gsize i = 0; i < len; i++)
    {
      crc ^= data[i];
      for (int k = 0; k < 8; k++)
        crc = (crc >> 1) ^ (0xEDB88320 & -(crc & 1));
    }
  return ~crc;
}

static void
put16 (GByteArray *out,
       guint       value)
{
  guint8 b[2] = { value & 0xFF, (value >> 8) & 0xFF };
  g_byte_array_append (out, b, 2);
}

static void
put32 (GByteArray *out,
       guint32     value)
{
  guint8 b[4] = { value & 0xFF, (value >> 8) & 0xFF, (value >> 16) & 0xFF, (value >> 24) & 0xFF };
  g_byte_array_append (out, b, 4);
}

/* A zip of stored (uncompressed) entries: name, content, name, content, …, NULL. */
static GBytes *
make_zip (const char *first_name,
          ...)
{
  GByteArray *out = g_byte_array_new ();
  g_autoptr(GByteArray) directory = g_byte_array_new ();
  guint entries = 0;
  guint32 directory_offset;
  va_list args;

  va_start (args, first_name);
  for (const char *name = first_name; name != NULL; name = va_arg (args, const char *))
    {
      const char *content = va_arg (args, const char *);
      guint32 crc = crc32_of ((const guint8 *) content, strlen (content));
      guint32 offset = out->len;

      put32 (out, 0x04034b50); put16 (out, 10); put16 (out, 0); put16 (out, 0);
      put16 (out, 0); put16 (out, 0); put32 (out, crc);
      put32 (out, strlen (content)); put32 (out, strlen (content));
      put16 (out, strlen (name)); put16 (out, 0);
      g_byte_array_append (out, (const guint8 *) name, strlen (name));
      g_byte_array_append (out, (const guint8 *) content, strlen (content));

      put32 (directory, 0x02014b50); put16 (directory, 20); put16 (directory, 10);
      put16 (directory, 0); put16 (directory, 0); put16 (directory, 0); put16 (directory, 0);
      put32 (directory, crc); put32 (directory, strlen (content)); put32 (directory, strlen (content));
      put16 (directory, strlen (name)); put16 (directory, 0); put16 (directory, 0);
      put16 (directory, 0); put16 (directory, 0); put32 (directory, 0); put32 (directory, offset);
      g_byte_array_append (directory, (const guint8 *) name, strlen (name));
      entries++;
    }
  va_end (args);

  directory_offset = out->len;
  g_byte_array_append (out, directory->data, directory->len);
  put32 (out, 0x06054b50); put16 (out, 0); put16 (out, 0); put16 (out, entries);
  put16 (out, entries); put32 (out, directory->len); put32 (out, directory_offset); put16 (out, 0);
  return g_byte_array_free_to_bytes (out);
}

static TestResponse *
upload (TestWorld  *world,
        const char *token,
        const char *conversation_id,
        const char *name,
        GBytes     *body)
{
  g_autoptr(GString) path = g_string_new ("/api/v1/uploads?");
  g_autofree char *escaped = name ? g_uri_escape_string (name, NULL, FALSE) : NULL;

  if (conversation_id != NULL)
    g_string_append_printf (path, "conversation_id=%s&", conversation_id);
  if (escaped != NULL)
    g_string_append_printf (path, "name=%s", escaped);
  return test_http_bytes (world->relay, "POST", path->str, token, body, "application/octet-stream", NULL);
}

static TestResponse *
upload_text (TestWorld  *world,
             const char *conversation_id,
             const char *name,
             const char *text)
{
  g_autoptr(GBytes) body = g_bytes_new (text, strlen (text));

  return upload (world, world->token, conversation_id, name, body);
}

/* Asserts a 201 file of @mime and returns its upload object. */
static JsonObject *
expect_file (TestResponse *response,
             const char   *mime,
             const char   *name)
{
  JsonObject *object;

  test_assert_http_status (response, 201);
  object = test_response_object (response);
  g_assert_cmpstr (test_obj_string (object, "kind"), ==, "file");
  g_assert_cmpstr (test_obj_string (object, "mime"), ==, mime);
  g_assert_cmpstr (test_obj_string (object, "name"), ==, name);
  g_assert_false (test_obj_has (object, "thumb_url"));
  g_assert_false (test_obj_has (object, "width"));
  g_assert_false (test_obj_has (object, "height"));
  return object;
}

static void
test_files_sniffed (void)
{
  g_autoptr(TestWorld) world = test_world_new (MANY_UPLOADS, TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = NULL;
  g_autoptr(GBytes) docx = make_zip ("[Content_Types].xml", "<Types/>", "word/document.xml", "<w/>", NULL);
  g_autoptr(GBytes) xlsx = make_zip ("[Content_Types].xml", "<Types/>", "xl/workbook.xml", "<x/>", NULL);
  g_autoptr(GBytes) odt = make_zip ("mimetype", "application/vnd.oasis.opendocument.text",
                                    "content.xml", "<office/>", NULL);
  g_autoptr(GBytes) zip = make_zip ("a.txt", "hello", NULL);
  g_autoptr(GBytes) fake_docx = make_zip ("word/document.xml", "<w/>", NULL);
  static const guint8 binary[] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0xff, 0xfe };
  g_autoptr(GBytes) elf = g_bytes_new_static (binary, sizeof binary);
  g_autoptr(GBytes) broken_zip = g_bytes_new_static ("PK\x03\x04 not really", 16);
  g_autoptr(TestResponse) pdf = NULL, named_pdf = NULL, csv = NULL, text_csv = NULL;
  g_autoptr(TestResponse) docx_r = NULL, xlsx_r = NULL, odt_r = NULL, zip_r = NULL, fake_r = NULL;
  g_autoptr(TestResponse) elf_r = NULL, broken_r = NULL, nameless = NULL;
  JsonObject *object;

  test_ws_ignore (world->visitor, "agents_online", NULL);
  test_visitor_say (world->visitor, "Here is my invoice", &conversation_id);

  pdf = upload_text (world, conversation_id, "Invoice 42.pdf", pdf_bytes);
  object = expect_file (pdf, "application/pdf", "Invoice 42.pdf");
  g_assert_cmpint (test_obj_int (object, "size"), ==, strlen (pdf_bytes));
  g_assert_true (g_str_has_prefix (test_obj_string (object, "url"), "/api/v1/uploads/upl_"));

  /* the name says PDF, the bytes say text: text it is */
  named_pdf = upload_text (world, conversation_id, "evil.pdf", "just some words\n");
  expect_file (named_pdf, "text/plain; charset=utf-8", "evil.pdf");
  /* text named .csv is CSV; a CSV name on binary bytes is nothing */
  csv = upload_text (world, conversation_id, "data.CSV", "a,b\n1,2\n");
  expect_file (csv, "text/csv; charset=utf-8", "data.CSV");
  text_csv = upload (world, world->token, conversation_id, "data.csv", elf);
  test_assert_http_error (text_csv, 415, "unsupported_media_type");

  docx_r = upload (world, world->token, conversation_id, "letter.docx", docx);
  expect_file (docx_r, "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "letter.docx");
  /* named .zip, but the zip holds a spreadsheet */
  xlsx_r = upload (world, world->token, conversation_id, "sheet.zip", xlsx);
  expect_file (xlsx_r, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "sheet.zip");
  odt_r = upload (world, world->token, conversation_id, "doc.odt", odt);
  expect_file (odt_r, "application/vnd.oasis.opendocument.text", "doc.odt");
  zip_r = upload (world, world->token, conversation_id, "archive.zip", zip);
  expect_file (zip_r, "application/zip", "archive.zip");
  /* named .docx, but no [Content_Types].xml: a zip */
  fake_r = upload (world, world->token, conversation_id, "fake.docx", fake_docx);
  expect_file (fake_r, "application/zip", "fake.docx");

  elf_r = upload (world, world->token, conversation_id, "program.txt", elf);
  test_assert_http_error (elf_r, 415, "unsupported_media_type");
  broken_r = upload (world, world->token, conversation_id, "broken.zip", broken_zip);
  test_assert_http_error (broken_r, 415, "unsupported_media_type");

  /* without a name, one from the type */
  nameless = upload_text (world, conversation_id, NULL, pdf_bytes);
  expect_file (nameless, "application/pdf", "file.pdf");

  /* names: only the last component, and something must be left */
  {
    g_autoptr(TestResponse) path_name = upload_text (world, conversation_id, "../../etc/passwd", "x\n");
    g_autoptr(TestResponse) empty = upload_text (world, conversation_id, "../..", "x\n");
    g_autofree char *long_name = g_strnfill (256, 'n');
    g_autoptr(TestResponse) too_long = upload_text (world, conversation_id, long_name, "x\n");

    expect_file (path_name, "text/plain; charset=utf-8", "passwd");
    test_assert_http_error (empty, 400, "invalid_value");
    test_assert_http_error (too_long, 400, "invalid_value");
  }
}

static void
test_files_served_as_downloads (void)
{
  g_autoptr(TestWorld) world = test_world_new (MANY_UPLOADS, TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = NULL, *path = NULL, *thumb = NULL, *as_visitor = NULL;
  g_autoptr(TestResponse) posted = NULL, got = NULL, thumb_r = NULL, visitor_r = NULL;
  g_autoptr(GBytes) body = g_bytes_new_static ("<html><script>alert(1)</script></html>", 38);
  g_autoptr(TestResponse) html = NULL, html_got = NULL;
  const char *url;

  test_ws_ignore (world->visitor, "agents_online", NULL);
  test_ws_ignore (world->agent, "visitor", "presence", "typing_preview", "conversation", NULL);
  test_visitor_say (world->visitor, "Hello", &conversation_id);

  /* the visitor sends a PDF in a message: the agent's message carries the file */
  {
    g_autoptr(GBytes) pdf = g_bytes_new_static (pdf_bytes, strlen (pdf_bytes));
    g_autoptr(JsonObject) message = NULL;

    posted = upload (world, world->visitor_token, NULL, "Rechnung März.pdf", pdf);
    expect_file (posted, "application/pdf", "Rechnung März.pdf");
    test_ws_sendf (world->visitor, "{'type':'message','client_id':'f-1','attachment_id':'%s'}",
                   test_obj_string (test_response_object (posted), "id"));
    message = test_ws_wait_for_match (world->agent, "message", "client_id", "f-1", TEST_TIMEOUT_MS);
    g_assert_cmpstr (test_obj_string (message, "attachment.kind"), ==, "file");
    g_assert_cmpstr (test_obj_string (message, "attachment.name"), ==, "Rechnung März.pdf");
    g_assert_false (test_obj_has (message, "attachment.thumb_url"));
  }

  url = test_obj_string (test_response_object (posted), "url");
  got = test_http (world->relay, "GET", url, world->token, NULL, NULL);
  test_assert_http_status (got, 200);
  g_assert_cmpstr (test_response_header (got, "Content-Type"), ==, "application/pdf");
  g_assert_cmpstr (test_response_header (got, "Content-Disposition"), ==,
                   "attachment; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf");
  g_assert_cmpstr (test_response_header (got, "X-Content-Type-Options"), ==, "nosniff");
  g_assert_cmpstr (test_response_header (got, "Content-Security-Policy"), ==, "default-src 'none'; sandbox");
  g_assert_cmpuint (g_bytes_get_size (got->body), ==, strlen (pdf_bytes));
  g_assert_true (memcmp (g_bytes_get_data (got->body, NULL), pdf_bytes, strlen (pdf_bytes)) == 0);

  thumb = g_strconcat (url, "/thumb", NULL);
  thumb_r = test_http (world->relay, "GET", thumb, world->token, NULL, NULL);
  test_assert_http_error (thumb_r, 404, "not_found");

  as_visitor = g_strdup_printf ("%s?visitor_token=%s", url, world->visitor_token);
  visitor_r = test_http (world->relay, "GET", as_visitor, NULL, NULL, NULL);
  test_assert_http_status (visitor_r, 200);
  g_assert_true (g_str_has_prefix (test_response_header (visitor_r, "Content-Disposition"), "attachment;"));

  /* markup a browser renders is no plain text: refused, whatever the name */
  html = upload (world, world->token, conversation_id, "page.txt", body);
  test_assert_http_error (html, 415, "unsupported_media_type");
  html_got = upload_text (world, conversation_id, "notes.txt", "\xEF\xBB\xBF  <svg onload=\"alert(1)\"/>");
  test_assert_http_error (html_got, 415, "unsupported_media_type");

  /* an image is still an image, inline, with its kind */
  {
    gsize size = 0;
    g_autofree guchar *png = g_base64_decode ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
                                              "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", &size);
    g_autoptr(GBytes) image = g_bytes_new (png, size);
    g_autoptr(TestResponse) posted_image = upload (world, world->token, conversation_id, "dot.png", image);
    g_autoptr(TestResponse) image_got = NULL;
    JsonObject *object;

    test_assert_http_status (posted_image, 201);
    object = test_response_object (posted_image);
    g_assert_cmpstr (test_obj_string (object, "kind"), ==, "image");
    g_assert_cmpstr (test_obj_string (object, "name"), ==, "dot.png");
    g_assert_nonnull (test_obj_string (object, "thumb_url"));
    g_assert_cmpint (test_obj_int (object, "width"), ==, 1);
    image_got = test_http (world->relay, "GET", test_obj_string (object, "url"), world->token, NULL, NULL);
    g_assert_cmpstr (test_response_header (image_got, "Content-Disposition"), ==, "inline");
  }
}

static void
test_files_allow_list (void)
{
  g_autoptr(TestWorld) world = test_world_new (MANY_UPLOADS, TEST_WORLD_DEFAULT);
  g_autofree char *conversation_id = NULL, *site_path = NULL;
  gsize size = 0;
  g_autofree guchar *png = g_base64_decode ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
                                            "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", &size);
  g_autoptr(GBytes) image = g_bytes_new (png, size);
  g_autoptr(GBytes) zip = make_zip ("a.txt", "hello", NULL);

  test_ws_ignore (world->visitor, "agents_online", NULL);
  test_ws_ignore (world->agent, "site", NULL);
  test_visitor_say (world->visitor, "Hello", &conversation_id);
  site_path = g_strdup_printf ("/api/v1/sites/%s", world->site_id);

  {
    g_autoptr(TestResponse) patched = test_http (world->relay, "PATCH", site_path, world->token,
                                                 "{\"settings\":{\"upload_file_types\":[\"image\",\"pdf\"]}}",
                                                 NULL);
    g_autoptr(TestResponse) pdf = upload_text (world, conversation_id, "a.pdf", pdf_bytes);
    g_autoptr(TestResponse) text = upload_text (world, conversation_id, "a.txt", "words\n");
    g_autoptr(TestResponse) zipped = upload (world, world->token, conversation_id, "a.zip", zip);
    g_autoptr(TestResponse) png_r = upload (world, world->token, conversation_id, "a.png", image);

    test_assert_http_status (patched, 200);
    test_assert_http_status (pdf, 201);
    test_assert_http_error (text, 415, "unsupported_media_type");
    test_assert_http_error (zipped, 415, "unsupported_media_type");
    test_assert_http_status (png_r, 201);
  }
  {
    g_autoptr(TestResponse) patched = test_http (world->relay, "PATCH", site_path, world->token,
                                                 "{\"settings\":{\"upload_file_types\":[\"zip\"]}}", NULL);
    g_autoptr(TestResponse) png_r = upload (world, world->token, conversation_id, "a.png", image);
    g_autoptr(TestResponse) zipped = upload (world, world->token, conversation_id, "a.zip", zip);

    test_assert_http_status (patched, 200);
    test_assert_http_error (png_r, 415, "unsupported_media_type");
    test_assert_http_status (zipped, 201);
  }
  /* unset again: everything */
  {
    g_autoptr(TestResponse) patched = test_http (world->relay, "PATCH", site_path, world->token,
                                                 "{\"settings\":{\"upload_file_types\":null}}", NULL);
    g_autoptr(TestResponse) text = upload_text (world, conversation_id, "a.txt", "words\n");

    test_assert_http_status (patched, 200);
    test_assert_http_status (text, 201);
  }
  /* only known kinds, each once */
  {
    static const char * const bad[] = {
      "{\"settings\":{\"upload_file_types\":[\"exe\"]}}",
      "{\"settings\":{\"upload_file_types\":[\"pdf\",\"pdf\"]}}",
      "{\"settings\":{\"upload_file_types\":[1]}}",
    };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr(TestResponse) refused = test_http (world->relay, "PATCH", site_path, world->token,
                                                     bad[i], NULL);
        test_assert_http_error (refused, 400, "invalid_value");
      }
    {
      g_autoptr(TestResponse) wrong_type = test_http (world->relay, "PATCH", site_path, world->token,
                                                      "{\"settings\":{\"upload_file_types\":\"pdf\"}}", NULL);
      test_assert_http_error (wrong_type, 400, "invalid_field");
    }
  }
}

int
main (int    argc,
      char **argv)
{
  test_harness_init (&argc, &argv);

  test_harness_add ("/relay/files/sniffed", test_files_sniffed);
  test_harness_add ("/relay/files/served-as-downloads", test_files_served_as_downloads);
  test_harness_add ("/relay/files/allow-list", test_files_allow_list);

  return g_test_run ();
}
