"""Which excerpts a run of the analysis benchmark evaluates."""

from tests.support.corpus import load_script

bench = load_script("bench_analyze")


def case(file: str, side: str):
    return bench.Case(
        file=file, text="", category="unknown", action="none", auto_fixable=False, side=side
    )


CASES = [case("099_a.log", "train"), case("800_b.log", "test"), case("1000_c.log", "train")]


def test_the_file_number_is_the_order_a_file_was_added_in() -> None:
    assert [bench.file_number(c.file) for c in CASES] == [99, 800, 1000]


def test_from_file_keeps_the_excerpts_numbered_from_it() -> None:
    chosen = bench.select(CASES, split="test", from_file=800)
    assert [c.file for c in chosen] == ["800_b.log", "1000_c.log"]


def test_the_train_split_never_holds_a_test_excerpt() -> None:
    chosen = bench.select(CASES, split="train")
    assert [c.file for c in chosen] == ["099_a.log", "1000_c.log"]


def test_the_test_split_keeps_the_train_side_for_the_side_by_side_table() -> None:
    assert len(bench.select(CASES, split="test")) == 3
