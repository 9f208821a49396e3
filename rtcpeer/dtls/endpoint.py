"""Sans-IO DTLS 1.2 endpoint for WebRTC (RFC 6347, RFC 5764, RFC 8827 §6.5).

``DtlsEndpoint`` drives a pyOpenSSL ``Connection`` in memory-BIO mode: datagrams from the
peer go in with :meth:`~DtlsEndpoint.receive_datagram`, datagrams for the peer come out of
:meth:`~DtlsEndpoint.datagrams_to_send`, and what happened comes out of
:meth:`~DtlsEndpoint.next_event` (``DtlsConnected``, ``DtlsApplicationData``, ``DtlsFailed``,
``DtlsClosed``). No sockets, no asyncio, no threads.

Authentication (RFC 8122 §5, RFC 8827 §6.5): the peer certificate is self-signed and is
accepted by the X.509 verify callback whatever its chain; what authenticates the peer is
its fingerprint, compared with the ``a=fingerprint`` values from the remote SDP using the
hash each one names. The callback already refuses a certificate whose fingerprint does not
match (so OpenSSL sends a ``bad_certificate`` alert and no keys are ever exported), and the
check is repeated once the handshake completes. If the remote fingerprints are not known yet
(a ClientHello may arrive before the remote answer), pass an empty list: the handshake then
completes but the endpoint stays ``connecting`` and holds incoming application data until
:meth:`~DtlsEndpoint.set_remote_fingerprints` is called.

Datagram framing: OpenSSL writes records into a memory BIO, which is a byte stream, so the
output of one call may hold several records (a whole flight). Each record is at most the
configured MTU (handshake messages are fragmented to fit, ``SSL_OP_NO_QUERY_MTU`` keeps
OpenSSL from overriding the MTU); the endpoint splits the stream at record boundaries and
packs whole records into datagrams of at most ``mtu`` bytes (RFC 6347 §4.1.1 allows several
records per datagram). Incoming datagrams are fed to OpenSSL one at a time, so a bad
datagram never poisons the next one.

Timers: OpenSSL's DTLS retransmission timer reads the wall clock and pyOpenSSL exposes no
hook to replace it. :meth:`~DtlsEndpoint.get_timer` is therefore a *hint*: the ``now`` of
the last call into the endpoint plus ``DTLSv1_get_timeout()`` at that moment.
:meth:`~DtlsEndpoint.handle_timer` calls ``DTLSv1_handle_timeout()``, which retransmits only
if OpenSSL's own wall-clock deadline has passed (initially 1 s, doubling up to 60 s; after 12
timeouts OpenSSL gives up and the endpoint fails). Tests with virtual time must not drop
handshake datagrams; handshake-under-loss tests need real time.

Bad remote input never raises: datagrams that are not well-formed DTLS records are dropped
before OpenSSL sees them (``stats["dropped_datagrams"]``); well-formed records that fail
authentication or replay checks are discarded by OpenSSL (RFC 6347 §4.1.2.1) and counted in
``stats["dropped_records"]``. Only OpenSSL errors after authenticated input (a fatal alert
from the peer, a handshake failure) change the state to ``failed``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from contextlib import suppress
from typing import Literal

from OpenSSL import SSL, crypto

from rtcpeer.dtls._records import record_io
from rtcpeer.dtls.certificate import (
    RTCCertificate,
    RTCDtlsFingerprint,
    certificate_fingerprint,
    fingerprint_matches,
)
from rtcpeer.dtls.events import (
    DtlsApplicationData,
    DtlsClosed,
    DtlsConnected,
    DtlsFailed,
    Event,
)
from rtcpeer.dtls.srtp_keys import (
    DEFAULT_SRTP_PROFILES,
    EXPORTER_LABEL,
    SRTP_PROFILES,
    SrtpKeyMaterial,
    exporter_length,
    split_keying_material,
)
from rtcpeer.errors import LocalProtocolError

__all__ = ["CIPHERS", "DEFAULT_MTU", "DtlsEndpoint"]

DEFAULT_MTU = 1200
_DTLS1_2_VERSION = 0xFEFD  # not exported by pyOpenSSL as a constant
_RECORD_HEADER = 13  # type(1) version(2) epoch(2) sequence(6) length(2), RFC 6347 §4.1
_CT_APPLICATION_DATA = 23
_MAX_PENDING = 256  # application records held while waiting for remote fingerprints
_BUF = 65536

# ECDHE with AEAD first, as browsers offer (ECDSA for our certificate; the RSA suites let a
# peer with an RSA certificate act as server). CBC-SHA suites remain for older stacks.
CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA"
)

State = Literal["new", "connecting", "connected", "closed", "failed"]


def _error_reason(exc: SSL.Error) -> str:
    """The OpenSSL reason strings of ``exc`` (pyOpenSSL packs a list of error tuples)."""
    parts: list[str] = []
    if exc.args and isinstance(exc.args[0], list):
        for item in exc.args[0]:
            if isinstance(item, tuple) and item:
                parts.append(str(item[-1]))
    return "; ".join(parts) or exc.__class__.__name__


def _well_formed(data: bytes) -> int:
    """Number of application-data records in ``data`` if it is a sequence of whole DTLS
    records with plausible headers, else -1."""
    n = len(data)
    if not n:
        return -1
    pos = 0
    app = 0
    while pos < n:
        if n - pos < _RECORD_HEADER:
            return -1
        ctype = data[pos]
        if ctype < 20 or ctype > 63 or data[pos + 1] != 0xFE:
            return -1
        if ctype == _CT_APPLICATION_DATA:
            app += 1
        pos += _RECORD_HEADER + (data[pos + 11] << 8 | data[pos + 12])
    return app if pos == n else -1


class DtlsEndpoint:
    """One DTLS 1.2 association with one peer, sans-IO.

    ``role`` is the DTLS role from SDP ``a=setup`` (active = client). ``remote_fingerprints``
    are the peer's ``a=fingerprint`` values (any of sha-1/224/256/384/512). ``srtp_profiles``
    are the OpenSSL use_srtp profile names in preference order (the server's order wins).
    """

    def __init__(
        self,
        certificate: RTCCertificate,
        role: Literal["client", "server"],
        remote_fingerprints: list[RTCDtlsFingerprint],
        srtp_profiles: Sequence[str] = DEFAULT_SRTP_PROFILES,
        mtu: int = DEFAULT_MTU,
    ) -> None:
        if role not in ("client", "server"):
            raise ValueError(f"role must be 'client' or 'server', not {role!r}")
        for name in srtp_profiles:
            if name not in SRTP_PROFILES:
                raise ValueError(f"unknown SRTP profile {name!r}")
        self.role: Literal["client", "server"] = role
        self.state: State = "new"
        self.srtp_profile: str | None = None
        self.remote_certificate_fingerprint: RTCDtlsFingerprint | None = None
        """sha-256 fingerprint of the peer certificate, once the handshake has completed."""
        self.failure_reason: str | None = None
        self.stats: dict[str, int] = {
            "datagrams_in": 0,
            "datagrams_out": 0,
            "records_in": 0,
            "records_out": 0,
            "dropped_datagrams": 0,
            "dropped_records": 0,
            "retransmissions": 0,
        }
        self._certificate = certificate
        self._remote_fingerprints = list(remote_fingerprints)
        self._mtu = mtu
        self._keys: SrtpKeyMaterial | None = None
        self._events: deque[Event] = deque()
        self._out: list[bytes] = []
        self._timer: float | None = None
        self._fingerprint_rejected = False
        self._handshake_done = False
        self._started = False
        self._pending: list[bytes] = []
        self._conn = self._make_connection(certificate, role, srtp_profiles, mtu)
        self._records = record_io(self._conn)

    # ------------------------------------------------------------------ setup

    def _make_connection(
        self,
        certificate: RTCCertificate,
        role: Literal["client", "server"],
        srtp_profiles: Sequence[str],
        mtu: int,
    ) -> SSL.Connection:
        ctx = SSL.Context(SSL.DTLS_METHOD)
        ctx.set_min_proto_version(_DTLS1_2_VERSION)
        ctx.set_options(
            SSL.OP_NO_QUERY_MTU
            | SSL.OP_NO_TICKET
            | SSL.OP_NO_RENEGOTIATION
            | SSL.OP_NO_COMPRESSION
            | SSL.OP_SINGLE_ECDH_USE
        )
        ctx.set_cipher_list(CIPHERS.encode())
        ctx.use_certificate(certificate._cryptography_cert())
        ctx.use_privatekey(certificate._cryptography_key())
        ctx.check_privatekey()
        ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, self._verify)
        if srtp_profiles:
            ctx.set_tlsext_use_srtp(":".join(srtp_profiles).encode())
        conn = SSL.Connection(ctx, None)
        conn.set_ciphertext_mtu(mtu)
        if role == "client":
            conn.set_connect_state()
        else:
            conn.set_accept_state()
        return conn

    def _verify(
        self, conn: SSL.Connection, cert: crypto.X509, errno: int, depth: int, ok: int
    ) -> bool:
        # Chain errors (self-signed, expired, unknown CA) do not matter in WebRTC: the
        # fingerprint is the authentication. Refuse only a leaf that fails a known fingerprint.
        if depth == 0 and self._remote_fingerprints:
            der = crypto.dump_certificate(crypto.FILETYPE_ASN1, cert)
            if not fingerprint_matches(der, self._remote_fingerprints):
                self._fingerprint_rejected = True
                return False
        return True

    # ------------------------------------------------------------------ user calls

    def start(self, now: float) -> None:
        """Begin the handshake: a client sends its ClientHello, a server waits for one.

        A server that already received a ClientHello (which it accepts before ``start``)
        ignores this call; calling ``start`` twice is a :class:`LocalProtocolError`.
        """
        if self._started:
            raise LocalProtocolError(f"start() called twice (state {self.state!r})")
        self._started = True
        if self.state != "new":
            if self.role == "server" and self.state != "closed":
                return
            raise LocalProtocolError(f"start() in state {self.state!r}")
        self.state = "connecting"
        if self.role == "client":
            self._handshake()
            self._flush()
        self._update_timer(now)

    def set_remote_fingerprints(self, fingerprints: list[RTCDtlsFingerprint]) -> None:
        """Set (or replace) the peer's fingerprints, e.g. when the remote answer arrives.

        If the handshake already completed, the peer certificate is checked now.
        """
        self._remote_fingerprints = list(fingerprints)
        if self._handshake_done and self.state == "connecting":
            self._authenticate()

    def send(self, data: bytes) -> None:
        """Send ``data`` as one application-data record (for WebRTC: one SCTP packet).

        Raises :class:`LocalProtocolError` unless the endpoint is ``connected``. Empty data
        sends nothing. Keep ``data`` within :attr:`max_payload` so that the record fits the
        MTU; a larger record goes out as one oversize datagram (IP fragmentation).
        """
        if self.state != "connected":
            raise LocalProtocolError(f"cannot send in state {self.state!r}")
        if not data:
            return
        try:
            out = self._records.encrypt(data)
        except SSL.Error as exc:  # pragma: no cover - OpenSSL refusing a local write
            raise LocalProtocolError(f"DTLS write failed: {_error_reason(exc)}") from exc
        if len(out) <= self._mtu:
            self._out.append(out)
        else:
            self._pack(out)
        self.stats["records_out"] += 1

    def send_many(self, packets: list[bytes]) -> None:
        """:meth:`send` for each of ``packets`` (one record each), with less per-call work."""
        if self.state != "connected":
            raise LocalProtocolError(f"cannot send in state {self.state!r}")
        encrypt = self._records.encrypt
        out = self._out
        mtu = self._mtu
        sent = 0
        for data in packets:
            if not data:
                continue
            try:
                record = encrypt(data)
            except SSL.Error as exc:  # pragma: no cover - OpenSSL refusing a local write
                raise LocalProtocolError(f"DTLS write failed: {_error_reason(exc)}") from exc
            if len(record) <= mtu:
                out.append(record)
            else:
                self._pack(record)
            sent += 1
        self.stats["records_out"] += sent

    def close(self) -> None:
        """Send close_notify (if a handshake was under way or done); state becomes closed."""
        if self.state in ("closed", "failed"):
            return
        if self.state != "new":
            with suppress(SSL.Error):
                self._conn.shutdown()
            self._flush()
        self._set_closed()

    # ------------------------------------------------------------------ sans-IO verbs

    def receive_datagram(self, data: bytes, now: float) -> None:
        """Process one UDP datagram (one or more DTLS records) from the peer. Never raises."""
        stats = self.stats
        stats["datagrams_in"] += 1
        state = self.state
        if (
            state == "connected"
            and len(data) > _RECORD_HEADER
            and data[0] == _CT_APPLICATION_DATA
            and data[1] == 0xFE
            and len(data) == _RECORD_HEADER + (data[11] << 8 | data[12])
        ):
            record = self._receive_app_record(data)
            if record:
                self._events.append(DtlsApplicationData(record))
            return
        app_records = _well_formed(data)
        if app_records < 0 or state in ("closed", "failed"):
            stats["dropped_datagrams"] += 1
            return
        if state == "new":
            if self.role == "client":
                stats["dropped_datagrams"] += 1
                return
            self.state = "connecting"  # a server accepts a ClientHello before start()
        conn = self._conn
        conn.bio_write(data)
        if not self._handshake_done:
            self._handshake()
        if self._handshake_done and self.state in ("connected", "connecting"):
            delivered = self._read_records()
            if delivered < app_records:
                stats["dropped_records"] += app_records - delivered
            if delivered == 0 and self.state == state:
                queued = len(self._out)
                self._flush()
                if len(self._out) == queued:
                    # no data, no state change, nothing to answer: ignored by OpenSSL
                    stats["dropped_datagrams"] += 1
        self._flush()
        self._update_timer(now)

    def receive_application_datagram(self, data: bytes) -> bytes | None:
        """Fast path for a composing core (the secure transport feeding SCTP).

        If the endpoint is connected and ``data`` is exactly one application-data record,
        process it as :meth:`receive_datagram` would but return the plaintext instead of
        queueing a ``DtlsApplicationData`` event (``b""``: the record was discarded, or the
        endpoint failed or closed, which its events say). ``None``: not such a datagram, and
        nothing was done; call :meth:`receive_datagram`.
        """
        if (
            self.state == "connected"
            and len(data) > _RECORD_HEADER
            and data[0] == _CT_APPLICATION_DATA
            and data[1] == 0xFE
            and len(data) == _RECORD_HEADER + (data[11] << 8 | data[12])
        ):
            stats = self.stats
            stats["datagrams_in"] += 1
            try:
                record = self._records.decrypt(data)
            except SSL.Error as exc:
                self._app_record_error(exc)
                return b""
            stats["records_in"] += 1
            return record
        return None

    def _receive_app_record(self, data: bytes) -> bytes:
        """Fast path, connected: ``data`` is exactly one application-data record.

        DTLS 1.2 never answers application data, so there is nothing to flush and no timer to
        update; reading exactly once avoids the WantReadError that ends a read loop. Same
        accounting as the general path. Returns the plaintext, ``b""`` when there is none.
        """
        try:
            record = self._records.decrypt(data)
        except SSL.Error as exc:
            self._app_record_error(exc)
            return b""
        self.stats["records_in"] += 1
        return record

    def _app_record_error(self, exc: SSL.Error) -> None:
        if isinstance(exc, SSL.WantReadError):  # discarded by OpenSSL (bad MAC, replay)
            self.stats["dropped_records"] += 1
            self.stats["dropped_datagrams"] += 1
        elif isinstance(exc, SSL.ZeroReturnError):  # pragma: no cover - an alert record
            self._peer_closed()
        else:
            self._fail(f"peer alert or protocol error: {_error_reason(exc)}")
            self._flush()

    def datagrams_to_send(self, now: float) -> list[bytes]:
        """Drain the datagrams to send to the peer, each at most ``mtu`` bytes."""
        out = self._out
        if not out:
            return []
        self._out = []
        self.stats["datagrams_out"] += len(out)
        return out

    @property
    def max_payload(self) -> int:
        """Largest ``send()`` payload whose record fits in one ``mtu`` datagram (once the
        cipher is known; an estimate before)."""
        return int(self._conn.get_cleartext_mtu())

    def get_timer(self) -> float | None:
        """Handshake retransmission deadline (a hint: OpenSSL's timer runs on the wall clock)."""
        return self._timer

    def handle_timer(self, now: float) -> None:
        """Let OpenSSL retransmit the last flight if its wall-clock timer has expired."""
        if self.state != "connecting" or self._handshake_done:
            self._timer = None
            return
        try:
            if self._conn.DTLSv1_handle_timeout():
                self.stats["retransmissions"] += 1
        except SSL.Error as exc:
            self._fail(f"handshake timeout: {_error_reason(exc)}")
        self._flush()
        self._update_timer(now)

    def next_event(self) -> Event | None:
        """Pop the next event, or None."""
        events = self._events
        return events.popleft() if events else None

    def srtp_keys(self) -> SrtpKeyMaterial | None:
        """SRTP keys split by role, once connected with a negotiated profile."""
        return self._keys

    # ------------------------------------------------------------------ internals

    def _handshake(self) -> None:
        try:
            self._conn.do_handshake()
        except SSL.WantReadError:
            return
        except SSL.Error as exc:
            if self._fingerprint_rejected:
                self._fail("fingerprint mismatch")
            else:
                self._fail(f"handshake failed: {_error_reason(exc)}")
            return
        self._handshake_done = True
        self._timer = None
        self._authenticate()

    def _authenticate(self) -> None:
        """After the handshake: check the peer certificate, export keys, go connected."""
        cert = self._conn.get_peer_certificate()
        if cert is None:  # pragma: no cover - VERIFY_FAIL_IF_NO_PEER_CERT forbids this
            self._fail("no peer certificate")
            return
        der = crypto.dump_certificate(crypto.FILETYPE_ASN1, cert)
        if not self._remote_fingerprints:
            return  # wait for set_remote_fingerprints()
        if not fingerprint_matches(der, self._remote_fingerprints):
            self._fail("fingerprint mismatch")
            return
        self.remote_certificate_fingerprint = RTCDtlsFingerprint(
            "sha-256", certificate_fingerprint(der, "sha-256")
        )
        profile = self._conn.get_selected_srtp_profile().decode() or None
        if profile is not None and profile in SRTP_PROFILES:
            material = self._conn.export_keying_material(EXPORTER_LABEL, exporter_length(profile))
            self._keys = split_keying_material(profile, material, self.role)
        self.srtp_profile = profile
        self.state = "connected"
        self._events.append(DtlsConnected(profile, self._keys))
        pending, self._pending = self._pending, []
        for data in pending:
            self._events.append(DtlsApplicationData(data))

    def _read_records(self) -> int:
        """Read every decrypted application record OpenSSL has; return how many."""
        recv = self._conn.recv
        events = self._events
        connected = self.state == "connected"
        count = 0
        while True:
            try:
                data = recv(_BUF)
            except SSL.WantReadError:
                break
            except SSL.ZeroReturnError:
                self._peer_closed()
                break
            except SSL.Error as exc:
                self._fail(f"peer alert or protocol error: {_error_reason(exc)}")
                break
            count += 1
            if connected:
                events.append(DtlsApplicationData(data))
            elif len(self._pending) < _MAX_PENDING:
                self._pending.append(data)
            else:
                self.stats["dropped_records"] += 1
        self.stats["records_in"] += count
        return count

    def _peer_closed(self) -> None:
        with suppress(SSL.Error):
            self._conn.shutdown()  # answer close_notify with close_notify (RFC 5246 §7.2.1)
        self._set_closed()

    def _set_closed(self) -> None:
        self.state = "closed"
        self._timer = None
        self._pending = []
        self._events.append(DtlsClosed())

    def _fail(self, reason: str) -> None:
        if self.state in ("closed", "failed"):
            return
        self.state = "failed"
        self.failure_reason = reason
        self._timer = None
        self._pending = []
        self._events.append(DtlsFailed(reason))

    def _update_timer(self, now: float) -> None:
        if self.state != "connecting" or self._handshake_done:
            self._timer = None
            return
        remaining = self._conn.DTLSv1_get_timeout()
        self._timer = None if remaining is None else now + remaining

    def _flush(self) -> None:
        """Move everything OpenSSL wrote into ``_out``, split into datagrams <= mtu."""
        conn = self._conn
        chunks: list[bytes] = []
        while True:
            try:
                chunks.append(conn.bio_read(_BUF))
            except SSL.WantReadError:
                break
        if chunks:
            self._pack(b"".join(chunks))

    def _pack(self, data: bytes) -> None:
        """Split a record stream at record boundaries into datagrams of at most ``mtu``."""
        mtu = self._mtu
        out = self._out
        n = len(data)
        start = pos = 0
        while pos < n:
            end = pos + _RECORD_HEADER + (data[pos + 11] << 8 | data[pos + 12])
            if end - start > mtu and pos > start:
                out.append(data[start:pos])
                start = pos
            pos = end
        if start < n:
            out.append(data[start:])
