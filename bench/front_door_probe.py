#!/usr/bin/env python3
"""The probes of bench/front_door_bench.sh against a running pcs-server.

Prints one line per figure. Raw sockets for the hostile HTTP clients, grpcio
(generic calls on hand-encoded bytes: no generated code needed) for gRPC.
"""
import argparse
import asyncio
import http.client
import os
import socket
import threading
import time

import grpc
import grpc.aio


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def threads(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


class PeakSampler:
    """Samples a /proc figure every 20 ms on a thread; .peak after stop()."""

    def __init__(self, fn):
        self.fn, self.peak, self._stop = fn, fn(), threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.fn())
            time.sleep(0.02)

    def stop(self):
        self._stop.set()
        self._t.join()
        return self.peak


def quantiles(values):
    values = sorted(values)
    q = lambda p: values[min(len(values) - 1, int(p * len(values)))]
    return q(0.5), q(0.99)


def score_request(pattern_id):
    data = pattern_id.encode()
    return b"\x0a" + bytes([len(data)]) + data


def latency(args, n=2000):
    conn = http.client.HTTPConnection("127.0.0.1", args.http_port)
    path = f"/api/v1/patterns/{args.pattern}/confidence?top_k=5&skip_trace=true"
    rest = []
    for _ in range(n):
        t = time.perf_counter()
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        rest.append((time.perf_counter() - t) * 1000)
        assert r.status == 200, r.status
    channel = grpc.insecure_channel(f"127.0.0.1:{args.grpc_port}")
    call = channel.unary_unary("/pcs.v1.PatternConfidence/ScorePattern")
    body = score_request(args.pattern) + b"\x10\x05"  # top_k = 5
    rpc = []
    for _ in range(n):
        t = time.perf_counter()
        call(body)
        rpc.append((time.perf_counter() - t) * 1000)
    for name, xs in (("REST confidence", rest), ("gRPC ScorePattern", rpc)):
        p50, p99 = quantiles(xs)
        print(f"{name:<20} same pattern, sequential, n {n}: "
              f"p50 {p50:.3f} ms  p99 {p99:.3f} ms")


def big_body(args):
    idle = rss_kib(args.pid)
    sampler = PeakSampler(lambda: rss_kib(args.pid))
    s = socket.create_connection(("127.0.0.1", args.http_port))
    s.sendall((f"POST /api/v1/patterns/{args.pattern}/override HTTP/1.1\r\n"
               "Host: x\r\nContent-Type: application/json\r\n"
               f"Content-Length: {1 << 30}\r\n\r\n").encode())
    chunk, sent, t = b"0" * (1 << 20), 0, time.time()
    s.settimeout(10)
    try:
        while sent < (1 << 30) and time.time() - t < 60:
            s.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass
    status = b""
    try:
        s.settimeout(2)
        status = s.recv(64).split(b"\r\n")[0]
    except OSError:
        pass
    s.close()
    time.sleep(0.3)
    peak = sampler.stop()
    print(f"1 GiB anonymous override body: {sent >> 20} MiB accepted by the "
          f"socket, answer {status.decode(errors='replace') or '(reset)'}, "
          f"RSS idle {idle >> 10} MiB, peak +{(peak - idle) / 1024:.1f} MiB")


def nested_json(args):
    idle = rss_kib(args.pid)
    sampler = PeakSampler(lambda: rss_kib(args.pid))
    body = b"[" * (3 << 20) + b"]" * (3 << 20)
    conn = http.client.HTTPConnection("127.0.0.1", args.http_port, timeout=60)
    status = "(error)"
    try:
        conn.request("POST", f"/api/v1/patterns/{args.pattern}/override", body,
                     {"Content-Type": "application/json",
                      "Authorization": f"Bearer {args.token}"})
        status = conn.getresponse().status
    except OSError as e:
        status = f"({e.__class__.__name__})"
    time.sleep(0.3)
    peak = sampler.stop()
    print(f"6 MB nested JSON, write token: answer {status}, RSS idle "
          f"{idle >> 10} MiB, peak +{(peak - idle) / 1024:.1f} MiB")


def slow_clients(args, n=64):
    socks, stop = [], threading.Event()
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", args.http_port))
        s.sendall(b"GET /api/v1/patterns HTTP/1.1\r\n")
        socks.append(s)

    def trickle():
        i = 0
        while not stop.wait(1.0):
            for s in socks:
                try:
                    s.sendall(f"X-Slow-{i}: 1\r\n".encode())
                except OSError:
                    pass
            i += 1
    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    times, failures = [], 0
    for _ in range(20):
        start = time.perf_counter()
        try:
            c = http.client.HTTPConnection("127.0.0.1", args.http_port,
                                           timeout=5)
            c.request("GET", "/healthz")
            ok = c.getresponse().status == 200
        except OSError:
            ok = False
        times.append((time.perf_counter() - start) * 1000)
        failures += 0 if ok else 1
        time.sleep(0.25)
    stop.set()
    t.join()
    for s in socks:
        s.close()
    print(f"/healthz with {n} slow clients: worst {max(times):.1f} ms, "
          f"median {sorted(times)[len(times) // 2]:.1f} ms, "
          f"{failures} of 20 failed")


async def held_streams(args, n=600):
    before = threads(args.pid)
    sampler = PeakSampler(lambda: threads(args.pid))
    channels = [grpc.aio.insecure_channel(
        f"127.0.0.1:{args.grpc_port}",
        options=[("grpc.use_local_subchannel_pool", 1), ("pcs.probe", i)])
        for i in range(n // 100)]
    calls = []
    for i in range(n):
        call = channels[i % len(channels)].stream_stream(
            "/pcs.v1.PatternConfidence/ScoreStream")()
        calls.append(call)
    await asyncio.sleep(3)
    codes = {}
    for c in calls:
        if c.done():
            code = (await c.code()).name
            codes[code] = codes.get(code, 0) + 1
    peak = sampler.stop()
    for c in calls:
        c.cancel()
    for ch in channels:
        await ch.close()
    print(f"{n} ScoreStream calls held open: server threads {before} before, "
          f"peak {peak}; finished early: {codes or 'none'}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--grpc-port", type=int, required=True)
    p.add_argument("--http-port", type=int, required=True)
    p.add_argument("--pattern", required=True)
    p.add_argument("--token", required=True)
    args = p.parse_args()
    latency(args)
    big_body(args)
    nested_json(args)
    slow_clients(args)
    asyncio.run(held_streams(args))


if __name__ == "__main__":
    main()
