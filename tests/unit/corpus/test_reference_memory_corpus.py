"""The reference memory shipped in app/ is exactly the train side of the labelled corpus: it
cannot drift from the corpus, and no thread of the test side reaches the product."""

import json

import yaml

from app.services.reference_memory import MEMORY_FILE, load_shipped
from tests.support.corpus import corpus_split, load_script

build = load_script("build_reference_memory")


def test_the_shipped_file_is_what_the_script_writes_from_the_corpus():
    # When this fails after adding to the corpus: python scripts/build_reference_memory.py
    assert MEMORY_FILE.read_text(encoding="utf-8") == build.render(build.train_entries())


def test_the_shipped_entries_are_the_train_side_entry_for_entry():
    split = corpus_split.load_split()
    train = [e for e in corpus_split.load_entries() if corpus_split.side_of(e, split) == "train"]
    shipped = load_shipped().entries

    assert [e.name + ".log" for e in shipped] == [e["file"] for e in train]
    for entry, label in zip(shipped, train, strict=True):
        log = (corpus_split.LOGS / label["file"]).read_text(encoding="utf-8")
        assert (entry.source, entry.category, entry.action, entry.log) == (
            label["source"],
            label["category"],
            label["action"],
            log,
        )


def test_no_thread_of_the_test_side_is_shipped():
    split = corpus_split.load_split()
    shipped = {corpus_split.thread_of(e.source) for e in load_shipped().entries}
    test_side = {thread for thread, side in split.items() if side == "test"}

    assert test_side, "the split has a test side"
    assert shipped.isdisjoint(test_side)


def test_the_script_leaves_out_the_test_side_of_a_corpus(tmp_path):
    for name, text in (("001_train.log", "npm ERR! code ECONNRESET\n"), ("002_test.log", "boom\n")):
        (tmp_path / name).write_text(text, encoding="utf-8")
    entry = {
        "category": "transient_network",
        "action": "rerun_failed_jobs",
        "cause": "",
        "auto_fixable_truth": True,
    }
    labels = tmp_path / "labels.yaml"
    labels.write_text(
        yaml.safe_dump(
            {
                "logs": [
                    {"file": "001_train.log", "source": "https://github.com/a/b/issues/1", **entry},
                    {"file": "002_test.log", "source": "https://github.com/a/b/issues/2", **entry},
                ]
            }
        )
    )
    split = tmp_path / "split.yaml"
    split.write_text(
        yaml.safe_dump(
            {
                "threads": {
                    "https://github.com/a/b/issues/1": "train",
                    "https://github.com/a/b/issues/2": "test",
                }
            }
        )
    )

    written = json.loads(build.render(build.train_entries(labels, split)))

    assert [e["name"] for e in written["entries"]] == ["001_train"]
    assert written["entries"][0]["log"] == "npm ERR! code ECONNRESET\n"
