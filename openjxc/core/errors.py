"""Errors the kernel raises. Each carries a stable code and a readable message."""

from __future__ import annotations


class OpenJXCError(Exception):
    """Base of every expected error: the CLI prints its message, never a traceback."""

    code = "ERROR"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class BootError(OpenJXCError):
    """The environment cannot be built: addon set, hooks or contributions are inconsistent."""

    code = "BOOT_ERROR"


class AddonResolutionError(BootError):
    code = "ADDON_RESOLUTION"


class ConfigError(OpenJXCError):
    code = "CONFIG_ERROR"


class MigrationError(OpenJXCError):
    code = "MIGRATION_ERROR"


class DatabaseBehindError(MigrationError):
    """The database's migrations are behind the installed addons' code."""

    code = "MIGRATIONS_BEHIND"


class FieldError:
    """One refused piece of input: a stable ``code``, the input ``field`` path and a message.

    ``message`` is a catalogue msgid — usually ``_("…")`` from :mod:`openjxc.core.i18n`, so
    that extraction finds it — with ``{placeholders}`` filled from ``params`` when the message
    is rendered in the caller's locale (services never pick a language).
    """

    __slots__ = ("code", "field", "message", "params")

    def __init__(self, code: str, message: object, /, *, field: tuple[str, ...] | str = (),
                 **params: object) -> None:
        self.code = code
        self.message = str(getattr(message, "msgid", message))
        self.field = (field,) if isinstance(field, str) else tuple(field)
        self.params = {**getattr(message, "params", {}), **params}

    def __repr__(self) -> str:
        return f"FieldError({self.code!r}, field={self.field!r})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, FieldError) and self.code == other.code
                and self.field == other.field and self.params == other.params)

    def __hash__(self) -> int:
        return hash((self.code, self.field))


class ValidationFailed(OpenJXCError):
    """A business rule refused the input; nothing was changed."""

    code = "INVALID"

    def __init__(self, errors: list[FieldError] | FieldError) -> None:
        self.errors = [errors] if isinstance(errors, FieldError) else list(errors)
        first = self.errors[0] if self.errors else None
        text = first.message.format(**first.params) if first else "invalid input"
        super().__init__(text, code=first.code if first else None)

    @property
    def codes(self) -> list[str]:
        return [e.code for e in self.errors]
