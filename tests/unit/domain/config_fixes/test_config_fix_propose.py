"""From a broken file to the proposed fix: repairs first, the model second, each validated
and guarded."""

from app.domain.config_fixes.location import ConfigLocation
from app.domain.config_fixes.propose import FixAuthor, NoFix, ProposedFix, propose_fix

BROKEN = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo a: b\n"
VALID = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo ok\n"
WHERE = ConfigLocation(".github/workflows/ci.yml", 6, message="error in your yaml syntax")


class Model:
    def __init__(self, answer: str | None):
        self.answer = answer
        self.asked: list[dict] = []

    def propose_fix(self, **kwargs) -> str | None:
        self.asked.append(kwargs)
        return self.answer


def test_a_repairable_file_is_fixed_by_the_rules_without_asking_the_model():
    model = Model(VALID)
    fix = propose_fix(WHERE, BROKEN, model=model)
    assert isinstance(fix, ProposedFix) and fix.author is FixAuthor.RULES
    assert model.asked == []
    assert "+      - run: 'echo a: b'" in fix.diff


def test_the_model_is_asked_when_no_repair_validates():
    broken = BROKEN.replace("    runs-on: x\n", "")  # structure, not syntax
    fix = propose_fix(WHERE, broken, model=Model(VALID), diagnosis="no runner")
    assert isinstance(fix, ProposedFix) and fix.author is FixAuthor.MODEL


def test_a_model_fix_that_does_not_validate_is_not_proposed():
    broken = BROKEN.replace("    runs-on: x\n", "")
    fix = propose_fix(WHERE, broken, model=Model("on: push\n"))
    assert isinstance(fix, NoFix) and "is not valid" in fix.reason


def test_a_model_fix_that_adds_permissions_is_refused_with_the_reason():
    broken = BROKEN.replace("    runs-on: x\n", "")
    fix = propose_fix(WHERE, broken, model=Model("permissions: write-all\n" + VALID))
    assert isinstance(fix, NoFix)
    assert fix.reason.startswith("refused: the fix touches 'permissions'")


def test_without_a_model_an_unrepairable_file_has_no_fix_and_says_why():
    broken = BROKEN.replace("    runs-on: x\n", "")
    fix = propose_fix(WHERE, broken)
    assert isinstance(fix, NoFix) and "no model is configured" in fix.reason
