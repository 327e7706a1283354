"""The asyncio client (pcs_client.aio) against a live pcs-server.

Plain pytest: each test runs its coroutine with asyncio.run (no plugin).
"""
from __future__ import annotations

import asyncio
import inspect
import time
from typing import Any, AsyncIterator, Awaitable, Callable, List, Tuple

import grpc
import grpc.aio
import pytest
from conftest import RPC_METHODS, InlinePattern, Live

import pcs_client.aio
from pcs_client import PcsClient as SyncClient
from pcs_client import PcsError, Score
from pcs_client.aio import PcsClient

MISSING = "00000000deadbeef"


def test_same_api_as_the_sync_client() -> None:
    public = sorted(n for n in dir(SyncClient) if not n.startswith("_"))
    assert public == sorted(n for n in dir(PcsClient) if not n.startswith("_"))
    assert inspect.signature(SyncClient.__init__).parameters.keys() == \
        inspect.signature(PcsClient.__init__).parameters.keys()
    for name in RPC_METHODS.values():
        sync_params = inspect.signature(getattr(SyncClient, name)).parameters
        aio_method = getattr(PcsClient, name)
        assert list(inspect.signature(aio_method).parameters) == list(sync_params), name
        if name == "score_stream":
            assert inspect.isasyncgenfunction(aio_method)
        else:
            assert inspect.iscoroutinefunction(aio_method), name


def test_every_rpc_answers_like_the_sync_client(live: Live,
                                                inline_pattern: InlinePattern) -> None:
    ids = live.pattern_ids

    async def run() -> None:
        async with PcsClient(live.server, timeout=10.0, token=live.token) as client:
            score = await client.score(ids[0], top_k=3)
            inline = await client.score_inline(inline_pattern.spec, inline_pattern.bars,
                                               market_bars=inline_pattern.market_bars)
            batch = await client.score_batch([ids[0], MISSING])

            async def id_source() -> AsyncIterator[str]:
                for i in (ids[0], MISSING):
                    yield i
            streamed = [item async for item in client.score_stream(id_source())]
            evaluation = await client.evaluate(live.evaluate_ids[1])
            info = await client.describe_model()
            versions = await client.list_versions()
            status = await client.serving_status()
            report = await client.monitoring_report()
            with pytest.raises(PcsError) as err:
                await client.score("nope")
            assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT

        with SyncClient(live.server, timeout=10.0, token=live.token) as sync:
            assert score.blended_confidence == sync.score(ids[0]).blended_confidence
            assert len(score.top_contributions) == 3
            assert inline.ml_confidence == sync.score(inline_pattern.pattern_id).ml_confidence
            assert isinstance(batch[ids[0]], Score)
            missing = batch[MISSING]
            assert isinstance(missing, PcsError) and missing.code == grpc.StatusCode.NOT_FOUND
            assert [i for i, _ in streamed] == [ids[0], MISSING]
            assert isinstance(streamed[1][1], PcsError)
            again = sync.evaluate(live.evaluate_ids[1])
            assert again.to_state == evaluation.to_state and not again.transition_recorded
            assert info == sync.describe_model()
            assert versions.aspired_version == info.version
            assert status.serving_version == info.version
            assert report == sync.monitoring_report()
    asyncio.run(run())


def test_writes_need_a_write_token(live: Live) -> None:
    async def run() -> None:
        async with PcsClient(live.server) as anonymous:
            with pytest.raises(PcsError) as err:
                await anonymous.evaluate(live.evaluate_ids[1])
            assert err.value.code == grpc.StatusCode.UNAUTHENTICATED
        async with PcsClient(live.server, token=live.read_token) as reader:
            with pytest.raises(PcsError) as err:
                await reader.evaluate(live.evaluate_ids[1])
            assert err.value.code == grpc.StatusCode.PERMISSION_DENIED
    asyncio.run(run())


class _InFlight(grpc.aio.UnaryUnaryClientInterceptor):
    """Counts calls and the most that were in flight at once."""

    def __init__(self) -> None:
        self.calls = 0
        self.in_flight = 0
        self.max_in_flight = 0

    async def intercept_unary_unary(self, continuation: Callable[[Any, Any], Awaitable[Any]],
                                    client_call_details: Any, request: Any) -> Any:
        self.calls += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            call = await continuation(client_call_details, request)
            await call  # the response (or the error) has arrived
            return call
        finally:
            self.in_flight -= 1


def test_100_concurrent_calls_on_one_client(live: Live) -> None:
    expected = [live.pattern_ids[i % len(live.pattern_ids)] for i in range(100)]

    async def run() -> Tuple[List[Score], _InFlight]:
        counter = _InFlight()
        channel = grpc.aio.insecure_channel(live.server, interceptors=[counter])
        async with PcsClient(channel=channel, timeout=30.0, token=live.token) as client:
            scores = await asyncio.gather(*(client.score(i, skip_trace=True)
                                            for i in expected))
        return scores, counter
    scores, counter = asyncio.run(run())
    assert [s.pattern_id for s in scores] == expected
    assert counter.calls == 100
    # All 100 were sent before the first answer was read: they really ran
    # concurrently on one channel, not one after another.
    assert counter.max_in_flight == 100


async def _retry_while_ticking(retries: int, backoff: float) -> Tuple[int, int, PcsError]:
    """Runs a call against a port nobody listens on (UNAVAILABLE, retried)
    next to a task that ticks every 5 ms; returns (attempts, ticks while
    the call ran, the error)."""
    counter = _InFlight()
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            await asyncio.sleep(0.005)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0)  # let the ticker start
    channel = grpc.aio.insecure_channel("127.0.0.1:1", interceptors=[counter])
    async with PcsClient(channel=channel, timeout=2.0, retries=retries,
                         backoff=backoff) as client:
        start = ticks
        try:
            await client.serving_status()
        except PcsError as e:
            error = e
        during = ticks - start
    stop.set()
    await ticking
    return counter.calls, during, error


# Retry waits of 0.05 + 0.1 + 0.2 + 0.4 + 0.8 s = 1.55 s: a free loop ticked
# about 300 times meanwhile, one blocked by the waits 5 times (between the
# attempts; measured on the 2-core machine). 40 leaves room for a busy one.
RETRIES, BACKOFF, MIN_TICKS = 5, 0.05, 40


def test_retries_do_not_block_the_event_loop() -> None:
    attempts, ticks, error = asyncio.run(_retry_while_ticking(RETRIES, BACKOFF))
    assert error.code == grpc.StatusCode.UNAVAILABLE
    assert attempts == RETRIES + 1
    assert ticks >= MIN_TICKS, f"the loop ticked only {ticks} times during the retries"


def test_the_tick_count_catches_a_blocking_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """Control: with the waits made blocking (what the issue found), the
    same measurement falls below MIN_TICKS, so the test above can fail."""
    async def blocking_sleep(delay: float) -> None:
        time.sleep(delay)
    monkeypatch.setattr(pcs_client.aio, "_backoff_sleep", blocking_sleep)
    attempts, ticks, _ = asyncio.run(_retry_while_ticking(RETRIES, BACKOFF))
    assert attempts == RETRIES + 1
    assert ticks < MIN_TICKS


def test_aio_client_refuses_a_sync_channel() -> None:
    channel = grpc.insecure_channel("127.0.0.1:1")
    with pytest.raises(TypeError, match="pcs_client.PcsClient"):
        PcsClient(channel=channel)  # type: ignore[arg-type]  # mypy refuses it too
    channel.close()
