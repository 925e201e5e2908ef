"""``vcrypto check``: a conformance run against any vhost-user crypto backend.

Layered above ``vhost_user`` (it drives the backend through our Python frontend) and below ``cli``
(which only formats the results). ``run(target)`` yields one ``Result`` per requirement of the
``CATALOGUE`` (and per algorithm for the per-algorithm ones).
"""

from .requirements import CATALOGUE, Requirement
from .results import Outcome, Result
from .runner import run
from .target import Target, VhostUserTarget

__all__ = ["CATALOGUE", "Outcome", "Requirement", "Result", "Target", "VhostUserTarget", "run"]
