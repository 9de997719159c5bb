# Production image: one image for the web (gunicorn), the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    MEDIA_ROOT=/data/media GROUND_TRUTH_ROOT=/data/ground_truth GROUND_TRUTH_CACHE=/data/ground_truth_cache STATIC_ROOT=/app/staticfiles \
    NUMBA_CACHE_DIR=/home/lid/.cache/numba

RUN useradd --create-home --uid 1000 lid
WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY . .
# collectstatic needs settings to import; the key is a build-time throwaway, never used at run time.
RUN SECRET_KEY=collectstatic-only DEBUG=0 python manage.py collectstatic --noinput \
    && mkdir -p /data/media /data/ground_truth /data/ground_truth_cache && chown -R lid:lid /data
USER lid
# Compile the scoring loops into numba's cache now, so that no submission waits for the compiler.
RUN python -m evaluation warm-up
EXPOSE 8000
CMD ["bin/web"]
