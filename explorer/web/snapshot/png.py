"""Encoding a snapshot as PNG, with its print resolution, and writing it atomically."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QImage

from explorer.io.atomic import atomic_target


def png_bytes(image: QImage, dpi: float | None = None) -> bytes:
    """``image`` encoded as PNG (with its print resolution recorded when ``dpi`` is given)."""
    if dpi is not None:
        image = QImage(image)
        dpm = round(dpi / 0.0254)
        image.setDotsPerMeterX(dpm)
        image.setDotsPerMeterY(dpm)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # PySide6 takes the format as str here, whatever its type stubs say.
    if not image.save(buffer, "PNG"):  # type: ignore[call-overload]
        raise OSError("could not encode the snapshot as PNG")
    buffer.close()
    return bytes(data.data())


def save_png(path: str | os.PathLike[str], image: QImage, dpi: float | None = None) -> Path:
    """Write ``image`` as a PNG at ``path`` atomically (never a half-written file)."""
    data = png_bytes(image, dpi)
    with atomic_target(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


__all__ = ["png_bytes", "save_png"]
