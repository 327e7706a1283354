"""Shared settings of the live-server tests.

Environment (set by tests/client/pcs_client_test, which starts pcs-server):
  PCS_SERVER         host:port of a running pcs-server (tests skip without it)
  PCS_PATTERN_IDS    comma-separated stored pattern ids (at least 3)
  PCS_EVALUATE_IDS   two stored patterns EvaluatePattern may still decide
  PCS_MODEL_VERSION  the version the server serves
  PCS_INLINE_JSON    a stored pattern and its bars as JSON (for ScoreInline)
  PCS_TOKEN          a bearer token the server's allow-list lets write
  PCS_READ_TOKEN     a bearer token the allow-list lets only read
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Dict, List

import pytest

from pcs_client import Bar, KeyPoint, PatternSpec


# Each RPC of pcs.v1 and the method of PcsClient (sync and aio) that calls it.
RPC_METHODS: Dict[str, str] = {
    "ScorePattern": "score", "ScoreInline": "score_inline", "ScoreBatch": "score_batch",
    "ScoreStream": "score_stream", "EvaluatePattern": "evaluate",
    "DescribeModel": "describe_model", "ListModelVersions": "list_versions",
    "GetServingStatus": "serving_status", "GetMonitoringReport": "monitoring_report",
    "ListPatterns": "list_patterns", "GetPattern": "get_pattern",
    "GetPatternBars": "pattern_bars", "OverridePattern": "override",
    "GetMonitoringSummary": "monitoring_summary"}


@dataclass(frozen=True)
class Live:
    server: str
    pattern_ids: List[str]
    evaluate_ids: List[str]
    model_version: str
    token: str
    read_token: str


@dataclass(frozen=True)
class InlinePattern:
    pattern_id: str
    spec: PatternSpec
    bars: List[Bar]
    market_bars: List[Bar]


@pytest.fixture(scope="session")
def live() -> Live:
    server = os.environ.get("PCS_SERVER", "")
    if not server:
        pytest.skip("PCS_SERVER is not set (run through tests/client/pcs_client_test)")
    ids = [i for i in os.environ["PCS_PATTERN_IDS"].split(",") if i]
    evaluate_ids = [i for i in os.environ["PCS_EVALUATE_IDS"].split(",") if i]
    assert len(ids) >= 3 and len(evaluate_ids) == 2
    return Live(server, ids, evaluate_ids, os.environ["PCS_MODEL_VERSION"],
                os.environ["PCS_TOKEN"], os.environ["PCS_READ_TOKEN"])


def _bars(rows: List[Dict[str, Any]]) -> List[Bar]:
    return [Bar(day=r["day"], open=r["open"], high=r["high"], low=r["low"], close=r["close"],
                adj_close=r["adj_close"], volume=r["volume"]) for r in rows]


@pytest.fixture(scope="session")
def inline_pattern(live: Live) -> InlinePattern:
    with open(os.environ["PCS_INLINE_JSON"], encoding="utf-8") as f:
        d = json.load(f)
    p = d["pattern"]
    spec = PatternSpec(
        symbol=p["symbol"], pattern_type=p["pattern_type"], direction=p["direction"],
        confirmation_date=p["confirmation_date"], rule_confidence=p["rule_confidence"],
        formation_start=p["formation_start"], formation_end=p["formation_end"],
        key_points=[KeyPoint(k["role"], k["day"], k["price"]) for k in p["key_points"]],
        breakout_level=p["breakout_level"], target_price=p["target_price"],
        stop_price=p["stop_price"], rule_criteria=p["rule_criteria"])
    return InlinePattern(d["pattern_id"], spec, _bars(d["bars"]), _bars(d["market_bars"]))
