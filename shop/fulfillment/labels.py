"""Shipping labels as real PDFs: 4x6 inches, addresses, service, weight, and a Code 128
barcode of the tracking number that a warehouse scanner reads.

python-barcode encodes the tracking number into Code 128 modules (its checksum and
start/stop symbols included); reportlab draws them as bars, so no image library is needed.
"""

from __future__ import annotations

import io
from datetime import datetime

import barcode
from reportlab.lib.pagesizes import inch
from reportlab.pdfgen import canvas

from shop.fulfillment.carriers import Address

PAGE = (4 * inch, 6 * inch)
MARGIN = 0.2 * inch


def code128_modules(value: str) -> str:
    """The bar pattern of ``value``: one character per module, ``1`` for a bar."""
    return barcode.get("code128", value).build()[0]


def render_label(
    *,
    carrier_name: str,
    service: str,
    tracking_number: str,
    ship_from: Address,
    ship_to: Address,
    weight_grams: int,
    reference: str,
    created_at: datetime,
    returning: bool = False,
) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=PAGE, pageCompression=0)
    pdf.setTitle(f"{carrier_name} label {tracking_number}")
    pdf.setAuthor("shop")
    width, height = PAGE
    top = height - MARGIN

    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(MARGIN, top - 14, carrier_name.upper())
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawRightString(width - MARGIN, top - 14, service.upper())
    pdf.line(MARGIN, top - 22, width - MARGIN, top - 22)

    y = _address(pdf, "FROM", ship_from, top - 36, size=8)
    pdf.line(MARGIN, y - 4, width - MARGIN, y - 4)
    y = _address(pdf, "RETURN TO" if returning else "SHIP TO", ship_to, y - 18, size=11)
    pdf.line(MARGIN, y - 4, width - MARGIN, y - 4)

    pdf.setFont("Helvetica", 8)
    pdf.drawString(MARGIN, y - 16, f"WEIGHT {weight_grams / 1000:.2f} KG   REF {reference}   {created_at:%d %b %Y}")

    _barcode(pdf, tracking_number, x=MARGIN, y=1.1 * inch, width=width - 2 * MARGIN, height=1.2 * inch)
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawCentredString(width / 2, 0.85 * inch, _spaced(tracking_number))
    pdf.setFont("Helvetica", 7)
    pdf.drawCentredString(width / 2, 0.6 * inch, f"TRACKING # {tracking_number}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _address(pdf: canvas.Canvas, heading: str, address: Address, y: float, *, size: int) -> float:
    pdf.setFont("Helvetica-Bold", 7)
    pdf.drawString(MARGIN, y, heading)
    pdf.setFont("Helvetica-Bold" if heading != "FROM" else "Helvetica", size)
    for text in address.lines():
        y -= size + 2
        pdf.drawString(MARGIN + 8, y, text[:60])
    return y


def _barcode(pdf: canvas.Canvas, value: str, *, x: float, y: float, width: float, height: float) -> None:
    modules = code128_modules(value)
    module_width = width / len(modules)
    pdf.setFillColorRGB(0, 0, 0)
    start = None
    for index, bit in enumerate(modules + "0"):
        if bit == "1" and start is None:
            start = index
        elif bit == "0" and start is not None:
            pdf.rect(x + start * module_width, y, (index - start) * module_width, height, stroke=0, fill=1)
            start = None


def _spaced(tracking_number: str) -> str:
    """1Z 999 AA1 01 2345 6784: how carriers print numbers for people."""
    if tracking_number.startswith("1Z") and len(tracking_number) == 18:
        n = tracking_number
        return " ".join([n[:2], n[2:5], n[5:8], n[8:10], n[10:14], n[14:]])
    return " ".join(tracking_number[i : i + 4] for i in range(0, len(tracking_number), 4))
