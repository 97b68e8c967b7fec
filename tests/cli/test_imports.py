"""`import --write` on a maintainer's file: it keeps the file's line endings and encoding."""

from __future__ import annotations

from tests.conftest import FIXTURES

FEED = FIXTURES / "import" / "meeting-guide" / "basic.json"


def test_import_write_into_a_windows_file_keeps_crlf_and_bom(runner, data_path):
    original = b"\xef\xbb\xbf" + data_path.read_bytes().replace(b"\n", b"\r\n")
    data_path.write_bytes(original)
    result = runner.invoke(
        args=["import", "meeting-guide", str(FEED), "--fellowship", "AA",
              "--into", str(data_path), "--write", "--no-diff"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    written = data_path.read_bytes()
    assert written != original and written.startswith(b"\xef\xbb\xbf")
    assert written.count(b"\r\n") == written.count(b"\n")  # no line lost its CR
    assert written.startswith(original[: original.index(b"resources:")])  # the head as it was
