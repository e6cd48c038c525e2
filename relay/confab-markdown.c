/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confab-markdown.c: a small Markdown renderer for the knowledge base.
 *
 * Articles are written by a site's admins and shown to anyone on the help centre, so the HTML
 * must be safe whatever the Markdown holds. Rather than render everything and then sanitise,
 * this renderer only ever writes its own tags and escapes every character of the text: raw HTML
 * in the Markdown comes out as text, and link targets are kept only when they are http, https or
 * mailto. It knows the common subset (CommonMark-like, not all of it): ATX headings, paragraphs,
 * *emphasis*, **strong**, `code`, fenced code, - and 1. lists, > quotes, --- rules, [links](url),
 * <https://autolinks> and backslash escapes.
 */
#define G_LOG_DOMAIN "confab-markdown"

#include "confab-markdown.h"

#include <string.h>

#define MAX_DEPTH 8 /* emphasis inside links inside emphasis…: deeper is shown as text */
/* How far a link's label, its target and an autolink may reach: "[[[[…" or "<<<<…" in a long
 * paragraph must not make every page view scan the rest of it for each bracket. */
#define MAX_LINK_LABEL  1000
#define MAX_LINK_TARGET 2000

void
confab_html_escape_append (GString    *out,
                           const char *text,
                           gssize      len)
{
  const char *end = len < 0 ? text + strlen (text) : text + len;

  for (const char *c = text; c < end; c++)
    {
      switch (*c)
        {
        case '&': g_string_append (out, "&amp;"); break;
        case '<': g_string_append (out, "&lt;"); break;
        case '>': g_string_append (out, "&gt;"); break;
        case '"': g_string_append (out, "&quot;"); break;
        case '\'': g_string_append (out, "&#39;"); break;
        case '\0': break;
        default: g_string_append_c (out, *c); break;
        }
    }
}

gboolean
confab_markdown_link_allowed (const char *url)
{
  if (url == NULL || !g_utf8_validate (url, -1, NULL))
    return FALSE;
  for (const char *c = url; *c; c++)
    if ((guchar) *c <= ' ' || *c == 0x7f)
      return FALSE;
  return (g_ascii_strncasecmp (url, "https://", 8) == 0 && url[8] != '\0') ||
         (g_ascii_strncasecmp (url, "http://", 7) == 0 && url[7] != '\0') ||
         (g_ascii_strncasecmp (url, "mailto:", 7) == 0 && url[7] != '\0');
}

static void render_inline (GString *out, const char *text, gsize len, int depth);

/* The offset of the next @delim (1 or 2 characters) in text[from, len) not preceded by a
 * backslash, or -1. */
static gssize
find_closing (const char *text,
              gsize       len,
              gsize       from,
              const char *delim)
{
  gsize dlen = strlen (delim);

  for (gsize i = from; i + dlen <= len; i++)
    {
      if (text[i] == '\\')
        {
          i++;
          continue;
        }
      if (memcmp (text + i, delim, dlen) == 0 && i > from)
        return (gssize) i;
    }
  return -1;
}

/* [label](target): the label's end and the target's span, or FALSE. */
static gboolean
parse_link (const char *text,
            gsize       len,
            gsize       at,
            gsize      *label_end,
            gsize      *target_start,
            gsize      *target_end,
            gsize      *link_end)
{
  int nesting = 0;
  gsize i;

  for (i = at + 1; i < len && i - at <= MAX_LINK_LABEL; i++)
    {
      if (text[i] == '\\')
        i++;
      else if (text[i] == '[')
        nesting++;
      else if (text[i] == ']' && nesting-- == 0)
        break;
    }
  if (i >= len || i + 1 >= len || text[i + 1] != '(')
    return FALSE;
  *label_end = i;
  *target_start = i + 2;
  /* balanced parentheses belong to the target, as in CommonMark: (https://x.test/a_(b)) */
  nesting = 0;
  for (i = *target_start; i < len && i - *target_start <= MAX_LINK_TARGET; i++)
    {
      if (text[i] == '(')
        nesting++;
      else if (text[i] == ')' && nesting-- == 0)
        break;
    }
  if (i >= len || text[i] != ')')
    return FALSE;
  *target_end = i;
  *link_end = i + 1;
  return TRUE;
}

