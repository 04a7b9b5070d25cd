"""Sample budget forms (Decree 347/2025 Mẫu 22, 08, 09) for the demo unit THPT Chu Văn An: what
the tests, the OpenAPI examples and a client author can start from. Years default to the
product clock's (a form names an open budget year)."""
from __future__ import annotations

from chalicelib import clock
from chalicelib.domain.calendar import local_date

UNIT, CHAPTER, ESTIMATE_ACCOUNT = "1012345", "422", "9523.1.1012345"


def this_year() -> int:
    return local_date(clock.now()).year


def allocation_content(number: str = "TC-0001", total: int = 120_000_000, *, year: int | None = None,
                       unit: str = UNIT, chapter: str = CHAPTER, account: str = ESTIMATE_ACCOUNT
                       ) -> dict:
    """A temporary allocation request (Mẫu 22) as signed content: two lines adding up to `total`."""
    first, year = total // 3 * 2, year or this_year()
    return {"procedure": "temporary_allocation", "allocation_request": {
        "number": number, "budget_year": year,
        "unit": {"unit_code": unit, "chapter_code": chapter, "account": account},
        "basis": {"estimate_year": year - 1, "annual_estimate": 1_800_000_000,
                  "monthly_average": 150_000_000},
        "lines": [
            {"content": "Chi lương và phụ cấp tháng 01", "sector_code": "072",
             "source_code": "13", "amount": first},
            {"content": "Chi điện, nước, văn phòng phẩm", "sector_code": "072",
             "source_code": "13", "amount": total - first},
        ],
        "total": total}}


def return_form(total: int, *, estimate_year: int | None = None, returned_from: str = "actual",
                chapter: str = CHAPTER) -> dict:
    """A return of funds (Mẫu 08), one line for `total`."""
    estimate_year = estimate_year or this_year()
    return {"returned_from": returned_from,
            "lines": [{"content": "Nộp trả kinh phí thừa", "economic_code": "6001",
                       "chapter_code": chapter, "sector_code": "072", "source_code": "13",
                       "estimate_year": estimate_year, "amount": total}],
            "total": total}


def adjustment_form(paid_lines: list[dict], *, to_economic_code: str = "6051",
                    estimate_year: int | None = None, chapter: str = CHAPTER) -> dict:
    """An adjustment of budget figures (Mẫu 09): the paid voucher's lines as recorded, proposed
    again under another economic-content code."""
    estimate_year = estimate_year or this_year()
    def row(line: dict, economic_code: str, side: str) -> dict:
        return {"description": line.get("content", "Điều chỉnh"), "estimate_year": estimate_year,
                "advance_or_actual": "actual", "economic_code": economic_code,
                "chapter_code": chapter, "sector_code": line["sector_code"],
                "source_code": line["source_code"], "side": side, "amount": line["amount"]}
    return {"reason": "Hạch toán nhầm mã nội dung kinh tế",
            "recorded": [row(line, line["economic_code"], "debit") for line in paid_lines],
            "proposed": [row(line, to_economic_code, "debit") for line in paid_lines]}
