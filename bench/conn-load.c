/* SPDX-License-Identifier: GPL-3.0-or-later */
/* conn-load.c: the relay's connection and saturation load generator (issue 12), in C so that it
 * is not the bottleneck: one thread, one epoll set, non-blocking sockets.
 *
 *   conn-load --url=http://127.0.0.1:PORT --site_key=KEY --token=AGENT_TOKEN [options]
 *
 *   --visitors=N        visitor sockets held (hello → welcome), each sending a page_view every
 *                       --page-view-s (30) seconds, spread evenly over that period
 *   --chatters=200      of them, how many chat
 *   --rate=500          messages per second from the chatters together (open loop), or
 *   --window=W          W > 0: each chatter keeps W messages unacknowledged (closed loop,
 *                       saturation) instead of --rate
 *   --seconds=10        length of the measured phase
 *   --agents=1          agents subscribed; the first one times visitor → agent
 *   --addresses=64      client sockets bound to 127.0.0.2 … 127.0.0.(1+N) in turn (each address
 *                       has its own ephemeral ports: ~28,000 connections per address)
 *   --parallel=256      connections being opened at once
 *   --pid=PID           the server: its CPU and RSS are read from /proc
 *
 * Prints one JSON object. Client ids carry the send time ("b<conn>.<n>.<µs>"), so an ack or a
 * delivery is timed without a table of what is in flight. The process raises its own nofile
 * limit to the hard limit (run as root with `ulimit -Hn` raised for 100,000 connections).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum { ST_CONNECTING, ST_HANDSHAKE, ST_HELLO, ST_OPEN, ST_DEAD };

typedef struct {
  int       fd;
  uint8_t   state;
  bool      agent;
  bool      chatter;
  uint32_t  inflight;   /* closed loop: messages unacknowledged */
  uint32_t  sent;
  char     *in;         /* what arrived and is not a whole frame yet (NULL when empty) */
  uint32_t  in_len, in_cap;
  char     *out;        /* what the socket did not take yet */
  uint32_t  out_len, out_cap;
} Conn;

static struct {
  const char *host, *site_key, *token;
  int port, visitors, chatters, rate, window, seconds, agents, addresses, parallel, pid;
  double page_view_s;
} opt = { "127.0.0.1", NULL, NULL, 0, 1000, 200, 500, 0, 10, 1, 64, 256, 0, 30 };

static int ep;
static Conn *conns;
static int nconns;
static int opened, welcomed, agents_synced, failed;
static uint64_t acked, refused, delivered, deliveries, page_views, sent_messages;
static bool measuring;
static uint32_t *lat, *ack_lat;        /* µs */
static size_t nlat, cap_lat, nack, cap_ack;

static int64_t
now_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
push (uint32_t **a, size_t *n, size_t *cap, int64_t v)
{
  if (*n == *cap)
    {
      *cap = *cap ? *cap * 2 : 65536;
      *a = realloc (*a, *cap * sizeof **a);
    }
  (*a)[(*n)++] = v < 0 ? 0 : (uint32_t) v;
}

static int
cmp_u32 (const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
  return x < y ? -1 : x > y;
}

static double
pct (uint32_t *a, size_t n, double p)
{
  if (n == 0)
    return -1;
  size_t i = (size_t) (n * p);
  return a[i >= n ? n - 1 : i] / 1000.0;
}

static void
proc_cpu_rss (long *cpu_us, long *rss_kib)
{
  char path[64], buf[4096];
  *cpu_us = 0;
  *rss_kib = 0;
  if (opt.pid <= 0)
    return;
  snprintf (path, sizeof path, "/proc/%d/stat", opt.pid);
  FILE *f = fopen (path, "r");
  if (f)
    {
      if (fgets (buf, sizeof buf, f))
        {
          char *p = strrchr (buf, ')');
          unsigned long ut = 0, st = 0;
          if (p && sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
            *cpu_us = (long) ((ut + st) * (1000000 / sysconf (_SC_CLK_TCK)));
        }
      fclose (f);
    }
  snprintf (path, sizeof path, "/proc/%d/status", opt.pid);
  f = fopen (path, "r");
  if (f)
    {
      while (fgets (buf, sizeof buf, f))
        if (sscanf (buf, "VmRSS: %ld", rss_kib) == 1)
          break;
      fclose (f);
    }
}

static long
own_cpu_us (void)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1000000L +
         ru.ru_stime.tv_usec;
}