static void
append_link (GString    *out,
             const char *target,
             const char *label,
             gsize       label_len,
             int         depth)
{
  g_autofree char *url = NULL;
  const char *space;

  /* [text](url "title"): the title is dropped */
  space = strpbrk (target, " \t");
  url = space ? g_strndup (target, space - target) : g_strdup (target);
  g_strstrip (url);

  if (!confab_markdown_link_allowed (url))
    {
      render_inline (out, label, label_len, depth + 1);
      return;
    }
  g_string_append (out, "<a href=\"");
  confab_html_escape_append (out, url, -1);
  g_string_append (out, "\" rel=\"nofollow noopener noreferrer\">");
  render_inline (out, label, label_len, depth + 1);
  g_string_append (out, "</a>");
}

static void
render_inline (GString    *out,
               const char *text,
               gsize       len,
               int         depth)
{
  /* Delimiters with no closing one left after some point have none after any later point
   * either: looking once is enough ("**" a thousand times unclosed stays linear). */
  gboolean no_more_code = FALSE, no_more_strong[2] = { FALSE, FALSE }, no_more_em[2] = { FALSE, FALSE };
  gsize i = 0;

  if (depth > MAX_DEPTH)
    {
      confab_html_escape_append (out, text, len);
      return;
    }

  while (i < len)
    {
      char c = text[i];

      if (c == '\\' && i + 1 < len && g_ascii_ispunct (text[i + 1]))
        {
          confab_html_escape_append (out, text + i + 1, 1);
          i += 2;
          continue;
        }

      if (c == '`' && !no_more_code)
        {
          gssize close = find_closing (text, len, i + 1, "`");

          no_more_code = close < 0;
          if (close > 0)
            {
              g_string_append (out, "<code>");
              confab_html_escape_append (out, text + i + 1, close - i - 1);
              g_string_append (out, "</code>");
              i = close + 1;
              continue;
            }
        }

      if ((c == '*' || c == '_') && i + 1 < len && text[i + 1] == c && !no_more_strong[c == '_'])
        {
          char delim[3] = { c, c, '\0' };
          gssize close = find_closing (text, len, i + 2, delim);

          no_more_strong[c == '_'] = close < 0;
          if (close > 0)
            {
              g_string_append (out, "<strong>");
              render_inline (out, text + i + 2, close - i - 2, depth + 1);
              g_string_append (out, "</strong>");
              i = close + 2;
              continue;
            }
        }

      /* *em* and _em_, not "2 * 3" nor snake_case words */
      if ((c == '*' || c == '_') && i + 1 < len && !g_ascii_isspace (text[i + 1]) &&
          (c == '*' || i == 0 || !g_ascii_isalnum (text[i - 1])) && !no_more_em[c == '_'])
        {
          char delim[2] = { c, '\0' };
          gssize close = find_closing (text, len, i + 1, delim);

          no_more_em[c == '_'] = close < 0;
          if (close > 0 && !g_ascii_isspace (text[close - 1]) &&
              (c == '*' || (gsize) close + 1 >= len || !g_ascii_isalnum (text[close + 1])))
            {
              g_string_append (out, "<em>");
              render_inline (out, text + i + 1, close - i - 1, depth + 1);
              g_string_append (out, "</em>");
              i = close + 1;
              continue;
            }
        }

      if (c == '!' && i + 1 < len && text[i + 1] == '[')
        {
          gsize label_end, target_start, target_end, link_end;

          /* an image: its alt text only — the help centre loads nothing from elsewhere */
          if (parse_link (text, len, i + 1, &label_end, &target_start, &target_end, &link_end))
            {
              render_inline (out, text + i + 2, label_end - i - 2, depth + 1);
              i = link_end;
              continue;
            }
        }

      if (c == '[')
        {
          gsize label_end, target_start, target_end, link_end;

          if (parse_link (text, len, i, &label_end, &target_start, &target_end, &link_end))
            {
              g_autofree char *target = g_strndup (text + target_start, target_end - target_start);

              append_link (out, target, text + i + 1, label_end - i - 1, depth);
              i = link_end;
              continue;
            }
        }

      if (c == '<')
        {
          const char *close = memchr (text + i, '>', MIN (len - i, MAX_LINK_TARGET));

          if (close != NULL)
            {
              g_autofree char *target = g_strndup (text + i + 1, close - text - i - 1);

              /* <https://…>: an autolink; anything else in angle brackets is text */
              if (confab_markdown_link_allowed (target))
                {
                  append_link (out, target, target, strlen (target), depth + MAX_DEPTH);
                  i = close - text + 1;
                  continue;
                }
            }
        }

      confab_html_escape_append (out, text + i, 1);
      i++;
    }
}

