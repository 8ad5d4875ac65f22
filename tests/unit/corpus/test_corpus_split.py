from collections import defaultdict

from tests.support.corpus import corpus_split as split_module

ENTRIES = split_module.load_entries()
SPLIT = split_module.load_split()


def test_every_labelled_excerpt_has_a_recorded_side() -> None:
    unassigned = [e["file"] for e in ENTRIES if split_module.side_of(e, SPLIT) is None]
    assert unassigned == []


def test_no_source_thread_is_in_both_train_and_test() -> None:
    sides: dict[str, set[str]] = defaultdict(set)
    for entry in ENTRIES:
        sides[split_module.thread_of(entry["source"])].add(split_module.side_of(entry, SPLIT))
    assert {thread: s for thread, s in sides.items() if len(s) > 1} == {}


def test_the_test_side_holds_at_least_35_percent_of_the_corpus() -> None:
    on_test = sum(1 for e in ENTRIES if split_module.side_of(e, SPLIT) == "test")
    assert on_test / len(ENTRIES) >= 0.35


def test_every_category_is_on_both_sides() -> None:
    by_category: dict[str, set[str]] = defaultdict(set)
    for entry in ENTRIES:
        by_category[entry["category"]].add(split_module.side_of(entry, SPLIT))
    assert {c: s for c, s in by_category.items() if s != {"train", "test"}} == {}


def test_the_logs_the_rules_were_written_against_are_train() -> None:
    tuned = [e for e in ENTRIES if int(e["file"].split("_", 1)[0]) < split_module.FIRST_UNTUNED]
    assert tuned
    assert {split_module.side_of(e, SPLIT) for e in tuned} == {"train"}


def test_an_issue_and_its_pull_request_address_are_one_thread() -> None:
    issue = split_module.thread_of("https://github.com/Owner/Repo/issues/12#issuecomment-1")
    pull = split_module.thread_of("https://github.com/owner/repo/pull/12/files?w=1")
    assert issue == pull == "https://github.com/owner/repo/issues/12"


def test_a_recorded_thread_keeps_its_side_when_new_threads_arrive() -> None:
    recorded = {"https://github.com/o/r/issues/1": "test"}
    entries = [
        {"file": "500_a.log", "source": "https://github.com/o/r/issues/1", "category": "timeout"},
        {"file": "501_b.log", "source": "https://github.com/o/r/issues/2", "category": "timeout"},
        {"file": "502_c.log", "source": "https://github.com/o/r/issues/3", "category": "timeout"},
    ]
    result = split_module.assign_new_threads(entries, recorded)
    assert result["https://github.com/o/r/issues/1"] == "test"
    assert set(result) == {f"https://github.com/o/r/issues/{n}" for n in (1, 2, 3)}


def test_new_threads_fill_the_test_side_up_to_its_share_per_category() -> None:
    entries = [
        {"file": f"{500 + n}_x.log", "source": f"https://github.com/o/r/issues/{n}", "category": c}
        for n, c in enumerate(["timeout"] * 10 + ["k8s_oom"] * 5)
    ]
    result = split_module.assign_new_threads(entries, {})
    on_test = defaultdict(int)
    for entry in entries:
        on_test[entry["category"]] += result[split_module.thread_of(entry["source"])] == "test"
    assert on_test == {"timeout": 4, "k8s_oom": 2}
