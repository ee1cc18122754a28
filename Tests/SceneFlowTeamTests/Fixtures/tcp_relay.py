#!/usr/bin/env python3
"""A plain TCP relay for the two-host test: for each TARGET (host:port) it listens on a free
port of LISTEN_HOST and copies bytes both ways to the target, so processes in another network
namespace reach loopback-only servers (PostgreSQL, the S3 server) over a veth address.

    tcp_relay.py LISTEN_HOST PORT_FILE TARGET...

PORT_FILE gets the listening ports, one a line in TARGET order, once every one listens.
"""
import asyncio
import os
import sys


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            writer.close()
        except OSError:
            pass


def handler(target_host, target_port):
    async def handle(client_reader, client_writer):
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(target_host, target_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer))
    return handle


async def main():
    listen_host, port_file, targets = sys.argv[1], sys.argv[2], sys.argv[3:]
    servers, ports = [], []
    for target in targets:
        host, port = target.rsplit(":", 1)
        server = await asyncio.start_server(handler(host, int(port)), listen_host, 0)
        servers.append(server)
        ports.append(server.sockets[0].getsockname()[1])
    temporary = port_file + ".tmp"
    with open(temporary, "w") as f:
        f.write("".join(f"{p}\n" for p in ports))
    os.replace(temporary, port_file)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    asyncio.run(main())
