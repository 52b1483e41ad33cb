"""Where the bytes of uploads and generated documents are kept: one small interface, two
backends, chosen by STORAGE. Every file is kept under the SHA-256 of its content, so the
same bytes are kept once and a key never changes meaning.

- `folder` (the default, one server): files under UPLOAD_FOLDER (instance/uploads).
- `database` (several app servers): rows of the `blobs` table, written in the caller's
  transaction, so a file and the record that names it are committed or lost together, and
  every server sees every file without another shared service.

S3-compatible object storage is not offered: there is none on this intranet to test it
against, and a backend that was never run against the real thing is not one to ship."""

import hashlib
import io
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app
from sqlalchemy import select

from mediation.extensions import db

BACKENDS = ("folder", "database")
KEY = re.compile(r"[0-9a-f]{64}")


class Missing(LookupError):
    """No stored file under that key."""


class Storage(Protocol):
    name: str

    def put(self, data: bytes) -> str: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def open(self, key: str) -> BinaryIO: ...

    def keys(self) -> Iterator[str]: ...

    def check(self) -> None: ...


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _valid(key: str) -> str:
    if not KEY.fullmatch(key or ""):
        raise Missing(key)
    return key


class FolderStorage:
    """Files under `root/<first two hex digits>/<sha256>`."""

    name = "folder"

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        return self.root / key[:2] / _valid(key)

    def put(self, data: bytes) -> str:
        """Written to a file of this writer's own and renamed into place: two requests
        storing the same file at once never mix their bytes, and a reader never sees half a
        file."""
        key = digest(data)
        target = self.path(key)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            part = target.with_name(f"{key}.{secrets.token_hex(8)}.part")
            part.write_bytes(data)
            part.replace(target)
        return key

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise Missing(key) from None

    def exists(self, key: str) -> bool:
        try:
            return self.path(key).is_file()
        except Missing:
            return False

    def open(self, key: str) -> BinaryIO:
        try:
            return self.path(key).open("rb")
        except FileNotFoundError:
            raise Missing(key) from None

    def keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob("??/*")):
            if KEY.fullmatch(path.name) and path.is_file():
                yield path.name

    def check(self) -> None:
        """Write, read back and remove a small file of random bytes (raises OSError)."""
        self.root.mkdir(parents=True, exist_ok=True)
        probe = secrets.token_bytes(16)
        path = self.root / f"probe.{secrets.token_hex(8)}.part"
        try:
            path.write_bytes(probe)
            if path.read_bytes() != probe:
                raise OSError("the probe read back differs from what was written")
        finally:
            path.unlink(missing_ok=True)


class DatabaseStorage:
    """Rows of `blobs`, in the session's transaction: the caller's commit keeps them."""

    name = "database"

    def put(self, data: bytes) -> str:
        from mediation.models import Blob

        key = digest(data)
        table = Blob.__table__
        if db.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        # The same content stored at once by two requests: the second waits on the key and
        # then does nothing (the bytes are the same, by their hash).
        statement = insert(table).values(sha256=key, size=len(data), data=data, created_at=_now())
        db.session.execute(statement.on_conflict_do_nothing(index_elements=["sha256"]))
        return key

    def get(self, key: str) -> bytes:
        from mediation.models import Blob

        data = db.session.scalar(select(Blob.data).where(Blob.sha256 == _valid(key)))
        if data is None:
            raise Missing(key)
        return bytes(data)

    def exists(self, key: str) -> bool:
        from mediation.models import Blob

        try:
            found = db.session.scalar(select(Blob.sha256).where(Blob.sha256 == _valid(key)))
        except Missing:
            return False
        return found is not None

    def open(self, key: str) -> BinaryIO:
        return io.BytesIO(self.get(key))

    def keys(self) -> Iterator[str]:
        from mediation.models import Blob

        yield from db.session.scalars(
            select(Blob.sha256).order_by(Blob.sha256).execution_options(yield_per=1000)
        )

    def check(self) -> None:
        """Insert a row of random bytes, read it back, and roll it away: proves the table
        is writable and leaves nothing behind (raises the database's error)."""
        probe = secrets.token_bytes(16)
        try:
            key = self.put(probe)
            if self.get(key) != probe:
                raise OSError("the probe read back differs from what was written")
        finally:
            db.session.rollback()


def _now():
    from mediation.models.base import utcnow

    return utcnow()


def backend_for(app) -> Storage:
    name = app.config["STORAGE"]
    if name == "database":
        return DatabaseStorage()
    if name == "folder":
        return FolderStorage(
            Path(app.config.get("UPLOAD_FOLDER") or Path(app.instance_path) / "uploads")
        )
    raise RuntimeError(f"STORAGE must be one of {', '.join(BACKENDS)}, not {name!r}.")


def init_app(app) -> None:
    app.extensions["storage"] = backend_for(app)  # refuses an unknown STORAGE at start


def storage() -> Storage:
    """The app's store of files, as STORAGE configures it."""
    return current_app.extensions["storage"]
