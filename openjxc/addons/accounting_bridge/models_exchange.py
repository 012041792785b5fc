"""Tables of the exchange with the finance software: every export made (a batch, with the
vouchers it carried and its file, so it can be repeated byte for byte and the next
incremental export knows what is new) and the targets of the daily push."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from openjxc.core.models import Base, UTCDateTime, utcnow


class ExportBatch(Base):
    """One export: its format, the month (or none for "everything not yet exported"), the
    file it produced and who made it; an idempotency key repeats it."""

    __tablename__ = "acc_export_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    format: Mapped[str] = mapped_column(String(16))
    period: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: ``period`` (a month's vouchers) or ``new`` (vouchers not yet in a batch of this
    #: format, reversals included).
    mode: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str | None] = mapped_column(String(64), nullable=True,
                                                        unique=True)
    filename: Mapped[str] = mapped_column(String(128))
    content_type: Mapped[str] = mapped_column(String(96))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    checksum: Mapped[str] = mapped_column(String(64))
    vouchers: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    target_id: Mapped[int | None] = mapped_column(ForeignKey("acc_export_target.id"),
                                                  nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: When the file reached its target (a push); a made export is delivered when made.
    #: A pushed batch without it is owed: the next push delivers it again first.
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ExportBatchVoucher(Base):
    """A voucher carried by a batch."""

    __tablename__ = "acc_export_batch_voucher"

    batch_id: Mapped[int] = mapped_column(ForeignKey("acc_export_batch.id"),
                                          primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("acc_voucher.id"), primary_key=True,
                                            index=True)


class ExportTarget(Base):
    """Where the daily push delivers new vouchers: a folder on the server or a webhook."""

    __tablename__ = "acc_export_target"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    format: Mapped[str] = mapped_column(String(16))
    #: ``folder`` or ``webhook``.
    kind: Mapped[str] = mapped_column(String(16))
    location: Mapped[str] = mapped_column(String(500))
    encoding: Mapped[str] = mapped_column(String(16), default="gbk")
    #: Local hour (0–23, the company's time zone) after which the day's push runs.
    hour: Mapped[int] = mapped_column(Integer, default=2)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_status: Mapped[str] = mapped_column(String(16), default="")
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


MODELS: list[type] = [ExportBatch, ExportBatchVoucher, ExportTarget]
