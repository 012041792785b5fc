"""accounting_bridge through GraphQL:
Export batches, repeatable exports and the targets of the daily push.

``voucherExportBatches`` (newest first), ``voucherExportBatch(id:)`` (with its file, to
download again), ``voucherExportTargets``; ``voucherExportTargetSet`` (create or change a
target by name) and ``voucherExportTargetDelete``.  Every field needs the EXPORT
permission.  ``voucherExport`` itself is in :mod:`.api_mutations`.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, cast

import strawberry
from sqlalchemy import select
from sqlalchemy.orm import defer
from strawberry.types import Info

from openjxc.graphql import (
    Connection,
    Node,
    align,
    field,
    get_session,
    mutation,
    paginate,
    pk_of_global_id,
)
from openjxc.graphql.payloads import run_service

from . import EXPORT, push
from .api_enums import (
    AccountingError,
    ExportEncoding,
    ExportPushStatus,
    ExportTargetKind,
    VoucherExportFormat,
    VoucherExportMode,
)
from .models_exchange import ExportBatch, ExportTarget


@strawberry.type(description="A voucher file, base64-encoded.")
class VoucherFile:
    filename: str
    content_type: str
    content_base64: str
    vouchers: int
    rows: int


def _contents(info: Info[Any, Any]) -> Any:
    def batch(ids: list[int]) -> list[bytes | None]:
        found = dict(get_session(info).execute(
            select(ExportBatch.id, ExportBatch.content).where(ExportBatch.id.in_(set(ids)))
        ).all())
        return [found.get(i) for i in ids]

    return info.context.loaders.get("accounting.export_batch_content", batch)


@strawberry.type(description="One export of vouchers: what it carried and its file, kept so "
                             "that it can be downloaded again byte for byte.")
class VoucherExportBatch(Node):
    node_permission: ClassVar[str] = EXPORT

    format: VoucherExportFormat
    mode: VoucherExportMode
    period: str | None = strawberry.field(description="YYYY-MM (a month's export).")
    filename: str
    content_type: str
    checksum: str = strawberry.field(description="sha256 of the file, hexadecimal.")
    vouchers: int
    rows: int
    target_name: str | None = strawberry.field(
        description="The push target it was made for (none: made by hand).")
    created_at: datetime
    delivered_at: datetime | None = strawberry.field(
        description="When it reached its target (a manual export: when made); none: owed, "
                    "the next push delivers this same file again.")

    @strawberry.field(description="The file itself.")
    async def file(self, info: Info[Any, Any]) -> VoucherFile:
        content = cast("bytes", await _contents(info).load(self.pk))
        return VoucherFile(filename=self.filename, content_type=self.content_type,
                           content_base64=base64.b64encode(content).decode("ascii"),
                           vouchers=self.vouchers, rows=self.rows)

    @classmethod
    def from_row(cls, row: ExportBatch, target_name: str | None = None,
                 ) -> VoucherExportBatch:
        return cls(pk=row.id, format=VoucherExportFormat(row.format),
                   mode=VoucherExportMode(row.mode),
                   period=f"{row.period:%Y-%m}" if row.period else None,
                   filename=row.filename, content_type=row.content_type,
                   checksum=row.checksum, vouchers=row.vouchers, rows=row.rows,
                   target_name=target_name, created_at=row.created_at,
                   delivered_at=row.delivered_at)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int],
                  ) -> list[VoucherExportBatch | None]:
        rows = get_session(info).execute(_batches().where(ExportBatch.id.in_(pks)))
        return align(pks, [cls.from_row(b, name) for b, name in rows], key=lambda b: b.pk)


def _batches() -> Any:
    return (select(ExportBatch, ExportTarget.name)
            .outerjoin(ExportTarget, ExportTarget.id == ExportBatch.target_id)
            .options(defer(ExportBatch.content)))


@strawberry.type(description="Where the daily push delivers new vouchers.")
class VoucherExportTarget(Node):
    node_permission: ClassVar[str] = EXPORT

    name: str
    format: VoucherExportFormat
    kind: ExportTargetKind
    location: str = strawberry.field(
        description="A folder inside the server's export directory, or a webhook URL "
                    "without its user, password and query (…); set it back as shown to "
                    "keep them.")
    encoding: ExportEncoding | None
    hour: int = strawberry.field(description="Local hour (0–23) after which it is pushed.")
    active: bool
    last_run_at: datetime | None
    last_status: ExportPushStatus | None
    last_error: str

    @classmethod
    def from_row(cls, row: ExportTarget) -> VoucherExportTarget:
        return cls(pk=row.id, name=row.name, format=VoucherExportFormat(row.format),
                   kind=ExportTargetKind(row.kind), location=push.shown_location(row),
                   encoding=ExportEncoding(row.encoding) if row.encoding else None,
                   hour=row.hour, active=row.active, last_run_at=row.last_run_at,
                   last_status=ExportPushStatus(row.last_status) if row.last_status
                   else None, last_error=row.last_error)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int],
                  ) -> list[VoucherExportTarget | None]:
        rows = get_session(info).scalars(select(ExportTarget).where(ExportTarget.id.in_(pks)))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda t: t.pk)


# -- queries ---------------------------------------------------------------------------------

@strawberry.input(description="Narrow the export batches; all given conditions hold.")
class VoucherExportBatchFilter:
    format: VoucherExportFormat | None = None
    target_name: str | None = strawberry.field(
        default=None, description="Only this push target's batches.")
    manual: bool | None = strawberry.field(
        default=None, description="True: only those made by hand; false: only pushes.")


def voucher_export_batches(info: Info[Any, Any],
                           filter: VoucherExportBatchFilter | None = None,
                           first: int | None = None, after: str | None = None,
                           last: int | None = None, before: str | None = None,
                           ) -> Connection[VoucherExportBatch]:
    stmt = _batches()
    if filter is not None:
        if filter.format is not None:
            stmt = stmt.where(ExportBatch.format == filter.format.value)
        if filter.target_name:
            stmt = stmt.where(ExportTarget.name == filter.target_name[:64].strip())
        if filter.manual is not None:
            stmt = stmt.where(ExportBatch.target_id.is_(None) if filter.manual
                              else ExportBatch.target_id.is_not(None))
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=[ExportBatch.id.desc()],
                    to_node=lambda row: VoucherExportBatch.from_row(row[0], row[1]),
                    info=info)


def voucher_export_batch(info: Info[Any, Any], id: strawberry.ID,
                         ) -> VoucherExportBatch | None:
    pk = pk_of_global_id(str(id), "VoucherExportBatch", unknown=-1)
    found = get_session(info).execute(_batches().where(ExportBatch.id == pk)).first()
    return VoucherExportBatch.from_row(found[0], found[1]) if found is not None else None


def voucher_export_targets(info: Info[Any, Any]) -> list[VoucherExportTarget]:
    return [VoucherExportTarget.from_row(r) for r in get_session(info).scalars(
        select(ExportTarget).order_by(ExportTarget.name))]


# -- mutations -------------------------------------------------------------------------------

@strawberry.input
class VoucherExportTargetSetInput:
    name: str = strawberry.field(description="Creates the target, or changes the one of "
                                             "this name.")
    format: VoucherExportFormat
    kind: ExportTargetKind
    location: str = strawberry.field(
        description="FOLDER: a path inside the server's export directory (OPENJXC_EXPORT_DIR);"
                    " WEBHOOK: an https:// URL.")
    encoding: ExportEncoding | None = strawberry.field(
        default=None, description="For the text formats (default: the format's).")
    hour: int = strawberry.field(default=2, description="Local hour (0–23), company time "
                                                        "zone, after which it is pushed.")
    active: bool = True


@strawberry.type
class VoucherExportTargetSetPayload:
    target: VoucherExportTarget | None
    errors: list[AccountingError]  # type: ignore[valid-type]


def voucher_export_target_set(info: Info[Any, Any], input: VoucherExportTargetSetInput,
                              ) -> VoucherExportTargetSetPayload:
    settings = info.context.env.settings
    row, errors = run_service(info, lambda s: push.set_target(s, settings, push.TargetInput(
        name=input.name, format=input.format.value, kind=input.kind.value,
        location=input.location, encoding=input.encoding.value if input.encoding else None,
        hour=input.hour, active=input.active)), AccountingError)
    return VoucherExportTargetSetPayload(
        target=VoucherExportTarget.from_row(row) if row is not None else None, errors=errors)


@strawberry.input
class VoucherExportTargetDeleteInput:
    name: str


@strawberry.type
class VoucherExportTargetDeletePayload:
    name: str | None = strawberry.field(description="The deleted target's name.")
    errors: list[AccountingError]  # type: ignore[valid-type]


def voucher_export_target_delete(info: Info[Any, Any], input: VoucherExportTargetDeleteInput,
                                 ) -> VoucherExportTargetDeletePayload:
    _done, errors = run_service(info, lambda s: push.delete_target(s, input.name),
                                AccountingError)
    return VoucherExportTargetDeletePayload(
        name=None if errors else input.name.strip(), errors=errors)


def types() -> list[type]:
    return [VoucherExportBatch, VoucherExportTarget, VoucherExportBatchFilter,
            VoucherExportTargetSetInput, VoucherExportTargetSetPayload,
            VoucherExportTargetDeleteInput, VoucherExportTargetDeletePayload,
            VoucherExportMode, ExportTargetKind, ExportPushStatus]


def queries() -> list[Any]:
    return [
        field(voucher_export_batches, permission=EXPORT, name="voucherExportBatches",
              description="Every voucher export made (by hand or pushed), newest first."),
        field(voucher_export_batch, permission=EXPORT, name="voucherExportBatch",
              description="One export batch, with its file to download again."),
        field(voucher_export_targets, permission=EXPORT, name="voucherExportTargets",
              description="Where the daily push delivers new vouchers, by name."),
    ]


def mutations() -> list[Any]:
    return [
        mutation(voucher_export_target_set, permission=EXPORT, name="voucherExportTargetSet",
                 description="Create or change a push target (a folder on the server or a "
                             "webhook) by name."),
        mutation(voucher_export_target_delete, permission=EXPORT,
                 name="voucherExportTargetDelete",
                 description="Delete a push target that never pushed a file."),
    ]
