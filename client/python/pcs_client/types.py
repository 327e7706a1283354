"""The client's typed values: what the RPCs return and what ScoreInline takes.

Plain frozen dataclasses, the same for the sync client (pcs_client.PcsClient)
and the asyncio client (pcs_client.aio.PcsClient). Field meanings follow
proto/pcs/v1/pattern_confidence.proto.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Union

import grpc


class PcsError(Exception):
    """A failed RPC: ``code`` is the grpc.StatusCode, ``details`` the
    server's message (it names the offending field for INVALID_ARGUMENT)."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details


@dataclass(frozen=True)
class Contribution:
    """One feature's share of the ML margin (TreeSHAP, log-odds)."""
    feature: str
    value: float
    contribution: float


@dataclass(frozen=True)
class Score:
    """A ScoreResponse. ``ml_confidence`` is None when no model output was
    used (see ``fallback_reason``). ``timing_us`` keys: database, features,
    predict, contributions, total."""
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


# One item of score_batch / score_stream: the score, or the error of that id.
ScoreResult = Union[Score, PcsError]


@dataclass(frozen=True)
class Evaluation:
    """An EvaluatePattern answer: the score the decision came from and the
    lifecycle move (``transition_recorded`` is False when the pattern already
    was in ``to_state`` from an earlier evaluation)."""
    score: Score
    from_state: str
    to_state: str
    transition_recorded: bool


@dataclass(frozen=True)
class ModelInfo:
    """A DescribeModelResponse (empty ``version`` when no model is loaded)."""
    version: str
    status: str
    num_trees: int
    feature_names: List[str]
    feature_schema_hash: str
    decision_threshold: float
    blend_weight: float
    phase5_enabled: bool
    metrics: Dict[str, float] = field(default_factory=dict)
    feature_schema_version: str = ""
    trained_at: str = ""
    code_version: str = ""
    model_sha256: str = ""
    gate_reason: str = ""
    model_card_json: str = ""


@dataclass(frozen=True)
class VersionStatus:
    """One registry version: state is loading, available, failed or unloaded."""
    version: str
    state: str
    reason: str
    serving: bool
    updated_unix: int = 0


@dataclass(frozen=True)
class ModelVersions:
    """A ListModelVersionsResponse. Iterating it iterates ``versions``."""
    versions: List[VersionStatus]
    aspired_version: str
    pinned: bool

    def __iter__(self) -> Iterator[VersionStatus]:
        return iter(self.versions)

    def __len__(self) -> int:
        return len(self.versions)


@dataclass(frozen=True)
class ServingStatus:
    """A GetServingStatusResponse."""
    database_reachable: bool
    serving_version: str
    phase5_enabled: bool
    reloads_succeeded: int
    reloads_failed: int
    last_reload_error: str
    trace_queue_depth: int = 0
    trace_written: int = 0
    trace_dropped: int = 0
    uptime_seconds: int = 0


@dataclass(frozen=True)
class MonitoringReport:
    """A GetMonitoringReportResponse: the latest `pcs drift` run.
    ``details`` is ``details_json`` parsed (an empty dict when empty)."""
    run_id: int
    finished_at: str
    model_version: str
    since: str
    as_of: str
    recent_rows: int
    max_feature: str
    max_psi: float
    score_psi: float
    alert: bool
    alert_outcome: str
    alert_error: str
    details_json: str
    details: Dict[str, Any]


@dataclass(frozen=True)
class KeyPoint:
    """A pivot or anchor of a pattern (``day`` is YYYY-MM-DD)."""
    role: str
    day: str
    price: float


@dataclass(frozen=True)
class Bar:
    """One daily OHLCV bar (``adj_close`` 0 means "same as close")."""
    day: str
    open: float
    high: float
    low: float
    close: float
    volume: float
    adj_close: float = 0.0


@dataclass(frozen=True)
class PatternSpec:
    """A pattern as the rule detectors report it, for score_inline."""
    symbol: str
    pattern_type: str
    direction: str
    confirmation_date: str
    rule_confidence: float
    formation_start: str = ""
    formation_end: str = ""
    key_points: Sequence[KeyPoint] = ()
    breakout_level: float = 0.0
    target_price: float = 0.0
    stop_price: float = 0.0
    rule_criteria: Mapping[str, float] = field(default_factory=dict)
