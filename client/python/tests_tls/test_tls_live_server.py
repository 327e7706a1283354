"""The TLS options of both clients against a real pcs-server serving TLS and
mTLS (certificates made by openssl at test time by tests/client/
pcs_client_test, which starts the server and sets the environment):

PCS_TLS_SERVER     host:port of the TLS server (its certificate names
                   localhost and 127.0.0.1)
PCS_TLS_CA         the CA that signed the server and client certificates
PCS_TLS_OTHER_CA   a CA nobody trusts
PCS_TLS_CLIENT_CERT / PCS_TLS_CLIENT_KEY  a client certificate whose subject
                   is on the server's allow-list with write access
PCS_PATTERN_ID     a stored pattern
"""
from __future__ import annotations

import asyncio
import os
import pathlib

import grpc
import pytest

from pcs_client import PcsClient, PcsError
from pcs_client.aio import PcsClient as AioPcsClient

SERVER = os.environ["PCS_TLS_SERVER"]
CA = os.environ["PCS_TLS_CA"]
PATTERN = os.environ["PCS_PATTERN_ID"]


def test_root_certificates_as_path_and_bytes() -> None:
    with PcsClient(SERVER, root_certificates=CA, retries=0) as c:
        assert c.score(PATTERN).pattern_id == PATTERN
    with PcsClient(SERVER, root_certificates=pathlib.Path(CA).read_bytes(), retries=0) as c:
        assert c.serving_status().database_reachable


def test_server_name_overrides_the_checked_name() -> None:
    port = SERVER.rsplit(":", 1)[1]
    with PcsClient(f"127.0.0.1:{port}", root_certificates=CA, server_name="localhost",
                   retries=0) as c:
        assert c.score(PATTERN).pattern_id == PATTERN


def test_aio_client_over_tls() -> None:
    async def run() -> str:
        async with AioPcsClient(SERVER, root_certificates=CA, retries=0) as c:
            return (await c.score(PATTERN)).pattern_id
    assert asyncio.run(run()) == PATTERN


def test_server_certificate_from_another_ca_is_refused() -> None:
    with PcsClient(SERVER, root_certificates=os.environ["PCS_TLS_OTHER_CA"], retries=0,
                   timeout=2.0) as c:
        with pytest.raises(PcsError) as err:
            c.score(PATTERN)
    assert err.value.code == grpc.StatusCode.UNAVAILABLE


def test_plaintext_client_against_tls_is_refused() -> None:
    with PcsClient(SERVER, retries=0, timeout=2.0) as c:
        with pytest.raises(PcsError) as err:
            c.score(PATTERN)
    assert err.value.code == grpc.StatusCode.UNAVAILABLE


def test_client_certificate_is_the_write_identity() -> None:
    with PcsClient(SERVER, root_certificates=CA, retries=0) as anonymous:
        with pytest.raises(PcsError) as err:
            anonymous.evaluate(PATTERN)
    assert err.value.code == grpc.StatusCode.UNAUTHENTICATED
    with PcsClient(SERVER, root_certificates=CA, retries=0,
                   client_certificate=os.environ["PCS_TLS_CLIENT_CERT"],
                   client_key=os.environ["PCS_TLS_CLIENT_KEY"]) as analyst:
        try:
            analyst.evaluate(PATTERN)  # authorized: decided, or refused by the lifecycle
        except PcsError as e:
            assert e.code == grpc.StatusCode.FAILED_PRECONDITION, e
