"""Domain errors carry a Chinese message for users and a code for machines."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule violation. ``message`` is shown to users as-is."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    """Someone else changed the record first; the caller must re-read and retry."""

    code = "conflict"


class InvalidTransition(DomainError):
    code = "invalid_transition"


class ValidationFailed(DomainError):
    code = "validation_failed"


class OrgImportError(DomainError):
    """The org file is wrong; ``problems`` lists (line, message) pairs."""

    code = "org_import_error"

    def __init__(self, problems: list[tuple[int | None, str]]) -> None:
        self.problems = problems
        lines = [f"第 {ln} 行 / line {ln}: {msg}" if ln else msg for ln, msg in problems]
        super().__init__(
            "组织架构文件有错误，未写入任何数据 / org file rejected, nothing written:\n" + "\n".join(lines)
        )
