"""PcsClient: the synchronous client of pcs.v1.PatternConfidence.

Every call has a deadline (``timeout`` seconds, per call overridable). Calls
that fail with UNAVAILABLE (server restarting, connection refused, database
briefly down) are retried with exponential backoff up to ``retries`` times;
every other status raises PcsError at once, carrying the gRPC code and the
server's message. score_stream is not retried (its requests are consumed),
nor is evaluate (a write: UNAVAILABLE does not prove it was not applied).
pcs_client.aio.PcsClient has the same methods as coroutines, for asyncio.
"""
from __future__ import annotations

import os
import time
from typing import Dict, Iterable, Iterator, Optional, Sequence, Tuple, TypeVar, Union

import grpc
import grpc.aio

from pcs_client import _convert
from pcs_client._generated import pattern_confidence_pb2 as pb
from pcs_client._options import Metadata, PemSource, Retry, Security, retryable
from pcs_client._rpc import Stub
from pcs_client.types import (Bar, Evaluation, ModelInfo, ModelVersions, MonitoringReport,
                              PatternSpec, PcsError, Score, ScoreResult, ServingStatus)

Req = TypeVar("Req")
Resp = TypeVar("Resp")


def rpc_error(e: grpc.RpcError) -> PcsError:
    """The PcsError of a failed call (grpc's errors carry code()/details())."""
    try:
        return PcsError(e.code(), e.details() or "")
    except (AttributeError, TypeError):  # an RpcError without a status
        return PcsError(grpc.StatusCode.UNKNOWN, str(e))


