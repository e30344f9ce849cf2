"""identity residents: the resident master index, documents, merges, change feed, health cards."""
