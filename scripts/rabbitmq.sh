#!/usr/bin/env bash
# Placeholder until the RabbitMQ integration lands: install/start/stop are no-ops.
set -euo pipefail
case "${1:-}" in install|start|stop) exit 0 ;; *) echo "usage: $0 install|start|stop" >&2; exit 2 ;; esac