static void
conn_dead (Conn *c, const char *why)
{
  if (c->state == ST_DEAD)
    return;
  if (failed++ < 5)
    fprintf (stderr, "conn-load: connection %ld: %s\n", (long) (c - conns), why);
  c->state = ST_DEAD;
  close (c->fd);
  free (c->in);
  free (c->out);
  c->in = c->out = NULL;
  c->in_len = c->in_cap = c->out_len = c->out_cap = 0;
}

static void
want_write (Conn *c, bool on)
{
  struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c };
  epoll_ctl (ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void
send_raw (Conn *c, const char *data, size_t len)
{
  if (c->state == ST_DEAD)
    return;
  if (c->out_len == 0)
    {
      ssize_t n = send (c->fd, data, len, MSG_NOSIGNAL);
      if (n == (ssize_t) len)
        return;
      if (n < 0 && errno != EAGAIN)
        {
          conn_dead (c, strerror (errno));
          return;
        }
      if (n < 0)
        n = 0;
      data += n;
      len -= n;
      want_write (c, true);
    }
  if (c->out_len + len > c->out_cap)
    {
      c->out_cap = c->out_len + len + 1024;
      c->out = realloc (c->out, c->out_cap);
    }
  memcpy (c->out + c->out_len, data, len);
  c->out_len += len;
}

/* A masked text frame (the mask is zero: the payload goes as it is). */
static void
send_text (Conn *c, const char *text, size_t len)
{
  char frame[16 + 2048];
  size_t h = 0;

  frame[h++] = (char) 0x81;
  if (len < 126)
    frame[h++] = (char) (0x80 | len);
  else
    {
      frame[h++] = (char) (0x80 | 126);
      frame[h++] = (char) (len >> 8);
      frame[h++] = (char) len;
    }
  memset (frame + h, 0, 4);
  h += 4;
  memcpy (frame + h, text, len);
  send_raw (c, frame, h + len);
}

static void
send_message (Conn *c)
{
  char text[256];
  int n = snprintf (text, sizeof text,
                    "{\"type\":\"message\",\"client_id\":\"b%ld.%u.%lld\",\"body\":\"load %u\"}",
                    (long) (c - conns), c->sent, (long long) now_us (), c->sent);
  c->sent++;
  c->inflight++;
  sent_messages++;
  send_text (c, text, n);
}

static void
send_page_view (Conn *c)
{
  char text[160];
  int n = snprintf (text, sizeof text,
                    "{\"type\":\"page_view\",\"url\":\"http://bench.test/p/%u\",\"title\":\"Bench\"}",
                    (unsigned) (page_views % 50));
  page_views++;
  send_text (c, text, n);
}

/* The value of "key":"…" in @json (the first one), or NULL. */
static const char *
json_str (const char *json, size_t len, const char *key, size_t *out_len)
{
  const char *end = json + len, *p = json;
  size_t klen = strlen (key);

  while ((p = memmem (p, end - p, key, klen)) != NULL)
    {
      const char *q = p + klen;
      if (p > json && p[-1] == '"' && q < end && *q == '"')
        {
          q++;
          while (q < end && (*q == ' ' || *q == ':'))
            q++;
          if (q < end && *q == '"')
            {
              const char *v = ++q;
              while (q < end && *q != '"')
                q++;
              *out_len = q - v;
              return v;
            }
        }
      p = q;
    }
  return NULL;
}

static int64_t
sent_at (const char *id, size_t len)
{
  /* b<conn>.<n>.<µs> */
  const char *dot = memrchr (id, '.', len);
  if (id[0] != 'b' || dot == NULL)
    return -1;
  return strtoll (dot + 1, NULL, 10);
}

static void
on_text (Conn *c, const char *text, size_t len)
{
  size_t tlen, ilen;
  const char *type = json_str (text, len, "type", &tlen);
  const char *id;

  if (type == NULL)
    return;
#define IS(s) (tlen == sizeof (s) - 1 && memcmp (type, s, tlen) == 0)
  if (c->agent)
    {
      if (IS ("message"))
        {
          deliveries += measuring;
          if (c != conns || (id = json_str (text, len, "client_id", &ilen)) == NULL)
            return;
          int64_t t0 = sent_at (id, ilen);
          if (t0 > 0 && measuring)
            {
              delivered++;
              push (&lat, &nlat, &cap_lat, now_us () - t0);
            }
        }
      else if (IS ("synced") && c->state != ST_OPEN)
        {
          c->state = ST_OPEN;
          agents_synced++;
        }
      return;
    }

  if (IS ("ack"))
    {
      if ((id = json_str (text, len, "client_id", &ilen)) == NULL)
        return;
      int64_t t0 = sent_at (id, ilen);
      if (t0 <= 0)
        return;
      if (c->inflight)
        c->inflight--;
      if (measuring)
        {
          acked++;
          push (&ack_lat, &nack, &cap_ack, now_us () - t0);
        }
      if (opt.window > 0 && measuring && c->chatter)
        send_message (c);
    }
  else if (IS ("error"))
    {
      if ((id = json_str (text, len, "ref", &ilen)) != NULL && sent_at (id, ilen) > 0)
        {
          refused++;
          if (c->inflight)
            c->inflight--;
          if (opt.window > 0 && measuring && c->chatter)
            send_message (c);
        }
      else if (refused++ < 3)
        fprintf (stderr, "conn-load: error frame: %.*s\n", (int) (len > 300 ? 300 : len), text);
    }
  else if (IS ("welcome") && c->state == ST_HELLO)
    {
      c->state = ST_OPEN;
      welcomed++;
    }
#undef IS
}

static void
start_open (Conn *c)
{
  char text[256];
  int n;

  if (c->agent)
    {
      n = snprintf (text, sizeof text, "{\"type\":\"subscribe\",\"after_cursor\":0}");
      c->state = ST_HELLO;
    }
  else
    {
      n = snprintf (text, sizeof text,
                    "{\"type\":\"hello\",\"visitor_id\":null,\"visitor_token\":null,"
                    "\"page\":{\"url\":\"http://bench.test/\",\"title\":\"Bench\"}}");
      c->state = ST_HELLO;
    }
  send_text (c, text, n);
}

/* Whole frames out of c->in; keeps the rest. */
static void
parse_frames (Conn *c)
{
  size_t off = 0;

  if (c->state == ST_HANDSHAKE)
    {
      char *end = memmem (c->in, c->in_len, "\r\n\r\n", 4);
      if (end == NULL)
        return;
      if (c->in_len < 12 || memcmp (c->in + 9, "101", 3) != 0)
        {
          conn_dead (c, "upgrade refused");
          return;
        }
      off = end + 4 - c->in;
      start_open (c);
    }

  while (c->state != ST_DEAD && c->in_len - off >= 2)
    {
      const uint8_t *h = (const uint8_t *) c->in + off;
      size_t avail = c->in_len - off, hl = 2;
      uint64_t plen = h[1] & 0x7f;
      uint8_t opcode = h[0] & 0x0f;

      if (plen == 126)
        {
          if (avail < 4)
            break;
          plen = ((uint64_t) h[2] << 8) | h[3];
          hl = 4;
        }
      else if (plen == 127)
        {
          if (avail < 10)
            break;
          plen = 0;
          for (int i = 0; i < 8; i++)
            plen = (plen << 8) | h[2 + i];
          hl = 10;
        }
      if (avail < hl + plen)
        break;
      if (opcode == 1)
        on_text (c, (const char *) h + hl, plen);
      else if (opcode == 8)
        {
          conn_dead (c, "closed by the server");
          return;
        }
      else if (opcode == 9)
        {
          /* pong with the same payload (≤ 125 bytes) */
          char pong[2 + 4 + 125];
          pong[0] = (char) 0x8a;
          pong[1] = (char) (0x80 | plen);
          memset (pong + 2, 0, 4);
          memcpy (pong + 6, h + hl, plen);
          send_raw (c, pong, 6 + plen);
        }
      off += hl + plen;
    }

  if (c->state == ST_DEAD)
    return;
  if (off == c->in_len)
    {
      /* an idle connection holds no buffer */
      free (c->in);
      c->in = NULL;
      c->in_len = c->in_cap = 0;
    }
  else if (off > 0)
    {
      memmove (c->in, c->in + off, c->in_len - off);
      c->in_len -= off;
    }
}

static void
on_readable (Conn *c)
{
  for (;;)
    {
      if (c->in_cap - c->in_len < 16384)
        {
          c->in_cap = c->in_len + 65536;
          c->in = realloc (c->in, c->in_cap);
        }
      size_t space = c->in_cap - c->in_len;
      ssize_t n = recv (c->fd, c->in + c->in_len, space, 0);
      if (n > 0)
        {
          c->in_len += n;
          if ((size_t) n < space)
            break;
          continue;
        }
      if (n == 0)
        {
          conn_dead (c, "closed");
          return;
        }
      if (errno == EAGAIN)
        break;
      conn_dead (c, strerror (errno));
      return;
    }
  parse_frames (c);
}

static void
on_writable (Conn *c)
{
  if (c->state == ST_CONNECTING)
    {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt (c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0)
        {
          conn_dead (c, strerror (err));
          return;
        }
      char req[1024];
      int n;
      if (c->agent)
        n = snprintf (req, sizeof req,
                      "GET /ws/agent HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n",
                      opt.host, opt.port, opt.token);
      else
        n = snprintf (req, sizeof req,
                      "GET /ws/widget?site_key=%s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\nOrigin: http://bench.test\r\n\r\n",
                      opt.site_key, opt.host, opt.port);
      c->state = ST_HANDSHAKE;
      want_write (c, false);
      send_raw (c, req, n);
      return;
    }
  if (c->out_len == 0)
    {
      want_write (c, false);
      return;
    }
  ssize_t n = send (c->fd, c->out, c->out_len, MSG_NOSIGNAL);
  if (n < 0)
    {
      if (errno != EAGAIN)
        conn_dead (c, strerror (errno));
      return;
    }
  memmove (c->out, c->out + n, c->out_len - n);
  c->out_len -= n;
  if (c->out_len == 0)
    {
      free (c->out);
      c->out = NULL;
      c->out_cap = 0;
      want_write (c, false);
    }
}

static void
conn_start (Conn *c, int index)
{
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons (opt.port) };
  int one = 1;

  inet_pton (AF_INET, opt.host, &to.sin_addr);
  c->fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0)
    {
      perror ("conn-load: socket");
      exit (1);
    }
  setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (opt.addresses > 0 && strncmp (opt.host, "127.", 4) == 0)
    {
      /* the port is picked at connect(), per 4-tuple: each address has the whole range */
      struct sockaddr_in from = { .sin_family = AF_INET };
      uint32_t a = 0x7f000002u + (uint32_t) (index % opt.addresses);
      from.sin_addr.s_addr = htonl (a);
      setsockopt (c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      if (bind (c->fd, (struct sockaddr *) &from, sizeof from) != 0)
        perror ("conn-load: bind");
    }
  c->state = ST_CONNECTING;
  struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
  epoll_ctl (ep, EPOLL_CTL_ADD, c->fd, &ev);
  if (connect (c->fd, (struct sockaddr *) &to, sizeof to) != 0 && errno != EINPROGRESS)
    conn_dead (c, strerror (errno));
  opened++;
}

