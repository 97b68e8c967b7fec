"""Recovery resource directory and referral service."""

__all__ = ["create_app"]


def __getattr__(name: str):
    # The factory is imported on first use, not with the package: the isolated parser's child
    # (python -m directory.datafile.isolated) needs only datafile/, and Flask, the views and
    # the index cost it over a second of imports at each reload.
    if name == "create_app":
        from directory.app import create_app  # noqa: PLC0415  # why: see above

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
