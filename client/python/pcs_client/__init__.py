"""Typed Python client of the Pattern Confidence Service (pcs.v1), sync and asyncio.

    from pcs_client import PcsClient

    with PcsClient("127.0.0.1:50051", timeout=2.0) as client:
        score = client.score("01b0e9355751132e", top_k=5)
        print(score.blended_confidence, score.fallback_reason)

The asyncio client, pcs_client.aio.PcsClient, has the same methods as
coroutines. Both cover every RPC of proto/pcs/v1 and take the same TLS and
bearer-token options.
"""
from pcs_client.client import PcsClient
from pcs_client.types import (Bar, Contribution, Evaluation, KeyPoint, ModelInfo, ModelVersions,
                              MonitoringReport, PatternSpec, PcsError, Score, ScoreResult,
                              ServingStatus, VersionStatus)

__all__ = ["Bar", "Contribution", "Evaluation", "KeyPoint", "ModelInfo", "ModelVersions",
           "MonitoringReport", "PatternSpec", "PcsClient", "PcsError", "Score", "ScoreResult",
           "ServingStatus", "VersionStatus"]
