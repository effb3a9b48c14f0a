"""Jobs: queued once, held by one worker, rerun once after a worker dies, never retried forever."""

from datetime import timedelta

from domain.clock import FixedClock
from domain.db import Database
from domain.models import Job
from domain.services import jobqueue


def _enqueue(db: Database, clock: FixedClock, key: str = "ocr:wecom:1") -> bool:
    with db.sessions() as s:
        queued = jobqueue.enqueue(
            s, kind="quote_ocr", dedupe_key=key, payload={"m": 1}, now=clock.now(), cause=None
        )
        s.commit()
        return queued


def test_a_redelivered_photo_queues_one_job(db: Database, clock: FixedClock) -> None:
    assert _enqueue(db, clock) is True
    assert _enqueue(db, clock) is False


def test_a_job_whose_worker_died_runs_again_and_the_dead_worker_cannot_finish_it(
    db: Database, clock: FixedClock
) -> None:
    _enqueue(db, clock)
    with db.sessions() as s:
        [job_id] = jobqueue.due_ids(s, clock.now())
        first = jobqueue.claim(s, job_id, clock.now())
        assert first is not None and jobqueue.claim(s, job_id, clock.now()) is None
    clock.advance(jobqueue.LEASE + timedelta(seconds=1))
    with db.sessions() as s:
        second = jobqueue.claim(s, job_id, clock.now())
        assert second is not None
        assert jobqueue.finish(s, first, clock.now()) is False
        assert jobqueue.finish(s, second, clock.now()) is True
        s.commit()
        assert jobqueue.due_ids(s, clock.now()) == []


def test_a_job_that_keeps_crashing_its_worker_is_given_up(db: Database, clock: FixedClock) -> None:
    _enqueue(db, clock)
    with db.sessions() as s:
        [job_id] = jobqueue.due_ids(s, clock.now())
    for _ in range(jobqueue.MAX_ATTEMPTS):
        with db.sessions() as s:
            assert jobqueue.claim(s, job_id, clock.now()) is not None
        clock.advance(jobqueue.LEASE + timedelta(seconds=1))
    with db.sessions() as s:
        assert jobqueue.claim(s, job_id, clock.now()) is None
        job = s.get(Job, job_id)
        assert job is not None and job.status == "failed"
