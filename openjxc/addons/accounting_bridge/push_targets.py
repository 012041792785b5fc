"""The targets of the daily push (:mod:`.push`): created, changed and deleted by name."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.core.config import Settings
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _

from .exports import DEFAULT_ENCODING, FORMATS, check_options
from .models import WORD
from .models_exchange import ExportBatch, ExportTarget
from .push_delivery import folder_problems, redacted, webhook_problems

FOLDER = "folder"
WEBHOOK = "webhook"
KINDS = (FOLDER, WEBHOOK)


@dataclass
class TargetInput:
    name: str
    format: str
    kind: str
    location: str
    encoding: str | None = None
    hour: int = 2
    active: bool = True


def set_target(session: Session, settings: Settings, data: TargetInput) -> ExportTarget:
    """Create the target called ``data.name``, or change it."""
    errors: list[FieldError] = []
    name = data.name.strip()
    if not name or len(name) > 64:
        errors.append(FieldError("REQUIRED" if not name else "INVALID",
                                 _("A target name has 1 to 64 characters"), field="name"))
    encoding = None
    if data.format not in FORMATS:
        errors.append(FieldError("INVALID", _("Unknown export format {format}"),
                                 field="format", format=data.format[:32]))
    else:
        try:
            encoding, _word = check_options(data.format, data.encoding, WORD)
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if not 0 <= data.hour <= 23:
        errors.append(FieldError("INVALID", _("The hour is 0 to 23"), field="hour"))
    location = data.location.strip()
    target = session.scalar(select(ExportTarget).where(ExportTarget.name == name))
    if (target is not None and data.kind == WEBHOOK == target.kind
            and location == shown_location(target)):
        location = target.location  # given back as shown: its secrets are kept
    if data.kind == FOLDER:
        errors.extend(folder_problems(settings, location))
    elif data.kind == WEBHOOK:
        errors.extend(webhook_problems(settings, location))
    else:
        errors.append(FieldError("INVALID", _("Unknown target kind {kind}"), field="kind",
                                 kind=data.kind[:16]))
    if errors:
        raise ValidationFailed(errors)
    if target is None:
        target = ExportTarget(name=name, last_status="", last_error="")
        session.add(target)
    target.format, target.kind, target.location = data.format, data.kind, location
    # Only the text formats have an encoding; Excel and JSON files ignore it.
    target.encoding = encoding if data.format in DEFAULT_ENCODING and encoding else ""
    target.hour, target.active = data.hour, data.active
    session.flush()
    return target


def shown_location(target: ExportTarget) -> str:
    """The location as users see it: a webhook's user, password and query are blanked
    (they are often its credentials); giving it back unchanged to :func:`set_target` keeps
    the stored one."""
    return redacted(target.location) if target.kind == WEBHOOK else target.location


def delete_target(session: Session, name: str) -> None:
    """Delete a target that never pushed; one with batches is refused
    (``EXPORT_TARGET_IN_USE``: deactivate it instead, its batches say what it was sent)."""
    target = session.scalar(select(ExportTarget).where(ExportTarget.name == name.strip()))
    if target is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown export target {name}"),
                                          field="name", name=name[:64]))
    if session.scalar(select(ExportBatch.id).where(ExportBatch.target_id == target.id)
                      .limit(1)) is not None:
        raise ValidationFailed(FieldError(
            "EXPORT_TARGET_IN_USE", _("The target {name} has pushed files: deactivate it "
                                      "instead"), field="name", name=target.name))
    session.delete(target)
    session.flush()
