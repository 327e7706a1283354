"""pcs_client.aio.PcsClient: the asyncio client, on grpc.aio.

The same methods, arguments and return values as pcs_client.PcsClient, as
coroutines (score_stream is an async generator). Retries of UNAVAILABLE wait
with ``await asyncio.sleep``, so they never block the event loop.

    import asyncio
    from pcs_client.aio import PcsClient

    async def main() -> None:
        async with PcsClient("127.0.0.1:50051", timeout=2.0) as client:
            scores = await asyncio.gather(*(client.score(i) for i in ids))

Create the client inside the event loop that uses it (grpc.aio channels
belong to one loop).
"""
from __future__ import annotations

import asyncio
import os
from typing import (AsyncIterable, AsyncIterator, Dict, Iterable, Optional, Sequence, Tuple,
                    TypeVar, Union)

import grpc
import grpc.aio

from pcs_client import _convert
from pcs_client._generated import pattern_confidence_pb2 as pb
from pcs_client._options import Metadata, PemSource, Retry, Security, retryable
from pcs_client._rpc import AioStub
from pcs_client.client import rpc_error
from pcs_client.types import (Bar, Evaluation, ModelInfo, ModelVersions, MonitoringReport,
                              PatternSpec, PcsError, Score, ScoreResult, ServingStatus)

__all__ = ["PcsClient", "PcsError"]

Req = TypeVar("Req")
Resp = TypeVar("Resp")


async def _backoff_sleep(delay: float) -> None:
    """The wait between retries: yields to the event loop (never time.sleep).
    A module-level function so a test can swap in a blocking one and show
    its loop-blocking check would catch it."""
    await asyncio.sleep(delay)


