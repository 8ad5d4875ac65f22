"""Without an NVIDIA key the classifier is the rules, with the reference memory's words for
what no pattern names."""

from app.bootstrap import build_classifier
from app.bootstrap.analysis import reference_words_model
from app.core.enums import ActionKind, Category
from app.services.reference_memory import load_shipped
from tests.conftest import make_settings

# Words of a dependency failure in no tool's own sentence: no pattern names it.
UNNAMED_DEPENDENCY = "the lockfile does not satisfy the version constraint of the resolver"


def test_the_words_model_is_the_shipped_reference_memory() -> None:
    model = reference_words_model()

    assert sum(model.documents.values()) == len(load_shipped().entries)


def test_without_a_key_the_words_name_the_category_and_no_fix() -> None:
    classifier = build_classifier(make_settings(), None, actions=list(ActionKind))

    verdict = classifier.classify(UNNAMED_DEPENDENCY, [])

    assert verdict.category is Category.DEPENDENCY_RESOLUTION
    assert verdict.action is ActionKind.NONE
    assert verdict.classifier == "rules"


def test_the_words_can_be_turned_off() -> None:
    settings = make_settings(REFERENCE_WORDS_MIN_PROBABILITY="1.5")
    classifier = build_classifier(settings, None, actions=list(ActionKind))

    assert classifier.classify(UNNAMED_DEPENDENCY, []).category is Category.UNKNOWN
