"""The autonomy benchmark runs a short stream of the corpus's test failures through the real
service on a real PostgreSQL and prints its table, its curve and the targets."""

import importlib.util
import re
from collections import Counter
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[3]


def load_benchmark() -> ModuleType:
    """benchmarks/bench_autonomy.py (not a package), loaded by path."""
    path = ROOT / "benchmarks" / "bench_autonomy.py"
    spec = importlib.util.spec_from_file_location("bench_autonomy", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = load_benchmark()


def run(new_database, capsys, *arguments: str) -> str:
    url = new_database("codehealer_bench_autonomy")
    assert bench.main(["--database-url", url, *arguments]) == 0
    return capsys.readouterr().out


def table_rows(output: str) -> list[str]:
    return [line for line in output.splitlines() if re.match(r"^(\d+-\d+|all \d+)\s", line)]


def test_a_stream_of_sixty_failures_prints_one_row_per_window_and_the_targets(new_database, capsys):
    output = run(new_database, capsys, "--failures", "60", "--window", "25", "--seed", "3")

    rows = table_rows(output)
    assert [row.split()[0] for row in rows] == ["1-25", "26-50", "51-60", "all"]
    fixable = [int(n) for n in re.findall(r"\(\s*\d+/(\d+)\s*\)", "\n".join(rows[:3]))[::2]]
    total = int(re.search(r"\(\s*\d+/(\d+)\s*\)", rows[3]).group(1))
    assert sum(fixable) == total > 0  # the windows add up to the whole stream
    assert "auto-resolution per 25 failures" in output
    assert re.search(r"approvals per 100\s+\d+\.\d+\s+target <= 25.0\s+(met|MISSED)", output)


def failures_of(seed: int, count: int = 200) -> list[tuple[str, int]]:
    stream = iter(bench.ZipfStream(bench.test_cases(), bench.random.Random(seed), per_day=60))
    return [(case.file, repo) for _, case, repo in (next(stream) for _ in range(count))]


def test_the_same_seed_gives_the_same_stream_of_failures():
    assert failures_of(11) == failures_of(11)
    assert failures_of(11) != failures_of(12)


def test_the_stream_recurs_like_zipf_a_few_failures_often_most_rarely():
    counts = sorted(Counter(file for file, _ in failures_of(5, 2000)).values(), reverse=True)

    assert counts[0] > 0.10 * 2000  # the most frequent failure is over a tenth of the stream
    assert sum(1 for n in counts if n <= 5) > len(counts) / 2  # most are seen five times or less


def test_only_failures_of_the_test_side_are_drawn():
    split = bench.corpus_split.load_split()
    sides = {
        entry["file"]: bench.corpus_split.side_of(entry, split)
        for entry in bench.corpus_split.load_entries()
    }

    assert {sides[file] for file, _ in failures_of(3, 500)} == {"test"}