class PcsClient:
    """Client of pcs.v1.PatternConfidence over a grpc.aio.Channel.

    Use as an async context manager or ``await close()``. Safe for many
    concurrent calls from tasks of one event loop. Options as for the sync
    pcs_client.PcsClient; ``channel`` must be a grpc.aio.Channel.
    """

    def __init__(self, target: str = "127.0.0.1:50051", *, timeout: float = 5.0,
                 retries: int = 3, backoff: float = 0.1,
                 channel: Optional[grpc.aio.Channel] = None, tls: bool = False,
                 root_certificates: Optional[PemSource] = None,
                 client_certificate: Optional[PemSource] = None,
                 client_key: Optional[PemSource] = None, server_name: Optional[str] = None,
                 token: Optional[str] = None,
                 token_file: Optional[Union[str, "os.PathLike[str]"]] = None) -> None:
        security = Security(tls=tls, root_certificates=root_certificates,
                            client_certificate=client_certificate, client_key=client_key,
                            server_name=server_name, token=token, token_file=token_file)
        if channel is not None:
            if not isinstance(channel, grpc.aio.Channel):
                raise TypeError("pcs_client.aio.PcsClient takes a grpc.aio.Channel; for a "
                                "sync grpc.Channel use pcs_client.PcsClient")
            if security.uses_tls or server_name:
                raise ValueError("give TLS options or a channel, not both")
            self._channel = channel
        elif security.uses_tls:
            self._channel = grpc.aio.secure_channel(target, security.channel_credentials(),
                                                    options=security.channel_options())
        else:
            self._channel = grpc.aio.insecure_channel(target)
        self._metadata: Metadata = security.metadata()
        self._stub = AioStub(self._channel)
        self._retry = Retry(retries, backoff)
        self.timeout = timeout

    @property
    def retries(self) -> int:
        return self._retry.retries

    @property
    def backoff(self) -> float:
        return self._retry.backoff

    async def __aenter__(self) -> "PcsClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._channel.close()

    async def _call(self, fn: "grpc.aio.UnaryUnaryMultiCallable[Req, Resp]", request: Req,
                    timeout: Optional[float], *, retry: bool = True) -> Resp:
        delays = self._retry.delays() if retry else iter(())
        while True:
            try:
                return await fn(request, timeout=self.timeout if timeout is None else timeout,
                                metadata=self._metadata)
            except grpc.RpcError as e:
                error = rpc_error(e)
            delay = next(delays, None) if retryable(error.code) else None
            if delay is None:
                raise error
            await _backoff_sleep(delay)

    async def score(self, pattern_id: str, *, top_k: int = 0, skip_trace: bool = False,
                    timeout: Optional[float] = None) -> Score:
        """ScorePattern: scores a stored pattern."""
        request = pb.ScorePatternRequest(pattern_id=pattern_id, top_k=top_k,
                                         skip_trace=skip_trace)
        return _convert.score(await self._call(self._stub.score_pattern, request, timeout))

    async def score_inline(self, pattern: PatternSpec, bars: Sequence[Bar], *,
                           market_bars: Sequence[Bar] = (), top_k: int = 0,
                           timeout: Optional[float] = None) -> Score:
        """ScoreInline: scores a pattern sent with its bars (no database)."""
        request = _convert.inline_request(pattern, bars, market_bars, top_k)
        return _convert.score(await self._call(self._stub.score_inline, request, timeout))

    async def score_batch(self, pattern_ids: Sequence[str], *, top_k: int = 0,
                          skip_trace: bool = False,
                          timeout: Optional[float] = None) -> Dict[str, ScoreResult]:
        """ScoreBatch: per-id result, a Score or a PcsError for that id alone."""
        request = _convert.batch_request(pattern_ids, top_k, skip_trace)
        return _convert.batch(await self._call(self._stub.score_batch, request, timeout))

    async def score_stream(self, pattern_ids: Union[Iterable[str], AsyncIterable[str]], *,
                           top_k: int = 0, skip_trace: bool = False,
                           timeout: Optional[float] = None
                           ) -> AsyncIterator[Tuple[str, ScoreResult]]:
        """ScoreStream (an async generator): yields (pattern_id, Score or
        PcsError) per id, in order; ids may come from an async iterable.
        ``timeout`` bounds the whole stream; the stream is not retried."""
        async def requests() -> AsyncIterator[pb.ScorePatternRequest]:
            if isinstance(pattern_ids, AsyncIterable):
                async for i in pattern_ids:
                    yield pb.ScorePatternRequest(pattern_id=i, top_k=top_k,
                                                 skip_trace=skip_trace)
            else:
                for i in pattern_ids:
                    yield pb.ScorePatternRequest(pattern_id=i, top_k=top_k,
                                                 skip_trace=skip_trace)

        call = self._stub.score_stream(requests(),
                                       timeout=self.timeout if timeout is None else timeout,
                                       metadata=self._metadata)
        try:
            async for item in call:
                yield item.pattern_id, _convert.batch_item(item)
        except grpc.RpcError as e:
            raise rpc_error(e) from None

    async def evaluate(self, pattern_id: str, *, top_k: int = 0, event_date: str = "",
                       timeout: Optional[float] = None) -> Evaluation:
        """EvaluatePattern: scores and applies the lifecycle decision (a write:
        the server may require a token or a client certificate). Never
        retried: an UNAVAILABLE answer does not prove the write was not
        applied; read the pattern's state before calling again."""
        request = pb.EvaluatePatternRequest(pattern_id=pattern_id, top_k=top_k,
                                            event_date=event_date)
        return _convert.evaluation(
            await self._call(self._stub.evaluate_pattern, request, timeout,
                             retry=False))

    async def describe_model(self, version: str = "", *,
                             timeout: Optional[float] = None) -> ModelInfo:
        """DescribeModel: the serving model, or the given version."""
        request = pb.DescribeModelRequest(version=version)
        return _convert.model_info(await self._call(self._stub.describe_model, request, timeout))

    async def list_versions(self, *, timeout: Optional[float] = None) -> ModelVersions:
        """ListModelVersions: every registry version with its state."""
        request = pb.ListModelVersionsRequest()
        return _convert.model_versions(
            await self._call(self._stub.list_model_versions, request, timeout))

    async def serving_status(self, *, timeout: Optional[float] = None) -> ServingStatus:
        """GetServingStatus: database reachability, serving version, reloads."""
        request = pb.GetServingStatusRequest()
        return _convert.serving_status(
            await self._call(self._stub.get_serving_status, request, timeout))

    async def monitoring_report(self, *, timeout: Optional[float] = None) -> MonitoringReport:
        """GetMonitoringReport: the latest drift run (NOT_FOUND before any)."""
        request = pb.GetMonitoringReportRequest()
        return _convert.monitoring_report(
            await self._call(self._stub.get_monitoring_report, request, timeout))

    # The review console's RPCs answer their pcs.v1 messages as they are.

    async def list_patterns(self, request: Optional[pb.ListPatternsRequest] = None, *,
                      timeout: Optional[float] = None) -> pb.ListPatternsResponse:
        """ListPatterns: one page of stored patterns; filters are the request's
        fields (e.g. pb.ListPatternsRequest(symbol="AAPL", page_size=20))."""
        return await self._call(self._stub.list_patterns,
                                request or pb.ListPatternsRequest(), timeout)

    async def get_pattern(self, pattern_id: str, *,
                    timeout: Optional[float] = None) -> pb.GetPatternResponse:
        """GetPattern: a stored pattern with its history and chart snapshots."""
        request = pb.GetPatternRequest(pattern_id=pattern_id)
        return await self._call(self._stub.get_pattern, request, timeout)

    async def pattern_bars(self, pattern_id: str, *,
                     timeout: Optional[float] = None) -> pb.GetPatternBarsResponse:
        """GetPatternBars: a stored pattern's bars, key points and levels."""
        request = pb.GetPatternBarsRequest(pattern_id=pattern_id)
        return await self._call(self._stub.get_pattern_bars, request, timeout)

    async def override(self, pattern_id: str, decision: str, reason: str, *,
                 timeout: Optional[float] = None) -> pb.OverridePatternResponse:
        """OverridePattern: an analyst's "confirm" or "reject" (a write, never
        retried, as evaluate)."""
        request = pb.OverridePatternRequest(pattern_id=pattern_id, decision=decision,
                                            reason=reason)
        return await self._call(self._stub.override_pattern, request, timeout,
                                retry=False)

    async def monitoring_summary(self, *, timeout: Optional[float] = None
                           ) -> pb.GetMonitoringSummaryResponse:
        """GetMonitoringSummary: the latest drift run, if any, and the analysts'
        agreement with the model and the rule."""
        request = pb.GetMonitoringSummaryRequest()
        return await self._call(self._stub.get_monitoring_summary, request, timeout)
