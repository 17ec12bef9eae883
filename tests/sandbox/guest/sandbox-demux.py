"""Port 2049 of a 'plain' sandbox mount target: TLS and plain NFS on one address, as real EFS.

The first byte decides: 0x16 (a TLS handshake record) goes to the stunnel server, anything else
(an RPC record marker) goes straight to nfsd. Starts and stops the stunnel server it fronts.
"""

import argparse
import asyncio
import signal
import subprocess
import sys


def hostport(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


async def pump(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def main(args):
    tls, plain = hostport(args.tls), hostport(args.plain)

    async def handle(reader, writer):
        try:
            first = await reader.read(65536)
            if not first:
                writer.close()
                return
            up_reader, up_writer = await asyncio.open_connection(*(tls if first[0] == 0x16 else plain))
            up_writer.write(first)
            await up_writer.drain()
        except ConnectionError:
            writer.close()
            return
        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))

    child = subprocess.Popen(args.command) if args.command else None
    server = await asyncio.start_server(handle, *hostport(args.listen), reuse_address=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        while not stop.is_set():
            if child and child.poll() is not None:
                print(f"demux: {args.command[0]} exited with {child.returncode}", file=sys.stderr)
                return 1
            try:
                await asyncio.wait_for(stop.wait(), 1)
            except asyncio.TimeoutError:
                pass
    if child:
        child.terminate()
        child.wait(10)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", required=True)
    parser.add_argument("--tls", required=True)
    parser.add_argument("--plain", required=True)
    parser.add_argument("command", nargs="*")
    sys.exit(asyncio.run(main(parser.parse_args())))
