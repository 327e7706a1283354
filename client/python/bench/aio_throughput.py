"""Throughput of the asyncio client: N ScorePattern calls, C in flight at once.

    python3 client/python/bench/aio_throughput.py --server 127.0.0.1:50051 \
        --ids ID1,ID2,... [--calls 5000] [--concurrency 100] [--mode aio|sync]

One pcs_client.aio.PcsClient (one channel); C worker tasks take the next call
until N are done. Prints calls/s and the client-side latency p50/p99 (ms).
``--mode sync`` runs the same calls one after another on the sync client,
for comparison. Needs a running pcs-server (see docs/CLIENT.md).
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import List

from pcs_client import PcsClient as SyncClient
from pcs_client import PcsError
from pcs_client.aio import PcsClient


def percentile(sorted_values: List[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


async def run_aio(server: str, ids: List[str], calls: int, concurrency: int,
                  skip_trace: bool) -> List[float]:
    latencies: List[float] = []
    next_call = 0
    async with PcsClient(server, timeout=30.0, retries=0) as client:
        await client.score(ids[0], skip_trace=True)  # connect before timing

        async def worker() -> None:
            nonlocal next_call
            while next_call < calls:
                i = next_call
                next_call += 1
                start = time.perf_counter()
                await client.score(ids[i % len(ids)], skip_trace=skip_trace)
                latencies.append(time.perf_counter() - start)
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def run_sync(server: str, ids: List[str], calls: int, skip_trace: bool) -> List[float]:
    latencies: List[float] = []
    with SyncClient(server, timeout=30.0, retries=0) as client:
        client.score(ids[0], skip_trace=True)
        for i in range(calls):
            start = time.perf_counter()
            client.score(ids[i % len(ids)], skip_trace=skip_trace)
            latencies.append(time.perf_counter() - start)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default="127.0.0.1:50051")
    parser.add_argument("--ids", required=True, help="comma-separated stored pattern ids")
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--mode", choices=("aio", "sync"), default="aio")
    parser.add_argument("--trace", action="store_true",
                        help="let the server trace each score (default: skip_trace)")
    args = parser.parse_args()
    ids = [i for i in args.ids.split(",") if i]
    start = time.perf_counter()
    try:
        if args.mode == "aio":
            latencies = asyncio.run(run_aio(args.server, ids, args.calls, args.concurrency,
                                            not args.trace))
        else:
            latencies = run_sync(args.server, ids, args.calls, not args.trace)
    except PcsError as e:
        raise SystemExit(f"aio_throughput: a call failed: {e}")
    elapsed = time.perf_counter() - start
    latencies.sort()
    in_flight = args.concurrency if args.mode == "aio" else 1
    print(f"mode={args.mode} calls={len(latencies)} in_flight={in_flight} ids={len(ids)} "
          f"seconds={elapsed:.2f} calls_per_s={len(latencies) / elapsed:.0f} "
          f"p50_ms={1000 * statistics.median(latencies):.2f} "
          f"p99_ms={1000 * percentile(latencies, 0.99):.2f}")


if __name__ == "__main__":
    main()
