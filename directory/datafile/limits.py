"""How large a resource file may be: each limit is checked before the work that grows with it.

Measured on the 2-core development machine: a synthetic file of 10,000 resources is 5.8 MB of
YAML, takes about 4 s of CPU to parse and validate cold and peaks at about 370 MB; time and memory
grow in proportion. The size limit applies to each file (32 MB, about 55,000 such resources, a
parse under about 2.2 GB), the resource count to the resource file and its feed files together:
150,000 holds a national directory (about 100,000 meetings from the feeds and 20,000 treatment
facilities, issue 16) without raising it. The parse of a file for the server runs in a child
process capped at `parse_memory_mb` and `parse_seconds` (see isolated.py), so even a file that
slips past the other limits cannot take the server down with it.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_BYTES = 32 * 1024 * 1024
MAX_RESOURCES = 150_000
MAX_FIELD_CHARS = 5_000  # a description is a few sentences; 5,000 characters is two pages
PARSE_MEMORY_MB = 3072
PARSE_SECONDS = 300.0
MAX_PROBLEMS = 1000  # past this many, validation stops: a maintainer fixes the first ones first


@dataclass(frozen=True)
class DataLimits:
    max_bytes: int = MAX_BYTES
    max_resources: int = MAX_RESOURCES
    max_field_chars: int = MAX_FIELD_CHARS
    parse_memory_mb: int = PARSE_MEMORY_MB
    parse_seconds: float = PARSE_SECONDS


DEFAULT_LIMITS = DataLimits()
