"""WhatsApp media the fake holds: uploads, and deterministic synthetic files for unseen ids."""

from __future__ import annotations

import hashlib
import itertools
import random
from dataclasses import dataclass

# What an unseen media id resolves to: the simulator's inbound webhooks carry media ids the
# fake never received, and a gateway downloading them must get a stable file back.
SYNTHETIC_KINDS = (
    ("image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"),
    ("audio/ogg", b"OggS\x00\x02"),
    ("video/mp4", b"\x00\x00\x00\x18ftypmp42"),
    ("application/pdf", b"%PDF-1.4\n"),
    ("image/webp", b"RIFF\x00\x00\x00\x00WEBPVP8 "),
)


@dataclass(frozen=True, slots=True)
class Media:
    """One file: id, owner tenant (None for synthetic), MIME type, bytes."""

    id: str
    tenant: str | None
    mime_type: str
    content: bytes
    filename: str | None = None

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the content, as the media URL answer gives it."""
        return hashlib.sha256(self.content).hexdigest()

    @property
    def size(self) -> int:
        """File size in bytes."""
        return len(self.content)


def synthetic(media_id: str) -> Media:
    """The file an unseen numeric id stands for: same id, same bytes, every run."""
    digest = hashlib.sha256(media_id.encode("ascii")).digest()
    mime, magic = SYNTHETIC_KINDS[digest[0] % len(SYNTHETIC_KINDS)]
    size = 1024 + int.from_bytes(digest[1:3], "big") % 15360
    filler = (digest * (size // len(digest) + 1))[: size - len(magic)]
    return Media(media_id, None, mime, magic + filler)


class MediaStore:
    """Uploaded files by id; unseen numeric ids resolve to :func:`synthetic` unless deleted."""

    def __init__(self, seed: int | None = 0) -> None:
        self._files: dict[str, Media] = {}
        self._deleted: set[str] = set()
        self._rng = random.Random(seed)
        self._counter = itertools.count(1)

    def new_id(self) -> str:
        """A fresh 16-digit media id, unique in this store."""
        # random high digits look like Meta's ids; the counter guarantees uniqueness
        return f"{self._rng.randint(10, 99)}{next(self._counter):014d}"

    def upload(self, tenant: str, content: bytes, mime_type: str, filename: str | None) -> Media:
        """Keep an uploaded file; returns it with its new id."""
        media = Media(self.new_id(), tenant, mime_type, content, filename)
        self._files[media.id] = media
        return media

    def get(self, media_id: str) -> Media | None:
        """The file with this id: uploaded, or synthetic for an unseen numeric id; None if
        deleted or not numeric (Meta's media ids are digits only)."""
        if media_id in self._deleted or not media_id.isdigit():
            return None
        found = self._files.get(media_id)
        return found if found is not None else synthetic(media_id)

    def delete(self, media_id: str) -> bool:
        """Delete a file; False if it did not resolve."""
        if self.get(media_id) is None:
            return False
        self._files.pop(media_id, None)
        self._deleted.add(media_id)
        return True

    def uploaded(self) -> list[Media]:
        """Every uploaded (not synthetic) file still present."""
        return list(self._files.values())
