"""Typed Python client of the Pattern Confidence Service (pcs.v1).

    from pcs_client import PcsClient

    with PcsClient("127.0.0.1:50051", timeout=2.0) as client:
        score = client.score("01b0e9355751132e", top_k=5)
        print(score.blended_confidence, score.fallback_reason)
"""
from pcs_client.client import (Contribution, ModelInfo, PcsClient, PcsError, Score, ServingStatus,
                               VersionStatus)

__all__ = ["Contribution", "ModelInfo", "PcsClient", "PcsError", "Score", "ServingStatus",
           "VersionStatus"]
