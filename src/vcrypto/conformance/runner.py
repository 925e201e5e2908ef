"""Running the whole conformance check against one backend, result by result."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import partial

from . import check_akcipher, check_symmetric
from .attempt import Tally, attempt
from .check_chains import check_chains
from .check_config import check_config
from .check_features import check_features
from .check_status import check_status
from .check_symmetric import Task
from .results import Outcome, Result
from .target import Layout, Link, Offer, Target, probe

log = logging.getLogger(__name__)


def _run_task(task: Task, link: Link, layout: Layout) -> str | None:
    return task.body(link.driver, layout)


def check_services(target: Target, offer: Offer) -> Iterator[Result]:
    """Every algorithm task in every layout the backend offers (one connection per layout)."""
    tasks = check_symmetric.tasks(offer) + check_akcipher.tasks(offer)
    tally = Tally()
    for layout in offer.layouts:
        log.info("services in the %s layout (features %#x)", layout.name, layout.features)
        with Link(target, layout.features) as link:
            for task in tasks:
                if not layout.serves(task.service):
                    continue
                result = attempt(task.requirement_id, partial(_run_task, task, link, layout), task.subject)
                if result.outcome == Outcome.FAIL:
                    link.reset()  # whatever broke must not spoil the next task
                tally.add(result, layout.name)
    yield from tally.results()


def run(target: Target) -> Iterator[Result]:
    """Probe the backend, then yield one result per requirement (and subject) as checks finish.

    Raises what ``target.connect`` raises if the backend cannot be reached at all."""
    offer = probe(target)
    log.info("mode %s, device features %#x, layouts %s", offer.mode, offer.device_features,
             [layout.name for layout in offer.layouts])  # fmt: skip
    yield from check_config(target, offer)
    yield from check_features(target, offer)
    yield from check_services(target, offer)
    yield from check_status(target, offer)
    yield from check_chains(target, offer)
