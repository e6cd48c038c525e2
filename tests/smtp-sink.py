#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A real SMTP server for the e-mail tests (tests/mail-harness.c): aiosmtpd on 127.0.0.1, each
# mail it accepts written to DIR as NNNN.eml (the message as received) with NNNN.json beside it
# (the envelope: mail_from, rcpt_tos), the .json last so that a reader never sees half a mail.
#
#   smtp-sink.py --dir DIR [--port PORT]      prints "PORT n" once it listens, then serves
#                                             until killed; port 0 (default) = any free port
#   --reject-rcpt ADDRESS                     answers 550 to that recipient (a permanent refusal)
#   --stall                                   accepts connections and never answers (a hung server)

import argparse
import asyncio
import json
import os
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, directory, reject):
        self.directory = directory
        self.reject = set(a.lower() for a in reject)
        # a sink started again on the same directory goes on numbering after what is there
        self.count = len([n for n in os.listdir(directory) if n.endswith('.json')])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return '550 5.1.1 No such user here'
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, '%04d' % self.count)
        with open(base + '.eml', 'wb') as f:
            f.write(envelope.original_content)
        with open(base + '.json.tmp', 'w') as f:
            json.dump({'mail_from': envelope.mail_from, 'rcpt_tos': envelope.rcpt_tos}, f)
        os.rename(base + '.json.tmp', base + '.json')
        return '250 Message accepted for delivery'


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--dir', required=True)
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--reject-rcpt', action='append', default=[])
    parser.add_argument('--stall', action='store_true')
    args = parser.parse_args()

    if args.stall:
        class Silent(asyncio.Protocol):
            pass
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Silent, host='127.0.0.1', port=args.port, reuse_address=True)
        print('PORT %d' % server.sockets[0].getsockname()[1], flush=True)
        async with server:
            await server.serve_forever()
        return

    handler = Sink(args.dir, args.reject_rcpt)
    loop = asyncio.get_running_loop()
    # decode_data=False keeps the bytes as sent; the relay's mails are 7-bit anyway
    server = await loop.create_server(
        lambda: SMTP(handler, hostname='sink.test', decode_data=False),
        host='127.0.0.1', port=args.port, reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    print('PORT %d' % port, flush=True)
    async with server:
        await server.serve_forever()


if __name__ == '__main__':
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
