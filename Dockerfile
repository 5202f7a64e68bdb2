# The same two steps as the README: install with make, run the hub on its embedded SQLite store.
FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends make nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN make .venv/.installed
ENV MH_DATA=/data
VOLUME ["/data"]
EXPOSE 8080
CMD ["make", "run", "ARGS=--host 0.0.0.0"]
