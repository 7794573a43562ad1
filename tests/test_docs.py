"""docs/reliability.md proves each response by naming a test: every test it names exists."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_test_the_reliability_table_cites_exists():
    text = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    cited = set(re.findall(r"`((?:model|gui)/[\w/]+\.py)::(\w+)(?:\[[^\]]*\])?`", text))
    assert len(cited) > 50  # the table cites its tests this way
    missing = [f"{path}::{name}" for path, name in sorted(cited)
               if not (ROOT / "tests" / path).is_file()
               or not re.search(rf"^\s*def {name}\(", (ROOT / "tests" / path).read_text(), re.MULTILINE)]
    assert not missing, missing
