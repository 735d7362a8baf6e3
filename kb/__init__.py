"""Knowledge base: articles, semantic index, FAQ proposals and self-service search (see issues 3 and 4)."""
