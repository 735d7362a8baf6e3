"""Knowledge gaps: what people searched for and did not find, grouped by meaning, for trainers to act on."""
