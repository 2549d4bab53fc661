"""Webhook receivers for the fan-out benchmark: HTTP/1.1 keep-alive servers in their own process.

    python benchmarks/bench_receiver.py COUNT        # prints the ports, one line; serves until stdin closes

Each answers every request ``204`` at once and counts the requests it got (printed on exit).
"""

from __future__ import annotations

import asyncio
import sys

COUNTS: list[int] = []


async def handle(index: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            COUNTS[index] += 1
            writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.CancelledError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(count: int) -> None:
    COUNTS.extend([0] * count)
    servers = [await asyncio.start_server(lambda r, w, i=i: handle(i, r, w), "127.0.0.1", 0) for i in range(count)]
    print(" ".join(str(s.sockets[0].getsockname()[1]) for s in servers), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    print(" ".join(map(str, COUNTS)), flush=True)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
