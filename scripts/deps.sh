#!/usr/bin/env bash
# Installs the Debian packages the hub needs (npm, for the pages' Socket.IO client and hls.js) and, with
# --test, what the tests need too (chromium, coturn, redis-server, zbar-tools, and nginx with its RTMP
# module and ffmpeg for the RTMP push's tests; nginx also runs the shipped site's tests). Only what is
# missing; --bench adds the load generator of bench/public.py (wrk).
set -euo pipefail
need=()
command -v npm >/dev/null || need+=(nodejs npm)
if [ "${1:-}" = "--test" ]; then
  command -v chromium >/dev/null || need+=(chromium)
  command -v turnserver >/dev/null || need+=(coturn)
  command -v redis-server >/dev/null || need+=(redis-server)
  command -v zbarimg >/dev/null || need+=(zbar-tools)  # reads the join sheets' QR codes back
  # the RTMP push is read back from a real RTMP server, fed a live HLS program written by ffmpeg
  [ -e /usr/lib/nginx/modules/ngx_rtmp_module.so ] || need+=(nginx libnginx-mod-rtmp)
  command -v ffmpeg >/dev/null || need+=(ffmpeg)  # also bench/program.py's baseline for the composer
fi
if [ "${1:-}" = "--bench" ]; then
  [ -x /usr/sbin/nginx ] || need+=(nginx)  # bench/public.py runs the shipped site
  command -v wrk >/dev/null || need+=(wrk)
fi
if ((${#need[@]})); then
  echo "installing ${need[*]} (Debian packages)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
