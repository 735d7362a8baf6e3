"""The demo installation: teams, agents and 2,400 realistic records (`consultkb demo seed`) and the help-centre
articles (`consultkb kb seed-demo`), deterministic for a seed. Not part of the domain: it uses records and kb as an
importer would. Phrase tables are data files beside the code (phrases.json, questions.json)."""
