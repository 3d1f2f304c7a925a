"""Images in replies as WeChat temporary media (docs/platforms.md §1.12): fetched from their
URL, made a JPEG, PNG or GIF under 2 MB if they are not, uploaded once per content and the
media id kept for its three days in the shared store (keyed by the content's SHA-256).
"""

from __future__ import annotations

import hashlib
import io
import logging
from datetime import timedelta

import aiohttp
from PIL import Image, UnidentifiedImageError

from bot.adapters.wechat.api import TOKEN_ERRORS, AccessTokens
from bot.core.errors import MediaError
from bot.core.http import fetch_bytes, upload_file

log = logging.getLogger(__name__)

UPLOAD_PATH = "/cgi-bin/media/upload"
MAX_BYTES = 2 * 1024 * 1024  # the lower of the image limits WeChat's pages state
MAX_DOWNLOAD = 20 * 1024 * 1024  # a bigger source image is not fetched at all
MAX_PIXELS = 40_000_000  # a larger one is not decoded (a decompression bomb)
MAX_SIDE = 2048
# Temporary media live three days; a cached id is dropped an hour before, so none lapses
# between looking it up and WeChat delivering the message.
MEDIA_LIFE = timedelta(days=3) - timedelta(hours=1)
KINDS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "GIF": ("image/gif", "gif")}


def as_upload(content: bytes) -> tuple[bytes, str, str]:
    """The image as WeChat takes it: (bytes, MIME type, file extension); MediaError if it is
    not an image. JPEG, PNG and GIF under the limit go as they are; others become JPEG."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise MediaError(f"image of {image.width}x{image.height} is too large",
                                 permanent=True)
            kind = image.format or ""
            if kind in KINDS and len(content) <= MAX_BYTES:
                mime, extension = KINDS[kind]
                return content, mime, extension
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            picture = image.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise MediaError(f"not an image WeChat can show ({error})", permanent=True) from None
    for quality in (85, 70, 55):
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=quality, optimize=True)
        if buffer.tell() <= MAX_BYTES:
            return buffer.getvalue(), "image/jpeg", "jpg"
        picture.thumbnail((picture.width * 3 // 4, picture.height * 3 // 4))
    raise MediaError("image stays over 2 MB even made smaller", permanent=True)


class MediaUploads:
    """Media ids for image URLs: one upload per image content, shared by every process."""

    def __init__(self, tokens: AccessTokens) -> None:
        self.tokens = tokens

    def _key(self, digest: str) -> str:
        return f"wechat:media:{self.tokens.app_id}:{digest}"

    async def media_id(self, session: aiohttp.ClientSession, url: str) -> str:
        """The media id of the image at `url`, uploading it unless that content already is."""
        try:
            status, _, content = await fetch_bytes(session, url, max_bytes=MAX_DOWNLOAD)
        except ValueError as error:
            raise MediaError(f"image at {url} is too big ({error})", permanent=True) from None
        if status >= 400:
            raise MediaError(f"image at {url} answered HTTP {status}", permanent=status < 500)
        digest = hashlib.sha256(content).hexdigest()
        cached = self.tokens.kv.get(self._key(digest), self.tokens.now())
        if cached is not None:
            return cached
        upload, mime, extension = as_upload(content)
        media_id = await self._upload(session, upload, mime, f"{digest[:16]}.{extension}")
        now = self.tokens.now()
        self.tokens.kv.set(self._key(digest), media_id, now, expires_at=now + MEDIA_LIFE)
        log.info("uploaded an image as WeChat media (%d bytes)", len(upload))
        return media_id

    async def _upload(
        self, session: aiohttp.ClientSession, content: bytes, mime: str, filename: str
    ) -> str:
        token = await self.tokens.get(session)
        for attempt in range(2):
            answer = await upload_file(
                session, self.tokens.base_url + UPLOAD_PATH, field="media", filename=filename,
                content=content, content_type=mime,
                params={"access_token": token, "type": "image"},
            )
            data = answer.body if isinstance(answer.body, dict) else {}
            media_id = data.get("media_id")
            if isinstance(media_id, str) and media_id:
                return media_id
            if data.get("errcode") in TOKEN_ERRORS and attempt == 0:
                token = await self.tokens.get(session, stale=token)
                continue
            break
        raise MediaError(
            f"WeChat did not take the image: HTTP {answer.status} {answer.text[:200]}"
        )
