"""Files chosen in a form: read once, and checked against what they claim to be.

The photos the desk sends (an AMC attestation, an appli carte Vitale QR code) go through
:func:`uploaded_image`, which calls the one content check of every upload
(:func:`openfse.domain.file_types.check_content`; the ordonnance is checked by the invoice's
``Attachment`` itself, on the screen and the API alike).
"""

from __future__ import annotations

from starlette.datastructures import UploadFile

from openfse.domain.file_types import IMAGE_TYPES, check_content

__all__ = ["uploaded_image"]


def uploaded_image(upload: object, *, field: str) -> bytes | None:
    """The bytes of the photo chosen in ``field`` (PNG or JPEG, its content checked), or None
    when no file was chosen. Raises :class:`~openfse.errors.InvalidInput` on ``field``."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    content = upload.file.read()
    check_content(content, upload.content_type, IMAGE_TYPES, field=field)
    return content
