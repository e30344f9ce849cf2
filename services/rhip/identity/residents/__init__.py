"""identity residents: the resident master index, documents, merges, the change feed, health cards."""
