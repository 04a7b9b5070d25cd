"""Domain errors: one class per HTTP meaning, each carrying a stable code, a Vietnamese message
for people and the offending field. chalicelib/api/request.py maps them to responses in one place."""
from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"
    message = "Yêu cầu không hợp lệ."

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 field: str | None = None) -> None:
        self.message = message or type(self).message
        self.code = code or type(self).code
        self.field = field
        super().__init__(f"{self.code}: {self.message}")

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


class BadRequest(DomainError):
    status = 400
    code = "bad_request"


class InvalidField(DomainError):
    """The request parsed but a value breaks a rule of the voucher or the procedure."""
    status = 422
    code = "invalid_field"
    message = "Giá trị không hợp lệ."


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    message = "Chưa đăng nhập hoặc phiên đăng nhập không hợp lệ."


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    message = "Bạn không có quyền thực hiện thao tác này."


class NotFound(DomainError):
    status = 404
    code = "not_found"
    message = "Không tìm thấy."


class Conflict(DomainError):
    """Someone else got there first, or the object is no longer in a state that allows this."""
    status = 409
    code = "conflict"
    message = "Trạng thái đã thay đổi, vui lòng tải lại."


class IdempotencyKeyReused(DomainError):
    status = 422
    code = "idempotency_key_reused"
    message = "Khóa Idempotency-Key đã được dùng cho một yêu cầu có nội dung khác."


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"
    message = "Nội dung yêu cầu quá lớn."


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_file_type"
    message = "Tệp phải là CSV (text/csv) hoặc Excel (.xlsx)."