static void
poll_once (int timeout_ms)
{
  struct epoll_event evs[512];
  int n = epoll_wait (ep, evs, 512, timeout_ms);

  for (int i = 0; i < n; i++)
    {
      Conn *c = evs[i].data.ptr;
      if (c->state == ST_DEAD)
        continue;
      if (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
        on_writable (c);
      if (c->state != ST_DEAD && (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
        on_readable (c);
    }
}

static int
ready_visitors (void)
{
  int n = 0;
  for (int i = opt.agents; i < nconns; i++)
    n += conns[i].state == ST_OPEN;
  return n;
}

static int
arg_int (const char *a, const char *name, int *out)
{
  size_t l = strlen (name);
  if (strncmp (a, name, l) == 0 && a[l] == '=')
    {
      *out = atoi (a + l + 1);
      return 1;
    }
  return 0;
}

int
main (int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i];
      if (strncmp (a, "--url=", 6) == 0)
        {
          static char host[64];
          if (sscanf (a + 6, "http://%63[^:]:%d", host, &opt.port) != 2)
            {
              fprintf (stderr, "conn-load: --url=http://HOST:PORT\n");
              return 2;
            }
          opt.host = host;
        }
      else if (strncmp (a, "--site_key=", 11) == 0)
        opt.site_key = a + 11;
      else if (strncmp (a, "--token=", 8) == 0)
        opt.token = a + 8;
      else if (strncmp (a, "--page-view-s=", 14) == 0)
        opt.page_view_s = atof (a + 14);
      else if (!(arg_int (a, "--visitors", &opt.visitors) || arg_int (a, "--chatters", &opt.chatters) ||
                 arg_int (a, "--rate", &opt.rate) || arg_int (a, "--window", &opt.window) ||
                 arg_int (a, "--seconds", &opt.seconds) || arg_int (a, "--agents", &opt.agents) ||
                 arg_int (a, "--addresses", &opt.addresses) ||
                 arg_int (a, "--parallel", &opt.parallel) || arg_int (a, "--pid", &opt.pid)))
        {
          fprintf (stderr, "conn-load: unknown option %s\n", a);
          return 2;
        }
    }
  if (opt.site_key == NULL || opt.token == NULL || opt.port == 0)
    {
      fprintf (stderr, "usage: conn-load --url=http://127.0.0.1:PORT --site_key=KEY --token=TOKEN "
                       "[--visitors=N --chatters=200 --rate=500 | --window=W --seconds=10 "
                       "--agents=1 --addresses=64 --parallel=256 --pid=PID]\n");
      return 2;
    }
  if (opt.chatters > opt.visitors)
    opt.chatters = opt.visitors;

  struct rlimit rl;
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
    }
  if ((rlim_t) (opt.visitors + opt.agents + 16) > rl.rlim_cur)
    {
      fprintf (stderr, "conn-load: nofile is %lu, %d sockets needed (raise `ulimit -Hn`)\n",
               (unsigned long) rl.rlim_cur, opt.visitors + opt.agents);
      return 1;
    }

  ep = epoll_create1 (EPOLL_CLOEXEC);
  nconns = opt.agents + opt.visitors;
  conns = calloc (nconns, sizeof *conns);

  /* the agents first: subscribed before anyone says anything */
  for (int i = 0; i < opt.agents; i++)
    {
      conns[i].agent = true;
      conn_start (&conns[i], i);
    }
  while (agents_synced + failed < opt.agents)
    poll_once (100);
  if (failed)
    return 1;

  long cpu0, rss0, cpu1, rss1;
  proc_cpu_rss (&cpu0, &rss0);
  long own0 = own_cpu_us ();
  int64_t t0 = now_us ();
  int next = opt.agents;
  while (welcomed + failed < opt.visitors)
    {
      while (next < nconns && opened - (welcomed + failed) - opt.agents < opt.parallel)
        {
          conns[next].chatter = next - opt.agents < opt.chatters;
          conn_start (&conns[next], next);
          next++;
        }
      poll_once (100);
      if (now_us () - t0 > 600 * 1000000LL)
        {
          fprintf (stderr, "conn-load: connecting took over 10 minutes\n");
          break;
        }
    }
  double connect_s = (now_us () - t0) / 1e6;
  long connect_own_us = own_cpu_us () - own0;
  fprintf (stderr, "conn-load: %d visitors welcomed in %.1f s (%d failed)\n", welcomed, connect_s,
           failed);

  /* settle, then the idle figures */
  long cpu_settle, rss_settle;
  proc_cpu_rss (&cpu_settle, &rss_settle);
  int64_t settle = now_us () + 2000000;
  while (now_us () < settle)
    poll_once (50);
  proc_cpu_rss (&cpu1, &rss1);

  /* the measured phase: page views from everyone, messages from the chatters */
  int visitors_ready = ready_visitors ();
  long cpu2, rss2, cpu3, rss3;
  proc_cpu_rss (&cpu2, &rss2);
  long own2 = own_cpu_us ();
  measuring = true;
  int64_t start = now_us (), end = start + (int64_t) opt.seconds * 1000000;
  uint64_t messages_due = 0, pv_due = 0, pv_sent = 0;
  int chat_next = 0, pv_next = 0;

  if (opt.window > 0)
    for (int i = 0; i < opt.chatters; i++)
      for (int w = 0; w < opt.window; w++)
        if (conns[opt.agents + i].state == ST_OPEN)
          send_message (&conns[opt.agents + i]);

  while (now_us () < end)
    {
      poll_once (1);
      int64_t t = now_us () - start;
      if (opt.window == 0 && opt.chatters > 0)
        {
          uint64_t due = (uint64_t) ((double) t * opt.rate / 1e6);
          for (; messages_due < due; messages_due++)
            {
              Conn *c = &conns[opt.agents + chat_next];
              chat_next = (chat_next + 1) % opt.chatters;
              if (c->state == ST_OPEN)
                send_message (c);
            }
        }
      if (opt.page_view_s > 0 && opt.visitors > 0)
        {
          uint64_t due = (uint64_t) ((double) t * opt.visitors / (opt.page_view_s * 1e6));
          for (; pv_sent < due; pv_sent++)
            {
              Conn *c = &conns[opt.agents + pv_next];
              pv_next = (pv_next + 1) % opt.visitors;
              if (c->state == ST_OPEN)
                send_page_view (c);
            }
          pv_due = due;
        }
    }
  double phase_s = (now_us () - start) / 1e6;
  proc_cpu_rss (&cpu3, &rss3);
  long own3 = own_cpu_us ();
  measuring = false;
  /* the last deliveries */
  int64_t drain = now_us () + 500000;
  while (now_us () < drain)
    poll_once (10);

  qsort (lat, nlat, sizeof *lat, cmp_u32);
  qsort (ack_lat, nack, sizeof *ack_lat, cmp_u32);
  printf ("{\"visitors\":%d,\"welcomed\":%d,\"failed\":%d,\"connect_per_second\":%.0f,"
          "\"connect_generator_cpu_percent\":%.0f,"
          "\"rss_before_mib\":%.1f,\"rss_idle_mib\":%.1f,\"idle_kib_per_connection\":%.2f,"
          "\"idle_server_cpu_percent\":%.1f,"
          "\"seconds\":%.1f,\"visitors_open\":%d,\"page_views_per_second\":%.0f,"
          "\"messages_sent\":%llu,\"acked_per_second\":%.0f,\"refused\":%llu,"
          "\"delivered\":%llu,\"deliveries_per_second\":%.0f,"
          "\"latency_p50_ms\":%.2f,\"latency_p99_ms\":%.2f,\"latency_max_ms\":%.2f,"
          "\"ack_p50_ms\":%.2f,\"ack_p99_ms\":%.2f,"
          "\"server_cpu_percent\":%.1f,\"server_cpu_us_per_msg\":%.1f,\"rss_end_mib\":%.1f,"
          "\"generator_cpu_percent\":%.1f}\n",
          opt.visitors, welcomed, failed, welcomed / connect_s, connect_own_us / 1e4 / connect_s,
          rss0 / 1024.0, rss1 / 1024.0, welcomed ? (rss1 - rss0) / (double) welcomed : 0,
          (cpu1 - cpu_settle) / 1e4 / 2.0,
          phase_s, visitors_ready, pv_due / phase_s,
          (unsigned long long) sent_messages, acked / phase_s, (unsigned long long) refused,
          (unsigned long long) delivered, deliveries / phase_s,
          pct (lat, nlat, 0.50), pct (lat, nlat, 0.99), pct (lat, nlat, 1.0),
          pct (ack_lat, nack, 0.50), pct (ack_lat, nack, 0.99),
          (cpu3 - cpu2) / 1e4 / phase_s, acked ? (double) (cpu3 - cpu2) / acked : 0,
          rss3 / 1024.0, (own3 - own2) / 1e4 / phase_s);
  return 0;
}