class PcsClient:
    """Client of pcs.v1.PatternConfidence over a sync grpc.Channel.

    Use as a context manager (closes the channel) or call close(). Thread-safe
    like the underlying channel. Pass ``channel`` to use your own (then the
    TLS options must be left unset; ``token``/``token_file`` still apply).
    TLS options: see pcs_client._options.Security.
    """

    def __init__(self, target: str = "127.0.0.1:50051", *, timeout: float = 5.0,
                 retries: int = 3, backoff: float = 0.1,
                 channel: Optional[grpc.Channel] = None, tls: bool = False,
                 root_certificates: Optional[PemSource] = None,
                 client_certificate: Optional[PemSource] = None,
                 client_key: Optional[PemSource] = None, server_name: Optional[str] = None,
                 token: Optional[str] = None,
                 token_file: Optional[Union[str, "os.PathLike[str]"]] = None) -> None:
        security = Security(tls=tls, root_certificates=root_certificates,
                            client_certificate=client_certificate, client_key=client_key,
                            server_name=server_name, token=token, token_file=token_file)
        if channel is not None:
            if isinstance(channel, grpc.aio.Channel):
                raise TypeError("PcsClient takes a sync grpc.Channel; for a grpc.aio channel "
                                "use pcs_client.aio.PcsClient")
            if security.uses_tls or server_name:
                raise ValueError("give TLS options or a channel, not both")
            self._channel = channel
        elif security.uses_tls:
            self._channel = grpc.secure_channel(target, security.channel_credentials(),
                                                options=security.channel_options())
        else:
            self._channel = grpc.insecure_channel(target)
        self._metadata: Metadata = security.metadata()
        self._stub = Stub(self._channel)
        self._retry = Retry(retries, backoff)
        self.timeout = timeout

    @property
    def retries(self) -> int:
        return self._retry.retries

    @property
    def backoff(self) -> float:
        return self._retry.backoff

    def __enter__(self) -> "PcsClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._channel.close()

    def _call(self, fn: "grpc.UnaryUnaryMultiCallable[Req, Resp]", request: Req,
              timeout: Optional[float], *, retry: bool = True) -> Resp:
        delays = self._retry.delays() if retry else iter(())
        while True:
            try:
                return fn(request, timeout=self.timeout if timeout is None else timeout,
                          metadata=self._metadata)
            except grpc.RpcError as e:
                error = rpc_error(e)
            delay = next(delays, None) if retryable(error.code) else None
            if delay is None:
                raise error
            time.sleep(delay)  # sync client: blocking is the contract here

    def score(self, pattern_id: str, *, top_k: int = 0, skip_trace: bool = False,
              timeout: Optional[float] = None) -> Score:
        """ScorePattern: scores a stored pattern."""
        request = pb.ScorePatternRequest(pattern_id=pattern_id, top_k=top_k,
                                         skip_trace=skip_trace)
        return _convert.score(self._call(self._stub.score_pattern, request, timeout))

    def score_inline(self, pattern: PatternSpec, bars: Sequence[Bar], *,
                     market_bars: Sequence[Bar] = (), top_k: int = 0,
                     timeout: Optional[float] = None) -> Score:
        """ScoreInline: scores a pattern sent with its bars (no database)."""
        request = _convert.inline_request(pattern, bars, market_bars, top_k)
        return _convert.score(self._call(self._stub.score_inline, request, timeout))

    def score_batch(self, pattern_ids: Sequence[str], *, top_k: int = 0,
                    skip_trace: bool = False,
                    timeout: Optional[float] = None) -> Dict[str, ScoreResult]:
        """ScoreBatch: per-id result, a Score or a PcsError for that id alone."""
        request = _convert.batch_request(pattern_ids, top_k, skip_trace)
        return _convert.batch(self._call(self._stub.score_batch, request, timeout))

    def score_stream(self, pattern_ids: Iterable[str], *, top_k: int = 0,
                     skip_trace: bool = False,
                     timeout: Optional[float] = None) -> Iterator[Tuple[str, ScoreResult]]:
        """ScoreStream: yields (pattern_id, Score or PcsError) per id, in order.
        ``timeout`` bounds the whole stream. A failure of the stream itself
        raises PcsError while iterating; it is not retried."""
        requests = (pb.ScorePatternRequest(pattern_id=i, top_k=top_k, skip_trace=skip_trace)
                    for i in pattern_ids)
        responses = self._stub.score_stream(
            requests, timeout=self.timeout if timeout is None else timeout,
            metadata=self._metadata)
        try:
            for item in responses:
                yield item.pattern_id, _convert.batch_item(item)
        except grpc.RpcError as e:
            raise rpc_error(e) from None

    def evaluate(self, pattern_id: str, *, top_k: int = 0, event_date: str = "",
                 timeout: Optional[float] = None) -> Evaluation:
        """EvaluatePattern: scores and applies the lifecycle decision (a write:
        the server may require a token or a client certificate). Never
        retried: an UNAVAILABLE answer does not prove the write was not
        applied; read the pattern's state before calling again."""
        request = pb.EvaluatePatternRequest(pattern_id=pattern_id, top_k=top_k,
                                            event_date=event_date)
        return _convert.evaluation(self._call(self._stub.evaluate_pattern, request, timeout,
                                   retry=False))

    def describe_model(self, version: str = "", *, timeout: Optional[float] = None) -> ModelInfo:
        """DescribeModel: the serving model, or the given version."""
        request = pb.DescribeModelRequest(version=version)
        return _convert.model_info(self._call(self._stub.describe_model, request, timeout))

    def list_versions(self, *, timeout: Optional[float] = None) -> ModelVersions:
        """ListModelVersions: every registry version with its state."""
        request = pb.ListModelVersionsRequest()
        return _convert.model_versions(
            self._call(self._stub.list_model_versions, request, timeout))

    def serving_status(self, *, timeout: Optional[float] = None) -> ServingStatus:
        """GetServingStatus: database reachability, serving version, reloads."""
        request = pb.GetServingStatusRequest()
        return _convert.serving_status(
            self._call(self._stub.get_serving_status, request, timeout))

    def monitoring_report(self, *, timeout: Optional[float] = None) -> MonitoringReport:
        """GetMonitoringReport: the latest drift run (NOT_FOUND before any)."""
        request = pb.GetMonitoringReportRequest()
        return _convert.monitoring_report(
            self._call(self._stub.get_monitoring_report, request, timeout))

    # The review console's RPCs answer their pcs.v1 messages as they are.

    def list_patterns(self, request: Optional[pb.ListPatternsRequest] = None, *,
                      timeout: Optional[float] = None) -> pb.ListPatternsResponse:
        """ListPatterns: one page of stored patterns; filters are the request's
        fields (e.g. pb.ListPatternsRequest(symbol="AAPL", page_size=20))."""
        return self._call(self._stub.list_patterns, request or pb.ListPatternsRequest(),
                          timeout)

    def get_pattern(self, pattern_id: str, *,
                    timeout: Optional[float] = None) -> pb.GetPatternResponse:
        """GetPattern: a stored pattern with its history and chart snapshots."""
        request = pb.GetPatternRequest(pattern_id=pattern_id)
        return self._call(self._stub.get_pattern, request, timeout)

    def pattern_bars(self, pattern_id: str, *,
                     timeout: Optional[float] = None) -> pb.GetPatternBarsResponse:
        """GetPatternBars: a stored pattern's bars, key points and levels."""
        request = pb.GetPatternBarsRequest(pattern_id=pattern_id)
        return self._call(self._stub.get_pattern_bars, request, timeout)

    def override(self, pattern_id: str, decision: str, reason: str, *,
                 timeout: Optional[float] = None) -> pb.OverridePatternResponse:
        """OverridePattern: an analyst's "confirm" or "reject" (a write, never
        retried, as evaluate)."""
        request = pb.OverridePatternRequest(pattern_id=pattern_id, decision=decision,
                                            reason=reason)
        return self._call(self._stub.override_pattern, request, timeout, retry=False)

    def monitoring_summary(self, *, timeout: Optional[float] = None
                           ) -> pb.GetMonitoringSummaryResponse:
        """GetMonitoringSummary: the latest drift run, if any, and the analysts'
        agreement with the model and the rule."""
        request = pb.GetMonitoringSummaryRequest()
        return self._call(self._stub.get_monitoring_summary, request, timeout)
