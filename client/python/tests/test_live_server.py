"""The sync client against a live pcs-server (every RPC of pcs.v1)."""
from __future__ import annotations

import pathlib
from dataclasses import replace
from typing import Any, Callable, Iterator

import grpc
import grpc.aio
import pytest
from conftest import RPC_METHODS, InlinePattern, Live

from pcs_client import PcsClient, PcsError, Score
from pcs_client import _rpc
from pcs_client._generated import pattern_confidence_pb2 as pb

MISSING = "00000000deadbeef"


@pytest.fixture()
def client(live: Live) -> Iterator[PcsClient]:
    with PcsClient(live.server, timeout=10.0, token=live.token) as c:
        yield c


def test_score_by_id(client: PcsClient, live: Live) -> None:
    score = client.score(live.pattern_ids[0], top_k=4)
    assert score.pattern_id == live.pattern_ids[0]
    assert 0.0 <= score.rule_confidence <= 1.0
    assert score.model_version == live.model_version
    assert score.ml_confidence is not None
    assert score.fallback_reason == ""
    assert len(score.top_contributions) == 4
    expected = (score.ml_weight_used * score.ml_confidence
                + (1 - score.ml_weight_used) * score.rule_confidence)
    assert score.blended_confidence == pytest.approx(expected, abs=1e-12)
    assert score.timing_us["total"] > 0


def test_unknown_id_is_not_found(client: PcsClient) -> None:
    with pytest.raises(PcsError) as err:
        client.score(MISSING)
    assert err.value.code == grpc.StatusCode.NOT_FOUND


def test_invalid_id_names_the_field(client: PcsClient) -> None:
    with pytest.raises(PcsError) as err:
        client.score("nope")
    assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "pattern_id" in err.value.details


def test_batch_has_per_item_errors(client: PcsClient, live: Live) -> None:
    results = client.score_batch([live.pattern_ids[0], MISSING])
    first = results[live.pattern_ids[0]]
    assert isinstance(first, Score) and first.pattern_id == live.pattern_ids[0]
    missing = results[MISSING]
    assert isinstance(missing, PcsError) and missing.code == grpc.StatusCode.NOT_FOUND


def test_stream_answers_in_order_with_per_item_errors(client: PcsClient, live: Live) -> None:
    ids = [live.pattern_ids[0], MISSING, live.pattern_ids[2]]
    items = list(client.score_stream(iter(ids), top_k=2))
    assert [pattern_id for pattern_id, _ in items] == ids
    assert isinstance(items[0][1], Score) and len(items[0][1].top_contributions) == 2
    assert isinstance(items[1][1], PcsError) and items[1][1].code == grpc.StatusCode.NOT_FOUND
    by_id = client.score(live.pattern_ids[2])
    assert isinstance(items[2][1], Score)
    assert items[2][1].blended_confidence == by_id.blended_confidence


def test_inline_scores_like_the_stored_pattern(client: PcsClient,
                                               inline_pattern: InlinePattern) -> None:
    stored = client.score(inline_pattern.pattern_id, top_k=3)
    inline = client.score_inline(inline_pattern.spec, inline_pattern.bars,
                                 market_bars=inline_pattern.market_bars, top_k=3)
    assert inline.pattern_id == inline_pattern.pattern_id
    assert inline.ml_confidence == stored.ml_confidence
    assert inline.margin == stored.margin
    assert inline.timing_us["database"] == 0


def test_inline_validation_names_the_field(client: PcsClient,
                                           inline_pattern: InlinePattern) -> None:
    bad = replace(inline_pattern.spec, pattern_type="zigzag")
    with pytest.raises(PcsError) as err:
        client.score_inline(bad, inline_pattern.bars)
    assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "pattern.pattern_type" in err.value.details


def test_evaluate_records_one_decision(client: PcsClient, live: Live) -> None:
    pattern_id = live.evaluate_ids[0]
    first = client.evaluate(pattern_id, top_k=1)
    assert first.score.pattern_id == pattern_id
    assert first.to_state in ("confirmed", "rejected")
    assert first.to_state == ("confirmed" if first.score.decision == "confirm" else "rejected")
    again = client.evaluate(pattern_id)
    assert again.to_state == first.to_state
    assert not again.transition_recorded


def test_writes_need_a_write_token(live: Live, tmp_path: pathlib.Path) -> None:
    pattern_id = live.evaluate_ids[0]
    for token, code in ((None, grpc.StatusCode.UNAUTHENTICATED),
                        ("not-on-the-list-0123456789", grpc.StatusCode.UNAUTHENTICATED),
                        (live.read_token, grpc.StatusCode.PERMISSION_DENIED)):
        with PcsClient(live.server, token=token) as c:
            with pytest.raises(PcsError) as err:
                c.evaluate(pattern_id)
            assert err.value.code == code, token
            assert c.score(pattern_id).pattern_id == pattern_id  # reads stay open
    token_file = tmp_path / "token"
    token_file.write_text(f"  {live.token}\n")
    with PcsClient(live.server, token_file=token_file) as c:
        assert c.evaluate(pattern_id).to_state in ("confirmed", "rejected")


