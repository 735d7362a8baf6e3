"""Do draft answers read as what a customer can expect or do, or as what was done in one case? Over the distinct
resolutions of the demo records (written as agents write them: 客户不愿再等，已取消订单并全额退款349元), the steps
text.rewriting.answer_steps makes of each, and how many of them still read as an outcome: in Chinese a perfective 已
not offered (可为您…) or foretold (…会…), a step ending in 成功 or 正常, or one about what the customer (您) did; in
English how the customer took it, "successful", a vague "done", or an amount, and apart from those, the steps
that start with a verb in the past tense ("Reinstalled the app"). The flags set aside for the editor
(compensation, one-off promises) are counted apart.

    .venv/bin/python bench/eval_answers_demo.py [--examples 30]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
#: A step that still says what happened in one case rather than what the next customer can expect or do: a
#: perfective 已 (not the "fixed in the new version" the answer tells), an ending in 成功 or 正常 with no 即可, or
#: what the customer (您) did.
OUTCOME = re.compile(r"^已|(?<![可会])(?<!此问题)已经?[\u4e00-\u9fff]|^(?!.*即可).*(?:成功|正常)$|^您(?!的)")
#: The same in English: how the customer took it, an ending in "successful(ly)", a vague "done", or an amount.
ENGLISH_OUTCOME = re.compile(
    r"^You (?:chose|preferred|happy|pleased|satisfied|disappointed|confirmed|accepted|won't|will not|refuse)"
    r"|successful(?:ly)?$|^(?:done|handled|answered|told you)$|[$€£]\d",
    re.IGNORECASE,
)


def told_as_done(step: str) -> bool:
    """An English step that starts with a verb in the past tense ("Reinstalled the app", "You reset the password"):
    what was done in one case, not what the next customer does or is offered."""
    import lemminflect

    words = step.split()
    if words[:1] == ["You"]:
        words = words[1:]
    if not words:
        return False
    word = words[0].lower().rstrip(",")
    readings = lemminflect.getAllLemmas(word)
    if "VERB" not in readings or not set(readings) <= {"VERB", "ADJ"}:
        return False
    base = readings["VERB"][0]
    return word != base and word in lemminflect.getInflection(base, "VBD") + lemminflect.getInflection(base, "VBN")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=30)
    args = parser.parse_args()

    import sqlalchemy as sa

    from bench.demo_app import seeded_demo
    from records.db import db
    from records.models import Record
    from text.rewriting import answer_steps

    with seeded_demo():
        resolutions = sorted(
            {text for text in db.session.scalars(sa.select(Record.resolution)) if text and text.strip()}
        )
    chinese = [text for text in resolutions if re.search(r"[\u4e00-\u9fff]", text)]
    english = [text for text in resolutions if text not in set(chinese)]
    for name, texts, language, outcome in (
        ("Chinese", chinese, "zh", OUTCOME),
        ("English", english, "en", ENGLISH_OUTCOME),
    ):
        answered = [(text, *answer_steps(text, language)) for text in texts]
        steps = [step for _, found, _ in answered for step in found]
        outcomes = [step for step in steps if outcome.search(step)]
        done = [step for step in steps if language == "en" and told_as_done(step)]
        flagged = sum(1 for _, _, flags in answered if flags)
        print(f"\n{len(texts)} distinct {name} resolutions: {sum(1 for _, found, _ in answered if found)} give "
              f"steps, {flagged} have flags for the editor; {len(steps)} steps, {len(outcomes)} read as an outcome "
              f"({100 * len(outcomes) / max(len(steps), 1):.0f} %)")  # fmt: skip
        print("Steps still read as an outcome: " + " / ".join(sorted(set(outcomes))[:20]))
        if language == "en":
            print(f"{len(done)} steps ({100 * len(done) / max(len(steps), 1):.0f} %) start with a verb in the past "
                  "tense (what was done, not what to do): " + " / ".join(sorted(set(done))[:20]))  # fmt: skip
        print("Examples:")
        for text, found, flags in random.Random(1).sample(answered, min(args.examples, len(answered))):
            shown = " | ".join(found) or "—"
            print(f"  {text}\n    → {shown}" + (f"   [flags: {' | '.join(flags)}]" if flags else ""))


if __name__ == "__main__":
    main()
