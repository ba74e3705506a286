"""EmptyOperator (and its old name DummyOperator): no pod, done when reached."""

from __future__ import annotations

from kairflow.sdk.baseoperator import BaseOperator


class EmptyOperator(BaseOperator):
    """Does nothing; useful to join or fan out."""


DummyOperator = EmptyOperator
