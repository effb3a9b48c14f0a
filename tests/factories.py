"""Small builders for test data, going through the real services."""

from __future__ import annotations

from pathlib import Path

from bot.orgfile import parse_org_yaml
from domain.clock import Clock
from domain.db import Database
from domain.services.org import import_org
from domain.uow import UnitOfWork

EXAMPLE_ORG = Path(__file__).resolve().parent.parent / "examples" / "org.yaml"


def load_example_org(db: Database, clock: Clock | None = None) -> None:
    with UnitOfWork(db, clock=clock, actor_label="org-file") as uow:
        import_org(uow, parse_org_yaml(EXAMPLE_ORG.read_text(encoding="utf-8")))
        uow.commit()
