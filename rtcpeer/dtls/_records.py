"""Per-record application-data I/O on a memory-BIO pyOpenSSL ``Connection`` (the hot path).

Connected WebRTC traffic is one DTLS record per datagram per SCTP packet, so the cost per
record of pyOpenSSL's wrappers shows at the 1200-byte base MTU: every ``recv``/``send``/
``bio_read``/``bio_write`` allocates a fresh cffi buffer, converts text, enters a
``from_buffer`` context and runs ``_raise_ssl_error`` (three callback-helper checks plus
``SSL_get_error``) even on success. :class:`DirectRecords` calls the same OpenSSL functions
(``BIO_write`` + ``SSL_read``, ``SSL_write`` + ``BIO_read``) through pyOpenSSL's own cffi
bindings into one preallocated buffer, and hands every non-success result to pyOpenSSL's
error classification right away (so ``WantReadError``, ``ZeroReturnError`` and ``SSL.Error``
are raised exactly as ``Connection.recv``/``send`` raise them). Measured: about half the
Python-side cost per record.

It relies on pyOpenSSL internals (``OpenSSL._util.lib``/``ffi``, ``Connection._ssl``,
``_into_ssl``, ``_from_ssl``, ``_raise_ssl_error``, ``_handle_bio_errors``; pyOpenSSL 24-26);
:func:`record_io` checks they exist and otherwise returns :class:`PublicRecords`, the same
operations through the public API.
"""

from __future__ import annotations

from typing import Any, Protocol

from OpenSSL import SSL

try:  # pragma: no branch - present in every supported pyOpenSSL
    from OpenSSL._util import ffi as _ffi
    from OpenSSL._util import lib as _lib
except ImportError:  # pragma: no cover - a future pyOpenSSL without these internals
    _ffi = _lib = None

BUFFER_SIZE = 65536  # > one DTLS record (2^14 plaintext + expansion)

_CONNECTION_INTERNALS = ("_ssl", "_into_ssl", "_from_ssl", "_raise_ssl_error", "_handle_bio_errors")
_LIB_FUNCTIONS = ("BIO_write", "BIO_read", "SSL_read", "SSL_write")


class RecordIO(Protocol):
    def decrypt(self, data: bytes) -> bytes:
        """Feed one datagram to OpenSSL and read one application record (SSL errors raise)."""
        ...

    def encrypt(self, data: bytes) -> bytes:
        """Write ``data`` as one application record and return what OpenSSL wrote."""
        ...


class PublicRecords:
    """:class:`RecordIO` through pyOpenSSL's public API."""

    __slots__ = ("_conn",)

    def __init__(self, conn: SSL.Connection) -> None:
        self._conn = conn

    def decrypt(self, data: bytes) -> bytes:
        self._conn.bio_write(data)
        return self._conn.recv(BUFFER_SIZE)

    def encrypt(self, data: bytes) -> bytes:
        self._conn.send(data)
        return self._conn.bio_read(BUFFER_SIZE)


class DirectRecords:
    """:class:`RecordIO` through pyOpenSSL's cffi bindings (see the module docstring)."""

    __slots__ = ("_buf", "_conn", "_from", "_into", "_ssl")

    def __init__(self, conn: SSL.Connection) -> None:
        assert _ffi is not None
        self._conn: Any = conn
        self._ssl = conn._ssl
        self._into = conn._into_ssl
        self._from = conn._from_ssl
        self._buf = _ffi.new("char[]", BUFFER_SIZE)

    def decrypt(self, data: bytes) -> bytes:
        written = _lib.BIO_write(self._into, data, len(data))
        if written <= 0:  # pragma: no cover - a memory BIO only fails when out of memory
            self._conn._handle_bio_errors(self._into, written)
        n = _lib.SSL_read(self._ssl, self._buf, BUFFER_SIZE)
        if n > 0:
            out: bytes = _ffi.unpack(self._buf, n)
            return out
        self._conn._raise_ssl_error(self._ssl, n)  # WantRead / ZeroReturn / SSL.Error
        return b""  # pragma: no cover - SSL_read <= 0 always has an error

    def encrypt(self, data: bytes) -> bytes:
        ssl = self._ssl
        result = _lib.SSL_write(ssl, data, len(data))
        if result <= 0:
            self._conn._raise_ssl_error(ssl, result)
        n = _lib.BIO_read(self._from, self._buf, BUFFER_SIZE)
        if n <= 0:
            self._conn._handle_bio_errors(self._from, n)  # raises WantReadError when empty
        out: bytes = _ffi.unpack(self._buf, n)
        return out


def record_io(conn: SSL.Connection) -> RecordIO:
    """The fastest :class:`RecordIO` available for ``conn`` (a memory-BIO connection)."""
    if (
        _lib is not None
        and all(hasattr(_lib, name) for name in _LIB_FUNCTIONS)
        and all(hasattr(conn, name) for name in _CONNECTION_INTERNALS)
        and getattr(conn, "_into_ssl", None) is not None
    ):
        return DirectRecords(conn)
    return PublicRecords(conn)  # pragma: no cover - depends on the pyOpenSSL version
