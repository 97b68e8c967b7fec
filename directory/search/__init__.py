"""Search over the directory: a Whoosh index with numpy filters, facets, distances and times.

    searcher = ensure_index(catalog, index_dir)      # once per process (build if missing/stale)
    result = searcher.search(SearchRequest(q="suboxone", near=place, radius_miles=10))

See `query` for what a search does, `index` for how generations are built and switched.
"""

from directory.search.facets import FACET_KEYS
from directory.search.index import (
    IndexMissing,
    IndexStale,
    IndexUnavailable,
    build_index,
    current_generation,
    ensure_index,
    open_index,
)
from directory.search.query import FIELD_BOOSTS, Hit, Searcher, SearchRequest, SearchResult
from directory.search.snippets import Snippet

__all__ = [
    "FACET_KEYS",
    "FIELD_BOOSTS",
    "Hit",
    "IndexMissing",
    "IndexStale",
    "IndexUnavailable",
    "SearchRequest",
    "SearchResult",
    "Searcher",
    "Snippet",
    "build_index",
    "current_generation",
    "ensure_index",
    "open_index",
]
