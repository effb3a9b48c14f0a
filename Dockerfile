# One image for every salesbot process type (web, worker, scheduler); see docker-compose.yml.
FROM python:3.11-slim
# CJK font for the Monday leaderboard chart (cards/charts.py refuses to draw tofu).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
# ocr-onnx: the default OCR engine only (PP-OCRv4 weights ship inside the wheel; nothing downloaded at run time).
RUN pip install --no-cache-dir '.[ocr-onnx]'
USER nobody
CMD ["salesbot", "serve", "--host", "0.0.0.0", "--port", "8000"]
