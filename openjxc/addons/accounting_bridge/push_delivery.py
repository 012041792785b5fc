"""Where the daily push may deliver, and the delivery itself (no database in here).

Folders.  Folder targets live under the deployment's export directory
(``OPENJXC_EXPORT_DIR``; unset: folder targets are refused); the path is resolved
(symlinks followed) and must stay inside it, at set-up and again at every push.  Files are
written atomically (a temporary file, then a rename) and named with the batch id.

Webhooks.  ``https://``; plain ``http://`` only to a loopback address or where the
deployment allows it (``OPENJXC_EXPORT_ALLOW_HTTP``).  An address that is (or, at push
time, resolves to) a link-local, multicast, unspecified or reserved IP — the cloud
metadata service 169.254.169.254 among them — is refused; addresses on the company's LAN
are allowed (the finance software often runs there).  Redirects are never followed (a 3xx
answer is a failure), the answer's body is never read, and the address is never written
whole into a log or an error: its user, password and query are blanked
(:func:`redacted`).  The POST carries the file's bytes, its content type,
``x-openjxc-filename``/``-batch``/``-checksum`` headers (the batch id lets the receiver
drop a file it already has) and a Standard Webhooks signature made with the deployment's
``secret_key``; anything but a 2xx answer is a failure.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from openjxc.core.alerts.webhook import sign
from openjxc.core.config import Settings
from openjxc.core.errors import FieldError
from openjxc.core.i18n import _

WEBHOOK_TIMEOUT_SECONDS = 20.0
USER_AGENT = "OpenJXC-VoucherPush/0.1"


class PushError(Exception):
    """A delivery that did not happen (the message is recorded on the target)."""


@dataclass(frozen=True)
class Parcel:
    """A batch's file as it leaves: read in one transaction, delivered outside any."""

    batch_id: int
    filename: str
    content_type: str
    content: bytes
    checksum: str
    vouchers: int


# -- folders -------------------------------------------------------------------------------

def export_root(settings: Settings) -> Path | None:
    return Path(settings.export_dir).resolve() if settings.export_dir.strip() else None


def folder_of(settings: Settings, location: str) -> Path:
    """The folder a target writes into, resolved; :class:`PushError` if outside."""
    root = export_root(settings)
    if root is None:
        raise PushError("folder targets need the deployment's export directory "
                        "(OPENJXC_EXPORT_DIR)")
    path = (root / location).resolve()
    if path != root and root not in path.parents:
        raise PushError(f"{location!r} is outside the export directory")
    return path


def folder_problems(settings: Settings, location: str) -> list[FieldError]:
    if export_root(settings) is None:
        return [FieldError("INVALID", _("Folder targets need the deployment's export "
                                        "directory (OPENJXC_EXPORT_DIR)"), field="location")]
    if "\x00" in location or len(location) > 500:
        return [FieldError("INVALID", _("Not a folder name"), field="location")]
    try:
        folder_of(settings, location)
    except (PushError, OSError, ValueError):
        return [FieldError("INVALID", _("The folder must be inside the export directory"),
                           field="location")]
    return []


def write_file(folder: Path, filename: str, content: bytes) -> Path:
    """Write ``folder/filename`` atomically: readers see the whole file or none."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / filename
    handle, temporary = tempfile.mkstemp(prefix=f".{filename}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, final)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return final


# -- webhooks ------------------------------------------------------------------------------

def redacted(url: str) -> str:
    """``url`` fit for a log: no user, password, query or fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        if parts.port is not None:
            netloc += f":{parts.port}"
    except ValueError:
        return "<an invalid address>"
    return urlunsplit((parts.scheme, netloc, parts.path, "…" if parts.query else "", ""))


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def forbidden_ip(address: str) -> bool:
    """No webhook goes to a link-local (cloud metadata), multicast, unspecified or
    reserved address; loopback and the LAN's private ranges are allowed."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_link_local or ip.is_multicast or ip.is_unspecified
            or (ip.is_reserved and not ip.is_loopback))


def webhook_problems(settings: Settings, url: str) -> list[FieldError]:
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _port = parts.port  # a port that is not a number raises here
    except ValueError:
        parts, host = urlsplit(""), None
    if len(url) > 500 or parts.scheme not in ("http", "https") or not host:
        return [FieldError("INVALID", _("A webhook is an https:// address"),
                           field="location")]
    if parts.scheme == "http" and not (_loopback(host) or settings.export_allow_http):
        return [FieldError("INVALID", _("A webhook must use https:// (http:// only to this "
                                        "machine)"), field="location")]
    if forbidden_ip(host):
        return [FieldError("INVALID", _("A webhook cannot go to a link-local, multicast or "
                                        "reserved address"), field="location")]
    return []


def _check_resolved(url: str) -> None:
    """Refuse a host name that resolves to a forbidden address (checked at every push)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https"
                                                        else 80), type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise PushError(f"cannot resolve the webhook's host {host!r}") from exc
    for info in infos:
        if forbidden_ip(str(info[4][0])):
            raise PushError(f"the webhook's host {host!r} resolves to a forbidden address "
                            f"{info[4][0]}")


def post_file(settings: Settings, url: str, parcel: Parcel) -> None:
    """POST the file; :class:`PushError` unless the answer is a 2xx (body never read)."""
    if webhook_problems(settings, url):
        raise PushError(f"refused webhook address {redacted(url)}")
    _check_resolved(url)
    timestamp = int(time.time())
    msg_id = f"voucher-batch-{parcel.batch_id}"
    headers = {
        "content-type": parcel.content_type,
        "content-disposition": f'attachment; filename="{parcel.filename}"',
        "user-agent": USER_AGENT,
        "x-openjxc-filename": parcel.filename,
        "x-openjxc-batch": str(parcel.batch_id),
        "x-openjxc-checksum": f"sha256={parcel.checksum}",
        "x-openjxc-vouchers": str(parcel.vouchers),
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(settings.secret_key.encode("utf-8"), msg_id, timestamp,
                                  parcel.content),
    }
    try:
        with httpx.Client(timeout=WEBHOOK_TIMEOUT_SECONDS, follow_redirects=False) as client, \
                client.stream("POST", url, content=parcel.content,
                              headers=headers) as response:
            status = response.status_code
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        detail = (str(exc) or type(exc).__name__).replace(url, redacted(url))
        raise PushError(f"the webhook could not be reached: {detail}") from None
    if not 200 <= status < 300:
        raise PushError(f"the webhook answered {status}")
