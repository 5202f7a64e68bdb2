# The README's "Installing without the checkout": a wheel built after `npm ci`, installed in a venv,
# the hub run from its data folder with none of the source tree in the image.
FROM python:3.11-slim-bookworm AS wheel
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund --loglevel=error && pip wheel . --no-deps -w /dist

FROM python:3.11-slim-bookworm
COPY --from=wheel /dist /dist
RUN python -m venv /opt/hub && /opt/hub/bin/pip install --no-cache-dir /dist/*.whl && rm -rf /dist
ENV MH_DATA=/data
VOLUME ["/data"]
WORKDIR /data
EXPOSE 8080
CMD ["/opt/hub/bin/python", "-m", "server", "--host", "0.0.0.0"]
