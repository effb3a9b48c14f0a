"""Runs queued jobs (OCR of quote photos) outside the callback, in the worker.

Each job is leased; the handler-side result (draft quote, card, replies)
and the job's "done" commit together, so a worker killed mid-job leaves
the job to run again once its lease ends, and never twice to completion.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from datetime import timedelta

from bot.channels import Channel
from bot.chatfirst import ChatFirst, Preemption
from bot.photos import PhotoStore
from domain.clock import Clock
from domain.db import Database
from domain.links import PageLinks
from domain.models import Job
from domain.services import jobqueue
from domain.uow import UnitOfWork
from handlers.conversation import ConversationStore, DatabaseConversations
from handlers.quotes import present_extraction

log = logging.getLogger("salesbot.jobs")


class JobRunner:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        channels: Mapping[str, Channel],
        engine: str = "default",
        conversations: ConversationStore | None = None,
        links: PageLinks | None = None,
        threads: int | None = None,
        lease: timedelta = jobqueue.LEASE,
        photos: PhotoStore | None = None,
        chat_first: ChatFirst | None = None,
    ) -> None:
        # While chat work happens on this machine, the engine may wait between its steps
        # (bot/chatfirst.py); None: it never waits.
        self.chat_first = chat_first
        self.lease = lease
        self.photos = photos  # where read quote photos are kept (bot/photos.py)
        self.db = db
        self.clock = clock
        self.channels = channels
        self.engine = engine
        self.threads = threads  # OCR threads per photo (None: the engine's default)
        # Checked before each job: a stopping worker finishes the job in hand and takes no more.
        self.should_stop: Callable[[], bool] = lambda: False
        self.conversations: ConversationStore = conversations or DatabaseConversations()
        self.links = links

    def run_once(self, limit: int = 5) -> int:
        with self.db.sessions() as session:
            ids = jobqueue.due_ids(session, self.clock.now(), limit)
        done = 0
        for job_id in ids:
            if self.should_stop():
                break
            with self.db.sessions() as session:
                job = jobqueue.claim(session, job_id, self.clock.now(), self.lease)
            if job is not None:
                self.run(job)
                done += 1
        return done

    def run(self, job: Job) -> None:
        if job.kind != "quote_ocr":
            log.error("unknown job kind", extra={"job_id": job.id, "kind": job.kind})
            self._finish(job, None, status="failed", error=f"unknown kind {job.kind}")
            return
        payload = job.payload
        started, started_cpu = time.perf_counter(), time.thread_time()
        timings: dict[str, float] = {}
        problem: str | None = None
        extracted = None
        photo_hash = None
        channel = self.channels.get(payload["platform"])
        try:
            if channel is None:
                raise RuntimeError(f"no {payload['platform']} channel")
            data = channel.download(payload["media_id"])
            timings["download_s"] = time.perf_counter() - started
        except Exception:  # noqa: BLE001 - expired media, platform error: tell the rep, do not retry forever
            log.warning("photo download failed", extra={"job_id": job.id}, exc_info=True)
            problem = "download"
        else:
            from bot.ocr.engines import UnreadableImage, get_engine
            from bot.ocr.extract import extract_quote
            from bot.ocr.overlay import ocr_overlay

            photo_hash = hashlib.sha256(data).hexdigest()
            try:
                engine = get_engine(self.engine, self.threads)
                t0, c0 = time.perf_counter(), time.thread_time()
                if self.chat_first is None:
                    boxes = engine.recognize(data)  # decodes the photo once, at the working size
                else:
                    watcher = Preemption(self.chat_first, engine.abort_step)
                    try:
                        with watcher:
                            boxes = engine.recognize(data, between_steps=self._gate(timings, watcher))
                    finally:
                        timings["aborted_steps"] = float(watcher.aborted)
                        self.chat_first.release()
                timings["engine_s"] = time.perf_counter() - t0
                timings["engine_cpu_s"] = time.thread_time() - c0
                extracted = extract_quote(boxes).to_dict()
            except UnreadableImage as exc:
                problem = exc.reason
            else:
                # Kept with the quote so its H5 page can show the photo with the boxes read.
                extracted["photo"] = {"platform": payload["platform"], "media_id": payload["media_id"]}
                if self.photos is not None:  # the platform keeps media 3 days; the quote needs it longer
                    extracted["photo"]["stored"] = self.photos.put(data)
                extracted["ocr"] = ocr_overlay(data, boxes)
        t0 = time.perf_counter()
        self._finish(
            job,
            lambda uow: present_extraction(
                uow,
                self.conversations,
                payload,
                extracted=extracted,
                photo_hash=photo_hash,
                problem=problem,
                links=self.links,
            ),
        )
        # The draft quote, its card and the outbox row, in one commit.
        timings["finish_s"] = time.perf_counter() - t0
        timings["total_s"] = time.perf_counter() - started
        timings["total_cpu_s"] = time.thread_time() - started_cpu
        # One line per photo: where its time went (bench/workers.py sums these).
        log.info("quote photo job", extra={"job_id": job.id, **{k: round(v, 4) for k, v in timings.items()}})

    def _gate(self, timings: dict[str, float], watcher: Preemption) -> Callable[[], object]:
        """The engine's ``between_steps``: wait while chat needs the core; the time waited (and how
        many steps waited, and how many waits hit the cap) goes into the photo's timing line."""
        timings.update(paused_s=0.0, paused_steps=0.0, capped_steps=0.0)

        def between_steps() -> None:
            if self.should_stop():  # a stopping worker finishes its photo without waiting
                return
            t0 = time.perf_counter()
            outcome = watcher.between_steps()
            if outcome != "run":
                timings["paused_s"] += time.perf_counter() - t0
                timings["paused_steps"] += 1
                if outcome == "capped":
                    timings["capped_steps"] += 1

        return between_steps

    def _finish(self, job: Job, work: object, status: str = "done", error: str | None = None) -> None:
        with UnitOfWork(self.db, self.clock, actor_label="ocr", cause=job.cause_event) as uow:
            if callable(work):
                work(uow)
            if not jobqueue.finish(uow.session, job, self.clock.now(), status=status, error=error):
                log.warning("job lease lost", extra={"job_id": job.id})
                return
            uow.commit()
