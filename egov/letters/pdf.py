"""The letter as an A4 PDF: the village letterhead with its logo, the title and number, the
body, the place and date, the signer, and a QR code pointing at the verification page.

Drawn with fpdf2 (pure Python; measured against WeasyPrint in docs/benchmarks.md) with a
Latin subset of DejaVu Sans shipped in ``static/egov_letters/fonts`` (nothing is fetched at
run time), and the QR code made with segno. The body is plain text: whatever a villager
typed is drawn as characters, never interpreted as markup.
"""

import io
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path

logger = logging.getLogger(__name__)
# fontTools logs every table it subsets at INFO: a line per table per letter in the hub's log
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONT_DIR = Path(__file__).resolve().parent / "static" / "egov_letters" / "fonts"
MONTHS_ID = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def date_id(day: date) -> str:
    """``2 Desember 2026``: dates on a letter are always written in Indonesian."""
    return f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class Letterhead:
    kabupaten: str
    kecamatan: str
    village: str  # "Desa Sungai Aur"
    address: str
    logo: bytes | None = None


@dataclass(frozen=True)
class LetterContent:
    title: str
    number: str
    body: str
    place: str
    letter_date: date
    signer_name: str
    signer_position: str
    verify_url: str


@cache
def _qr_png(url: str) -> bytes:
    import segno  # imported when a letter is drawn: see letter_pdf_render

    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=4, border=1)
    return out.getvalue()


def letter_pdf_render(*, head: Letterhead, content: LetterContent) -> bytes:
    # fpdf2 (with fontTools) and segno are imported here, not with the module: loaded with the
    # app they put ~16 MB into every web worker and cluster process, most of which never draw a
    # letter (docs/benchmarks.md, memory)
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_creator("Balai")
    pdf.set_title(f"{content.title} {content.number}")
    # the letter's own date, not the clock: rendering the same letter again gives the same bytes
    pdf.set_creation_date(datetime.combine(content.letter_date, time(12), tzinfo=UTC))
    pdf.add_font("Balai", "", str(FONT_DIR / "BalaiSans.ttf"))
    pdf.add_font("Balai", "B", str(FONT_DIR / "BalaiSans-Bold.ttf"))
    pdf.set_margins(25, 15, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()

    # letterhead: logo at the left, the names centred, a double rule below
    top = pdf.get_y()
    if head.logo:
        try:
            pdf.image(io.BytesIO(head.logo), x=25, y=top, h=24)
        except Exception:  # noqa: BLE001 - a broken logo must not stop a letter
            logger.warning("the village logo could not be drawn on a letter", exc_info=True)
    pdf.set_font("Balai", "B", 13)
    for line in (
        f"PEMERINTAH {head.kabupaten}".upper().strip(),
        f"KECAMATAN {head.kecamatan}".upper().strip(),
        head.village.upper(),
    ):
        pdf.cell(0, 6.5, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Balai", "", 9)
    if head.address:
        pdf.multi_cell(0, 4.5, head.address, align="C", new_x="LMARGIN", new_y="NEXT")
    y = max(pdf.get_y(), top + 25) + 2
    pdf.set_line_width(0.8)
    pdf.line(25, y, 190, y)
    pdf.set_line_width(0.2)
    pdf.line(25, y + 1.2, 190, y + 1.2)
    pdf.set_y(y + 6)

    # title and number
    pdf.set_font("Balai", "B", 12)
    pdf.cell(0, 6, content.title.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    width = pdf.get_string_width(content.title.upper())
    pdf.line(105 + 7.5 - width / 2, pdf.get_y(), 105 + 7.5 + width / 2, pdf.get_y())
    pdf.set_font("Balai", "", 10.5)
    pdf.cell(0, 6, f"Nomor: {content.number}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)

    # body
    pdf.set_font("Balai", "", 10.5)
    pdf.multi_cell(0, 5.6, content.body, align="J", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)

    # QR at the left, the signature block at the right, side by side
    if pdf.get_y() > 297 - 20 - 55:
        pdf.add_page()
    block = pdf.get_y()
    pdf.image(io.BytesIO(_qr_png(content.verify_url)), x=25, y=block, w=30, h=30)
    pdf.set_xy(25, block + 31)
    pdf.set_font("Balai", "", 6.5)
    pdf.multi_cell(60, 3, f"Periksa keaslian surat:\n{content.verify_url}", align="L")
    pdf.set_font("Balai", "", 10.5)
    pdf.set_xy(115, block)
    pdf.multi_cell(
        75,
        5.6,
        f"{content.place}, {date_id(content.letter_date)}\n{content.signer_position}",
        align="C",
    )
    pdf.set_xy(115, block + 32)
    pdf.set_font("Balai", "B", 10.5)
    pdf.multi_cell(75, 5.6, content.signer_name or "(.................................)", align="C")
    return bytes(pdf.output())
