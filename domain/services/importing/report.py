"""What an import did or would do, row by row, in the words the user reads.

The same report is printed by ``--dry-run`` and by the real run, so what was
reviewed is what gets written. Row numbers are the ones Excel shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from domain.services.importing.columns import FIELD_LABELS, KIND_LABELS, Column, ImportKind

ENTITY_LABELS = {"customer": "客户", "contact": "联系人", "opportunity": "商机"}


def row_numbers(rows: Iterable[int]) -> str:
    """"第 3、5、8 行", with runs shortened: "第 3–40 行"."""
    nums = sorted(set(rows))
    parts: list[str] = []
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{nums[i]}–{nums[j]}")
        else:
            parts.extend(str(n) for n in nums[i : j + 1])
        i = j + 1
    return f"第 {'、'.join(parts)} 行" if parts else ""


@dataclass(frozen=True)
class ReportLine:
    rows: tuple[int, ...]
    text: str

    def render(self) -> str:
        where = row_numbers(self.rows)
        return f"{self.text}（{where}）" if where else self.text


@dataclass(frozen=True)
class Rejection:
    row: int
    reasons: tuple[str, ...]

    def render(self) -> str:
        return f"第 {self.row} 行：" + "；".join(self.reasons)


@dataclass
class EntityCounts:
    created: list[ReportLine] = field(default_factory=list)
    updated: list[ReportLine] = field(default_factory=list)
    unchanged: int = 0


@dataclass
class ImportReport:
    kind: ImportKind
    header_row: int
    data_rows: int
    columns: list[Column]
    customers: EntityCounts = field(default_factory=EntityCounts)
    contacts: EntityCounts = field(default_factory=EntityCounts)
    opportunities: EntityCounts = field(default_factory=EntityCounts)
    merged: list[ReportLine] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    skip_invalid: bool = False
    applied: bool = False

    @property
    def blocked(self) -> bool:
        """Rejected rows and no ``--skip-invalid``: the real run writes nothing."""
        return bool(self.rejected) and not self.skip_invalid

    @property
    def rejected_rows(self) -> list[int]:
        return [r.row for r in self.rejected]

    @property
    def changes(self) -> int:
        """Records the import creates or updates (0 on a repeated run)."""
        return sum(len(e.created) + len(e.updated) for e in (self.customers, self.contacts, self.opportunities))

    def entity(self, name: str) -> EntityCounts:
        return {"customer": self.customers, "contact": self.contacts, "opportunity": self.opportunities}[name]

    def summary(self) -> str:
        parts = []
        for name in ("customer", "contact", "opportunity"):
            e = self.entity(name)
            if name == "opportunity" and self.kind != ImportKind.OPPORTUNITIES:
                continue
            parts.append(
                f"{ENTITY_LABELS[name]} 新建 {len(e.created)}、更新 {len(e.updated)}、未变 {e.unchanged}"
            )
        parts.append(f"合并写法 {len(self.merged)}")
        parts.append(f"拒绝 {len(self.rejected)} 行")
        return "；".join(parts)

    def outcome(self) -> str:
        if self.applied and not self.changes:
            return "没有需要写入的变化：数据库里已是表格中的内容。"
        if self.applied:
            skipped = f"，已跳过被拒绝的 {len(self.rejected)} 行" if self.rejected else ""
            return f"已写入{skipped}。"
        if self.dry_run:
            if self.blocked:
                return (
                    f"试运行，未写入任何数据。有 {len(self.rejected)} 行被拒绝：正式导入时将不写入任何数据，"
                    "请修正后重试，或加 --skip-invalid 跳过这些行。"
                )
            return "试运行，未写入任何数据。去掉 --dry-run 即按以上内容导入。"
        return (
            f"有 {len(self.rejected)} 行被拒绝，未写入任何数据。请修正后重试，或加 --skip-invalid 跳过这些行。"
        )

    def render(self, limit: int | None = 50) -> list[str]:
        """The report as lines of text; each section shows at most ``limit`` lines (rejections: all)."""
        out: list[str] = []
        mapped = [f"{FIELD_LABELS[c.field]}←「{c.header}」" for c in self.columns if c.field is not None]
        out.append(
            f"导入{KIND_LABELS[self.kind]}：表头在第 {self.header_row} 行，数据 {self.data_rows} 行"
        )
        out.append("识别的列：" + "，".join(mapped))

        def section(title: str, lines: list[str], cap: int | None) -> None:
            if not lines:
                return
            out.append("")
            out.append(f"{title}（{len(lines)}）：")
            shown = lines if cap is None else lines[:cap]
            out.extend(f"  {line}" for line in shown)
            if len(shown) < len(lines):
                out.append(f"  … 还有 {len(lines) - len(shown)} 条（加 --all 显示全部）")

        for name in ("customer", "contact", "opportunity"):
            e = self.entity(name)
            section(f"新建{ENTITY_LABELS[name]}", [f"+ {ln.render()}" for ln in e.created], limit)
            if name == "customer":
                section("合并的写法", [f"= {ln.render()}" for ln in self.merged], limit)
            section(f"更新{ENTITY_LABELS[name]}", [f"~ {ln.render()}" for ln in e.updated], limit)
        section("拒绝的行", [f"✗ {r.render()}" for r in self.rejected], None)
        section("提示", self.warnings, limit)
        out.append("")
        out.append("合计：" + self.summary())
        out.append("结果：" + self.outcome())
        return out
