"""The pcs.v1.PatternConfidence method table, typed.

Hand-written instead of a generated *_pb2_grpc module: each method names its
path and its request/response message classes, and the sync and asyncio
stubs below are built from that one table, so mypy knows every request and
response type. tests/ checks the table against the service descriptor.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Type, TypeVar

import grpc
import grpc.aio
from google.protobuf.message import Message

from pcs_client._generated import pattern_confidence_pb2 as pb

Req = TypeVar("Req", bound=Message)
Resp = TypeVar("Resp", bound=Message)

SERVICE = "pcs.v1.PatternConfidence"


@dataclass(frozen=True)
class Method(Generic[Req, Resp]):
    name: str
    request: Type[Req]
    response: Type[Resp]

    @property
    def path(self) -> str:
        return f"/{SERVICE}/{self.name}"


SCORE_PATTERN = Method("ScorePattern", pb.ScorePatternRequest, pb.ScoreResponse)
SCORE_INLINE = Method("ScoreInline", pb.ScoreInlineRequest, pb.ScoreResponse)
SCORE_BATCH = Method("ScoreBatch", pb.ScoreBatchRequest, pb.ScoreBatchResponse)
SCORE_STREAM = Method("ScoreStream", pb.ScorePatternRequest, pb.ScoreBatchItem)
EVALUATE_PATTERN = Method("EvaluatePattern", pb.EvaluatePatternRequest,
                          pb.EvaluatePatternResponse)
DESCRIBE_MODEL = Method("DescribeModel", pb.DescribeModelRequest, pb.DescribeModelResponse)
LIST_MODEL_VERSIONS = Method("ListModelVersions", pb.ListModelVersionsRequest,
                             pb.ListModelVersionsResponse)
GET_SERVING_STATUS = Method("GetServingStatus", pb.GetServingStatusRequest,
                            pb.GetServingStatusResponse)
GET_MONITORING_REPORT = Method("GetMonitoringReport", pb.GetMonitoringReportRequest,
                               pb.GetMonitoringReportResponse)
LIST_PATTERNS = Method("ListPatterns", pb.ListPatternsRequest, pb.ListPatternsResponse)
GET_PATTERN = Method("GetPattern", pb.GetPatternRequest, pb.GetPatternResponse)
GET_PATTERN_BARS = Method("GetPatternBars", pb.GetPatternBarsRequest,
                          pb.GetPatternBarsResponse)
OVERRIDE_PATTERN = Method("OverridePattern", pb.OverridePatternRequest,
                          pb.OverridePatternResponse)
GET_MONITORING_SUMMARY = Method("GetMonitoringSummary", pb.GetMonitoringSummaryRequest,
                                pb.GetMonitoringSummaryResponse)
UNARY_METHODS = (SCORE_PATTERN, SCORE_INLINE, SCORE_BATCH, EVALUATE_PATTERN, DESCRIBE_MODEL,
                 LIST_MODEL_VERSIONS, GET_SERVING_STATUS, GET_MONITORING_REPORT,
                 LIST_PATTERNS, GET_PATTERN, GET_PATTERN_BARS, OVERRIDE_PATTERN,
                 GET_MONITORING_SUMMARY)
STREAM_METHODS = (SCORE_STREAM,)


def _unary(channel: grpc.Channel,
           m: Method[Req, Resp]) -> grpc.UnaryUnaryMultiCallable[Req, Resp]:
    return channel.unary_unary(m.path, request_serializer=m.request.SerializeToString,
                               response_deserializer=m.response.FromString)


def _unary_aio(channel: grpc.aio.Channel,
               m: Method[Req, Resp]) -> grpc.aio.UnaryUnaryMultiCallable[Req, Resp]:
    return channel.unary_unary(m.path, request_serializer=m.request.SerializeToString,
                               response_deserializer=m.response.FromString)


class Stub:
    """Callables of a sync grpc.Channel, one per RPC."""

    def __init__(self, channel: grpc.Channel) -> None:
        self.score_pattern = _unary(channel, SCORE_PATTERN)
        self.score_inline = _unary(channel, SCORE_INLINE)
        self.score_batch = _unary(channel, SCORE_BATCH)
        self.score_stream = channel.stream_stream(
            SCORE_STREAM.path, request_serializer=pb.ScorePatternRequest.SerializeToString,
            response_deserializer=pb.ScoreBatchItem.FromString)
        self.evaluate_pattern = _unary(channel, EVALUATE_PATTERN)
        self.describe_model = _unary(channel, DESCRIBE_MODEL)
        self.list_model_versions = _unary(channel, LIST_MODEL_VERSIONS)
        self.get_serving_status = _unary(channel, GET_SERVING_STATUS)
        self.get_monitoring_report = _unary(channel, GET_MONITORING_REPORT)
        self.list_patterns = _unary(channel, LIST_PATTERNS)
        self.get_pattern = _unary(channel, GET_PATTERN)
        self.get_pattern_bars = _unary(channel, GET_PATTERN_BARS)
        self.override_pattern = _unary(channel, OVERRIDE_PATTERN)
        self.get_monitoring_summary = _unary(channel, GET_MONITORING_SUMMARY)


class AioStub:
    """Callables of a grpc.aio.Channel, one per RPC."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.score_pattern = _unary_aio(channel, SCORE_PATTERN)
        self.score_inline = _unary_aio(channel, SCORE_INLINE)
        self.score_batch = _unary_aio(channel, SCORE_BATCH)
        self.score_stream = channel.stream_stream(
            SCORE_STREAM.path, request_serializer=pb.ScorePatternRequest.SerializeToString,
            response_deserializer=pb.ScoreBatchItem.FromString)
        self.evaluate_pattern = _unary_aio(channel, EVALUATE_PATTERN)
        self.describe_model = _unary_aio(channel, DESCRIBE_MODEL)
        self.list_model_versions = _unary_aio(channel, LIST_MODEL_VERSIONS)
        self.get_serving_status = _unary_aio(channel, GET_SERVING_STATUS)
        self.get_monitoring_report = _unary_aio(channel, GET_MONITORING_REPORT)
        self.list_patterns = _unary_aio(channel, LIST_PATTERNS)
        self.get_pattern = _unary_aio(channel, GET_PATTERN)
        self.get_pattern_bars = _unary_aio(channel, GET_PATTERN_BARS)
        self.override_pattern = _unary_aio(channel, OVERRIDE_PATTERN)
        self.get_monitoring_summary = _unary_aio(channel, GET_MONITORING_SUMMARY)
