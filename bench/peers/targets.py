"""K synthetic scrape targets in one process: every one serves the same body (a real
node_exporter page) on its own port, so the scrapers, not the targets, are what is measured.
Usage: python3 targets.py BODY_FILE K   (prints one host:port per line, then serves until killed)"""
import asyncio
import sys

BODY = open(sys.argv[1], "rb").read()
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
    + b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY
)


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            if not head:
                break
            writer.write(RESPONSE)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(k):
    servers = []
    for _ in range(k):
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(server)
        print("127.0.0.1:%d" % server.sockets[0].getsockname()[1], flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


asyncio.run(main(int(sys.argv[2])))
