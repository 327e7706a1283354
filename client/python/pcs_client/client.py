"""PcsClient: a context-managed channel with deadlines and retries.

Every call has a deadline (``timeout`` seconds, per call overridable). Calls
that fail with UNAVAILABLE (server restarting, connection refused, database
briefly down) are retried with exponential backoff up to ``retries`` times;
every other status raises PcsError at once, carrying the gRPC code name and
the server's message (which names the offending field for
INVALID_ARGUMENT).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, TypeVar

import grpc

from pcs_client._generated.pcs.v1 import pattern_confidence_pb2 as pb
from pcs_client._generated.pcs.v1 import pattern_confidence_pb2_grpc as pb_grpc

T = TypeVar("T")


class PcsError(Exception):
    """A failed RPC: ``code`` is the grpc.StatusCode, ``details`` the message."""

    def __init__(self, code: grpc.StatusCode, details: str):
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details


@dataclass(frozen=True)
class Contribution:
    feature: str
    value: float
    contribution: float


@dataclass(frozen=True)
class Score:
    pattern_id: str
    symbol: str
    pattern_type: str
    rule_confidence: float
    ml_confidence: Optional[float]
    blended_confidence: float
    ml_weight_used: float
    decision: str
    decision_threshold: float
    model_version: str
    fallback_reason: str
    margin: float
    bias: float
    top_contributions: List[Contribution]
    timing_us: Dict[str, int]
    cache_hit: bool

    @staticmethod
    def from_proto(r: "pb.ScoreResponse") -> "Score":
        t = r.timing
        return Score(
            pattern_id=r.pattern_id, symbol=r.symbol, pattern_type=r.pattern_type,
            rule_confidence=r.rule_confidence,
            ml_confidence=r.ml_confidence if r.has_ml_confidence else None,
            blended_confidence=r.blended_confidence, ml_weight_used=r.ml_weight_used,
            decision=r.decision, decision_threshold=r.decision_threshold,
            model_version=r.model_version, fallback_reason=r.fallback_reason,
            margin=r.margin, bias=r.bias,
            top_contributions=[Contribution(c.feature, c.value, c.contribution)
                               for c in r.top_contributions],
            timing_us={"database": t.database_us, "features": t.features_us,
                       "predict": t.predict_us, "contributions": t.contributions_us,
                       "total": t.total_us},
            cache_hit=r.cache_hit)


@dataclass(frozen=True)
class ModelInfo:
    version: str
    status: str
    num_trees: int
    feature_names: List[str]
    feature_schema_hash: str
    decision_threshold: float
    blend_weight: float
    phase5_enabled: bool
    metrics: Dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class VersionStatus:
    version: str
    state: str
    reason: str
    serving: bool


@dataclass(frozen=True)
class ServingStatus:
    database_reachable: bool
    serving_version: str
    phase5_enabled: bool
    reloads_succeeded: int
    reloads_failed: int
    last_reload_error: str


class PcsClient:
    """Client of pcs.v1.PatternConfidence. Use as a context manager (closes
    the channel) or call close(). Thread-safe like the underlying channel."""

    def __init__(self, target: str = "127.0.0.1:50051", *, timeout: float = 5.0,
                 retries: int = 3, backoff: float = 0.1,
                 channel: Optional[grpc.Channel] = None):
        self._channel = channel or grpc.insecure_channel(target)
        self._stub = pb_grpc.PatternConfidenceStub(self._channel)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff

    def __enter__(self) -> "PcsClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._channel.close()

    def _call(self, fn: Callable[..., T], request, timeout: Optional[float]) -> T:
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                return fn(request, timeout=timeout if timeout is not None else self.timeout)
            except grpc.RpcError as e:  # grpc.Call carries code()/details()
                code = e.code()
                if code == grpc.StatusCode.UNAVAILABLE and attempt < self.retries:
                    time.sleep(delay)
                    delay *= 2
                    continue
                raise PcsError(code, e.details() or "") from None
        raise AssertionError("unreachable")

    def score(self, pattern_id: str, *, top_k: int = 0, skip_trace: bool = False,
              timeout: Optional[float] = None) -> Score:
        request = pb.ScorePatternRequest(pattern_id=pattern_id, top_k=top_k,
                                         skip_trace=skip_trace)
        return Score.from_proto(self._call(self._stub.ScorePattern, request, timeout))

    def score_batch(self, pattern_ids: Sequence[str], *, top_k: int = 0,
                    timeout: Optional[float] = None) -> Dict[str, "Score | PcsError"]:
        """Per-id result: a Score, or a PcsError for that id alone."""
        request = pb.ScoreBatchRequest(pattern_ids=list(pattern_ids), top_k=top_k)
        response = self._call(self._stub.ScoreBatch, request, timeout)
        out: Dict[str, "Score | PcsError"] = {}
        for item in response.items:
            if item.code == 0:
                out[item.pattern_id] = Score.from_proto(item.response)
            else:
                out[item.pattern_id] = PcsError(grpc.StatusCode(_code(item.code)), item.error)
        return out

    def describe_model(self, version: str = "", *, timeout: Optional[float] = None) -> ModelInfo:
        d = self._call(self._stub.DescribeModel, pb.DescribeModelRequest(version=version), timeout)
        return ModelInfo(version=d.version, status=d.status, num_trees=d.num_trees,
                         feature_names=list(d.feature_schema.names),
                         feature_schema_hash=d.feature_schema.hash,
                         decision_threshold=d.decision_threshold, blend_weight=d.blend_weight,
                         phase5_enabled=d.phase5_enabled, metrics=dict(d.metrics))

    def list_versions(self, *, timeout: Optional[float] = None) -> List[VersionStatus]:
        r = self._call(self._stub.ListModelVersions, pb.ListModelVersionsRequest(), timeout)
        return [VersionStatus(v.version, v.state, v.reason, v.serving) for v in r.versions]

    def serving_status(self, *, timeout: Optional[float] = None) -> ServingStatus:
        s = self._call(self._stub.GetServingStatus, pb.GetServingStatusRequest(), timeout)
        return ServingStatus(s.database_reachable, s.serving_version, s.phase5_enabled,
                             s.reloads_succeeded, s.reloads_failed, s.last_reload_error)


def _code(number: int):
    for code in grpc.StatusCode:
        if code.value[0] == number:
            return code.value
    return grpc.StatusCode.UNKNOWN.value
