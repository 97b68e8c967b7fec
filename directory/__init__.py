"""Recovery resource directory and referral service."""

from directory.app import create_app

__all__ = ["create_app"]
