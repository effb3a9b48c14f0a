"""The OCR engines that install on every supported Python read quotes from wheel-shipped weights, offline.

``rapidocr`` 3.x downloads models when its own ``RapidOCR()`` is built; our engines
must never do that (no network in production, see README). The offline test runs
the engines in a child process whose every socket connection and DNS look-up
raises (a ``sys.addaudithook`` guard, proven to fire before the engines load).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.ocr.engines import DEFAULT_ENGINE, ENGINES, get_engine, supported_engines
from bot.ocr.extract import extract_quote
from tests.ocr import make_quotes

ROOT = Path(__file__).resolve().parents[2]
EVERYWHERE = ["onnx-v5", "onnx-v6"]  # rapidocr 3.x engines: their wheels install on 3.11–3.13

OFFLINE_CHILD = """
import json, socket, sys

def guard(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request"):
        raise RuntimeError(f"network touched: {event}")

sys.addaudithook(guard)
try:
    socket.create_connection(("127.0.0.1", 9), timeout=1)
except RuntimeError:
    pass
else:
    raise SystemExit("the network guard did not fire")

from bot.ocr.engines import ENGINES
from bot.ocr.extract import extract_quote
from tests.ocr.make_quotes import make_quote

sample = make_quote(1004, template="letter")
out = {"want": sample.truth.total}
for name in sys.argv[1:]:
    out[name] = extract_quote(ENGINES[name]().recognize(sample.image)).to_dict()["total"]
print(json.dumps(out))
"""


@pytest.mark.timeout(600)  # two engine loads in a fresh process: seconds alone, minutes on a busy 2-core box
def test_new_engines_read_a_quote_with_the_network_blocked(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", OFFLINE_CHILD, *EVERYWHERE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=580,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out == {"want": out["want"], **{name: out["want"] for name in EVERYWHERE}}


# The default engine reads this same photo in test_ocr_engines.py
# (test_default_engine_reads_a_sealed_classic_quote, every field asserted there too).
@pytest.mark.parametrize("name", [name for name in EVERYWHERE if name != DEFAULT_ENGINE])
def test_engine_reads_every_field_of_a_quote(name: str) -> None:
    sample = make_quotes.make_quote(1002, template="classic")
    assert sample.truth is not None
    result = extract_quote(get_engine(name).recognize(sample.image)).to_dict()
    assert result["customer"] == sample.truth.customer
    assert result["quote_no"] == sample.truth.quote_no
    assert result["total"] == sample.truth.total
    assert [line["amount"] for line in result["lines"]] == [line.amount for line in sample.truth.lines]
    assert result["checks"]["upper_matches_total"] is True


def test_engines_offered_match_what_this_python_installs() -> None:
    if sys.version_info >= (3, 13):
        assert supported_engines() == EVERYWHERE
        for legacy in ("onnx", "paddle"):
            with pytest.raises(ValueError, match=r"Python ≤ 3\.12"):
                get_engine(legacy)
        assert importlib.util.find_spec("rapidocr_onnxruntime") is None
    else:
        assert supported_engines() == list(ENGINES)
        assert importlib.util.find_spec("rapidocr_onnxruntime") is not None
        assert importlib.util.find_spec("rapidocr_paddle") is not None
    for name in EVERYWHERE:
        assert name in supported_engines()
