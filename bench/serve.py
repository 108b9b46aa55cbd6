"""50 clients at once downloading a 30 MB episode from `podcast serve` in 1 MB ranges, as
podcast apps do; every copy is checked byte for byte. Prints errors and throughput.

    .venv/bin/python bench/serve.py [--clients 50] [--megabytes 30]

Server and clients share the machine (2 cores here), so the figure is a floor for what the
server alone can send.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/select.py shares its name with the standard library's select module: keep this folder
# off the import path, or `import subprocess` (which imports select) would load the benchmark.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import asyncio
import hashlib
import os
import socket
import subprocess
import tempfile
import time

import aiohttp

CHUNK = 1 << 20


async def download(session: aiohttp.ClientSession, url: str, size: int) -> tuple[str, int]:
    digest, errors = hashlib.sha256(), 0
    for start in range(0, size, CHUNK):
        end = min(start + CHUNK, size) - 1
        async with session.get(url, headers={"Range": f"bytes={start}-{end}"}) as response:
            if response.status != 206 or response.headers.get("Content-Range") != f"bytes {start}-{end}/{size}":
                errors += 1
            digest.update(await response.read())
    return digest.hexdigest(), errors


async def crowd(url: str, size: int, clients: int) -> list[tuple[str, int]]:
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        return await asyncio.gather(*(download(session, url, size) for _ in range(clients)),
                                    return_exceptions=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--megabytes", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="podcast-serve-") as name:
        root = Path(name)
        episode = root / "feed" / "episodes" / "2026-11-21.mp3"
        episode.parent.mkdir(parents=True)
        episode.write_bytes(os.urandom(args.megabytes * 1_000_000))  # the server sends bytes, whatever they are
        expected = hashlib.sha256(episode.read_bytes()).hexdigest()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        (root / "podcast.toml").write_text("", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "PODCAST_CONFIG"}
        server = subprocess.Popen([sys.executable, "-m", "podcast", "serve", "-q", "--no-schedule", "--port", str(port)], cwd=root,
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            url = f"http://127.0.0.1:{port}/episodes/{episode.name}"
            start = time.perf_counter()
            results = asyncio.run(crowd(url, episode.stat().st_size, args.clients))
            wall = time.perf_counter() - start
        finally:
            server.terminate()
            server.wait()
    corrupt = sum(digest != expected for digest, _ in results)
    errors = sum(count for _, count in results)
    sent = args.clients * args.megabytes
    requests = args.clients * -(-args.megabytes * 1_000_000 // CHUNK)
    print(f"{args.clients} clients x {args.megabytes} MB in 1 MB ranges ({requests} requests), {os.cpu_count()} cores")
    print(f"  wall: {wall:.1f} s; throughput {sent / wall:.0f} MB/s")
    print(f"  errors: {errors} bad responses, {corrupt} corrupt copies")


if __name__ == "__main__":
    main()