/* --- blocks --- */

typedef enum {
  BLOCK_NONE,
  BLOCK_PARAGRAPH,
  BLOCK_QUOTE,
  BLOCK_UL,
  BLOCK_OL,
} BlockKind;

typedef struct {
  GString   *out;
  BlockKind  kind;
  GString   *text;   /* the paragraph's, the quote's or the list item's lines */
  gboolean   in_item;
} Renderer;

static void
flush_text (Renderer   *r,
            const char *open,
            const char *close)
{
  g_string_append (r->out, open);
  render_inline (r->out, r->text->str, r->text->len, 0);
  g_string_append (r->out, close);
  g_string_truncate (r->text, 0);
}

static void
close_item (Renderer *r)
{
  if (r->in_item)
    flush_text (r, "<li>", "</li>\n");
  r->in_item = FALSE;
}

static void
close_block (Renderer *r)
{
  switch (r->kind)
    {
    case BLOCK_PARAGRAPH:
      flush_text (r, "<p>", "</p>\n");
      break;
    case BLOCK_QUOTE:
      flush_text (r, "<blockquote><p>", "</p></blockquote>\n");
      break;
    case BLOCK_UL:
      close_item (r);
      g_string_append (r->out, "</ul>\n");
      break;
    case BLOCK_OL:
      close_item (r);
      g_string_append (r->out, "</ol>\n");
      break;
    case BLOCK_NONE:
    default:
      break;
    }
  r->kind = BLOCK_NONE;
}

static void
add_line (Renderer   *r,
          const char *line)
{
  if (r->text->len > 0)
    g_string_append_c (r->text, '\n');
  g_string_append (r->text, line);
}

/* The item's text when @line starts a list item of @kind ("- x", "* x", "+ x" or "1. x",
 * "1) x"), else NULL. */
static const char *
list_item (const char *line,
           BlockKind  *kind)
{
  const char *p = line;

  if ((*p == '-' || *p == '*' || *p == '+') && (p[1] == ' ' || p[1] == '\t'))
    {
      *kind = BLOCK_UL;
      return p + 2;
    }
  while (g_ascii_isdigit (*p) && p - line < 9)
    p++;
  if (p > line && (*p == '.' || *p == ')') && (p[1] == ' ' || p[1] == '\t'))
    {
      *kind = BLOCK_OL;
      return p + 2;
    }
  return NULL;
}

static gboolean
is_rule (const char *line)
{
  char mark = 0;
  int count = 0;

  for (const char *c = line; *c; c++)
    {
      if (*c == ' ' || *c == '\t')
        continue;
      if (*c != '-' && *c != '*' && *c != '_')
        return FALSE;
      if (mark != 0 && *c != mark)
        return FALSE;
      mark = *c;
      count++;
    }
  return count >= 3;
}

