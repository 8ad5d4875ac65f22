"""The frozen train/test split of the labelled failure corpus.

The split is by source thread: every excerpt of one thread is on the same side, so no
thread's wording helps a rule pass a test case. ``tests/fixtures/ci_logs/split.yaml`` records
the side of every thread, and a thread once recorded never moves. Only threads not yet in the
file are assigned, in the order of a hash of their address (not of their content), to test
while their category's test share is under ``TEST_SHARE`` and to train otherwise — so the
split stays stratified by category as the corpus grows.

The logs the rules were first written against (files numbered below ``FIRST_UNTUNED``) are
train by construction: a rule tuned on them cannot be judged on them.

Usage: python scripts/corpus_split.py            # assign new threads, print the shares
       python scripts/corpus_split.py --check    # exit 1 when a thread is unassigned
"""

import argparse
import hashlib
import re
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "tests" / "fixtures" / "ci_logs"
LABELS = LOGS / "labels.yaml"
SPLIT = LOGS / "split.yaml"

TEST_SHARE = 0.40
FIRST_UNTUNED = 100
SIDES = ("train", "test")

_GITHUB_THREAD = re.compile(
    r"^https?://github\.com/(?P<owner>[^/]+)/(?P<repo>[^/]+)/(?:issues|pull|discussions)/(?P<n>\d+)"
)


def thread_of(source: str) -> str:
    """One key per source thread: fragment, query and sub-pages dropped; an issue and the pull
    request of the same number are the same thread on GitHub."""
    address = source.strip().split("#", 1)[0].split("?", 1)[0].rstrip("/")
    match = _GITHUB_THREAD.match(address)
    if match is None:
        return address.lower()
    owner, repo, number = match["owner"].lower(), match["repo"].lower(), match["n"]
    return f"https://github.com/{owner}/{repo}/issues/{number}"


def load_entries(labels: Path = LABELS) -> list[dict]:
    return yaml.safe_load(labels.read_text(encoding="utf-8"))["logs"]


def load_split(path: Path = SPLIT) -> dict[str, str]:
    if not path.exists():
        return {}
    return dict(yaml.safe_load(path.read_text(encoding="utf-8"))["threads"] or {})


def side_of(entry: dict, split: dict[str, str]) -> str | None:
    return split.get(thread_of(entry["source"]))


def _tuned_on(entry: dict) -> bool:
    return int(entry["file"].split("_", 1)[0]) < FIRST_UNTUNED


def assign_new_threads(entries: list[dict], split: dict[str, str]) -> dict[str, str]:
    """The split with every unassigned thread given a side; recorded threads keep theirs."""
    result = dict(split)
    thread_category: dict[str, str] = {}
    tuned: set[str] = set()
    for entry in entries:
        thread = thread_of(entry["source"])
        thread_category.setdefault(thread, entry["category"])
        if _tuned_on(entry):
            tuned.add(thread)
    for thread in tuned - result.keys():
        result[thread] = "train"
    test_entries, all_entries = _counts_by_category(entries, result)
    new = sorted(
        (t for t in thread_category if t not in result),
        key=lambda t: hashlib.sha256(t.encode()).hexdigest(),
    )
    per_thread = Counter(thread_of(e["source"]) for e in entries)
    for thread in new:
        category = thread_category[thread]
        total = sum(n for t, n in per_thread.items() if thread_category[t] == category)
        side = "test" if test_entries[category] < TEST_SHARE * total else "train"
        result[thread] = side
        if side == "test":
            test_entries[category] += per_thread[thread]
        all_entries[category] += per_thread[thread]
    return result


def _counts_by_category(
    entries: list[dict], split: dict[str, str]
) -> tuple[Counter[str], Counter[str]]:
    test, assigned = Counter(), Counter()
    for entry in entries:
        side = side_of(entry, split)
        if side is None:
            continue
        assigned[entry["category"]] += 1
        if side == "test":
            test[entry["category"]] += 1
    return test, assigned


def write_split(split: dict[str, str], path: Path = SPLIT) -> None:
    header = (
        "# Frozen train/test split of labels.yaml by source thread (scripts/corpus_split.py).\n"
        "# A recorded thread never changes side. Rules and prompts are tuned on train only;\n"
        "# the test side is not read while tuning.\n"
    )
    body = yaml.safe_dump({"threads": dict(sorted(split.items()))}, sort_keys=False, width=200)
    path.write_text(header + body, encoding="utf-8")


def shares(entries: list[dict], split: dict[str, str]) -> list[str]:
    test, assigned = _counts_by_category(entries, split)
    rows = [f"{'category':<26}{'train':>6}{'test':>6}{'test share':>12}"]
    for category in sorted(assigned):
        n, t = assigned[category], test[category]
        rows.append(f"{category:<26}{n - t:>6}{t:>6}{t / n:>12.2f}")
    n, t = sum(assigned.values()), sum(test.values())
    rows.append(f"{'all':<26}{n - t:>6}{t:>6}{t / n:>12.2f}")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a thread is unassigned")
    args = parser.parse_args(argv)
    entries, split = load_entries(), load_split()
    missing = [e["file"] for e in entries if side_of(e, split) is None]
    if args.check:
        for name in missing:
            print(f"unassigned: {name}")
        return 1 if missing else 0
    split = assign_new_threads(entries, split)
    write_split(split)
    print(f"threads: {len(split)}; entries newly assigned: {len(missing)}")
    print("\n".join(shares(entries, split)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
