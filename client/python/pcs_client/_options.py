"""Options shared by the sync and the asyncio client: transport security,
the bearer token, and the retry schedule."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterator, List, Optional, Tuple, Union

import grpc

# A PEM file path, or the PEM bytes themselves.
PemSource = Union[str, "os.PathLike[str]", bytes]
Metadata = Tuple[Tuple[str, str], ...]
ChannelOptions = List[Tuple[str, Union[str, int]]]


def _read_pem(source: Optional[PemSource]) -> Optional[bytes]:
    if source is None or isinstance(source, bytes):
        return source
    with open(source, "rb") as f:
        return f.read()


@dataclass(frozen=True)
class Security:
    """How the channel authenticates the server and itself.

    tls                 use TLS (implied by any certificate option)
    root_certificates   CA bundle that signed the server certificate (PEM path
                        or bytes); None with TLS means the system's roots
    client_certificate  client certificate chain for mTLS (PEM path or bytes)
    client_key          its private key (PEM path or bytes)
    server_name         name to check in the server certificate instead of
                        the target's host (grpc.ssl_target_name_override)
    token / token_file  bearer token (or a file holding it, surrounding
                        whitespace stripped), sent on every call as
                        ``authorization: Bearer <token>``
    """
    tls: bool = False
    root_certificates: Optional[PemSource] = None
    client_certificate: Optional[PemSource] = None
    client_key: Optional[PemSource] = None
    server_name: Optional[str] = None
    token: Optional[str] = None
    token_file: Optional[Union[str, "os.PathLike[str]"]] = None

    def __post_init__(self) -> None:
        if (self.client_certificate is None) != (self.client_key is None):
            raise ValueError("client_certificate and client_key go together (mTLS)")
        if self.token is not None and self.token_file is not None:
            raise ValueError("give token or token_file, not both")

    @property
    def uses_tls(self) -> bool:
        return (self.tls or self.root_certificates is not None
                or self.client_certificate is not None)

    def channel_credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(
            root_certificates=_read_pem(self.root_certificates),
            private_key=_read_pem(self.client_key),
            certificate_chain=_read_pem(self.client_certificate))

    def channel_options(self) -> ChannelOptions:
        if self.server_name:
            return [("grpc.ssl_target_name_override", self.server_name)]
        return []

    def metadata(self) -> Metadata:
        """Per-call metadata: the bearer token when one is configured. Sent
        as metadata (not call credentials) so it also works on plaintext
        loopback channels."""
        token = self.token
        if self.token_file is not None:
            with open(self.token_file, encoding="utf-8") as f:
                token = f.read().strip()
            if not token:
                raise ValueError(f"token file {os.fspath(self.token_file)} is empty")
        return (("authorization", f"Bearer {token}"),) if token else ()


@dataclass(frozen=True)
class Retry:
    """Calls failing with UNAVAILABLE are retried ``retries`` times, waiting
    ``backoff`` seconds, then twice as long each time."""
    retries: int = 3
    backoff: float = 0.1

    def __post_init__(self) -> None:
        if self.retries < 0 or self.backoff < 0:
            raise ValueError("retries and backoff must be >= 0")

    def delays(self) -> Iterator[float]:
        """The waits before each retry (``retries`` of them)."""
        delay = self.backoff
        for _ in range(self.retries):
            yield delay
            delay *= 2


def retryable(code: grpc.StatusCode) -> bool:
    return code == grpc.StatusCode.UNAVAILABLE