char *
confab_markdown_to_html (const char *markdown)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GString) text = g_string_new (NULL);
  g_auto (GStrv) lines = NULL;
  Renderer r = { out, BLOCK_NONE, text, FALSE };
  gboolean in_code = FALSE;

  if (markdown == NULL || !g_utf8_validate (markdown, -1, NULL))
    return g_strdup ("");

  lines = g_strsplit (markdown, "\n", -1);
  for (guint n = 0; lines[n] != NULL; n++)
    {
      char *line = lines[n];
      gsize length = strlen (line);
      const char *stripped;
      const char *item;
      BlockKind item_kind = BLOCK_NONE;
      int level = 0;

      if (length > 0 && line[length - 1] == '\r')
        line[--length] = '\0';
      stripped = line;
      while (*stripped == ' ' && stripped - line < 3)
        stripped++;

      if (in_code)
        {
          if (g_str_has_prefix (stripped, "```"))
            {
              g_string_append (out, "</code></pre>\n");
              in_code = FALSE;
            }
          else
            {
              confab_html_escape_append (out, line, length);
              g_string_append_c (out, '\n');
            }
          continue;
        }

      if (g_str_has_prefix (stripped, "```"))
        {
          close_block (&r);
          /* the info string ("```c") is not shown and not used */
          g_string_append (out, "<pre><code>");
          in_code = TRUE;
          continue;
        }

      if (strspn (stripped, " \t") == strlen (stripped))
        {
          close_block (&r);
          continue;
        }

      while (stripped[level] == '#' && level < 7)
        level++;
      if (level >= 1 && level <= 6 && (stripped[level] == ' ' || stripped[level] == '\0'))
        {
          g_autofree char *title = g_strstrip (g_strdup (stripped + level));
          g_autofree char *open = g_strdup_printf ("<h%d>", MIN (level + 1, 6));
          g_autofree char *close = g_strdup_printf ("</h%d>\n", MIN (level + 1, 6));
          gsize end = strlen (title);

          close_block (&r);
          /* closing #s: "## Title ##" */
          while (end > 0 && title[end - 1] == '#')
            end--;
          title[end] = '\0';
          g_strchomp (title);
          g_string_append (text, title);
          flush_text (&r, open, close);
          continue;
        }

      if (is_rule (stripped) && r.kind != BLOCK_PARAGRAPH)
        {
          close_block (&r);
          g_string_append (out, "<hr>\n");
          continue;
        }

      if (*stripped == '>')
        {
          const char *quoted = stripped + 1;

          if (*quoted == ' ')
            quoted++;
          if (r.kind != BLOCK_QUOTE)
            {
              close_block (&r);
              r.kind = BLOCK_QUOTE;
            }
          add_line (&r, quoted);
          continue;
        }

      item = list_item (stripped, &item_kind);
      if (item != NULL)
        {
          if (r.kind != item_kind)
            {
              close_block (&r);
              r.kind = item_kind;
              g_string_append (out, item_kind == BLOCK_UL ? "<ul>\n" : "<ol>\n");
            }
          close_item (&r);
          r.in_item = TRUE;
          add_line (&r, item);
          continue;
        }

      /* a continuation of the list item, of the quote or of the paragraph */
      if (r.kind == BLOCK_UL || r.kind == BLOCK_OL || r.kind == BLOCK_QUOTE ||
          r.kind == BLOCK_PARAGRAPH)
        {
          if ((r.kind == BLOCK_UL || r.kind == BLOCK_OL) && line[0] != ' ' && line[0] != '\t')
            {
              close_block (&r);
              r.kind = BLOCK_PARAGRAPH;
            }
          add_line (&r, g_strchug (line));
          continue;
        }

      r.kind = BLOCK_PARAGRAPH;
      add_line (&r, stripped);
    }

  if (in_code)
    g_string_append (out, "</code></pre>\n");
  close_block (&r);
  return g_string_free (g_steal_pointer (&out), FALSE);
}
