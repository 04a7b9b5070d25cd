"""A payroll as a unit's accounting software sends it: a voucher and its payee list (Mẫu 20),
for the tests, the benchmark and the demo. Deterministic: line i is always the same person."""
from __future__ import annotations

from devstack.demo import sample_content

GROUPS = ("civil_servant", "public_employee", "contract_worker", "other")
BANKS = (("01201001", "Ngân hàng TMCP Công thương Việt Nam - CN Hà Nội"),
         ("01203001", "Ngân hàng TMCP Ngoại thương Việt Nam - CN Hà Nội"),
         ("01204001", "Ngân hàng Nông nghiệp và Phát triển Nông thôn - CN Hà Nội"))
TREASURY_ACCOUNT_PREFIX = "3713."   # payees holding their account at the treasury


def payee_lines(count: int, *, treasury_every: int = 0) -> list[dict]:
    """`count` salary lines; every `treasury_every`-th payee banks at the treasury (0: none)."""
    lines = []
    for i in range(count):
        code, bank = BANKS[i % len(BANKS)]
        line = {"name": f"Nguyễn Thị Lan Anh {i + 1:05d}", "group": GROUPS[i % len(GROUPS)],
                "account": f"{1_020_000_000 + i * 7}", "bank_code": code, "bank_name": bank,
                "amount": 6_000_000 + (i % 97) * 12_345}
        if treasury_every and i % treasury_every == treasury_every - 1:
            line.update(institution="treasury", account=f"{TREASURY_ACCOUNT_PREFIX}{i + 1:07d}",
                        bank_name="Kho bạc Nhà nước Khu vực I")
            del line["bank_code"]
        lines.append(line)
    return lines


def payroll_content(number: str, count: int, *, treasury_every: int = 0, **payer) -> dict:
    """A salary voucher whose total is its payee list's total, the list signed with it."""
    lines = payee_lines(count, treasury_every=treasury_every)
    total = sum(line["amount"] for line in lines)
    content = sample_content(number, total, **payer)
    content["voucher"]["lines"] = [{"content": "Chi lương tháng 12 theo danh sách",
                                    "economic_code": "6001", "sector_code": "072",
                                    "source_code": "13", "amount": total}]
    content["voucher"]["payee"] = {"name": "Chi lương theo danh sách kèm theo",
                                   "account": "0011004455667", "bank": "Theo danh sách"}
    content["payee_list"] = {"form": "20", "total": total, "lines": lines}
    return content