def test_describe_versions_and_status(client: PcsClient, live: Live) -> None:
    info = client.describe_model()
    assert info.version == live.model_version
    assert info.num_trees > 0
    assert len(info.feature_names) > 10
    assert info.model_sha256 and info.model_card_json
    assert client.describe_model(info.version).model_sha256 == info.model_sha256
    status = client.serving_status()
    assert status.database_reachable
    assert status.serving_version == info.version
    assert status.uptime_seconds >= 0
    versions = client.list_versions()
    assert versions.aspired_version == info.version and not versions.pinned
    assert any(v.serving and v.version == info.version for v in versions)
    assert len(versions) == len(versions.versions) >= 1


def test_monitoring_report(client: PcsClient) -> None:
    report = client.monitoring_report()  # the row tests/client/pcs_client_test inserted
    assert report.run_id > 0
    assert report.max_feature == "atr_14"
    assert report.alert and report.alert_outcome == "not_configured"
    assert report.details == {"source": "pcs_client_test"}


def test_console_rpcs(client: PcsClient, live: Live) -> None:
    page = client.list_patterns(pb.ListPatternsRequest(page_size=2, order="confirmed_asc"))
    assert len(page.patterns) == 2 and page.total >= len(live.pattern_ids)
    assert page.order == "confirmed_asc" and page.next_page_token == "2"
    target = live.pattern_ids[3]
    detail = client.get_pattern(target)
    assert detail.pattern.id == target
    bars = client.pattern_bars(target)
    assert bars.pattern_id == target and len(bars.bars) > 0
    with pytest.raises(PcsError) as err:
        with PcsClient(live.server, timeout=10.0, token=live.read_token) as reader:
            reader.override(target, "reject", "read token")
    assert err.value.code == grpc.StatusCode.PERMISSION_DENIED
    done = client.override(target, "reject", "python client")
    assert done.to_state == "rejected" and done.history_id > 0
    after = client.get_pattern(target)
    assert after.pattern.analyst_decision == "reject"
    assert after.history[-1].source == "analyst"
    assert client.monitoring_summary().analyst_agreement.overrides >= 1


class _CountingInterceptor(grpc.UnaryUnaryClientInterceptor):
    def __init__(self) -> None:
        self.calls = 0

    def intercept_unary_unary(self, continuation: Callable[[Any, Any], Any],
                              client_call_details: Any, request: Any) -> Any:
        self.calls += 1
        return continuation(client_call_details, request)


def test_unavailable_is_retried_then_raised() -> None:
    counter = _CountingInterceptor()
    channel = grpc.intercept_channel(grpc.insecure_channel("127.0.0.1:1"), counter)
    with PcsClient(channel=channel, timeout=1.0, retries=2, backoff=0.01) as c:
        with pytest.raises(PcsError) as err:
            c.serving_status()
    assert err.value.code == grpc.StatusCode.UNAVAILABLE
    assert counter.calls == 3  # one call and two retries


def test_evaluate_is_never_retried() -> None:
    counter = _CountingInterceptor()
    channel = grpc.intercept_channel(grpc.insecure_channel("127.0.0.1:1"), counter)
    with PcsClient(channel=channel, timeout=1.0, retries=2, backoff=0.01) as c:
        with pytest.raises(PcsError) as err:
            c.evaluate("0123456789abcdef")
    assert err.value.code == grpc.StatusCode.UNAVAILABLE
    assert counter.calls == 1  # a write: no retry


def test_other_errors_are_not_retried(live: Live) -> None:
    counter = _CountingInterceptor()
    channel = grpc.intercept_channel(grpc.insecure_channel(live.server), counter)
    with PcsClient(channel=channel, retries=3) as c:
        with pytest.raises(PcsError):
            c.score(MISSING)
    assert counter.calls == 1


async def _aio_channel() -> grpc.aio.Channel:
    return grpc.aio.insecure_channel("127.0.0.1:1")


def test_sync_client_refuses_an_aio_channel() -> None:
    import asyncio

    async def check() -> None:
        channel = await _aio_channel()
        with pytest.raises(TypeError, match="pcs_client.aio"):
            PcsClient(channel=channel)  # type: ignore[arg-type]  # mypy refuses it too
        await channel.close()
    asyncio.run(check())


def test_method_table_covers_the_service() -> None:
    service = pb.DESCRIPTOR.services_by_name["PatternConfidence"]
    table = {m.name: m for m in _rpc.UNARY_METHODS + _rpc.STREAM_METHODS}
    assert sorted(table) == sorted(m.name for m in service.methods)
    for method in service.methods:
        entry = table[method.name]
        assert entry.request.DESCRIPTOR.full_name == method.input_type.full_name
        assert entry.response.DESCRIPTOR.full_name == method.output_type.full_name
        streaming = method.client_streaming or method.server_streaming
        assert streaming == (entry in _rpc.STREAM_METHODS)


def test_every_rpc_has_a_client_method() -> None:
    service = pb.DESCRIPTOR.services_by_name["PatternConfidence"]
    assert sorted(RPC_METHODS) == sorted(m.name for m in service.methods)
    for name in RPC_METHODS.values():
        assert callable(getattr(PcsClient, name))
