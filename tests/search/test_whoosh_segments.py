"""The segment writer writes exactly what Whoosh's own writer writes, in one process or two."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import whoosh.index

from directory.search.documents import document_for
from directory.search.engine import TEXT_FIELDS
from directory.search.index_update import FingerprintedDocuments, document_fingerprint
from directory.search.whoosh import SCHEMA, WhooshEngine, segments, write_with_whoosh
from tests import factories


def _documents() -> list[dict[str, str]]:
    """Synthetic documents and the edge cases: empty fields, Spanish, accents, long texts."""
    resources = factories.generate(700)
    resources[3] = dataclasses.replace(
        resources[3], text_language="es", description="Reuniones de apoyo en español, sin costo"
    )
    resources[4] = dataclasses.replace(
        resources[4], translations={"es": {"name": "Despensa", "description": "Comida gratis"}}
    )
    documents = [document_for(r) for r in resources]
    documents[5]["description"] = ""  # no text at all in a field
    documents[6]["keywords"] = ""
    documents[7]["description"] = " ".join(["meals"] * 300 + ["zoë", "zebra", "éclair"] * 40)
    documents[8]["name"] = "Ünïcode Ærø naïve café 東京 straße"
    documents[9]["text_es"] = "reunión " * 2000  # a length past the one-byte lengths' steps
    return documents


def _segment_files(folder) -> tuple[dict[str, bytes], dict, int]:
    """Return the bytes of each file of the index's one segment (by kind), its lengths, count."""
    ix = whoosh.index.open_dir(str(folder))
    try:
        (segment,) = ix._segments()
        compound = segment.open_compound_file(ix.storage)
        files = {name.split(".", 1)[1]: compound.open_file(name).read() for name in compound.list()}
        compound.close()
        return files, dict(segment._fieldlengths), segment.doc_count_all()
    finally:
        ix.close()


def test_a_segment_is_byte_for_byte_what_whooshs_writer_writes(tmp_path):
    documents = _documents()
    assert segments.fast_schema(SCHEMA)
    (tmp_path / "whoosh").mkdir()
    (tmp_path / "ours").mkdir()
    write_with_whoosh(tmp_path / "whoosh", documents, 1)
    segments.write(str(tmp_path / "ours"), SCHEMA, documents, 1)
    theirs, ours = _segment_files(tmp_path / "whoosh"), _segment_files(tmp_path / "ours")
    assert sorted(ours[0]) == sorted(theirs[0])
    assert {"pst", "trm", "_stored.col", "_text_es_len.col"} <= set(ours[0])
    for kind in theirs[0]:  # postings, term table, stored ids, each field's lengths
        assert ours[0][kind] == theirs[0][kind], kind
    assert ours[1:] == theirs[1:] == (ours[1], len(documents))


def _read_all(folder) -> dict:
    index = WhooshEngine().open(folder)
    try:
        out: dict = {"ids": index.document_ids(), "count": index.doc_count}
        for field in TEXT_FIELDS:
            out[field, "lengths"] = index.field_lengths(field).tolist()
            for term in index.terms(field):
                docs, tf = index.postings(field, term)
                out[field, term] = (docs.tolist(), np.round(tf, 6).tolist())
        return out
    finally:
        index.close()


def test_two_processes_write_the_same_documents_in_the_same_order(tmp_path):
    documents = _documents()
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    segments.write(str(tmp_path / "one"), SCHEMA, documents, 1)
    segments.write(str(tmp_path / "two"), SCHEMA, documents, 2, min_half=100)
    ix = whoosh.index.open_dir(str(tmp_path / "two"))
    assert [s.doc_count_all() for s in ix._segments()] == [350, 350]  # the halves, in order
    ix.close()
    two = _read_all(tmp_path / "two")
    assert two["ids"] == [d["id"] for d in documents]
    assert two == _read_all(tmp_path / "one")
    assert not list(tmp_path.glob("*/MAIN.tmp")), "the temporary files are left behind"


@pytest.mark.parametrize("bad_at", [10, 600])  # in this process's half, in the second one's
def test_a_document_the_writer_refuses_fails_the_write_in_either_half(tmp_path, bad_at):
    documents = _documents()
    documents[bad_at] = {**documents[bad_at], "name": b"\xff not text"}
    with pytest.raises(AttributeError):  # the second half is written again here, and fails
        segments.write(str(tmp_path), SCHEMA, documents, 2, min_half=100)
    documents[bad_at] = {**documents[bad_at], "name": "fine", "colour": "an unknown field"}
    with pytest.raises(ValueError, match="colour"):
        segments.write(str(tmp_path), SCHEMA, documents, 2, min_half=100)


def test_the_second_process_sends_back_the_fingerprints_of_its_half(tmp_path):
    resources = factories.generate(400)
    one, two = FingerprintedDocuments(resources), FingerprintedDocuments(resources)
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    segments.write(str(tmp_path / "one"), SCHEMA, one, 1)
    segments.write(str(tmp_path / "two"), SCHEMA, two, 2, min_half=100)
    assert len(two.fingerprints) == 400
    assert (
        two.fingerprints
        == one.fingerprints
        == {r.id: document_fingerprint(document_for(r)) for r in resources}
    )
    assert _read_all(tmp_path / "two") == _read_all(tmp_path / "one")
