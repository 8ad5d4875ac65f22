"""Package the train side of the labelled corpus as CodeHealer's reference memory.

The service ships without tests/ (the images copy app/, config/ and docs/runbooks/; a wheel
carries app/ only), so the train excerpts and their labels are written into the application:
``app/data/reference/memory.json``. Only threads that ``split.yaml`` puts on the train side are
written; the test side stays unseen by the product. A test checks that the packaged file is
exactly what this script writes from the corpus as it is.

Usage: python scripts/build_reference_memory.py           # write the file
       python scripts/build_reference_memory.py --check   # exit 1 when it differs
"""

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "app" / "data" / "reference" / "memory.json"
ABOUT = (
    "The train side of tests/fixtures/ci_logs (labels.yaml, split.yaml), written by "
    "scripts/build_reference_memory.py: real CI/CD failure logs posted in public threads, "
    "with the category and the right action each thread settled on."
)


def _corpus_split() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "corpus_split", ROOT / "scripts" / "corpus_split.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


corpus_split = _corpus_split()


def train_entries(
    labels: Path = corpus_split.LABELS, split_file: Path = corpus_split.SPLIT
) -> list[dict]:
    """The labelled entries on the train side, in the order of labels.yaml, with their logs."""
    split = corpus_split.load_split(split_file)
    entries = []
    for entry in corpus_split.load_entries(labels):
        side = corpus_split.side_of(entry, split)
        if side is None:
            raise SystemExit(f"{entry['file']}: its thread has no side (run corpus_split.py)")
        if side != "train":
            continue
        log = (labels.parent / entry["file"]).read_text(encoding="utf-8")
        entries.append(
            {
                "name": entry["file"].removesuffix(".log"),
                "source": entry["source"],
                "category": entry["category"],
                "action": entry["action"],
                "log": log,
            }
        )
    return entries


def render(entries: list[dict]) -> str:
    """The file's text: one entry per line, so a change shows as the lines it touches."""
    lines = [json.dumps(entry, ensure_ascii=False, sort_keys=True) for entry in entries]
    head = json.dumps({"format": 1, "about": ABOUT}, ensure_ascii=False)[:-1]
    return head + ', "entries": [\n' + ",\n".join(lines) + "\n]}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the file differs")
    args = parser.parse_args(argv)
    entries = train_entries()
    text = render(entries)
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(
                f"{OUTPUT.relative_to(ROOT)} differs from the train split: run {Path(__file__).name}"
            )
            return 1
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {len(entries)} train entries to {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
