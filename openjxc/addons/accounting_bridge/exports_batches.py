"""Every export is a batch: its arguments, the vouchers it carried and its file, kept.

Two modes:

* ``period`` — a month's vouchers (what an accountant asks for at month end);
* ``new`` — every voucher not yet carried by a batch of the same destination: the manual
  exports of the same format, or one push target (whatever its format), across months,
  in voucher order and at most :data:`MAX_NEW_VOUCHERS` a file (export again for the
  rest: a first export of years of vouchers must not build one huge file in memory).  A
  red reversal posted after its original was exported is new, so it goes out with the
  next batch: the target software sees the correction, never an edit.

A manual export is delivered when made (``delivered_at``); a push target's batch is
delivered when the push records it (:mod:`.push`).

An idempotency key makes an export repeatable: the same key with the same arguments gives
back the stored batch, byte for byte, and makes nothing new; the same key with other
arguments is refused (``IDEMPOTENCY_KEY_REUSED``), as for every posting mutation
(:mod:`openjxc.core.idempotency`).  A ``new`` export with nothing new is refused with
``NOTHING_TO_EXPORT``: no empty file is recorded.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, insert, select, text
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import KernelMessages, _
from openjxc.core.idempotency import IdempotencyKeyReused, run_idempotent
from openjxc.core.models import utcnow

from .exports import check_options, export_vouchers
from .models import WORD, Voucher
from .models_exchange import ExportBatch, ExportBatchVoucher

PERIOD = "period"
NEW = "new"
MODES = (PERIOD, NEW)
SCOPE = "voucherExport"
#: The most vouchers one ``new`` file carries.
MAX_NEW_VOUCHERS = 2000


@dataclass(frozen=True)
class ExportRequest:
    """What to export; ``code_map`` pairs are (our code, the target's)."""

    format: str
    mode: str = PERIOD
    period: date | None = None
    encoding: str | None = None
    word: str = WORD
    code_map: tuple[tuple[str, str], ...] = ()


def create_batch(session: Session, request: ExportRequest, *, user_id: int | None = None,
                 idempotency_key: str | None = None,
                 target_id: int | None = None) -> ExportBatch:
    """Export, record the batch and its vouchers, and return it (see the module doc)."""
    _check(request)
    if idempotency_key is None:
        return _make(session, request, user_id, target_id, None)
    scope = f"{SCOPE}:{user_id}"
    digest = hashlib.sha256(f"{scope}:{idempotency_key}".encode()).hexdigest()
    try:
        return run_idempotent(
            session, scope=scope, key=idempotency_key,
            request={"export": dataclasses.asdict(request), "target": target_id},
            action=lambda: _kept(session, request, target_id, digest)
            or _make(session, request, user_id, target_id, digest),
            encode=lambda batch: batch.id,
            decode=lambda batch_id: session.get_one(ExportBatch, batch_id))
    except IdempotencyKeyReused:
        raise ValidationFailed(FieldError(
            "IDEMPOTENCY_KEY_REUSED", KernelMessages.IDEMPOTENCY_KEY_REUSED,
            field="idempotencyKey")) from None


def _kept(session: Session, request: ExportRequest, target_id: int | None,
          digest: str) -> ExportBatch | None:
    """The batch made with this key when the key itself is gone (idempotency keys are
    purged after a while; the batch keeps its key for ever): given back if it was made
    for the same format, mode, month and destination, else the key is reused."""
    kept = session.scalar(select(ExportBatch).where(ExportBatch.idempotency_key == digest))
    if kept is None:
        return None
    if (kept.format, kept.mode, kept.period, kept.target_id) != (
            request.format, request.mode, request.period, target_id):
        raise IdempotencyKeyReused(digest)
    return kept


def _check(request: ExportRequest) -> None:
    errors: list[FieldError] = []
    if request.mode not in MODES:
        errors.append(FieldError("INVALID", _("Unknown export mode {mode}"), field="mode",
                                 mode=request.mode[:16]))
    elif request.mode == PERIOD and request.period is None:
        errors.append(FieldError("REQUIRED", _("Give the month to export"), field="period"))
    elif request.mode == NEW and request.period is not None:
        errors.append(FieldError("INVALID", _("An export of new vouchers takes no month"),
                                 field="period"))
    for ours, theirs in request.code_map:
        if not ours or not theirs or len(theirs) > 32 or any(c in theirs for c in ",\r\n"):
            errors.append(FieldError("INVALID", _("A target code has up to 32 characters and "
                                                  "no comma"), field="codeMap"))
            break
    try:
        check_options(request.format, request.encoding, request.word)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    if errors:
        raise ValidationFailed(errors)


def unsent(fmt: str, target_id: int | None,
           limit: int | None = None) -> ColumnElement[bool]:
    """Vouchers no batch of this destination has carried yet (the manual exports of
    ``fmt``, or the push target's batches of any format), the first ``limit`` of them in
    voucher order.  A batch still owed to its target counts as carrying its vouchers."""
    carried = (select(ExportBatchVoucher.voucher_id)
               .join(ExportBatch, ExportBatch.id == ExportBatchVoucher.batch_id)
               .where((ExportBatch.format == fmt) & ExportBatch.target_id.is_(None)
                      if target_id is None else ExportBatch.target_id == target_id))
    if limit is None:
        return Voucher.id.not_in(carried)
    first = (select(Voucher.id).where(Voucher.id.not_in(carried))
             .order_by(Voucher.period, Voucher.number, Voucher.id).limit(limit))
    return Voucher.id.in_(first)


def _make(session: Session, request: ExportRequest, user_id: int | None,
          target_id: int | None, key_digest: str | None) -> ExportBatch:
    new = request.mode == NEW
    if new and session.get_bind().dialect.name == "postgresql":
        # Two exports of new vouchers to one destination take turns, so that the second
        # sees what the first carried (SQLite's BEGIN IMMEDIATE serialises them anyway).
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                        {"key": f"acc_export_batch:{request.format}:{target_id}"})
    file = export_vouchers(
        session, request.period, request.format, encoding=request.encoding,
        word=request.word, code_map=dict(request.code_map),
        only=unsent(request.format, target_id, MAX_NEW_VOUCHERS) if new else None)
    if new and not file.voucher_ids:
        raise ValidationFailed(FieldError(
            "NOTHING_TO_EXPORT", _("Nothing to export: every voucher is already in an "
                                   "export of this format"), field="mode"))
    batch = ExportBatch(
        format=request.format, period=request.period, mode=request.mode,
        idempotency_key=key_digest, filename=file.filename, content_type=file.content_type,
        content=file.content, checksum=hashlib.sha256(file.content).hexdigest(),
        vouchers=file.vouchers, rows=file.rows, target_id=target_id, created_by_id=user_id,
        delivered_at=utcnow() if target_id is None else None)
    session.add(batch)
    session.flush()
    if new:  # the batch id tells two files of new vouchers apart
        stem, _dot, extension = file.filename.rpartition(".")
        batch.filename = f"{stem}-{batch.id:06d}.{extension}"
    if file.voucher_ids:
        session.execute(insert(ExportBatchVoucher), [
            {"batch_id": batch.id, "voucher_id": voucher_id}
            for voucher_id in file.voucher_ids])
    session.flush()
    return batch


def batch_voucher_ids(session: Session, batch_id: int) -> list[int]:
    return list(session.scalars(select(ExportBatchVoucher.voucher_id)
                                .where(ExportBatchVoucher.batch_id == batch_id)
                                .order_by(ExportBatchVoucher.voucher_id)))
