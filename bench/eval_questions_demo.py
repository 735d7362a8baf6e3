"""Do draft questions read as whole customer questions? Over the distinct problems of the demo records (written as
agents write them, with order numbers, amounts, product codes, dates, staff codes and addresses), the question
kb.drafting.evidence_texts makes of each (the text scrubbed by records.identifiers, then
text.rewriting.customer_question), checked by a lint for what removing a case's details used to leave behind:

- English: a last word that cannot end a sentence (to, of, the, a), "I" with a third-person verb ("I wants", "and
  has lost"), "a" before a vowel ("a air purifier"), a reference, amount or masking placeholder left, a clause of
  one or two words ("for a call back"), a sentence that starts with a verb in the third person ("Wants size M");
- Chinese: a stray 的 (没收到的取件码短信, 投诉的客服), a clause left from a number (提供的卡号), a date's 开始 or 从
  alone, 怎么办 after a question that already asks (有没有…，怎么办), a reference, amount or placeholder left.

The lint only finds what it was written for (it was written alongside the fixes of 2026-12-07, from reading every
distinct question): read the examples too.

    .venv/bin/python bench/eval_questions_demo.py [--examples 0]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ENGLISH_LINT = {
    "ends on a word that cannot end it": re.compile(r"\b(?:to|of|the|a|an|from|by)\??$"),
    "I with a third-person verb": re.compile(
        r"\bI (?:wants|needs|has|is|asks|says|gets|uses|only uses)\b|\band has (?:lost|been)\b"
    ),
    "a before a vowel": re.compile(r"\ba (?:[aeiAEI]|[oO](?!ne))\w"),
    "reference, amount or placeholder left": re.compile(r"DD\d{6,}|[$€£]\d|\[(?:name|address|姓名|地址)\]|\d{7,}"),
    "starts with a third-person verb": re.compile(r"^(?:Wants|Needs|Has|Gets|Says|Already has)\b"),
    "a clause of one or two words": re.compile(r"(?:^|; )(?:\S+ ){0,1}\S+(?:;|\?$|$)"),
}
CHINESE_LINT = {
    "stray 的": re.compile(r"(?:^|，)的|没收到的取件|投诉的客服|收到的包裹，买|[收扣付退]了的"),
    "a clause left from a number": re.compile(r"提供的卡号|(?:^|，)(?:卡号|手机号|单号)(?:，|$)"),
    "a date's 开始 or 从 alone": re.compile(r"(?:^|，)(?:开始|从的?)(?:，|$)|从的"),
    "怎么办 after a question": re.compile(r"(?:有没有|是不是|要不要|会不会|找谁|多少)[^？]*，怎么办？$"),
    "reference, amount or placeholder left": re.compile(r"DD\d{6,}|\d+元|\[(?:姓名|地址)\]|\d{7,}"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=0, help="print this many flagged questions per check")
    args = parser.parse_args()

    import sqlalchemy as sa

    from bench.demo_app import seeded_demo
    from kb.drafting import evidence_texts
    from records.db import db
    from records.models import Customer, Record

    with seeded_demo():
        rows = db.session.execute(
            sa.select(Record.problem_description, Record.language, Customer.name, Customer.company).join(
                Customer, Customer.id == Record.customer_id
            )
        ).all()
        seen: dict[tuple[str, str], str] = {}
        for problem, language, name, company in rows:
            key = (language, problem)
            if key not in seen:
                names = (name,) if name and len(name) >= 2 else ()
                seen[key] = evidence_texts(problem, None, "", language, names, (company or "",))[1]
        for language, lint in (("en", ENGLISH_LINT), ("zh", CHINESE_LINT)):
            questions = [question for (lang, _), question in seen.items() if lang == language]
            asked = [question for question in questions if question]
            flagged: Counter = Counter()
            examples: dict[str, list[str]] = {}
            for question in asked:
                for check, pattern in lint.items():
                    if pattern.search(question):
                        flagged[check] += 1
                        examples.setdefault(check, []).append(question)
            every = sum(1 for question in asked if any(p.search(question) for p in lint.values()))
            print(f"{language}: {len(questions)} distinct problems, {len(asked)} give a question; "
                  f"{every} ({100 * every / max(len(asked), 1):.1f} %) flagged")  # fmt: skip
            for check in lint:
                print(f"  {check:<40} {flagged[check]}")
                for example in examples.get(check, [])[: args.examples]:
                    print(f"      {example}")


if __name__ == "__main__":
    main()
