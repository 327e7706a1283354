"""Conversions between the generated pcs.v1 messages and pcs_client.types.

Shared by the sync and the asyncio client, so both build the same requests
and return the same values.
"""
from __future__ import annotations

import json
from typing import Any, Dict, Iterable, Sequence

import grpc

from pcs_client._generated import pattern_confidence_pb2 as pb
from pcs_client.types import (Bar, Contribution, Evaluation, KeyPoint, ModelInfo, ModelVersions,
                              MonitoringReport, PatternSpec, PcsError, Score, ScoreResult,
                              ServingStatus, VersionStatus)

_CODES: Dict[int, grpc.StatusCode] = {code.value[0]: code for code in grpc.StatusCode}


def status_code(number: int) -> grpc.StatusCode:
    """The grpc.StatusCode with this number (UNKNOWN for an unknown one)."""
    return _CODES.get(number, grpc.StatusCode.UNKNOWN)


def score(r: pb.ScoreResponse) -> Score:
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


def batch_item(item: pb.ScoreBatchItem) -> ScoreResult:
    if item.code == 0:
        return score(item.response)
    return PcsError(status_code(item.code), item.error)


def batch(r: pb.ScoreBatchResponse) -> Dict[str, ScoreResult]:
    return {item.pattern_id: batch_item(item) for item in r.items}


def evaluation(r: pb.EvaluatePatternResponse) -> Evaluation:
    return Evaluation(score=score(r.score), from_state=r.from_state, to_state=r.to_state,
                      transition_recorded=r.transition_recorded)


def model_info(d: pb.DescribeModelResponse) -> ModelInfo:
    return ModelInfo(version=d.version, status=d.status, num_trees=d.num_trees,
                     feature_names=list(d.feature_schema.names),
                     feature_schema_hash=d.feature_schema.hash,
                     decision_threshold=d.decision_threshold, blend_weight=d.blend_weight,
                     phase5_enabled=d.phase5_enabled, metrics=dict(d.metrics),
                     feature_schema_version=d.feature_schema.version,
                     trained_at=d.trained_at, code_version=d.code_version,
                     model_sha256=d.model_sha256, gate_reason=d.gate_reason,
                     model_card_json=d.model_card_json)


def model_versions(r: pb.ListModelVersionsResponse) -> ModelVersions:
    return ModelVersions(
        versions=[VersionStatus(v.version, v.state, v.reason, v.serving, v.updated_unix)
                  for v in r.versions],
        aspired_version=r.aspired_version, pinned=r.pinned)


def serving_status(s: pb.GetServingStatusResponse) -> ServingStatus:
    return ServingStatus(s.database_reachable, s.serving_version, s.phase5_enabled,
                         s.reloads_succeeded, s.reloads_failed, s.last_reload_error,
                         s.trace_queue_depth, s.trace_written, s.trace_dropped,
                         s.uptime_seconds)


def monitoring_report(m: pb.GetMonitoringReportResponse) -> MonitoringReport:
    details: Dict[str, Any] = {}
    if m.details_json:
        parsed = json.loads(m.details_json)
        if isinstance(parsed, dict):
            details = parsed
    return MonitoringReport(
        run_id=m.run_id, finished_at=m.finished_at, model_version=m.model_version,
        since=m.since, as_of=m.as_of, recent_rows=m.recent_rows, max_feature=m.max_feature,
        max_psi=m.max_psi, score_psi=m.score_psi, alert=m.alert,
        alert_outcome=m.alert_outcome, alert_error=m.alert_error,
        details_json=m.details_json, details=details)


def _bar(b: Bar) -> pb.Bar:
    return pb.Bar(day=b.day, open=b.open, high=b.high, low=b.low, close=b.close,
                  adj_close=b.adj_close, volume=b.volume)


def _key_point(k: KeyPoint) -> pb.KeyPoint:
    return pb.KeyPoint(role=k.role, day=k.day, price=k.price)


def inline_request(pattern: PatternSpec, bars: Iterable[Bar], market_bars: Iterable[Bar],
                   top_k: int) -> pb.ScoreInlineRequest:
    spec = pb.PatternSpec(
        symbol=pattern.symbol, pattern_type=pattern.pattern_type,
        direction=pattern.direction, formation_start=pattern.formation_start,
        formation_end=pattern.formation_end, confirmation_date=pattern.confirmation_date,
        key_points=[_key_point(k) for k in pattern.key_points],
        breakout_level=pattern.breakout_level, target_price=pattern.target_price,
        stop_price=pattern.stop_price, rule_confidence=pattern.rule_confidence,
        rule_criteria=dict(pattern.rule_criteria))
    return pb.ScoreInlineRequest(pattern=spec, bars=[_bar(b) for b in bars],
                                 market_bars=[_bar(b) for b in market_bars], top_k=top_k)


def batch_request(pattern_ids: Sequence[str], top_k: int,
                  skip_trace: bool) -> pb.ScoreBatchRequest:
    if isinstance(pattern_ids, str):  # a str is a Sequence[str] too: refuse it
        raise TypeError("pattern_ids must be a sequence of ids, not one str")
    return pb.ScoreBatchRequest(pattern_ids=list(pattern_ids), top_k=top_k,
                                skip_trace=skip_trace)
