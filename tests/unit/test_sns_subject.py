"""SNS refuses a Subject of 100 characters or more, or with a line break (InvalidParameter, and
moto says the same): every notice published to a topic goes out with a subject it accepts."""
from __future__ import annotations

import pytest

from chalicelib.adapters.notify import SNS_SUBJECT_MAX, sns_subject

pytestmark = pytest.mark.unit


def test_a_long_subject_is_cut_under_snss_limit_with_an_ellipsis():
    long = "[KBNN] Từ chối trích tài khoản 9523.1.1023456: hóa đơn tiền điện số HD-1 vượt mức tối " \
           "đa mỗi hóa đơn đơn vị đã đăng ký"
    cut = sns_subject(long)
    assert len(long) > 100 and len(cut) == SNS_SUBJECT_MAX < 100
    assert cut.endswith("…") and long.startswith(cut[:-1])


def test_a_short_subject_is_kept_on_one_line():
    assert sns_subject("[KBNN] Báo Nợ") == "[KBNN] Báo Nợ"
    assert sns_subject("[KBNN]\n Báo  Nợ") == "[KBNN] Báo Nợ"
