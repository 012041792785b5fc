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
