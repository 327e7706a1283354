"""pytest against a live pcs-server.

Environment (set by the ctest wrapper tests/client/run_python_client_test.sh):
  PCS_SERVER       host:port of a running pcs-server
  PCS_PATTERN_ID   a stored pattern id
  PCS_MODEL_VERSION the version the server serves ("" for none)
"""
import os

import grpc
import pytest

from pcs_client import PcsClient, PcsError

SERVER = os.environ.get("PCS_SERVER", "")
pytestmark = pytest.mark.skipif(not SERVER, reason="PCS_SERVER is not set")


@pytest.fixture()
def client():
    with PcsClient(SERVER, timeout=10.0) as c:
        yield c


def test_score_by_id(client):
    score = client.score(os.environ["PCS_PATTERN_ID"], top_k=4)
    assert score.pattern_id == os.environ["PCS_PATTERN_ID"]
    assert 0.0 <= score.rule_confidence <= 1.0
    assert score.model_version == os.environ["PCS_MODEL_VERSION"]
    assert score.ml_confidence is not None
    assert score.fallback_reason == ""
    assert len(score.top_contributions) == 4
    expected = (score.ml_weight_used * score.ml_confidence
                + (1 - score.ml_weight_used) * score.rule_confidence)
    assert score.blended_confidence == pytest.approx(expected, abs=1e-12)
    assert score.timing_us["total"] > 0


def test_unknown_id_is_not_found(client):
    with pytest.raises(PcsError) as err:
        client.score("00000000deadbeef")
    assert err.value.code == grpc.StatusCode.NOT_FOUND


def test_invalid_id_names_the_field(client):
    with pytest.raises(PcsError) as err:
        client.score("nope")
    assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "pattern_id" in err.value.details


def test_batch_has_per_item_errors(client):
    results = client.score_batch([os.environ["PCS_PATTERN_ID"], "00000000deadbeef"])
    assert results[os.environ["PCS_PATTERN_ID"]].pattern_id == os.environ["PCS_PATTERN_ID"]
    assert isinstance(results["00000000deadbeef"], PcsError)
    assert results["00000000deadbeef"].code == grpc.StatusCode.NOT_FOUND


def test_describe_and_status(client):
    info = client.describe_model()
    assert info.version == os.environ["PCS_MODEL_VERSION"]
    assert info.num_trees > 0
    assert len(info.feature_names) > 10
    status = client.serving_status()
    assert status.database_reachable
    assert status.serving_version == info.version
    versions = client.list_versions()
    assert any(v.serving and v.version == info.version for v in versions)


def test_unavailable_is_retried_then_raised():
    with PcsClient("127.0.0.1:1", timeout=1.0, retries=2, backoff=0.01) as c:
        with pytest.raises(PcsError) as err:
            c.serving_status()
    assert err.value.code == grpc.StatusCode.UNAVAILABLE
