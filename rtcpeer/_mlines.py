"""The JSEP m-line table: one ordered row per m= section, allocated once (RFC 9429 §5.2, §5.10).

Every offer and answer renders from this table, and negotiation state reads it, so the m=
sections of a session only ever grow or get recycled, never reorder or vanish:

* **Rows** are, in m-line order, one of: a *transceiver* (audio/video, the facade's
  ``RTCRtpTransceiver``), the *data* channel section, or a *rejected* section (port 0: refused by
  either side, or a stopped transceiver's after negotiation).
* **mids are allocated once** (RFC 9429 §5.2.1: "a new, unique mid"): a new row takes the lowest
  integer mid never used in this session; a remote offer's rows take the offerer's mids.
* **Offers** (§5.2.1 initial, §5.2.2 subsequent) keep every current row at its index. A transceiver
  that has no row yet takes the index of a rejected row (§5.2.2 "m= section recycling", with a new
  mid), else a new row at the end; the data row is added at the end when channels exist and no
  data section was ever negotiated.
* **Remote offers** (§5.10, W3C webrtc-pc §4.4.1.5 "set the RTCSessionDescription"): row *i*
  follows offered section *i*; an audio/video section the table does not know is offered to the
  facade's ``associate`` callback (which finds or creates a transceiver of that kind, or declines:
  the row is then rejected).
* **Answers** (§5.3.1) have exactly the offer's rows; what each row answers is decided by the
  row's owner.

A proposal (``propose_offer`` / ``apply_remote_offer``) returns a new table; the facade commits it
when the description is applied, and drops it on rollback, so ``createOffer`` called twice proposes
the same mids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Generic, Literal, Protocol, TypeVar

from .sdp.model import SessionDescription

__all__ = ["MLine", "MLineTable", "RowRole"]

RowRole = Literal["transceiver", "data", "rejected"]
MediaKind = Literal["audio", "video", "application"]


class _Owner(Protocol):
    @property
    def kind(self) -> str: ...


T = TypeVar("T", bound=_Owner)


@dataclass(frozen=True)
class MLine(Generic[T]):
    """One m= section: its mid, kind and what owns it."""

    index: int
    mid: str
    kind: str
    role: RowRole
    owner: T | None = None  # the transceiver of a "transceiver" row


@dataclass(frozen=True)
class MLineTable(Generic[T]):
    rows: tuple[MLine[T], ...] = ()
    used_mids: frozenset[str] = frozenset()

    # ---- reading ---------------------------------------------------------------------------

    def data_row(self) -> MLine[T] | None:
        return next((r for r in self.rows if r.role == "data"), None)

    def row_for(self, owner: T) -> MLine[T] | None:
        return next((r for r in self.rows if r.owner is owner), None)

    def row_by_mid(self, mid: str | None) -> MLine[T] | None:
        return next((r for r in self.rows if r.mid == mid), None)

    def first_accepted(self) -> MLine[T] | None:
        """The BUNDLE tag candidate: the first row that is not rejected (RFC 8843 §7.2.1)."""
        return next((r for r in self.rows if r.role != "rejected"), None)

    def owners(self) -> list[T]:
        return [r.owner for r in self.rows if r.owner is not None]

    # ---- proposals -------------------------------------------------------------------------

    def propose_offer(self, transceivers: Iterable[T], *, want_data: bool) -> MLineTable[T]:
        """The table an offer renders (RFC 9429 §5.2.1 / §5.2.2)."""
        rows = list(self.rows)
        used = set(self.used_mids) | {r.mid for r in rows}
        for owner in transceivers:
            if any(r.owner is owner for r in rows):
                continue
            mid = _new_mid(used)
            recyclable = next((r for r in rows if r.role == "rejected"), None)
            if recyclable is not None:
                rows[recyclable.index] = MLine(
                    recyclable.index, mid, owner.kind, "transceiver", owner
                )
            else:
                rows.append(MLine(len(rows), mid, owner.kind, "transceiver", owner))
        if want_data and not any(r.role == "data" for r in rows):
            rows.append(MLine(len(rows), _new_mid(used), "application", "data"))
        return MLineTable(tuple(rows), frozenset(used))

    def apply_remote_offer(
        self,
        desc: SessionDescription,
        associate: Callable[[MLine[T]], T | None],
    ) -> MLineTable[T]:
        """The table after a remote offer (RFC 9429 §5.10); ``associate`` is asked for the
        transceiver of every audio/video row that has none yet (None rejects the row)."""
        rows: list[MLine[T]] = []
        used = set(self.used_mids)
        have_data = False
        for index, section in enumerate(desc.media):
            mid = section.mid if section.mid is not None else str(index)
            used.add(mid)
            known = self.rows[index] if index < len(self.rows) else None
            if known is not None and known.mid != mid:
                known = None  # the offerer recycled this m-line: a new section
            row = _remote_row(index, mid, section.kind, section.rejected, known, have_data)
            if row.role == "rejected" and not section.rejected:
                row = _associated(row, section.kind, associate)
            have_data = have_data or row.role == "data"
            rows.append(row)
        return MLineTable(tuple(rows), frozenset(used))

    def apply_answer(self, accepted_mids: Iterable[str | None]) -> MLineTable[T]:
        """Rows the answer did not accept (port 0) become rejected (RFC 3264 §6)."""
        kept = set(accepted_mids)
        rows = tuple(
            r if r.mid in kept else replace(r, role="rejected", owner=None) for r in self.rows
        )
        return MLineTable(rows, self.used_mids)

    def reject(self, owner: T) -> MLineTable[T]:
        """A stopped transceiver's row is rejected once that is negotiated (RFC 9429 §4.2.1)."""
        rows = tuple(
            replace(r, role="rejected", owner=None) if r.owner is owner else r for r in self.rows
        )
        return MLineTable(rows, self.used_mids)


def _new_mid(used: set[str]) -> str:
    n = 0
    while str(n) in used:
        n += 1
    mid = str(n)
    used.add(mid)
    return mid


def _remote_row(
    index: int,
    mid: str,
    kind: str,
    rejected: bool,
    known: MLine[T] | None,
    have_data: bool,
) -> MLine[T]:
    if rejected:
        # The owner stays until the answer is applied, which stops it (RFC 9429 §5.10).
        return MLine(index, mid, kind, "rejected", known.owner if known is not None else None)
    if known is not None and known.role != "rejected":
        return replace(known, index=index)
    if kind == "application" and not have_data:
        return MLine(index, mid, kind, "data")
    return MLine(index, mid, kind, "rejected")


def _associated(row: MLine[T], kind: str, associate: Callable[[MLine[T]], T | None]) -> MLine[T]:
    if kind not in ("audio", "video"):
        return row
    owner = associate(row)
    if owner is None:
        return row
    return replace(row, role="transceiver", owner=owner)
