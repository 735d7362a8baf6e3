"""The case library: trainers turn scored records into anonymised training cases and training packs.

models (cases, packs, assignments, readings), anonymising (the scrubbed snapshot), dimensions (what cases teach and
which criteria that covers), operations (cases), packs (collections, assigning, reading), suggestions (records worth
a case, agents weak on a criterion and the pack for it), presenting (dicts for the API, pages and exports),
exporting (Markdown and PDF).
"""
